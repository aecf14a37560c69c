//! Helpers shared by the emulator's tests: a client built on pca-core's requests and the
//! loopback sender, openssl-made keys and CSRs, and chain verification with real verifiers.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use pca_core::operations::CreateCa;
use pca_core::{
    CaType, Credentials, Endpoint, KeyType, Operation, Period, Timestamp, X509Parameters,
};
use pca_emulator::Emulator;
use pca_emulator::loopback::Connection;

pub const ACCESS: &str = "test-access-key";
pub const SECRET: &str = "test-secret-key";

pub fn start() -> Emulator {
    Emulator::builder()
        .credentials(ACCESS, SECRET)
        .start()
        .expect("emulator starts")
}

pub fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// A client of one emulator: builds requests with pca-core, sends them over loopback.
pub struct Client {
    pub addr: std::net::SocketAddr,
    pub endpoint: Endpoint,
    pub credentials: Credentials,
}

impl Client {
    pub fn new(emu: &Emulator) -> Self {
        Client {
            addr: emu.addr(),
            endpoint: emu.endpoint(),
            credentials: Credentials::new(ACCESS, SECRET).unwrap(),
        }
    }

    pub fn request<O: Operation>(&self, op: &O) -> http::Request<Vec<u8>> {
        op.build_request(&self.endpoint, &self.credentials, now())
            .expect("request builds")
    }

    pub fn send(&self, req: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        Connection::connect(self.addr)
            .expect("connects")
            .send(req)
            .expect("answer")
    }

    /// Sends `op` and parses the answer with the core's parser.
    pub fn call<O: Operation>(&self, op: &O) -> Result<O::Output, pca_core::Error> {
        let ts = now();
        let req = op
            .build_request(&self.endpoint, &self.credentials, ts)
            .expect("request builds");
        let resp = self.send(&req);
        O::parse_response(&resp, ts)
    }

    /// Sends `op` and returns the raw answer.
    pub fn raw<O: Operation>(&self, op: &O) -> http::Response<Vec<u8>> {
        self.send(&self.request(op))
    }

    /// A request for exactly `target` (path and query) with `body`, signed.
    pub fn signed(&self, method: &str, target: &str, body: &[u8]) -> http::Request<Vec<u8>> {
        let mut req = http::Request::new(body.to_vec());
        *req.method_mut() = method.parse().unwrap();
        *req.uri_mut() = format!("http://{}{}", self.addr, target).parse().unwrap();
        req.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        pca_core::signing::sign_request(&mut req, &self.credentials, now()).unwrap();
        req
    }

    /// Sends a signed request that must succeed; returns the answer's `data`.
    pub fn data(&self, method: &str, target: &str, body: &str) -> serde_json::Value {
        let resp = self.send(&self.signed(method, target, body.as_bytes()));
        let v = json(&resp);
        assert_eq!(v["code"], "SUCCESS", "{method} {target}: {v}");
        v["data"].clone()
    }

    /// Sends a `CreateCa` that must succeed; returns the new CA's tag.
    pub fn create(&self, op: &CreateCa) -> String {
        self.call(op).unwrap().info.ca_tag.unwrap()
    }

    /// Creates an EC256 root CA (see [`root_ca`]); returns its tag.
    pub fn create_root(&self, alias: &str, cn: &str) -> String {
        self.create(&root_ca(alias, cn))
    }

    /// Creates a pending EC256 sub CA (see [`pending_sub_ca`]); returns its tag.
    pub fn create_pending_sub(&self, alias: &str, cn: &str) -> String {
        self.create(&pending_sub_ca(alias, cn))
    }
}

/// A `CreateCa` with only a common name in its X.509 parameters.
pub fn ca_request(
    ca_type: CaType,
    alias: &str,
    key_type: KeyType,
    period: Period,
    cn: impl Into<String>,
) -> CreateCa {
    CreateCa::builder()
        .ca_type(ca_type)
        .alias(alias)
        .key_type(key_type)
        .period(period)
        .x509_parameters(X509Parameters::new(cn))
        .build()
        .unwrap()
}

/// A `CreateCa` of an EC256 root CA valid for the longest period, named `cn`.
pub fn root_ca(alias: &str, cn: impl Into<String>) -> CreateCa {
    ca_request(CaType::PrivateRoot, alias, KeyType::Ec256, Period::Max, cn)
}

/// A `CreateCa` of a pending EC256 sub CA valid for the longest period, named `cn`.
pub fn pending_sub_ca(alias: &str, cn: impl Into<String>) -> CreateCa {
    ca_request(CaType::PrivateSub, alias, KeyType::Ec256, Period::Max, cn)
}

/// The service code of a refusal, with its HTTP status.
pub fn service_code(e: &pca_core::Error) -> (u16, String) {
    match e {
        pca_core::Error::Api(api) => match &api.kind {
            pca_core::ApiErrorKind::Service { code, .. } => {
                (api.status.as_u16(), code.as_str().to_owned())
            }
            other => panic!("not a service error: {other:?}"),
        },
        other => panic!("not an API error: {other:?}"),
    }
}

pub fn json(resp: &http::Response<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(resp.body()).expect("JSON body")
}

/// `true` when openssl cannot be run and the calling test should stop here: it says so on
/// stderr. With `PCA_REQUIRE_OPENSSL=1` (as `.ci/run` sets) a missing openssl is a failure
/// instead. Tests that need openssl start with `if openssl_missing() { return; }`.
pub fn openssl_missing() -> bool {
    let runs = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        return false;
    }
    assert!(
        std::env::var("PCA_REQUIRE_OPENSSL").as_deref() != Ok("1"),
        "openssl cannot be run and PCA_REQUIRE_OPENSSL=1: install it (apt-get install openssl)"
    );
    eprintln!(
        "SKIPPED: {}: openssl cannot be run (install it; PCA_REQUIRE_OPENSSL=1 makes this a failure)",
        std::thread::current().name().unwrap_or("this test")
    );
    true
}

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (install it: apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Key kinds openssl makes CSRs for.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Rsa(u32),
    P256,
    P384,
    Ed25519,
}

/// Makes a key and a CSR for `cn` with openssl; returns (key PEM, CSR PEM).
pub fn openssl_csr(kind: Kind, cn: &str, ca: bool) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    match kind {
        Kind::Rsa(bits) => openssl(
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                "key.pem",
            ],
            d,
        ),
        Kind::P256 => openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "key.pem",
            ],
            d,
        ),
        Kind::P384 => openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                "key.pem",
            ],
            d,
        ),
        Kind::Ed25519 => openssl(&["genpkey", "-algorithm", "ED25519", "-out", "key.pem"], d),
    }
    let subj = format!("/C=KR/O=Test Org/CN={cn}");
    let mut args = vec![
        "req",
        "-new",
        "-key",
        "key.pem",
        "-subj",
        subj.as_str(),
        "-out",
        "csr.pem",
    ];
    if ca {
        args.extend([
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    } else {
        args.extend(["-addext", "subjectAltName=DNS:svc.internal,IP:10.0.0.1"]);
    }
    openssl(&args, d);
    (
        std::fs::read_to_string(d.join("key.pem")).unwrap(),
        std::fs::read_to_string(d.join("csr.pem")).unwrap(),
    )
}

/// `openssl verify` of `cert` against `root` with `intermediates`; panics with openssl's
/// output when it fails.
pub fn openssl_verify(root: &str, intermediates: &[String], cert: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("root.pem"), root).unwrap();
    std::fs::write(d.join("cert.pem"), cert).unwrap();
    let mut args = vec!["verify", "-x509_strict", "-CAfile", "root.pem"];
    let chain: String = intermediates
        .iter()
        .map(|c| format!("{}\n", c.trim()))
        .collect();
    if !chain.is_empty() {
        std::fs::write(d.join("chain.pem"), chain).unwrap();
        args.extend(["-untrusted", "chain.pem"]);
    }
    args.push("cert.pem");
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl verify failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn der(pem_text: &str) -> Vec<u8> {
    pem::parse(pem_text.trim()).expect("PEM").into_contents()
}

/// Verifies an end-entity certificate's path with rustls-webpki (client and server auth), with
/// ring's algorithms and pca-core's P-521 ones, as `pca verify` does.
pub fn webpki_verify(root: &str, intermediates: &[String], leaf: &str) {
    use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
    let algorithms: Vec<&dyn SignatureVerificationAlgorithm> = webpki::ALL_VERIFICATION_ALGS
        .iter()
        .chain(pca_core::__private::P521_VERIFICATION_ALGS)
        .copied()
        .collect();
    let root_der = CertificateDer::from(der(root));
    let anchor = webpki::anchor_from_trusted_cert(&root_der).expect("trust anchor");
    let inter: Vec<CertificateDer<'static>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(der(c)))
        .collect();
    let leaf_der = CertificateDer::from(der(leaf));
    let ee = webpki::EndEntityCert::try_from(&leaf_der).expect("end-entity certificate");
    ee.verify_for_usage(
        &algorithms,
        &[anchor],
        &inter,
        UnixTime::now(),
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .expect("webpki verifies the chain");
}
