//! What surrounds a call, through both clients, on loopback only: server-role credentials from a
//! fake metadata service (fetched, cached, refreshed before they expire), an explicit proxy
//! (the client opens a `CONNECT` tunnel to it and nowhere else).

use std::time::{Duration, SystemTime};

use pca_core::operations::GetCa;
use pca_core::{Endpoint, RetryPolicy, Timestamp};
use pca_tests::replay::{
    ACCESS_KEY, FromRecorded, Received, Reply, SECRET_KEY, TestServer, credentials,
};

const ROLE: &str = "pca-test-role";

/// A fake metadata service handing out the replay server's keys, expiring `lifetime` from the
/// moment each answer is made.
fn metadata_service(lifetime: Duration) -> TestServer {
    TestServer::start(move |req: &Received, _| {
        let listing = "/latest/meta-data/iam/security-credentials/";
        if req.target == listing {
            Reply::Respond(pca_tests::RecordedResponse {
                status: 200,
                headers: [("content-type".to_owned(), "text/plain".to_owned())].into(),
                body: None,
                body_text: Some(format!("{ROLE}\n")),
            })
        } else if req.target == format!("{listing}{ROLE}") {
            let expires = Timestamp::from_system_time(SystemTime::now() + lifetime);
            Reply::json(
                200,
                serde_json::json!({
                    "AccessKeyId": ACCESS_KEY,
                    "SecretAccessKey": SECRET_KEY,
                    "Expiration": expires.as_unix_millis(),
                }),
            )
        } else {
            Reply::json(404, serde_json::json!({"msg": "not found"}))
        }
    })
}

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

#[test]
fn server_role_credentials_are_fetched_once_while_valid() {
    let (ex, op) = get_ca();
    // Discovering the role: the listing, then the role's credentials; later calls use the cache.
    let metadata = metadata_service(Duration::from_secs(3600));
    let api = TestServer::replay(vec![ex.clone()]);
    let client = pca_blocking::Client::builder()
        .endpoint(api.endpoint())
        .server_role("")
        .metadata_base_url(metadata.url())
        .build()
        .unwrap();
    client.get_ca(&op).unwrap();
    client.get_ca(&op).unwrap();
    assert!(api.problems().is_empty(), "{:?}", api.problems());
    assert_eq!(
        metadata.request_count(),
        2,
        "listing + credentials, then cached"
    );

    let metadata = metadata_service(Duration::from_secs(3600));
    let api = TestServer::replay(vec![ex]);
    let client = pca_async::Client::builder()
        .endpoint(api.endpoint())
        .server_role(ROLE)
        .metadata_base_url(metadata.url())
        .build()
        .unwrap();
    runtime().block_on(async {
        client.get_ca(&op).await.unwrap();
        client.get_ca(&op).await.unwrap();
    });
    assert!(api.problems().is_empty(), "{:?}", api.problems());
    assert_eq!(
        metadata.request_count(),
        1,
        "named role: credentials only, then cached"
    );
}

#[test]
fn server_role_credentials_are_refreshed_before_they_expire() {
    let (ex, op) = get_ca();
    // Two minutes left is inside the five-minute refresh margin: every call fetches again.
    let metadata = metadata_service(Duration::from_secs(120));
    let api = TestServer::replay(vec![ex.clone()]);
    let client = pca_blocking::Client::builder()
        .endpoint(api.endpoint())
        .server_role(ROLE)
        .metadata_base_url(metadata.url())
        .build()
        .unwrap();
    client.get_ca(&op).unwrap();
    client.get_ca(&op).unwrap();
    assert_eq!(metadata.request_count(), 2);

    let metadata = metadata_service(Duration::from_secs(120));
    let api = TestServer::replay(vec![ex]);
    let client = pca_async::Client::builder()
        .endpoint(api.endpoint())
        .server_role(ROLE)
        .metadata_base_url(metadata.url())
        .build()
        .unwrap();
    runtime().block_on(async {
        client.get_ca(&op).await.unwrap();
        client.get_ca(&op).await.unwrap();
    });
    assert_eq!(metadata.request_count(), 2);
}

#[test]
fn an_unreachable_metadata_service_is_a_credentials_error() {
    let (_, op) = get_ca();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = format!("http://127.0.0.1:{port}");
    let api = TestServer::start(|_, _| Reply::json(500, serde_json::json!({})));
    let blocking = pca_blocking::Client::builder()
        .endpoint(api.endpoint())
        .server_role(ROLE)
        .metadata_base_url(dead.clone())
        .build()
        .unwrap();
    let e = blocking.get_ca(&op).unwrap_err();
    assert!(
        matches!(e.core(), Some(pca_core::Error::Credentials(_))),
        "{e:?}"
    );
    assert!(!e.may_have_been_sent());
    let asynchronous = pca_async::Client::builder()
        .endpoint(api.endpoint())
        .server_role(ROLE)
        .metadata_base_url(dead)
        .build()
        .unwrap();
    let e = runtime().block_on(asynchronous.get_ca(&op)).unwrap_err();
    assert!(
        matches!(e.core(), Some(pca_core::Error::Credentials(_))),
        "{e:?}"
    );
    assert_eq!(api.request_count(), 0, "nothing sent without credentials");
}

/// A proxy that refuses every tunnel, recording what it was asked.
fn refusing_proxy() -> TestServer {
    TestServer::start(|_, _| {
        Reply::RawThenClose(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".to_vec())
    })
}

#[test]
fn an_explicit_proxy_gets_a_connect_tunnel() {
    let (_, op) = get_ca();
    // The endpoint is the public site, but only the loopback proxy is ever contacted: the
    // clients do not resolve the target themselves when tunnelling, and the proxy refuses.
    let endpoint = Endpoint::default();
    let proxy = refusing_proxy();
    let blocking = pca_blocking::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials())
        .proxy(proxy.url(), "")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let e = blocking.get_ca(&op).unwrap_err();
    assert!(!e.may_have_been_sent(), "{e}");
    let asynchronous = pca_async::Client::builder()
        .endpoint(endpoint)
        .credentials(credentials())
        .proxy(proxy.url(), "")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let e = runtime().block_on(asynchronous.get_ca(&op)).unwrap_err();
    assert!(!e.may_have_been_sent(), "{e}");
    let asked: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        asked,
        vec![
            "CONNECT pca.apigw.ntruss.com:443".to_owned(),
            "CONNECT pca.apigw.ntruss.com:443".to_owned()
        ]
    );
}
