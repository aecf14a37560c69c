//! The `tracing` spans of both clients: the call's fields are there, no secret or signature is.
//! (A test binary of its own: `tracing` caches per call site whether anyone listens, so a
//! scoped subscriber must not race other tests' threads.)

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pca_core::RetryPolicy;
use pca_core::operations::GetCa;
use pca_tests::replay::{FromRecorded, Reply, SECRET_KEY, TestServer, credentials};

fn get_ca() -> (pca_tests::Exchange, GetCa) {
    let ex = pca_tests::load("get_ca", "doc-example");
    let op = GetCa::from_recorded(&ex.request).unwrap();
    (ex, op)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A `tracing` writer that keeps everything written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn spans_carry_the_call_and_no_secret() {
    let (ex, op) = get_ca();
    let captured = Captured::default();
    let writer = captured.clone();
    let mut servers = Vec::new();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let api = TestServer::replay(vec![ex.clone()]);
        let blocking = pca_blocking::Client::builder()
            .endpoint(api.endpoint())
            .credentials(credentials())
            .build()
            .unwrap();
        blocking.get_ca(&op).unwrap();
        let asynchronous = pca_async::Client::builder()
            .endpoint(api.endpoint())
            .credentials(credentials())
            .build()
            .unwrap();
        runtime().block_on(asynchronous.get_ca(&op)).unwrap();
        // A failing call logs its error too, through either client, at each attempt.
        let failing = TestServer::start(|_, _| Reply::Reset);
        let retry = RetryPolicy::new()
            .max_attempts(2)
            .base_delay(Duration::from_millis(1));
        let blocking = pca_blocking::Client::builder()
            .endpoint(failing.endpoint())
            .credentials(credentials())
            .retry_policy(retry)
            .build()
            .unwrap();
        assert!(blocking.get_ca(&op).is_err());
        let asynchronous = pca_async::Client::builder()
            .endpoint(failing.endpoint())
            .credentials(credentials())
            .retry_policy(retry)
            .build()
            .unwrap();
        assert!(runtime().block_on(asynchronous.get_ca(&op)).is_err());
        servers = vec![api, failing];
    });
    // Every request of every server, answered or not: its signature is in no log line.
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let signatures: Vec<String> = servers
        .iter()
        .flat_map(TestServer::requests)
        .map(|r| r.header("x-ncp-apigw-signature-v2").unwrap().to_owned())
        .collect();
    // Two answered calls, and two failing calls of two attempts each.
    assert_eq!(signatures.len(), 6, "{signatures:?}");
    for sig in &signatures {
        assert!(sig.len() >= 40, "not a signature: {sig:?}");
        assert!(!log.contains(sig.as_str()), "a signature was logged: {sig}");
    }
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(log.contains("pca_call"), "{log}");
    for field in [
        "operation=\"Get CA\"",
        "method=GET",
        "path=\"/api/v1/ca/a1b2c3d4-e5f6a7b8\"",
        "attempt=",
        "status=200",
        "elapsed_ms=",
    ] {
        assert!(log.contains(field), "no {field} in the log:\n{log}");
    }
    assert!(!log.contains(SECRET_KEY), "the secret key was logged");
}
