//! The API gateway in front of the service: signature v2 checks and the gateway's own errors.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};
use pca_core::signing::{
    ACCESS_KEY_HEADER, SIGNATURE_HEADER, SIGNATURE_HEADER_V1, TIMESTAMP_HEADER, Timestamp,
    string_to_sign, verify_signature,
};
use pca_core::{GatewayErrorCode, SecretKey};
use serde_json::json;

/// A refusal by the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GatewayError {
    pub(crate) code: GatewayErrorCode,
    pub(crate) details: String,
}

impl GatewayError {
    pub(crate) fn new(code: GatewayErrorCode, details: impl Into<String>) -> Self {
        GatewayError {
            code,
            details: details.into(),
        }
    }

    /// The HTTP status of the refusal.
    pub(crate) fn status(&self) -> StatusCode {
        self.code
            .documented_status()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The body `{"error":{"errorCode","message","details"}}`.
    pub(crate) fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "error": {
                "errorCode": self.code.as_str(),
                "message": self.code.documented_message().unwrap_or("Unexpected Error"),
                "details": self.details,
            }
        }))
        .unwrap_or_default()
    }
}

/// The access keys the gateway knows, with their secrets.
pub(crate) struct Keys {
    keys: HashMap<String, SecretKey>,
    dummy: SecretKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_keys", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Keys {
    pub(crate) fn new(pairs: impl IntoIterator<Item = (String, SecretKey)>) -> Self {
        Keys {
            keys: pairs.into_iter().collect(),
            dummy: SecretKey::new("not-a-key: used to spend the same time on unknown keys"),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Checks the signature headers of a request to `request_uri` (path and query as received).
pub(crate) fn authenticate(
    keys: &Keys,
    method: &Method,
    request_uri: &str,
    headers: &HeaderMap,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), GatewayError> {
    let auth = |details: &str| GatewayError::new(GatewayErrorCode::AuthenticationFailed, details);
    let (Some(ts), Some(access_key), Some(sig)) = (
        header(headers, TIMESTAMP_HEADER),
        header(headers, ACCESS_KEY_HEADER),
        header(headers, SIGNATURE_HEADER).or_else(|| header(headers, SIGNATURE_HEADER_V1)),
    ) else {
        return Err(auth("Authentication information are missing."));
    };
    let ms: u64 = match ts.parse() {
        Ok(ms) if ts.bytes().all(|b| b.is_ascii_digit()) => ms,
        _ => return Err(auth("Invalid timestamp: expected epoch milliseconds.")),
    };
    let ts = Timestamp::from_unix_millis(ms);
    let skew = Timestamp::from_system_time(now)
        .millis_until(ts)
        .unsigned_abs();
    if u128::from(skew) > max_skew.as_millis() {
        return Err(auth(
            "Invalid timestamp: it differs from the gateway's time by more than allowed.",
        ));
    }
    let sts = string_to_sign(method, request_uri, ts, access_key);
    let (secret, known) = match keys.keys.get(access_key) {
        Some(s) => (s, true),
        None => (&keys.dummy, false),
    };
    let ok = verify_signature(secret, &sts, sig);
    if ok && known {
        Ok(())
    } else {
        Err(auth("Invalid authentication information."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ts: &str, key: &str, sig_name: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(TIMESTAMP_HEADER, ts.parse().unwrap());
        h.insert(ACCESS_KEY_HEADER, key.parse().unwrap());
        h.insert(
            http::HeaderName::from_bytes(sig_name.as_bytes()).unwrap(),
            sig.parse().unwrap(),
        );
        h
    }

    fn keys() -> Keys {
        Keys::new([(
            "test-access-key".to_owned(),
            SecretKey::new("test-secret-key"),
        )])
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    const FIVE_MIN: Duration = Duration::from_secs(300);

    #[test]
    fn accepts_the_documented_vectors_in_either_header() {
        // Vectors of PCA-API.md §3 (secret `test-secret-key`, ts 1700000000000).
        for (method, uri, sig) in [
            (
                "GET",
                "/api/v1/ca?pageNo=1",
                "qKTh5cO6VCokwnSdptweDFr4Y4JAzYh3TqjfaUhVVoE=",
            ),
            (
                "POST",
                "/api/v1/ca?caType=PRIVATE_ROOT",
                "Be87EW0d8X1Kog/ABjnqB4iwSz0tpBU8XJvHTiP8Yv0=",
            ),
            (
                "POST",
                "/api/v1/ca/12345678-abcdefg/sub/sign",
                "XsZtuSe3y01WBrai/t//EjQoyLF1oXp28Viu6z60eOw=",
            ),
        ] {
            for name in [SIGNATURE_HEADER, SIGNATURE_HEADER_V1] {
                let h = headers("1700000000000", "test-access-key", name, sig);
                authenticate(
                    &keys(),
                    &method.parse().unwrap(),
                    uri,
                    &h,
                    at(1_700_000_000_000),
                    FIVE_MIN,
                )
                .unwrap_or_else(|e| panic!("{method} {uri}: {e:?}"));
            }
        }
    }

    #[test]
    fn refuses_a_signature_over_another_path_and_old_times() {
        // The documented "wrong: no prefix" vector does not pass for the prefixed path.
        let h = headers(
            "1700000000000",
            "test-access-key",
            SIGNATURE_HEADER,
            "kUDkJq3hroXV9CPDCeTSgcQg9d0KJNiu15wWq1HCm7k=",
        );
        let e = authenticate(
            &keys(),
            &Method::POST,
            "/api/v1/ca/12345678-abcdefg/sub/sign",
            &h,
            at(1_700_000_000_000),
            FIVE_MIN,
        )
        .unwrap_err();
        assert_eq!(e.code, GatewayErrorCode::AuthenticationFailed);
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        let h = headers(
            "1700000000000",
            "test-access-key",
            SIGNATURE_HEADER,
            "qKTh5cO6VCokwnSdptweDFr4Y4JAzYh3TqjfaUhVVoE=",
        );
        let just_inside = at(1_700_000_000_000 + 300_000);
        assert!(
            authenticate(
                &keys(),
                &Method::GET,
                "/api/v1/ca?pageNo=1",
                &h,
                just_inside,
                FIVE_MIN
            )
            .is_ok()
        );
        let just_outside = at(1_700_000_000_000 + 300_001);
        assert!(
            authenticate(
                &keys(),
                &Method::GET,
                "/api/v1/ca?pageNo=1",
                &h,
                just_outside,
                FIVE_MIN
            )
            .is_err()
        );
    }

    #[test]
    fn error_body_has_the_gateway_shape() {
        let e = GatewayError::new(GatewayErrorCode::NotFound, "URL not found.");
        let v: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(
            v,
            json!({"error": {"errorCode": "300", "message": "Not Found Exception", "details": "URL not found."}})
        );
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
    }
}
