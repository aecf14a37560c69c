//! What the fuzz targets share: how an input names an operation, and the checks run on every
//! operation (its answers parsed, its requests built).
//!
//! Inputs that name an operation start with its directory name under `tests/fixtures` and a
//! newline (`sign_sub_csr\n…`), as the seeds `cargo xtask fuzz` writes from the fixtures do; an
//! unknown name picks an operation by its first byte, so that every input exercises one.

use pca_core::signing::{string_to_sign, verify_signature};
use pca_core::{Credentials, Endpoint, Operation, Timestamp};
use pca_tests::RecordedRequest;
use pca_tests::replay::FromRecorded;

/// The secret every fuzzed request is signed with: it must show nowhere.
pub const SECRET: &str = "fuzz-secret-key-never-shown";
/// The access key every fuzzed request is signed with.
pub const ACCESS_KEY: &str = "fuzz-access-key";
/// The prefix every built request's path must stay under.
pub const PREFIX: &str = "/pca/api/v1";

/// Splits `data` into the first line (as text) and the rest.
pub fn first_line(data: &[u8]) -> (String, &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            &data[i + 1..],
        ),
        None => (String::from_utf8_lossy(data).into_owned(), &[][..]),
    }
}

macro_rules! operations {
    ($(($m:ident, $ty:path, $doc:literal)),* $(,)?) => {
        /// The operations' directory names under `tests/fixtures`, in
        /// `pca_core::for_each_operation!` order.
        pub const NAMES: &[&str] = &[$(stringify!($m)),*];

        /// Parses `response` as the answer of operation number `index` and checks it.
        pub fn parse_as(index: usize, response: &http::Response<Vec<u8>>, sent_at: Timestamp) {
            let mut i = 0;
            $(
                if index == i {
                    check_answer::<$ty>(response, sent_at);
                    return;
                }
                i += 1;
            )*
            let _ = i;
        }

        /// Builds operation number `index` from `recorded`, and when that input is accepted,
        /// checks the request it builds.
        pub fn build_as(index: usize, recorded: &RecordedRequest) {
            let mut i = 0;
            $(
                if index == i {
                    if let Ok(op) = <$ty>::from_recorded(recorded) {
                        check_request(&op);
                    }
                    return;
                }
                i += 1;
            )*
            let _ = i;
        }
    };
}
pca_core::for_each_operation!(operations);

/// The operation an input's first line names (see the crate docs), and the rest of it.
pub fn operation_of(data: &[u8]) -> (usize, &[u8]) {
    let (name, rest) = first_line(data);
    match NAMES.iter().position(|n| *n == name) {
        Some(i) => (i, rest),
        None => (
            usize::from(data.first().copied().unwrap_or(0)) % NAMES.len(),
            rest,
        ),
    }
}

/// Whatever the answer, parsing it does not panic; an accepted answer had a 2xx status; a
/// refused one is an answer (never "nothing was sent"), and its messages can be written.
fn check_answer<O: Operation>(response: &http::Response<Vec<u8>>, sent_at: Timestamp)
where
    O::Output: std::fmt::Debug,
{
    match O::parse_response(response, sent_at) {
        Ok(output) => {
            assert!(
                response.status().is_success(),
                "{} accepted HTTP {}",
                O::INFO.name,
                response.status()
            );
            let _ = format!("{output:?}");
        }
        Err(e) => {
            assert!(
                !e.is_before_send(),
                "{}: an answer's error says nothing was sent: {e:?}",
                O::INFO.name
            );
            let _ = format!("{e} {e:?}");
            let _ = pca_core::retry::is_retryable(&e);
        }
    }
}

/// An accepted input builds a request to the endpoint's host, whose path stays under the
/// prefix (no empty, `.` or `..` segment, even percent-decoded), whose signature verifies over
/// the path and query as sent, whose body (if any) is JSON, and in which the secret shows
/// nowhere.
fn check_request<O: Operation + std::fmt::Debug>(op: &O) {
    let endpoint = Endpoint::parse(&format!("https://pca.example.com{PREFIX}")).expect("endpoint");
    let credentials = Credentials::new(ACCESS_KEY, SECRET).expect("credentials");
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    let request = op
        .build_request(&endpoint, &credentials, at)
        .unwrap_or_else(|e| panic!("{}: an accepted input does not build: {e}", O::INFO.name));
    let uri = request.uri();
    assert_eq!(uri.authority().map(|a| a.as_str()), Some("pca.example.com"));
    let path = uri.path();
    let rest = path
        .strip_prefix(PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{}: path {path:?} leaves the prefix", O::INFO.name));
    for segment in rest.split('/') {
        let decoded = percent_decode(segment);
        assert!(
            !segment.is_empty()
                && decoded != "."
                && decoded != ".."
                && !decoded.contains(['/', '\\']),
            "{}: path {path:?} has the segment {segment:?}",
            O::INFO.name
        );
    }
    let target = uri.path_and_query().map_or(path, |pq| pq.as_str());
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{}: no {name} header", O::INFO.name))
    };
    assert_eq!(header("x-ncp-apigw-timestamp"), "1700000000000");
    assert_eq!(header("x-ncp-iam-access-key"), ACCESS_KEY);
    let sts = string_to_sign(request.method(), target, at, ACCESS_KEY);
    assert!(
        verify_signature(
            credentials.secret_key(),
            &sts,
            header("x-ncp-apigw-signature-v2")
        ),
        "{}: the signature does not verify over {target:?}",
        O::INFO.name
    );
    if !request.body().is_empty() {
        serde_json::from_slice::<serde_json::Value>(request.body())
            .unwrap_or_else(|e| panic!("{}: the body is not JSON: {e}", O::INFO.name));
    }
    let shown = format!("{op:?} {request:?}");
    assert!(
        !shown.contains(SECRET),
        "{}: the secret shows: {shown}",
        O::INFO.name
    );
}

/// `%XX` sequences decoded (lossily), as a server might before routing.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
