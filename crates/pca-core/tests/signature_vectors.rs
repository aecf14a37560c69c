//! Golden signature v2 vectors (`tests/vectors/signature/<case>/`), every stage checked on its
//! own: the string to sign, the signature, `verify_signature` (true for the vector, false for any
//! flipped byte), the signature headers; the negative cases; and the PCA vectors reproduced
//! through the real request path (`Operation::build_request`).

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, Method};
use pca_core::operations::{CreateCa, GetCaList, GetEndCert, SignSubCsr};
use pca_core::signing::{
    ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_request, signature,
    signature_headers, string_to_sign, verify_signature,
};
use pca_core::{
    CaType, Credentials, Endpoint, KeyType, Operation, Period, SecretKey, Timestamp, X509Parameters,
};

/// Every case folder; a folder added or removed without updating this list fails the suite.
const EXPECTED_CASES: &[&str] = &[
    "01-naverapi-post-mails",
    "02-naverapi-post-files",
    "03-happygallery-post-mails",
    "03n-negative-full-url",
    "pca-01-get-ca-list",
    "pca-02-get-ca-list-page-1",
    "pca-03-create-ca-root",
    "pca-04-sign-sub-csr",
    "pca-05-get-end-cert",
    "pca-06n-negative-no-prefix",
];

const BASE64_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct Negative {
    reason: String,
    correct_request: String,
    correct_signature: String,
}

struct Case {
    name: String,
    method: Method,
    target: String,
    timestamp: Timestamp,
    access_key: String,
    secret_key: String,
    string_to_sign: String,
    signature: String,
    negative: Option<Negative>,
    signature_prefix: Option<String>,
}

impl Case {
    fn secret(&self) -> SecretKey {
        SecretKey::new(self.secret_key.clone())
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(self.access_key.clone(), self.secret_key.clone())
            .unwrap_or_else(|e| panic!("{}: stage inputs: credentials refused: {e}", self.name))
    }
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/signature")
}

fn read(dir: &Path, case: &str, file: &str) -> String {
    fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{case}: stage files: cannot read {file}: {e}"))
}

fn read_optional(dir: &Path, file: &str) -> Option<String> {
    let path = dir.join(file);
    path.exists()
        .then(|| fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

fn json_str(v: &serde_json::Value, case: &str, file: &str, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("{case}: stage files: {file} has no string `{key}`"))
        .to_owned()
}

/// Splits `METHOD TARGET` (one space) into its parts.
fn split_request(case: &str, request: &str) -> (Method, String) {
    let (method, target) = request
        .split_once(' ')
        .unwrap_or_else(|| panic!("{case}: stage request: no space in {request:?}"));
    assert!(
        !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()),
        "{case}: stage request: method {method:?} is not an upper-case verb"
    );
    assert!(
        !target.is_empty() && !target.contains(char::is_whitespace),
        "{case}: stage request: target {target:?} is empty or has whitespace"
    );
    let method = Method::from_bytes(method.as_bytes())
        .unwrap_or_else(|e| panic!("{case}: stage request: method {method:?}: {e}"));
    (method, target.to_owned())
}

fn load_case(dir: &Path) -> Case {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_else(|| panic!("{dir:?}: folder name is not UTF-8"))
        .to_owned();
    let request = read(dir, &name, "request.txt");
    let (method, target) = split_request(&name, &request);
    let inputs: serde_json::Value = serde_json::from_str(&read(dir, &name, "inputs.json"))
        .unwrap_or_else(|e| panic!("{name}: stage files: inputs.json: {e}"));
    let ts = json_str(&inputs, &name, "inputs.json", "timestamp");
    let timestamp = Timestamp::from_unix_millis(
        ts.parse()
            .unwrap_or_else(|e| panic!("{name}: stage files: timestamp {ts:?}: {e}")),
    );
    let negative = read_optional(dir, "negative.json").map(|text| {
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: stage files: negative.json: {e}"));
        Negative {
            reason: json_str(&v, &name, "negative.json", "reason"),
            correct_request: json_str(&v, &name, "negative.json", "correct_request"),
            correct_signature: json_str(&v, &name, "negative.json", "correct_signature"),
        }
    });
    Case {
        method,
        target,
        timestamp,
        access_key: json_str(&inputs, &name, "inputs.json", "access_key"),
        secret_key: json_str(&inputs, &name, "inputs.json", "secret_key"),
        string_to_sign: read(dir, &name, "string-to-sign.txt"),
        signature: read(dir, &name, "signature.txt"),
        negative,
        signature_prefix: read_optional(dir, "signature-prefix.txt"),
        name,
    }
}

fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(vectors_dir())
        .unwrap_or_else(|e| panic!("cannot list {:?}: {e}", vectors_dir()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| load_case(d)).collect()
}

fn case(name: &str) -> Case {
    load_case(&vectors_dir().join(name))
}

/// Runs `check` on every case and fails once with every failure listed.
fn for_every_case(stage: &str, check: impl Fn(&Case) -> Vec<String>) {
    let failures: Vec<String> = cases()
        .iter()
        .flat_map(|c| {
            check(c)
                .into_iter()
                .map(move |f| format!("{}: stage {stage}: {f}", c.name))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_folders_are_exactly_the_expected_cases() {
    let names: Vec<String> = cases().into_iter().map(|c| c.name).collect();
    assert_eq!(names, EXPECTED_CASES);
}

#[test]
fn files_have_no_trailing_newline_and_lf_only() {
    for_every_case("files", |c| {
        let mut failures = Vec::new();
        for (file, text) in [
            ("string-to-sign.txt", &c.string_to_sign),
            ("signature.txt", &c.signature),
        ] {
            if text.ends_with('\n') || text.ends_with('\r') {
                failures.push(format!("{file} ends with a line break"));
            }
            if text.contains('\r') {
                failures.push(format!("{file} contains CR"));
            }
        }
        if c.string_to_sign.matches('\n').count() != 2 {
            failures.push("string-to-sign.txt does not have exactly two LFs".to_owned());
        }
        failures
    });
}

#[test]
fn stage_string_to_sign() {
    for_every_case("string-to-sign", |c| {
        let got = string_to_sign(&c.method, &c.target, c.timestamp, &c.access_key);
        let expected_layout = format!(
            "{} {}\n{}\n{}",
            c.method,
            c.target,
            c.timestamp.as_unix_millis(),
            c.access_key
        );
        let mut failures = Vec::new();
        if got != c.string_to_sign {
            failures.push(format!(
                "string_to_sign gives {got:?}, file has {:?}",
                c.string_to_sign
            ));
        }
        if c.string_to_sign != expected_layout {
            failures.push(format!(
                "file {:?} is not METHOD SP TARGET LF TS LF KEY {expected_layout:?}",
                c.string_to_sign
            ));
        }
        failures
    })
}

#[test]
fn stage_signature() {
    for_every_case("signature", |c| {
        let got = signature(&c.secret(), &c.string_to_sign);
        let mut failures = Vec::new();
        if got != c.signature {
            failures.push(format!("signature gives {got}, file has {}", c.signature));
        }
        match STANDARD.decode(&c.signature) {
            Ok(raw) if raw.len() == 32 => {}
            Ok(raw) => failures.push(format!("decodes to {} bytes, not 32", raw.len())),
            Err(e) => failures.push(format!("file is not standard Base64: {e}")),
        }
        if let Some(prefix) = &c.signature_prefix {
            if !got.starts_with(prefix.as_str()) {
                failures.push(format!(
                    "signature {got} does not start with the published {prefix}"
                ));
            }
        }
        failures
    })
}

#[test]
fn stage_verify_accepts_the_vector() {
    for_every_case("verify", |c| {
        let mut failures = Vec::new();
        if !verify_signature(&c.secret(), &c.string_to_sign, &c.signature) {
            failures.push("verify_signature refuses the vector".to_owned());
        }
        failures
    })
}

#[test]
fn stage_verify_refuses_every_flipped_byte() {
    for_every_case("verify-flipped", |c| {
        let secret = c.secret();
        let mut failures = Vec::new();
        // Every character of the Base64 text replaced by another alphabet character.
        for i in 0..c.signature.len() {
            let mut text = c.signature.clone().into_bytes();
            let replacement = BASE64_ALPHABET
                .iter()
                .copied()
                .find(|&b| b != text[i])
                .expect("alphabet has two letters");
            text[i] = replacement;
            let text = String::from_utf8(text).expect("ASCII");
            if verify_signature(&secret, &c.string_to_sign, &text) {
                failures.push(format!(
                    "accepts the signature with character {i} changed: {text}"
                ));
            }
        }
        // Every bit of the raw MAC flipped.
        let raw = STANDARD.decode(&c.signature).unwrap_or_default();
        for i in 0..raw.len() {
            for bit in 0..8 {
                let mut flipped = raw.clone();
                flipped[i] ^= 1 << bit;
                let text = STANDARD.encode(&flipped);
                if verify_signature(&secret, &c.string_to_sign, &text) {
                    failures.push(format!("accepts the MAC with byte {i} bit {bit} flipped"));
                }
            }
        }
        // Every byte of the string to sign changed.
        for i in 0..c.string_to_sign.len() {
            let mut sts = c.string_to_sign.clone().into_bytes();
            sts[i] ^= 0x01;
            let sts = String::from_utf8(sts).expect("ASCII stays ASCII");
            if verify_signature(&secret, &sts, &c.signature) {
                failures.push(format!("accepts the string to sign with byte {i} changed"));
            }
        }
        // Another secret, and a truncated or empty signature.
        let other = SecretKey::new(format!("{}x", c.secret_key));
        if verify_signature(&other, &c.string_to_sign, &c.signature) {
            failures.push("accepts the vector under another secret".to_owned());
        }
        if verify_signature(
            &secret,
            &c.string_to_sign,
            &c.signature[..c.signature.len() - 4],
        ) {
            failures.push("accepts a truncated signature".to_owned());
        }
        if verify_signature(&secret, &c.string_to_sign, "") {
            failures.push("accepts an empty signature".to_owned());
        }
        failures
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a http::HeaderValue> {
    headers.get(name)
}

/// The three signature headers carry the vector's timestamp, key and signature; key and
/// signature are marked sensitive.
fn check_headers(
    headers: &HeaderMap,
    timestamp: Timestamp,
    access_key: &str,
    expected_signature: &str,
) -> Vec<String> {
    let mut failures = Vec::new();
    let ts = timestamp.as_unix_millis().to_string();
    match header(headers, TIMESTAMP_HEADER) {
        Some(v) if v.as_bytes() == ts.as_bytes() => {}
        other => failures.push(format!("{TIMESTAMP_HEADER} is {other:?}, expected {ts}")),
    }
    match header(headers, ACCESS_KEY_HEADER) {
        Some(v) if v.as_bytes() == access_key.as_bytes() && v.is_sensitive() => {}
        Some(v) if !v.is_sensitive() => {
            failures.push(format!("{ACCESS_KEY_HEADER} is not marked sensitive"))
        }
        other => failures.push(format!("{ACCESS_KEY_HEADER} is {other:?}")),
    }
    match header(headers, SIGNATURE_HEADER) {
        Some(v) if v.as_bytes() == expected_signature.as_bytes() && v.is_sensitive() => {}
        Some(v) if !v.is_sensitive() => {
            failures.push(format!("{SIGNATURE_HEADER} is not marked sensitive"))
        }
        Some(v) => failures.push(format!(
            "{SIGNATURE_HEADER} is {:?}, expected {expected_signature}",
            String::from_utf8_lossy(v.as_bytes())
        )),
        None => failures.push(format!("{SIGNATURE_HEADER} is missing")),
    }
    failures
}

#[test]
fn stage_signature_headers() {
    for_every_case("signature-headers", |c| {
        let h = match signature_headers(&c.method, &c.target, c.timestamp, &c.credentials()) {
            Ok(h) => h,
            Err(e) => return vec![format!("signature_headers failed: {e}")],
        };
        let mut map = HeaderMap::new();
        map.insert(TIMESTAMP_HEADER, h.timestamp);
        map.insert(ACCESS_KEY_HEADER, h.access_key);
        map.insert(SIGNATURE_HEADER, h.signature);
        check_headers(&map, c.timestamp, &c.access_key, &c.signature)
    })
}

/// `sign_request` on a request sent to the case's target signs exactly that target. For the
/// full-URL case, signing a request to that URL signs only its path: the correct signature.
#[test]
fn stage_sign_request() {
    for_every_case("sign-request", |c| {
        let (url, expected) = if c.target.starts_with('/') {
            (
                format!("https://pca.apigw.ntruss.com{}", c.target),
                c.signature.clone(),
            )
        } else {
            let negative = c.negative.as_ref().expect("a full-URL case is negative");
            (c.target.clone(), negative.correct_signature.clone())
        };
        let mut request = http::Request::new(Vec::<u8>::new());
        *request.method_mut() = c.method.clone();
        *request.uri_mut() = url.parse().expect("vector URL parses");
        if let Err(e) = sign_request(&mut request, &c.credentials(), c.timestamp) {
            return vec![format!("sign_request failed: {e}")];
        }
        check_headers(request.headers(), c.timestamp, &c.access_key, &expected)
    })
}

#[test]
fn negative_cases_differ_from_the_correct_signature() {
    for_every_case("negative", |c| {
        let Some(n) = &c.negative else {
            return Vec::new();
        };
        let mut failures = Vec::new();
        if n.reason.trim().is_empty() {
            failures.push("negative.json gives no reason".to_owned());
        }
        let (method, target) = split_request(&c.name, &n.correct_request);
        let correct_sts = string_to_sign(&method, &target, c.timestamp, &c.access_key);
        let correct = signature(&c.secret(), &correct_sts);
        if correct != n.correct_signature {
            failures.push(format!(
                "the correct request signs to {correct}, negative.json says {}",
                n.correct_signature
            ));
        }
        let wrong = signature(&c.secret(), &c.string_to_sign);
        if wrong == n.correct_signature || c.signature == n.correct_signature {
            failures.push("the wrong request signs to the correct signature".to_owned());
        }
        if verify_signature(&c.secret(), &correct_sts, &c.signature) {
            failures.push("the wrong signature verifies for the correct request".to_owned());
        }
        failures
    });
    // Both negative cases are present (the check above skips positive ones).
    let negatives = cases().iter().filter(|c| c.negative.is_some()).count();
    assert_eq!(
        negatives, 2,
        "expected the full-URL and the no-prefix negative cases"
    );
}

/// The negative cases point at the positive case of the same request.
#[test]
fn negative_cases_name_an_existing_positive_case() {
    let all = cases();
    for c in all.iter().filter(|c| c.negative.is_some()) {
        let n = c.negative.as_ref().expect("filtered");
        let positive = all
            .iter()
            .find(|p| {
                p.negative.is_none()
                    && format!("{} {}", p.method, p.target) == n.correct_request
                    && p.timestamp == c.timestamp
            })
            .unwrap_or_else(|| {
                panic!(
                    "{}: stage negative: no positive case {}",
                    c.name, n.correct_request
                )
            });
        assert_eq!(
            positive.signature, n.correct_signature,
            "{}: stage negative: positive case {} has another signature",
            c.name, positive.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The PCA vectors through the real request path.

const TS: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn test_credentials() -> Credentials {
    Credentials::new("test-access-key", "test-secret-key").expect("test credentials")
}

/// Checks a request built by an operation against the vector folder `case_name` and against
/// the signature written out in the test.
fn check_built(case_name: &str, request: &http::Request<Vec<u8>>, signature_literal: &str) {
    let c = case(case_name);
    assert_eq!(
        c.signature, signature_literal,
        "{case_name}: stage files: folder and test disagree"
    );
    assert_eq!(
        request.method(),
        c.method,
        "{case_name}: stage request: method"
    );
    let pq = request.uri().path_and_query().map(|pq| pq.as_str());
    assert_eq!(
        pq,
        Some(c.target.as_str()),
        "{case_name}: stage request: target"
    );
    assert_eq!(
        request.uri().authority().map(|a| a.as_str()),
        Some("pca.apigw.ntruss.com"),
        "{case_name}: stage request: host"
    );
    let failures = check_headers(request.headers(), TS, "test-access-key", signature_literal);
    assert!(
        failures.is_empty(),
        "{case_name}: stage built-request headers:\n{}",
        failures.join("\n")
    );
    let ts_header = request.headers().get(TIMESTAMP_HEADER).expect("checked");
    assert!(
        !ts_header.is_sensitive(),
        "{case_name}: stage built-request headers: the timestamp need not be hidden"
    );
    assert_eq!(
        request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"application/json"[..]),
        "{case_name}: stage built-request headers: Content-Type"
    );
}

#[test]
fn built_get_end_cert_matches_vector() {
    let op = GetEndCert::new("12345678-abcdefg", "01:02:03:04").expect("valid input");
    let request = op
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    check_built(
        "pca-05-get-end-cert",
        &request,
        "CsXGzOspv5nkgbDr883gK/wKrm405J9MHvqW+px98KU=",
    );
}

#[test]
fn built_get_ca_list_page_1_matches_vector() {
    let op = GetCaList::page(1).expect("valid page");
    let request = op
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    check_built(
        "pca-02-get-ca-list-page-1",
        &request,
        "qKTh5cO6VCokwnSdptweDFr4Y4JAzYh3TqjfaUhVVoE=",
    );
}

#[test]
fn built_get_ca_list_matches_vector() {
    let request = GetCaList::new()
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    check_built(
        "pca-01-get-ca-list",
        &request,
        "mu/Q8v6Sw9S0aQ1sw++mrveUjofjdHDbTu0pH5UPxaU=",
    );
}

#[test]
fn built_create_ca_root_matches_vector() {
    let op = CreateCa::builder()
        .ca_type(CaType::PrivateRoot)
        .alias("corp-root")
        .key_type(KeyType::Ec256)
        .period(Period::Max)
        .x509_parameters(X509Parameters::new("Corp Root CA").country("KR"))
        .build()
        .expect("valid input");
    let request = op
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    check_built(
        "pca-03-create-ca-root",
        &request,
        "Be87EW0d8X1Kog/ABjnqB4iwSz0tpBU8XJvHTiP8Yv0=",
    );
}

#[test]
fn built_sign_sub_csr_matches_vector_and_not_the_no_prefix_one() {
    let csr = include_str!("data/sub-ca.csr.pem");
    let op = SignSubCsr::new("12345678-abcdefg", Period::days(10).expect("valid"), csr)
        .expect("valid input");
    let request = op
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    check_built(
        "pca-04-sign-sub-csr",
        &request,
        "XsZtuSe3y01WBrai/t//EjQoyLF1oXp28Viu6z60eOw=",
    );
    let wrong = case("pca-06n-negative-no-prefix");
    let sent = request.headers().get(SIGNATURE_HEADER).expect("checked");
    assert_ne!(
        sent.as_bytes(),
        wrong.signature.as_bytes(),
        "pca-06n-negative-no-prefix: stage built-request: the request signs the path without /api/v1"
    );
}

/// The body is not signed: two Sign Sub CSR requests with different bodies carry the same
/// signature.
#[test]
fn built_sign_sub_csr_signature_ignores_the_body() {
    let csr = include_str!("data/sub-ca.csr.pem");
    let a = SignSubCsr::new("12345678-abcdefg", Period::days(10).expect("valid"), csr)
        .expect("valid input")
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    let b = SignSubCsr::new("12345678-abcdefg", Period::days(3650).expect("valid"), csr)
        .expect("valid input")
        .build_request(&Endpoint::default(), &test_credentials(), TS)
        .expect("builds");
    assert_ne!(a.body(), b.body());
    assert_eq!(
        a.headers().get(SIGNATURE_HEADER),
        b.headers().get(SIGNATURE_HEADER)
    );
}
