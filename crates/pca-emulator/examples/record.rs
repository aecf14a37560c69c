//! Records one exchange per operation from the emulator into `<fixtures>/<operation>/emulator.json`
//! (the exchange format of `tests/src/lib.rs`). Run by `cargo xtask record`, or directly:
//! `cargo run -p pca-emulator --example record -- tests/fixtures`.
//!
//! Never recorded: the secret key, the signature, timestamp and access-key headers. The private
//! key of Issue End Cert is replaced by a placeholder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use pca_core::operations::*;
use pca_core::{
    CaStatus, CaType, Credentials, CrlExpiry, Endpoint, KeyType, Operation, Period, Timestamp,
    X509Parameters,
};
use pca_emulator::Emulator;
use pca_emulator::loopback::Connection;
use serde_json::{Value, json};

const USER: &str = "6e4c1234-abcd-ef01-2345-67890abc9baa";
const REDACTED_KEY: &str =
    "-----BEGIN PRIVATE KEY-----\n** redacted by cargo xtask record **\n-----END PRIVATE KEY-----";

macro_rules! op_dirs {
    ($(($method:ident, $ty:path, $doc:literal)),* $(,)?) => {
        vec![$((<$ty as pca_core::Operation>::INFO.name, stringify!($method))),*]
    };
}

/// (operation name, fixture directory) of all 24 operations.
fn dirs() -> Vec<(&'static str, &'static str)> {
    pca_core::for_each_operation!(op_dirs)
}

struct Recorder {
    addr: std::net::SocketAddr,
    endpoint: Endpoint,
    credentials: Credentials,
    out: PathBuf,
    done: Vec<&'static str>,
}

impl Recorder {
    fn call<O: Operation>(&mut self, op: &O) -> O::Output
    where
        O::Output: std::fmt::Debug,
    {
        let ts = Timestamp::from_system_time(SystemTime::now());
        let req = op
            .build_request(&self.endpoint, &self.credentials, ts)
            .unwrap_or_else(|e| panic!("{}: {e}", O::INFO.name));
        let resp = Connection::connect(self.addr)
            .and_then(|mut c| c.send(&req))
            .unwrap_or_else(|e| panic!("{}: {e}", O::INFO.name));
        let out = O::parse_response(&resp, ts).unwrap_or_else(|e| {
            panic!(
                "{}: the emulator's answer does not parse: {e}",
                O::INFO.name
            )
        });
        if !self.done.contains(&O::INFO.name) {
            self.write(O::INFO.name, &req, &resp);
            self.done.push(O::INFO.name);
        }
        out
    }

    fn write(&self, name: &str, req: &http::Request<Vec<u8>>, resp: &http::Response<Vec<u8>>) {
        let dir = dirs()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("no fixture directory for {name}"));
        let keep = ["content-type", "accept"];
        let headers = |h: &http::HeaderMap| -> BTreeMap<String, String> {
            h.iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect()
        };
        let req_body: Value = if req.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(req.body()).expect("request bodies are JSON")
        };
        let mut resp_body: Value = serde_json::from_slice(resp.body()).expect("answers are JSON");
        let mut notes = vec![
            "recorded from pca-emulator by `cargo xtask record`; keys, serial numbers, tags and dates differ on every recording".to_owned(),
            "the signature, timestamp and access-key headers are not recorded".to_owned(),
        ];
        if let Some(k) = resp_body.pointer_mut("/data/privateKey") {
            *k = Value::String(REDACTED_KEY.to_owned());
            notes.push("data.privateKey replaced by a placeholder".to_owned());
        }
        let exchange = json!({
            "operation": name,
            "source": "pca-emulator",
            "notes": notes,
            "request": {
                "method": req.method().as_str(),
                "path": req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/"),
                "headers": headers(req.headers()),
                "body": req_body,
            },
            "response": {
                "status": resp.status().as_u16(),
                "headers": headers(resp.headers()),
                "body": resp_body,
            },
        });
        let path = self.out.join(dir).join("emulator.json");
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("fixture directory");
        let mut text = serde_json::to_string_pretty(&exchange).expect("serializes");
        text.push('\n');
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("recorded {}", path.display());
    }
}

fn leaf_csr() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params =
        rcgen::CertificateParams::new(vec!["svc.internal".to_owned()]).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "svc.internal");
    params
        .serialize_request(&key)
        .expect("csr")
        .pem()
        .expect("pem")
}

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"));
    let emulator = Emulator::builder().start().expect("emulator starts");
    let mut r = Recorder {
        addr: emulator.addr(),
        endpoint: emulator.endpoint(),
        credentials: emulator.credentials(),
        out,
        done: Vec::new(),
    };

    let root = r.call(
        &CreateCa::builder()
            .ca_type(CaType::PrivateRoot)
            .alias("CA002")
            .key_type(KeyType::Ec256)
            .period(Period::Max)
            .x509_parameters(
                X509Parameters::new("name000")
                    .country("KOR")
                    .organization("org000")
                    .organization_unit("org001")
                    .locality("Pangyo"),
            )
            .build()
            .expect("create"),
    );
    let root_tag = root.info.ca_tag.expect("tag");
    r.call(&GetCaList::new());
    r.call(&GetCa::new(&root_tag).expect("op"));
    let sub = r.call(
        &CreateCa::builder()
            .ca_type(CaType::PrivateSub)
            .alias("sub001")
            .key_type(KeyType::Ec256)
            .period(Period::Max)
            .x509_parameters(X509Parameters::new("sub000").country("KOR"))
            .build()
            .expect("create"),
    );
    let sub_tag = sub.info.ca_tag.expect("tag");
    let csr = r.call(&GetSubCsr::new(&sub_tag).expect("op"));
    let signed = r.call(
        &SignSubCsr::new(&root_tag, Period::days(1825).expect("period"), &csr.csr_pem).expect("op"),
    );
    r.call(&ActivateSubCa::new(&sub_tag, &signed.certificate, signed.chain_pem()).expect("op"));
    r.call(&GetCaChain::new(&sub_tag).expect("op"));

    r.call(&CreateOcsp::service_responder(&root_tag, &r.endpoint.clone()).expect("op"));
    r.call(
        &IssueEndCert::builder()
            .ca_tag(&root_tag)
            .key_type(KeyType::Ec256)
            .period(Period::days(90).expect("period"))
            .x509_parameters(X509Parameters::new("name001").alt_names(["name001.internal"]))
            .build()
            .expect("op"),
    );
    r.call(&DeleteOcsp::new(&root_tag).expect("op"));
    let leaf = r.call(
        &SignEndCsr::new(&root_tag, leaf_csr())
            .expect("op")
            .with_period(Period::days(30).expect("period"))
            .expect("op"),
    );
    let serial = leaf.serial_no.expect("serial");
    r.call(&GetEndCertList::new(&root_tag).expect("op"));
    r.call(&GetEndCert::new(&root_tag, &serial).expect("op"));
    r.call(&RevokeEndCert::new(&root_tag, &serial).expect("op"));
    r.call(&GetCaCrl::new(&root_tag).expect("op"));
    r.call(&GetCrlConfig::new(&root_tag).expect("op"));
    r.call(&UpdateCrlConfig::new(&root_tag, CrlExpiry::days(5).expect("expiry")).expect("op"));
    r.call(&RotateCrl::new(&root_tag).expect("op"));
    r.call(&TrimCa::new(&root_tag).expect("op"));
    r.call(&AddCaUser::new(&root_tag, USER).expect("op"));
    r.call(&GetCaUserList::new(&root_tag).expect("op"));
    r.call(&DeleteCaUser::new(&root_tag, USER).expect("op"));
    r.call(&UpdateCa::new(&sub_tag, CaStatus::Destroying).expect("op"));
    r.call(&DeleteCa::new(&sub_tag).expect("op"));

    let missing: Vec<&str> = dirs()
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| !r.done.contains(n))
        .collect();
    assert!(missing.is_empty(), "not recorded: {missing:?}");
    println!("recorded {} operations", r.done.len());
}
