//! The whole sub-CA lifecycle over HTTP, every certificate checked by real verifiers.

mod common;

use common::{Client, Kind, openssl_csr, openssl_verify, start, webpki_verify};
use pca_core::operations::*;
use pca_core::{CaState, CaType, KeyType, Period, X509Parameters};
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

fn create(
    client: &Client,
    ca_type: CaType,
    alias: &str,
    issuer: Option<&str>,
    kt: KeyType,
) -> pca_core::Ca {
    let mut b = CreateCa::builder()
        .ca_type(ca_type)
        .alias(alias)
        .key_type(kt)
        .period(Period::Max)
        .x509_parameters(
            X509Parameters::new(format!("{alias} CA"))
                .country("KR")
                .organization("Test Org"),
        );
    if let Some(i) = issuer {
        b = b.issuer_tag(i);
    }
    client.call(&b.build().unwrap()).expect("Create CA")
}

fn tag(ca: &pca_core::Ca) -> String {
    ca.info.ca_tag.clone().expect("caTag")
}

fn check_ca_cert(pem: &str) {
    let der = common::der(pem);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let bc = cert.basic_constraints().unwrap().expect("basicConstraints");
    assert!(bc.value.ca, "CA:TRUE");
    assert!(bc.critical);
    let ku = cert.key_usage().unwrap().expect("keyUsage");
    assert!(ku.value.key_cert_sign() && ku.value.crl_sign());
    let mut ski = false;
    let mut aki = false;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(_) => ski = true,
            ParsedExtension::AuthorityKeyIdentifier(_) => aki = true,
            _ => {}
        }
    }
    assert!(ski && aki, "SKI and AKI present");
}

#[test]
fn sub_ca_lifecycle_with_external_signing_revocation_and_crl() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let client = Client::new(&emu);

    // A root, and a sub CA left pending for outside signing.
    let root = create(
        &client,
        CaType::PrivateRoot,
        "root-ca",
        None,
        KeyType::Ec256,
    );
    assert_eq!(root.info.status, Some(CaState::Active));
    let root_tag = tag(&root);
    let pending = create(
        &client,
        CaType::PrivateSub,
        "pending-sub",
        None,
        KeyType::Rsa2048,
    );
    assert_eq!(pending.info.status, Some(CaState::Pending));
    let sub_tag = tag(&pending);

    // A pending CA signs nothing.
    let (_, csr_for_leaf) = openssl_csr(Kind::P256, "early.internal", false);
    let e = client
        .call(&SignEndCsr::new(&sub_tag, &csr_for_leaf).unwrap())
        .unwrap_err();
    assert_eq!(
        common::service_code(&e),
        (409, "INVALID_CA_STATUS".to_owned())
    );

    // Get Sub CSR → Sign Sub CSR at the root → Activate Sub CA.
    let csr = client
        .call(&GetSubCsr::new(&sub_tag).unwrap())
        .expect("Get Sub CSR");
    let signed = client
        .call(&SignSubCsr::new(&root_tag, Period::days(365).unwrap(), &csr.csr_pem).unwrap())
        .expect("Sign Sub CSR");
    check_ca_cert(&signed.certificate);
    let root_pem = client
        .call(&GetCaChain::new(&root_tag).unwrap())
        .unwrap()
        .certificates[0]
        .clone();
    assert_eq!(signed.root().map(str::trim), Some(root_pem.trim()));
    openssl_verify(&root_pem, &[], &signed.certificate);

    let activated = client
        .call(&ActivateSubCa::new(&sub_tag, &signed.certificate, signed.chain_pem()).unwrap())
        .expect("Activate Sub CA");
    assert_eq!(activated.info.status, Some(CaState::Active));
    let chain = client.call(&GetCaChain::new(&sub_tag).unwrap()).unwrap();
    assert_eq!(chain.certificates.len(), 2, "sub CA certificate then root");

    // Once active, there is no CSR any more.
    let e = client.call(&GetSubCsr::new(&sub_tag).unwrap()).unwrap_err();
    assert_eq!(common::service_code(&e).1, "INVALID_CA_STATUS");

    // Leaves under the sub CA: one signed from an openssl CSR, one issued with a server key.
    let (_, leaf_csr) = openssl_csr(Kind::P256, "svc.internal", false);
    let leaf = client
        .call(
            &SignEndCsr::new(&sub_tag, &leaf_csr)
                .unwrap()
                .with_period(Period::days(30).unwrap())
                .unwrap(),
        )
        .expect("Sign End CSR");
    let issued = client
        .call(
            &IssueEndCert::builder()
                .ca_tag(&sub_tag)
                .key_type(KeyType::Ec256)
                .period(Period::days(10).unwrap())
                .x509_parameters(X509Parameters::new("api.internal").alt_names(["api.internal"]))
                .build()
                .unwrap(),
        )
        .expect("Issue End Cert");
    assert!(issued.private_key.expose_secret().contains("PRIVATE KEY"));
    for cert in [&leaf, &issued.signed] {
        let inter = vec![chain.certificates[0].clone()];
        openssl_verify(&root_pem, &inter, &cert.certificate);
        webpki_verify(&root_pem, &inter, &cert.certificate);
        assert_eq!(cert.ca_chain.len(), 2);
        assert_eq!(cert.root().map(str::trim), Some(root_pem.trim()));
    }
    let info = pca_core::CertificateInfo::from_pem(&leaf.certificate).unwrap();
    assert!(info.dns_names.contains(&"svc.internal".to_owned()));
    assert!(info.ip_addresses.contains(&"10.0.0.1".to_owned()));
    assert!(!info.is_ca);

    // List, get, revoke, and find the serial in the CRL.
    let list = client
        .call(&GetEndCertList::new(&sub_tag).unwrap())
        .unwrap();
    assert_eq!(list.total_count, Some(2));
    let serial = leaf.serial_no.clone().expect("serialNo");
    assert!(list.serials.contains(&serial));
    let got = client
        .call(&GetEndCert::new(&sub_tag, &serial).unwrap())
        .unwrap();
    assert_eq!(
        got.cert_pem.as_deref().map(str::trim),
        Some(leaf.certificate.trim())
    );
    assert_eq!(got.common_name.as_deref(), Some("svc.internal"));

    client
        .call(&RevokeEndCert::new(&sub_tag, &serial).unwrap())
        .expect("Revoke");
    let crl = client
        .call(&GetCaCrl::new(&sub_tag).unwrap())
        .expect("Get CA CRL");
    assert!(crl.pem.starts_with("-----BEGIN X509 CRL-----"));
    let crl_der = pem::parse(&crl.pem).unwrap().into_contents();
    let (_, parsed) = CertificateRevocationList::from_der(&crl_der).unwrap();
    let revoked: Vec<String> = parsed
        .iter_revoked_certificates()
        .map(|r| r.raw_serial_as_string())
        .collect();
    assert_eq!(revoked, vec![serial.clone()]);
    // The CRL is signed by the sub CA.
    let sub_der = common::der(&chain.certificates[0]);
    let (_, sub_cert) = X509Certificate::from_der(&sub_der).unwrap();
    parsed
        .verify_signature(sub_cert.public_key())
        .expect("CRL signature");
    // And openssl agrees the leaf is revoked when the CRL is checked.
    {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("root.pem"), &root_pem).unwrap();
        std::fs::write(d.join("chain.pem"), &chain.certificates[0]).unwrap();
        std::fs::write(d.join("crl.pem"), &crl.pem).unwrap();
        std::fs::write(d.join("leaf.pem"), &leaf.certificate).unwrap();
        let out = std::process::Command::new("openssl")
            .args([
                "verify",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "chain.pem",
                "-CRLfile",
                "crl.pem",
                "-crl_check",
                "leaf.pem",
            ])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("revoked")
                || String::from_utf8_lossy(&out.stderr).contains("revoked")
        );
    }

    // Revoking twice is refused; the issued (not revoked) certificate is not in the CRL.
    let e = client
        .call(&RevokeEndCert::new(&sub_tag, &serial).unwrap())
        .unwrap_err();
    assert_eq!(common::service_code(&e).1, "INVALID_CERT");
    assert!(!revoked.contains(issued.signed.serial_no.as_ref().unwrap()));
}

#[test]
fn sub_ca_signed_at_once_by_issuer_tag_and_three_level_chain() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let client = Client::new(&emu);
    let root = create(
        &client,
        CaType::PrivateRoot,
        "rootA",
        None,
        KeyType::Rsa2048,
    );
    let root_tag = tag(&root);
    let sub = create(
        &client,
        CaType::PrivateSub,
        "subA",
        Some(&root_tag),
        KeyType::Ec256,
    );
    assert_eq!(sub.info.status, Some(CaState::Active));
    let sub_tag = tag(&sub);
    let subsub = create(
        &client,
        CaType::PrivateSub,
        "subsubA",
        Some(&sub_tag),
        KeyType::Ec521,
    );
    let subsub_tag = tag(&subsub);

    let chain = client
        .call(&GetCaChain::new(&subsub_tag).unwrap())
        .unwrap()
        .certificates;
    assert_eq!(chain.len(), 3);
    for c in &chain {
        check_ca_cert(c);
    }
    let root_pem = chain[2].clone();
    openssl_verify(&root_pem, &chain[1..2], &chain[0]);

    // Child validity is clamped to the issuer's.
    let root_after = pca_core::CertificateInfo::from_pem(&chain[2])
        .unwrap()
        .not_after;
    let sub_after = pca_core::CertificateInfo::from_pem(&chain[1])
        .unwrap()
        .not_after;
    let subsub_after = pca_core::CertificateInfo::from_pem(&chain[0])
        .unwrap()
        .not_after;
    assert!(sub_after <= root_after && subsub_after <= sub_after);

    let (_, csr) = openssl_csr(Kind::Rsa(2048), "deep.internal", false);
    let leaf = client
        .call(&SignEndCsr::new(&subsub_tag, &csr).unwrap())
        .unwrap();
    openssl_verify(&root_pem, &chain[..2], &leaf.certificate);
    webpki_verify(&root_pem, &chain[..2], &leaf.certificate);
    assert_eq!(leaf.ca_chain.len(), 3);

    // The parent lists the sub CA certificate it signed.
    let list = client
        .call(&GetEndCertList::new(&root_tag).unwrap())
        .unwrap();
    assert_eq!(list.total_count, Some(1));
}

#[test]
fn deactivated_ca_signs_nothing_and_delete_needs_destroying() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let client = Client::new(&emu);
    let root = create(&client, CaType::PrivateRoot, "rootD", None, KeyType::Ec256);
    let t = tag(&root);
    let ca = client
        .call(&UpdateCa::new(&t, pca_core::CaStatus::Deactivated).unwrap())
        .unwrap();
    assert_eq!(ca.info.status, Some(CaState::Deactivated));
    let (_, csr) = openssl_csr(Kind::P256, "x.internal", true);
    let e = client
        .call(&SignSubCsr::new(&t, Period::days(10).unwrap(), &csr).unwrap())
        .unwrap_err();
    assert_eq!(
        common::service_code(&e),
        (409, "INVALID_CA_STATUS".to_owned())
    );
    let e = client
        .call(
            &CreateCa::builder()
                .ca_type(CaType::PrivateSub)
                .issuer_tag(&t)
                .alias("child")
                .key_type(KeyType::Ec256)
                .period(Period::Max)
                .x509_parameters(X509Parameters::new("c"))
                .build()
                .unwrap(),
        )
        .unwrap_err();
    assert_eq!(common::service_code(&e).1, "INVALID_CA_STATUS");

    let e = client.call(&DeleteCa::new(&t).unwrap()).unwrap_err();
    assert_eq!(common::service_code(&e).1, "INVALID_CA_STATUS");
    client
        .call(&UpdateCa::new(&t, pca_core::CaStatus::Destroying).unwrap())
        .unwrap();
    let got = client.call(&GetCa::new(&t).unwrap()).unwrap();
    assert_eq!(got.info.status, Some(CaState::Destroying));
    assert!(got.info.destroy_date.is_some());
    // Cancel, then schedule again and delete.
    client
        .call(&UpdateCa::new(&t, pca_core::CaStatus::Active).unwrap())
        .unwrap();
    client
        .call(&SignSubCsr::new(&t, Period::days(10).unwrap(), &csr).unwrap())
        .expect("active again");
    client
        .call(&UpdateCa::new(&t, pca_core::CaStatus::Destroying).unwrap())
        .unwrap();
    client.call(&DeleteCa::new(&t).unwrap()).expect("Delete CA");
    let e = client.call(&GetCa::new(&t).unwrap()).unwrap_err();
    assert_eq!(common::service_code(&e), (404, "NOT_FOUND".to_owned()));
}
