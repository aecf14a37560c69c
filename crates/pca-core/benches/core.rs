//! Benchmarks of the core: signing, building a Sign Sub CSR request, parsing its answer.
//! Run with `cargo bench -p pca-core`; the figures are kept in `BENCHMARKS.md`.

use divan::{Bencher, black_box};
use http::Method;
use pca_core::operations::SignSubCsr;
use pca_core::signing::{signature, string_to_sign};
use pca_core::{Credentials, Endpoint, Operation, Period, SecretKey, Timestamp};

/// The ~1.4 KB RSA sub-CA request of the test data.
const CSR: &str = include_str!("../tests/data/sub-ca.csr.pem");
/// The documented Sign Sub CSR example (request and answer).
const FIXTURE: &str = include_str!("../../../tests/fixtures/ncloud-docs/15-sign-sub-csr.json");

const TARGET: &str = "/api/v1/ca/12345678-abcdefg/sub/sign";
const TS: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn main() {
    divan::main();
}

/// String to sign and signature of a Sign Sub CSR request target.
#[divan::bench]
fn sign(bencher: Bencher<'_, '_>) {
    let secret = SecretKey::new("test-secret-key");
    bencher.bench(|| {
        let sts = string_to_sign(
            black_box(&Method::POST),
            black_box(TARGET),
            black_box(TS),
            black_box("test-access-key"),
        );
        signature(black_box(&secret), &sts)
    });
}

/// Building and signing the request of an already checked Sign Sub CSR.
#[divan::bench]
fn build_sign_sub_csr(bencher: Bencher<'_, '_>) {
    let op = SignSubCsr::new("12345678-abcdefg", Period::Days(1825), CSR).expect("valid CSR");
    let endpoint = Endpoint::default();
    let credentials = Credentials::new("test-access-key", "test-secret-key").expect("valid");
    bencher.bench(|| {
        black_box(&op)
            .build_request(black_box(&endpoint), black_box(&credentials), black_box(TS))
            .expect("builds")
    });
}

/// For information: `SignSubCsr::new`, which checks and normalizes the CSR (PEM, Base64, DER).
#[divan::bench]
fn new_sign_sub_csr(bencher: Bencher<'_, '_>) {
    bencher.bench(|| {
        SignSubCsr::new(
            black_box("12345678-abcdefg"),
            black_box(Period::Days(1825)),
            black_box(CSR),
        )
        .expect("valid CSR")
    });
}

/// Parsing the documented Sign Sub CSR answer.
#[divan::bench]
fn parse_sign_sub_csr(bencher: Bencher<'_, '_>) {
    let fixture: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    let body = serde_json::to_vec(&fixture["response_body"]).expect("serializes");
    let response = http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("response");
    bencher
        .bench(|| SignSubCsr::parse_response(black_box(&response), black_box(TS)).expect("parses"));
}
