//! `pca cert renew` and `pca sub renew` against the emulator (in this process, over HTTP): not
//! due (nothing sent, files untouched), due (same key, chain verified with rustls-webpki and
//! openssl), a rotated key, the hook after the files are replaced, a failure that leaves the
//! old files, and the daemon renewing twice and stopping on SIGTERM.

mod common;

use std::time::{Duration, Instant};

use common::{Remote, Trap, fails_with, json_of, ok_json, stderr};

/// A sub CA under a root, and a leaf key, CSR and certificate (30 days) in `www/`.
fn setup() -> (Remote, String, String) {
    let remote = Remote::start();
    let root = remote.root("renew-root");
    let sub = remote.sub(&root, "renew-sub");
    ok_json(remote.pca().args([
        "csr",
        "new",
        "--cn",
        "www.internal",
        "--san",
        "www.internal",
        "--out-dir",
        "www",
    ]));
    ok_json(remote.pca().args([
        "cert",
        "sign",
        &sub,
        "--csr",
        "www/csr.pem",
        "--days",
        "30",
        "--out-dir",
        "www",
    ]));
    (remote, root, sub)
}

fn read(remote: &Remote, name: &str) -> Vec<u8> {
    std::fs::read(remote.path(name)).unwrap()
}

fn renew_args(ca: &str) -> [&str; 8] {
    [
        "cert",
        "renew",
        "--cert",
        "www/cert.pem",
        "--key",
        "www/key.pem",
        "--ca",
        ca,
    ]
}

/// `pca verify` (rustls-webpki) and `openssl verify` of `dir`'s certificate.
fn verified(remote: &Remote, dir: &str) {
    ok_json(remote.pca().args([
        "verify",
        "--roots",
        &format!("{dir}/root.pem"),
        "--chain",
        &format!("{dir}/chain.pem"),
        "--key",
        &format!("{dir}/key.pem"),
        &format!("{dir}/cert.pem"),
    ]));
    let p = |n: &str| remote.path(&format!("{dir}/{n}"));
    if let Some(ok) = common::openssl_verify(&p("root.pem"), Some(&p("chain.pem")), &p("cert.pem"))
    {
        assert!(ok, "openssl verify of {dir}");
    }
}

#[test]
fn not_due_sends_nothing_and_leaves_the_files() {
    let (remote, _, sub) = setup();
    let before: Vec<Vec<u8>> = ["cert.pem", "key.pem", "chain.pem"]
        .iter()
        .map(|f| read(&remote, &format!("www/{f}")))
        .collect();
    let trap = Trap::new();
    let out = remote
        .sandbox
        .pca()
        .env("NCLOUD_ACCESS_KEY", "AK")
        .env("NCLOUD_SECRET_KEY", "SK")
        .args(["--endpoint", &trap.url(), "--output", "text"])
        .args(renew_args(&sub))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("not due: www/cert.pem is due for renewal at "),
        "{text}"
    );
    assert!(text.contains("nothing was sent"), "{text}");
    assert!(!trap.was_contacted());
    let after: Vec<Vec<u8>> = ["cert.pem", "key.pem", "chain.pem"]
        .iter()
        .map(|f| read(&remote, &format!("www/{f}")))
        .collect();
    assert_eq!(before, after);
    assert!(!remote.path("www/previous").exists());
    // `--before` more than what is left makes it due.
    let v = ok_json(
        remote
            .pca()
            .args(renew_args(&sub))
            .args(["--before", "31d"]),
    );
    assert_eq!(v["renewed"], true);
}

#[test]
fn due_renews_with_the_same_key_and_keeps_the_previous_set() {
    let (remote, _, sub) = setup();
    let old_cert = read(&remote, "www/cert.pem");
    let old_key = read(&remote, "www/key.pem");
    let v = ok_json(
        remote
            .pca()
            .args(renew_args(&sub))
            .args(["--before", "3650d"]),
    );
    assert_eq!(v["renewed"], true);
    assert_eq!(v["recovered"], false);
    assert_ne!(read(&remote, "www/cert.pem"), old_cert);
    assert_eq!(read(&remote, "www/key.pem"), old_key, "same key");
    assert_eq!(read(&remote, "www/previous/cert.pem"), old_cert);
    verified(&remote, "www");
    let info = ok_json(remote.pca().args(["inspect", "www/cert.pem"]));
    let text = info.to_string();
    assert!(text.contains("www.internal"), "{text}");
    assert!(text.contains(v["serialNo"].as_str().unwrap()), "{text}");
}

#[test]
fn rotate_key_makes_a_new_key_of_mode_0600() {
    let (remote, _, sub) = setup();
    let old_key = read(&remote, "www/key.pem");
    ok_json(
        remote
            .pca()
            .args(renew_args(&sub))
            .args(["--force", "--rotate-key"]),
    );
    assert_ne!(read(&remote, "www/key.pem"), old_key);
    assert_eq!(read(&remote, "www/previous/key.pem"), old_key);
    #[cfg(unix)]
    assert_eq!(common::mode(&remote.path("www/key.pem")), 0o600);
    verified(&remote, "www");
}

#[test]
fn the_hook_runs_after_the_files_are_replaced() {
    let (remote, _, sub) = setup();
    let v = ok_json(remote.pca().args(renew_args(&sub)).args([
        "--force",
        "--exec",
        r#"cat "$PCA_CERT" > hook-cert.pem && echo "$PCA_SERIAL" > hook-serial && test -f "$PCA_PREVIOUS_DIR/cert.pem" && test "$PCA_KEY" = www/key.pem"#,
    ]));
    assert_eq!(
        read(&remote, "hook-cert.pem"),
        read(&remote, "www/cert.pem")
    );
    let serial = String::from_utf8(read(&remote, "hook-serial")).unwrap();
    assert_eq!(serial.trim(), v["serialNo"].as_str().unwrap());
    // A failing hook is reported (exit 1), after the files were replaced.
    let out = fails_with(
        remote
            .pca()
            .args(renew_args(&sub))
            .args(["--force", "--exec", "exit 3"]),
        1,
    );
    assert!(stderr(&out).contains("--exec failed"), "{}", stderr(&out));
}

#[test]
fn a_failure_leaves_the_old_files() {
    let (remote, _, _) = setup();
    let names = [
        "cert.pem",
        "key.pem",
        "chain.pem",
        "fullchain.pem",
        "root.pem",
    ];
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|f| read(&remote, &format!("www/{f}")))
        .collect();
    let out = fails_with(
        remote
            .pca()
            .args(renew_args("00000000-nosuchca"))
            .args(["--force", "--rotate-key"]),
        4,
    );
    assert!(json_of(&out)["error"]["message"].is_string());
    let after: Vec<Vec<u8>> = names
        .iter()
        .map(|f| read(&remote, &format!("www/{f}")))
        .collect();
    assert_eq!(before, after);
    let mut left: Vec<String> = std::fs::read_dir(remote.path("www"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "cert.pem",
            "chain.pem",
            "csr.pem",
            "fullchain.pem",
            "key.pem",
            "root.pem"
        ]
    );
    // The key must be the certificate's: refused before anything is sent.
    ok_json(
        remote
            .pca()
            .args(["csr", "new", "--cn", "other.internal", "--out-dir", "other"]),
    );
    let out = fails_with(
        remote.pca().args([
            "cert",
            "renew",
            "--cert",
            "www/cert.pem",
            "--key",
            "other/key.pem",
            "--ca",
            "x",
            "--force",
        ]),
        2,
    );
    assert!(
        stderr(&out).contains("is not the key of"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sub_renew_renews_a_sub_ca_certificate() {
    let remote = Remote::start();
    let root = remote.root("renew-root");
    ok_json(remote.pca().args(common::sub_csr_args("sub")));
    ok_json(remote.pca().args([
        "sub",
        "sign",
        &root,
        "--csr",
        "sub/csr.pem",
        "--days",
        "365",
        "--out-dir",
        "sub",
    ]));
    let old = read(&remote, "sub/cert.pem");
    let v = ok_json(remote.pca().args([
        "sub",
        "renew",
        "--cert",
        "sub/cert.pem",
        "--key",
        "sub/key.pem",
        "--ca",
        &root,
        "--force",
    ]));
    assert_eq!(v["renewed"], true);
    assert_ne!(read(&remote, "sub/cert.pem"), old);
    let info = ok_json(remote.pca().args(["inspect", "sub/cert.pem"]));
    assert!(info.to_string().contains("\"isCa\":true"), "{info}");
    verified(&remote, "sub");
}

#[cfg(unix)]
#[test]
fn the_daemon_renews_on_schedule_and_stops_on_sigterm() {
    let (remote, _, sub) = setup();
    let log = remote.path("daemon.log");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pca"))
        .current_dir(remote.sandbox.work.path())
        .env("HOME", remote.sandbox.home.path())
        .env("NCLOUD_ACCESS_KEY", common::ACCESS_KEY)
        .env("NCLOUD_SECRET_KEY", common::SECRET_KEY)
        .env("PCA_OUTPUT", "json")
        .args(["--endpoint", remote.emulator.base_url()])
        .args(renew_args(&sub))
        .args(["--daemon", "--check-every", "1s", "--before", "3650d"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let renewed = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("renewed: serial")
            .count()
    };
    while renewed() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "two renewals expected:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{status}: {text}");
    assert!(text.contains("stopped after"), "{text}");
    assert!(
        text.lines().all(|l| l.contains("pca cert renew: ")),
        "{text}"
    );
    verified(&remote, "www");
}

#[cfg(unix)]
#[test]
fn the_daemon_backs_off_after_a_failure_and_stops_on_sigint() {
    let (remote, _, _) = setup();
    let before = read(&remote, "www/cert.pem");
    let log = remote.path("daemon.log");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pca"))
        .current_dir(remote.sandbox.work.path())
        .env("HOME", remote.sandbox.home.path())
        .env("NCLOUD_ACCESS_KEY", common::ACCESS_KEY)
        .env("NCLOUD_SECRET_KEY", common::SECRET_KEY)
        .args(["--endpoint", remote.emulator.base_url()])
        .args(renew_args("00000000-nosuchca"))
        .args(["--daemon", "--check-every", "10m", "--force"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("retrying in")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no failure line"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    // The first wait is the 30 s backoff less up to a tenth of jitter, not a retry at once.
    assert!(text.contains("failed (exit 4)"), "{text}");
    assert!(
        text.contains("retrying in 2") || text.contains("retrying in 3"),
        "{text}"
    );
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let stopping = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("stopped after 0 renewal(s)")
    );
    assert_eq!(read(&remote, "www/cert.pem"), before);
}

/// `sub renew` asks for CA:TRUE with the current certificate's path length: a sub CA
/// certificate with pathLenConstraint 2 (made here) is renewed at the emulator's root through
/// a recording proxy, and the CSR it sent is read back.
#[test]
fn sub_renew_asks_for_the_current_path_length() {
    use common::server::{Answer, Server, forward};
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    use x509_parser::prelude::{FromDer, ParsedExtension, X509CertificationRequest};

    let remote = Remote::start();
    let root = remote.root("renew-root");
    let other_root_key = KeyPair::generate().unwrap();
    let mut other_root = CertificateParams::new(Vec::<String>::new()).unwrap();
    other_root
        .distinguished_name
        .push(DnType::CommonName, "Elsewhere Root");
    other_root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = rcgen::Issuer::from_params(&other_root, &other_root_key);
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "Constrained Sub");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(2));
    let cert = p.signed_by(&key, &issuer).unwrap();
    std::fs::create_dir_all(remote.path("sub")).unwrap();
    std::fs::write(remote.path("sub/cert.pem"), cert.pem()).unwrap();
    std::fs::write(remote.path("sub/key.pem"), key.serialize_pem()).unwrap();

    let upstream = remote.emulator.addr();
    let proxy = Server::start(move |req| Answer::Bytes(forward(upstream, req)));
    let v = ok_json(
        remote
            .sandbox
            .pca()
            .env("NCLOUD_ACCESS_KEY", common::ACCESS_KEY)
            .env("NCLOUD_SECRET_KEY", common::SECRET_KEY)
            .args(["--endpoint", &proxy.url()])
            .args([
                "sub",
                "renew",
                "--cert",
                "sub/cert.pem",
                "--key",
                "sub/key.pem",
            ])
            .args(["--ca", &root, "--force", "--days", "100"]),
    );
    assert_eq!(v["renewed"], true);
    let sent = proxy
        .seen()
        .into_iter()
        .find(|r| r.method == "POST" && r.target.ends_with("/sub/sign"))
        .unwrap();
    let raw = String::from_utf8(sent.raw).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&raw[raw.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["period"], "100");
    let csr_pem = body["csrPem"].as_str().unwrap();
    let der = x509_parser::pem::parse_x509_pem(csr_pem.as_bytes())
        .unwrap()
        .1
        .contents;
    let (_, csr) = X509CertificationRequest::from_der(&der).unwrap();
    let bc = csr
        .requested_extensions()
        .unwrap()
        .find_map(|e| match e {
            ParsedExtension::BasicConstraints(bc) => Some(bc.clone()),
            _ => None,
        })
        .unwrap();
    assert!(bc.ca);
    assert_eq!(bc.path_len_constraint, Some(2));
    assert!(
        csr.certification_request_info
            .subject
            .to_string()
            .contains("Constrained Sub")
    );
    // The renewed certificate is the emulator root's, for the same key.
    ok_json(remote.pca().args([
        "verify",
        "--roots",
        "sub/root.pem",
        "--key",
        "sub/key.pem",
        "sub/cert.pem",
    ]));
}
