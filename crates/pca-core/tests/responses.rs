//! Answers: the envelope, the gateway's error bodies, non-JSON bodies, clock skew, and the
//! leniency the documents' disagreements call for.

use http::StatusCode;
use pca_core::operations::*;
use pca_core::{ApiErrorKind, CaState, Error, GatewayErrorCode, Operation, ServiceCode, Timestamp};

const TS: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const ROOT: &str = include_str!("data/root.pem");
const INTERMEDIATE: &str = include_str!("data/intermediate.pem");
const LEAF: &str = include_str!("data/leaf.pem");

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn ok(data: serde_json::Value) -> http::Response<Vec<u8>> {
    let body = serde_json::json!({"code": "SUCCESS", "msg": "Success", "data": data});
    response(200, &body.to_string())
}

#[test]
fn ca_chain_as_array_or_string() {
    let array = SignSubCsr::parse_response(
        &ok(serde_json::json!({"certificate": LEAF, "caChain": [INTERMEDIATE, ROOT]})),
        TS,
    )
    .unwrap();
    let string = SignSubCsr::parse_response(
        &ok(serde_json::json!({"certificate": LEAF, "caChain": format!("{INTERMEDIATE}{ROOT}")})),
        TS,
    )
    .unwrap();
    assert_eq!(array.ca_chain, string.ca_chain);
    assert_eq!(array.ca_chain.len(), 2);
}

#[test]
fn chain_is_ordered_issuer_first_root_last_without_blanks_or_duplicates() {
    // The service's order is reversed, with a blank entry, a duplicate with CRLF line ends,
    // the leaf itself, and the issuer given separately too.
    let data = serde_json::json!({
        "certificate": LEAF,
        "caChain": [ROOT, "", "  ", INTERMEDIATE.replace('\n', "\r\n"), LEAF, ROOT],
        "issuer": INTERMEDIATE,
        "serialNo": "01",
    });
    let signed = SignSubCsr::parse_response(&ok(data), TS).unwrap();
    assert_eq!(signed.ca_chain, vec![INTERMEDIATE.trim(), ROOT.trim()]);
    assert_eq!(signed.root(), Some(ROOT.trim()));
    assert_eq!(
        signed.full_chain_pem(),
        format!(
            "{}\n{}\n{}\n",
            LEAF.trim(),
            INTERMEDIATE.trim(),
            ROOT.trim()
        )
    );
    assert_eq!(
        signed.chain_pem(),
        format!("{}\n{}\n", INTERMEDIATE.trim(), ROOT.trim())
    );
}

#[cfg(feature = "x509")]
#[test]
fn x509_view_of_returned_certificates() {
    use pca_core::CertificateInfo;
    let leaf = CertificateInfo::from_pem(LEAF).unwrap();
    assert_eq!(leaf.subject, "CN=api.example.internal");
    assert_eq!(leaf.issuer, "O=Example Corp, CN=Example Intermediate CA");
    assert!(!leaf.is_ca);
    assert_eq!(leaf.dns_names, vec!["api.example.internal"]);
    assert_eq!(leaf.ip_addresses, vec!["10.0.0.1"]);
    assert!(leaf.not_after > leaf.not_before);
    assert!(leaf.serial.contains(':'));
    let root = CertificateInfo::from_pem(ROOT).unwrap();
    assert!(root.is_ca && root.self_issued);
    let signed = SignSubCsr::parse_response(
        &ok(serde_json::json!({"certificate": LEAF, "caChain": [ROOT, INTERMEDIATE]})),
        TS,
    )
    .unwrap();
    assert_eq!(signed.certificate_info().unwrap(), leaf);
    let chain: Vec<String> = signed
        .chain_info()
        .unwrap()
        .into_iter()
        .map(|c| c.subject)
        .collect();
    assert_eq!(
        chain,
        [
            "O=Example Corp, CN=Example Intermediate CA",
            "O=Example Corp, CN=Example Root CA"
        ]
    );
    let all = CertificateInfo::all_from_pem(&format!("{INTERMEDIATE}{ROOT}")).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].is_ca && !all[0].self_issued);
    assert!(
        CertificateInfo::from_pem("-----BEGIN CERTIFICATE-----\n{x}\n-----END CERTIFICATE-----")
            .is_err()
    );
}

#[test]
fn dates_as_numbers_or_strings_and_numbers_as_strings() {
    let data = serde_json::json!({
        "caInfo": {
            "caTag": "t1", "caId": 7, "signingCount": "12", "status": "PENDING",
            "statusUpdateDate": 1721105212000u64, "destroyDate": "1721450812000",
            "rgstDate": "2024-07-16 13:46:52", "someNewField": {"x": 1}
        },
        "caCertInfo": {"notAfterDate": "2036465242000", "caCertId": "99", "serialNo": 1234}
    });
    let ca = GetCa::parse_response(&ok(data), TS).unwrap();
    assert_eq!(ca.info.ca_id.as_deref(), Some("7"));
    assert_eq!(ca.info.signing_count, Some(12));
    assert_eq!(ca.info.status, Some(CaState::Pending));
    assert_eq!(
        ca.info.status_update_date.unwrap().unix_millis(),
        Some(1_721_105_212_000)
    );
    assert_eq!(
        ca.info.destroy_date.unwrap().unix_millis(),
        Some(1_721_450_812_000)
    );
    let rgst = ca.info.rgst_date.unwrap();
    assert_eq!(rgst.unix_millis(), None);
    assert_eq!(rgst.to_string(), "2024-07-16 13:46:52");
    let cert = ca.cert.unwrap();
    assert_eq!(
        cert.not_after_date.unwrap().unix_millis(),
        Some(2_036_465_242_000)
    );
    assert_eq!(cert.serial_no.as_deref(), Some("1234"));
}

#[test]
fn update_ca_flat_or_nested() {
    let flat = serde_json::json!({
        "signingCount": 0, "caType": "PRIVATE_ROOT", "caId": 1, "alias": "CA002",
        "caTag": "t1", "status": "DEACTIVATED", "destroyDate": null
    });
    let nested = serde_json::json!({
        "caInfo": {"signingCount": 0, "caType": "PRIVATE_ROOT", "caId": 1, "alias": "CA002",
                   "caTag": "t1", "status": "DEACTIVATED"},
        "destroyDate": null
    });
    let a = UpdateCa::parse_response(&ok(flat), TS).unwrap();
    let b = UpdateCa::parse_response(&ok(nested), TS).unwrap();
    assert_eq!(a.info, b.info);
    assert_eq!(a.info.status, Some(CaState::Deactivated));
    // An answer with no data at all is an empty record, not an error.
    let c = UpdateCa::parse_response(&ok(serde_json::Value::Null), TS).unwrap();
    assert_eq!(c.info.status, None);
}

#[test]
fn mbr_no_or_mdr_no_as_number_or_string() {
    let users = GetCaUserList::parse_response(
        &ok(serde_json::json!([
            {"loginId": "a", "mbrNo": 2761234, "idNo": "x"},
            {"loginId": "b", "mdrNo": "2765678", "idNo": "y"},
            {"loginId": "c", "idNo": "z"}
        ])),
        TS,
    )
    .unwrap();
    let nos: Vec<Option<&str>> = users.iter().map(|u| u.mbr_no.as_deref()).collect();
    assert_eq!(nos, vec![Some("2761234"), Some("2765678"), None]);
}

#[test]
fn lists_with_counts_as_strings_and_null_lists() {
    let list = GetEndCertList::parse_response(
        &ok(serde_json::json!({"totalCnt": "0", "listCerts": null, "totalPageNo": "0"})),
        TS,
    )
    .unwrap();
    assert_eq!(list.total_count, Some(0));
    assert!(list.serials.is_empty());
    let cas = GetCaList::parse_response(&ok(serde_json::json!({"caInfoList": null})), TS).unwrap();
    assert!(cas.cas.is_empty());
}

#[test]
fn answers_without_the_envelope_are_read_as_data() {
    // Older documents describe the body without `{code, msg, data}`.
    let body = serde_json::json!({"expiry": 7}).to_string();
    let config = GetCrlConfig::parse_response(&response(200, &body), TS).unwrap();
    assert_eq!(config.expiry_days, Some(7));
}

#[test]
fn crl_config_without_a_crl_is_empty() {
    let config = GetCrlConfig::parse_response(&ok(serde_json::Value::Null), TS).unwrap();
    assert_eq!(config.expiry_days, None);
}

#[test]
fn service_error_codes_known_and_unknown() {
    let known = response(
        400,
        r#"{"code":"INVALID_INPUT_PERIOD","msg":"period is invalid","data":null}"#,
    );
    let err = SignSubCsr::parse_response(&known, TS).unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.service_code(), Some(&ServiceCode::InvalidInputPeriod));
    assert_eq!(api.message(), "period is invalid");
    assert_eq!(
        api.body.text(),
        r#"{"code":"INVALID_INPUT_PERIOD","msg":"period is invalid","data":null}"#
    );
    assert!(err.to_string().contains("INVALID_INPUT_PERIOD"));

    let unknown = response(200, r#"{"code":"BRAND_NEW_CODE","msg":"m"}"#);
    let err = GetCa::parse_response(&unknown, TS).unwrap_err();
    assert_eq!(
        err.api_error().unwrap().service_code(),
        Some(&ServiceCode::Other("BRAND_NEW_CODE".to_owned()))
    );
    // Every code of the generated client's enum round-trips as typed.
    for code in ServiceCode::KNOWN {
        let parsed = ServiceCode::parse(code);
        assert!(!matches!(parsed, ServiceCode::Other(_)), "{code}");
        assert_eq!(parsed.as_str(), *code);
    }
    assert_eq!(ServiceCode::KNOWN.len(), 73);
}

#[test]
fn gateway_errors_with_code_as_string_or_number() {
    for body in [
        r#"{"error":{"errorCode":"210","message":"Permission Denied","details":"A subscription to the API is required."}}"#,
        r#"{"error":{"errorCode":210,"message":"Permission Denied","details":"A subscription to the API is required."}}"#,
    ] {
        let err = GetCa::parse_response(&response(401, body), TS).unwrap_err();
        let api = err.api_error().unwrap();
        assert_eq!(
            api.gateway_code(),
            Some(&GatewayErrorCode::PermissionDenied)
        );
        assert!(
            matches!(&api.kind, ApiErrorKind::Gateway { details: Some(d), .. } if d.contains("subscription"))
        );
        assert_eq!(
            err.to_string(),
            "the API gateway refused the request: HTTP 401 Unauthorized, errorCode 210 (Permission Denied): A subscription to the API is required."
        );
    }
    let not_found = GetCa::parse_response(
        &response(404, r#"{"error":{"errorCode":"300","message":"Not Found Exception","details":"URL not found."}}"#),
        TS,
    )
    .unwrap_err();
    assert_eq!(
        not_found.api_error().unwrap().gateway_code(),
        Some(&GatewayErrorCode::NotFound)
    );
    assert_eq!(GatewayErrorCode::NotFound.documented_status(), Some(404));
}

#[test]
fn html_error_pages_are_a_typed_error_with_a_bounded_snippet() {
    let html = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(5000)
    );
    let resp = http::Response::builder()
        .status(502)
        .header("content-type", "text/html")
        .body(html.into_bytes())
        .unwrap();
    let err = SignSubCsr::parse_response(&resp, TS).unwrap_err();
    match &err {
        Error::UnexpectedResponse {
            status,
            content_type,
            snippet,
        } => {
            assert_eq!(*status, StatusCode::BAD_GATEWAY);
            assert_eq!(content_type.as_deref(), Some("text/html"));
            assert!(snippet.starts_with("<html><body><h1>502 Bad Gateway"));
            assert!(snippet.chars().count() <= pca_core::error::SNIPPET_LIMIT + 1);
            assert!(snippet.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    let empty = GetCa::parse_response(&response(503, ""), TS).unwrap_err();
    assert!(matches!(empty, Error::UnexpectedResponse { .. }));
}

#[test]
fn undecodable_success_answers_name_the_field() {
    let err = SignSubCsr::parse_response(
        &ok(serde_json::json!({"certificate": "c", "caChain": [1, 2]})),
        TS,
    )
    .unwrap_err();
    match err {
        Error::Decode(d) => {
            assert_eq!(d.path, "data.caChain[0]");
            assert_eq!(d.status, StatusCode::OK);
            assert!(d.body.text().contains("caChain"));
        }
        other => panic!("{other:?}"),
    }
    let err = SignSubCsr::parse_response(&ok(serde_json::json!({"caChain": []})), TS).unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.path == "data.certificate"),
        "{err:?}"
    );
    let err = GetCa::parse_response(&response(200, "{not json"), TS).unwrap_err();
    assert!(matches!(&err, Error::Decode(d) if d.path == "."), "{err:?}");
    let err = GetSubCsr::parse_response(&ok(serde_json::Value::Null), TS).unwrap_err();
    assert!(
        matches!(&err, Error::Decode(d) if d.path == "data"),
        "{err:?}"
    );
}

#[test]
fn a_401_with_a_distant_date_is_clock_skew_with_the_offset() {
    let date = httpdate::fmt_http_date(TS.offset_by(-10 * 60 * 1000).to_system_time());
    let resp = http::Response::builder()
        .status(401)
        .header("date", &date)
        .body(br#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#.to_vec())
        .unwrap();
    let err = GetCa::parse_response(&resp, TS).unwrap_err();
    match &err {
        Error::ClockSkew { skew, api } => {
            assert_eq!(skew.offset_ms, -600_000);
            assert_eq!(
                api.gateway_code(),
                Some(&GatewayErrorCode::AuthenticationFailed)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("600 s ahead of the server's"));

    // Within tolerance, the refusal is a plain authentication failure.
    let date = httpdate::fmt_http_date(TS.offset_by(60 * 1000).to_system_time());
    let resp = http::Response::builder()
        .status(401)
        .header("date", &date)
        .body(br#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#.to_vec())
        .unwrap();
    assert!(matches!(
        GetCa::parse_response(&resp, TS).unwrap_err(),
        Error::Api(_)
    ));
}

#[test]
fn non_success_status_with_success_code_is_still_an_error() {
    let err =
        GetCa::parse_response(&response(500, r#"{"code":"SUCCESS","msg":"?"}"#), TS).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    let err = GetCa::parse_response(
        &response(
            500,
            r#"{"timestamp":"2024","status":500,"error":"Internal Server Error"}"#,
        ),
        TS,
    )
    .unwrap_err();
    assert!(matches!(
        err.api_error().unwrap().kind,
        ApiErrorKind::Http { .. }
    ));
}
