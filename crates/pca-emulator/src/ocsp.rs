//! An RFC 6960 OCSP responder's answers, one CA at a time.
//!
//! The messages are RustCrypto's typed ASN.1 structures (`x509-ocsp` on `x509-cert` and `der`):
//! maintained, pure Rust, DER-strict, and shaped exactly like the RFC's modules, so no DER is
//! written by hand here; the CA's key (rcgen) signs the encoded `ResponseData`.

use std::time::{Duration, SystemTime};

use der::asn1::{Any, BitString, Null, OctetString};
use der::oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse,
    Version,
};

use crate::pki::{PkiError, Signer};

const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const ID_PKIX_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// What the CA knows of one serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Issued by the CA and not revoked.
    Good,
    /// Revoked at this time.
    Revoked(SystemTime),
    /// Not issued by this CA.
    Unknown,
}

/// An answer without a signed response: `malformedRequest`, `unauthorized`, ….
pub(crate) fn refusal(status: OcspResponseStatus) -> Vec<u8> {
    OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    .unwrap_or_default()
}

/// A request as received; `None` when it is not a DER `OCSPRequest`.
pub(crate) fn parse(der: &[u8]) -> Option<OcspRequest> {
    let req = OcspRequest::from_der(der).ok()?;
    (!req.tbs_request.request_list.is_empty()).then_some(req)
}

/// The serial numbers the request asks about for the CA of `signer`, as lower-case hex (the
/// others are answered `unknown` without a lookup).
pub(crate) fn serials_for(req: &OcspRequest, signer: &Signer) -> Vec<Option<String>> {
    req.tbs_request
        .request_list
        .iter()
        .map(|r| {
            let id = &r.req_cert;
            let ours = match id.hash_algorithm.oid {
                ID_SHA1 => {
                    Sha1::digest(&signer.name_der).as_slice() == id.issuer_name_hash.as_bytes()
                        && Sha1::digest(&signer.key_bits).as_slice()
                            == id.issuer_key_hash.as_bytes()
                }
                ID_SHA256 => {
                    Sha256::digest(&signer.name_der).as_slice() == id.issuer_name_hash.as_bytes()
                        && Sha256::digest(&signer.key_bits).as_slice()
                            == id.issuer_key_hash.as_bytes()
                }
                _ => false,
            };
            ours.then(|| {
                id.serial_number
                    .as_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
        })
        .collect()
}

fn time(t: SystemTime) -> Result<OcspGeneralizedTime, PkiError> {
    // DER GeneralizedTime holds whole seconds.
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    der::DateTime::from_unix_duration(Duration::from_secs(secs))
        .map(OcspGeneralizedTime::from)
        .map_err(|e| PkiError(format!("OCSP time: {e}")))
}

/// The signed `successful` answer to `req`: one `SingleResponse` per request with `statuses`
/// (in the request's order), the nonce echoed when the request has one, signed by the CA.
pub(crate) fn respond(
    req: &OcspRequest,
    statuses: &[Status],
    signer: &Signer,
    now: SystemTime,
    next_update: SystemTime,
) -> Result<Vec<u8>, PkiError> {
    let asn1 = |e: der::Error| PkiError(format!("OCSP encoding: {e}"));
    let this_update = time(now)?;
    let next_update = time(next_update)?;
    let responses = req
        .tbs_request
        .request_list
        .iter()
        .zip(statuses)
        .map(|(r, status)| {
            Ok(SingleResponse {
                cert_id: r.req_cert.clone(),
                cert_status: match status {
                    Status::Good => CertStatus::good(),
                    Status::Revoked(at) => CertStatus::revoked(RevokedInfo {
                        revocation_time: time(*at)?,
                        revocation_reason: None,
                    }),
                    Status::Unknown => CertStatus::unknown(),
                },
                this_update,
                next_update: Some(next_update),
                single_extensions: None,
            })
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    let nonce: Vec<_> = req
        .tbs_request
        .request_extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
        .cloned()
        .collect();
    let data = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByKey(
            OctetString::new(Sha1::digest(&signer.key_bits).to_vec()).map_err(asn1)?,
        ),
        produced_at: this_update,
        responses,
        response_extensions: (!nonce.is_empty()).then_some(nonce),
    };
    let tbs = data.to_der().map_err(asn1)?;
    let (signature, oid, null_params) = signer.sign_bytes(&tbs)?;
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new(oid).map_err(|e| PkiError(e.to_string()))?,
            parameters: if null_params {
                Some(Any::encode_from(&Null).map_err(asn1)?)
            } else {
                None
            },
        },
        signature: BitString::from_bytes(&signature).map_err(asn1)?,
        certs: None,
    };
    OcspResponse {
        response_status: OcspResponseStatus::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: ID_PKIX_OCSP_BASIC,
            response: OctetString::new(basic.to_der().map_err(asn1)?).map_err(asn1)?,
        }),
    }
    .to_der()
    .map_err(asn1)
}
