//! One deadline per call, through both clients against loopback servers: the builder's
//! `timeout` bounds the whole call, retries and waits included; a retry whose wait would pass
//! it is not started; the error says the deadline passed and whether the request may have
//! been sent; a server-role credential fetch from the metadata service is bounded by it too;
//! and a failure after a clock-skew re-sign keeps the measured offset.

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

/// Sends `op` through one client using server-role credentials from `metadata`, with the
/// call's `timeout` and an optional shared `deadline`; returns its error.
fn fail_with_server_role(
    via: Via,
    api: &TestServer,
    metadata: &TestServer,
    timeout: Duration,
    deadline: Option<Instant>,
) -> pca_blocking::Error {
    macro_rules! build {
        ($builder:expr) => {{
            let builder = $builder
                .endpoint(api.endpoint())
                .server_role("pca-test-role")
                .metadata_base_url(metadata.url())
                .timeout(timeout);
            match deadline {
                Some(at) => builder.call_deadline(at),
                None => builder,
            }
            .build()
            .unwrap()
        }};
    }
    let op = read_op();
    let result = match via {
        Via::Blocking => build!(pca_blocking::Client::builder()).send(&op),
        Via::Async => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let client = build!(pca_async::Client::builder());
            runtime.block_on(client.send(&op))
        }
    };
    result.expect_err("the call must fail")
}

#[test]
fn a_silent_metadata_service_ends_the_call_at_its_deadline_unsent() {
    // The call has 300 ms, less than one metadata GET's own timeout: the GET is cut at the
    // deadline, and the call ends there, with nothing sent to the API.
    let timeout = Duration::from_millis(300);
    assert!(timeout < pca_blocking::METADATA_TIMEOUT);
    for via in BOTH {
        let metadata = TestServer::start(|_, _| Reply::Stall(STALL));
        let api = TestServer::start(|_, _| Reply::json(500, serde_json::json!({})));
        let e = fail_with_server_role(via, &api, &metadata, timeout, None);
        assert!(e.is_deadline_exceeded(), "{via:?}: {e:?}");
        assert!(!e.may_have_been_sent(), "{via:?}");
        let text = e.to_string();
        assert!(
            text.contains("the call's deadline passed after 300 ms")
                && text.contains("fetching server-role credentials: ")
                && text.ends_with("the request was not sent"),
            "{via:?}: {text}"
        );
        assert_eq!(e.transport().unwrap().attempts(), 0, "{via:?}");
        assert_eq!(api.connection_count(), 0, "{via:?}: the API was contacted");
        assert_eq!(api.request_count(), 0, "{via:?}");
    }
}

#[test]
fn no_metadata_get_starts_once_the_deadline_has_passed() {
    for via in BOTH {
        let metadata = TestServer::start(|_, _| Reply::Stall(STALL));
        let api = TestServer::start(|_, _| Reply::json(500, serde_json::json!({})));
        let passed = Instant::now();
        let e = fail_with_server_role(via, &api, &metadata, Duration::from_secs(10), Some(passed));
        assert!(e.is_deadline_exceeded(), "{via:?}: {e:?}");
        assert!(!e.may_have_been_sent(), "{via:?}");
        assert!(
            e.to_string()
                .contains("before attempt 1, fetching server-role credentials"),
            "{via:?}: {e}"
        );
        assert_eq!(metadata.connection_count(), 0, "{via:?}: a GET was started");
        assert_eq!(api.connection_count(), 0, "{via:?}: the API was contacted");
    }
}
