//! Answer checks through `pca`: a server that answers Sign End CSR or Sign Sub CSR with a
//! wrong certificate makes `pca` exit 8, write no file, and name the serial to revoke.

mod common;

use common::server::{Answer, Server, json_response};
use common::{Sandbox, fails_with, stderr};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, Issuer, KeyPair, SerialNumber,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};

const TAG: &str = "a1b2c3d4-e5f6a7b8";

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

impl Ca {
    fn new(name: &str, parent: Option<&Ca>) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = OffsetDateTime::now_utc() - Duration::days(10);
        params.not_after = OffsetDateTime::now_utc() + Duration::days(3650);
        let cert = match parent {
            Some(p) => params.signed_by(&key, &p.issuer()).unwrap(),
            None => params.self_signed(&key).unwrap(),
        };
        Ca { params, key, cert }
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

struct Leaf {
    ca: bool,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            ca: false,
            not_before: OffsetDateTime::now_utc() - Duration::minutes(1),
            not_after: OffsetDateTime::now_utc() + Duration::days(30),
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

fn answer(cert: String, chain: &[&Certificate]) -> serde_json::Value {
    json!({
        "code": "SUCCESS",
        "msg": "ok",
        "data": {
            "certificate": cert,
            "caChain": chain.iter().map(|c| c.pem()).collect::<Vec<_>>(),
            "issuer": chain.first().map(|c| c.pem()),
            "serialNo": "0a:bc:de",
        }
    })
}

/// Runs `pca <kind> sign` against a server that gives `body`, and checks exit 8, no file, and
/// the message; returns stderr.
fn refused(kind: &str, csr_pem: &str, body: serde_json::Value, expect: &str) -> String {
    let server = Server::start(move |_| Answer::Bytes(json_response(200, &body)));
    let sb = Sandbox::new();
    std::fs::write(sb.path("csr.pem"), csr_pem).unwrap();
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_ACCESS_KEY", "test-access")
            .env("NCLOUD_SECRET_KEY", "test-secret")
            .args([
                "--endpoint",
                &server.url(),
                "--output",
                "text",
                kind,
                "sign",
                TAG,
            ])
            .args(["--csr", "csr.pem", "--days", "30", "--out-dir", "out"]),
        8,
    );
    let err = stderr(&out);
    assert!(
        err.contains(expect),
        "{kind}: expected {expect:?} in:\n{err}"
    );
    assert!(err.contains("serial 0a:bc:de"), "{err}");
    assert!(
        err.contains(&format!("pca cert revoke {TAG} 0a:bc:de")),
        "{err}"
    );
    for f in ["cert.pem", "fullchain.pem", "chain.pem", "root.pem"] {
        assert!(!sb.path("out").join(f).exists(), "{kind}: {f} was written");
    }
    assert_eq!(
        server.count("POST", "/sign"),
        1,
        "the signing request was resent"
    );
    err
}

#[test]
fn wrong_answers_exit_8_and_write_nothing() {
    let root = Ca::new("Test Root", None);
    let issuing = Ca::new("Test Issuing CA", Some(&root));
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["api.internal".to_owned()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "api.internal");
    let csr = p.serialize_request(&key).unwrap().pem().unwrap();
    let chain = [&issuing.cert, &root.cert];

    // Another key.
    let other = KeyPair::generate().unwrap();
    refused(
        "cert",
        &csr,
        answer(leaf(&other, &issuing.issuer(), Leaf::default()), &chain),
        "public key is not the CSR's",
    );
    // Sign Sub CSR answered with a certificate that is not a CA.
    refused(
        "sub",
        &csr,
        answer(leaf(&key, &issuing.issuer(), Leaf::default()), &chain),
        "not a CA certificate",
    );
    // Issued by another CA than the chain's first.
    let stranger = Ca::new("Somebody Else", None);
    refused(
        "cert",
        &csr,
        answer(leaf(&key, &stranger.issuer(), Leaf::default()), &chain),
        "names the issuer",
    );
    // The issuing CA's name, another key: the signature does not verify.
    let impostor_key = KeyPair::generate().unwrap();
    let impostor = Issuer::from_params(&issuing.params, &impostor_key);
    refused(
        "cert",
        &csr,
        answer(leaf(&key, &impostor, Leaf::default()), &chain),
        "signature of the certificate does not verify",
    );
    // A chain that does not link up to its root.
    refused(
        "cert",
        &csr,
        answer(
            leaf(&key, &issuing.issuer(), Leaf::default()),
            &[&issuing.cert, &stranger.cert],
        ),
        "chain certificate 1 names the issuer",
    );
    // Valid for longer than the 30 days asked for.
    refused(
        "cert",
        &csr,
        answer(
            leaf(
                &key,
                &issuing.issuer(),
                Leaf {
                    not_after: OffsetDateTime::now_utc() + Duration::days(90),
                    ..Leaf::default()
                },
            ),
            &chain,
        ),
        "is valid until",
    );
    // The same answers pass when they are right: the CA answer through `pca sub sign`.
    let good = answer(
        leaf(
            &key,
            &issuing.issuer(),
            Leaf {
                ca: true,
                ..Leaf::default()
            },
        ),
        &chain,
    );
    let server = Server::start(move |_| Answer::Bytes(json_response(200, &good)));
    let sb = Sandbox::new();
    std::fs::write(sb.path("csr.pem"), &csr).unwrap();
    let out = sb
        .pca()
        .env("NCLOUD_ACCESS_KEY", "test-access")
        .env("NCLOUD_SECRET_KEY", "test-secret")
        .args(["--endpoint", &server.url(), "sub", "sign", TAG])
        .args(["--csr", "csr.pem", "--days", "30", "--out-dir", "out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sb.path("out/cert.pem").exists());
}

#[test]
fn the_json_error_names_the_mismatch_and_the_serial() {
    let root = Ca::new("Test Root", None);
    let key = KeyPair::generate().unwrap();
    let other = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["api.internal".to_owned()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "api.internal");
    let csr = p.serialize_request(&key).unwrap().pem().unwrap();
    let body = answer(leaf(&other, &root.issuer(), Leaf::default()), &[&root.cert]);
    let server = Server::start(move |_| Answer::Bytes(json_response(200, &body)));
    let sb = Sandbox::new();
    std::fs::write(sb.path("csr.pem"), &csr).unwrap();
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_ACCESS_KEY", "test-access")
            .env("NCLOUD_SECRET_KEY", "test-secret")
            .args(["--endpoint", &server.url(), "cert", "sign", TAG])
            .args(["--csr", "csr.pem", "--out-dir", "out"]),
        8,
    );
    let v = common::json_of(&out);
    assert_eq!(v["error"]["kind"], "answer-mismatch");
    assert_eq!(v["error"]["exitCode"], 8);
    assert_eq!(v["error"]["serialNo"], "0a:bc:de");
    assert_eq!(v["error"]["caTag"], TAG);
}
