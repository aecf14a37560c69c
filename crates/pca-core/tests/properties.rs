//! Property tests of the core: request targets and signatures, the path-safe identifier types,
//! periods, and parsers that must never panic whatever they are given.

use http::{Method, StatusCode};
use pca_core::__private::pem_text::find_blocks;
use pca_core::operations::{DeleteCaUser, GetCa, GetCaList, GetEndCert, SignSubCsr};
use pca_core::signing::{
    ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, string_to_sign,
    verify_signature,
};
use pca_core::{
    CaTag, Credentials, Endpoint, IdNo, Operation, Period, SecretKey, SerialNo, Timestamp,
};
use proptest::prelude::*;
use serde_json::Value;

const CSR: &str = include_str!("data/sub-ca.csr.pem");
const LEAF: &str = include_str!("data/leaf.pem");
const INTERMEDIATE: &str = include_str!("data/intermediate.pem");
const ROOT: &str = include_str!("data/root.pem");

// ---------------------------------------------------------------------------------------------
// Strategies.

fn ca_tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,64}"
}

fn serial_no() -> impl Strategy<Value = String> {
    prop_oneof![
        // Colon-separated octets, one or two hex digits each, up to 64 octets.
        prop::collection::vec("[0-9A-Fa-f]{1,2}", 1..=64).prop_map(|o| o.join(":")),
        // Plain hexadecimal, up to 128 digits.
        "[0-9A-Fa-f]{1,128}",
    ]
}

fn id_no() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}"
}

/// Strings near the identifier alphabets, with the characters that could change a path.
fn near_identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_:./?#% \t\n-]{0,70}",
        "[A-Za-z0-9]{8}-[A-Za-z0-9./%?#]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9. ]{12}",
        "([0-9a-f]{1,2}[:./%]){0,8}[0-9a-f]{0,3}",
        any::<String>(),
    ]
}

fn access_key() -> impl Strategy<Value = String> {
    "[!-~]{1,40}"
}

fn secret_key() -> impl Strategy<Value = String> {
    "[!-~]{1,48}"
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::PATCH),
        Just(Method::HEAD),
    ]
}

/// A request path below `/api/v1` as the core could send it.
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9_:-]{1,20}", 0..6)
        .prop_map(|segments| format!("/api/v1/{}", segments.join("/")))
}

/// A query (without `?`), possibly empty.
fn query() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z]{1,10}=[A-Za-z0-9%_.~-]{0,20}", 0..4).prop_map(|p| p.join("&"))
}

fn target(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

fn timestamp() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=9_999_999_999_999, any::<u64>()]
}

fn credentials(access_key: &str, secret_key: &str) -> Credentials {
    Credentials::new(access_key, secret_key).expect("graphic ASCII keys are accepted")
}

fn header_str<'a>(request: &'a http::Request<Vec<u8>>, name: &str) -> &'a str {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{name} missing or not text"))
}

/// The request's signed string, rebuilt from what is on the request itself.
fn signed_string_of(request: &http::Request<Vec<u8>>) -> String {
    let pq = request
        .uri()
        .path_and_query()
        .expect("a request has a path")
        .as_str();
    format!(
        "{} {}\n{}\n{}",
        request.method(),
        pq,
        header_str(request, TIMESTAMP_HEADER),
        header_str(request, ACCESS_KEY_HEADER)
    )
}

/// The built request carries `expected_target`, is signed over exactly
/// METHOD + " " + path_and_query + "\n" + ts + "\n" + key, and verifies with the secret.
fn check_signed(
    request: &http::Request<Vec<u8>>,
    expected_target: &str,
    ts: u64,
    access_key: &str,
    secret: &str,
) -> Result<(), TestCaseError> {
    let pq = request.uri().path_and_query().map(|pq| pq.as_str());
    prop_assert_eq!(pq, Some(expected_target));
    prop_assert_eq!(header_str(request, TIMESTAMP_HEADER), ts.to_string());
    prop_assert_eq!(header_str(request, ACCESS_KEY_HEADER), access_key);
    let signed = signed_string_of(request);
    prop_assert_eq!(
        &signed,
        &string_to_sign(
            request.method(),
            expected_target,
            Timestamp::from_unix_millis(ts),
            access_key
        )
    );
    let sig = header_str(request, SIGNATURE_HEADER);
    prop_assert_eq!(sig, signature(&SecretKey::new(secret), &signed));
    prop_assert!(verify_signature(&SecretKey::new(secret), &signed, sig));
    Ok(())
}

fn path_segments(request: &http::Request<Vec<u8>>) -> Vec<String> {
    request
        .uri()
        .path()
        .split('/')
        .skip(1)
        .map(str::to_owned)
        .collect()
}

fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("code".to_owned()),
        Just("msg".to_owned()),
        Just("data".to_owned()),
        Just("error".to_owned()),
        Just("errorCode".to_owned()),
        Just("message".to_owned()),
        Just("certificate".to_owned()),
        Just("caChain".to_owned()),
        Just("issuer".to_owned()),
        Just("serialNo".to_owned()),
        Just("ocspResponder".to_owned()),
        Just("caInfo".to_owned()),
        Just("caCertInfo".to_owned()),
        Just("caTag".to_owned()),
        Just("status".to_owned()),
        Just("rgstDate".to_owned()),
        Just("notAfterDate".to_owned()),
        Just("urlInfo".to_owned()),
        "[a-zA-Z]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        pem_ish().prop_map(Value::String),
        prop_oneof![
            Just("SUCCESS"),
            Just("NOT_FOUND"),
            Just("ACTIVE"),
            Just("PENDING")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Envelope-shaped answers with arbitrary members.
fn arb_envelope() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just(Value::from("SUCCESS")), arb_json()],
        prop::option::of(arb_json()),
        arb_json(),
        prop::option::of(arb_json()),
    )
        .prop_map(|(code, msg, data, error)| {
            let mut m = serde_json::Map::new();
            m.insert("code".into(), code);
            if let Some(msg) = msg {
                m.insert("msg".into(), msg);
            }
            m.insert("data".into(), data);
            if let Some(error) = error {
                m.insert("error".into(), error);
            }
            Value::Object(m)
        })
}

/// Text made of PEM fragments, real certificates, Base64 and odd characters.
fn pem_ish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("-----BEGIN ".to_owned()),
        Just("-----END ".to_owned()),
        Just("-----".to_owned()),
        Just("CERTIFICATE".to_owned()),
        Just("CERTIFICATE REQUEST".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just(" ".to_owned()),
        Just(LEAF.to_owned()),
        Just(INTERMEDIATE.to_owned()),
        Just(ROOT.to_owned()),
        "[A-Za-z0-9+/=]{0,80}",
        "[\\PC]{0,4}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

fn response(status: u16, date: Option<String>, body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).expect("100..=999");
    if let Some(date) = date.and_then(|d| http::HeaderValue::from_str(&d).ok()) {
        response.headers_mut().insert(http::header::DATE, date);
    }
    response
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(429),
        Just(502),
        100u16..=999
    ]
}

fn date_header() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("Tue, 14 Nov 2023 22:13:20 GMT".to_owned()),
        Just("Sun, 06 Nov 1994 08:49:37 GMT".to_owned()),
        "[ -~]{0,40}",
    ])
}

/// Both parsers on one answer: they return, whatever the answer is.
fn parse_both(status: u16, date: Option<String>, body: Vec<u8>) {
    let response = response(status, date, body);
    let sent_at = Timestamp::from_unix_millis(1_700_000_000_000);
    if let Ok(signed) = SignSubCsr::parse_response(&response, sent_at) {
        let _ = signed.full_chain_pem();
        let _ = signed.chain_pem();
        let _ = signed.root();
    }
    let _ = GetCa::parse_response(&response, sent_at);
}

// ---------------------------------------------------------------------------------------------
// Request targets and signatures.

proptest! {
    #[test]
    fn get_end_cert_target_round_trips_and_is_signed_over_it(
        tag in ca_tag(),
        serial in serial_no(),
        ts in timestamp(),
        key in access_key(),
        secret in secret_key(),
    ) {
        let op = GetEndCert::new(&tag, &serial).expect("valid inputs");
        let request = op
            .build_request(&Endpoint::default(), &credentials(&key, &secret), Timestamp::from_unix_millis(ts))
            .expect("builds");
        let expected = format!("/api/v1/ca/{tag}/cert/{serial}");
        check_signed(&request, &expected, ts, &key, &secret)?;
        prop_assert_eq!(request.method(), Method::GET);
        prop_assert_eq!(
            path_segments(&request),
            vec!["api".to_owned(), "v1".into(), "ca".into(), tag, "cert".into(), serial]
        );
        prop_assert_eq!(request.uri().query(), None);
    }

    #[test]
    fn get_ca_list_page_target_round_trips_and_is_signed_over_it(
        page in prop_oneof![1u32..=10, 1u32..=u32::MAX],
        ts in timestamp(),
        key in access_key(),
        secret in secret_key(),
    ) {
        let op = GetCaList::page(page).expect("pages from 1");
        let request = op
            .build_request(&Endpoint::default(), &credentials(&key, &secret), Timestamp::from_unix_millis(ts))
            .expect("builds");
        check_signed(&request, &format!("/api/v1/ca?pageNo={page}"), ts, &key, &secret)?;
        let query = request.uri().query().map(str::to_owned);
        prop_assert_eq!(query, Some(format!("pageNo={page}")));
    }

    #[test]
    fn sign_sub_csr_and_get_ca_targets_round_trip(
        tag in ca_tag(),
        days in 1u32..=3650,
        ts in timestamp(),
        key in access_key(),
        secret in secret_key(),
    ) {
        let creds = credentials(&key, &secret);
        let at = Timestamp::from_unix_millis(ts);
        let op = SignSubCsr::new(&tag, Period::days(days).expect("in range"), CSR).expect("valid");
        let request = op.build_request(&Endpoint::default(), &creds, at).expect("builds");
        check_signed(&request, &format!("/api/v1/ca/{tag}/sub/sign"), ts, &key, &secret)?;
        prop_assert_eq!(request.method(), Method::POST);
        let body: Value = serde_json::from_slice(request.body()).expect("JSON body");
        prop_assert_eq!(&body["period"], &Value::from(days.to_string()));

        let request = GetCa::new(&tag)
            .expect("valid")
            .build_request(&Endpoint::default(), &creds, at)
            .expect("builds");
        check_signed(&request, &format!("/api/v1/ca/{tag}"), ts, &key, &secret)?;
    }

    #[test]
    fn delete_ca_user_target_round_trips(
        tag in ca_tag(),
        id in id_no(),
        ts in timestamp(),
        key in access_key(),
        secret in secret_key(),
    ) {
        let request = DeleteCaUser::new(&tag, &id)
            .expect("valid")
            .build_request(&Endpoint::default(), &credentials(&key, &secret), Timestamp::from_unix_millis(ts))
            .expect("builds");
        check_signed(&request, &format!("/api/v1/ca/{tag}/users/{id}"), ts, &key, &secret)?;
        prop_assert_eq!(
            path_segments(&request),
            vec!["api".to_owned(), "v1".into(), "ca".into(), tag, "users".into(), id]
        );
    }

    /// Any target built from path and query, with any endpoint prefix, is signed as sent.
    #[test]
    fn build_request_signs_the_target_as_sent(
        m in method(),
        p in path(),
        q in query(),
        ts in timestamp(),
        key in access_key(),
        secret in secret_key(),
        body in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    ) {
        let below_prefix = target(p.trim_start_matches("/api/v1"), &q);
        let request = pca_core::__private::build_request(
            m.clone(),
            &below_prefix,
            body.clone(),
            &Endpoint::default(),
            &credentials(&key, &secret),
            Timestamp::from_unix_millis(ts),
        )
        .expect("builds");
        prop_assert_eq!(request.method(), &m);
        prop_assert_eq!(request.body(), &body.unwrap_or_default());
        check_signed(&request, &target(&p, &q), ts, &key, &secret)?;
    }
}

// ---------------------------------------------------------------------------------------------
// What the signature covers.

/// One part of the signed input changed.
#[derive(Debug, Clone)]
enum Change {
    Method(Method),
    Path(String),
    Query(String),
    Timestamp(u64),
    AccessKey(String),
    Secret(String),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        method().prop_map(Change::Method),
        path().prop_map(Change::Path),
        query().prop_map(Change::Query),
        timestamp().prop_map(Change::Timestamp),
        access_key().prop_map(Change::AccessKey),
        secret_key().prop_map(Change::Secret),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct Signed {
    method: Method,
    path: String,
    query: String,
    ts: u64,
    key: String,
    secret: String,
}

impl Signed {
    fn apply(&self, change: &Change) -> Signed {
        let mut s = self.clone();
        match change {
            Change::Method(m) => s.method = m.clone(),
            Change::Path(p) => s.path = p.clone(),
            Change::Query(q) => s.query = q.clone(),
            Change::Timestamp(t) => s.ts = *t,
            Change::AccessKey(k) => s.key = k.clone(),
            Change::Secret(x) => s.secret = x.clone(),
        }
        s
    }

    /// The signature of this input, computed through the request path with `body`.
    fn signature_via_request(&self, body: Option<Vec<u8>>) -> String {
        let request = pca_core::__private::build_request(
            self.method.clone(),
            &target(self.path.trim_start_matches("/api/v1"), &self.query),
            body,
            &Endpoint::default(),
            &credentials(&self.key, &self.secret),
            Timestamp::from_unix_millis(self.ts),
        )
        .expect("builds");
        header_str(&request, SIGNATURE_HEADER).to_owned()
    }

    fn signature_direct(&self) -> String {
        let sts = string_to_sign(
            &self.method,
            &target(&self.path, &self.query),
            Timestamp::from_unix_millis(self.ts),
            &self.key,
        );
        signature(&SecretKey::new(self.secret.as_str()), &sts)
    }
}

fn signed() -> impl Strategy<Value = Signed> {
    (
        method(),
        path(),
        query(),
        timestamp(),
        access_key(),
        secret_key(),
    )
        .prop_map(|(method, path, query, ts, key, secret)| Signed {
            method,
            path,
            query,
            ts,
            key,
            secret,
        })
}

proptest! {
    #[test]
    fn the_signature_changes_when_any_signed_part_changes(base in signed(), change in change()) {
        let changed = base.apply(&change);
        prop_assume!(changed != base);
        prop_assert_ne!(base.signature_direct(), changed.signature_direct(), "{:?}", change);
        prop_assert_ne!(
            base.signature_via_request(None),
            changed.signature_via_request(None),
            "{:?}",
            change
        );
    }

    #[test]
    fn the_signature_does_not_change_when_the_body_changes(
        base in signed(),
        a in prop::option::of(prop::collection::vec(any::<u8>(), 0..256)),
        b in prop::option::of(prop::collection::vec(any::<u8>(), 0..256)),
    ) {
        let with_a = base.signature_via_request(a);
        prop_assert_eq!(&with_a, &base.signature_via_request(b));
        prop_assert_eq!(&with_a, &base.signature_direct());
    }

    #[test]
    fn sign_sub_csr_signature_ignores_the_period(
        tag in ca_tag(),
        a in 1u32..=3650,
        b in 1u32..=3650,
        ts in timestamp(),
    ) {
        let creds = credentials("test-access-key", "test-secret-key");
        let at = Timestamp::from_unix_millis(ts);
        let build = |days| {
            SignSubCsr::new(&tag, Period::days(days).expect("in range"), CSR)
                .expect("valid")
                .build_request(&Endpoint::default(), &creds, at)
                .expect("builds")
        };
        let (ra, rb) = (build(a), build(b));
        prop_assert_eq!(a == b, ra.body() == rb.body());
        prop_assert_eq!(
            header_str(&ra, SIGNATURE_HEADER),
            header_str(&rb, SIGNATURE_HEADER)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers cannot change the path.

fn assert_path_safe(kind: &str, s: &str) -> Result<(), TestCaseError> {
    prop_assert!(!s.is_empty(), "{kind} accepted an empty string");
    for bad in ['/', '?', '#', '%', '\\'] {
        prop_assert!(!s.contains(bad), "{kind} accepted {s:?} containing {bad:?}");
    }
    prop_assert!(
        !s.chars().any(char::is_whitespace),
        "{kind} accepted {s:?} with whitespace"
    );
    prop_assert!(
        !s.chars().any(char::is_control),
        "{kind} accepted {s:?} with a control character"
    );
    prop_assert!(!s.contains(".."), "{kind} accepted {s:?} containing '..'");
    prop_assert!(s.is_ascii(), "{kind} accepted non-ASCII {s:?}");
    Ok(())
}

proptest! {
    #[test]
    fn valid_identifiers_are_accepted(tag in ca_tag(), serial in serial_no(), id in id_no()) {
        prop_assert_eq!(CaTag::new(&tag).map(|t| t.as_str().to_owned()), Ok(tag));
        prop_assert_eq!(SerialNo::new(&serial).map(|t| t.as_str().to_owned()), Ok(serial));
        prop_assert_eq!(IdNo::new(&id).map(|t| t.as_str().to_owned()), Ok(id));
    }

    #[test]
    fn accepted_identifiers_cannot_change_the_path(
        tag in near_identifier(),
        serial in near_identifier(),
        id in near_identifier(),
    ) {
        let creds = credentials("test-access-key", "test-secret-key");
        let at = Timestamp::from_unix_millis(1_700_000_000_000);
        if let Ok(t) = CaTag::new(&tag) {
            assert_path_safe("CaTag", t.as_str())?;
            prop_assert_eq!(t.as_str(), tag.as_str());
            let request = GetCa::new(&tag).expect("same rule").build_request(&Endpoint::default(), &creds, at).expect("builds");
            prop_assert_eq!(path_segments(&request), vec!["api".to_owned(), "v1".into(), "ca".into(), tag.clone()]);
            prop_assert_eq!(request.uri().query(), None);
        } else {
            prop_assert!(GetCa::new(&tag).is_err());
        }
        if let Ok(s) = SerialNo::new(&serial) {
            assert_path_safe("SerialNo", s.as_str())?;
            let request = GetEndCert::new("12345678-abcdefg", &serial)
                .expect("same rule")
                .build_request(&Endpoint::default(), &creds, at)
                .expect("builds");
            let segments = path_segments(&request);
            prop_assert_eq!(segments.len(), 6);
            prop_assert_eq!(segments[5].as_str(), serial.as_str());
            prop_assert_eq!(request.uri().query(), None);
        } else {
            prop_assert!(GetEndCert::new("12345678-abcdefg", &serial).is_err());
        }
        if let Ok(i) = IdNo::new(&id) {
            assert_path_safe("IdNo", i.as_str())?;
            let request = DeleteCaUser::new("12345678-abcdefg", &id)
                .expect("same rule")
                .build_request(&Endpoint::default(), &creds, at)
                .expect("builds");
            let segments = path_segments(&request);
            prop_assert_eq!(segments.len(), 6);
            prop_assert_eq!(segments[5].as_str(), id.as_str());
        } else {
            prop_assert!(DeleteCaUser::new("12345678-abcdefg", &id).is_err());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Periods.

proptest! {
    #[test]
    fn period_accepts_exactly_1_to_3650_days(n in prop_oneof![0i64..=4000, any::<i64>()]) {
        let parsed = n.to_string().parse::<Period>();
        if (1..=3650).contains(&n) {
            prop_assert_eq!(parsed, Ok(Period::Days(n as u16)));
            prop_assert_eq!(Period::days(n as u32), Ok(Period::Days(n as u16)));
        } else {
            prop_assert!(parsed.is_err(), "{n} accepted");
        }
        if let Ok(n) = u32::try_from(n) {
            prop_assert_eq!(Period::days(n).is_ok(), (1..=3650).contains(&n));
        }
    }

    #[test]
    fn period_accepts_max_in_any_case(
        s in "[mM][aA][xX]",
        pad_l in "[ \t]{0,2}",
        pad_r in "[ \t]{0,2}",
    ) {
        prop_assert_eq!(format!("{pad_l}{s}{pad_r}").parse::<Period>(), Ok(Period::Max));
    }

    /// Whatever text is accepted is MAX or a day count in range, and round-trips through the
    /// wire form.
    #[test]
    fn period_accepts_nothing_else(s in prop_oneof!["[0-9a-zA-Z +.-]{0,8}", any::<String>()]) {
        if let Ok(p) = s.parse::<Period>() {
            match p {
                Period::Max => prop_assert!(s.trim().eq_ignore_ascii_case("max")),
                Period::Days(d) => {
                    prop_assert!((1..=3650).contains(&d), "{s:?} gave {d}");
                    prop_assert_eq!(s.trim().parse::<u32>().ok(), Some(u32::from(d)));
                }
            }
            prop_assert_eq!(p.to_wire().parse::<Period>(), Ok(p));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsers never panic.

proptest! {
    #[test]
    fn find_blocks_never_panics_and_returns_slices_of_the_input(
        text in prop_oneof![pem_ish(), any::<String>()]
    ) {
        let (blocks, _stray) = find_blocks(&text);
        let mut last_end = 0;
        for b in blocks {
            let start = b.text.as_ptr() as usize - text.as_ptr() as usize;
            prop_assert!(start >= last_end, "blocks overlap or are out of order");
            prop_assert!(start + b.text.len() <= text.len());
            prop_assert!(b.text.starts_with("-----BEGIN "));
            prop_assert!(b.text.ends_with("-----"));
            let end_line = format!("-----END {}-----", b.label);
            prop_assert!(b.text.ends_with(&end_line), "block {:?} does not end with its END line", b.text);
            last_end = start + b.text.len();
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(
        status in status(),
        date in date_header(),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        parse_both(status, date, body);
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_json(
        status in status(),
        date in date_header(),
        json in prop_oneof![arb_json(), arb_envelope()],
    ) {
        parse_both(status, date, serde_json::to_vec(&json).expect("serializes"));
    }

    /// Any order, duplicates and blanks of the real chain: issuer first, root last (the order
    /// is derived from the certificates' names, which needs the `x509` feature).
    #[cfg(feature = "x509")]
    #[test]
    fn sign_sub_csr_answer_chain_is_ordered(
        chain in prop::collection::vec(
            prop_oneof![
                Just(INTERMEDIATE.to_owned()),
                Just(ROOT.to_owned()),
                Just(INTERMEDIATE.replace('\n', "\r\n")),
                Just(String::new()),
                Just("  \n".to_owned()),
            ],
            0..8,
        ),
        with_issuer in any::<bool>(),
        as_string in any::<bool>(),
    ) {
        prop_assume!(chain.iter().any(|c| c.contains("BEGIN")));
        let ca_chain = if as_string {
            Value::from(chain.concat())
        } else {
            Value::from(chain.clone())
        };
        let mut data = serde_json::json!({
            "certificate": LEAF,
            "caChain": ca_chain,
            "serialNo": "01:02",
        });
        if with_issuer {
            data["issuer"] = Value::from(INTERMEDIATE);
        }
        let body = serde_json::json!({"code": "SUCCESS", "msg": "Success", "data": data});
        let response = response(200, None, serde_json::to_vec(&body).expect("serializes"));
        let signed = SignSubCsr::parse_response(&response, Timestamp::from_unix_millis(0))
            .expect("a well-formed answer parses");
        let has_intermediate = with_issuer
            || chain.iter().any(|c| c.replace("\r\n", "\n").contains(INTERMEDIATE.trim()));
        let has_root = chain.iter().any(|c| c.contains(ROOT.trim()));
        let mut expected = Vec::new();
        if has_intermediate {
            expected.push(INTERMEDIATE.trim().to_owned());
        }
        if has_root {
            expected.push(ROOT.trim().to_owned());
        }
        prop_assert_eq!(signed.ca_chain, expected);
    }
}

// ---------------------------------------------------------------------------------------------
// The configuration file parser.

proptest! {
    /// Any text, however broken, parses or is refused: no panic, and a refusal never repeats
    /// what the file holds.
    #[test]
    fn configuration_file_text_never_panics(
        lines in proptest::collection::vec("[\\[\\]=:;# a-zA-Z_\"'\\r\\t\u{e9}]{0,24}", 0..24),
    ) {
        let text = lines.join("\n");
        if let Err(e) = pca_core::ConfigFile::parse("f", &text) {
            let shown = e.to_string();
            prop_assert!(shown.contains("line "), "{shown}");
            // Lines with a character no message uses cannot appear in one by chance.
            for line in &lines {
                let line = line.trim();
                if line.len() > 3 && line.contains(['_', '"', '\'', '\u{e9}', '#', ';']) {
                    prop_assert!(!shown.contains(line), "{shown} repeats {line:?}");
                }
            }
        }
    }

    /// Profiles written the way `ncloud configure` writes them come back as written.
    #[test]
    fn configuration_profiles_round_trip(
        profiles in proptest::collection::btree_map("[a-z][a-z0-9_-]{0,11}", ("[A-Za-z0-9]{1,20}", "[A-Za-z0-9/+]{1,40}"), 1..6),
        crlf in any::<bool>(),
        prefixed in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        for (name, (ak, sk)) in &profiles {
            let header = if prefixed { format!("[profile {name}]") } else { format!("[{name}]") };
            text.push_str(&format!("{header}{eol}ncloud_access_key_id = {ak}{eol}ncloud_secret_access_key = {sk}{eol}{eol}"));
        }
        let file = pca_core::ConfigFile::parse("f", &text).unwrap();
        prop_assert_eq!(file.profiles().len(), profiles.len());
        for (name, (ak, sk)) in &profiles {
            let c = file.credentials(name).unwrap();
            prop_assert_eq!(c.access_key(), ak.as_str());
            prop_assert_eq!(c.secret_key().expose_secret(), sk.as_str());
        }
    }
}
