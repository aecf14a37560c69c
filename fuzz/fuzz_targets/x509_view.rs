//! The X.509 reader: the view (`CertificateInfo`) of DER bytes, the same as PEM, and any text
//! as PEM; the same bytes as a CSR input; and a signing answer checked against a recorded
//! request, its certificate and chain cut from the input (names, keys, signatures, validity).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pca_core::operations::SignEndCsr;
use pca_core::{CertificateInfo, Operation, SignedCertificate, Timestamp};

/// A Sign End CSR request from the recorded exchanges, to check answers against.
fn recorded_op() -> &'static SignEndCsr {
    static OP: OnceLock<SignEndCsr> = OnceLock::new();
    OP.get_or_init(|| {
        let exchange = pca_tests::load("sign_end_csr", "emulator");
        let csr = exchange.request.body["csrPem"]
            .as_str()
            .expect("the recorded request has a CSR");
        SignEndCsr::new("a1b2c3d4-e5f6a7b8", csr).expect("the recorded CSR is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let pem = |label: &str, der: &[u8]| pca_core::__private::pem_text::encode(label, der);
    if let Ok(info) = CertificateInfo::from_der(data) {
        let _ = format!("{info:?}");
        let again = CertificateInfo::from_pem(&pem("CERTIFICATE", data))
            .expect("the same certificate as PEM");
        assert_eq!(format!("{info:?}"), format!("{again:?}"));
    }
    let _ = SignEndCsr::new("a1b2c3d4-e5f6a7b8", pem("CERTIFICATE REQUEST", data));
    if let Some((&first, rest)) = data.split_first() {
        let cut = usize::from(first) * rest.len() / 256;
        let (cert, chain) = rest.split_at(cut);
        let answer =
            SignedCertificate::new(pem("CERTIFICATE", cert), vec![pem("CERTIFICATE", chain)]);
        let now = Timestamp::from_unix_millis(1_780_000_000_000);
        let _ = recorded_op()
            .check_answer(&answer, now)
            .map_err(|e| e.to_string());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(all) = CertificateInfo::all_from_pem(text) {
            let _ = format!("{all:?}");
        }
        let _ = CertificateInfo::from_pem(text);
    }
});
