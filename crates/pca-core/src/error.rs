//! The one error type of the core, and the pieces it carries.
//!
//! Every variant says whether the request may have reached the server:
//! [`Error::InvalidInput`], [`Error::Credentials`] and [`Error::Endpoint`] are raised before a
//! request exists, so nothing was sent; the other variants describe an answer the server gave.

use std::fmt;

use http::StatusCode;

use crate::answer::AnswerMismatch;
use crate::codes::{GatewayErrorCode, ServiceCode};

/// Every failure the core can report.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input was refused before any request was built. Nothing was sent.
    #[error("invalid input, nothing was sent: {0}")]
    InvalidInput(#[from] InvalidInput),
    /// No usable credentials were found. Nothing was sent.
    #[error("no usable credentials, nothing was sent: {0}")]
    Credentials(#[from] CredentialsError),
    /// The endpoint (site, base URL) is unusable. Nothing was sent.
    #[error("unusable endpoint, nothing was sent: {0}")]
    Endpoint(#[from] EndpointError),
    /// The API gateway or the Private CA service refused the request. The request was received.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The gateway refused the signature and its clock differs from ours by more than the
    /// gateway's tolerance. The request was received and refused; re-signing with the measured
    /// offset fixes it.
    #[error("{skew}; {api}")]
    ClockSkew {
        /// The measured difference between the server's clock and the timestamp we signed.
        skew: ClockSkew,
        /// The refusal itself.
        api: Box<ApiError>,
    },
    /// The answer was not JSON (for example an HTML page from a proxy on a 502).
    #[error("unexpected answer: HTTP {status}, content-type {content_type}: {snippet:?}", content_type = content_type.as_deref().unwrap_or("none"))]
    UnexpectedResponse {
        /// HTTP status of the answer.
        status: StatusCode,
        /// `Content-Type` of the answer, if any.
        content_type: Option<String>,
        /// The start of the body (at most [`SNIPPET_LIMIT`] characters, lossily decoded).
        snippet: String,
    },
    /// The answer was JSON but not in a shape the client understands.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// A signing answer that does not match its request (another key, not a CA, a chain that
    /// does not link, validity outside the period…). The service did issue a certificate: its
    /// serial is in the error; revoke it. Never retried.
    #[error("{0}")]
    AnswerMismatch(Box<AnswerMismatch>),
}

/// Longest body excerpt (in characters) that errors carry for display.
pub const SNIPPET_LIMIT: usize = 512;

impl Error {
    /// `true` when the error was raised before anything was sent.
    pub fn is_before_send(&self) -> bool {
        matches!(
            self,
            Error::InvalidInput(_) | Error::Credentials(_) | Error::Endpoint(_)
        )
    }

    /// The API refusal, if this error is one (including a clock-skew refusal).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) | Error::ClockSkew { api, .. } => Some(api),
            _ => None,
        }
    }

    /// HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) | Error::ClockSkew { api, .. } => Some(api.status),
            Error::UnexpectedResponse { status, .. } => Some(*status),
            Error::Decode(d) => Some(d.status),
            _ => None,
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<AnswerMismatch> for Error {
    fn from(e: AnswerMismatch) -> Self {
        Error::AnswerMismatch(Box::new(e))
    }
}

impl From<Box<AnswerMismatch>> for Error {
    fn from(e: Box<AnswerMismatch>) -> Self {
        Error::AnswerMismatch(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

/// Input refused before a request was built; each variant names the rule that was broken.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    /// A period outside 1..=3650 days, or not a number.
    #[error("period {value:?}: {reason}")]
    Period {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `MAX` as the period of an operation whose documentation does not allow it.
    #[error("period MAX is not allowed for {operation}: give a number of days (1..=3650)")]
    PeriodMaxNotAllowed {
        /// The operation.
        operation: &'static str,
    },
    /// A CA alias that breaks the alias rules (3-15 characters; letters, digits, `-`, `_`;
    /// starting with a letter).
    #[error("alias {value:?}: {reason}")]
    Alias {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key type other than `RSA2048`, `RSA4096`, `EC256`, `EC521`.
    #[error("key type {value:?}: expected one of RSA2048, RSA4096, EC256, EC521")]
    KeyType {
        /// The value given.
        value: String,
    },
    /// A CA type other than `PRIVATE_ROOT`, `PRIVATE_SUB`.
    #[error("CA type {value:?}: expected PRIVATE_ROOT or PRIVATE_SUB")]
    CaType {
        /// The value given.
        value: String,
    },
    /// A CA status that cannot be set (`ACTIVE`, `DEACTIVATED`, `DESTROYING` can).
    #[error("CA status {value:?}: expected ACTIVE, DEACTIVATED or DESTROYING")]
    CaStatus {
        /// The value given.
        value: String,
    },
    /// A text field longer or shorter than the documented limit (counted in characters).
    #[error("{field} is {len} characters long; allowed: {min}..={max}")]
    Length {
        /// Wire name of the field.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// Documented minimum.
        min: usize,
        /// Documented maximum.
        max: usize,
    },
    /// A text field holding a control character (such as a newline).
    #[error("{field} contains a control character")]
    ControlCharacter {
        /// Wire name of the field.
        field: &'static str,
    },
    /// A country that is not a two- or three-letter upper-case code.
    #[error("country {value:?}: expected an ISO 3166 code such as KR or KOR")]
    Country {
        /// The value given.
        value: String,
    },
    /// A DNS name or e-mail subject alternative name that is not well formed.
    #[error("subject alternative name {value:?}: {reason}")]
    AltName {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An IP subject alternative name that is not an IPv4 or IPv6 address.
    #[error("IP address {value:?} is not an IPv4 or IPv6 address")]
    IpAddress {
        /// The value given.
        value: String,
    },
    /// A CA tag that could change the request path or is not a tag.
    #[error("CA tag {value:?}: {reason}")]
    CaTag {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A certificate serial number that is not colon-separated (or plain) hexadecimal.
    #[error("serial number {value:?}: {reason}")]
    SerialNo {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A sub-account ID (`idNo`) that is not 36 characters in the 8-4-4-4-12 layout.
    #[error("sub-account idNo {value:?}: {reason}")]
    IdNo {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A CRL expiry outside 3..=3650 days.
    #[error("CRL expiry {value}: allowed 3..=3650 days")]
    CrlExpiry {
        /// The value given.
        value: u32,
    },
    /// A page number of 0 (pages count from 1).
    #[error("page number 0: pages count from 1")]
    PageNo,
    /// An OCSP responder URL that is not an absolute `https://` URL.
    #[error("OCSP URL {value:?}: {reason}")]
    OcspUrl {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A PEM input that is not one PEM block of the expected kind.
    #[error("{field}: {reason}")]
    Pem {
        /// Wire name of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A PEM block whose DER content is not what its label says (checked by the `x509` module).
    #[error("{field}: the PEM block is not a well-formed {expected}: {reason}")]
    Der {
        /// Wire name of the field.
        field: &'static str,
        /// What the block should hold.
        expected: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// A field that this operation does not take.
    #[error("{field} is not accepted by {operation}")]
    NotAccepted {
        /// Wire name of the field.
        field: &'static str,
        /// The operation.
        operation: &'static str,
    },
    /// A required field was not given to a builder.
    #[error("{field} is required")]
    Missing {
        /// Wire name of the field.
        field: &'static str,
    },
}

/// No usable credentials; says what was looked at.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// No source had credentials.
    #[error("no credentials found; looked at: {}", tried.join("; "))]
    NotFound {
        /// Every source that was looked at, and what was found there.
        tried: Vec<String>,
    },
    /// A source had one key but not the other, or an empty one.
    #[error("{source_name} is incomplete: {missing} is missing or empty")]
    Incomplete {
        /// The source (environment, file and profile).
        source_name: String,
        /// The missing key.
        missing: &'static str,
    },
    /// Two spellings of one environment variable are both set, to different values.
    #[error("{first} and {second} are both set, to different values; unset one of them")]
    Conflict {
        /// The first variable.
        first: &'static str,
        /// The second variable.
        second: &'static str,
    },
    /// The requested profile is not in the configuration file.
    #[error("profile {profile:?} not found in {path} (profiles there: {})", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    ProfileNotFound {
        /// The profile asked for.
        profile: String,
        /// The file looked at.
        path: String,
        /// The profiles the file has.
        available: Vec<String>,
    },
    /// The configuration file is not valid INI.
    #[error("{path} is not a valid configuration file: {message}")]
    ConfigSyntax {
        /// The file.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// The configuration file exists but could not be read.
    #[error("cannot read {path}: {message}")]
    Unreadable {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// A key holds a character that cannot appear in an HTTP header.
    #[error("the access key is not a valid header value (printable ASCII only)")]
    InvalidAccessKey,
    /// Credentials from a provider (such as the metadata service) are not usable.
    #[error("{0}")]
    Provider(String),
}

/// An endpoint that cannot be used.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The base URL is not an absolute URL.
    #[error("endpoint {url:?} is not an absolute http(s) URL: {reason}")]
    InvalidUrl {
        /// The value given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A plain `http://` URL for a host that is not loopback, without explicit permission.
    #[error(
        "endpoint {url:?} uses plain http to a host that is not loopback; use https, or allow insecure http explicitly"
    )]
    InsecureHttp {
        /// The value given.
        url: String,
    },
    /// A site name other than `public` or `gov`.
    #[error("site {site:?}: expected public or gov{hint}", hint = if site.eq_ignore_ascii_case("fin") { " (the financial site has no documented Private CA host: set the endpoint explicitly)" } else { "" })]
    UnknownSite {
        /// The value given.
        site: String,
    },
}

/// A refusal from the API gateway or the Private CA service.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// Who refused and with which code.
    pub kind: ApiErrorKind,
    /// The answer's `Date` header, if any.
    pub date: Option<String>,
    /// The answer's `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The whole body as received.
    pub body: RawBody,
}

impl ApiError {
    /// The gateway's `errorCode`, when the gateway refused.
    pub fn gateway_code(&self) -> Option<&GatewayErrorCode> {
        match &self.kind {
            ApiErrorKind::Gateway { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service's `code`, when the Private CA service refused.
    pub fn service_code(&self) -> Option<&ServiceCode> {
        match &self.kind {
            ApiErrorKind::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The message of the refusal.
    pub fn message(&self) -> &str {
        match &self.kind {
            ApiErrorKind::Gateway { message, .. }
            | ApiErrorKind::Service { message, .. }
            | ApiErrorKind::Http { message } => message,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ApiErrorKind::Gateway {
                code,
                message,
                details,
            } => {
                write!(
                    f,
                    "the API gateway refused the request: HTTP {}, errorCode {} ({message})",
                    self.status,
                    code.as_str()
                )?;
                if let Some(d) = details {
                    write!(f, ": {d}")?;
                }
                Ok(())
            }
            ApiErrorKind::Service { code, message } => write!(
                f,
                "the Private CA service refused the request: HTTP {}, code {} ({message})",
                self.status,
                code.as_str()
            ),
            ApiErrorKind::Http { message } => write!(
                f,
                "the server refused the request: HTTP {} ({message})",
                self.status
            ),
        }
    }
}

impl std::error::Error for ApiError {}

/// Who refused a request, and with which code.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The API gateway (`{"error":{"errorCode","message","details"}}`).
    Gateway {
        /// The gateway's `errorCode`.
        code: GatewayErrorCode,
        /// The gateway's `message`.
        message: String,
        /// The gateway's `details`, when given.
        details: Option<String>,
    },
    /// The Private CA service (`{"code","msg","data"}` with a code other than `SUCCESS`).
    Service {
        /// The envelope's `code`.
        code: ServiceCode,
        /// The envelope's `msg`.
        message: String,
    },
    /// An error status with a JSON body in neither documented shape.
    Http {
        /// A short description taken from the body.
        message: String,
    },
}

/// How far the server's clock is from the timestamp that was signed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSkew {
    /// Server time minus our signed timestamp, in milliseconds (positive: our clock is behind).
    pub offset_ms: i64,
}

impl fmt::Display for ClockSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.offset_ms.unsigned_abs() / 1000;
        let dir = if self.offset_ms >= 0 {
            "behind"
        } else {
            "ahead of"
        };
        write!(
            f,
            "clock skew: the local clock is {secs} s {dir} the server's (the gateway accepts at most 5 minutes)"
        )
    }
}

/// A JSON answer that does not have the documented shape.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the answer (HTTP {status}) at {path}: {message}")]
pub struct DecodeError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// Where in the JSON document decoding failed (for example `data.caChain[1]`).
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// The whole body as received.
    pub body: RawBody,
}

/// A response body kept as received; its `Debug` shows a bounded, lossy excerpt.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct RawBody(pub Vec<u8>);

impl RawBody {
    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// At most [`SNIPPET_LIMIT`] characters of the body.
    pub fn snippet(&self) -> String {
        snippet(&self.0)
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawBody({} bytes: {:?})", self.0.len(), self.snippet())
    }
}

/// At most [`SNIPPET_LIMIT`] characters of `bytes`, lossily decoded, with an ellipsis when cut.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let cut = bytes.len() > SNIPPET_LIMIT * 4;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SNIPPET_LIMIT * 4)]);
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(SNIPPET_LIMIT).collect();
    if cut || chars.next().is_some() {
        out.push('…');
    }
    out
}
