//! With a state directory, a restart keeps every CA, key, certificate, revocation and user.

mod common;

use common::{ACCESS, Client, Kind, SECRET, openssl_csr, openssl_verify};
use pca_core::operations::*;
use pca_core::{CaState, CaType, KeyType, Period, X509Parameters};
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
            .call(
                &CreateCa::builder()
                    .ca_type(CaType::PrivateRoot)
                    .alias("kept-root")
                    .key_type(KeyType::Rsa2048)
                    .period(Period::Max)
                    .x509_parameters(X509Parameters::new("Kept Root"))
                    .build()
                    .unwrap(),
            )
            .unwrap();
        root_tag = root.info.ca_tag.unwrap();
        root_pem = root.cert.unwrap().cert_pem.unwrap();
        pending_tag = c
            .call(
                &CreateCa::builder()
                    .ca_type(CaType::PrivateSub)
                    .alias("kept-pending")
                    .key_type(KeyType::Ec256)
                    .period(Period::Max)
                    .x509_parameters(X509Parameters::new("Kept Sub"))
                    .build()
                    .unwrap(),
            )
            .unwrap()
            .info
            .ca_tag
            .unwrap();
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
        .filter(|n| n != "state.json")
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
