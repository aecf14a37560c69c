//! The Private CA service behind the gateway: the 24 operations over the state.
//!
//! Split by concern and by group: [`route`] (which operation), [`input`] (parsing and
//! validation), [`render`] (answer shapes), and one module per operation group ([`cas`],
//! [`signing`], [`crl`], [`users`]), each an `impl Service` block. This module holds the
//! service itself: its state lock, the commit of every change, and the dispatch.

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

mod cas;
mod crl;
mod input;
mod render;
mod route;
mod signing;
mod users;

use cas::*;
use crl::*;
pub(crate) use input::Query;
use input::*;
use render::*;
pub(crate) use route::Route;
use signing::*;

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
