//! Parsing answers: the `{code, msg, data}` envelope, the gateway's `{"error": {…}}` bodies,
//! non-JSON bodies, and clock-skew detection.

use http::StatusCode;
use http::header::{CONTENT_TYPE, DATE, RETRY_AFTER};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::codes::{GatewayErrorCode, ServiceCode};
use crate::error::{ApiError, ApiErrorKind, ClockSkew, DecodeError, Error, RawBody, snippet};
use crate::lenient::opt_string;
use crate::operation::{Data, Operation};
use crate::signing::Timestamp;

/// The largest difference between our timestamp and the server's clock the gateway accepts.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, deserialize_with = "opt_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    msg: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayError {
    #[serde(default, deserialize_with = "opt_string")]
    error_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    details: Option<String>,
}

fn header(response: &http::Response<Vec<u8>>, name: http::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Parses an answer for operation `O`, signed at `sent_at`.
pub fn parse<O: Operation + ?Sized>(
    response: &http::Response<Vec<u8>>,
    sent_at: Timestamp,
) -> Result<O::Output, Error> {
    if let Some(output) = O::parse_usual(response) {
        return Ok(output);
    }
    let status = response.status();
    let body = response.body();
    // JSON is UTF-8, and `from_slice` does not check the bytes of the fields it skips: an
    // answer is refused whole rather than read in part. An error answer is still read as
    // well as it can be (its status and code decide the retry).
    if status.is_success() {
        if let Err(e) = std::str::from_utf8(body) {
            return Err(Error::from(DecodeError {
                status,
                path: ".".to_owned(),
                message: format!("the body is not UTF-8 text: {e}"),
                body: RawBody(body.clone()),
            }));
        }
    }
    let envelope: Envelope<'_> = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) => return Err(not_json(response, e)),
    };
    if let Some(err) = envelope
        .error
        .filter(|e| e.get().trim_start().starts_with('{'))
    {
        let gw: GatewayError = serde_json::from_str(err.get()).unwrap_or(GatewayError {
            error_code: None,
            message: None,
            details: None,
        });
        let api = api_error(
            response,
            ApiErrorKind::Gateway {
                code: GatewayErrorCode::parse(gw.error_code.as_deref().unwrap_or("")),
                message: gw.message.unwrap_or_default(),
                details: gw.details,
            },
        );
        return Err(with_skew(api, sent_at));
    }
    if let Some(code) = &envelope.code {
        let code = ServiceCode::parse(code.trim());
        if !code.is_success() || !status.is_success() {
            let api = api_error(
                response,
                ApiErrorKind::Service {
                    code,
                    message: envelope.msg.clone().unwrap_or_default(),
                },
            );
            return Err(with_skew(api, sent_at));
        }
    } else if !status.is_success() {
        let api = api_error(
            response,
            ApiErrorKind::Http {
                message: envelope.msg.clone().unwrap_or_else(|| snippet(body)),
            },
        );
        return Err(with_skew(api, sent_at));
    }
    // Older documents describe answers without the envelope: then the body is the data.
    let data = if envelope.code.is_none() && envelope.data.is_none() {
        serde_json::from_slice::<&RawValue>(body).ok()
    } else {
        envelope.data
    };
    O::parse_data(Data::new(data)).map_err(|e| {
        let path = if envelope.code.is_none() && envelope.data.is_none() {
            e.path
        } else if e.path.is_empty() {
            "data".to_owned()
        } else {
            format!("data.{}", e.path)
        };
        Error::from(DecodeError {
            status,
            path: if path.is_empty() {
                ".".to_owned()
            } else {
                path
            },
            message: e.message,
            body: RawBody(body.clone()),
        })
    })
}

#[derive(Deserialize)]
struct UsualEnvelope<T> {
    #[serde(default)]
    code: Option<String>,
    #[serde(default = "Option::default")]
    data: Option<T>,
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

/// Decodes `{"code":"SUCCESS", "data": T}` with HTTP 2xx in one pass; `None` for any other
/// answer (an error, another shape, a number where a string was expected …), which the general
/// parser then reads.
pub fn decode_success<T: serde::de::DeserializeOwned>(
    response: &http::Response<Vec<u8>>,
) -> Option<T> {
    if !response.status().is_success() {
        return None;
    }
    // From a checked `str`: `from_slice` skips the bytes of fields it ignores without checking
    // that they are UTF-8, and the general parser refuses a success answer that is not.
    let text = std::str::from_utf8(response.body()).ok()?;
    let envelope: UsualEnvelope<T> = serde_json::from_str(text).ok()?;
    if envelope.error.is_some() || envelope.code.as_deref() != Some("SUCCESS") {
        return None;
    }
    envelope.data
}

fn api_error(response: &http::Response<Vec<u8>>, kind: ApiErrorKind) -> ApiError {
    ApiError {
        status: response.status(),
        kind,
        date: header(response, DATE),
        retry_after: header(response, RETRY_AFTER),
        body: RawBody(response.body().clone()),
    }
}

fn with_skew(api: ApiError, sent_at: Timestamp) -> Error {
    if api.status == StatusCode::UNAUTHORIZED {
        if let Some(skew) = api.date.as_deref().and_then(|d| clock_skew(d, sent_at)) {
            return Error::ClockSkew {
                skew,
                api: Box::new(api),
            };
        }
    }
    Error::from(api)
}

fn not_json(response: &http::Response<Vec<u8>>, e: serde_json::Error) -> Error {
    let status = response.status();
    if status.is_success() {
        Error::from(DecodeError {
            status,
            path: ".".to_owned(),
            message: format!("the body is not JSON: {e}"),
            body: RawBody(response.body().clone()),
        })
    } else {
        Error::UnexpectedResponse {
            status,
            content_type: header(response, CONTENT_TYPE),
            snippet: snippet(response.body()),
        }
    }
}

/// The skew between a response `Date` header and the timestamp the request was signed with,
/// when it is larger than the gateway's 5-minute tolerance.
pub fn clock_skew(date_header: &str, sent_at: Timestamp) -> Option<ClockSkew> {
    let server = httpdate::parse_http_date(date_header.trim()).ok()?;
    let server = Timestamp::from_system_time(server);
    let offset_ms = sent_at.millis_until(server);
    // `unsigned_abs`: an absurd signing time puts the offset at `i64::MIN`, whose `abs`
    // overflows.
    (offset_ms.unsigned_abs() > MAX_CLOCK_SKEW_MS.unsigned_abs()).then_some(ClockSkew { offset_ms })
}
