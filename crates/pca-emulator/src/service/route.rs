//! Routing: which operation a request is, from pca-core's operation list.

use super::*;

/// Which operation a request is, with its raw path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    CreateCa,
    GetCaList,
    GetCa(String),
    UpdateCa(String),
    DeleteCa(String),
    GetCaChain(String),
    GetCaCrl(String),
    GetCrlConfig(String),
    UpdateCrlConfig(String),
    RotateCrl(String),
    TrimCa(String),
    CreateOcsp(String),
    DeleteOcsp(String),
    GetSubCsr(String),
    SignSubCsr(String),
    ActivateSubCa(String),
    IssueEndCert(String),
    SignEndCsr(String),
    GetEndCertList(String),
    GetEndCert(String, String),
    RevokeEndCert(String, String),
    GetCaUserList(String),
    AddCaUser(String),
    DeleteCaUser(String, String),
}

/// Makes the route of an operation from its path parameters, in template order.
pub(super) type MakeRoute = fn(&mut dyn Iterator<Item = String>) -> Option<Route>;

/// The route table: pca-core's facts of each operation (method, path template, name), so that
/// the emulator and the clients cannot disagree on a path; the emulator adds only how to make
/// its [`Route`].
pub(super) fn route_table() -> [(OperationInfo, MakeRoute); 24] {
    use pca_core::operations as op;
    pub(super) fn info<O: Operation>() -> OperationInfo {
        O::INFO
    }
    [
        (info::<op::CreateCa>(), |_| Some(Route::CreateCa)),
        (info::<op::GetCaList>(), |_| Some(Route::GetCaList)),
        (info::<op::GetCa>(), |p| Some(Route::GetCa(p.next()?))),
        (info::<op::UpdateCa>(), |p| Some(Route::UpdateCa(p.next()?))),
        (info::<op::DeleteCa>(), |p| Some(Route::DeleteCa(p.next()?))),
        (info::<op::GetCaChain>(), |p| {
            Some(Route::GetCaChain(p.next()?))
        }),
        (info::<op::GetCaCrl>(), |p| Some(Route::GetCaCrl(p.next()?))),
        (info::<op::GetCrlConfig>(), |p| {
            Some(Route::GetCrlConfig(p.next()?))
        }),
        (info::<op::UpdateCrlConfig>(), |p| {
            Some(Route::UpdateCrlConfig(p.next()?))
        }),
        (info::<op::RotateCrl>(), |p| {
            Some(Route::RotateCrl(p.next()?))
        }),
        (info::<op::TrimCa>(), |p| Some(Route::TrimCa(p.next()?))),
        (info::<op::CreateOcsp>(), |p| {
            Some(Route::CreateOcsp(p.next()?))
        }),
        (info::<op::DeleteOcsp>(), |p| {
            Some(Route::DeleteOcsp(p.next()?))
        }),
        (info::<op::GetSubCsr>(), |p| {
            Some(Route::GetSubCsr(p.next()?))
        }),
        (info::<op::SignSubCsr>(), |p| {
            Some(Route::SignSubCsr(p.next()?))
        }),
        (info::<op::ActivateSubCa>(), |p| {
            Some(Route::ActivateSubCa(p.next()?))
        }),
        (info::<op::IssueEndCert>(), |p| {
            Some(Route::IssueEndCert(p.next()?))
        }),
        (info::<op::SignEndCsr>(), |p| {
            Some(Route::SignEndCsr(p.next()?))
        }),
        (info::<op::GetEndCertList>(), |p| {
            Some(Route::GetEndCertList(p.next()?))
        }),
        (info::<op::GetEndCert>(), |p| {
            Some(Route::GetEndCert(p.next()?, p.next()?))
        }),
        (info::<op::RevokeEndCert>(), |p| {
            Some(Route::RevokeEndCert(p.next()?, p.next()?))
        }),
        (info::<op::GetCaUserList>(), |p| {
            Some(Route::GetCaUserList(p.next()?))
        }),
        (info::<op::AddCaUser>(), |p| {
            Some(Route::AddCaUser(p.next()?))
        }),
        (info::<op::DeleteCaUser>(), |p| {
            Some(Route::DeleteCaUser(p.next()?, p.next()?))
        }),
    ]
}

/// The parameters of `path` under `template` (`{name}` segments), `None` when it does not fit.
pub(super) fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if t.len() != p.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, p) in t.iter().zip(&p) {
        if t.starts_with('{') && t.ends_with('}') {
            params.push((*p).to_owned());
        } else if t != p {
            return None;
        }
    }
    Some(params)
}

impl Route {
    /// The route of `method` and `path` (below `/api/v1`), `None` for a path or method the API
    /// does not have.
    pub(crate) fn parse(method: &Method, path: &str) -> Option<Route> {
        let rest = path.strip_prefix("/api/v1")?;
        if rest.split('/').skip(1).any(str::is_empty) {
            return None;
        }
        route_table().into_iter().find_map(|(info, make)| {
            if info.method != *method {
                return None;
            }
            let params = match_template(info.path_template, rest)?;
            make(&mut params.into_iter())
        })
    }

    /// The documented operation name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Route::CreateCa => "Create CA",
            Route::GetCaList => "Get CA List",
            Route::GetCa(_) => "Get CA",
            Route::UpdateCa(_) => "Update CA",
            Route::DeleteCa(_) => "Delete CA",
            Route::GetCaChain(_) => "Get CA Chain",
            Route::GetCaCrl(_) => "Get CA CRL",
            Route::GetCrlConfig(_) => "Get CRL Config",
            Route::UpdateCrlConfig(_) => "Update CRL Config",
            Route::RotateCrl(_) => "Rotate CRL",
            Route::TrimCa(_) => "Trim CA",
            Route::CreateOcsp(_) => "Create OCSP",
            Route::DeleteOcsp(_) => "Delete OCSP",
            Route::GetSubCsr(_) => "Get Sub CSR",
            Route::SignSubCsr(_) => "Sign Sub CSR",
            Route::ActivateSubCa(_) => "Activate Sub CA",
            Route::IssueEndCert(_) => "Issue End Cert",
            Route::SignEndCsr(_) => "Sign End CSR",
            Route::GetEndCertList(_) => "Get End Cert List",
            Route::GetEndCert(..) => "Get End Cert",
            Route::RevokeEndCert(..) => "Revoke End Cert",
            Route::GetCaUserList(_) => "Get CA User List",
            Route::AddCaUser(_) => "Add CA User",
            Route::DeleteCaUser(..) => "Delete CA User",
        }
    }
}
