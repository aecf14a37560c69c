//! The Private CA service behind the gateway: the 24 operations over the state.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};
use pca_core::types::{Alias, CaStatus, CaTag, CaType, CrlExpiry, IdNo, KeyType, SerialNo};
use pca_core::{Operation, OperationInfo, Period, ServiceCode};
use rcgen::{PublicKeyData as _, SanType};
use serde_json::{Map, Value, json};

use crate::db::Db;
use crate::ocsp;
use crate::pki::{self, CsrError, Signer, Subject};
use crate::store::{Ca, CaRecord, CertRecord, State, Status, SubjectRecord, UserRecord};

const DAY: Duration = Duration::from_secs(86_400);
/// Validity of a root CA created with period `MAX`, in days.
pub(crate) const ROOT_MAX_DAYS: u64 = 3650;
/// Validity of an end certificate when no period is given, in days.
pub(crate) const DEFAULT_END_DAYS: u64 = 365;
/// CRL validity when not configured, in days.
pub(crate) const DEFAULT_CRL_EXPIRY_DAYS: u32 = 3;
/// How long a CA stays `DESTROYING` before it is deleted by itself.
const DESTROY_DELAY: Duration = Duration::from_secs(72 * 3600);
/// Certificates are valid from one minute before they are made (clock differences).
const BACKDATE: Duration = Duration::from_secs(60);

/// A refusal of the service: a code of the documented enum and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceError {
    pub(crate) code: ServiceCode,
    pub(crate) msg: String,
}

impl ServiceError {
    pub(crate) fn new(code: ServiceCode, msg: impl Into<String>) -> Self {
        ServiceError {
            code,
            msg: msg.into(),
        }
    }
}

fn err<T>(code: ServiceCode, msg: impl Into<String>) -> Result<T, ServiceError> {
    Err(ServiceError::new(code, msg))
}

/// The HTTP status of a service code (see the crate documentation for the table).
pub fn http_status(code: &ServiceCode) -> StatusCode {
    use ServiceCode as C;
    match code {
        C::Success => StatusCode::OK,
        C::NotFound | C::NotExistCastore | C::NotExistIssuerCa | C::NotExistPolicy => {
            StatusCode::NOT_FOUND
        }
        C::Unauthorized | C::InvaildAccessToken | C::EmptyAccessToken | C::EmptyAuthToken => {
            StatusCode::UNAUTHORIZED
        }
        C::Forbidden | C::NotAuthorizedRequest | C::NotAuthorizedAction => StatusCode::FORBIDDEN,
        C::InvalidCaStatus
        | C::InvalidStatus
        | C::InvalidCastoreStatus
        | C::InvalidAction
        | C::AlreadyExistAlias
        | C::AlreadyExistCastore
        | C::AlreadyExistPolicy
        | C::AlreadyExistNcloudInstanceNo
        | C::InvalidUser => StatusCode::CONFLICT,
        C::UnprocessableEntity | C::ExceedSigningCount => StatusCode::UNPROCESSABLE_ENTITY,
        C::InternalServerError
        | C::FailBlocCreateInstance
        | C::FailBlocReturnInstance
        | C::FailCreatePolicy
        | C::FailUpdateCa
        | C::FailSendMail
        | C::FailRequest
        | C::FailCore => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

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
type MakeRoute = fn(&mut dyn Iterator<Item = String>) -> Option<Route>;

/// The route table: pca-core's facts of each operation (method, path template, name), so that
/// the emulator and the clients cannot disagree on a path; the emulator adds only how to make
/// its [`Route`].
fn route_table() -> [(OperationInfo, MakeRoute); 24] {
    use pca_core::operations as op;
    fn info<O: Operation>() -> OperationInfo {
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
fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
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

/// Limits and sizes of the service.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) page_size: usize,
    pub(crate) max_cas: usize,
    pub(crate) max_certs_per_ca: u64,
    /// The emulator's own base URL (`--public-url`), written into certificates as the place of
    /// the CRL, the CA certificate and the OCSP responder (`/ext/{caTag}/…`).
    pub(crate) public_url: String,
}

/// The service: state behind a lock, and the database it is committed to.
#[derive(Debug)]
pub(crate) struct Service {
    state: Mutex<State>,
    db: Option<Db>,
    limits: Limits,
}

/// A parsed request body: a JSON object (or nothing).
struct Body(Map<String, Value>);

impl Body {
    fn parse(bytes: &[u8]) -> Result<Body, ServiceError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Map::new()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => Ok(Body(m)),
            Ok(_) => err(
                ServiceCode::InvalidRequest,
                "the request body must be a JSON object",
            ),
            Err(e) => err(
                ServiceCode::InvalidRequest,
                format!("the request body is not valid JSON: {e}"),
            ),
        }
    }

    /// A string field; numbers are taken as their text; `null` and `""` are absent.
    fn text(&self, name: &str) -> Result<Option<String>, ServiceError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => err(
                ServiceCode::InvalidInput,
                format!("{name} must be a string"),
            ),
        }
    }

    fn object(&self, name: &str) -> Result<Option<Body>, ServiceError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Body(m.clone()))),
            Some(_) => err(
                ServiceCode::InvalidInput,
                format!("{name} must be an object"),
            ),
        }
    }
}

/// Query parameters, percent-decoded.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(q: Option<&str>) -> Result<Query, ServiceError> {
        let mut out = Vec::new();
        for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| {
                        ServiceError::new(
                            ServiceCode::InvalidRequest,
                            "the query is not valid UTF-8",
                        )
                    })
            };
            out.push((dec(k)?, dec(v)?));
        }
        Ok(Query(out))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn decode_segment(seg: &str) -> Option<String> {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

fn check_tag(raw: &str) -> Result<String, ServiceError> {
    let tag = decode_segment(raw)
        .ok_or_else(|| ServiceError::new(ServiceCode::InvalidPath, "caTag is not valid text"))?;
    CaTag::new(&tag)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| ServiceError::new(ServiceCode::InvalidPath, e.to_string()))
}

fn check_serial(raw: &str) -> Result<String, ServiceError> {
    let s = decode_segment(raw).ok_or_else(|| {
        ServiceError::new(
            ServiceCode::InvalidInputSerialNo,
            "serialNo is not valid text",
        )
    })?;
    SerialNo::new(&s)
        .map(|s| s.as_str().to_owned())
        .map_err(|e| ServiceError::new(ServiceCode::InvalidInputSerialNo, e.to_string()))
}

fn page_no(query: &Query) -> Result<usize, ServiceError> {
    match query.get("pageNo") {
        None => Ok(1),
        Some(p) => match p.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => err(
                ServiceCode::InvalidInputPagenumbber,
                "pageNo must be a whole number from 1",
            ),
        },
    }
}

fn pages(total: usize, size: usize) -> usize {
    total.div_ceil(size.max(1)).max(1)
}

fn require_active(ca: &Ca) -> Result<Arc<Signer>, ServiceError> {
    match (ca.record.status, &ca.signer) {
        (Status::Active, Some(s)) => Ok(s.clone()),
        (status, _) => err(
            ServiceCode::InvalidCaStatus,
            format!("the CA is {status}: only an ACTIVE CA signs"),
        ),
    }
}

/// A validated `x509Parameters` object.
struct X509Input {
    subject: Subject,
    sans: Vec<SanType>,
}

fn opt_len(p: &Body, name: &'static str, max: usize) -> Result<Option<String>, ServiceError> {
    let v = p.text(name)?;
    if let Some(s) = &v {
        if s.chars().count() > max {
            return err(
                ServiceCode::InvalidInput,
                format!("x509Parameters.{name} is longer than {max} characters"),
            );
        }
        if s.chars().any(char::is_control) {
            return err(
                ServiceCode::InvalidInput,
                format!("x509Parameters.{name} holds a control character"),
            );
        }
    }
    Ok(v)
}

fn x509_input(body: &Body, end_cert: bool) -> Result<X509Input, ServiceError> {
    let Some(p) = body.object("x509Parameters")? else {
        return err(
            ServiceCode::EmptyX509Parameters,
            "x509Parameters is missing",
        );
    };
    let Some(cn) = p.text("commonName")? else {
        return err(ServiceCode::EmptyCommonName, "common name is missing");
    };
    if cn.chars().count() > 64 {
        return err(
            ServiceCode::ExceedCommonName,
            "x509Parameters.commonName is longer than 64 characters",
        );
    }
    if cn.chars().any(char::is_control) {
        return err(
            ServiceCode::InvalidInput,
            "x509Parameters.commonName holds a control character",
        );
    }
    let country = p.text("country")?;
    if let Some(c) = &country {
        if !(2..=3).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return err(
                ServiceCode::InvalidInput,
                "x509Parameters.country must be 2 or 3 upper-case letters",
            );
        }
    }
    let street_address = opt_len(&p, "streetAddress", 128)?;
    if street_address.is_some() && !end_cert {
        return err(
            ServiceCode::InvalidInput,
            "x509Parameters.streetAddress is taken for end certificates only",
        );
    }
    let subject = Subject {
        common_name: cn,
        country,
        state_province: opt_len(&p, "stateProvince", 128)?,
        locality: opt_len(&p, "locality", 128)?,
        organization: opt_len(&p, "organization", 64)?,
        organization_unit: opt_len(&p, "organizationUnit", 128)?,
        street_address,
    };
    let mut sans = Vec::new();
    if let Some(names) = p.text("altName")? {
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let ok = name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._*@+".contains(&b));
            let ia5 = rcgen::string::Ia5String::try_from(name).ok().filter(|_| ok);
            let Some(ia5) = ia5 else {
                return err(
                    ServiceCode::InvalidX509Other,
                    format!("altName {name:?} is not a DNS name or e-mail address"),
                );
            };
            sans.push(if name.contains('@') {
                SanType::Rfc822Name(ia5)
            } else {
                SanType::DnsName(ia5)
            });
        }
    }
    if let Some(ips) = p.text("ip")? {
        for ip in ips.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match ip.parse::<std::net::IpAddr>() {
                Ok(a) => sans.push(SanType::IpAddress(a)),
                Err(_) => {
                    return err(
                        ServiceCode::InvalidX509Ip,
                        format!("ip {ip:?} is not an IP address"),
                    );
                }
            }
        }
    }
    Ok(X509Input { subject, sans })
}

fn parse_period(text: Option<String>, allow_max: bool) -> Result<Option<Period>, ServiceError> {
    let Some(t) = text else { return Ok(None) };
    let p: Period = t.parse().map_err(|_| {
        ServiceError::new(
            ServiceCode::InvalidInputPeriod,
            format!(
                "period {t:?}: expected 1 to 3650 days{}",
                if allow_max { " or MAX" } else { "" }
            ),
        )
    })?;
    if p == Period::Max && !allow_max {
        return err(
            ServiceCode::InvalidInputPeriod,
            "period MAX is not taken here: give 1 to 3650 days",
        );
    }
    Ok(Some(p))
}

fn parse_key_type(text: Option<String>) -> Result<Option<KeyType>, ServiceError> {
    text.map(|t| {
        t.parse::<KeyType>().map_err(|_| {
            ServiceError::new(
                ServiceCode::InvalidX509KeyType,
                format!("keyType {t:?}: expected RSA2048, RSA4096, EC256 or EC521"),
            )
        })
    })
    .transpose()
}

fn csr_der(body: &Body) -> Result<Vec<u8>, ServiceError> {
    let Some(csr) = body.text("csrPem")? else {
        return err(ServiceCode::EmptyCsr, "csr is missing");
    };
    let pem = pca_core::__private::pem_text::normalize_csr("csrPem", &csr)
        .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.to_string()))?;
    pem::parse(&pem)
        .map(pem::Pem::into_contents)
        .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, format!("csrPem: {e}")))
}

fn parse_csr(der: &[u8]) -> Result<pki::ParsedCsr, ServiceError> {
    pki::parse_csr(der).map_err(|e| match e {
        CsrError::Malformed(m) => {
            ServiceError::new(ServiceCode::InvalidInput, format!("csrPem: {m}"))
        }
        CsrError::KeyType(m) => {
            ServiceError::new(ServiceCode::InvalidX509KeyType, format!("csrPem: {m}"))
        }
        CsrError::Signature(m) => ServiceError::new(
            ServiceCode::InvalidInput,
            format!("csrPem: the request's signature does not verify ({m})"),
        ),
    })
}

fn pki_err(e: pki::PkiError) -> ServiceError {
    ServiceError::new(ServiceCode::FailCore, e.0)
}

/// The end of validity for `period` under an issuer valid until `issuer_end` (clamped).
fn not_after(
    now: SystemTime,
    period: Option<Period>,
    default_days: u64,
    issuer_end: Option<SystemTime>,
) -> SystemTime {
    let days = match period {
        Some(Period::Days(d)) => u64::from(d),
        Some(Period::Max) => match issuer_end {
            Some(end) => return end,
            None => ROOT_MAX_DAYS,
        },
        None => default_days,
    };
    let end = now + DAY * u32::try_from(days).unwrap_or(u32::MAX);
    match issuer_end {
        Some(limit) if limit < end => limit,
        _ => end,
    }
}

fn new_tag() -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digits: String = (0..8)
        .map(|_| char::from(b'0' + rand::random_range(0..10u8)))
        .collect();
    let rest: String = (0..8)
        .map(|_| char::from(ALNUM[rand::random_range(0..ALNUM.len())]))
        .collect();
    format!("{digits}-{rest}")
}

fn subject_record(s: &Subject) -> SubjectRecord {
    SubjectRecord {
        common_name: s.common_name.clone(),
        country: s.country.clone(),
        state_province: s.state_province.clone(),
        locality: s.locality.clone(),
        organization: s.organization.clone(),
        organization_unit: s.organization_unit.clone(),
    }
}

fn cert_record(der: &[u8], ocsp: Option<&str>, is_ca: bool) -> Result<CertRecord, ServiceError> {
    let f = pki::cert_facts(der).map_err(pki_err)?;
    Ok(CertRecord {
        serial_no: pki::serial_text(&f.serial),
        cert_pem: pki::cert_pem(der),
        common_name: f.subject_cn.unwrap_or_default(),
        not_before: f.not_before_ms,
        not_after: f.not_after_ms,
        public_key_algorithm: f.public_key_algorithm,
        signature_algorithm: f.signature_algorithm,
        is_ca,
        revoked_at: None,
        in_crl: true,
        ocsp: ocsp.map(str::to_owned),
    })
}

/// A signing job prepared under the lock and run outside it.
struct Reservation {
    tag: String,
    signer: Arc<Signer>,
    ocsp: Option<String>,
    urls: pki::CertUrls,
    chain: Vec<String>,
}

impl Service {
    /// A service over `state`, committed to `db` when there is one.
    pub(crate) fn new(state: State, db: Option<Db>, limits: Limits) -> Self {
        Service {
            state: Mutex::new(state),
            db,
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits what the request changed, in one transaction, before the lock is released
    /// (and so before the answer is sent). When the commit fails the state goes back to what
    /// the database holds, so that nothing unsaved is ever shown or built upon.
    fn commit(&self, mut st: MutexGuard<'_, State>) -> Result<(), ServiceError> {
        let Some(db) = &self.db else {
            st.mark_clean();
            return Ok(());
        };
        if st.is_clean() {
            return Ok(());
        }
        let Err(e) = db.commit(&mut st) else {
            return Ok(());
        };
        tracing::error!(error = %e, "cannot commit the state");
        match db.load() {
            Ok(stored) => *st = stored,
            Err(e) => tracing::error!(error = %e, "cannot read the state back"),
        }
        err(ServiceCode::InternalServerError, "cannot save the state")
    }

    /// Removes CAs whose scheduled deletion time has passed (and the CAs under them).
    fn purge(&self, st: &mut State, now: i64) -> bool {
        let due: Vec<String> = st
            .cas
            .iter()
            .filter(|c| {
                c.record.status == Status::Destroying
                    && c.record.destroy_date.is_some_and(|d| d <= now)
            })
            .map(|c| c.record.tag.clone())
            .collect();
        let mut changed = false;
        for tag in due {
            changed |= remove_tree(st, &tag);
        }
        changed
    }

    /// Handles one request; returns the `data` of a success.
    pub(crate) fn handle(
        &self,
        route: Route,
        query: &Query,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let now_ms = pki::millis(now);
        {
            let mut st = self.lock();
            if self.purge(&mut st, now_ms) {
                self.commit(st)?;
            }
        }
        match route {
            Route::CreateCa => self.create_ca(query, &Body::parse(body)?, now),
            Route::GetCaList => self.get_ca_list(query),
            Route::GetCa(t) => {
                let tag = check_tag(&t)?;
                let st = self.lock();
                Ok(ca_json(find(&st, &tag)?, &self.limits.public_url))
            }
            Route::UpdateCa(t) => self.update_ca(&check_tag(&t)?, &Body::parse(body)?, now_ms),
            Route::DeleteCa(t) => self.delete_ca(&check_tag(&t)?),
            Route::GetCaChain(t) => {
                let tag = check_tag(&t)?;
                let st = self.lock();
                let ca = find(&st, &tag)?;
                if ca.record.cert_pem.is_none() {
                    return err(
                        ServiceCode::InvalidCaStatus,
                        "a PENDING CA has no certificate yet",
                    );
                }
                Ok(Value::String(pca_core::__private::join_pem(
                    ca.full_chain().iter().map(String::as_str),
                )))
            }
            Route::GetCaCrl(t) => self.get_crl(&check_tag(&t)?, now),
            Route::GetCrlConfig(t) => {
                let tag = check_tag(&t)?;
                let st = self.lock();
                let ca = find(&st, &tag)?;
                Ok(json!({ "expiry": ca.record.crl_expiry_days.to_string() }))
            }
            Route::UpdateCrlConfig(t) => {
                self.update_crl_config(&check_tag(&t)?, &Body::parse(body)?, now)
            }
            Route::RotateCrl(t) => self.rotate_crl(&check_tag(&t)?, now, false),
            Route::TrimCa(t) => self.rotate_crl(&check_tag(&t)?, now, true),
            Route::CreateOcsp(t) => self.set_ocsp(&check_tag(&t)?, Some(&Body::parse(body)?)),
            Route::DeleteOcsp(t) => self.set_ocsp(&check_tag(&t)?, None),
            Route::GetSubCsr(t) => {
                let tag = check_tag(&t)?;
                let st = self.lock();
                let ca = find(&st, &tag)?;
                match (&ca.record.csr_pem, ca.record.status) {
                    (Some(csr), Status::Pending) => Ok(json!({ "csrPem": csr })),
                    (_, status) => err(
                        ServiceCode::InvalidCaStatus,
                        format!("the CA is {status}: only a PENDING sub CA has a CSR"),
                    ),
                }
            }
            Route::SignSubCsr(t) => self.sign_csr(&check_tag(&t)?, &Body::parse(body)?, now, true),
            Route::ActivateSubCa(t) => self.activate(&check_tag(&t)?, &Body::parse(body)?, now_ms),
            Route::IssueEndCert(t) => {
                self.issue_end_cert(&check_tag(&t)?, &Body::parse(body)?, now)
            }
            Route::SignEndCsr(t) => {
                let tag = check_tag(&t)?;
                let mut b = Body::parse(body)?;
                if b.0.get("period").is_none() {
                    if let Some(p) = query.get("period") {
                        b.0.insert("period".to_owned(), Value::String(p.to_owned()));
                    }
                }
                self.sign_csr(&tag, &b, now, false)
            }
            Route::GetEndCertList(t) => self.get_end_cert_list(&check_tag(&t)?, query),
            Route::GetEndCert(t, s) => {
                let tag = check_tag(&t)?;
                let serial = check_serial(&s)?;
                let st = self.lock();
                let ca = find(&st, &tag)?;
                let cert = find_cert(ca, &serial)?;
                Ok(json!({
                    "serialNo": cert.serial_no,
                    "commonName": cert.common_name,
                    "notBeforeDate": cert.not_before,
                    "notAfterDate": cert.not_after,
                    "publicKeyAlgorithm": cert.public_key_algorithm,
                    "signatureAlgorithm": cert.signature_algorithm,
                    "certPem": cert.cert_pem,
                    "caChain": pca_core::__private::join_pem(ca.full_chain().iter().map(String::as_str)),
                    "ocspResponder": cert.ocsp.clone().unwrap_or_default(),
                    "status": if cert.revoked_at.is_some() { "REVOKED" } else { "VALID" },
                    "revokeDate": cert.revoked_at,
                }))
            }
            Route::RevokeEndCert(t, s) => self.revoke(&check_tag(&t)?, &check_serial(&s)?, now),
            Route::GetCaUserList(t) => {
                let tag = check_tag(&t)?;
                let st = self.lock();
                let ca = find(&st, &tag)?;
                Ok(Value::Array(
                    ca.record
                        .users
                        .iter()
                        .map(|u| json!({ "loginId": u.login_id, "mbrNo": u.mbr_no, "idNo": u.id_no }))
                        .collect(),
                ))
            }
            Route::AddCaUser(t) => self.add_user(&check_tag(&t)?, &Body::parse(body)?),
            Route::DeleteCaUser(t, id) => self.delete_user(&check_tag(&t)?, &id),
        }
    }

    /// The DER of the CA's current CRL (reissued first when it has expired), for the public
    /// CRL distribution point; `None` when the CA does not exist or has no certificate yet.
    pub(crate) fn ext_crl(&self, raw_tag: &str, now: SystemTime) -> Option<Vec<u8>> {
        let tag = check_tag(raw_tag).ok()?;
        let pem_text = self.get_crl(&tag, now).ok()?;
        pem::parse(pem_text.as_str()?)
            .ok()
            .map(pem::Pem::into_contents)
    }

    /// The DER of the CA certificate; `None` when the CA does not exist or has none yet.
    pub(crate) fn ext_ca(&self, raw_tag: &str) -> Option<Vec<u8>> {
        let tag = check_tag(raw_tag).ok()?;
        let st = self.lock();
        pki::pem_der(st.ca(&tag)?.record.cert_pem.as_deref()?)
    }

    /// The OCSP answer of the CA `raw_tag` to the DER request `request`: `malformedRequest`
    /// for a request that does not decode, `unauthorized` for a CA the emulator does not have
    /// (or that has no certificate), else a response signed by the CA.
    pub(crate) fn ext_ocsp(&self, raw_tag: &str, request: &[u8], now: SystemTime) -> Vec<u8> {
        use x509_ocsp::OcspResponseStatus as S;
        let Some(req) = ocsp::parse(request) else {
            return ocsp::refusal(S::MalformedRequest);
        };
        let found = check_tag(raw_tag).ok().and_then(|tag| {
            let st = self.lock();
            let ca = st.ca(&tag)?;
            let signer = ca.signer.clone()?;
            let statuses: Vec<ocsp::Status> = ocsp::serials_for(&req, &signer)
                .into_iter()
                .map(|serial| {
                    let cert = serial
                        .and_then(|s| ca.index.get(&pki::serial_key(&s)))
                        .and_then(|&i| ca.record.certs.get(i));
                    match cert {
                        None => ocsp::Status::Unknown,
                        Some(c) => match c.revoked_at {
                            Some(ms) => ocsp::Status::Revoked(pki::from_millis(ms)),
                            None => ocsp::Status::Good,
                        },
                    }
                })
                .collect();
            let next = (now + DAY * ca.record.crl_expiry_days).min(signer.not_after.max(now));
            Some((signer, statuses, next))
        });
        let Some((signer, statuses, next)) = found else {
            return ocsp::refusal(S::Unauthorized);
        };
        ocsp::respond(&req, &statuses, &signer, now, next).unwrap_or_else(|e| {
            tracing::error!(error = %e.0, "cannot sign an OCSP answer");
            ocsp::refusal(S::InternalError)
        })
    }

    fn create_ca(
        &self,
        query: &Query,
        body: &Body,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let Some(ca_type) = query.get("caType") else {
            return err(ServiceCode::EmptyCaType, "caType is missing");
        };
        let ca_type: CaType = ca_type.parse().map_err(|_| {
            ServiceError::new(
                ServiceCode::InvalidInput,
                "caType must be PRIVATE_ROOT or PRIVATE_SUB",
            )
        })?;
        let issuer_tag = match query.get("issuerTag") {
            Some(t) => Some(
                CaTag::new(t)
                    .map_err(|e| ServiceError::new(ServiceCode::InvalidIssuerCa, e.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        if issuer_tag.is_some() && ca_type == CaType::PrivateRoot {
            return err(
                ServiceCode::InvalidInput,
                "issuerTag is taken for PRIVATE_SUB only",
            );
        }
        let Some(alias) = body.text("alias")? else {
            return err(ServiceCode::EmptyCaAlias, "alias is missing");
        };
        if alias.chars().count() > 15 {
            return err(
                ServiceCode::ExceedCaAlias,
                "alias is longer than 15 characters",
            );
        }
        let alias = Alias::new(&alias)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.to_string()))?
            .as_str()
            .to_owned();
        let memo = body.text("memo")?;
        if memo.as_ref().is_some_and(|m| m.chars().count() > 1000) {
            return err(
                ServiceCode::InvalidInput,
                "memo is longer than 1000 characters",
            );
        }
        let Some(key_type) = parse_key_type(body.text("keyType")?)? else {
            return err(ServiceCode::EmptyKeyType, "keyType is missing");
        };
        let Some(period) = parse_period(body.text("period")?, true)? else {
            return err(ServiceCode::EmptyCaTtl, "period is missing");
        };
        let x509 = x509_input(body, false)?;
        let dn = x509
            .subject
            .to_dn()
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.0))?;

        // Cheap checks first, so that a refused request makes no key.
        {
            let st = self.lock();
            self.check_new_ca(&st, &alias, issuer_tag.as_deref())?;
        }
        let key = pki::generate_key(key_type).map_err(pki_err)?;
        let key_pem = key.serialize_pem();

        let mut st = self.lock();
        self.check_new_ca(&st, &alias, issuer_tag.as_deref())?;
        let now_ms = pki::millis(now);
        let start = now.checked_sub(BACKDATE).unwrap_or(now);
        let mut tag = new_tag();
        while st.ca(&tag).is_some() {
            tag = new_tag();
        }
        st.next_id += 1;
        let id = st.next_id;
        let (status, cert_der, chain, csr_pem) = match (ca_type, &issuer_tag) {
            (CaType::PrivateRoot, _) => {
                let mut params = pki::ca_params(
                    dn,
                    &pki::new_serial(),
                    start,
                    not_after(now, Some(period), ROOT_MAX_DAYS, None),
                    &pki::CertUrls::default(),
                );
                params.subject_alt_names = x509.sans.clone();
                let der = pki::self_sign(&params, &key).map_err(pki_err)?;
                (Status::Active, Some(der), Vec::new(), None)
            }
            (CaType::PrivateSub, Some(parent_tag)) => {
                let parent = find_mut(&mut st, parent_tag).map_err(|_| {
                    ServiceError::new(ServiceCode::NotExistIssuerCa, format!("no CA {parent_tag}"))
                })?;
                let signer = require_active(parent)?;
                let ocsp = parent.record.ocsp_url.clone();
                let mut params = pki::ca_params(
                    dn,
                    &pki::new_serial(),
                    start,
                    not_after(now, Some(period), ROOT_MAX_DAYS, Some(signer.not_after)),
                    &cert_urls(&self.limits.public_url, parent),
                );
                params.subject_alt_names = x509.sans.clone();
                let der = signer.sign(&params, &key).map_err(pki_err)?;
                parent.push_cert(cert_record(&der, ocsp.as_deref(), true)?);
                (Status::Active, Some(der), parent.full_chain(), None)
            }
            (CaType::PrivateSub, None) => {
                let csr = pki::make_csr(dn, x509.sans.clone(), &key).map_err(pki_err)?;
                (
                    Status::Pending,
                    None,
                    Vec::new(),
                    Some(csr.trim().to_owned()),
                )
            }
            // A CA type added to pca-core later: not one the emulator makes.
            (other, _) => return err(ServiceCode::InvalidInput, format!("caType {other}")),
        };
        let record = CaRecord {
            tag: tag.clone(),
            id,
            ca_type,
            alias,
            memo,
            status,
            key_type,
            key_pem,
            subject: subject_record(&x509.subject),
            issuer_tag,
            cert_pem: cert_der.as_deref().map(pki::cert_pem),
            chain,
            csr_pem,
            period_days: match period {
                Period::Days(d) => Some(u32::from(d)),
                Period::Max => None,
            },
            rgst_date: now_ms,
            status_update_date: now_ms,
            destroy_date: None,
            ocsp_url: None,
            crl_expiry_days: DEFAULT_CRL_EXPIRY_DAYS,
            crl_number: 0,
            crl_pem: None,
            crl_next_update: 0,
            certs: Vec::new(),
            users: Vec::new(),
        };
        let signer = match &cert_der {
            Some(der) => Some(Arc::new(Signer::new(key, der).map_err(pki_err)?)),
            None => None,
        };
        let mut ca = Ca::new(record, signer);
        if ca.signer.is_some() {
            refresh_crl(&mut ca, now)?;
        }
        let out = ca_json(&ca, &self.limits.public_url);
        st.cas.push(ca);
        self.commit(st)?;
        Ok(out)
    }

    fn check_new_ca(
        &self,
        st: &State,
        alias: &str,
        issuer: Option<&str>,
    ) -> Result<(), ServiceError> {
        if st.cas.len() >= self.limits.max_cas {
            return err(
                ServiceCode::UnprocessableEntity,
                format!("at most {} CAs may exist", self.limits.max_cas),
            );
        }
        if st.cas.iter().any(|c| c.record.alias == alias) {
            return err(
                ServiceCode::AlreadyExistAlias,
                format!("a CA with alias {alias} exists"),
            );
        }
        if let Some(tag) = issuer {
            let parent = st.ca(tag).ok_or_else(|| {
                ServiceError::new(ServiceCode::NotExistIssuerCa, format!("no CA {tag}"))
            })?;
            require_active(parent)?;
            self.check_count(parent)?;
        }
        Ok(())
    }

    fn check_count(&self, ca: &Ca) -> Result<(), ServiceError> {
        if ca.record.certs.len() as u64 + ca.reserved >= self.limits.max_certs_per_ca {
            return err(
                ServiceCode::ExceedSigningCount,
                format!(
                    "a CA signs at most {} certificates",
                    self.limits.max_certs_per_ca
                ),
            );
        }
        Ok(())
    }

    fn get_ca_list(&self, query: &Query) -> Result<Value, ServiceError> {
        let page = page_no(query)?;
        let size = self.limits.page_size;
        let st = self.lock();
        let list: Vec<Value> = st
            .cas
            .iter()
            .skip((page - 1).saturating_mul(size))
            .take(size)
            .map(|c| ca_json(c, &self.limits.public_url))
            .collect();
        Ok(json!({
            "totalCnt": st.cas.len(),
            "caInfoList": list,
            "totalPageNo": pages(st.cas.len(), size),
            "currentPageNo": page,
        }))
    }

    fn update_ca(&self, tag: &str, body: &Body, now_ms: i64) -> Result<Value, ServiceError> {
        let Some(status) = body.text("status")? else {
            return err(ServiceCode::EmptyStatus, "status is missing");
        };
        let status: CaStatus = status.parse().map_err(|_| {
            ServiceError::new(
                ServiceCode::InvalidInputStatus,
                "status must be ACTIVE, DEACTIVATED or DESTROYING",
            )
        })?;
        let memo = body.text("memo")?;
        if memo.as_ref().is_some_and(|m| m.chars().count() > 1000) {
            return err(
                ServiceCode::InvalidInput,
                "memo is longer than 1000 characters",
            );
        }
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        let current = ca.record.status;
        let next = match (status, current) {
            (CaStatus::Active, Status::Active | Status::Deactivated | Status::Destroying) => {
                if ca.record.cert_pem.is_some() {
                    Status::Active
                } else {
                    Status::Pending
                }
            }
            (CaStatus::Active, Status::Pending) => {
                return err(
                    ServiceCode::InvalidCaStatus,
                    "a PENDING sub CA becomes ACTIVE with Activate Sub CA",
                );
            }
            (CaStatus::Deactivated, Status::Active | Status::Deactivated) => Status::Deactivated,
            (CaStatus::Destroying, _) => Status::Destroying,
            (_, cur) => {
                return err(
                    ServiceCode::InvalidCaStatus,
                    format!("a {cur} CA cannot become {}", status.as_str()),
                );
            }
        };
        if next != current {
            ca.record.status = next;
            ca.record.status_update_date = now_ms;
            ca.record.destroy_date = (next == Status::Destroying).then(|| {
                now_ms.saturating_add(i64::try_from(DESTROY_DELAY.as_millis()).unwrap_or(i64::MAX))
            });
        }
        if let Some(m) = memo {
            ca.record.memo = Some(m);
        }
        // The current docs put destroyDate at data.destroyDate as well as in data.caInfo.
        let mut out = ca_json(ca, &self.limits.public_url);
        if let Value::Object(m) = &mut out {
            m.insert("destroyDate".to_owned(), json!(ca.record.destroy_date));
        }
        self.commit(st)?;
        Ok(out)
    }

    fn delete_ca(&self, tag: &str) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find(&st, tag)?;
        if ca.record.status != Status::Destroying {
            return err(
                ServiceCode::InvalidCaStatus,
                format!(
                    "the CA is {}: only a DESTROYING CA is deleted",
                    ca.record.status
                ),
            );
        }
        remove_tree(&mut st, tag);
        self.commit(st)?;
        Ok(Value::Null)
    }

    fn get_crl(&self, tag: &str, now: SystemTime) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        if ca.signer.is_none() {
            return err(ServiceCode::InvalidCaStatus, "a PENDING CA has no CRL");
        }
        let stale = ca.record.crl_pem.is_none() || ca.record.crl_next_update <= pki::millis(now);
        if stale && ca.record.status == Status::Active {
            refresh_crl(ca, now)?;
            let out = Value::String(ca.record.crl_pem.clone().unwrap_or_default());
            self.commit(st)?;
            return Ok(out);
        }
        Ok(Value::String(ca.record.crl_pem.clone().unwrap_or_default()))
    }

    fn update_crl_config(
        &self,
        tag: &str,
        body: &Body,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let Some(expiry) = body.text("expiry")? else {
            return err(ServiceCode::InvalidInput, "expiry is missing");
        };
        let days: u32 = expiry.trim().parse().map_err(|_| {
            ServiceError::new(ServiceCode::InvalidInput, "expiry must be a number of days")
        })?;
        let days = CrlExpiry::days(days)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.to_string()))?
            .get();
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        let signer = require_active(ca)?;
        if now + DAY * u32::from(days) > signer.not_after {
            return err(
                ServiceCode::ExceedExpiryDate,
                "the CRL would outlive the CA certificate",
            );
        }
        ca.record.crl_expiry_days = u32::from(days);
        refresh_crl(ca, now)?;
        self.commit(st)?;
        Ok(json!({ "expiry": days.to_string() }))
    }

    fn rotate_crl(&self, tag: &str, now: SystemTime, trim: bool) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        require_active(ca)?;
        if trim {
            let now_ms = pki::millis(now);
            let mut changed = Vec::new();
            for (i, c) in ca.record.certs.iter_mut().enumerate() {
                if c.in_crl && c.revoked_at.is_some() && c.not_after < now_ms {
                    c.in_crl = false;
                    changed.push(i);
                }
            }
            for i in changed {
                ca.touch(i);
            }
        }
        refresh_crl(ca, now)?;
        self.commit(st)?;
        Ok(Value::Null)
    }

    fn set_ocsp(&self, tag: &str, body: Option<&Body>) -> Result<Value, ServiceError> {
        let url = match body {
            Some(b) => {
                let Some(url) = b.text("ocsp_servers")? else {
                    return err(ServiceCode::InvalidInput, "ocsp_servers is missing");
                };
                let ok = url.len() <= 2048
                    && (url.starts_with("https://") || url.starts_with("http://"))
                    && url.bytes().all(|b| b.is_ascii_graphic() && b != b',');
                if !ok {
                    return err(
                        ServiceCode::InvalidX509Uri,
                        "ocsp_servers must be one absolute http(s) URL",
                    );
                }
                Some(url)
            }
            None => None,
        };
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        ca.record.ocsp_url = url;
        self.commit(st)?;
        Ok(Value::Null)
    }

    /// Reserves a signing slot at the CA `tag`.
    fn reserve(&self, tag: &str) -> Result<Reservation, ServiceError> {
        let mut st = self.lock();
        let ca = st
            .ca_mut_untracked(tag)
            .ok_or_else(|| ServiceError::new(ServiceCode::NotFound, format!("no CA {tag}")))?;
        let signer = require_active(ca)?;
        self.check_count(ca)?;
        ca.reserved += 1;
        Ok(Reservation {
            tag: tag.to_owned(),
            signer,
            ocsp: ca.record.ocsp_url.clone(),
            urls: cert_urls(&self.limits.public_url, ca),
            chain: ca.full_chain(),
        })
    }

    /// Stores a certificate signed under `r` and answers the signing result.
    fn finish(
        &self,
        r: &Reservation,
        der: Result<Vec<u8>, ServiceError>,
        is_ca: bool,
        chain_as_string: bool,
    ) -> Result<Value, ServiceError> {
        let rec = der.and_then(|der| cert_record(&der, r.ocsp.as_deref(), is_ca));
        let mut st = self.lock();
        let Some(ca) = st.ca_mut_untracked(&r.tag) else {
            return err(ServiceCode::NotFound, format!("CA {} was deleted", r.tag));
        };
        ca.reserved = ca.reserved.saturating_sub(1);
        let rec = rec?;
        let serial = rec.serial_no.clone();
        let pem = rec.cert_pem.clone();
        ca.push_cert(rec);
        self.commit(st)?;
        let chain = if chain_as_string {
            Value::String(pca_core::__private::join_pem(
                r.chain.iter().map(String::as_str),
            ))
        } else {
            json!(r.chain)
        };
        Ok(json!({
            "certificate": pem,
            "caChain": chain,
            "issuer": r.chain.first().cloned().unwrap_or_default(),
            "serialNo": serial,
            "ocspResponder": r.ocsp.clone().unwrap_or_default(),
        }))
    }

    fn sign_csr(
        &self,
        tag: &str,
        body: &Body,
        now: SystemTime,
        sub_ca: bool,
    ) -> Result<Value, ServiceError> {
        let period_text = body.text("period")?;
        let period = parse_period(period_text, !sub_ca)?;
        if sub_ca && period.is_none() {
            return err(ServiceCode::EmptyCaTtl, "period is missing");
        }
        let der = csr_der(body)?;
        // The CA must exist before the CSR is worked on.
        {
            let st = self.lock();
            find(&st, tag)?;
        }
        let csr = parse_csr(&der)?;
        if sub_ca && csr.subject_is_empty {
            return err(ServiceCode::EmptyCommonName, "the CSR's subject is empty");
        }
        let r = self.reserve(tag)?;
        let end = not_after(now, period, DEFAULT_END_DAYS, Some(r.signer.not_after));
        if !sub_ca {
            if let Some(Period::Days(d)) = period {
                if now + DAY * u32::from(d) > r.signer.not_after {
                    return self.finish(
                        &r,
                        err(
                            ServiceCode::ExceedExpiryDate,
                            "the period outlives the CA certificate",
                        ),
                        false,
                        false,
                    );
                }
            }
        }
        let start = now.checked_sub(BACKDATE).unwrap_or(now);
        let serial = pki::new_serial();
        let params = if sub_ca {
            pki::ca_params(csr.subject.clone(), &serial, start, end, &r.urls)
        } else {
            pki::end_params(
                csr.subject.clone(),
                csr.sans.clone(),
                &serial,
                start,
                end,
                &r.urls,
                csr.key.rsa,
            )
        };
        let signed = r.signer.sign(&params, &csr.key).map_err(pki_err);
        self.finish(&r, signed, sub_ca, false)
    }

    fn issue_end_cert(
        &self,
        tag: &str,
        body: &Body,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let key_type = parse_key_type(body.text("keyType")?)?.unwrap_or(KeyType::Rsa2048);
        let period = parse_period(body.text("period")?, true)?;
        let x509 = x509_input(body, true)?;
        let dn = x509
            .subject
            .to_dn()
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.0))?;
        {
            let st = self.lock();
            let ca = find(&st, tag)?;
            require_active(ca)?;
            self.check_count(ca)?;
        }
        let key = pki::generate_key(key_type).map_err(pki_err)?;
        let r = self.reserve(tag)?;
        let start = now.checked_sub(BACKDATE).unwrap_or(now);
        let end = not_after(now, period, DEFAULT_END_DAYS, Some(r.signer.not_after));
        let params = pki::end_params(
            dn,
            x509.sans,
            &pki::new_serial(),
            start,
            end,
            &r.urls,
            matches!(key_type, KeyType::Rsa2048 | KeyType::Rsa4096),
        );
        let signed = r.signer.sign(&params, &key).map_err(pki_err);
        let mut out = self.finish(&r, signed, false, true)?;
        if let Value::Object(m) = &mut out {
            m.insert("privateKey".to_owned(), Value::String(key.serialize_pem()));
        }
        Ok(out)
    }

    fn activate(&self, tag: &str, body: &Body, now_ms: i64) -> Result<Value, ServiceError> {
        let Some(cert) = body.text("certPem")? else {
            return err(ServiceCode::EmptyCert, "cert is missing");
        };
        let Some(chain) = body.text("caChainPem")? else {
            return err(ServiceCode::InvalidInputCaChain, "caChainPem is missing");
        };
        let cert = pca_core::__private::pem_text::normalize_certificate("certPem", &cert)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInputCert, e.to_string()))?;
        let chain = pca_core::__private::pem_text::normalize_certificates("caChainPem", &chain)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInputCaChain, e.to_string()))?;
        let cert_der = pki::pem_der(&cert).ok_or_else(|| {
            ServiceError::new(ServiceCode::InvalidInputCert, "certPem does not decode")
        })?;
        let facts = pki::cert_facts(&cert_der)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInputCert, e.0))?;
        if !facts.is_ca || !facts.can_sign_certs {
            return err(
                ServiceCode::InvalidInputCert,
                "certPem is not a CA certificate (basicConstraints CA:TRUE and keyCertSign needed)",
            );
        }
        let chain_der: Vec<Vec<u8>> = chain
            .iter()
            .map(|c| {
                pki::pem_der(c).ok_or_else(|| {
                    ServiceError::new(
                        ServiceCode::InvalidInputCaChain,
                        "caChainPem does not decode",
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let ordered = order_chain(&cert_der, &chain_der).ok_or_else(|| {
            ServiceError::new(
                ServiceCode::InvalidInputCaChain,
                "no certificate of caChainPem signed certPem",
            )
        })?;

        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        if ca.record.status != Status::Pending {
            return err(
                ServiceCode::InvalidCaStatus,
                format!(
                    "the CA is {}: only a PENDING sub CA is activated",
                    ca.record.status
                ),
            );
        }
        let key = pki::load_key(ca.record.key_type, &ca.record.key_pem).map_err(pki_err)?;
        if key.subject_public_key_info() != facts.spki {
            return err(
                ServiceCode::InvalidInputCert,
                "certPem does not certify this CA's key",
            );
        }
        let signer = Signer::new(key, &cert_der).map_err(pki_err)?;
        ca.record.cert_pem = Some(pki::cert_pem(&cert_der));
        ca.record.chain = ordered.iter().map(|d| pki::cert_pem(d)).collect();
        ca.record.csr_pem = None;
        ca.record.status = Status::Active;
        ca.record.status_update_date = now_ms;
        ca.signer = Some(Arc::new(signer));
        refresh_crl(ca, pki::from_millis(now_ms))?;
        let out = ca_json(ca, &self.limits.public_url);
        self.commit(st)?;
        Ok(out)
    }

    fn get_end_cert_list(&self, tag: &str, query: &Query) -> Result<Value, ServiceError> {
        let page = page_no(query)?;
        let size = self.limits.page_size;
        let st = self.lock();
        let ca = find(&st, tag)?;
        let certs = &ca.record.certs;
        let list: Vec<&str> = certs
            .iter()
            .skip((page - 1).saturating_mul(size))
            .take(size)
            .map(|c| c.serial_no.as_str())
            .collect();
        Ok(json!({
            "totalCnt": certs.len(),
            "listCerts": list,
            "totalPageNo": pages(certs.len(), size),
            "currentPageNo": page,
        }))
    }

    fn revoke(&self, tag: &str, serial: &str, now: SystemTime) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        require_active(ca)?;
        let i = *ca.index.get(&pki::serial_key(serial)).ok_or_else(|| {
            ServiceError::new(
                ServiceCode::NotFound,
                format!("no certificate {serial} at this CA"),
            )
        })?;
        ca.touch(i);
        let cert = &mut ca.record.certs[i];
        if cert.revoked_at.is_some() {
            return err(
                ServiceCode::InvalidCert,
                "the certificate is already revoked",
            );
        }
        cert.revoked_at = Some(pki::millis(now));
        refresh_crl(ca, now)?;
        self.commit(st)?;
        Ok(Value::Null)
    }

    fn add_user(&self, tag: &str, body: &Body) -> Result<Value, ServiceError> {
        let Some(id) = body.text("idNo")? else {
            return err(ServiceCode::EmptyIdNo, "idNo is missing");
        };
        let id = IdNo::new(&id)
            .map_err(|e| ServiceError::new(ServiceCode::InvaildIdNo, e.to_string()))?
            .as_str()
            .to_owned();
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        if ca.record.users.iter().any(|u| u.id_no == id) {
            return err(
                ServiceCode::InvalidUser,
                "the user already has rights on this CA",
            );
        }
        let digits: String = id
            .bytes()
            .filter(u8::is_ascii_digit)
            .take(7)
            .map(char::from)
            .collect();
        ca.dirty.users = true;
        ca.record.users.push(UserRecord {
            login_id: format!("user-{}", &id[..8]),
            mbr_no: if digits.is_empty() {
                "0".to_owned()
            } else {
                digits
            },
            id_no: id,
        });
        self.commit(st)?;
        Ok(Value::Null)
    }

    fn delete_user(&self, tag: &str, raw_id: &str) -> Result<Value, ServiceError> {
        let id = decode_segment(raw_id).unwrap_or_default();
        let id = IdNo::new(&id)
            .map_err(|e| ServiceError::new(ServiceCode::InvaildIdNo, e.to_string()))?
            .as_str()
            .to_owned();
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        let before = ca.record.users.len();
        ca.record.users.retain(|u| u.id_no != id);
        ca.dirty.users = true;
        if ca.record.users.len() == before {
            return err(ServiceCode::NotFound, "the user has no rights on this CA");
        }
        self.commit(st)?;
        Ok(Value::Null)
    }
}

fn find<'a>(st: &'a State, tag: &str) -> Result<&'a Ca, ServiceError> {
    st.ca(tag)
        .ok_or_else(|| ServiceError::new(ServiceCode::NotFound, format!("no CA {tag}")))
}

fn find_mut<'a>(st: &'a mut State, tag: &str) -> Result<&'a mut Ca, ServiceError> {
    st.ca_mut(tag)
        .ok_or_else(|| ServiceError::new(ServiceCode::NotFound, format!("no CA {tag}")))
}

fn find_cert<'a>(ca: &'a Ca, serial: &str) -> Result<&'a CertRecord, ServiceError> {
    ca.index
        .get(&pki::serial_key(serial))
        .and_then(|&i| ca.record.certs.get(i))
        .ok_or_else(|| {
            ServiceError::new(
                ServiceCode::NotFound,
                format!("no certificate {serial} at this CA"),
            )
        })
}

/// Removes the CA `tag` and every CA it signed here; `true` when something was removed.
fn remove_tree(st: &mut State, tag: &str) -> bool {
    let mut doomed = vec![tag.to_owned()];
    let mut i = 0;
    while i < doomed.len() {
        let parent = doomed[i].clone();
        for c in &st.cas {
            if c.record.issuer_tag.as_deref() == Some(parent.as_str())
                && !doomed.contains(&c.record.tag)
            {
                doomed.push(c.record.tag.clone());
            }
        }
        i += 1;
    }
    let before = st.cas.len();
    st.cas.retain(|c| !doomed.contains(&c.record.tag));
    let removed = st.cas.len() != before;
    st.deleted.extend(doomed);
    removed
}

/// Orders `chain` from the issuer of `cert` upwards by signatures; `None` when no certificate
/// of `chain` signed `cert`. Certificates off the path follow in their given order.
fn order_chain(cert: &[u8], chain: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let mut used = vec![false; chain.len()];
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current = cert.to_vec();
    while let Some(i) =
        (0..chain.len()).find(|&i| !used[i] && pki::is_signed_by(&current, &chain[i]))
    {
        used[i] = true;
        out.push(chain[i].clone());
        if pki::is_signed_by(&chain[i], &chain[i]) {
            break;
        }
        current = chain[i].clone();
    }
    if out.is_empty() {
        return None;
    }
    out.extend(
        chain
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(c, _)| c.clone()),
    );
    Some(out)
}

/// Issues a new CRL for `ca`.
fn refresh_crl(ca: &mut Ca, now: SystemTime) -> Result<(), ServiceError> {
    let Some(signer) = ca.signer.clone() else {
        return Ok(());
    };
    let revoked: Vec<(Vec<u8>, SystemTime)> = ca
        .record
        .certs
        .iter()
        .filter(|c| c.in_crl)
        .filter_map(|c| Some((serial_bytes(&c.serial_no)?, pki::from_millis(c.revoked_at?))))
        .collect();
    let next = (now + DAY * ca.record.crl_expiry_days)
        .min(signer.not_after.max(now + Duration::from_secs(60)));
    ca.record.crl_number += 1;
    let pem = signer
        .sign_crl(ca.record.crl_number, now, next, &revoked)
        .map_err(pki_err)?;
    ca.record.crl_pem = Some(pem.trim().to_owned());
    ca.record.crl_next_update = pki::millis(next);
    Ok(())
}

fn serial_bytes(text: &str) -> Option<Vec<u8>> {
    text.split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

/// The URLs the CA `ca` writes into certificates: its CRL and certificate at the emulator
/// (once it has a certificate), and the OCSP URL set by Create OCSP.
fn cert_urls(public_url: &str, ca: &Ca) -> pki::CertUrls {
    let own = |what: &str| {
        ca.record
            .cert_pem
            .as_ref()
            .map(|_| format!("{public_url}/ext/{}/{what}", ca.record.tag))
    };
    pki::CertUrls {
        ocsp: ca.record.ocsp_url.clone(),
        crl: own("crl"),
        ca_issuers: own("ca"),
    }
}

/// The `{caInfo, caCertInfo}` of a CA.
fn ca_json(ca: &Ca, public_url: &str) -> Value {
    let r = &ca.record;
    let urls = cert_urls(public_url, ca);
    let url_info = json!({
        "ocsp": urls.ocsp.iter().collect::<Vec<_>>(),
        "crl": urls.crl.iter().collect::<Vec<_>>(),
        "ca": urls.ca_issuers.iter().collect::<Vec<_>>(),
    });
    let info = json!({
        "caTag": r.tag,
        "caId": r.id,
        "caType": r.ca_type.as_str(),
        "alias": r.alias,
        "memo": r.memo.clone().unwrap_or_default(),
        "nrn": format!("nrn:PUB:PCA::{}:CA/{}", r.id, r.tag),
        "status": r.status.as_str(),
        "signingCount": ca.signing_count(),
        "statusUpdateDate": r.status_update_date,
        "destroyDate": r.destroy_date,
        "rgstDate": r.rgst_date,
        "urlInfo": url_info,
    });
    let s = &r.subject;
    let mut cert_info = json!({
        "commonName": s.common_name,
        "country": s.country,
        "stateProvince": s.state_province,
        "locality": s.locality,
        "organization": s.organization,
        "organizationUnit": s.organization_unit,
        "caCertId": r.id,
    });
    if let (Some(pem), Value::Object(m)) = (&r.cert_pem, &mut cert_info) {
        if let Some(f) = pki::pem_der(pem).and_then(|d| pki::cert_facts(&d).ok()) {
            m.insert("issuerName".to_owned(), json!(f.issuer));
            m.insert("notBeforeDate".to_owned(), json!(f.not_before_ms));
            m.insert("notAfterDate".to_owned(), json!(f.not_after_ms));
            m.insert(
                "publicKeyAlgorithm".to_owned(),
                json!(f.public_key_algorithm),
            );
            m.insert(
                "signatureAlgorithm".to_owned(),
                json!(f.signature_algorithm),
            );
            m.insert("serialNo".to_owned(), json!(pki::serial_text(&f.serial)));
        }
        m.insert("certPem".to_owned(), json!(pem));
        m.insert(
            "chainPem".to_owned(),
            json!(pca_core::__private::join_pem(
                ca.full_chain().iter().map(String::as_str)
            )),
        );
    } else if let Value::Object(m) = &mut cert_info {
        m.insert(
            "publicKeyAlgorithm".to_owned(),
            json!(pki::key_type_algorithm(r.key_type)),
        );
    }
    json!({ "caInfo": info, "caCertInfo": cert_info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_of_every_documented_path() {
        let t = "12345678-abcdefgh".to_owned();
        let s = "01:02".to_owned();
        let cases = [
            ("POST", "/api/v1/ca", Route::CreateCa),
            ("GET", "/api/v1/ca", Route::GetCaList),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh",
                Route::GetCa(t.clone()),
            ),
            (
                "PUT",
                "/api/v1/ca/12345678-abcdefgh",
                Route::UpdateCa(t.clone()),
            ),
            (
                "DELETE",
                "/api/v1/ca/12345678-abcdefgh",
                Route::DeleteCa(t.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/chain",
                Route::GetCaChain(t.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/crl",
                Route::GetCaCrl(t.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/crl/config",
                Route::GetCrlConfig(t.clone()),
            ),
            (
                "PUT",
                "/api/v1/ca/12345678-abcdefgh/crl/config",
                Route::UpdateCrlConfig(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/crl/rotate",
                Route::RotateCrl(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/trim",
                Route::TrimCa(t.clone()),
            ),
            (
                "PUT",
                "/api/v1/ca/12345678-abcdefgh/urls",
                Route::CreateOcsp(t.clone()),
            ),
            (
                "DELETE",
                "/api/v1/ca/12345678-abcdefgh/urls",
                Route::DeleteOcsp(t.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/sub/csr",
                Route::GetSubCsr(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/sub/sign",
                Route::SignSubCsr(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/activate",
                Route::ActivateSubCa(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/cert",
                Route::IssueEndCert(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/cert/sign",
                Route::SignEndCsr(t.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/cert",
                Route::GetEndCertList(t.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/cert/01:02",
                Route::GetEndCert(t.clone(), s.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/cert/01:02/revoke",
                Route::RevokeEndCert(t.clone(), s.clone()),
            ),
            (
                "GET",
                "/api/v1/ca/12345678-abcdefgh/users",
                Route::GetCaUserList(t.clone()),
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefgh/users",
                Route::AddCaUser(t.clone()),
            ),
            (
                "DELETE",
                "/api/v1/ca/12345678-abcdefgh/users/u",
                Route::DeleteCaUser(t.clone(), "u".to_owned()),
            ),
        ];
        for (m, p, want) in cases {
            assert_eq!(Route::parse(&m.parse().unwrap(), p), Some(want), "{m} {p}");
        }
        for (m, p) in [
            ("GET", "/ca"),
            ("GET", "/api/v1/ca//chain"),
            ("PUT", "/api/v1/ca"),
            ("GET", "/api/v1/ca/x/y/z/w/v/u"),
        ] {
            assert_eq!(Route::parse(&m.parse().unwrap(), p), None, "{m} {p}");
        }
    }

    #[test]
    fn status_mapping() {
        assert_eq!(http_status(&ServiceCode::Success), StatusCode::OK);
        assert_eq!(http_status(&ServiceCode::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            http_status(&ServiceCode::InvalidCaStatus),
            StatusCode::CONFLICT
        );
        assert_eq!(
            http_status(&ServiceCode::AlreadyExistAlias),
            StatusCode::CONFLICT
        );
        assert_eq!(http_status(&ServiceCode::EmptyCsr), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(&ServiceCode::ExceedSigningCount),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            http_status(&ServiceCode::FailCore),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            http_status(&ServiceCode::Other("NEW".into())),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn serial_keys_ignore_case_colons_and_leading_zeros() {
        assert_eq!(pki::serial_key("0A:0b:FF"), pki::serial_key("a0bff"));
        assert_eq!(pki::serial_key("00"), "0");
        assert_eq!(serial_bytes("0a:ff"), Some(vec![0x0a, 0xff]));
        assert_eq!(serial_bytes("zz"), None);
    }

    #[test]
    fn validity_is_clamped_to_the_issuer() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let issuer_end = now + DAY * 10;
        assert_eq!(
            not_after(now, Some(Period::Days(30)), 365, Some(issuer_end)),
            issuer_end
        );
        assert_eq!(
            not_after(now, Some(Period::Max), 365, Some(issuer_end)),
            issuer_end
        );
        assert_eq!(
            not_after(now, Some(Period::Days(5)), 365, Some(issuer_end)),
            now + DAY * 5
        );
        assert_eq!(
            not_after(now, Some(Period::Max), 365, None),
            now + DAY * 3650
        );
        assert_eq!(not_after(now, None, 365, None), now + DAY * 365);
    }

    fn service() -> Service {
        Service::new(
            State::default(),
            None,
            Limits {
                page_size: 20,
                max_cas: 10,
                max_certs_per_ca: 30_000,
                public_url: "http://127.0.0.1:1".to_owned(),
            },
        )
    }

    fn q(text: &str) -> Query {
        Query::parse(Some(text)).unwrap()
    }

    fn create_root(svc: &Service, now: SystemTime) -> String {
        let body = br#"{"alias":"timed","keyType":"EC256","period":"30","x509Parameters":{"commonName":"Timed"}}"#;
        let v = svc
            .handle(Route::CreateCa, &q("caType=PRIVATE_ROOT"), body, now)
            .unwrap();
        v["caInfo"]["caTag"].as_str().unwrap().to_owned()
    }

    #[test]
    fn a_destroying_ca_is_deleted_by_itself_after_72_hours() {
        let svc = service();
        let t0 = SystemTime::now();
        let tag = create_root(&svc, t0);
        svc.handle(
            Route::UpdateCa(tag.clone()),
            &q(""),
            br#"{"status":"DESTROYING"}"#,
            t0,
        )
        .unwrap();
        let h71 = t0 + Duration::from_secs(71 * 3600);
        assert!(
            svc.handle(Route::GetCa(tag.clone()), &q(""), b"", h71)
                .is_ok()
        );
        let h73 = t0 + Duration::from_secs(73 * 3600);
        let e = svc.handle(Route::GetCa(tag), &q(""), b"", h73).unwrap_err();
        assert_eq!(e.code, ServiceCode::NotFound);
    }

    #[test]
    fn an_expired_crl_is_reissued_when_read() {
        let svc = service();
        let t0 = SystemTime::now();
        let tag = create_root(&svc, t0);
        let first = svc
            .handle(Route::GetCaCrl(tag.clone()), &q(""), b"", t0)
            .unwrap();
        let same = svc
            .handle(Route::GetCaCrl(tag.clone()), &q(""), b"", t0 + DAY)
            .unwrap();
        assert_eq!(first, same, "valid for the configured 3 days");
        let later = svc
            .handle(Route::GetCaCrl(tag), &q(""), b"", t0 + DAY * 4)
            .unwrap();
        assert_ne!(first, later, "reissued once expired");
        let der = pem::parse(later.as_str().unwrap()).unwrap().into_contents();
        let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
        assert!(crl.next_update().is_some());
    }

    #[test]
    fn trim_drops_expired_revoked_certificates_from_the_crl() {
        let svc = service();
        let t0 = SystemTime::now();
        let tag = create_root(&svc, t0);
        let body = br#"{"keyType":"EC256","period":"1","x509Parameters":{"commonName":"short"}}"#;
        let issued = svc
            .handle(Route::IssueEndCert(tag.clone()), &q(""), body, t0)
            .unwrap();
        let serial = issued["serialNo"].as_str().unwrap().to_owned();
        svc.handle(
            Route::RevokeEndCert(tag.clone(), serial.clone()),
            &q(""),
            b"",
            t0,
        )
        .unwrap();
        let crl_has = |v: &Value| {
            let der = pem::parse(v.as_str().unwrap()).unwrap().into_contents();
            let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
            crl.iter_revoked_certificates()
                .any(|r| r.raw_serial_as_string() == serial)
        };
        let crl = svc
            .handle(Route::GetCaCrl(tag.clone()), &q(""), b"", t0)
            .unwrap();
        assert!(crl_has(&crl));
        let t2 = t0 + DAY * 2;
        svc.handle(Route::TrimCa(tag.clone()), &q(""), b"", t2)
            .unwrap();
        let crl = svc.handle(Route::GetCaCrl(tag), &q(""), b"", t2).unwrap();
        assert!(!crl_has(&crl), "expired and trimmed");
    }
}
