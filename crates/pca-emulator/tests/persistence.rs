//! With a state directory, a restart keeps every CA, key, certificate, revocation and user.

mod common;

use common::{ACCESS, Client, Kind, SECRET, ca_request, openssl_csr, openssl_verify};
use pca_core::operations::*;
use pca_core::{CaState, CaType, KeyType, Period};
use pca_emulator::Emulator;

fn start_in(dir: &std::path::Path) -> Emulator {
    Emulator::builder()
        .credentials(ACCESS, SECRET)
        .state_dir(dir)
        .start()
        .unwrap()
}

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (root_tag, pending_tag, root_pem, serial);
    {
        let emu = start_in(dir.path());
        let c = Client::new(&emu);
        let root = c
            .call(&ca_request(
                CaType::PrivateRoot,
                "kept-root",
                KeyType::Rsa2048,
                Period::Max,
                "Kept Root",
            ))
            .unwrap();
        root_tag = root.info.ca_tag.unwrap();
        root_pem = root.cert.unwrap().cert_pem.unwrap();
        pending_tag = c.create_pending_sub("kept-pending", "Kept Sub");
        let (_, csr) = openssl_csr(Kind::P256, "kept.internal", false);
        serial = c
            .call(&SignEndCsr::new(&root_tag, &csr).unwrap())
            .unwrap()
            .serial_no
            .unwrap();
        c.call(&RevokeEndCert::new(&root_tag, &serial).unwrap())
            .unwrap();
        c.call(&AddCaUser::new(&root_tag, "6e4c1234-abcd-ef01-2345-67890abc9baa").unwrap())
            .unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the state file holds keys: owner only");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "state.json" && n != "certs")
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );

    let emu = start_in(dir.path());
    let c = Client::new(&emu);
    let list = c.call(&GetCaList::new()).unwrap();
    assert_eq!(list.total_count, Some(2));
    let root = c.call(&GetCa::new(&root_tag).unwrap()).unwrap();
    assert_eq!(root.cert.unwrap().cert_pem.unwrap().trim(), root_pem.trim());
    // The restored key still signs under the same root.
    let (_, csr) = openssl_csr(Kind::P256, "after.internal", false);
    let leaf = c.call(&SignEndCsr::new(&root_tag, &csr).unwrap()).unwrap();
    openssl_verify(&root_pem, &[], &leaf.certificate);
    // Revocations, certificates and users are kept.
    let crl = c.call(&GetCaCrl::new(&root_tag).unwrap()).unwrap();
    let der = pem::parse(&crl.pem).unwrap().into_contents();
    let (_, parsed) = x509_parser::parse_x509_crl(&der).unwrap();
    assert!(
        parsed
            .iter_revoked_certificates()
            .any(|r| r.raw_serial_as_string() == serial)
    );
    assert_eq!(
        c.call(&GetEndCertList::new(&root_tag).unwrap())
            .unwrap()
            .total_count,
        Some(2)
    );
    assert_eq!(
        c.call(&GetCaUserList::new(&root_tag).unwrap())
            .unwrap()
            .len(),
        1
    );
    // The pending CA's key is kept too: its CSR signs and activates.
    let pending = c.call(&GetSubCsr::new(&pending_tag).unwrap()).unwrap();
    let signed = c
        .call(&SignSubCsr::new(&root_tag, Period::days(30).unwrap(), &pending.csr_pem).unwrap())
        .unwrap();
    let act = c
        .call(&ActivateSubCa::new(&pending_tag, &signed.certificate, signed.chain_pem()).unwrap())
        .unwrap();
    assert_eq!(act.info.status, Some(CaState::Active));
}

#[test]
fn a_broken_state_file_stops_the_start_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), b"{ not json").unwrap();
    let err = Emulator::builder()
        .state_dir(dir.path())
        .start()
        .unwrap_err();
    assert!(err.to_string().contains("state"), "{err}");
}

#[test]
fn many_certificates_are_stored_in_runs_and_survive() {
    let dir = tempfile::tempdir().unwrap();
    let (tag, serials);
    {
        let emu = start_in(dir.path());
        let c = Client::new(&emu);
        tag = c.create_root("many", "Many Root");
        let (_, csr) = openssl_csr(Kind::P256, "many.internal", false);
        let op = SignEndCsr::new(&tag, &csr).unwrap();
        serials = (0..600)
            .map(|_| c.call(&op).unwrap().serial_no.unwrap())
            .collect::<Vec<_>>();
        // Revoke one in the first run of certificates, long after it was written.
        c.call(&RevokeEndCert::new(&tag, &serials[3]).unwrap())
            .unwrap();
        // A second CA, deleted: its files go away.
        let gone = c.create_root("gone", "Gone");
        c.call(&SignEndCsr::new(&gone, &csr).unwrap()).unwrap();
        c.call(&UpdateCa::new(&gone, pca_core::CaStatus::Destroying).unwrap())
            .unwrap();
        c.call(&DeleteCa::new(&gone).unwrap()).unwrap();
    }
    let files: Vec<String> = std::fs::read_dir(dir.path().join("certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files.len(),
        3,
        "600 certificates in 3 runs, nothing else: {files:?}"
    );
    assert!(files.iter().all(|f| f.starts_with(&tag)));

    let emu = start_in(dir.path());
    let c = Client::new(&emu);
    let mut listed = Vec::new();
    let mut page = 1;
    loop {
        let l = c
            .call(&GetEndCertList::new(&tag).unwrap().with_page(page).unwrap())
            .unwrap();
        listed.extend(l.serials);
        if u64::from(page) >= l.total_pages.unwrap() {
            break;
        }
        page += 1;
    }
    assert_eq!(listed, serials);
    let crl = c.call(&GetCaCrl::new(&tag).unwrap()).unwrap();
    let der = pem::parse(&crl.pem).unwrap().into_contents();
    let (_, parsed) = x509_parser::parse_x509_crl(&der).unwrap();
    let revoked: Vec<String> = parsed
        .iter_revoked_certificates()
        .map(|r| r.raw_serial_as_string())
        .collect();
    assert_eq!(revoked, vec![serials[3].clone()]);
    let got = c
        .call(&GetEndCert::new(&tag, &serials[599]).unwrap())
        .unwrap();
    assert_eq!(got.serial_no.as_deref(), Some(serials[599].as_str()));
}
