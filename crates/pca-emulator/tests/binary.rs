//! The `pca-emulator` binary: flags, the one stdout line, signals.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use pca_core::operations::GetCaList;
use pca_core::{Credentials, Endpoint, Operation};

/// Reads the binary's first stdout line, `listening on <url>`; returns the URL and its address.
fn listening_on(stdout: &mut impl BufRead) -> (String, std::net::SocketAddr) {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let addr = url.trim_start_matches("http://").parse().unwrap();
    (url, addr)
}

#[test]
fn prints_one_line_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pca-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--access-key",
            "bin-key",
            "--secret-key",
            "bin-secret",
            "--access-key",
            "bin-key-2",
            "--secret-key",
            "bin-secret-2",
            "--state-dir",
        ])
        .arg(dir.path())
        .env_remove("NCLOUD_ACCESS_KEY")
        .env_remove("NCLOUD_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (url, addr) = listening_on(&mut stdout);
    let url = url.as_str();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    for (k, s) in [("bin-key", "bin-secret"), ("bin-key-2", "bin-secret-2")] {
        let ts = common::now();
        let req = GetCaList::new()
            .build_request(
                &Endpoint::parse(url).unwrap(),
                &Credentials::new(k, s).unwrap(),
                ts,
            )
            .unwrap();
        let resp = pca_emulator::loopback::send(addr, &req).unwrap();
        GetCaList::parse_response(&resp, ts).expect("answered");
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let rest = String::from_utf8_lossy(&out.stdout);
    assert!(
        rest.trim().is_empty(),
        "only one line on stdout, then {rest:?}"
    );
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(!logs.contains("bin-secret"), "secrets never logged");
}

#[test]
fn refuses_to_start_without_keys_or_with_unpaired_keys() {
    for args in [
        vec!["--listen", "127.0.0.1:0"],
        vec!["--listen", "127.0.0.1:0", "--access-key", "a"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_pca-emulator"))
            .args(&args)
            .env_remove("NCLOUD_ACCESS_KEY")
            .env_remove("NCLOUD_SECRET_KEY")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn keys_come_from_the_environment_too() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pca-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .env("NCLOUD_ACCESS_KEY", "env-key")
        .env("NCLOUD_SECRET_KEY", "env-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (url, addr) = listening_on(&mut stdout);
    let ts = common::now();
    let req = GetCaList::new()
        .build_request(
            &Endpoint::parse(&url).unwrap(),
            &Credentials::new("env-key", "env-secret").unwrap(),
            ts,
        )
        .unwrap();
    let resp = pca_emulator::loopback::send(addr, &req).unwrap();
    assert_eq!(resp.status(), 200);
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_inside_an_async_runtime_both_ways() {
    let on_runtime = pca_emulator::Emulator::builder().spawn().await.unwrap();
    let own_thread = pca_emulator::Emulator::builder().start().unwrap();
    for emu in [&on_runtime, &own_thread] {
        let addr = emu.addr();
        let endpoint = emu.endpoint();
        let creds = emu.credentials();
        let resp = tokio::task::spawn_blocking(move || {
            let req = GetCaList::new()
                .build_request(&endpoint, &creds, common::now())
                .unwrap();
            pca_emulator::loopback::send(addr, &req).unwrap()
        })
        .await
        .unwrap();
        assert_eq!(resp.status(), 200, "default credentials accepted");
    }
    drop(own_thread);
    drop(on_runtime);
}

#[test]
fn the_clock_tolerance_flag_is_applied() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pca-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--access-key",
            "k",
            "--secret-key",
            "s",
            "--max-clock-skew",
            "10",
        ])
        .env_remove("NCLOUD_ACCESS_KEY")
        .env_remove("NCLOUD_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (url, addr) = listening_on(&mut stdout);
    let creds = Credentials::new("k", "s").unwrap();
    let endpoint = Endpoint::parse(&url).unwrap();
    let old = GetCaList::new()
        .build_request(&endpoint, &creds, common::now().offset_by(-60_000))
        .unwrap();
    assert_eq!(
        pca_emulator::loopback::send(addr, &old).unwrap().status(),
        401
    );
    let fresh = GetCaList::new()
        .build_request(&endpoint, &creds, common::now())
        .unwrap();
    assert_eq!(
        pca_emulator::loopback::send(addr, &fresh).unwrap().status(),
        200
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}
