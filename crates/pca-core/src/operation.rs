//! What every operation is: a typed value that builds its signed request and parses its answer.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::answer::AnswerMismatch;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::response;
use crate::signing::{Timestamp, sign_request};

/// How safe an operation is to send again.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Safety {
    /// Reads state (GET): safe to repeat.
    Read,
    /// Sets state to a given value (PUT, DELETE): repeating it leaves the same state.
    Idempotent,
    /// Changes state in a way that repeating would repeat (a POST that is not issuing).
    NotIdempotent,
    /// Creates a CA or a certificate: a repeat would create a second one. Never resent.
    Issuing,
}

impl Safety {
    /// `true` for operations that may be retried after the request may have been executed.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Safety::Read | Safety::Idempotent)
    }
}

/// The fixed facts of an operation: its name, HTTP method, path template and safety.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperationInfo {
    /// The documented name, e.g. `Sign Sub CSR`.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The documented path template below the API prefix, e.g. `/ca/{caTag}/sub/sign`.
    pub path_template: &'static str,
    /// How safe it is to repeat.
    pub safety: Safety,
}

impl OperationInfo {
    /// `true` when sending this operation twice could create a second CA or certificate.
    pub const fn is_issuing(&self) -> bool {
        matches!(self.safety, Safety::Issuing)
    }
}

/// One Private CA operation.
///
/// A value of an operation type is valid by construction: its constructor or builder checked
/// every input, so [`Operation::build_request`] fails only on credentials that cannot go into
/// a header.
pub trait Operation {
    /// What a successful answer is parsed into.
    type Output;

    /// The operation's fixed facts.
    const INFO: OperationInfo;

    /// The path and query below the API prefix, percent-encoded, e.g. `/ca?caType=PRIVATE_ROOT`.
    fn path_and_query(&self) -> String;

    /// The JSON body, if the operation sends one.
    fn body(&self) -> Option<Vec<u8>> {
        None
    }

    /// Parses the `data` member of a successful answer.
    fn parse_data(data: Data<'_>) -> Result<Self::Output, DataError>;

    /// An optional one-pass decoder for the usual answer: HTTP 2xx, `code` `SUCCESS`, `data` of
    /// the documented shape. `None` means "use the general parser", which gives the same
    /// output, and the precise error when there is one. Operations whose answers are large
    /// (the signing ones) implement it with [`response::decode_success`] to avoid reading the
    /// body twice.
    fn parse_usual(_response: &http::Response<Vec<u8>>) -> Option<Self::Output> {
        None
    }

    /// The signed request, ready to send: URL of `endpoint`, body, `Content-Type` and
    /// `Accept: application/json`, and the signature v2 headers for `timestamp`.
    fn build_request(
        &self,
        endpoint: &Endpoint,
        credentials: &Credentials,
        timestamp: Timestamp,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        build_request(
            Self::INFO.method,
            &self.path_and_query(),
            self.body(),
            endpoint,
            credentials,
            timestamp,
        )
    }

    /// Checks a parsed answer against this request, at `now` (see [`crate::answer`]).
    ///
    /// The signing operations (Sign Sub CSR, Sign End CSR, Issue End Cert) check their answer
    /// with the `x509` feature; every other operation, and every operation without the feature,
    /// accepts any answer. The clients call it before they return an answer, unless answer
    /// checks are turned off on their builder.
    fn check_answer(
        &self,
        _output: &Self::Output,
        _now: Timestamp,
    ) -> Result<(), Box<AnswerMismatch>> {
        Ok(())
    }

    /// Parses the answer to a request signed at `sent_at` (used to detect clock skew).
    fn parse_response(
        response: &http::Response<Vec<u8>>,
        sent_at: Timestamp,
    ) -> Result<Self::Output, Error> {
        response::parse::<Self>(response, sent_at)
    }
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Builds and signs a request for an operation path (below the endpoint's prefix).
pub fn build_request(
    method: Method,
    path_and_query: &str,
    body: Option<Vec<u8>>,
    endpoint: &Endpoint,
    credentials: &Credentials,
    timestamp: Timestamp,
) -> Result<http::Request<Vec<u8>>, Error> {
    let target = endpoint.request_target(path_and_query);
    let url = endpoint.url(&target);
    let mut request = http::Request::new(body.unwrap_or_default());
    *request.method_mut() = method;
    *request.uri_mut() = url.parse().map_err(|e: http::uri::InvalidUri| {
        crate::error::EndpointError::InvalidUrl {
            url,
            reason: e.to_string(),
        }
    })?;
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, JSON);
    headers.insert(ACCEPT, JSON);
    sign_request(&mut request, credentials, timestamp)?;
    Ok(request)
}

/// The `data` member of a successful answer, not yet decoded.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    raw: Option<&'a RawValue>,
}

impl<'a> Data<'a> {
    pub(crate) fn new(raw: Option<&'a RawValue>) -> Self {
        Data { raw }
    }

    /// `true` when `data` is absent or `null`.
    pub fn is_null(&self) -> bool {
        self.raw.is_none_or(|r| r.get().trim() == "null")
    }

    /// The raw JSON text of `data` (`null` when absent).
    pub fn json(&self) -> &'a str {
        self.raw.map(RawValue::get).unwrap_or("null")
    }

    /// Decodes `data` into `T`, reporting the field path of a failure; absent or `null` data is
    /// an error.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        if self.is_null() {
            return Err(DataError {
                path: String::new(),
                message: "missing or null".to_owned(),
            });
        }
        // Decode without tracking the path first; on failure decode again to learn where.
        if let Ok(value) = serde_json::from_str(self.json()) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_str(self.json());
        serde_path_to_error::deserialize(&mut de).map_err(|e| DataError {
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        })
    }

    /// Decodes `data` into `T`, or `T::default()` when it is absent or `null`.
    pub fn decode_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, DataError> {
        if self.is_null() {
            return Ok(T::default());
        }
        self.decode()
    }

    /// Accepts any `data` (for operations that answer `null`).
    pub fn ignore(&self) -> Result<(), DataError> {
        Ok(())
    }
}

/// Why `data` could not be decoded: the path below `data` and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// Path below `data` (`caChain[1]`), empty for `data` itself.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl DataError {
    /// An error at `path` below `data`.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        DataError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A percent-encoded query string built from name/value pairs (`a=1&b=2`), empty for none.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut s = String::new();
    for (name, value) in pairs {
        s.push(if s.is_empty() { '?' } else { '&' });
        s.push_str(name);
        s.push('=');
        s.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    s
}

/// Serializes an operation body; bodies are plain structs of strings, which always serialize.
pub(crate) fn json_body<T: serde::Serialize>(body: &T) -> Vec<u8> {
    serde_json::to_vec(body)
        .unwrap_or_else(|e| unreachable!("request bodies always serialize: {e}"))
}
