//! Answer checks against crafted answers: each wrong answer ends in its own mismatch, which
//! names the serial the service issued; a right answer passes.
#![cfg(feature = "x509")]

use pca_core::operations::{IssueEndCert, SignEndCsr, SignSubCsr};
use pca_core::{
    IssuedCertificate, Mismatch, Operation, Period, PrivateKeyPem, SignedCertificate, Timestamp,
    X509Parameters,
};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, Issuer, KeyPair, SerialNumber,
};
use time::{Duration, OffsetDateTime};

/// The time of every check: 2026-01-01T00:00:00Z.
const NOW_SECS: i64 = 1_767_225_600;
const NOW: Timestamp = Timestamp::from_unix_millis(NOW_SECS as u64 * 1000);
const TAG: &str = "a1b2c3d4-e5f6a7b8";

fn at(offset: Duration) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW_SECS).unwrap() + offset
}

/// A CA: its parameters, key and certificate.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = at(-Duration::days(365));
    p.not_after = at(Duration::days(3650));
    p
}

fn root(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(name);
    let cert = params.self_signed(&key).unwrap();
    Ca { params, key, cert }
}

fn sub(name: &str, parent: &Ca) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(name);
    let cert = params.signed_by(&key, &parent.issuer()).unwrap();
    Ca { params, key, cert }
}

/// What a crafted certificate is.
struct Leaf {
    ca: bool,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            ca: false,
            not_before: at(-Duration::minutes(1)),
            not_after: at(Duration::days(30)),
        }
    }
}

fn leaf(key: &KeyPair, issuer: &Issuer<'_, &KeyPair>, how: Leaf) -> String {
    let mut p = CertificateParams::new(vec!["api.internal".to_owned()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "api.internal");
    p.serial_number = Some(SerialNumber::from_slice(&[0x0a, 0xbc, 0xde]));
    if how.ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    }
    p.not_before = how.not_before;
    p.not_after = how.not_after;
    p.signed_by(key, issuer).unwrap().pem()
}

fn csr(key: &KeyPair) -> String {
    let mut p = CertificateParams::new(vec!["api.internal".to_owned()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "api.internal");
    p.serialize_request(key).unwrap().pem().unwrap()
}

fn answer(cert: String, chain: &[&Certificate]) -> SignedCertificate {
    let mut answer = SignedCertificate::new(cert, chain.iter().map(|c| c.pem()).collect());
    answer.issuer = chain.first().map(|c| c.pem());
    answer.serial_no = Some("0a:bc:de".to_owned());
    answer
}

/// A root, an issuing CA under it, and a key with its CSR.
struct World {
    root: Ca,
    issuing: Ca,
    key: KeyPair,
    csr: String,
}

fn world() -> World {
    let root = root("Test Root");
    let issuing = sub("Test Issuing CA", &root);
    let key = KeyPair::generate().unwrap();
    let csr = csr(&key);
    World {
        root,
        issuing,
        key,
        csr,
    }
}

impl World {
    fn good(&self, how: Leaf) -> SignedCertificate {
        answer(
            leaf(&self.key, &self.issuing.issuer(), how),
            &[&self.issuing.cert, &self.root.cert],
        )
    }

    fn end_op(&self) -> SignEndCsr {
        SignEndCsr::new(TAG, &self.csr)
            .unwrap()
            .with_period(Period::days(30).unwrap())
            .unwrap()
    }

    fn sub_op(&self) -> SignSubCsr {
        SignSubCsr::new(TAG, Period::days(30).unwrap(), &self.csr).unwrap()
    }
}

fn mismatch<O: Operation>(op: &O, output: &O::Output) -> Mismatch {
    let err = op.check_answer(output, NOW).unwrap_err();
    assert_eq!(err.operation, O::INFO.name);
    assert_eq!(err.ca_tag, TAG);
    assert_eq!(err.serial.as_deref(), Some("0a:bc:de"));
    let text = err.to_string();
    assert!(
        text.contains("did issue a certificate, serial 0a:bc:de"),
        "{text}"
    );
    assert!(text.contains("revoke"), "{text}");
    err.problem
}

#[test]
fn a_matching_answer_passes() {
    let w = world();
    w.end_op()
        .check_answer(&w.good(Leaf::default()), NOW)
        .unwrap();
    let ca = Leaf {
        ca: true,
        ..Leaf::default()
    };
    w.sub_op().check_answer(&w.good(ca), NOW).unwrap();
    // Directly under the root, with a chain of one.
    let direct = answer(
        leaf(&w.key, &w.root.issuer(), Leaf::default()),
        &[&w.root.cert],
    );
    w.end_op().check_answer(&direct, NOW).unwrap();
}

#[test]
fn another_key_is_a_mismatch() {
    let w = world();
    let other = KeyPair::generate().unwrap();
    let wrong = answer(
        leaf(&other, &w.issuing.issuer(), Leaf::default()),
        &[&w.issuing.cert, &w.root.cert],
    );
    assert_eq!(mismatch(&w.end_op(), &wrong), Mismatch::PublicKey);
    let text = w
        .end_op()
        .check_answer(&wrong, NOW)
        .unwrap_err()
        .to_string();
    assert!(text.contains("public key is not the CSR's"), "{text}");
}

#[test]
fn sign_sub_csr_needs_a_ca_certificate() {
    let w = world();
    assert_eq!(
        mismatch(&w.sub_op(), &w.good(Leaf::default())),
        Mismatch::NotCa
    );
}

#[test]
fn a_certificate_from_another_issuer_is_a_mismatch() {
    let w = world();
    let stranger = root("Somebody Else");
    let wrong = answer(
        leaf(&w.key, &stranger.issuer(), Leaf::default()),
        &[&w.issuing.cert, &w.root.cert],
    );
    match mismatch(&w.end_op(), &wrong) {
        Mismatch::IssuerName {
            what,
            issuer,
            expected,
        } => {
            assert_eq!(what, "the certificate");
            assert!(issuer.contains("Somebody Else"), "{issuer}");
            assert!(expected.contains("Test Issuing CA"), "{expected}");
        }
        other => panic!("expected IssuerName, got {other:?}"),
    }
}

#[test]
fn a_broken_signature_is_a_mismatch() {
    let w = world();
    // The issuing CA's name, signed with another key.
    let impostor_key = KeyPair::generate().unwrap();
    let impostor = Issuer::from_params(&w.issuing.params, &impostor_key);
    let wrong = answer(
        leaf(&w.key, &impostor, Leaf::default()),
        &[&w.issuing.cert, &w.root.cert],
    );
    assert_eq!(
        mismatch(&w.end_op(), &wrong),
        Mismatch::Signature {
            what: "the certificate".to_owned()
        }
    );
    // A chain certificate whose signature is broken.
    let fake_root_key = KeyPair::generate().unwrap();
    let forged_issuing = w
        .issuing
        .params
        .signed_by(
            &w.issuing.key,
            &Issuer::from_params(&w.root.params, &fake_root_key),
        )
        .unwrap();
    let wrong = answer(
        leaf(&w.key, &w.issuing.issuer(), Leaf::default()),
        &[&forged_issuing, &w.root.cert],
    );
    assert_eq!(
        mismatch(&w.end_op(), &wrong),
        Mismatch::Signature {
            what: "chain certificate 1".to_owned()
        }
    );
}

#[test]
fn a_chain_that_does_not_link_is_a_mismatch() {
    let w = world();
    let stranger = root("Somebody Else");
    let wrong = answer(
        leaf(&w.key, &w.issuing.issuer(), Leaf::default()),
        &[&w.issuing.cert, &stranger.cert],
    );
    match mismatch(&w.end_op(), &wrong) {
        Mismatch::IssuerName { what, .. } => assert_eq!(what, "chain certificate 1"),
        other => panic!("expected IssuerName, got {other:?}"),
    }
    // A chain that stops below the root.
    let short = answer(
        leaf(&w.key, &w.issuing.issuer(), Leaf::default()),
        &[&w.issuing.cert],
    );
    match mismatch(&w.end_op(), &short) {
        Mismatch::NoRoot { last_subject } => assert!(last_subject.contains("Test Issuing CA")),
        other => panic!("expected NoRoot, got {other:?}"),
    }
    // No chain at all.
    let bare = answer(leaf(&w.key, &w.issuing.issuer(), Leaf::default()), &[]);
    assert_eq!(mismatch(&w.end_op(), &bare), Mismatch::NoChain);
}

#[test]
fn validity_outside_the_period_is_a_mismatch() {
    let w = world();
    let old = w.good(Leaf {
        not_before: at(-Duration::days(2)),
        not_after: at(Duration::days(28)),
        ..Leaf::default()
    });
    assert!(matches!(
        mismatch(&w.end_op(), &old),
        Mismatch::NotBefore { .. }
    ));
    let future = w.good(Leaf {
        not_before: at(Duration::days(1)),
        not_after: at(Duration::days(30)),
        ..Leaf::default()
    });
    assert!(matches!(
        mismatch(&w.end_op(), &future),
        Mismatch::NotBefore { .. }
    ));
    let too_long = w.good(Leaf {
        not_after: at(Duration::days(31)),
        ..Leaf::default()
    });
    match mismatch(&w.end_op(), &too_long) {
        Mismatch::NotAfter { not_after, allowed } => {
            assert_eq!(not_after, NOW_SECS + 31 * 86_400);
            assert_eq!(allowed.1, NOW_SECS + 30 * 86_400 + 3600);
        }
        other => panic!("expected NotAfter, got {other:?}"),
    }
    let expired = w.good(Leaf {
        not_after: at(-Duration::seconds(1)),
        ..Leaf::default()
    });
    assert!(matches!(
        mismatch(&w.end_op(), &expired),
        Mismatch::NotAfter { .. }
    ));
    // Within the tolerance: backdated by an hour, and a few minutes longer.
    let tolerated = w.good(Leaf {
        not_before: at(-Duration::minutes(59)),
        not_after: at(Duration::days(30) + Duration::minutes(5)),
        ..Leaf::default()
    });
    w.end_op().check_answer(&tolerated, NOW).unwrap();
    // Without a period, only the start and expiry are checked.
    let long = w.good(Leaf {
        not_after: at(Duration::days(400)),
        ..Leaf::default()
    });
    SignEndCsr::new(TAG, &w.csr)
        .unwrap()
        .check_answer(&long, NOW)
        .unwrap();
}

#[test]
fn an_unreadable_certificate_is_a_mismatch() {
    let w = world();
    let mut garbled = w.good(Leaf::default());
    garbled.certificate =
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned();
    let err = w.end_op().check_answer(&garbled, NOW).unwrap_err();
    // The serial the service named is kept when the certificate cannot be read.
    assert_eq!(err.serial.as_deref(), Some("0a:bc:de"));
    assert!(matches!(err.problem, Mismatch::Unreadable { .. }));
}

fn issue_op() -> IssueEndCert {
    IssueEndCert::builder()
        .ca_tag(TAG)
        .period(Period::days(30).unwrap())
        .x509_parameters(X509Parameters::new("api.internal"))
        .build()
        .unwrap()
}

/// The ECPrivateKey (SEC 1) inside a PKCS #8 EC key, as an `EC PRIVATE KEY` PEM.
fn sec1_pem(key: &KeyPair) -> String {
    use der::asn1::AnyRef;
    use der::{Decode, SliceReader};
    let pkcs8 = key.serialize_der();
    let info = AnyRef::from_der(&pkcs8).unwrap();
    // PrivateKeyInfo: version, algorithm, privateKey OCTET STRING.
    let mut items = SliceReader::new(info.value()).unwrap();
    let inner = (0..3)
        .map(|_| AnyRef::decode(&mut items).unwrap())
        .last()
        .unwrap();
    pca_core::__private::pem_text::encode("EC PRIVATE KEY", inner.value())
}

#[test]
fn issue_end_cert_needs_the_certificates_private_key() {
    let w = world();
    let issued = |key_pem: String| {
        IssuedCertificate::new(PrivateKeyPem::new(key_pem), w.good(Leaf::default()))
    };
    issue_op()
        .check_answer(&issued(w.key.serialize_pem()), NOW)
        .unwrap();
    issue_op()
        .check_answer(&issued(sec1_pem(&w.key)), NOW)
        .unwrap();
    let other = KeyPair::generate().unwrap();
    for wrong in [other.serialize_pem(), sec1_pem(&other)] {
        let err = issue_op()
            .check_answer(&issued(wrong.clone()), NOW)
            .unwrap_err();
        assert!(matches!(err.problem, Mismatch::PrivateKey { .. }));
        // The key itself never shows.
        let body: String = wrong.lines().nth(1).unwrap().chars().take(20).collect();
        assert!(!err.to_string().contains(&body));
        assert!(!format!("{err:?}").contains(&body));
    }
    let garbage = issue_op()
        .check_answer(&issued("not a key".to_owned()), NOW)
        .unwrap_err();
    assert!(matches!(garbage.problem, Mismatch::PrivateKey { .. }));
}

#[test]
fn the_mismatch_is_a_core_error_that_was_sent() {
    let w = world();
    let err: pca_core::Error = w
        .end_op()
        .check_answer(
            &answer(
                leaf(
                    &KeyPair::generate().unwrap(),
                    &w.issuing.issuer(),
                    Leaf::default(),
                ),
                &[&w.issuing.cert, &w.root.cert],
            ),
            NOW,
        )
        .unwrap_err()
        .into();
    assert!(!err.is_before_send());
    assert!(matches!(err, pca_core::Error::AnswerMismatch(_)));
}
