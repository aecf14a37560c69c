//! Automatic recovery in `pca cert sign`, `pca sub sign` and `pca cert issue`: a server in
//! front of the emulator forwards each request, records it, and cuts the connection of the
//! signing request (after the emulator issued, or before). `pca` never resends it: it looks
//! once through the CA's certificates.

mod common;

use assert_cmd::Command;
use common::server::{Answer, Server, forward};
use common::{ACCESS_KEY, Remote, SECRET_KEY, fails_with, ok_json, stderr};

/// A proxy to `remote`'s emulator that cuts the POST whose target ends in `signing`, after
/// forwarding it when `issue` is `true`.
fn cutting_proxy(remote: &Remote, signing: &'static str, issue: bool) -> Server {
    let upstream = remote.emulator.addr();
    Server::start(move |req| {
        if req.method == "POST" && req.target.ends_with(signing) {
            if issue {
                forward(upstream, req);
            }
            return Answer::Cut;
        }
        Answer::Bytes(forward(upstream, req))
    })
}

fn pca_via(remote: &Remote, server: &Server) -> Command {
    let mut cmd = remote.sandbox.pca();
    cmd.env("NCLOUD_ACCESS_KEY", ACCESS_KEY);
    cmd.env("NCLOUD_SECRET_KEY", SECRET_KEY);
    cmd.arg("--endpoint").arg(server.url());
    cmd
}

/// A key and CSR in `dir` (`pca csr new`), of a CA when `ca`.
fn new_csr(remote: &Remote, dir: &str, ca: bool) {
    let kind = if ca { "ca" } else { "leaf" };
    ok_json(remote.pca().args([
        "csr",
        "new",
        "--kind",
        kind,
        "--cn",
        "recovered.internal",
        "--out-dir",
        dir,
    ]));
}

#[test]
fn cert_sign_recovers_a_cut_off_signing() {
    let remote = Remote::start();
    let root = remote.root("recovery-root");
    new_csr(&remote, "www", false);
    let server = cutting_proxy(&remote, "/cert/sign", true);
    let out = pca_via(&remote, &server)
        .args([
            "cert",
            "sign",
            &root,
            "--csr",
            "www/csr.pem",
            "--days",
            "30",
        ])
        .args(["--out-dir", "www"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(server.count("POST", "/cert/sign"), 1, "resent");
    assert!(
        err.contains("recovered: the earlier attempt issued serial"),
        "{err}"
    );
    let v = common::json_of(&out);
    let serial = v["recovered"]["serialNo"].as_str().unwrap();
    assert_eq!(v["serialNo"], serial);
    // The files are written as usual, and hold the CA's newest certificate.
    let listed = ok_json(remote.pca().args(["cert", "list", &root]));
    assert_eq!(
        listed["serials"].as_array().unwrap().last().unwrap(),
        serial
    );
    for f in ["cert.pem", "chain.pem", "fullchain.pem", "root.pem"] {
        assert!(remote.path("www").join(f).exists(), "{f}");
    }
    ok_json(remote.pca().args([
        "verify",
        "--roots",
        "www/root.pem",
        "--key",
        "www/key.pem",
        "www/cert.pem",
    ]));
}

#[test]
fn sub_sign_recovers_on_the_emulator() {
    let remote = Remote::start();
    let root = remote.root("recovery-root");
    new_csr(&remote, "sub", true);
    let server = cutting_proxy(&remote, "/sub/sign", true);
    let out = pca_via(&remote, &server)
        .args([
            "sub",
            "sign",
            &root,
            "--csr",
            "sub/csr.pem",
            "--days",
            "365",
        ])
        .args(["--out-dir", "sub"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(server.count("POST", "/sub/sign"), 1, "resent");
    assert!(
        err.contains("recovered: the earlier attempt issued serial"),
        "{err}"
    );
    assert!(remote.path("sub/fullchain.pem").exists());
}

#[test]
fn nothing_found_exits_5_and_says_where_it_looked() {
    let remote = Remote::start();
    let root = remote.root("recovery-root");
    new_csr(&remote, "www", false);
    let server = cutting_proxy(&remote, "/cert/sign", false);
    let out = fails_with(
        pca_via(&remote, &server)
            .args([
                "--output",
                "text",
                "cert",
                "sign",
                &root,
                "--csr",
                "www/csr.pem",
            ])
            .args(["--out-dir", "www"]),
        5,
    );
    let err = stderr(&out);
    assert_eq!(server.count("POST", "/cert/sign"), 1, "resent");
    assert!(err.contains("may have been executed"), "{err}");
    assert!(
        err.contains(&format!("certificate(s) of CA {root}")),
        "{err}"
    );
    assert!(err.contains("Get End Cert List page 1"), "{err}");
    assert!(!remote.path("www/cert.pem").exists());

    // Sign Sub CSR: it says plainly that it cannot know.
    new_csr(&remote, "sub", true);
    let server = cutting_proxy(&remote, "/sub/sign", false);
    let out = fails_with(
        pca_via(&remote, &server)
            .args([
                "--output",
                "text",
                "sub",
                "sign",
                &root,
                "--csr",
                "sub/csr.pem",
            ])
            .args(["--days", "365", "--out-dir", "sub"]),
        5,
    );
    let err = stderr(&out);
    assert_eq!(server.count("POST", "/sub/sign"), 1, "resent");
    assert!(
        err.contains("cannot be known from here whether one was issued"),
        "{err}"
    );
}

#[test]
fn cert_issue_cannot_recover_the_key_and_lists_the_serial() {
    let remote = Remote::start();
    let root = remote.root("recovery-root");
    let server = cutting_proxy(&remote, "/cert", true);
    let out = fails_with(
        pca_via(&remote, &server)
            .args([
                "--output",
                "text",
                "cert",
                "issue",
                &root,
                "--cn",
                "lost.internal",
            ])
            .args(["--key-type", "EC256", "--out-dir", "lost"]),
        5,
    );
    let err = stderr(&out);
    assert_eq!(server.count("POST", "/cert"), 1, "resent");
    let listed = ok_json(remote.pca().args(["cert", "list", &root]));
    let serial = listed["serials"][0].as_str().unwrap();
    assert!(err.contains("it cannot be recovered"), "{err}");
    assert!(err.contains(serial), "{err}");
    assert!(!remote.path("lost/key.pem").exists());
}
