//! Server-role credentials of NCP VMs, as the metadata service hands them out: the pure part
//! (URLs and parsing). The transports do the fetching.
//!
//! `GET {base}/latest/meta-data/iam/security-credentials/` lists the role names, one per line;
//! `GET {base}/latest/meta-data/iam/security-credentials/{role}` answers
//! `{"AccessKeyId": "…", "SecretAccessKey": "…", "Expiration": "2026-01-01T00:00:00Z"}`.
//! `Expiration` is read as RFC 3339 (`Z` or a numeric offset, optional fraction) or as epoch
//! milliseconds.

use serde::Deserialize;

use crate::credentials::Credentials;
use crate::error::CredentialsError;
use crate::signing::Timestamp;

/// The metadata service's base URL on NCP VMs.
pub const METADATA_BASE_URL: &str = "http://169.254.169.254";
/// The path listing the server's roles, below the base URL.
pub const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// The URL listing the roles, below `base` (for example [`METADATA_BASE_URL`]).
pub fn roles_url(base: &str) -> String {
    format!("{}{ROLES_PATH}", base.trim_end_matches('/'))
}

/// The URL of the credentials of `role`, below `base`.
pub fn credentials_url(base: &str, role: &str) -> String {
    format!("{}{ROLES_PATH}{}", base.trim_end_matches('/'), role.trim())
}

/// The first role name of a role listing, if any.
pub fn first_role(listing: &str) -> Option<&str> {
    listing.lines().map(str::trim).find(|l| !l.is_empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    expiration: Option<serde_json::Value>,
}

/// Parses the answer for `role` into credentials that expire at its `Expiration`.
pub fn parse_credentials(role: &str, body: &[u8]) -> Result<Credentials, CredentialsError> {
    let source = format!("NCP metadata service, server role {role:?}");
    let wire: Wire = serde_json::from_slice(body).map_err(|e| {
        CredentialsError::Provider(format!(
            "{source}: the answer is not the expected JSON: {e}"
        ))
    })?;
    let access = wire.access_key_id.unwrap_or_default();
    let secret = wire.secret_access_key.unwrap_or_default();
    if access.trim().is_empty() {
        return Err(CredentialsError::Incomplete {
            source_name: source,
            missing: "AccessKeyId",
        });
    }
    if secret.trim().is_empty() {
        return Err(CredentialsError::Incomplete {
            source_name: source,
            missing: "SecretAccessKey",
        });
    }
    let credentials = Credentials::new(access, secret)?.with_source(source.clone());
    match wire.expiration {
        None | Some(serde_json::Value::Null) => Ok(credentials),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .map(|ms| {
                credentials
                    .clone()
                    .with_expiry(Timestamp::from_unix_millis(ms))
            })
            .ok_or_else(|| CredentialsError::Provider(format!("{source}: Expiration {n}"))),
        Some(serde_json::Value::String(s)) => parse_rfc3339(&s)
            .map(|t| credentials.with_expiry(t))
            .ok_or_else(|| {
                CredentialsError::Provider(format!(
                    "{source}: Expiration {s:?} is not an RFC 3339 time"
                ))
            }),
        Some(other) => Err(CredentialsError::Provider(format!(
            "{source}: Expiration {other} is not a time"
        ))),
    }
}

/// Reads an RFC 3339 time such as `2026-01-01T00:00:00Z` or `2026-01-01T09:00:00.5+09:00`.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        let mut digits = frac.chars().chain(std::iter::repeat('0')).take(3);
        for _ in 0..3 {
            millis = millis * 10 + i64::from(digits.next()?.to_digit(10)?);
        }
    }
    let offset_min = match s.get(i..)? {
        "Z" | "z" => 0,
        // Bytes, not `str` slices: the metadata service's text may hold any character, and
        // a slice that cuts one in two would panic.
        tz if tz.len() == 6
            && matches!(tz.as_bytes()[0], b'+' | b'-')
            && tz.as_bytes()[3] == b':' =>
        {
            let two = |r: std::ops::Range<usize>| -> Option<i64> {
                let t = tz.get(r)?;
                t.bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| t.parse().ok())?
            };
            let (h, m) = (two(1..3)?, two(4..6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let v = h * 60 + m;
            if tz.as_bytes()[0] == b'-' { -v } else { v }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    let ms = secs.checked_mul(1000)?.checked_add(millis)?;
    u64::try_from(ms).ok().map(Timestamp::from_unix_millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00Z"),
            Some(Timestamp::from_unix_millis(0))
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20Z"),
            Some(Timestamp::from_unix_millis(1_700_000_000_000))
        );
        assert_eq!(
            parse_rfc3339("2023-11-15T07:13:20.250+09:00"),
            Some(Timestamp::from_unix_millis(1_700_000_000_250))
        );
        assert_eq!(parse_rfc3339("2023-11-14"), None);
        assert_eq!(parse_rfc3339("2023-13-14T22:13:20Z"), None);
    }

    #[test]
    fn parses_role_credentials() {
        let body = br#"{"AccessKeyId":"AK","SecretAccessKey":"very-secret","Expiration":"2023-11-14T22:13:20Z"}"#;
        let c = parse_credentials("role-a", body).unwrap();
        assert_eq!(c.access_key(), "AK");
        assert_eq!(
            c.expires_at(),
            Some(Timestamp::from_unix_millis(1_700_000_000_000))
        );
        assert!(!format!("{c:?}").contains("very-secret"));
        let err = parse_credentials("role-a", br#"{"AccessKeyId":"AK"}"#).unwrap_err();
        assert!(matches!(err, CredentialsError::Incomplete { .. }));
        assert_eq!(first_role("\n role-a \nrole-b\n"), Some("role-a"));
        assert_eq!(
            credentials_url("http://127.0.0.1:1/", "r"),
            "http://127.0.0.1:1/latest/meta-data/iam/security-credentials/r"
        );
    }
}
