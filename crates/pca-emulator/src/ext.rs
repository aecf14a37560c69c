//! The public PKI endpoints a relying party reaches from the URLs in certificates, in the path
//! shape of NCP's documented OCSP URL (`https://pca.apigw.ntruss.com/ext/{caTag}/ocsp`),
//! without the gateway signature:
//!
//! | request | answer |
//! |---|---|
//! | `GET /ext/{caTag}/crl` | the CA's current CRL, DER, `application/pkix-crl` |
//! | `GET /ext/{caTag}/ca` | the CA certificate, DER, `application/pkix-cert` |
//! | `POST /ext/{caTag}/ocsp` (body: DER `OCSPRequest`) | an RFC 6960 answer, `application/ocsp-response` |
//! | `GET /ext/{caTag}/ocsp/{base64 of the DER request, URL-encoded}` | the same |

use base64::Engine as _;
use http::Method;

/// A public endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExtRoute {
    /// `GET /ext/{caTag}/crl`.
    Crl(String),
    /// `GET /ext/{caTag}/ca`.
    Ca(String),
    /// `POST /ext/{caTag}/ocsp`.
    OcspPost(String),
    /// `GET /ext/{caTag}/ocsp/{request}`: the request, still URL- and base64-encoded.
    OcspGet(String, String),
}

impl ExtRoute {
    /// The endpoint of `method` and `path`; `None` when `path` is not below `/ext/` or names
    /// no endpoint there (a 404).
    pub(crate) fn parse(method: &Method, path: &str) -> Option<Option<ExtRoute>> {
        let rest = path.strip_prefix("/ext/")?;
        let (tag, what) = rest.split_once('/').unwrap_or((rest, ""));
        let tag = tag.to_owned();
        Some(match (method, what) {
            (&Method::GET, "crl") => Some(ExtRoute::Crl(tag)),
            (&Method::GET, "ca") => Some(ExtRoute::Ca(tag)),
            (&Method::POST, "ocsp") => Some(ExtRoute::OcspPost(tag)),
            (&Method::GET, w) => w
                .strip_prefix("ocsp/")
                .filter(|r| !r.is_empty())
                .map(|r| ExtRoute::OcspGet(tag, r.to_owned())),
            _ => None,
        })
    }

    /// The operation name in the request log.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ExtRoute::Crl(_) => "CRL distribution point",
            ExtRoute::Ca(_) => "CA certificate",
            ExtRoute::OcspPost(_) | ExtRoute::OcspGet(..) => "OCSP",
        }
    }
}

/// The DER request of the GET form (RFC 6960 appendix A.1); `None` when it does not decode.
pub(crate) fn ocsp_get_request(encoded: &str) -> Option<Vec<u8>> {
    let text = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .ok()?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim().as_bytes())
        .ok()
}
