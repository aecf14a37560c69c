//! One deadline per call, through both clients against loopback servers: the builder's
//! `timeout` bounds the whole call, retries and waits included; a retry whose wait would pass
//! it is not started; the error says the deadline passed and whether the request may have
//! been sent; and a failure after a clock-skew re-sign keeps the measured offset.

use std::time::{Duration, Instant, SystemTime};

use pca_core::operations::{GetCa, SignSubCsr};
use pca_core::{Endpoint, Operation, RetryPolicy};
use pca_tests::RecordedResponse;
use pca_tests::replay::{FromRecorded, Reply, TestServer, clock_skew_refusal, credentials};

#[derive(Debug, Clone, Copy)]
enum Via {
    Blocking,
    Async,
}

const BOTH: [Via; 2] = [Via::Blocking, Via::Async];

/// How long a stalling server says nothing: far longer than any deadline here.
const STALL: Duration = Duration::from_secs(20);

#[derive(Clone)]
struct Setup {
    timeout: Duration,
    attempt_timeout: Duration,
    retry: RetryPolicy,
    clock_behind: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(10),
            retry: RetryPolicy::new()
                .max_attempts(20)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_secs(10))
                .max_elapsed(Duration::from_secs(60)),
            clock_behind: Duration::ZERO,
        }
    }
}

macro_rules! configure {
    ($builder:expr, $endpoint:expr, $setup:expr) => {{
        let setup: &Setup = $setup;
        let behind = setup.clock_behind;
        $builder
            .endpoint($endpoint)
            .credentials(credentials())
            .timeout(setup.timeout)
            .attempt_timeout(setup.attempt_timeout)
            .connect_timeout(Duration::from_secs(2))
            .retry_policy(setup.retry)
            .clock(move || SystemTime::now() - behind)
            .build()
            .unwrap()
    }};
}

/// Sends `op` through one client; returns its error and how long the call took.
fn fail<O>(via: Via, endpoint: Endpoint, setup: &Setup, op: &O) -> (pca_blocking::Error, Duration)
where
    O: Operation + Sync,
    O::Output: Send + std::fmt::Debug,
{
    let started = Instant::now();
    let result = match via {
        Via::Blocking => configure!(pca_blocking::Client::builder(), endpoint, setup).send(op),
        Via::Async => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let client = configure!(pca_async::Client::builder(), endpoint, setup);
            runtime.block_on(client.send(op))
        }
    };
    let took = started.elapsed();
    (result.expect_err("the call must fail"), took)
}

fn read_op() -> GetCa {
    GetCa::from_recorded(&pca_tests::load("get_ca", "doc-example").request).unwrap()
}

fn issuing_op() -> SignSubCsr {
    SignSubCsr::from_recorded(&pca_tests::load("sign_sub_csr", "doc-example").request).unwrap()
}

#[test]
fn a_stalled_read_ends_at_the_deadline_with_its_retries() {
    // Each attempt may take 400 ms, the call 1.5 s: a read is retried until the deadline cuts
    // the last attempt short.
    let setup = Setup {
        timeout: Duration::from_millis(1500),
        attempt_timeout: Duration::from_millis(400),
        ..Setup::default()
    };
    for via in BOTH {
        let server = TestServer::start(|_, _| Reply::Stall(STALL));
        let (e, took) = fail(via, server.endpoint(), &setup, &read_op());
        assert!(e.is_deadline_exceeded(), "{via:?}: {e:?}");
        assert!(e.may_have_been_sent(), "{via:?}");
        let text = e.to_string();
        assert!(
            text.contains("the call's deadline passed after 1500 ms"),
            "{via:?}: {text}"
        );
        assert!(
            text.contains("may have reached the server"),
            "{via:?}: {text}"
        );
        let attempts = e.transport().unwrap().attempts();
        assert!(attempts >= 2, "{via:?}: the read was retried ({attempts})");
        assert_eq!(server.request_count(), attempts as usize, "{via:?}");
        assert!(took >= setup.timeout, "{via:?}: ended early ({took:?})");
        assert!(took < STALL, "{via:?}: waited for the server ({took:?})");
    }
}

#[test]
fn a_stalled_issuing_call_ends_at_the_deadline_sent_once() {
    // The attempt timeout is longer than the call's: the deadline cuts the one attempt.
    let setup = Setup {
        timeout: Duration::from_millis(600),
        attempt_timeout: Duration::from_secs(30),
        ..Setup::default()
    };
    for via in BOTH {
        let server = TestServer::start(|_, _| Reply::Stall(STALL));
        let (e, took) = fail(via, server.endpoint(), &setup, &issuing_op());
        assert!(e.is_deadline_exceeded(), "{via:?}: {e:?}");
        assert!(e.may_have_been_sent(), "{via:?}");
        let text = e.to_string();
        assert!(
            text.contains("Get End Cert List") && text.contains("not resent"),
            "{via:?}: {text}"
        );
        assert_eq!(server.request_count(), 1, "{via:?}: Sign Sub CSR resent");
        assert!(took < STALL, "{via:?}: waited for the server ({took:?})");
    }
}

#[test]
fn no_retry_starts_when_its_wait_would_pass_the_deadline() {
    let setup = Setup {
        timeout: Duration::from_secs(3),
        ..Setup::default()
    };
    let unavailable = RecordedResponse {
        status: 503,
        headers: [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("retry-after".to_owned(), "5".to_owned()),
        ]
        .into(),
        body: Some(serde_json::json!({
            "error": {"errorCode": "503", "message": "Service Unavailable"}
        })),
        body_text: None,
    };
    for via in BOTH {
        let reply = Reply::Respond(unavailable.clone());
        let server = TestServer::start(move |_, _| reply.clone());
        let (e, took) = fail(via, server.endpoint(), &setup, &read_op());
        assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{via:?}: {e:?}");
        assert_eq!(server.request_count(), 1, "{via:?}: a retry was started");
        assert!(took < setup.timeout, "{via:?}: waited ({took:?})");
    }
}

#[test]
fn a_failure_after_a_skew_re_sign_keeps_the_measured_offset() {
    // The gateway's clock is an hour ahead of ours, and it refuses every signature: the first
    // refusal measures the skew, the re-signed attempt is refused for another reason.
    let setup = Setup {
        clock_behind: Duration::from_secs(3600),
        ..Setup::default()
    };
    for via in BOTH {
        let server = TestServer::start(|_, _| Reply::Respond(clock_skew_refusal()));
        let (e, _) = fail(via, server.endpoint(), &setup, &read_op());
        assert_eq!(server.request_count(), 2, "{via:?}: re-signed once");
        let skew = e.clock_skew().unwrap_or_else(|| panic!("{via:?}: {e:?}"));
        assert!(
            (3_500_000..3_700_000).contains(&skew.offset_ms),
            "{via:?}: {skew:?}"
        );
        assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{via:?}");
        let text = e.to_string();
        assert!(
            text.contains("after re-signing for clock skew: the local clock is 3"),
            "{via:?}: {text}"
        );
    }
}
