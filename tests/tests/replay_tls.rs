//! TLS through both clients against a loopback rustls server with a freshly made self-signed
//! certificate: trusted when added as an extra PEM root, refused (a TLS error, nothing sent)
//! when not; an unreadable PEM is a configuration error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pca_core::operations::GetCa;
use pca_core::{Endpoint, RetryPolicy};
use pca_tests::replay::{FromRecorded, credentials, response_bytes};

struct TlsServer {
    addr: SocketAddr,
    cert_pem: String,
    answered: Arc<AtomicUsize>,
}

fn tls_server(answer: Vec<u8>) -> TlsServer {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_pem = made.cert.pem();
    let cert = made.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&answered);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = Arc::clone(&config);
            let answer = answer.clone();
            let count = Arc::clone(&count);
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut reader = BufReader::new(rustls::StreamOwned::new(conn, stream));
                loop {
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some(v) = l.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    if reader.get_mut().write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    TlsServer {
        addr,
        cert_pem,
        answered,
    }
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
fn an_extra_root_is_trusted() {
    let (ex, op) = get_ca();
    let server = tls_server(response_bytes(&ex.response));
    let endpoint = Endpoint::parse(&format!("https://{}", server.addr)).unwrap();
    let blocking = pca_blocking::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials())
        .add_root_certificates_pem(&server.cert_pem)
        .build()
        .unwrap();
    let ca = blocking.get_ca(&op).unwrap();
    assert_eq!(ca.info.ca_tag.as_deref(), Some("a1b2c3d4-e5f6a7b8"));
    let asynchronous = pca_async::Client::builder()
        .endpoint(endpoint)
        .credentials(credentials())
        .add_root_certificates_pem(&server.cert_pem)
        .webpki_roots(false)
        .build()
        .unwrap();
    let ca = runtime().block_on(asynchronous.get_ca(&op)).unwrap();
    assert_eq!(ca.info.ca_tag.as_deref(), Some("a1b2c3d4-e5f6a7b8"));
    assert_eq!(server.answered.load(Ordering::SeqCst), 2);
}

#[test]
fn an_unknown_certificate_is_a_tls_error_and_nothing_is_sent() {
    let (ex, op) = get_ca();
    let server = tls_server(response_bytes(&ex.response));
    let endpoint = Endpoint::parse(&format!("https://{}", server.addr)).unwrap();
    let blocking = pca_blocking::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let e = blocking.get_ca(&op).unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(pca_blocking::TransportErrorKind::Tls),
        "{e:?}"
    );
    assert!(!e.may_have_been_sent(), "{e}");
    let asynchronous = pca_async::Client::builder()
        .endpoint(endpoint)
        .credentials(credentials())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let e = runtime().block_on(asynchronous.get_ca(&op)).unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(pca_async::TransportErrorKind::Tls),
        "{e:?}"
    );
    assert!(!e.may_have_been_sent(), "{e}");
    assert_eq!(server.answered.load(Ordering::SeqCst), 0);
}

#[test]
fn unreadable_roots_are_a_configuration_error() {
    let endpoint = Endpoint::parse("https://127.0.0.1:9").unwrap();
    let e = pca_blocking::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials())
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(matches!(e, pca_blocking::Error::Config(_)), "{e:?}");
    let e = pca_async::Client::builder()
        .endpoint(endpoint.clone())
        .credentials(credentials())
        .webpki_roots(false)
        .build()
        .unwrap_err();
    assert!(matches!(e, pca_async::Error::Config(_)), "{e:?}");
}
