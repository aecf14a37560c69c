//! Faults, each through both clients against a loopback server that misbehaves on purpose. Each
//! ends in the right typed error (or, where a retry may fix it, in success), within the timeout,
//! and the server counts what arrived so that nothing is resent that must not be: a Sign Sub CSR
//! (an issuing operation) reaches the server at most once, whatever happens.

use std::time::{Duration, Instant, SystemTime};

use pca_core::operations::{GetCa, SignSubCsr};
use pca_core::{Endpoint, Operation, RetryPolicy};
use pca_tests::replay::{
    FromRecorded, Received, Reply, TestServer, clock_skew_refusal, credentials,
};
use pca_tests::{Exchange, RecordedResponse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Blocking,
    Async,
}

const BOTH: [Via; 2] = [Via::Blocking, Via::Async];

/// Client settings of one test.
#[derive(Clone)]
struct Setup {
    timeout: Duration,
    max_body: u64,
    /// How far behind the real time the client's clock is.
    clock_behind: Duration,
    retry: RetryPolicy,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            timeout: Duration::from_secs(5),
            max_body: pca_blocking::DEFAULT_MAX_RESPONSE_BODY,
            clock_behind: Duration::ZERO,
            retry: RetryPolicy::new()
                .max_attempts(3)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_secs(3))
                .max_elapsed(Duration::from_secs(20)),
        }
    }
}

/// What a failed call ended in, in terms both clients share.
#[derive(Debug)]
struct Failure {
    display: String,
    debug: String,
    transport_kind: Option<String>,
    may_have_been_sent: bool,
    core: Option<pca_core::Error>,
}

macro_rules! failure {
    ($e:expr) => {{
        let e = $e;
        Failure {
            display: e.to_string(),
            debug: format!("{e:?}"),
            transport_kind: e.transport_kind().map(|k| format!("{k:?}")),
            may_have_been_sent: e.may_have_been_sent(),
            core: e.core().cloned(),
        }
    }};
}

macro_rules! configure {
    ($builder:expr, $endpoint:expr, $setup:expr) => {{
        let setup: &Setup = $setup;
        let behind = setup.clock_behind;
        $builder
            .endpoint($endpoint)
            .credentials(credentials())
            .timeout(setup.timeout)
            .connect_timeout(Duration::from_secs(2))
            .max_response_body(setup.max_body)
            .retry_policy(setup.retry)
            .clock(move || SystemTime::now() - behind)
            .build()
            .unwrap()
    }};
}

/// Sends `op` through one client; returns the result and how long the call took.
fn call<O>(
    via: Via,
    endpoint: Endpoint,
    setup: &Setup,
    op: &O,
) -> (Result<O::Output, Failure>, Duration)
where
    O: Operation + Sync,
    O::Output: Send,
{
    let started = Instant::now();
    let result = match via {
        Via::Blocking => {
            let client = configure!(pca_blocking::Client::builder(), endpoint, setup);
            client.send(op).map_err(|e| failure!(e))
        }
        Via::Async => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let client = configure!(pca_async::Client::builder(), endpoint, setup);
            runtime.block_on(async { client.send(op).await.map_err(|e| failure!(e)) })
        }
    };
    (result, started.elapsed())
}

fn fixture(dir: &str) -> Exchange {
    pca_tests::load(dir, "doc-example")
}

fn read_op() -> GetCa {
    GetCa::from_recorded(&fixture("get_ca").request).unwrap()
}

fn issuing_op() -> SignSubCsr {
    SignSubCsr::from_recorded(&fixture("sign_sub_csr").request).unwrap()
}

/// A server answering every request with `reply`.
fn always(reply: Reply) -> TestServer {
    TestServer::start(move |_, _| reply.clone())
}

fn expect_transport(f: &Failure, kind: &str, sent: bool, via: Via) {
    assert_eq!(
        f.transport_kind.as_deref(),
        Some(kind),
        "{via:?}: expected a {kind} transport error, got {f:?}"
    );
    assert_eq!(
        f.may_have_been_sent, sent,
        "{via:?}: may_have_been_sent in {f:?}"
    );
}

/// The error of an issuing call that may have left says so and names how to check.
fn expect_check_advice(f: &Failure, via: Via) {
    assert!(f.may_have_been_sent, "{via:?}: {f:?}");
    assert!(
        f.display.contains("Get End Cert List") && f.display.contains("not resent"),
        "{via:?}: the message must say the request was not resent and how to check: {}",
        f.display
    );
}

#[test]
fn connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    for via in BOTH {
        let setup = Setup::default();
        let (r, _) = call(via, endpoint.clone(), &setup, &issuing_op());
        let f = r.unwrap_err();
        expect_transport(&f, "Connect", false, via);
        assert!(f.display.contains("was not sent"), "{via:?}: {}", f.display);
        let (r, _) = call(via, endpoint.clone(), &setup, &read_op());
        expect_transport(&r.unwrap_err(), "Connect", false, via);
    }
}

#[test]
fn reset_before_the_answer() {
    for via in BOTH {
        let server = always(Reply::Reset);
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &issuing_op());
        let f = r.unwrap_err();
        expect_transport(&f, "Io", true, via);
        expect_check_advice(&f, via);
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");

        let server = always(Reply::Reset);
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &read_op());
        expect_transport(&r.unwrap_err(), "Io", true, via);
        assert_eq!(server.request_count(), 3, "{via:?}: a read is retried");
    }
}

#[test]
fn answer_cut_mid_body() {
    let cut = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n{\"code\":\"SUCCESS\",\"msg\":\"Succ".to_vec();
    for via in BOTH {
        let server = always(Reply::RawThenClose(cut.clone()));
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &issuing_op());
        let f = r.unwrap_err();
        expect_transport(&f, "Io", true, via);
        expect_check_advice(&f, via);
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");

        let server = always(Reply::RawThenClose(cut.clone()));
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &read_op());
        expect_transport(&r.unwrap_err(), "Io", true, via);
        assert_eq!(server.request_count(), 3, "{via:?}: a read is retried");
    }
}

#[test]
fn server_stalls_past_the_timeout() {
    let stall = Duration::from_secs(8);
    let setup = Setup {
        timeout: Duration::from_millis(400),
        ..Setup::default()
    };
    for via in BOTH {
        let server = always(Reply::Stall(stall));
        let (r, took) = call(via, server.endpoint(), &setup, &issuing_op());
        let f = r.unwrap_err();
        expect_transport(&f, "DeadlineExceeded", true, via);
        expect_check_advice(&f, via);
        assert!(
            took < stall,
            "{via:?}: the call waited for the server ({took:?})"
        );
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");

        let server = always(Reply::Stall(stall));
        let setup = Setup {
            retry: RetryPolicy::disabled(),
            ..setup.clone()
        };
        let (r, took) = call(via, server.endpoint(), &setup, &read_op());
        expect_transport(&r.unwrap_err(), "DeadlineExceeded", true, via);
        assert!(
            took < stall,
            "{via:?}: the call waited for the server ({took:?})"
        );
    }
}

#[test]
fn bad_gateway_with_an_html_body() {
    let html = Reply::Respond(RecordedResponse {
        status: 502,
        headers: [("content-type".to_owned(), "text/html".to_owned())].into(),
        body: None,
        body_text: Some("<html><body><h1>502 Bad Gateway</h1></body></html>".to_owned()),
    });
    for via in BOTH {
        let server = always(html.clone());
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &issuing_op());
        let f = r.unwrap_err();
        match &f.core {
            Some(pca_core::Error::UnexpectedResponse {
                status, snippet, ..
            }) => {
                assert_eq!(status.as_u16(), 502);
                assert!(snippet.contains("Bad Gateway"));
            }
            other => panic!("{via:?}: expected UnexpectedResponse, got {other:?}"),
        }
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");

        let server = always(html.clone());
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &read_op());
        assert!(matches!(
            r.unwrap_err().core,
            Some(pca_core::Error::UnexpectedResponse { .. })
        ));
        assert_eq!(
            server.request_count(),
            3,
            "{via:?}: a read is retried on 502"
        );
    }
}

fn rate_limited_then(success: Exchange) -> TestServer {
    TestServer::start(move |_: &Received, i| {
        if i == 0 {
            let mut r = RecordedResponse {
                status: 429,
                headers: [
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("retry-after".to_owned(), "1".to_owned()),
                ]
                .into(),
                body: Some(serde_json::json!({
                    "error": {"errorCode": "420", "message": "Rate Limited"}
                })),
                body_text: None,
            };
            r.headers
                .insert("x-case".to_owned(), "rate-limited".to_owned());
            Reply::Respond(r)
        } else {
            Reply::Respond(success.response.clone())
        }
    })
}

#[test]
fn rate_limited_with_retry_after_then_success() {
    for via in BOTH {
        let server = rate_limited_then(fixture("get_ca"));
        let (r, took) = call(via, server.endpoint(), &Setup::default(), &read_op());
        let ca = r.unwrap_or_else(|f| panic!("{via:?}: the read should succeed: {f:?}"));
        assert_eq!(ca.info.ca_tag.as_deref(), Some("a1b2c3d4-e5f6a7b8"));
        assert_eq!(server.request_count(), 2, "{via:?}");
        assert!(
            took >= Duration::from_millis(900),
            "{via:?}: Retry-After (1 s) not honoured: {took:?}"
        );

        let server = rate_limited_then(fixture("sign_sub_csr"));
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &issuing_op());
        let f = r.unwrap_err();
        let api = f
            .core
            .as_ref()
            .and_then(|c| c.api_error())
            .unwrap_or_else(|| panic!("{via:?}: expected the gateway's refusal, got {f:?}"));
        assert_eq!(api.status.as_u16(), 429);
        assert_eq!(api.retry_after.as_deref(), Some("1"));
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");
    }
}

#[test]
fn body_over_the_cap() {
    let big = format!(
        "{{\"code\":\"SUCCESS\",\"msg\":\"Success\",\"data\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(8192)
    );
    let with_length = Reply::Raw(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{big}",
            big.len()
        )
        .into_bytes(),
    );
    let chunked = Reply::Raw(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
            big.len()
        )
        .into_bytes(),
    );
    let setup = Setup {
        max_body: 4096,
        ..Setup::default()
    };
    for via in BOTH {
        for reply in [with_length.clone(), chunked.clone()] {
            let server = always(reply.clone());
            let (r, _) = call(via, server.endpoint(), &setup, &read_op());
            let f = r.unwrap_err();
            expect_transport(&f, "BodyTooLarge { limit: 4096 }", true, via);
            assert_eq!(server.request_count(), 1, "{via:?}: not retried");

            let server = always(reply);
            let (r, _) = call(via, server.endpoint(), &setup, &issuing_op());
            let f = r.unwrap_err();
            expect_transport(&f, "BodyTooLarge { limit: 4096 }", true, via);
            expect_check_advice(&f, via);
            assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");
        }
    }
}

#[test]
fn invalid_json() {
    let bad = Reply::Respond(RecordedResponse {
        status: 200,
        headers: [("content-type".to_owned(), "application/json".to_owned())].into(),
        body: None,
        body_text: Some("{\"code\":\"SUCCESS\",\"data\":{".to_owned()),
    });
    for via in BOTH {
        for op_is_issuing in [false, true] {
            let server = always(bad.clone());
            let (r, _) = if op_is_issuing {
                let (r, t) = call(via, server.endpoint(), &Setup::default(), &issuing_op());
                (r.map(|_| ()), t)
            } else {
                let (r, t) = call(via, server.endpoint(), &Setup::default(), &read_op());
                (r.map(|_| ()), t)
            };
            let f = r.unwrap_err();
            assert!(
                matches!(f.core, Some(pca_core::Error::Decode(_))),
                "{via:?}: expected a decode error, got {f:?}"
            );
            assert_eq!(server.request_count(), 1, "{via:?}: not retried");
        }
    }
}

/// A gateway that refuses timestamps more than 5 minutes from its clock, with its `Date`.
fn skew_checking_gateway(success: Exchange) -> TestServer {
    TestServer::start(move |req, _| match req.check_signature() {
        Ok(()) => Reply::Respond(success.response.clone()),
        Err(_) => Reply::Respond(clock_skew_refusal()),
    })
}

#[test]
fn gateway_401_with_a_skewed_date() {
    let setup = Setup {
        clock_behind: Duration::from_secs(3600),
        ..Setup::default()
    };
    for via in BOTH {
        let server = skew_checking_gateway(fixture("get_ca"));
        let (r, _) = call(via, server.endpoint(), &setup, &read_op());
        r.unwrap_or_else(|f| panic!("{via:?}: the read is re-signed and succeeds: {f:?}"));
        assert_eq!(server.request_count(), 2, "{via:?}: re-signed once");

        let server = skew_checking_gateway(fixture("sign_sub_csr"));
        let (r, _) = call(via, server.endpoint(), &setup, &issuing_op());
        let f = r.unwrap_err();
        match &f.core {
            Some(pca_core::Error::ClockSkew { skew, .. }) => {
                assert!(
                    (3_500_000..3_700_000).contains(&skew.offset_ms),
                    "{via:?}: offset {}",
                    skew.offset_ms
                );
            }
            other => panic!("{via:?}: expected the skew error, got {other:?}"),
        }
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");
    }
}

#[test]
fn the_learnt_offset_applies_to_later_calls() {
    let server = skew_checking_gateway(fixture("sign_sub_csr"));
    let behind = Duration::from_secs(3600);
    let client = pca_blocking::Client::builder()
        .endpoint(server.endpoint())
        .credentials(credentials())
        .clock(move || SystemTime::now() - behind)
        // The recorded answer's certificate is valid from the day it was recorded.
        .answer_checks(false)
        .build()
        .unwrap();
    assert!(client.sign_sub_csr(&issuing_op()).is_err());
    assert!(client.clock_offset_ms() > 3_500_000);
    client.sign_sub_csr(&issuing_op()).unwrap();
    assert_eq!(server.request_count(), 2);
}

#[test]
fn secrets_never_show() {
    let secret = pca_tests::replay::SECRET_KEY;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let blocking = pca_blocking::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials());
    let asynchronous = pca_async::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials());
    let texts = [
        format!("{blocking:?}"),
        format!("{asynchronous:?}"),
        format!("{:?}", blocking.clone().build().unwrap()),
        format!("{:?}", asynchronous.clone().build().unwrap()),
    ];
    let mut errors = Vec::new();
    for via in BOTH {
        let (r, _) = call(via, endpoint.clone(), &Setup::default(), &issuing_op());
        errors.push(r.unwrap_err());
        let server = always(Reply::Reset);
        let (r, _) = call(via, server.endpoint(), &Setup::default(), &issuing_op());
        errors.push(r.unwrap_err());
        let server = skew_checking_gateway(fixture("get_ca"));
        let setup = Setup {
            clock_behind: Duration::from_secs(3600),
            ..Setup::default()
        };
        let (r, _) = call(via, server.endpoint(), &setup, &issuing_op());
        errors.push(r.unwrap_err());
    }
    for t in texts
        .iter()
        .chain(errors.iter().map(|e| &e.display))
        .chain(errors.iter().map(|e| &e.debug))
    {
        assert!(!t.contains(secret), "secret in {t}");
    }
}
