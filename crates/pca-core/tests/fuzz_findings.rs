//! What fuzzing found, kept fixed: each finding with the input that showed it.

use pca_core::operations::{GetCa, SignEndCsr, SignSubCsr};
use pca_core::{CredentialsError, Error, Operation, Timestamp};

const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn response(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    b.body(body).unwrap()
}

/// A 401 with a sane `Date`, for a request signed at an absurd time: the offset is
/// `i64::MIN` before saturation, whose `abs` overflowed (a panic in debug builds, a wrong
/// answer in release).
#[test]
fn an_absurd_signing_time_is_clock_skew_not_an_overflow() {
    let date = httpdate::fmt_http_date(NOW.to_system_time());
    let body = br#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#.to_vec();
    let answer = response(401, &[("date", &date)], body);
    for signed_at in [
        Timestamp::from_unix_millis(u64::MAX),
        Timestamp::from_unix_millis(0),
    ] {
        match GetCa::parse_response(&answer, signed_at) {
            Err(Error::ClockSkew { skew, .. }) => {
                assert_eq!(skew.offset_ms, signed_at.millis_until(NOW));
                assert_ne!(skew.offset_ms, i64::MIN);
                // Its message is still readable.
                assert!(skew.to_string().contains("clock skew"));
            }
            other => panic!("{signed_at}: {other:?}"),
        }
    }
    let far = Timestamp::from_unix_millis(u64::MAX);
    let zero = Timestamp::from_unix_millis(0);
    assert_eq!(zero.millis_until(far), i64::MAX);
    assert_eq!(far.millis_until(zero), -i64::MAX);
}

/// An `Expiration` from the metadata service whose offset holds a multi-byte character where
/// a sign or a colon belongs: slicing the text there panicked, in the credential provider.
#[test]
fn a_non_ascii_expiration_is_an_error_not_a_panic() {
    for expiration in [
        "2026-01-01T00:00:00é1:00",
        "2026-01-01T00:00:00+01é0",
        "2026-01-01T00:00:00+é:00",
        "2026-01-01T00:00:00.5é1:00",
        "2026-01-01T00:00:00+-1:00",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+01:60",
        "2026-01-01T00:00:00🙂",
    ] {
        let body = serde_json::json!({
            "AccessKeyId": "AK",
            "SecretAccessKey": "very-secret",
            "Expiration": expiration,
        });
        let err = pca_core::server_role::parse_credentials("role", body.to_string().as_bytes())
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::Provider(_)),
            "{expiration}: {err:?}"
        );
        assert!(!err.to_string().contains("very-secret"));
    }
    // The offsets it must read still read.
    let ok = serde_json::json!({
        "AccessKeyId": "AK",
        "SecretAccessKey": "very-secret",
        "Expiration": "2023-11-15T07:13:20+09:00",
    });
    let c = pca_core::server_role::parse_credentials("role", ok.to_string().as_bytes()).unwrap();
    assert_eq!(c.expires_at(), Some(NOW));
}

fn signing_answer(chain: &[String]) -> serde_json::Value {
    serde_json::json!({
        "code": "SUCCESS",
        "msg": "Success",
        "data": {
            "certificate": "-----BEGIN CERTIFICATE-----\nTEVBRg==\n-----END CERTIFICATE-----",
            "caChain": chain,
            "issuer": "-----BEGIN CERTIFICATE-----\nSVNTVUVS\n-----END CERTIFICATE-----",
            "serialNo": "01",
        }
    })
}

/// A Sign Sub CSR answer with 60,000 `caChain` entries (under the 4 MiB body cap) took
/// seconds when each entry was compared with every one before it. The work per entry is
/// counted in the chain module's unit tests; here the answer of that size parses, with its
/// duplicates, blanks and copies of the leaf removed and the order kept.
#[test]
fn a_chain_of_60000_entries_is_deduplicated_in_order() {
    let distinct = 30_000;
    let mut chain: Vec<String> = (0..distinct)
        .map(|i| format!("-----BEGIN CERTIFICATE-----\nC{i:05}\n-----END CERTIFICATE-----"))
        .collect();
    chain.extend_from_within(..);
    chain.push(String::new());
    chain.push("-----BEGIN CERTIFICATE-----\nTEVBRg==\n-----END CERTIFICATE-----".to_owned());
    let body = serde_json::to_vec(&signing_answer(&chain)).unwrap();
    assert!(body.len() < 4 * 1024 * 1024, "{} bytes", body.len());
    let signed = SignSubCsr::parse_response(&response(200, &[], body), NOW).unwrap();
    let pem = signed.chain_pem();
    let blocks: Vec<&str> = pem.matches("-----BEGIN CERTIFICATE-----\n").collect();
    // The issuer first, then each distinct entry once.
    assert_eq!(blocks.len(), distinct + 1);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nSVNTVUVS\n"));
    let first = pem.find("\nC00000\n").unwrap();
    let last = pem.find(&format!("\nC{:05}\n", distinct - 1)).unwrap();
    assert!(first < last);
    assert!(
        !pem.contains("TEVBRg=="),
        "the leaf is not part of its chain"
    );
}

/// A signing answer holding bytes that are not UTF-8 in a field nobody reads: the one-pass
/// decoder of the signing answers skipped them unchecked and accepted the body, which the
/// general parser refused when they stood in `data`. Both refuse such a success answer now,
/// wherever the bytes stand.
#[test]
fn a_signing_answer_that_is_not_utf8_is_refused_by_every_parser() {
    let good = serde_json::to_vec(&signing_answer(&[])).unwrap();
    assert!(SignSubCsr::parse_response(&response(200, &[], good.clone()), NOW).is_ok());
    // `{"x":"\xff",` in front of the envelope's fields, and the same in the data.
    let mut in_envelope = b"{\"x\":\"\xff\",".to_vec();
    in_envelope.extend_from_slice(&good[1..]);
    let text = String::from_utf8(good).unwrap();
    let in_data = text
        .replacen("\"data\":{", "\"data\":{\"x\":\"\u{1}\",", 1)
        .into_bytes();
    let in_data: Vec<u8> = {
        // Replace the placeholder control character with a lone continuation byte.
        let mut b = in_data;
        let at = b.iter().position(|&c| c == 1).unwrap();
        b[at] = 0x80;
        b
    };
    for body in [in_envelope, in_data] {
        let answer = response(200, &[], body);
        let sub = SignSubCsr::parse_response(&answer, NOW);
        let end = SignEndCsr::parse_response(&answer, NOW);
        assert!(
            matches!(sub, Err(Error::Decode(_))),
            "Sign Sub CSR: {sub:?}"
        );
        assert!(
            matches!(end, Err(Error::Decode(_))),
            "Sign End CSR: {end:?}"
        );
        let general = pca_core::__private::parse::<SignSubCsr>(&answer, NOW);
        assert!(
            matches!(general, Err(Error::Decode(_))),
            "general: {general:?}"
        );
    }
}
