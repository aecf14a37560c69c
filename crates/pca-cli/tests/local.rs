//! Commands that need no server (`csr new`, `inspect`, `verify`, `completions`, help), and
//! refusals of bad input, missing credentials and unknown profiles: each with its exit code,
//! and with a listening port that proves no request was sent.

mod common;

use common::{Sandbox, Trap, fails_with, json_of, ok_json, stderr, sub_csr_args};

#[test]
fn csr_new_makes_a_p256_leaf_key_and_csr_with_names() {
    let sb = Sandbox::new();
    let v = ok_json(sb.pca().args([
        "csr",
        "new",
        "--cn",
        "www.example.com",
        "--san",
        "www.example.com,api.example.com",
        "--ip",
        "10.0.0.5",
        "--org",
        "Example",
        "--country",
        "KR",
        "--out-dir",
        "www",
    ]));
    let csr = &v["csr"];
    assert_eq!(csr["subject"], "C=KR, O=Example, CN=www.example.com");
    assert_eq!(csr["keyAlgorithm"], "EC P-256");
    assert_eq!(csr["isCa"], false);
    assert_eq!(
        csr["dnsNames"],
        serde_json::json!(["www.example.com", "api.example.com"])
    );
    assert_eq!(csr["ipAddresses"], serde_json::json!(["10.0.0.5"]));
    assert_eq!(
        csr["extendedKeyUsage"],
        serde_json::json!(["serverAuth", "clientAuth"])
    );
    assert!(
        csr["pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----")
    );
    let key = sb.path("www/key.pem");
    let csr_file = sb.path("www/csr.pem");
    assert_eq!(v["files"]["key"], "www/key.pem");
    assert_eq!(
        std::fs::read_to_string(&csr_file).unwrap(),
        csr["pem"].as_str().unwrap()
    );
    #[cfg(unix)]
    {
        assert_eq!(common::mode(&key), 0o600);
        assert_eq!(common::mode(&csr_file), 0o644);
    }
    let stdout = serde_json::to_string(&v).unwrap();
    assert!(!stdout.contains("PRIVATE KEY"), "the key is never printed");
    if let Some(openssl) = common::openssl() {
        let out = std::process::Command::new(openssl)
            .args(["req", "-verify", "-noout", "-in"])
            .arg(&csr_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl req -verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn csr_new_makes_every_key_algorithm_and_the_ca_profile() {
    for (alg, expected) in [
        ("p384", "EC P-384"),
        ("rsa2048", "RSA 2048"),
        ("ed25519", "Ed25519"),
    ] {
        let sb = Sandbox::new();
        let v = ok_json(sb.pca().args([
            "csr",
            "new",
            "--kind",
            "ca",
            "--path-len",
            "0",
            "--key-algorithm",
            alg,
            "--cn",
            "Sub CA",
            "--out-dir",
            ".",
        ]));
        assert_eq!(v["csr"]["keyAlgorithm"], expected, "{alg}");
        assert_eq!(v["csr"]["isCa"], true, "{alg}");
        assert_eq!(
            v["csr"]["keyUsage"],
            serde_json::json!(["digitalSignature", "keyCertSign", "cRLSign"]),
            "{alg}"
        );
        let key = std::fs::read_to_string(sb.path("key.pem")).unwrap();
        assert!(key.contains("PRIVATE KEY"));
    }
}

#[test]
fn csr_new_never_overwrites_without_force() {
    let sb = Sandbox::new();
    ok_json(
        sb.pca()
            .args(["csr", "new", "--cn", "a.example", "--out-dir", "."]),
    );
    let before = std::fs::read(sb.path("key.pem")).unwrap();
    let out = fails_with(
        sb.pca()
            .args(["csr", "new", "--cn", "b.example", "--out-dir", "."]),
        2,
    );
    assert!(stderr(&out).contains("refusing to overwrite"));
    assert_eq!(json_of(&out)["error"]["kind"], "invalid-input");
    assert_eq!(std::fs::read(sb.path("key.pem")).unwrap(), before);
    ok_json(sb.pca().args([
        "csr",
        "new",
        "--cn",
        "b.example",
        "--out-dir",
        ".",
        "--force",
    ]));
    assert_ne!(std::fs::read(sb.path("key.pem")).unwrap(), before);
}

#[test]
fn inspect_shows_a_csr_and_refuses_garbage() {
    let sb = Sandbox::new();
    ok_json(
        sb.pca()
            .args(["csr", "new", "--cn", "x.example", "--out-dir", "."]),
    );
    let v = ok_json(sb.pca().args(["inspect", "csr.pem"]));
    assert_eq!(v["items"][0]["kind"], "csr");
    assert_eq!(v["items"][0]["subject"], "CN=x.example");
    // The key file is recognised but never shown.
    let v = ok_json(sb.pca().args(["inspect", "key.pem"]));
    assert_eq!(v["items"][0]["kind"], "private-key");
    assert!(
        !serde_json::to_string(&v)
            .unwrap()
            .contains("BEGIN PRIVATE KEY")
    );
    std::fs::write(sb.path("junk.pem"), "hello").unwrap();
    fails_with(sb.pca().args(["inspect", "junk.pem"]), 2);
    std::fs::write(
        sb.path("bad.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    fails_with(sb.pca().args(["inspect", "bad.pem"]), 2);
    fails_with(sb.pca().args(["inspect", "missing.pem"]), 2);
}

#[test]
fn text_output_is_readable() {
    let sb = Sandbox::new();
    let out = sb.text(&["csr", "new", "--cn", "t.example", "--out-dir", "."]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("subject:    CN=t.example"), "{text}");
    assert!(text.contains("(mode 0600)"), "{text}");
}

#[test]
fn completions_for_each_shell() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = sb.pca().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("pca"), "{shell}");
        assert!(text.contains("sign"), "{shell}: subcommands are completed");
    }
}

/// Every command's `--help` shows at least one example.
#[test]
fn every_command_has_an_example_in_its_help() {
    let sb = Sandbox::new();
    let commands: &[&[&str]] = &[
        &["ca", "create"],
        &["ca", "list"],
        &["ca", "get"],
        &["ca", "enable"],
        &["ca", "disable"],
        &["ca", "schedule-deletion"],
        &["ca", "cancel-deletion"],
        &["ca", "delete"],
        &["ca", "chain"],
        &["sub", "csr"],
        &["sub", "sign"],
        &["sub", "activate"],
        &["cert", "issue"],
        &["cert", "sign"],
        &["cert", "list"],
        &["cert", "get"],
        &["cert", "revoke"],
        &["crl", "get"],
        &["crl", "config"],
        &["crl", "set-expiry"],
        &["crl", "rotate"],
        &["crl", "trim"],
        &["ocsp", "enable"],
        &["ocsp", "disable"],
        &["users", "list"],
        &["users", "add"],
        &["users", "remove"],
        &["csr", "new"],
        &["ca"],
        &["sub"],
        &["cert"],
        &["crl"],
        &["ocsp"],
        &["users"],
        &["csr"],
        &["inspect"],
        &["verify"],
        &["demo"],
        &["completions"],
    ];
    for c in commands {
        let out = sb.pca().args(*c).arg("--help").output().unwrap();
        assert!(out.status.success(), "{c:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Example"),
            "{c:?} --help has no example:\n{text}"
        );
        assert!(text.contains("pca "), "{c:?}");
    }
    let out = sb.pca().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Exit codes:"), "{text}");
}

#[test]
fn missing_credentials_are_refused_with_the_sources_tried_and_nothing_sent() {
    let sb = Sandbox::new();
    let trap = Trap::new();
    let out = fails_with(sb.pca().args(["--endpoint", &trap.url(), "ca", "list"]), 3);
    let err = stderr(&out);
    assert!(err.contains("no usable credentials"), "{err}");
    assert!(
        err.contains("NCLOUD_ACCESS_KEY"),
        "the environment is named: {err}"
    );
    assert!(
        err.contains(".ncloud/configure"),
        "the file is named: {err}"
    );
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "configuration");
    assert_eq!(v["error"]["exitCode"], 3);
    assert!(!trap.was_contacted());
}

#[test]
fn an_unknown_profile_is_refused_with_the_profiles_there_and_nothing_sent() {
    let sb = Sandbox::new();
    sb.write_config("[DEFAULT]\nncloud_access_key_id = AK\nncloud_secret_access_key = SK-secret\n\n[prod]\nncloud_access_key_id = AK2\nncloud_secret_access_key = SK2-secret\n");
    let trap = Trap::new();
    let out = fails_with(
        sb.pca().args([
            "--endpoint",
            &trap.url(),
            "--profile",
            "staging",
            "ca",
            "list",
        ]),
        3,
    );
    let err = stderr(&out);
    assert!(err.contains("\"staging\" not found"), "{err}");
    assert!(err.contains("DEFAULT, prod"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    assert!(!trap.was_contacted());
    // The same through the environment variable.
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_PROFILE", "staging")
            .args(["--endpoint", &trap.url(), "ca", "list"]),
        3,
    );
    assert!(stderr(&out).contains("staging"));
    assert!(!trap.was_contacted());
}

#[test]
fn bad_periods_are_refused_before_credentials_are_read_and_nothing_is_sent() {
    let sb = Sandbox::new();
    let trap = Trap::new();
    ok_json(sb.pca().args(sub_csr_args(".")));
    for args in [
        vec![
            "ca", "create", "--type", "root", "--alias", "root1", "--days", "0", "--cn", "R",
        ],
        vec![
            "ca", "create", "--type", "root", "--alias", "root1", "--days", "3651", "--cn", "R",
        ],
        vec![
            "ca", "create", "--type", "root", "--alias", "root1", "--days", "ten", "--cn", "R",
        ],
        vec![
            "sub",
            "sign",
            "1234abcd-root",
            "--csr",
            "csr.pem",
            "--days",
            "max",
        ],
        vec![
            "sub",
            "sign",
            "1234abcd-root",
            "--csr",
            "csr.pem",
            "--days=-5",
        ],
        vec![
            "cert",
            "sign",
            "1234abcd-sub",
            "--csr",
            "csr.pem",
            "--days",
            "0",
        ],
    ] {
        let out = fails_with(
            sb.pca()
                .env("NCLOUD_ACCESS_KEY", "AK")
                .env("NCLOUD_SECRET_KEY", "SK")
                .args(["--endpoint", &trap.url()])
                .args(&args),
            2,
        );
        let err = stderr(&out);
        assert!(err.contains("period"), "{args:?}: {err}");
        assert!(err.contains("nothing was sent"), "{args:?}: {err}");
        assert_eq!(json_of(&out)["error"]["kind"], "invalid-input");
    }
    // Without credentials the input is still checked first: exit 2, not 3.
    fails_with(
        sb.pca().args([
            "--endpoint",
            &trap.url(),
            "sub",
            "sign",
            "1234abcd-root",
            "--csr",
            "csr.pem",
            "--days",
            "0",
        ]),
        2,
    );
    assert!(!trap.was_contacted());
}

#[test]
fn bad_csr_files_are_refused_and_nothing_is_sent() {
    let sb = Sandbox::new();
    let trap = Trap::new();
    std::fs::write(sb.path("not-pem.csr"), "this is not a CSR").unwrap();
    std::fs::write(
        sb.path("bad-der.csr"),
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIBAAAA\n-----END CERTIFICATE REQUEST-----\n",
    )
    .unwrap();
    ok_json(
        sb.pca()
            .args(["csr", "new", "--cn", "x.example", "--out-dir", "k"]),
    );
    for (file, needle) in [
        ("not-pem.csr", "no PEM block"),
        ("bad-der.csr", "csrPem"),
        ("k/key.pem", "expected CERTIFICATE REQUEST"),
        ("does-not-exist.csr", "cannot read"),
    ] {
        for cmd in [["sub", "sign"], ["cert", "sign"]] {
            let out = fails_with(
                sb.pca()
                    .env("NCLOUD_ACCESS_KEY", "AK")
                    .env("NCLOUD_SECRET_KEY", "SK")
                    .args(["--endpoint", &trap.url()])
                    .args(cmd)
                    .args(["1234abcd-root", "--csr", file, "--days", "30"]),
                2,
            );
            let err = stderr(&out);
            assert!(err.contains(needle), "{file}: {err}");
            assert!(!err.contains("PRIVATE KEY-----\n"), "{err}");
        }
    }
    assert!(!trap.was_contacted());
}

#[test]
fn other_bad_input_is_refused_with_exit_2() {
    let sb = Sandbox::new();
    let trap = Trap::new();
    let with_keys = |args: &[&str]| {
        let mut c = sb.pca();
        c.env("NCLOUD_ACCESS_KEY", "AK")
            .env("NCLOUD_SECRET_KEY", "SK");
        c.args(["--endpoint", &trap.url()]).args(args);
        c
    };
    for args in [
        &["ca", "get", "../../etc"][..],
        &[
            "ca", "create", "--type", "root", "--alias", "x", "--days", "10", "--cn", "R",
        ],
        &[
            "ca",
            "create",
            "--type",
            "root",
            "--alias",
            "root1",
            "--key-type",
            "EC384",
            "--days",
            "10",
            "--cn",
            "R",
        ],
        &[
            "ca",
            "create",
            "--type",
            "root",
            "--alias",
            "root1",
            "--days",
            "10",
            "--cn",
            "R",
            "--country",
            "Korea",
        ],
        &["cert", "revoke", "1234abcd-sub", "xyz"],
        &["users", "add", "1234abcd-sub", "not-an-id"],
        &["crl", "set-expiry", "1234abcd-sub", "--days", "2"],
        &["cert", "issue", "1234abcd-sub", "--cn", "a.example"],
        &["--site", "fin", "ca", "list"],
        &["--timeout", "0s", "ca", "list"],
        &["no-such-command"],
    ] {
        let out = fails_with(&mut with_keys(args), 2);
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
    assert!(!trap.was_contacted());
}

#[test]
fn plain_http_to_a_remote_host_is_refused_with_exit_3() {
    let sb = Sandbox::new();
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_ACCESS_KEY", "AK")
            .env("NCLOUD_SECRET_KEY", "SK")
            .args(["--endpoint", "http://pca.example.com", "ca", "list"]),
        3,
    );
    assert!(stderr(&out).contains("plain http"), "{}", stderr(&out));
}

#[test]
fn a_transport_failure_exits_5_and_says_the_request_was_not_sent() {
    let sb = Sandbox::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_ACCESS_KEY", "AK")
            .env("NCLOUD_SECRET_KEY", "SK")
            .args([
                "--endpoint",
                &format!("http://127.0.0.1:{port}"),
                "ca",
                "list",
            ]),
        5,
    );
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "transport");
    assert_eq!(v["error"]["mayHaveBeenSent"], false);
}

/// `--timeout` bounds the whole command: against a server that accepts connections and never
/// answers, `ca list` (a read, which would be retried) ends at the deadline after one attempt,
/// saying the deadline passed and that the request may have been sent.
#[test]
fn the_timeout_is_the_whole_commands_deadline() {
    let sb = Sandbox::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let holder = std::thread::spawn(move || {
        // Keep the first connection open, unanswered, until the command has given up.
        let (conn, _) = listener.accept().unwrap();
        listener.set_nonblocking(true).unwrap();
        (conn, listener)
    });
    let started = std::time::Instant::now();
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_ACCESS_KEY", "AK")
            .env("NCLOUD_SECRET_KEY", "SK")
            .args(["--endpoint", &url, "--timeout", "2s", "ca", "list"]),
        5,
    );
    let took = started.elapsed();
    let (_conn, listener) = holder.join().unwrap();
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "transport");
    assert_eq!(v["error"]["transportKind"], "the call's deadline passed");
    assert_eq!(v["error"]["mayHaveBeenSent"], true);
    // Three attempts of 2 s each took 6 s and more when the timeout was per attempt.
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    // No second attempt: the deadline cut the first.
    assert!(matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock));
}

/// A server that reads the request and closes the connection without answering: the Sign Sub
/// CSR may have been executed, so it is not sent again, and the error says so (exit 5). The
/// one recovery search that follows only reads (here the server refuses it).
#[test]
fn an_issuing_request_cut_off_is_not_resent_and_says_it_may_have_been_sent() {
    use common::server::{Answer, Server, json_response};
    let sb = Sandbox::new();
    ok_json(sb.pca().args(sub_csr_args(".")));
    let server = Server::start(|req| {
        if req.method == "POST" {
            return Answer::Cut;
        }
        Answer::Bytes(json_response(
            404,
            &serde_json::json!({"code": "NOT_FOUND", "msg": "no such CA"}),
        ))
    });
    let out = fails_with(
        sb.pca()
            .env("NCLOUD_ACCESS_KEY", "AK")
            .env("NCLOUD_SECRET_KEY", "SK")
            .args([
                "--endpoint",
                &server.url(),
                "--timeout",
                "10s",
                "sub",
                "sign",
                "1234abcd-root",
                "--csr",
                "csr.pem",
                "--days",
                "30",
            ]),
        5,
    );
    let seen = server.seen();
    assert!(
        seen[0]
            .target
            .starts_with("/api/v1/ca/1234abcd-root/sub/sign"),
        "{seen:?}"
    );
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "transport");
    assert_eq!(v["error"]["mayHaveBeenSent"], true);
    assert_eq!(v["error"]["issuing"], true);
    assert!(
        stderr(&out).contains("may have reached the server"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("looking for the certificate it may have issued failed too"),
        "{}",
        stderr(&out)
    );
    // The request was not sent again: every later request is a read of the CA's list.
    assert_eq!(server.count("POST", "/sub/sign"), 1, "{seen:?}");
    assert!(
        seen[1..]
            .iter()
            .all(|r| r.method == "GET" && r.target.contains("/cert")),
        "{seen:?}"
    );
}

#[test]
fn verify_refuses_unreadable_input_with_exit_2() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("junk.pem"), "junk").unwrap();
    ok_json(
        sb.pca()
            .args(["csr", "new", "--cn", "x.example", "--out-dir", "."]),
    );
    fails_with(
        sb.pca().args(["verify", "--roots", "junk.pem", "junk.pem"]),
        2,
    );
    fails_with(
        sb.pca()
            .args(["verify", "--roots", "missing.pem", "csr.pem"]),
        2,
    );
    // A CSR is not a certificate.
    let out = fails_with(
        sb.pca().args(["verify", "--roots", "csr.pem", "csr.pem"]),
        2,
    );
    assert!(stderr(&out).contains("no certificate"), "{}", stderr(&out));
    // --roots is required.
    fails_with(sb.pca().args(["verify", "csr.pem"]), 2);
}

#[test]
fn a_ca_file_that_cannot_be_used_is_refused_and_nothing_sent() {
    let sb = Sandbox::new();
    let trap = Trap::new();
    let garbage = sb.path("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let with_keys = |cmd: &mut assert_cmd::Command| {
        cmd.env("NCLOUD_ACCESS_KEY", "AK")
            .env("NCLOUD_SECRET_KEY", "SK");
    };
    let mut cmd = sb.pca();
    with_keys(&mut cmd);
    let out = fails_with(
        cmd.args(["--endpoint", &trap.url(), "--ca-file"])
            .arg(&garbage)
            .args(["ca", "list"]),
        3,
    );
    assert!(
        stderr(&out).contains("no CERTIFICATE block"),
        "{}",
        stderr(&out)
    );
    let mut cmd = sb.pca();
    with_keys(&mut cmd);
    let out = fails_with(
        cmd.args(["--endpoint", &trap.url(), "--ca-file"])
            .arg(sb.path("missing.pem"))
            .args(["ca", "list"]),
        2,
    );
    assert!(
        stderr(&out).contains("cannot read CA file"),
        "{}",
        stderr(&out)
    );
    assert!(!trap.was_contacted());
}
