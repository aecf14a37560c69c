//! Every recorded exchange under `tests/fixtures/` through both clients, each against a loopback
//! replay server that checks the method, the path and query, the JSON body, the recorded headers
//! and the signature (recomputed by the server), and answers with the recorded response. The
//! typed method of each operation is the one called (`client.sign_sub_csr(&op)`), and its result
//! must equal what the core parses from the recorded answer.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use pca_core::{Operation, RetryPolicy, Timestamp};
use pca_tests::Exchange;
use pca_tests::replay::{FromRecorded, OPERATION_METHODS, TestServer, credentials};

const USER_AGENT: &str = concat!("pca-rs/", env!("CARGO_PKG_VERSION"));

fn blocking_client(server: &TestServer) -> pca_blocking::Client {
    pca_blocking::Client::builder()
        .endpoint(server.endpoint())
        .credentials(credentials())
        .retry_policy(RetryPolicy::disabled())
        .timeout(Duration::from_secs(10))
        // Recorded signing answers hold certificates valid from the day they were recorded.
        .answer_checks(false)
        .build()
        .unwrap()
}

fn async_client(server: &TestServer) -> pca_async::Client {
    pca_async::Client::builder()
        .endpoint(server.endpoint())
        .credentials(credentials())
        .retry_policy(RetryPolicy::disabled())
        .timeout(Duration::from_secs(10))
        // Recorded signing answers hold certificates valid from the day they were recorded.
        .answer_checks(false)
        .build()
        .unwrap()
}

/// The exchange's operation directory (`sign_sub_csr`).
fn dir_of(path: &Path) -> String {
    path.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compares a client's result with the core's parse of the recorded answer, and the server's
/// view of the exchange.
fn compare<O: Operation>(
    got: Result<O::Output, String>,
    got_status: Option<http::StatusCode>,
    ex: &Exchange,
    server: &TestServer,
) -> Result<(), String>
where
    O::Output: PartialEq + std::fmt::Debug,
{
    let problems = server.problems();
    if !problems.is_empty() {
        return Err(format!("the server saw a different request: {problems:?}"));
    }
    let requests = server.requests();
    if requests.len() != 1 {
        return Err(format!("{} requests received, expected 1", requests.len()));
    }
    if requests[0].header("user-agent") != Some(USER_AGENT) {
        return Err(format!("user agent {:?}", requests[0].header("user-agent")));
    }
    let now = Timestamp::from_system_time(SystemTime::now());
    let expected = O::parse_response(&ex.response.to_http(), now);
    match (got, expected) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Ok(a), Ok(b)) => Err(format!("client parsed {a:?}, core parses {b:?}")),
        (Err(e), Ok(_)) => Err(format!("client failed: {e}")),
        (Ok(a), Err(e)) => Err(format!("client parsed {a:?}, core fails with {e}")),
        (Err(_), Err(e)) if got_status == e.status() => Ok(()),
        (Err(g), Err(e)) => Err(format!("client error {g}, core error {e}")),
    }
}

macro_rules! replayers {
    ($(($method:ident, $ty:path, $doc:literal)),* $(,)?) => {
        /// Replays `ex` through the blocking client's typed method; `None` when no operation
        /// matches.
        fn replay_blocking(dir: &str, ex: &Exchange) -> Option<Result<(), String>> {
            $(
                if dir == stringify!($method) || ex.operation.eq_ignore_ascii_case($doc) {
                    let op = match <$ty as FromRecorded>::from_recorded(&ex.request) {
                        Ok(op) => op,
                        Err(e) => return Some(Err(format!("cannot rebuild the operation: {e}"))),
                    };
                    let server = TestServer::replay(vec![ex.clone()]);
                    let client = blocking_client(&server);
                    let result = client.$method(&op);
                    let status = result.as_ref().err().and_then(|e| e.status());
                    let got = result.map_err(|e| e.to_string());
                    return Some(compare::<$ty>(got, status, ex, &server));
                }
            )*
            None
        }

        /// Replays `ex` through the async client's typed method; `None` when no operation
        /// matches.
        async fn replay_async(dir: &str, ex: &Exchange) -> Option<Result<(), String>> {
            $(
                if dir == stringify!($method) || ex.operation.eq_ignore_ascii_case($doc) {
                    let op = match <$ty as FromRecorded>::from_recorded(&ex.request) {
                        Ok(op) => op,
                        Err(e) => return Some(Err(format!("cannot rebuild the operation: {e}"))),
                    };
                    let server = TestServer::replay(vec![ex.clone()]);
                    let client = async_client(&server);
                    let result = client.$method(&op).await;
                    let status = result.as_ref().err().and_then(|e| e.status());
                    let got = result.map_err(|e| e.to_string());
                    return Some(compare::<$ty>(got, status, ex, &server));
                }
            )*
            None
        }
    };
}

pca_core::for_each_operation!(replayers);

/// Checks that the fixtures cover every operation and reports every failure at once.
fn report(results: Vec<(String, String, Result<(), String>)>) {
    let covered: BTreeSet<&str> = results
        .iter()
        .filter(|r| r.2.is_ok())
        .map(|r| r.0.as_str())
        .collect();
    let missing: Vec<&&str> = OPERATION_METHODS
        .iter()
        .filter(|m| !covered.contains(**m))
        .collect();
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(dir, file, r)| r.as_ref().err().map(|e| format!("{dir}/{file}: {e}")))
        .collect();
    eprintln!("{} exchanges replayed", results.len());
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert!(
        missing.is_empty(),
        "operations without a replayed fixture: {missing:?}"
    );
}

#[test]
fn every_fixture_through_the_blocking_client() {
    let mut results = Vec::new();
    for (path, ex) in pca_tests::all() {
        let dir = dir_of(&path);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let r = replay_blocking(&dir, &ex)
            .unwrap_or_else(|| Err(format!("no operation named {:?}", ex.operation)));
        results.push((dir, file, r));
    }
    report(results);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_through_the_async_client() {
    let mut results = Vec::new();
    for (path, ex) in pca_tests::all() {
        let dir = dir_of(&path);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let r = replay_async(&dir, &ex)
            .await
            .unwrap_or_else(|| Err(format!("no operation named {:?}", ex.operation)));
        results.push((dir, file, r));
    }
    report(results);
}

#[test]
fn the_replay_server_refuses_a_wrong_signature() {
    let ex = pca_tests::load("get_ca", "doc-example");
    let server = TestServer::replay(vec![ex.clone()]);
    let client = pca_blocking::Client::builder()
        .endpoint(server.endpoint())
        .credentials(pca_core::Credentials::new(pca_tests::replay::ACCESS_KEY, "wrong").unwrap())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let op = <pca_core::operations::GetCa as FromRecorded>::from_recorded(&ex.request).unwrap();
    assert!(client.get_ca(&op).is_err());
    assert_eq!(server.problems().len(), 1, "{:?}", server.problems());
}

#[test]
fn one_connection_serves_sequential_calls() {
    let ex = pca_tests::load("get_ca", "doc-example");
    let op = <pca_core::operations::GetCa as FromRecorded>::from_recorded(&ex.request).unwrap();
    let server = TestServer::replay(vec![ex.clone()]);
    let client = blocking_client(&server);
    for _ in 0..5 {
        client.get_ca(&op).unwrap();
    }
    assert_eq!(server.request_count(), 5);
    assert_eq!(server.connection_count(), 1, "the blocking client pools");

    let server = TestServer::replay(vec![ex]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = async_client(&server);
    runtime.block_on(async {
        for _ in 0..20 {
            client.get_ca(&op).await.unwrap();
        }
    });
    assert_eq!(server.request_count(), 20);
    // hyper's pool takes a connection back in a task of its own, so a call that follows at once
    // can race it and open a second connection; pooling still serves most calls.
    assert!(
        server.connection_count() <= 5,
        "the async client pools: {} connections for 20 calls",
        server.connection_count()
    );
}
