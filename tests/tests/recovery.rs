//! Recovery of a cut-off signing, through both clients: a server in front of the emulator
//! forwards each request, records it, and cuts the connection of the signing request — after
//! the emulator issued (the answer is lost) or before (nothing was issued). The client's error
//! says the request may have been sent and when; `recover` then finds the certificate through
//! Get End Cert List and Get End Cert. The signing request reaches the server exactly once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use pca_core::operations::{CreateCa, IssueEndCert, SignEndCsr, SignSubCsr};
use pca_core::recovery::{Recovered, Recovery};
use pca_core::{CaType, KeyType, Period, RetryPolicy, Timestamp, X509Parameters};
use pca_emulator::Emulator;
use pca_tests::replay::{ACCESS_KEY, Received, Reply, SECRET_KEY, TestServer, credentials};
use rcgen::{CertificateParams, DnType, KeyPair};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Blocking,
    Async,
}

const BOTH: [Via; 2] = [Via::Blocking, Via::Async];

/// When the proxy cuts the signing request's connection.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// After the emulator answered: issued, answer lost.
    AfterIssuing,
    /// Before forwarding: nothing issued.
    BeforeSending,
}

/// Sends `req` to the emulator at `upstream` and returns its whole answer.
fn forward(upstream: SocketAddr, req: &Received) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {upstream}\r\n",
        req.method, req.target
    );
    for (name, value) in &req.headers {
        if !matches!(name.as_str(), "host" | "connection" | "content-length") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        req.body.len()
    ));
    let mut s = TcpStream::connect(upstream).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&req.body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    answer
}

/// A proxy to `emulator` that cuts the POST whose target ends in `signing`.
fn cutting_proxy(emulator: &Emulator, signing: &'static str, cut: Cut) -> TestServer {
    let upstream = emulator.addr();
    TestServer::start(move |req, _| {
        if req.method == "POST" && req.target.ends_with(signing) {
            if let Cut::AfterIssuing = cut {
                forward(upstream, req);
            }
            return Reply::Reset;
        }
        Reply::RawThenClose(forward(upstream, req))
    })
}

fn emulator() -> Emulator {
    Emulator::builder()
        .credentials(ACCESS_KEY, SECRET_KEY)
        .page_size(4)
        .start()
        .unwrap()
}

fn direct(emulator: &Emulator) -> pca_blocking::Client {
    pca_blocking::Client::builder()
        .endpoint(emulator.endpoint())
        .credentials(credentials())
        .build()
        .unwrap()
}

/// A root CA with `earlier` certificates already issued (so the list has several pages).
fn root_with_certificates(emulator: &Emulator, earlier: usize) -> String {
    let client = direct(emulator);
    let ca = client
        .create_ca(
            &CreateCa::builder()
                .ca_type(CaType::PrivateRoot)
                .alias("recovery")
                .key_type(KeyType::Ec256)
                .period(Period::days(3650).unwrap())
                .x509_parameters(X509Parameters::new("Recovery Root"))
                .build()
                .unwrap(),
        )
        .unwrap();
    let tag = ca.info.ca_tag.unwrap();
    for i in 0..earlier {
        let (_, csr) = csr(&format!("earlier-{i}.internal"));
        client
            .sign_end_csr(&SignEndCsr::new(&tag, csr).unwrap())
            .unwrap();
    }
    tag
}

/// A key and its CSR (the emulator makes a sub CA's certificate a CA whatever the CSR asks).
fn csr(cn: &str) -> (KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec![cn.to_owned()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    let pem = p.serialize_request(&key).unwrap().pem().unwrap();
    (key, pem)
}

macro_rules! client {
    ($builder:expr, $server:expr) => {
        $builder
            .endpoint($server.endpoint())
            .credentials(credentials())
            .retry_policy(RetryPolicy::new().base_delay(Duration::from_millis(10)))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    };
}

/// Runs the signing call (which must fail as sent) and then `recover`, through `via`.
fn sign_then_recover<Op>(
    via: Via,
    server: &TestServer,
    op: &Op,
    search: impl FnOnce(&Op, Timestamp) -> Recovery,
) -> Recovered
where
    Op: pca_core::Operation + Sync,
    Op::Output: Send + std::fmt::Debug,
{
    let check_error = |may_have_been_sent: bool, sent_at: Option<Timestamp>| {
        assert!(
            may_have_been_sent,
            "{via:?}: the error must say it may have been sent"
        );
        sent_at.unwrap_or_else(|| panic!("{via:?}: the error carries the send time"))
    };
    match via {
        Via::Blocking => {
            let client: pca_blocking::Client = client!(pca_blocking::Client::builder(), server);
            let err = client.send(op).unwrap_err();
            let at = check_error(
                err.may_have_been_sent(),
                err.transport().and_then(|t| t.sent_at()),
            );
            client.recover(search(op, at)).unwrap()
        }
        Via::Async => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let client: pca_async::Client = client!(pca_async::Client::builder(), server);
            runtime.block_on(async {
                let err = client.send(op).await.unwrap_err();
                let at = check_error(
                    err.may_have_been_sent(),
                    err.transport().and_then(|t| t.sent_at()),
                );
                client.recover(search(op, at)).await.unwrap()
            })
        }
    }
}

fn signing_posts(server: &TestServer, suffix: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.target.ends_with(suffix))
        .count()
}

#[test]
fn a_cut_off_sign_end_csr_is_recovered() {
    for via in BOTH {
        let emulator = emulator();
        let tag = root_with_certificates(&emulator, 9);
        let server = cutting_proxy(&emulator, "/cert/sign", Cut::AfterIssuing);
        let (_, pem) = csr("api.internal");
        let op = SignEndCsr::new(&tag, pem)
            .unwrap()
            .with_period(Period::days(30).unwrap())
            .unwrap();
        let recovered = sign_then_recover(via, &server, &op, |op, at| {
            Recovery::sign_end_csr(op, at).unwrap()
        });
        assert_eq!(signing_posts(&server, "/cert/sign"), 1, "{via:?}: resent");
        let Recovered::Found { signed, serial } = recovered else {
            panic!("{via:?}: expected Found, got {recovered:?}");
        };
        // The certificate is the emulator's newest, for the CSR's key.
        let listed = direct(&emulator)
            .get_end_cert_list(
                &pca_core::operations::GetEndCertList::new(&tag)
                    .unwrap()
                    .with_page(3)
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(listed.serials.last(), Some(&serial), "{via:?}");
        let info = signed.certificate_info().unwrap();
        assert_eq!(info.serial, serial);
        assert!(
            signed
                .certificate_info()
                .unwrap()
                .dns_names
                .contains(&"api.internal".to_owned())
        );
        assert_eq!(signed.ca_chain.len(), 1, "{via:?}: the root");
    }
}

#[test]
fn a_cut_off_sign_sub_csr_is_recovered_on_the_emulator() {
    for via in BOTH {
        let emulator = emulator();
        let tag = root_with_certificates(&emulator, 2);
        let server = cutting_proxy(&emulator, "/sub/sign", Cut::AfterIssuing);
        let (_, pem) = csr("Recovered Sub CA");
        let op = SignSubCsr::new(&tag, Period::days(365).unwrap(), pem).unwrap();
        let recovered = sign_then_recover(via, &server, &op, |op, at| {
            Recovery::sign_sub_csr(op, at).unwrap()
        });
        assert_eq!(signing_posts(&server, "/sub/sign"), 1, "{via:?}: resent");
        match recovered {
            Recovered::Found { signed, .. } => {
                assert!(signed.certificate_info().unwrap().is_ca, "{via:?}");
            }
            other => panic!("{via:?}: expected Found, got {other:?}"),
        }
    }
}

#[test]
fn nothing_issued_is_not_found_and_says_where_it_looked() {
    for via in BOTH {
        let emulator = emulator();
        let tag = root_with_certificates(&emulator, 5);
        let server = cutting_proxy(&emulator, "/cert/sign", Cut::BeforeSending);
        let (_, pem) = csr("never.internal");
        let op = SignEndCsr::new(&tag, pem).unwrap();
        let recovered = sign_then_recover(via, &server, &op, |op, at| {
            Recovery::sign_end_csr(op, at).unwrap()
        });
        assert_eq!(signing_posts(&server, "/cert/sign"), 1, "{via:?}: resent");
        match recovered {
            Recovered::NotFound {
                searched,
                listing_undocumented,
            } => {
                assert!(!listing_undocumented);
                assert_eq!(searched.pages, vec![1, 2], "{via:?}");
                assert_eq!(searched.certificates, 5, "{via:?}");
                assert_eq!(searched.total, Some(5));
                assert_eq!(searched.ca_tag, tag);
            }
            other => panic!("{via:?}: expected NotFound, got {other:?}"),
        }
        // Sign Sub CSR: not found, and it says the listing is not documented.
        let server = cutting_proxy(&emulator, "/sub/sign", Cut::BeforeSending);
        let (_, pem) = csr("Never Sub CA");
        let op = SignSubCsr::new(&tag, Period::days(365).unwrap(), pem).unwrap();
        let recovered = sign_then_recover(via, &server, &op, |op, at| {
            Recovery::sign_sub_csr(op, at).unwrap()
        });
        assert!(
            matches!(
                recovered,
                Recovered::NotFound {
                    listing_undocumented: true,
                    ..
                }
            ),
            "{via:?}: {recovered:?}"
        );
    }
}

#[test]
fn a_cut_off_issue_end_cert_lists_the_serial_to_revoke() {
    for via in BOTH {
        let emulator = emulator();
        let tag = root_with_certificates(&emulator, 3);
        let server = cutting_proxy(&emulator, "/cert", Cut::AfterIssuing);
        let op = IssueEndCert::builder()
            .ca_tag(&tag)
            .key_type(KeyType::Ec256)
            .x509_parameters(X509Parameters::new("lost-key.internal"))
            .build()
            .unwrap();
        let recovered = sign_then_recover(via, &server, &op, Recovery::issue_end_cert);
        assert_eq!(signing_posts(&server, "/cert"), 1, "{via:?}: resent");
        let listed = direct(&emulator)
            .get_end_cert_list(&pca_core::operations::GetEndCertList::new(&tag).unwrap())
            .unwrap();
        assert_eq!(listed.total_count, Some(4));
        match recovered {
            Recovered::KeyLost { candidates, .. } => {
                assert_eq!(candidates.len(), 1, "{via:?}: {candidates:?}");
            }
            other => panic!("{via:?}: expected KeyLost, got {other:?}"),
        }
    }
}
