//! CSRs of every accepted key kind, made by openssl, signed as sub CAs and as end entities.

mod common;

use common::{
    Client, Kind, openssl_csr, openssl_verify, root_ca, service_code, start, webpki_verify,
};
use pca_core::Period;
use pca_core::operations::{SignEndCsr, SignSubCsr};
use x509_parser::prelude::{FromDer, X509Certificate, X509CertificationRequest};

fn spki_of_csr(pem_text: &str) -> Vec<u8> {
    let der = common::der(pem_text);
    let (_, csr) = X509CertificationRequest::from_der(&der).unwrap();
    csr.certification_request_info.subject_pki.raw.to_vec()
}

fn spki_and_subject_of_cert(pem_text: &str) -> (Vec<u8>, String) {
    let der = common::der(pem_text);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    (cert.public_key().raw.to_vec(), cert.subject().to_string())
}

#[test]
fn openssl_csrs_of_every_accepted_kind_are_signed() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);
    let ca = c.call(&root_ca("keys-root", "Keys Root")).unwrap();
    let tag = ca.info.ca_tag.unwrap();
    let root = ca.cert.unwrap().cert_pem.unwrap();
    for kind in [
        Kind::Rsa(2048),
        Kind::Rsa(3072),
        Kind::Rsa(4096),
        Kind::P256,
        Kind::P384,
        Kind::Ed25519,
    ] {
        let (_, csr) = openssl_csr(kind, &format!("{kind:?} sub"), true);
        let sub = c
            .call(&SignSubCsr::new(&tag, Period::days(30).unwrap(), &csr).unwrap())
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let (spki, subject) = spki_and_subject_of_cert(&sub.certificate);
        assert_eq!(
            spki,
            spki_of_csr(&csr),
            "{kind:?}: the CSR's key, as requested"
        );
        assert_eq!(subject, format!("C=KR, O=Test Org, CN={kind:?} sub"));
        let info = pca_core::CertificateInfo::from_pem(&sub.certificate).unwrap();
        assert!(info.is_ca, "{kind:?}");
        openssl_verify(&root, &[], &sub.certificate);

        let (_, leaf_csr) = openssl_csr(kind, "leaf.internal", false);
        let leaf = c
            .call(&SignEndCsr::new(&tag, &leaf_csr).unwrap())
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(
            spki_and_subject_of_cert(&leaf.certificate).0,
            spki_of_csr(&leaf_csr)
        );
        openssl_verify(&root, &[], &leaf.certificate);
        webpki_verify(&root, &[], &leaf.certificate);
    }
}

#[test]
fn csrs_that_are_not_accepted_are_refused_properly() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);
    let tag = c.create_root("refusing", "Refusing Root");

    // A P-521 key (its signature cannot be checked here): a key-type refusal.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        assert!(
            std::process::Command::new("openssl")
                .args(args)
                .current_dir(d)
                .status()
                .unwrap()
                .success()
        )
    };
    run(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-521",
        "-out",
        "k.pem",
    ]);
    run(&[
        "req", "-new", "-key", "k.pem", "-subj", "/CN=p521", "-out", "c.pem",
    ]);
    let csr = std::fs::read_to_string(d.join("c.pem")).unwrap();
    let e = c
        .call(&SignSubCsr::new(&tag, Period::days(3).unwrap(), &csr).unwrap())
        .unwrap_err();
    assert_eq!(service_code(&e), (400, "INVALID_X509_KEY_TYPE".to_owned()));

    // A CSR whose signature does not verify (one bit of the signature flipped).
    let (_, good) = openssl_csr(Kind::P256, "tampered", true);
    let mut der = common::der(&good);
    let n = der.len();
    der[n - 5] ^= 0x01;
    let bad = pca_core::__private::pem_text::encode("CERTIFICATE REQUEST", &der);
    let e = c
        .call(&SignSubCsr::new(&tag, Period::days(3).unwrap(), &bad).unwrap())
        .unwrap_err();
    assert_eq!(service_code(&e).1, "INVALID_INPUT");
}
