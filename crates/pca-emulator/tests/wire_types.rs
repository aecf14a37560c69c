//! The JSON type of every answer field, checked against the field tables of NAVER's API
//! reference: every field typed Long is a JSON number, every String a string. Where the
//! references disagree the emulator's documented choice is checked (see the crate docs).

mod common;

use common::{Client, start};
use serde_json::Value;

#[derive(Debug, Clone, Copy)]
enum T {
    /// A JSON integer.
    Long,
    /// A JSON integer or null (a date that is not set).
    LongOrNull,
    Str,
    StrArray,
    Null,
}

fn check(v: &Value, fields: &[(&str, T)], what: &str) {
    for (pointer, t) in fields {
        let got = v
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{what}: no {pointer} in {v}"));
        let ok = match t {
            T::Long => got.is_i64() || got.is_u64(),
            T::LongOrNull => got.is_i64() || got.is_u64() || got.is_null(),
            T::Str => got.is_string(),
            T::StrArray => got
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            T::Null => got.is_null(),
        };
        assert!(ok, "{what}: {pointer} should be {t:?}, is {got}");
    }
}

/// CaInfo and CaCertInfo (§5 of the reference) below `at`.
fn ca_fields(at: &str) -> Vec<(String, T)> {
    let info = [
        ("signingCount", T::Long),
        ("caType", T::Str),
        ("caId", T::Long),
        // Documented "String (timestamp)", numbers in the swagger and old Update CA doc: the
        // emulator's choice is a number (epoch milliseconds), like every other date.
        ("statusUpdateDate", T::Long),
        ("destroyDate", T::LongOrNull),
        ("alias", T::Str),
        ("memo", T::Str),
        ("nrn", T::Str),
        ("urlInfo/ocsp", T::StrArray),
        ("urlInfo/crl", T::StrArray),
        ("urlInfo/ca", T::StrArray),
        ("caTag", T::Str),
        ("rgstDate", T::Long),
        ("status", T::Str),
    ];
    let cert = [
        ("commonName", T::Str),
        ("country", T::Str),
        ("issuerName", T::Str),
        ("notAfterDate", T::Long),
        ("notBeforeDate", T::Long),
        ("publicKeyAlgorithm", T::Str),
        ("signatureAlgorithm", T::Str),
        ("serialNo", T::Str),
        ("caCertId", T::Long),
        ("locality", T::Str),
        ("stateProvince", T::Str),
        ("organization", T::Str),
        ("organizationUnit", T::Str),
        ("certPem", T::Str),
        ("chainPem", T::Str),
    ];
    info.iter()
        .map(|(f, t)| (format!("{at}/caInfo/{f}"), *t))
        .chain(
            cert.iter()
                .map(|(f, t)| (format!("{at}/caCertInfo/{f}"), *t)),
        )
        .collect()
}

fn check_ca(v: &Value, at: &str, what: &str) {
    let fields = ca_fields(at);
    let fields: Vec<(&str, T)> = fields.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    check(v, &fields, what);
}

const SIGN_RESULT: &[(&str, T)] = &[
    ("/certificate", T::Str),
    ("/caChain", T::StrArray),
    ("/ocspResponder", T::Str),
    ("/issuer", T::Str),
    ("/serialNo", T::Str),
];

const SUBJECT: &str = r#"{"commonName":"Wire Root","country":"KR","locality":"Pangyo","stateProvince":"Gyeonggi","organization":"Org","organizationUnit":"Unit"}"#;

#[test]
fn every_answer_field_has_its_documented_json_type() {
    let emu = start();
    let c = Client::new(&emu);
    let created = c.data(
        "POST",
        "/api/v1/ca?caType=PRIVATE_ROOT",
        &format!(r#"{{"alias":"wire-root","memo":"m","keyType":"EC256","period":"MAX","x509Parameters":{SUBJECT}}}"#),
    );
    check_ca(&created, "", "Create CA");
    let tag = created["caInfo"]["caTag"].as_str().unwrap().to_owned();
    let ca = format!("/api/v1/ca/{tag}");

    let list = c.data("GET", "/api/v1/ca", "");
    check(
        &list,
        &[
            ("/totalCnt", T::Long),
            ("/totalPageNo", T::Long),
            ("/currentPageNo", T::Long),
        ],
        "Get CA List",
    );
    check_ca(&list, "/caInfoList/0", "Get CA List");
    check_ca(&c.data("GET", &ca, ""), "", "Get CA");
    check(
        &c.data("GET", &format!("{ca}/chain"), ""),
        &[("", T::Str)],
        "Get CA Chain",
    );
    check(
        &c.data("GET", &format!("{ca}/crl"), ""),
        &[("", T::Str)],
        "Get CA CRL",
    );
    check(
        &c.data("GET", &format!("{ca}/crl/config"), ""),
        &[("/expiry", T::Str)],
        "Get CRL Config",
    );
    check(
        &c.data("PUT", &format!("{ca}/crl/config"), r#"{"expiry":"5"}"#),
        &[("/expiry", T::Str)],
        "Update CRL Config",
    );
    for (method, target, what) in [
        ("POST", format!("{ca}/crl/rotate"), "Rotate CRL"),
        ("POST", format!("{ca}/trim"), "Trim CA"),
        ("DELETE", format!("{ca}/urls"), "Delete OCSP"),
    ] {
        check(&c.data(method, &target, ""), &[("", T::Null)], what);
    }
    check(
        &c.data(
            "PUT",
            &format!("{ca}/urls"),
            &format!(r#"{{"ocsp_servers":"https://pca.apigw.ntruss.com/ext/{tag}/ocsp"}}"#),
        ),
        &[("", T::Null)],
        "Create OCSP",
    );

    // A pending sub CA: its CSR, signed by the root (Sign Sub CSR), activated.
    let sub = c.data(
        "POST",
        "/api/v1/ca?caType=PRIVATE_SUB",
        &format!(
            r#"{{"alias":"wire-sub","keyType":"EC256","period":"MAX","x509Parameters":{SUBJECT}}}"#
        ),
    );
    let sub_tag = sub["caInfo"]["caTag"].as_str().unwrap().to_owned();
    let csr = c.data("GET", &format!("/api/v1/ca/{sub_tag}/sub/csr"), "");
    check(&csr, &[("/csrPem", T::Str)], "Get Sub CSR");
    let signed = c.data(
        "POST",
        &format!("{ca}/sub/sign"),
        &serde_json::json!({"period": "30", "csrPem": csr["csrPem"]}).to_string(),
    );
    check(&signed, SIGN_RESULT, "Sign Sub CSR");
    let activated = c.data(
        "POST",
        &format!("/api/v1/ca/{sub_tag}/activate"),
        &serde_json::json!({
            "certPem": signed["certificate"],
            "caChainPem": signed["caChain"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join("\n"),
        })
        .to_string(),
    );
    check_ca(&activated, "", "Activate Sub CA");

    let issued = c.data(
        "POST",
        &format!("{ca}/cert"),
        r#"{"keyType":"EC256","x509Parameters":{"commonName":"wire.internal"}}"#,
    );
    check(
        &issued,
        &[
            ("/privateKey", T::Str),
            ("/certificate", T::Str),
            // String here (reference and swagger), an array in the signing answers.
            ("/caChain", T::Str),
            ("/ocspResponder", T::Str),
            ("/issuer", T::Str),
            ("/serialNo", T::Str),
        ],
        "Issue End Cert",
    );
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "leaf.internal");
    let leaf_csr = params.serialize_request(&key).unwrap().pem().unwrap();
    let leaf = c.data(
        "POST",
        &format!("{ca}/cert/sign"),
        &serde_json::json!({ "csrPem": leaf_csr }).to_string(),
    );
    check(&leaf, SIGN_RESULT, "Sign End CSR");
    let serial = leaf["serialNo"].as_str().unwrap().to_owned();
    check(
        &c.data("GET", &format!("{ca}/cert"), ""),
        &[
            ("/totalCnt", T::Long),
            ("/listCerts", T::StrArray),
            ("/totalPageNo", T::Long),
            ("/currentPageNo", T::Long),
        ],
        "Get End Cert List",
    );
    check(
        &c.data("GET", &format!("{ca}/cert/{serial}"), ""),
        &[
            ("/commonName", T::Str),
            ("/notAfterDate", T::Long),
            ("/notBeforeDate", T::Long),
            ("/publicKeyAlgorithm", T::Str),
            ("/certPem", T::Str),
            ("/caChain", T::Str),
            ("/ocspResponder", T::Str),
            ("/signatureAlgorithm", T::Str),
            ("/serialNo", T::Str),
        ],
        "Get End Cert",
    );
    check(
        &c.data("POST", &format!("{ca}/cert/{serial}/revoke"), ""),
        &[("", T::Null)],
        "Revoke End Cert",
    );

    let id = "6e4c1234-abcd-ef01-2345-67890abc9baa";
    check(
        &c.data(
            "POST",
            &format!("{ca}/users"),
            &format!(r#"{{"idNo":"{id}"}}"#),
        ),
        &[("", T::Null)],
        "Add CA User",
    );
    check(
        &c.data("GET", &format!("{ca}/users"), ""),
        // mbrNo: Long in the reference, String in NAVER's generated client; the emulator's
        // choice is the client's (a string of digits).
        &[
            ("/0/loginId", T::Str),
            ("/0/mbrNo", T::Str),
            ("/0/idNo", T::Str),
        ],
        "Get CA User List",
    );
    check(
        &c.data("DELETE", &format!("{ca}/users/{id}"), ""),
        &[("", T::Null)],
        "Delete CA User",
    );

    // Update CA: data.caInfo (with caCertInfo) and data.destroyDate, as the current docs say.
    let destroying = c.data("PUT", &ca, r#"{"status":"DESTROYING"}"#);
    check_ca(&destroying, "", "Update CA");
    check(&destroying, &[("/destroyDate", T::Long)], "Update CA");
    assert_eq!(
        destroying["destroyDate"],
        destroying["caInfo"]["destroyDate"]
    );
    let back = c.data("PUT", &ca, r#"{"status":"ACTIVE"}"#);
    check(&back, &[("/destroyDate", T::Null)], "Update CA (cancel)");
    c.data("PUT", &ca, r#"{"status":"DESTROYING"}"#);
    check(&c.data("DELETE", &ca, ""), &[("", T::Null)], "Delete CA");
}
