//! Deterministic mutation of request bodies and paths: every answer is a proper JSON answer
//! below 500, and the server keeps serving.

mod common;

use common::{Client, Kind, json, now, openssl_csr, start};
use pca_core::operations::GetSubCsr;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

fn signed(c: &Client, method: &str, target: &str, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut req = http::Request::new(body.to_vec());
    *req.method_mut() = method.parse().unwrap();
    *req.uri_mut() = format!("http://{}{}", c.addr, target).parse().unwrap();
    pca_core::signing::sign_request(&mut req, &c.credentials, now()).unwrap();
    req
}

fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..6) {
        match rng.random_range(0..5) {
            0 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                v[i] = rng.random();
            }
            1 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                v.remove(i);
            }
            2 => {
                let i = rng.random_range(0..=v.len());
                let tokens: [&[u8]; 8] = [
                    b"{",
                    b"}",
                    b"\"",
                    b",",
                    b"null",
                    b"[1]",
                    b"\\u0000",
                    b"999999999999999999999",
                ];
                let t = tokens[rng.random_range(0..tokens.len())];
                v.splice(i..i, t.iter().copied());
            }
            3 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                v.truncate(i);
            }
            _ => {}
        }
    }
    v
}

#[test]
fn mutated_requests_get_proper_answers() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);
    let root = c.create_root("fuzzroot", "Fuzz Root");
    let pending = c.create_pending_sub("fuzzsub", "Fuzz Sub");
    let sub_csr = c.call(&GetSubCsr::new(&pending).unwrap()).unwrap().csr_pem;
    let (_, leaf_csr) = openssl_csr(Kind::P256, "fuzz.internal", false);
    // (method, target, body, the code of the unmutated request)
    let seeds: Vec<(&str, String, String, &str)> = vec![
        ("POST", "/api/v1/ca?caType=PRIVATE_SUB".to_owned(),
         r#"{"alias":"fuzz-sub","keyType":"EC256","period":"10","x509Parameters":{"commonName":"f","altName":"a.b","ip":"10.0.0.1"}}"#.to_owned(), "SUCCESS"),
        ("PUT", format!("/api/v1/ca/{root}"), r#"{"status":"ACTIVE","memo":"m"}"#.to_owned(), "SUCCESS"),
        ("PUT", format!("/api/v1/ca/{root}/crl/config"), r#"{"expiry":"4"}"#.to_owned(), "SUCCESS"),
        ("PUT", format!("/api/v1/ca/{root}/urls"), r#"{"ocsp_servers":"https://ocsp.example/x"}"#.to_owned(), "SUCCESS"),
        ("POST", format!("/api/v1/ca/{root}/sub/sign"), serde_json::json!({"period": "10", "csrPem": sub_csr}).to_string(), "SUCCESS"),
        ("POST", format!("/api/v1/ca/{root}/cert/sign"), serde_json::json!({"csrPem": leaf_csr}).to_string(), "SUCCESS"),
        ("POST", format!("/api/v1/ca/{root}/cert"), r#"{"keyType":"EC256","period":"5","x509Parameters":{"commonName":"x"}}"#.to_owned(), "SUCCESS"),
        ("POST", format!("/api/v1/ca/{pending}/activate"), r#"{"certPem":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----","caChainPem":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}"#.to_owned(), "INVALID_INPUT_CERT"),
        ("POST", format!("/api/v1/ca/{root}/users"), r#"{"idNo":"6e4c1234-abcd-ef01-2345-67890abc9baa"}"#.to_owned(), "SUCCESS"),
    ];
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut conn = pca_emulator::loopback::Connection::connect(emu.addr()).unwrap();
    for round in 0..40 {
        for (method, target, body, unmutated) in &seeds {
            let body = if round == 0 {
                body.as_bytes().to_vec()
            } else {
                mutate(&mut rng, body.as_bytes())
            };
            let resp = conn.send(&signed(&c, method, target, &body)).unwrap();
            assert!(
                resp.status().as_u16() < 500,
                "{method} {target} {:?} → {}",
                String::from_utf8_lossy(&body),
                resp.status()
            );
            let v = json(&resp);
            assert!(v["code"].is_string(), "{v}");
            if round == 0 {
                assert_eq!(v["code"], *unmutated, "{method} {target}: {v}");
            }
        }
        // Mutated paths too.
        let path = mutate(&mut rng, format!("/api/v1/ca/{root}/cert").as_bytes());
        if let Ok(p) = std::str::from_utf8(&path) {
            if p.starts_with('/') && p.parse::<http::Uri>().is_ok() {
                let resp = conn.send(&signed(&c, "GET", p, b"")).unwrap();
                assert!(
                    resp.status().as_u16() < 500,
                    "GET {p:?} → {}",
                    resp.status()
                );
            }
        }
    }
    assert_eq!(c.send(&signed(&c, "GET", "/api/v1/ca", b"")).status(), 200);
}
