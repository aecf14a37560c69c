//! Answer checks on a chain of P-521 CAs made by openssl (`ring`, and so rcgen on it, has no
//! P-521 signer; openssl is also an implementation independent of the verifier).
//!
//! With the feature `p521` each P-521 signature is verified (SHA-256, SHA-384 and SHA-512
//! links); without it, P-521 links are checked by their names only, as documented.
//!
//! openssl is needed: without it the tests say so and pass, unless `PCA_REQUIRE_OPENSSL=1`
//! (which `.ci/run` sets) makes that a failure.
#![cfg(feature = "x509")]

use std::path::Path;
use std::process::Command;

use pca_core::operations::SignEndCsr;
use pca_core::{CertificateInfo, Mismatch, Operation, Period, SignedCertificate, Timestamp};
use rcgen::{CertificateParams, DnType, KeyPair};

const TAG: &str = "a1b2c3d4-e5f6a7b8";

/// `true` when openssl can be run. When it cannot: a failure under `PCA_REQUIRE_OPENSSL=1`,
/// else `false` and a note on stderr.
fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("PCA_REQUIRE_OPENSSL").as_deref() != Ok("1"),
            "openssl cannot be run and PCA_REQUIRE_OPENSSL=1: install it (apt-get install openssl)"
        );
        eprintln!(
            "SKIPPED: the P-521 chains are made by openssl, which cannot be run (install it; \
             PCA_REQUIRE_OPENSSL=1 makes this a failure)"
        );
    }
    ok
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// A P-521 root, a P-521 issuing CA under it (signed with SHA-384), and a P-256 CSR.
struct Chain {
    dir: tempfile::TempDir,
    root: String,
    issuing: String,
    csr: String,
}

fn p521_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-521",
            "-noenc",
            "-keyout",
            &format!("{name}.key"),
            "-subj",
            &format!("/CN=P-521 {name}"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
}

/// `openssl x509 -req`: `csr` signed by the CA `ca` (or self-signed with `-key`), with `digest`.
fn sign(
    dir: &Path,
    csr: &str,
    ca: Option<&str>,
    digest: &str,
    days: &str,
    ca_cert: bool,
) -> String {
    let out = format!("{csr}-by-{}-{digest}.pem", ca.unwrap_or("self"));
    let mut args: Vec<String> = ["x509", "-req", "-in", &format!("{csr}.csr"), "-days", days]
        .map(str::to_owned)
        .to_vec();
    match ca {
        Some(ca) => args.extend([
            "-CA".into(),
            format!("{ca}.pem"),
            "-CAkey".into(),
            format!("{ca}.key"),
        ]),
        None => args.extend(["-key".into(), format!("{csr}.key")]),
    }
    args.extend([
        format!("-{digest}"),
        "-set_serial".into(),
        "0x0abcde".into(),
        "-out".into(),
        out.clone(),
    ]);
    if ca_cert {
        std::fs::write(dir.join("ca.ext"), "basicConstraints=critical,CA:TRUE\n").unwrap();
        args.extend(["-extfile".into(), "ca.ext".into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    openssl(dir, &args);
    read(dir, &out)
}

fn chain() -> Option<Chain> {
    if !have_openssl() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    p521_ca(dir.path(), "root");
    let root = sign(dir.path(), "root", None, "sha512", "3650", true);
    std::fs::write(dir.path().join("root.pem"), &root).unwrap();
    p521_ca(dir.path(), "issuing");
    let issuing = sign(dir.path(), "issuing", Some("root"), "sha384", "3650", true);
    std::fs::write(dir.path().join("issuing.pem"), &issuing).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["api.internal".to_owned()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "api.internal");
    let csr = p.serialize_request(&key).unwrap().pem().unwrap();
    std::fs::write(dir.path().join("leaf.csr"), &csr).unwrap();
    Some(Chain {
        dir,
        root,
        issuing,
        csr,
    })
}

impl Chain {
    /// The CSR's certificate, signed by the issuing CA with `digest`.
    fn leaf(&self, digest: &str) -> String {
        sign(
            self.dir.path(),
            "leaf",
            Some("issuing"),
            digest,
            "30",
            false,
        )
    }

    fn op(&self) -> SignEndCsr {
        SignEndCsr::new(TAG, &self.csr)
            .unwrap()
            .with_period(Period::days(30).unwrap())
            .unwrap()
    }
}

fn answer(cert: String, chain: &[&str]) -> SignedCertificate {
    let mut answer = SignedCertificate::new(cert, chain.iter().map(|c| c.to_string()).collect());
    answer.serial_no = Some("0a:bc:de".to_owned());
    answer
}

/// Just after the certificate's start: openssl dates it from the clock.
fn now(cert: &str) -> Timestamp {
    let not_before = CertificateInfo::from_pem(cert).unwrap().not_before;
    Timestamp::from_unix_millis(u64::try_from(not_before + 60).unwrap() * 1000)
}

/// `pem` with the last bit of its DER flipped: the last byte of the signature's `s`.
fn corrupt(pem: &str) -> String {
    let mut block = pem::parse(pem).unwrap();
    let mut der = block.contents().to_vec();
    *der.last_mut().unwrap() ^= 0x01;
    block = pem::Pem::new(block.tag(), der);
    pem::encode(&block)
}

#[test]
fn a_p521_chain_passes() {
    let Some(c) = chain() else { return };
    for digest in ["sha512", "sha384", "sha256"] {
        let leaf = c.leaf(digest);
        c.op()
            .check_answer(&answer(leaf.clone(), &[&c.issuing, &c.root]), now(&leaf))
            .unwrap_or_else(|e| panic!("{digest}: {e}"));
    }
}

#[cfg(feature = "p521")]
#[test]
fn a_corrupted_p521_signature_is_a_mismatch() {
    let Some(c) = chain() else { return };
    let leaf = c.leaf("sha512");
    let cases = [
        (
            answer(corrupt(&leaf), &[&c.issuing, &c.root]),
            "the certificate",
        ),
        (
            answer(leaf.clone(), &[&corrupt(&c.issuing), &c.root]),
            "chain certificate 1",
        ),
        (
            answer(leaf.clone(), &[&c.issuing, &corrupt(&c.root)]),
            "chain certificate 2",
        ),
    ];
    for (wrong, what) in cases {
        let err = c.op().check_answer(&wrong, now(&leaf)).unwrap_err();
        assert_eq!(err.serial.as_deref(), Some("0a:bc:de"));
        assert_eq!(
            err.problem,
            Mismatch::Signature {
                what: what.to_owned()
            }
        );
    }
    // The SHA-256 path too.
    let leaf = c.leaf("sha256");
    let err = c
        .op()
        .check_answer(&answer(corrupt(&leaf), &[&c.issuing, &c.root]), now(&leaf))
        .unwrap_err();
    assert_eq!(
        err.problem,
        Mismatch::Signature {
            what: "the certificate".to_owned()
        }
    );
}

/// Documented: without `p521`, a P-521 link is checked by its names only, so a corrupted
/// signature goes unnoticed; a broken name still fails.
#[cfg(not(feature = "p521"))]
#[test]
fn without_the_feature_p521_links_are_checked_by_name_only() {
    let Some(c) = chain() else { return };
    let leaf = c.leaf("sha512");
    c.op()
        .check_answer(
            &answer(corrupt(&leaf), &[&corrupt(&c.issuing), &c.root]),
            now(&leaf),
        )
        .unwrap();
    let err = c
        .op()
        .check_answer(&answer(leaf.clone(), &[&c.root]), now(&leaf))
        .unwrap_err();
    assert!(
        matches!(err.problem, Mismatch::IssuerName { .. }),
        "{:?}",
        err.problem
    );
}
