//! Hostile and broken requests get proper answers; concurrent requests keep the state right.

mod common;

use std::sync::Arc;

use common::{Client, Kind, ca_request, json, now, openssl_csr, service_code, start};
use pca_core::operations::{GetEndCertList, SignEndCsr};
use pca_core::{CaType, KeyType, Period};

/// A request signed for exactly `target` (path and query) with `body`.
fn signed(c: &Client, method: &str, target: &str, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut req = http::Request::new(body.to_vec());
    *req.method_mut() = method.parse().unwrap();
    *req.uri_mut() = format!("http://{}{}", c.addr, target).parse().unwrap();
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    pca_core::signing::sign_request(&mut req, &c.credentials, now()).unwrap();
    req
}

fn code(resp: &http::Response<Vec<u8>>) -> (u16, String) {
    let v = json(resp);
    (
        resp.status().as_u16(),
        v["code"].as_str().unwrap_or("<no code>").to_owned(),
    )
}

fn root(c: &Client) -> String {
    c.create_root("robust", "Robust Root")
}

#[test]
fn malformed_bodies_and_wrong_types() {
    let emu = start();
    let c = Client::new(&emu);
    let create = "/api/v1/ca?caType=PRIVATE_ROOT";
    let cases: &[(&[u8], &str)] = &[
        (b"{not json", "INVALID_REQUEST"),
        (b"[1,2,3]", "INVALID_REQUEST"),
        (b"\"text\"", "INVALID_REQUEST"),
        (b"\xff\xfe\x00", "INVALID_REQUEST"),
        (b"{}", "EMPTY_CA_ALIAS"),
        (br#"{"alias":["a"]}"#, "INVALID_INPUT"),
        (br#"{"alias":"ok-alias"}"#, "EMPTY_KEY_TYPE"),
        (br#"{"alias":"ok-alias","keyType":true}"#, "INVALID_INPUT"),
        (br#"{"alias":"ok-alias","keyType":"DSA1024"}"#, "INVALID_X509_KEY_TYPE"),
        (br#"{"alias":"ok-alias","keyType":"EC256"}"#, "EMPTY_CA_TTL"),
        (br#"{"alias":"ok-alias","keyType":"EC256","period":"0"}"#, "INVALID_INPUT_PERIOD"),
        (br#"{"alias":"ok-alias","keyType":"EC256","period":"3651"}"#, "INVALID_INPUT_PERIOD"),
        (br#"{"alias":"ok-alias","keyType":"EC256","period":"MAX"}"#, "EMPTY_X509_PARAMETERS"),
        (br#"{"alias":"ok-alias","keyType":"EC256","period":"MAX","x509Parameters":"cn"}"#, "INVALID_INPUT"),
        (br#"{"alias":"ok-alias","keyType":"EC256","period":"MAX","x509Parameters":{}}"#, "EMPTY_COMMON_NAME"),
        (br#"{"alias":"1bad","keyType":"EC256","period":"MAX","x509Parameters":{"commonName":"x"}}"#, "INVALID_INPUT"),
        (br#"{"alias":"much-too-long-alias","keyType":"EC256","period":"MAX","x509Parameters":{"commonName":"x"}}"#, "EXCEED_CA_ALIAS"),
    ];
    for (body, want) in cases {
        let resp = c.send(&signed(&c, "POST", create, body));
        let (status, got) = code(&resp);
        assert_eq!(got, *want, "body {:?}", String::from_utf8_lossy(body));
        assert_eq!(status, 400, "body {:?}", String::from_utf8_lossy(body));
    }
    let long_cn = format!(
        r#"{{"alias":"ok-alias","keyType":"EC256","period":"MAX","x509Parameters":{{"commonName":"{}"}}}}"#,
        "x".repeat(65)
    );
    assert_eq!(
        code(&c.send(&signed(&c, "POST", create, long_cn.as_bytes()))).1,
        "EXCEED_COMMON_NAME"
    );
    // Query problems.
    let ok_body = br#"{"alias":"ok-alias","keyType":"EC256","period":"MAX","x509Parameters":{"commonName":"x"}}"#;
    assert_eq!(
        code(&c.send(&signed(&c, "POST", "/api/v1/ca", ok_body))).1,
        "EMPTY_CA_TYPE"
    );
    assert_eq!(
        code(&c.send(&signed(&c, "POST", "/api/v1/ca?caType=NOPE", ok_body))).1,
        "INVALID_INPUT"
    );
    assert_eq!(
        code(&c.send(&signed(
            &c,
            "POST",
            "/api/v1/ca?caType=PRIVATE_SUB&issuerTag=12345678-nothere",
            ok_body
        ))),
        (404, "NOT_EXIST_ISSUER_CA".to_owned())
    );
    // Nothing was created by all of that.
    assert_eq!(
        json(&c.send(&signed(&c, "GET", "/api/v1/ca", b"")))["data"]["totalCnt"],
        0
    );
}

#[test]
fn missing_csr_and_garbage_csr() {
    let emu = start();
    let c = Client::new(&emu);
    let tag = root(&c);
    let path = format!("/api/v1/ca/{tag}/sub/sign");
    for (body, want) in [
        (r#"{"period":"10"}"#, "EMPTY_CSR"),
        (r#"{"period":"10","csrPem":""}"#, "EMPTY_CSR"),
        (r#"{"csrPem":"x"}"#, "EMPTY_CA_TTL"),
        (r#"{"period":"MAX","csrPem":"x"}"#, "INVALID_INPUT_PERIOD"),
        (r#"{"period":"10","csrPem":"hello"}"#, "INVALID_INPUT"),
        (
            r#"{"period":"10","csrPem":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}"#,
            "INVALID_INPUT",
        ),
        (
            r#"{"period":"10","csrPem":"-----BEGIN CERTIFICATE REQUEST-----\n%%%%\n-----END CERTIFICATE REQUEST-----"}"#,
            "INVALID_INPUT",
        ),
    ] {
        assert_eq!(
            code(&c.send(&signed(&c, "POST", &path, body.as_bytes()))),
            (400, want.to_owned()),
            "{body}"
        );
    }
}

#[test]
fn hostile_path_segments() {
    let emu = start();
    let c = Client::new(&emu);
    let tag = root(&c);
    let long = "a".repeat(5000);
    for seg in [
        "..",
        "%2E%2E",
        "%2F",
        "a%00b",
        "%ED%95%9C",
        "%FF",
        "x'y",
        long.as_str(),
        "a%20b",
    ] {
        let resp = c.send(&signed(&c, "GET", &format!("/api/v1/ca/{seg}"), b""));
        assert_eq!(code(&resp), (400, "INVALID_PATH".to_owned()), "{seg:.40}");
        let resp = c.send(&signed(
            &c,
            "POST",
            &format!("/api/v1/ca/{seg}/cert/sign"),
            b"{}",
        ));
        assert_eq!(resp.status(), 400, "{seg:.40}");
    }
    // Well-formed but unknown.
    let resp = c.send(&signed(&c, "GET", "/api/v1/ca/12345678-unknown1", b""));
    assert_eq!(code(&resp), (404, "NOT_FOUND".to_owned()));
    // Serial numbers.
    for serial in ["zz", "..", "01:02:", &"ab".repeat(100), "%3Bdrop"] {
        let resp = c.send(&signed(
            &c,
            "GET",
            &format!("/api/v1/ca/{tag}/cert/{serial}"),
            b"",
        ));
        assert_eq!(
            code(&resp),
            (400, "INVALID_INPUT_SERIAL_NO".to_owned()),
            "{serial:.40}"
        );
    }
    let resp = c.send(&signed(
        &c,
        "GET",
        &format!("/api/v1/ca/{tag}/cert/01%3A02"),
        b"",
    ));
    assert_eq!(code(&resp), (404, "NOT_FOUND".to_owned()));
    let resp = c.send(&signed(
        &c,
        "POST",
        &format!("/api/v1/ca/{tag}/cert/01:02/revoke"),
        b"",
    ));
    assert_eq!(code(&resp), (404, "NOT_FOUND".to_owned()));
    // User ids.
    let resp = c.send(&signed(
        &c,
        "DELETE",
        &format!("/api/v1/ca/{tag}/users/not-an-id"),
        b"",
    ));
    assert_eq!(code(&resp), (400, "INVAILD_ID_NO".to_owned()));
    // Page numbers.
    for p in ["0", "-1", "x", "99999999999999999999999"] {
        let resp = c.send(&signed(&c, "GET", &format!("/api/v1/ca?pageNo={p}"), b""));
        assert_eq!(
            code(&resp),
            (400, "INVALID_INPUT_PAGENUMBBER".to_owned()),
            "{p}"
        );
    }
    // The server is still well.
    assert_eq!(c.send(&signed(&c, "GET", "/api/v1/ca", b"")).status(), 200);
}

#[test]
fn raw_protocol_garbage_does_not_hurt_the_server() {
    let emu = start();
    for (garbage, want) in [
        (&b"\x00\x01\x02\r\n\r\n"[..], 400),
        (b"GET\r\n\r\n", 400),
        (b"GET /api/v1/ca HTTP/9.9\r\n\r\n", 400),
        (
            b"POST /api/v1/ca HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
            400,
        ),
    ] {
        let mut conn = pca_emulator::loopback::Connection::connect(emu.addr()).unwrap();
        let resp = conn
            .send_raw(garbage)
            .unwrap_or_else(|e| panic!("{garbage:?}: no answer ({e})"));
        assert_eq!(resp.status(), want, "{garbage:?}");
    }
    let c = Client::new(&emu);
    assert_eq!(c.send(&signed(&c, "GET", "/api/v1/ca", b"")).status(), 200);
}

#[test]
fn concurrent_signing_and_creation() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Arc::new(Client::new(&emu));
    let tag = Arc::new(root(&c));
    let (_, csr) = openssl_csr(Kind::P256, "concurrent.internal", false);
    let csr = Arc::new(csr);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (c, tag, csr) = (c.clone(), tag.clone(), csr.clone());
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| {
                        c.call(&SignEndCsr::new(&*tag, &*csr).unwrap())
                            .unwrap()
                            .serial_no
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut serials: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let list = c.call(&GetEndCertList::new(&*tag).unwrap()).unwrap();
    assert_eq!(list.total_count, Some(80));
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 80, "serial numbers are unique");

    // Eight creations of the same alias at once: exactly one wins.
    let body = br#"{"alias":"racer","keyType":"EC256","period":"MAX","x509Parameters":{"commonName":"r"}}"#;
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                code(&c.send(&signed(&c, "POST", "/api/v1/ca?caType=PRIVATE_ROOT", body))).1
            })
        })
        .collect();
    let codes: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        codes.iter().filter(|c| *c == "SUCCESS").count(),
        1,
        "{codes:?}"
    );
    assert!(
        codes
            .iter()
            .all(|c| c == "SUCCESS" || c == "ALREADY_EXIST_ALIAS"),
        "{codes:?}"
    );
}

#[test]
fn sign_end_csr_period_longer_than_the_ca_is_refused() {
    if common::openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);
    let short = c.create(&ca_request(
        CaType::PrivateRoot,
        "short",
        KeyType::Ec256,
        Period::days(10).unwrap(),
        "Short Root",
    ));
    let (_, csr) = openssl_csr(Kind::P256, "s.internal", false);
    let e = c
        .call(
            &SignEndCsr::new(&short, &csr)
                .unwrap()
                .with_period(Period::days(30).unwrap())
                .unwrap(),
        )
        .unwrap_err();
    assert_eq!(service_code(&e), (400, "EXCEED_EXPIRY_DATE".to_owned()));
    // Without a period the validity is clamped to the CA's.
    let leaf = c.call(&SignEndCsr::new(&short, &csr).unwrap()).unwrap();
    let ca_after = pca_core::CertificateInfo::from_pem(leaf.ca_chain.last().unwrap())
        .unwrap()
        .not_after;
    assert!(
        pca_core::CertificateInfo::from_pem(&leaf.certificate)
            .unwrap()
            .not_after
            <= ca_after
    );
}
