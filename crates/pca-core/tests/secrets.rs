//! No secret appears in `Debug` or `Display` of credentials, configuration, signed requests,
//! answers holding private keys, or any error.

use pca_core::credentials::{ConfigFile, from_env_vars, resolve};
use pca_core::operations::{IssueEndCert, SignSubCsr};
use pca_core::{
    Credentials, Endpoint, Error, Operation, Period, SecretKey, Timestamp, X509Parameters,
};

const SECRET: &str = "S3cr3t-K3y-that-must-never-leak";
const PRIVATE_KEY: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC-never-leak";
const TS: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn assert_clean(label: &str, text: &str) {
    assert!(
        !text.contains(SECRET),
        "{label} shows the secret key: {text}"
    );
    assert!(
        !text.contains(PRIVATE_KEY),
        "{label} shows the private key: {text}"
    );
}

fn both<T: std::fmt::Debug + std::fmt::Display>(label: &str, v: &T) {
    assert_clean(label, &format!("{v:?}"));
    assert_clean(label, &format!("{v:#?}"));
    assert_clean(label, &format!("{v}"));
}

#[test]
fn credentials_and_configuration_never_show_the_secret() {
    let creds = Credentials::new("AK123", SECRET).unwrap();
    assert_clean("Credentials", &format!("{creds:?} {creds:#?}"));
    assert!(format!("{creds:?}").contains("AK123"));
    both("SecretKey", &SecretKey::new(SECRET));
    assert_eq!(creds.secret_key().expose_secret(), SECRET);

    let env = |k: &str| match k {
        "NCLOUD_ACCESS_KEY" => Some("AK123".to_owned()),
        "NCLOUD_SECRET_KEY" => Some(SECRET.to_owned()),
        _ => None,
    };
    let from_env = from_env_vars(&env).unwrap().unwrap();
    assert_clean("env credentials", &format!("{from_env:?}"));

    let file =
        format!("[DEFAULT]\nncloud_access_key_id = AK123\nncloud_secret_access_key = {SECRET}\n");
    let parsed = ConfigFile::parse("/home/u/.ncloud/configure", &file).unwrap();
    assert_clean("ConfigFile", &format!("{parsed:?} {parsed:#?}"));
    let creds = resolve(&|_| None, None, Some(&file), None).unwrap();
    assert_clean("file credentials", &format!("{creds:?}"));
}

#[test]
fn signed_requests_mark_keys_sensitive_and_never_show_the_secret() {
    let creds = Credentials::new("AK123", SECRET).unwrap();
    let op = SignSubCsr::new(
        "a1b2c3d4",
        Period::days(10).unwrap(),
        include_str!("data/sub-ca.csr.pem"),
    )
    .unwrap();
    let request = op.build_request(&Endpoint::default(), &creds, TS).unwrap();
    let shown = format!("{request:?} {request:#?} {op:?}");
    assert_clean("signed request", &shown);
    let signature = request.headers()["x-ncp-apigw-signature-v2"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !shown.contains(&signature),
        "the signature is shown: {shown}"
    );
    assert!(!shown.contains("AK123"), "the access key is shown: {shown}");
    assert!(request.headers()["x-ncp-apigw-signature-v2"].is_sensitive());
    assert!(request.headers()["x-ncp-iam-access-key"].is_sensitive());
}

#[test]
fn issued_private_keys_are_redacted() {
    let body = serde_json::json!({
        "code": "SUCCESS", "msg": "Success",
        "data": {
            "privateKey": format!("-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY}\n-----END PRIVATE KEY-----"),
            "certificate": "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----",
        }
    });
    let resp = http::Response::builder()
        .status(200)
        .body(body.to_string().into_bytes())
        .unwrap();
    let issued = IssueEndCert::parse_response(&resp, TS).unwrap();
    assert_clean("IssuedCertificate", &format!("{issued:?} {issued:#?}"));
    assert!(issued.private_key.expose_secret().contains(PRIVATE_KEY));
}

/// One value of every error variant, from the real code paths where one exists.
fn every_error() -> Vec<Error> {
    let creds = Credentials::new("AK123", SECRET).unwrap();
    let mut errors: Vec<Error> = Vec::new();
    errors.push(
        SignSubCsr::new("a/b", Period::Max, SECRET)
            .unwrap_err()
            .into(),
    );
    errors.push(
        SignSubCsr::new("ab", Period::days(1).unwrap(), SECRET)
            .unwrap_err()
            .into(),
    );
    errors.push(
        IssueEndCert::builder()
            .ca_tag("ab")
            .x509_parameters(X509Parameters::new(""))
            .build()
            .unwrap_err()
            .into(),
    );
    errors.push(Credentials::new("AK123", "").unwrap_err().into());
    errors.push(Credentials::new("bad key\n", SECRET).unwrap_err().into());
    errors.push(
        resolve(
            &|k| (k == "NCLOUD_SECRET_KEY").then(|| SECRET.to_owned()),
            None,
            None,
            None,
        )
        .unwrap_err()
        .into(),
    );
    errors.push(
        resolve(
            &|k| match k {
                "NCLOUD_SECRET_KEY" => Some(SECRET.to_owned()),
                "NCLOUD_SECRET_ACCESS_KEY" => Some(format!("{SECRET}-other")),
                "NCLOUD_ACCESS_KEY" => Some("AK".to_owned()),
                _ => None,
            },
            None,
            None,
            None,
        )
        .unwrap_err()
        .into(),
    );
    errors.push(
        ConfigFile::parse("f", &format!("[p]\nncloud_secret_access_key={SECRET}\n"))
            .unwrap()
            .credentials("p")
            .unwrap_err()
            .into(),
    );
    errors.push(
        ConfigFile::parse("f", &format!("[p]\nncloud_secret_access_key={SECRET}\n"))
            .unwrap()
            .credentials("missing")
            .unwrap_err()
            .into(),
    );
    errors.push(Endpoint::parse("http://example.com").unwrap_err().into());
    errors.push("fin".parse::<pca_core::Site>().unwrap_err().into());
    let answers: [(u16, &str, Option<String>); 6] = [
        (
            401,
            r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#,
            None,
        ),
        (
            401,
            r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#,
            Some(httpdate::fmt_http_date(
                TS.offset_by(3_600_000).to_system_time(),
            )),
        ),
        (400, r#"{"code":"INVALID_INPUT","msg":"bad"}"#, None),
        (502, "<html>bad gateway</html>", None),
        (200, r#"{"code":"SUCCESS","data":{"caChain":[1]}}"#, None),
        (500, r#"{"error":"Internal Server Error"}"#, None),
    ];
    for (status, body, date) in answers {
        let mut b = http::Response::builder().status(status);
        if let Some(d) = date {
            b = b.header("date", d);
        }
        let resp = b.body(body.as_bytes().to_vec()).unwrap();
        errors.push(SignSubCsr::parse_response(&resp, TS).unwrap_err());
    }
    // The request that led to these errors was signed with the secret, which it does not
    // carry: not in its `Debug`, not in a header value, not in its body.
    let request = SignSubCsr::new(
        "ab",
        Period::days(1).unwrap(),
        include_str!("data/sub-ca.csr.pem"),
    )
    .unwrap()
    .build_request(&Endpoint::default(), &creds, TS)
    .unwrap();
    assert_clean("the signed request", &format!("{request:?} {request:#?}"));
    let holds_secret = |bytes: &[u8]| bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes());
    for (name, value) in request.headers() {
        assert!(
            !holds_secret(value.as_bytes()),
            "header {name} holds the secret"
        );
    }
    assert!(!holds_secret(request.body()), "the body holds the secret");
    // It is signed with it: another secret gives another signature.
    let other = Credentials::new("AK123", "another-secret").unwrap();
    let resigned = SignSubCsr::new(
        "ab",
        Period::days(1).unwrap(),
        include_str!("data/sub-ca.csr.pem"),
    )
    .unwrap()
    .build_request(&Endpoint::default(), &other, TS)
    .unwrap();
    let signature = |r: &http::Request<Vec<u8>>| r.headers()["x-ncp-apigw-signature-v2"].clone();
    assert_ne!(signature(&request), signature(&resigned));
    errors
}

#[test]
fn no_error_variant_shows_a_secret() {
    let errors = every_error();
    let mut kinds = Vec::new();
    for e in &errors {
        both("Error", e);
        let d = std::mem::discriminant(e);
        if !kinds.contains(&d) {
            kinds.push(d);
        }
    }
    // InvalidInput, Credentials, Endpoint, Api, ClockSkew, UnexpectedResponse, Decode.
    assert_eq!(kinds.len(), 7, "{errors:#?}");
}
