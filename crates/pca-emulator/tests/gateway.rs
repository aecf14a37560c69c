//! The gateway: signature v2 checks and the gateway's refusals.

mod common;

use std::time::Duration;

use common::{ACCESS, Client, SECRET, json, now, start};
use pca_core::operations::{GetCa, GetCaList};
use pca_core::{ApiErrorKind, Credentials, GatewayErrorCode, Operation, Timestamp};
use pca_emulator::Emulator;

fn gateway_error(resp: &http::Response<Vec<u8>>) -> (u16, String, String) {
    let v = json(resp);
    (
        resp.status().as_u16(),
        v["error"]["errorCode"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn assert_auth_failed(resp: &http::Response<Vec<u8>>) {
    assert_eq!(
        gateway_error(resp),
        (401, "200".to_owned(), "Authentication Failed".to_owned())
    );
    assert_eq!(
        resp.headers().get("x-ncp-apigw-response-origin").unwrap(),
        "APIGW"
    );
    // The core reads it as the gateway's authentication failure.
    let err = GetCaList::parse_response(resp, now()).unwrap_err();
    match err {
        pca_core::Error::Api(api) => match api.kind {
            ApiErrorKind::Gateway { code, .. } => {
                assert_eq!(code, GatewayErrorCode::AuthenticationFailed)
            }
            other => panic!("not a gateway error: {other:?}"),
        },
        other => panic!("not an API error: {other:?}"),
    }
}

#[test]
fn a_correctly_signed_request_passes() {
    let emu = start();
    let c = Client::new(&emu);
    let list = c.call(&GetCaList::new()).expect("signed request accepted");
    assert_eq!(list.total_count, Some(0));
}

#[test]
fn wrong_secret_is_refused() {
    let emu = start();
    let mut c = Client::new(&emu);
    c.credentials = Credentials::new(ACCESS, "not-the-secret").unwrap();
    assert_auth_failed(&c.raw(&GetCaList::new()));
}

#[test]
fn unknown_access_key_is_refused() {
    let emu = start();
    let mut c = Client::new(&emu);
    c.credentials = Credentials::new("someone-else", SECRET).unwrap();
    let resp = c.raw(&GetCaList::new());
    assert_auth_failed(&resp);
    let body = String::from_utf8_lossy(resp.body()).into_owned();
    assert!(!body.contains(SECRET) && !body.contains("someone-else"));
}

fn signed_at(c: &Client, ts: Timestamp) -> http::Request<Vec<u8>> {
    GetCaList::new()
        .build_request(&c.endpoint, &c.credentials, ts)
        .unwrap()
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let emu = start();
    let c = Client::new(&emu);
    let six_minutes = 6 * 60 * 1000;
    assert_auth_failed(&c.send(&signed_at(&c, now().offset_by(-six_minutes))));
    assert_auth_failed(&c.send(&signed_at(&c, now().offset_by(six_minutes))));
    // Within the 5 minutes, both ways.
    let four_minutes = 4 * 60 * 1000;
    assert_eq!(
        c.send(&signed_at(&c, now().offset_by(-four_minutes)))
            .status(),
        200
    );
    assert_eq!(
        c.send(&signed_at(&c, now().offset_by(four_minutes)))
            .status(),
        200
    );
}

#[test]
fn the_clock_tolerance_is_configurable() {
    let emu = Emulator::builder()
        .credentials(ACCESS, SECRET)
        .max_clock_skew(Duration::from_secs(30))
        .start()
        .unwrap();
    let c = Client::new(&emu);
    assert_auth_failed(&c.send(&signed_at(&c, now().offset_by(-60_000))));
    assert_eq!(
        c.send(&signed_at(&c, now().offset_by(-5_000))).status(),
        200
    );
}

#[test]
fn timestamp_that_is_not_milliseconds_is_refused() {
    let emu = start();
    let c = Client::new(&emu);
    let mut req = signed_at(&c, now());
    req.headers_mut()
        .insert("x-ncp-apigw-timestamp", "yesterday".parse().unwrap());
    assert_auth_failed(&c.send(&req));
}

#[test]
fn tampered_path_is_refused() {
    let emu = start();
    let c = Client::new(&emu);
    let mut req = GetCa::new("12345678-aaaaaaaa")
        .unwrap()
        .build_request(&c.endpoint, &c.credentials, now())
        .unwrap();
    *req.uri_mut() = format!("{}/api/v1/ca/12345678-bbbbbbbb", emu.base_url())
        .parse()
        .unwrap();
    assert_auth_failed(&c.send(&req));
}

#[test]
fn tampered_query_is_refused() {
    let emu = start();
    let c = Client::new(&emu);
    let mut req = GetCaList::page(1)
        .unwrap()
        .build_request(&c.endpoint, &c.credentials, now())
        .unwrap();
    assert_eq!(c.send(&req).status(), 200);
    *req.uri_mut() = format!("{}/api/v1/ca?pageNo=2", emu.base_url())
        .parse()
        .unwrap();
    assert_auth_failed(&c.send(&req));
    // Dropping the query is tampering too.
    *req.uri_mut() = format!("{}/api/v1/ca", emu.base_url()).parse().unwrap();
    assert_auth_failed(&c.send(&req));
}

#[test]
fn signature_in_the_v1_header_is_accepted() {
    let emu = start();
    let c = Client::new(&emu);
    let mut req = signed_at(&c, now());
    let sig = req
        .headers_mut()
        .remove("x-ncp-apigw-signature-v2")
        .unwrap();
    req.headers_mut().insert("x-ncp-apigw-signature-v1", sig);
    assert_eq!(c.send(&req).status(), 200);
}

#[test]
fn missing_headers_are_refused() {
    let emu = start();
    let c = Client::new(&emu);
    for h in [
        "x-ncp-apigw-timestamp",
        "x-ncp-iam-access-key",
        "x-ncp-apigw-signature-v2",
    ] {
        let mut req = signed_at(&c, now());
        req.headers_mut().remove(h);
        assert_auth_failed(&c.send(&req));
    }
}

#[test]
fn several_key_pairs_are_accepted() {
    let emu = Emulator::builder()
        .credentials("key-one", "secret-one")
        .credentials("key-two", "secret-two")
        .start()
        .unwrap();
    let mut c = Client::new(&emu);
    for (a, s) in [("key-one", "secret-one"), ("key-two", "secret-two")] {
        c.credentials = Credentials::new(a, s).unwrap();
        assert_eq!(c.raw(&GetCaList::new()).status(), 200);
    }
    c.credentials = Credentials::new("key-one", "secret-two").unwrap();
    assert_auth_failed(&c.raw(&GetCaList::new()));
}

fn raw_request(method: &str, target: &str, body: &[u8], c: &Client) -> http::Request<Vec<u8>> {
    let mut req = pca_core::__private::build_request(
        method.parse().unwrap(),
        "/ca",
        Some(body.to_vec()),
        &c.endpoint,
        &c.credentials,
        now(),
    )
    .unwrap();
    // Re-sign for the real target.
    *req.uri_mut() = format!("http://{}{}", c.addr, target).parse().unwrap();
    pca_core::signing::sign_request(&mut req, &c.credentials, now()).unwrap();
    req
}

#[test]
fn unknown_paths_and_methods_are_not_found() {
    let emu = start();
    let c = Client::new(&emu);
    for (m, p) in [
        ("GET", "/ca"),
        ("GET", "/api/v2/ca"),
        ("GET", "/api/v1/nothing"),
        ("GET", "/api/v1/ca/"),
        ("PATCH", "/api/v1/ca"),
        ("DELETE", "/api/v1/ca/12345678-abcdefgh/chain"),
        ("GET", "/api/v1/ca/12345678-abcdefgh/sub/sign"),
        ("GET", "/"),
    ] {
        let resp = c.send(&raw_request(m, p, b"", &c));
        assert_eq!(
            gateway_error(&resp),
            (404, "300".to_owned(), "Not Found Exception".to_owned()),
            "{m} {p}"
        );
    }
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let emu = Emulator::builder()
        .credentials(ACCESS, SECRET)
        .body_limit(1024)
        .start()
        .unwrap();
    let c = Client::new(&emu);
    let big = vec![b' '; 4096];
    let resp = c.send(&raw_request(
        "POST",
        "/api/v1/ca?caType=PRIVATE_ROOT",
        &big,
        &c,
    ));
    assert_eq!(
        gateway_error(&resp),
        (413, "430".to_owned(), "Request Entity Too Large".to_owned())
    );
    // The same without Content-Length, chunked.
    let mut conn = pca_emulator::loopback::Connection::connect(emu.addr()).unwrap();
    let mut raw = b"POST /api/v1/ca?caType=PRIVATE_ROOT HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        raw.extend_from_slice(b"400\r\n");
        raw.extend_from_slice(&[b' '; 1024]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let resp = conn.send_raw(&raw).unwrap();
    assert_eq!(gateway_error(&resp).1, "430");
}

#[test]
fn unusable_content_length_is_a_bad_request() {
    let emu = start();
    let mut conn = pca_emulator::loopback::Connection::connect(emu.addr()).unwrap();
    let resp = conn
        .send_raw(b"POST /api/v1/ca HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
        .unwrap();
    // hyper refuses a malformed Content-Length itself with 400; either way nothing is served.
    assert_eq!(resp.status(), 400);
}

#[test]
fn a_query_that_is_not_utf8_is_a_bad_request() {
    let emu = start();
    let c = Client::new(&emu);
    let req = raw_request("GET", "/api/v1/ca?pageNo=%FF", b"", &c);
    let resp = c.send(&req);
    assert_eq!(
        gateway_error(&resp),
        (400, "100".to_owned(), "Bad Request Exception".to_owned())
    );
}
