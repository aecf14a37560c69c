//! Connection hygiene: the request deadline (stalled head, stalled body), the idle keep-alive
//! timeout, the cap on open connections, and accept errors under a small descriptor limit.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ACCESS, Client, SECRET};
use pca_core::operations::GetCaList;
use pca_emulator::Emulator;

fn emulator(request: Duration, idle: Duration, max_connections: usize) -> Emulator {
    Emulator::builder()
        .credentials(ACCESS, SECRET)
        .request_timeout(request)
        .idle_timeout(idle)
        .max_connections(max_connections)
        .start()
        .unwrap()
}

fn open(addr: SocketAddr, first_bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(first_bytes).unwrap();
    s
}

/// Reads until the server closes the connection (or 10 s pass); returns what was read and
/// when the end came.
fn read_to_close(s: &mut TcpStream, from: Instant) -> (String, Duration) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the connection open: {e}"),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), from.elapsed())
}

const STALLED_HEAD: &[u8] = b"POST /api/v1/ca HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
const STALLED_BODY: &[u8] =
    b"POST /api/v1/ca HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"alias\"";

#[test]
fn a_stalled_body_is_answered_and_closed_at_the_deadline() {
    let emu = emulator(Duration::from_secs(1), Duration::from_secs(60), 100);
    let t0 = Instant::now();
    let mut s = open(emu.addr(), STALLED_BODY);
    let (answer, after) = read_to_close(&mut s, t0);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive within"), "{answer}");
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
}

#[test]
fn a_stalled_head_is_closed_at_the_deadline() {
    let emu = emulator(Duration::from_secs(1), Duration::from_secs(60), 100);
    let t0 = Instant::now();
    let mut s = open(emu.addr(), STALLED_HEAD);
    let (_, after) = read_to_close(&mut s, t0);
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let emu = emulator(Duration::from_secs(30), Duration::from_millis(300), 100);
    let mut s = open(
        emu.addr(),
        b"GET /api/v1/ca HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    );
    // Read the one answer (a gateway refusal: the request is not signed).
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    let t0 = Instant::now();
    let (rest, after) = read_to_close(&mut s, t0);
    assert!(rest.is_empty(), "{rest}");
    assert!(
        after >= Duration::from_millis(250) && after < Duration::from_secs(5),
        "closed after {after:?}, not at the idle timeout"
    );
}

#[test]
fn three_hundred_stalled_connections_do_not_delay_a_signed_request() {
    let emu = emulator(Duration::from_secs(30), Duration::from_secs(30), 1024);
    let c = Client::new(&emu);
    let tag = c.create_root("stalled", "Stalled Root");
    let stalled: Vec<TcpStream> = (0..300)
        .map(|i| {
            open(
                emu.addr(),
                if i % 2 == 0 {
                    STALLED_HEAD
                } else {
                    STALLED_BODY
                },
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    c.call(&GetCaList::new()).unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let csr = rcgen::CertificateParams::default()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    c.call(&pca_core::operations::SignEndCsr::new(&tag, &csr).unwrap())
        .unwrap();
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "two signed requests took {took:?} next to 300 stalled connections"
    );
    drop(stalled);
}

#[test]
fn connections_over_the_cap_are_closed_at_once() {
    let emu = emulator(Duration::from_secs(30), Duration::from_secs(30), 8);
    let held: Vec<TcpStream> = (0..8).map(|_| open(emu.addr(), STALLED_HEAD)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let mut extra = TcpStream::connect(emu.addr()).unwrap();
    let (answer, after) = read_to_close(&mut extra, t0);
    assert!(answer.is_empty(), "{answer}");
    assert!(after < Duration::from_secs(2), "closed after {after:?}");
    // Once they go, new connections are served again.
    drop(held);
    let c = Client::new(&emu);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let served = pca_emulator::loopback::Connection::connect(c.addr)
            .and_then(|mut k| k.send(&c.request(&GetCaList::new())))
            .is_ok_and(|r| r.status() == 200);
        if served {
            break;
        }
        assert!(Instant::now() < deadline, "not served again after the cap");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Under a 64-descriptor limit, 100 connections make accept fail with EMFILE: the emulator
/// backs off, logs one line per burst, and answers again once they are gone.
#[cfg(unix)]
#[test]
fn accept_errors_back_off_and_log_once_per_burst() {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 64 && exec '{}' --listen 127.0.0.1:0 --access-key {ACCESS} --secret-key {SECRET}",
            env!("CARGO_BIN_EXE_pca-emulator")
        ))
        .env_remove("NCLOUD_ACCESS_KEY")
        .env_remove("NCLOUD_SECRET_KEY")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let flood: Vec<TcpStream> = (0..100).map(|_| open(addr, STALLED_HEAD)).collect();
    std::thread::sleep(Duration::from_millis(1500));
    drop(flood);
    let c = Client {
        addr,
        endpoint: pca_core::Endpoint::allow_insecure_http(&url).unwrap(),
        credentials: pca_core::Credentials::new(ACCESS, SECRET).unwrap(),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let served = pca_emulator::loopback::Connection::connect(addr)
            .and_then(|mut k| k.send(&c.request(&GetCaList::new())))
            .is_ok_and(|r| r.status() == 200);
        if served {
            break;
        }
        assert!(Instant::now() < deadline, "not answering after the flood");
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    let failures = logs.matches("accept failed").count();
    assert!(
        (1..=3).contains(&failures),
        "{failures} accept-failure lines:\n{logs}"
    );
}
