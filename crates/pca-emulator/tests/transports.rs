//! The sub-CA lifecycle through the project's own transports, pca-blocking and pca-async,
//! against the emulator.

mod common;

use common::{
    ACCESS, Kind, SECRET, openssl_csr, openssl_verify, pending_sub_ca, root_ca, start,
    webpki_verify,
};
use pca_core::operations::*;
use pca_core::{CaState, Credentials, KeyType, Period, X509Parameters};

/// Whether the CRL in `crl_pem` lists the certificate with serial `serial`.
fn crl_lists(crl_pem: &str, serial: &str) -> bool {
    let der = pem::parse(crl_pem).unwrap().into_contents();
    let (_, parsed) = x509_parser::parse_x509_crl(&der).unwrap();
    parsed
        .iter_revoked_certificates()
        .any(|r| r.raw_serial_as_string() == serial)
}

#[test]
fn lifecycle_through_pca_blocking() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let client = pca_blocking::Client::builder()
        .endpoint(emu.endpoint())
        .credentials(Credentials::new(ACCESS, SECRET).unwrap())
        .build()
        .unwrap();
    let root = client.send(&root_ca("blk", "blk root")).unwrap();
    let root_tag = root.info.ca_tag.unwrap();
    let root_pem = root.cert.unwrap().cert_pem.unwrap();
    let sub_tag = client
        .send(&pending_sub_ca("blksub", "blksub sub"))
        .unwrap()
        .info
        .ca_tag
        .unwrap();
    let csr = client.send(&GetSubCsr::new(&sub_tag).unwrap()).unwrap();
    let signed = client
        .send(&SignSubCsr::new(&root_tag, Period::days(100).unwrap(), &csr.csr_pem).unwrap())
        .unwrap();
    let act = client
        .send(&ActivateSubCa::new(&sub_tag, &signed.certificate, signed.chain_pem()).unwrap())
        .unwrap();
    assert_eq!(act.info.status, Some(CaState::Active));
    let (_, leaf_csr) = openssl_csr(Kind::P384, "blocking.internal", false);
    let leaf = client
        .send(&SignEndCsr::new(&sub_tag, &leaf_csr).unwrap())
        .unwrap();
    let inter = vec![signed.certificate.clone()];
    openssl_verify(&root_pem, &inter, &leaf.certificate);
    webpki_verify(&root_pem, &inter, &leaf.certificate);
    let serial = leaf.serial_no.unwrap();
    client
        .send(&RevokeEndCert::new(&sub_tag, &serial).unwrap())
        .unwrap();
    let crl = client.send(&GetCaCrl::new(&sub_tag).unwrap()).unwrap();
    assert!(crl_lists(&crl.pem, &serial));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_through_pca_async() {
    if common::openssl_missing() {
        return;
    }
    let emu = pca_emulator::Emulator::builder()
        .credentials(ACCESS, SECRET)
        .spawn()
        .await
        .unwrap();
    let client = pca_async::Client::builder()
        .endpoint(emu.endpoint())
        .credentials(Credentials::new(ACCESS, SECRET).unwrap())
        .build()
        .unwrap();
    let root = client.send(&root_ca("asy", "asy root")).await.unwrap();
    let root_tag = root.info.ca_tag.unwrap();
    let root_pem = root.cert.unwrap().cert_pem.unwrap();
    let sub_tag = client
        .send(&pending_sub_ca("asysub", "asysub sub"))
        .await
        .unwrap()
        .info
        .ca_tag
        .unwrap();
    let csr = client
        .send(&GetSubCsr::new(&sub_tag).unwrap())
        .await
        .unwrap();
    let signed = client
        .send(&SignSubCsr::new(&root_tag, Period::days(100).unwrap(), &csr.csr_pem).unwrap())
        .await
        .unwrap();
    client
        .send(&ActivateSubCa::new(&sub_tag, &signed.certificate, signed.chain_pem()).unwrap())
        .await
        .unwrap();
    let issued = client
        .send(
            &IssueEndCert::builder()
                .ca_tag(&sub_tag)
                .key_type(KeyType::Rsa2048)
                .x509_parameters(
                    X509Parameters::new("async.internal").alt_names(["async.internal"]),
                )
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let inter = vec![signed.certificate.clone()];
    let cert = issued.signed.certificate.clone();
    let root2 = root_pem.clone();
    tokio::task::spawn_blocking(move || {
        openssl_verify(&root2, &inter, &cert);
        webpki_verify(&root2, &inter, &cert);
    })
    .await
    .unwrap();
    let serial = issued.signed.serial_no.unwrap();
    client
        .send(&RevokeEndCert::new(&sub_tag, &serial).unwrap())
        .await
        .unwrap();
    let crl = client
        .send(&GetCaCrl::new(&sub_tag).unwrap())
        .await
        .unwrap();
    assert!(crl_lists(&crl.pem, &serial));
}
