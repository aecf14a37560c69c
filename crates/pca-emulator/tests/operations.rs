//! Every one of the 24 operations answered by the emulator and parsed by pca-core's parsers.

mod common;

use common::{Client, Kind, ca_request, openssl_csr, pending_sub_ca, root_ca, service_code, start};
use pca_core::operations::*;
use pca_core::{CaState, CaStatus, CaType, CrlExpiry, KeyType, Period, X509Parameters};
use pca_emulator::Emulator;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

const USER: &str = "6e4c1234-abcd-ef01-2345-67890abc9baa";

fn root(c: &Client, alias: &str) -> String {
    c.call(
        &CreateCa::builder()
            .ca_type(CaType::PrivateRoot)
            .alias(alias)
            .memo("made by a test")
            .key_type(KeyType::Ec256)
            .period(Period::days(3000).unwrap())
            .x509_parameters(
                X509Parameters::new("Ops Root")
                    .country("KOR")
                    .organization("org000")
                    .organization_unit("org001")
                    .locality("Pangyo")
                    .state_province("Gyeonggi"),
            )
            .build()
            .unwrap(),
    )
    .unwrap()
    .info
    .ca_tag
    .unwrap()
}

/// The AIA id-ad-ocsp URLs of a certificate.
fn ocsp_urls(pem: &str) -> Vec<String> {
    let der = common::der(pem);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let mut out = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for d in &aia.accessdescs {
                if d.access_method.to_id_string() != "1.3.6.1.5.5.7.48.1" {
                    continue;
                }
                if let x509_parser::prelude::GeneralName::URI(u) = &d.access_location {
                    out.push((*u).to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn every_operation_answers_in_a_shape_the_core_parses() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);

    // 1 Create CA, 3 Get CA
    let tag = root(&c, "opsroot");
    let ca = c.call(&GetCa::new(&tag).unwrap()).unwrap();
    assert_eq!(ca.info.ca_tag.as_deref(), Some(tag.as_str()));
    assert_eq!(ca.info.alias.as_deref(), Some("opsroot"));
    assert_eq!(ca.info.memo.as_deref(), Some("made by a test"));
    assert_eq!(ca.info.ca_type.as_deref(), Some("PRIVATE_ROOT"));
    let cert = ca.cert.clone().unwrap();
    assert_eq!(cert.common_name.as_deref(), Some("Ops Root"));
    assert_eq!(cert.country.as_deref(), Some("KOR"));
    assert_eq!(cert.public_key_algorithm.as_deref(), Some("EC"));
    assert!(cert.cert_pem.unwrap().contains("BEGIN CERTIFICATE"));
    let info =
        pca_core::CertificateInfo::from_pem(ca.cert.as_ref().unwrap().cert_pem.as_ref().unwrap())
            .unwrap();
    assert!(info.subject.contains("CN=Ops Root") && info.subject.contains("L=Pangyo"));
    assert!((info.not_after - info.not_before - 3000 * 86_400).abs() < 120);

    // 2 Get CA List
    let list = c.call(&GetCaList::new()).unwrap();
    assert_eq!(
        (list.total_count, list.total_pages, list.current_page),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(list.cas[0].info.ca_tag.as_deref(), Some(tag.as_str()));

    // 8 Get CRL Config, 9 Update CRL Config, 7 Get CA CRL, 10 Rotate CRL, 11 Trim CA
    assert_eq!(
        c.call(&GetCrlConfig::new(&tag).unwrap())
            .unwrap()
            .expiry_days,
        Some(3)
    );
    let cfg = c
        .call(&UpdateCrlConfig::new(&tag, CrlExpiry::days(5).unwrap()).unwrap())
        .unwrap();
    assert_eq!(cfg.expiry_days, Some(5));
    assert_eq!(
        c.call(&GetCrlConfig::new(&tag).unwrap())
            .unwrap()
            .expiry_days,
        Some(5)
    );
    let crl1 = c.call(&GetCaCrl::new(&tag).unwrap()).unwrap();
    c.call(&RotateCrl::new(&tag).unwrap()).unwrap();
    let crl2 = c.call(&GetCaCrl::new(&tag).unwrap()).unwrap();
    assert_ne!(crl1.pem, crl2.pem, "a rotated CRL is a new CRL");
    c.call(&TrimCa::new(&tag).unwrap()).unwrap();
    let e = c
        .call(&UpdateCrlConfig::new(&tag, CrlExpiry::days(3650).unwrap()).unwrap())
        .unwrap_err();
    assert_eq!(service_code(&e).1, "EXCEED_EXPIRY_DATE");

    // 12 Create OCSP: reflected in certificates signed afterwards; 13 Delete OCSP.
    let url = format!("{}/ext/{tag}/ocsp", emu.base_url());
    c.call(&CreateOcsp::new(&tag, &url).unwrap()).unwrap();
    let ca = c.call(&GetCa::new(&tag).unwrap()).unwrap();
    assert_eq!(ca.info.url_info.unwrap().ocsp, vec![url.clone()]);

    // 14 Get Sub CSR, 15 Sign Sub CSR, 16 Activate Sub CA
    let pending = c.call(&pending_sub_ca("opssub", "Ops Sub")).unwrap();
    let sub = pending.info.ca_tag.unwrap();
    let csr = c.call(&GetSubCsr::new(&sub).unwrap()).unwrap();
    let signed = c
        .call(&SignSubCsr::new(&tag, Period::days(100).unwrap(), &csr.csr_pem).unwrap())
        .unwrap();
    assert_eq!(signed.ocsp_responder.as_deref(), Some(url.as_str()));
    assert_eq!(ocsp_urls(&signed.certificate), vec![url.clone()]);
    let act = c
        .call(&ActivateSubCa::new(&sub, &signed.certificate, signed.chain_pem()).unwrap())
        .unwrap();
    assert_eq!(act.info.status, Some(CaState::Active));

    // 6 Get CA Chain
    let chain = c.call(&GetCaChain::new(&sub).unwrap()).unwrap();
    assert_eq!(chain.certificates.len(), 2);

    // 17 Issue End Cert, 18 Sign End CSR (at the root, which has the OCSP URL)
    let issued = c
        .call(
            &IssueEndCert::builder()
                .ca_tag(&tag)
                .x509_parameters(X509Parameters::new("issued.internal").ip_texts(["192.0.2.7"]))
                .build()
                .unwrap(),
        )
        .unwrap();
    assert!(
        issued
            .private_key
            .expose_secret()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert_eq!(ocsp_urls(&issued.signed.certificate), vec![url.clone()]);
    let (_, leaf_csr) = openssl_csr(Kind::P256, "signed.internal", false);
    c.call(&DeleteOcsp::new(&tag).unwrap()).unwrap();
    let leaf = c.call(&SignEndCsr::new(&tag, &leaf_csr).unwrap()).unwrap();
    assert!(
        ocsp_urls(&leaf.certificate).is_empty(),
        "no OCSP URL after Delete OCSP"
    );
    assert_eq!(leaf.ocsp_responder, None);

    // 19 Get End Cert List, 20 Get End Cert, 21 Revoke End Cert
    let list = c.call(&GetEndCertList::new(&tag).unwrap()).unwrap();
    assert_eq!(list.total_count, Some(3));
    let serial = leaf.serial_no.clone().unwrap();
    let got = c.call(&GetEndCert::new(&tag, &serial).unwrap()).unwrap();
    assert_eq!(got.serial_no.as_deref(), Some(serial.as_str()));
    assert_eq!(got.public_key_algorithm.as_deref(), Some("EC"));
    assert_eq!(got.signature_algorithm.as_deref(), Some("SHA256WITHECDSA"));
    assert_eq!(got.ca_chain.len(), 1);
    assert!(got.not_after_date.is_some() && got.not_before_date.is_some());
    // Serial numbers are found in upper case and without colons too.
    let bare = serial.replace(':', "").to_uppercase();
    assert!(c.call(&GetEndCert::new(&tag, &bare).unwrap()).is_ok());
    c.call(&RevokeEndCert::new(&tag, &serial).unwrap()).unwrap();

    // 22 Get CA User List, 23 Add CA User, 24 Delete CA User
    assert!(
        c.call(&GetCaUserList::new(&tag).unwrap())
            .unwrap()
            .is_empty()
    );
    c.call(&AddCaUser::new(&tag, USER).unwrap()).unwrap();
    let users = c.call(&GetCaUserList::new(&tag).unwrap()).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id_no.as_deref(), Some(USER));
    let e = c.call(&AddCaUser::new(&tag, USER).unwrap()).unwrap_err();
    assert_eq!(service_code(&e).1, "INVALID_USER");
    c.call(&DeleteCaUser::new(&tag, USER).unwrap()).unwrap();
    let e = c.call(&DeleteCaUser::new(&tag, USER).unwrap()).unwrap_err();
    assert_eq!(service_code(&e), (404, "NOT_FOUND".to_owned()));

    // 4 Update CA, 5 Delete CA
    let upd = c
        .call(
            &UpdateCa::new(&sub, CaStatus::Destroying)
                .unwrap()
                .with_memo("bye")
                .unwrap(),
        )
        .unwrap();
    assert_eq!(upd.info.status, Some(CaState::Destroying));
    assert_eq!(upd.info.memo.as_deref(), Some("bye"));
    c.call(&DeleteCa::new(&sub).unwrap()).unwrap();
    assert_eq!(c.call(&GetCaList::new()).unwrap().total_count, Some(1));
}

#[test]
fn lists_are_paged() {
    if common::openssl_missing() {
        return;
    }
    let emu = Emulator::builder()
        .credentials(common::ACCESS, common::SECRET)
        .page_size(2)
        .start()
        .unwrap();
    let c = Client::new(&emu);
    let tag = root(&c, "pager");
    let (_, csr) = openssl_csr(Kind::P256, "p.internal", false);
    let mut serials = Vec::new();
    for _ in 0..5 {
        serials.push(
            c.call(&SignEndCsr::new(&tag, &csr).unwrap())
                .unwrap()
                .serial_no
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let l = c
            .call(&GetEndCertList::new(&tag).unwrap().with_page(page).unwrap())
            .unwrap();
        assert_eq!(
            (l.total_count, l.total_pages, l.current_page),
            (Some(5), Some(3), Some(u64::from(page)))
        );
        seen.extend(l.serials);
    }
    assert_eq!(seen, serials, "every certificate once, in issue order");
    let past = c
        .call(&GetEndCertList::new(&tag).unwrap().with_page(9).unwrap())
        .unwrap();
    assert!(past.serials.is_empty());
    for alias in ["pager2", "pager3"] {
        root(&c, alias);
    }
    let cas = c.call(&GetCaList::page(2).unwrap()).unwrap();
    assert_eq!(
        (cas.total_count, cas.total_pages, cas.cas.len()),
        (Some(3), Some(2), 1)
    );
}

#[test]
fn documented_limits_are_enforced() {
    if common::openssl_missing() {
        return;
    }
    let emu = Emulator::builder()
        .credentials(common::ACCESS, common::SECRET)
        .max_cas(2)
        .max_certs_per_ca(2)
        .start()
        .unwrap();
    let c = Client::new(&emu);
    let tag = root(&c, "limit1");
    root(&c, "limit2");
    let e = c.call(&root_ca("limit3", "x")).unwrap_err();
    assert_eq!(service_code(&e), (422, "UNPROCESSABLE_ENTITY".to_owned()));
    let (_, csr) = openssl_csr(Kind::P256, "l.internal", false);
    c.call(&SignEndCsr::new(&tag, &csr).unwrap()).unwrap();
    c.call(&SignEndCsr::new(&tag, &csr).unwrap()).unwrap();
    let e = c.call(&SignEndCsr::new(&tag, &csr).unwrap()).unwrap_err();
    assert_eq!(service_code(&e), (422, "EXCEED_SIGNING_COUNT".to_owned()));
}

#[test]
fn alias_must_be_unique() {
    let emu = start();
    let c = Client::new(&emu);
    root(&c, "same");
    let e = c.call(&root_ca("same", "x")).unwrap_err();
    assert_eq!(service_code(&e), (409, "ALREADY_EXIST_ALIAS".to_owned()));
}

#[test]
fn rsa4096_and_ec521_cas_sign() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);
    for (alias, kt) in [("big-rsa", KeyType::Rsa4096), ("ec-521", KeyType::Ec521)] {
        let ca = c
            .call(&ca_request(
                CaType::PrivateRoot,
                alias,
                kt,
                Period::Max,
                alias,
            ))
            .unwrap();
        let tag = ca.info.ca_tag.unwrap();
        let root_pem = ca.cert.unwrap().cert_pem.unwrap();
        let (_, csr) = openssl_csr(Kind::P256, "k.internal", false);
        let leaf = c.call(&SignEndCsr::new(&tag, &csr).unwrap()).unwrap();
        common::openssl_verify(&root_pem, &[], &leaf.certificate);
        let crl = c.call(&GetCaCrl::new(&tag).unwrap()).unwrap();
        assert!(crl.pem.contains("X509 CRL"));
    }
}

#[test]
fn x509_parameters_go_into_subject_and_sans() {
    let emu = start();
    let c = Client::new(&emu);
    let ca = c
        .call(
            &CreateCa::builder()
                .ca_type(CaType::PrivateRoot)
                .alias("named")
                .key_type(KeyType::Ec256)
                .period(Period::Max)
                .x509_parameters(
                    X509Parameters::new("Named Root")
                        .country("KR")
                        .organization("Org")
                        .alt_names(["ca.internal"])
                        .ip_texts(["192.0.2.1"]),
                )
                .build()
                .unwrap(),
        )
        .unwrap();
    let info = pca_core::CertificateInfo::from_pem(&ca.cert.unwrap().cert_pem.unwrap()).unwrap();
    assert_eq!(info.subject, "C=KR, O=Org, CN=Named Root");
    assert_eq!(info.dns_names, vec!["ca.internal".to_owned()]);
    assert_eq!(info.ip_addresses, vec!["192.0.2.1".to_owned()]);
    let tag = ca.info.ca_tag.unwrap();
    let issued = c
        .call(
            &IssueEndCert::builder()
                .ca_tag(&tag)
                .key_type(KeyType::Rsa2048)
                .x509_parameters(
                    X509Parameters::new("leaf")
                        .street_address("1 Main St")
                        .alt_names(["a.internal", "ops@corp.example"])
                        .ip_texts(["2001:db8::1"]),
                )
                .build()
                .unwrap(),
        )
        .unwrap();
    let leaf = pca_core::CertificateInfo::from_pem(&issued.signed.certificate).unwrap();
    assert!(leaf.subject.contains("CN=leaf"), "{}", leaf.subject);
    assert_eq!(
        leaf.dns_names,
        vec!["a.internal".to_owned(), "ops@corp.example".to_owned()]
    );
    assert_eq!(leaf.ip_addresses, vec!["2001:db8::1".to_owned()]);
    // The pending sub CA's CSR carries the names too.
    let pending = c
        .call(
            &CreateCa::builder()
                .ca_type(CaType::PrivateSub)
                .alias("named-sub")
                .key_type(KeyType::Ec256)
                .period(Period::Max)
                .x509_parameters(X509Parameters::new("Named Sub").organization_unit("PKI"))
                .build()
                .unwrap(),
        )
        .unwrap();
    let csr = c
        .call(&GetSubCsr::new(pending.info.ca_tag.unwrap()).unwrap())
        .unwrap();
    let der = common::der(&csr.csr_pem);
    let (_, req) = x509_parser::prelude::X509CertificationRequest::from_der(&der).unwrap();
    assert_eq!(
        req.certification_request_info.subject.to_string(),
        "OU=PKI, CN=Named Sub"
    );
    req.verify_signature()
        .expect("the CSR is signed by the CA's key");
}
