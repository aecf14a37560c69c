//! API Gateway signature v2.
//!
//! ```text
//! stringToSign = METHOD + " " + REQUEST_URI + "\n" + TIMESTAMP + "\n" + ACCESS_KEY
//! signature    = Base64(HMAC-SHA256(secretKey, stringToSign))
//! ```
//!
//! `REQUEST_URI` is the request target exactly as sent: the path including `/api/v1`, plus `?`
//! and the query when there is one. The body and the other headers are not signed.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::{HeaderName, HeaderValue, Method};
use sha2::Sha256;

use crate::credentials::{Credentials, SecretKey};
use crate::error::{CredentialsError, Error};

/// Header carrying the signing time in epoch milliseconds.
pub const TIMESTAMP_HEADER: &str = "x-ncp-apigw-timestamp";
/// Header carrying the access key.
pub const ACCESS_KEY_HEADER: &str = "x-ncp-iam-access-key";
/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-ncp-apigw-signature-v2";
/// The header name NAVER's own Go client uses for the same signature (accepted by the gateway).
pub const SIGNATURE_HEADER_V1: &str = "x-ncp-apigw-signature-v1";

// The same names as `HeaderName`s, made at compile time (inserting by `&str` parses the name).
const TIMESTAMP_NAME: HeaderName = HeaderName::from_static(TIMESTAMP_HEADER);
const ACCESS_KEY_NAME: HeaderName = HeaderName::from_static(ACCESS_KEY_HEADER);
const SIGNATURE_NAME: HeaderName = HeaderName::from_static(SIGNATURE_HEADER);

/// A point in time as Unix epoch milliseconds: the signing time and every time the core reasons
/// about. The core never reads the clock; callers pass a `Timestamp` in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// A timestamp from Unix epoch milliseconds.
    pub const fn from_unix_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    /// Unix epoch milliseconds.
    pub const fn as_unix_millis(self) -> u64 {
        self.0
    }

    /// The timestamp of a `SystemTime` (times before 1970 become 0). Reads no clock.
    pub fn from_system_time(t: SystemTime) -> Self {
        let ms = t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        Timestamp(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// This timestamp as a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0)
    }

    /// This timestamp moved by `offset_ms` (saturating).
    pub fn offset_by(self, offset_ms: i64) -> Self {
        Timestamp(self.0.saturating_add_signed(offset_ms))
    }

    /// `other - self` in milliseconds, saturating at `±i64::MAX` (never `i64::MIN`, so that
    /// its `abs` cannot overflow).
    pub fn millis_until(self, other: Timestamp) -> i64 {
        let d = i128::from(other.0) - i128::from(self.0);
        i64::try_from(d.clamp(-i128::from(i64::MAX), i128::from(i64::MAX))).unwrap_or(0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The string to sign for `method` and `request_uri` (path and query exactly as sent).
pub fn string_to_sign(
    method: &Method,
    request_uri: &str,
    timestamp: Timestamp,
    access_key: &str,
) -> String {
    let mut s =
        String::with_capacity(method.as_str().len() + request_uri.len() + access_key.len() + 24);
    s.push_str(method.as_str());
    s.push(' ');
    s.push_str(request_uri);
    s.push('\n');
    push_decimal(&mut s, timestamp.0);
    s.push('\n');
    s.push_str(access_key);
    s
}

/// Appends the decimal digits of `n` (what `n.to_string()` gives, without the allocation).
fn push_decimal(s: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.extend(digits[start..].iter().map(|&d| char::from(d)));
}

fn mac(secret: &SecretKey, message: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message.as_bytes());
    mac
}

/// Base64(HMAC-SHA256(secret, string_to_sign)).
pub fn signature(secret: &SecretKey, string_to_sign: &str) -> String {
    STANDARD.encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Length of a standard Base64 HMAC-SHA256 value (32 bytes).
const SIGNATURE_B64_LEN: usize = 44;

/// [`signature`] as a header value, encoded on the stack.
fn signature_header_value(secret: &SecretKey, string_to_sign: &str) -> HeaderValue {
    let mut b64 = [0u8; SIGNATURE_B64_LEN];
    let len = STANDARD
        .encode_slice(
            mac(secret, string_to_sign).finalize().into_bytes(),
            &mut b64,
        )
        .unwrap_or_else(|_| unreachable!("32 bytes encode to 44 Base64 characters"));
    HeaderValue::from_bytes(&b64[..len])
        .unwrap_or_else(|_| unreachable!("standard Base64 is a valid header value"))
}

/// Checks a Base64 signature against `string_to_sign`, in constant time.
pub fn verify_signature(secret: &SecretKey, string_to_sign: &str, signature_b64: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    mac(secret, string_to_sign).verify_slice(&given).is_ok()
}

/// The headers signature v2 adds to a request.
#[derive(Clone)]
pub struct SignatureHeaders {
    /// `x-ncp-apigw-timestamp`.
    pub timestamp: HeaderValue,
    /// `x-ncp-iam-access-key` (marked sensitive).
    pub access_key: HeaderValue,
    /// `x-ncp-apigw-signature-v2` (marked sensitive).
    pub signature: HeaderValue,
}

impl fmt::Debug for SignatureHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureHeaders")
            .field("timestamp", &self.timestamp)
            .field("access_key", &self.access_key)
            .field("signature", &self.signature)
            .finish()
    }
}

/// Computes the three signature headers for `method` and `request_uri`.
pub fn signature_headers(
    method: &Method,
    request_uri: &str,
    timestamp: Timestamp,
    credentials: &Credentials,
) -> Result<SignatureHeaders, Error> {
    let sts = string_to_sign(method, request_uri, timestamp, credentials.access_key());
    let mut access_key = HeaderValue::from_str(credentials.access_key())
        .map_err(|_| CredentialsError::InvalidAccessKey)?;
    access_key.set_sensitive(true);
    let mut signature = signature_header_value(credentials.secret_key(), &sts);
    signature.set_sensitive(true);
    Ok(SignatureHeaders {
        timestamp: HeaderValue::from(timestamp.0),
        access_key,
        signature,
    })
}

/// Signs `request` in place: computes the signature over its method and request target and sets
/// the three signature headers (replacing any that were there).
pub fn sign_request<B>(
    request: &mut http::Request<B>,
    credentials: &Credentials,
    timestamp: Timestamp,
) -> Result<(), Error> {
    let uri = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let h = signature_headers(request.method(), uri, timestamp, credentials)?;
    let headers = request.headers_mut();
    headers.insert(TIMESTAMP_NAME, h.timestamp);
    headers.insert(ACCESS_KEY_NAME, h.access_key);
    headers.insert(SIGNATURE_NAME, h.signature);
    Ok(())
}
