//! `pca verify` on a chain of P-521 CAs made by openssl: the default `pca` (ring, no aws-lc)
//! verifies P-521 signatures, and refuses a tampered one. openssl confirms the chain.
//!
//! Without openssl the tests say so and pass, unless `PCA_REQUIRE_OPENSSL=1` (as `.ci/run`
//! sets) makes that a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Sandbox, fails_with, json_of, ok_json, stderr};

fn openssl(openssl: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(openssl)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// In the sandbox: a P-521 root, a P-521 sub CA it signed (SHA-512), a P-256 leaf the sub CA
/// signed with SHA-384, each as PEM and DER (`name.pem`, `name.der`).
fn p521_chain(sb: &Sandbox) -> Option<PathBuf> {
    let ssl = common::openssl()?;
    let dir = sb.work.path();
    let run = |args: &[&str]| openssl(&ssl, dir, args);
    std::fs::write(
        dir.join("ca.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:api.internal\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    for (name, curve) in [("root", "P-521"), ("sub", "P-521"), ("leaf", "P-256")] {
        run(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-noenc",
            "-keyout",
            &format!("{name}.key"),
            "-subj",
            &format!("/CN=P-521 test {name}"),
            "-out",
            &format!("{name}.csr"),
        ]);
    }
    run(&[
        "x509", "-req", "-in", "root.csr", "-key", "root.key", "-sha512", "-days", "30",
        "-extfile", "ca.ext", "-out", "root.pem",
    ]);
    run(&[
        "x509", "-req", "-in", "sub.csr", "-CA", "root.pem", "-CAkey", "root.key", "-sha512",
        "-days", "30", "-extfile", "ca.ext", "-out", "sub.pem",
    ]);
    run(&[
        "x509", "-req", "-in", "leaf.csr", "-CA", "sub.pem", "-CAkey", "sub.key", "-sha384",
        "-days", "30", "-extfile", "leaf.ext", "-out", "leaf.pem",
    ]);
    for name in ["root", "sub", "leaf"] {
        run(&[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-outform",
            "DER",
            "-out",
            &format!("{name}.der"),
        ]);
    }
    Some(ssl)
}

/// `name.der` with the last bit flipped (the last byte of the signature's `s`), as
/// `name-tampered.der`.
fn tamper(sb: &Sandbox, name: &str) -> String {
    let mut der = std::fs::read(sb.path(&format!("{name}.der"))).unwrap();
    *der.last_mut().unwrap() ^= 0x01;
    let out = format!("{name}-tampered.der");
    std::fs::write(sb.path(&out), der).unwrap();
    out
}

#[test]
fn a_p521_chain_verifies_and_a_tampered_one_does_not() {
    let sb = Sandbox::new();
    if p521_chain(&sb).is_none() {
        return;
    }
    // openssl, an independent implementation, accepts the chain.
    assert_eq!(
        common::openssl_verify(
            &sb.path("root.pem"),
            Some(&sb.path("sub.pem")),
            &sb.path("leaf.pem")
        ),
        Some(true)
    );
    let v = ok_json(sb.pca().args([
        "verify",
        "--roots",
        "root.pem",
        "--chain",
        "sub.pem",
        "--name",
        "api.internal",
        "leaf.pem",
    ]));
    assert_eq!(v["valid"], true);
    assert_eq!(v["method"], "webpki");
    assert_eq!(v["path"].as_array().unwrap().len(), 3, "{v}");
    // The sub CA without its key: link by link.
    let v = ok_json(sb.pca().args(["verify", "--roots", "root.pem", "sub.pem"]));
    assert_eq!(v["method"], "signature-links");

    // A tampered leaf signature (SHA-384 by the P-521 sub CA).
    let bad_leaf = tamper(&sb, "leaf");
    let out = fails_with(
        sb.pca()
            .args(["verify", "--roots", "root.pem", "--chain", "sub.pem"])
            .arg(&bad_leaf),
        6,
    );
    let err = json_of(&out)["error"].as_str().unwrap().to_owned();
    assert!(err.contains("signature"), "{err}");
    // A tampered sub CA signature (SHA-512 by the P-521 root), in both methods.
    let bad_sub = tamper(&sb, "sub");
    let out = fails_with(
        sb.pca()
            .args(["verify", "--roots", "root.pem", "--chain"])
            .arg(&bad_sub)
            .arg("leaf.pem"),
        6,
    );
    assert_eq!(json_of(&out)["valid"], false);
    let out = fails_with(
        sb.pca()
            .args(["verify", "--roots", "root.pem"])
            .arg(&bad_sub),
        6,
    );
    let err = json_of(&out)["error"].as_str().unwrap().to_owned();
    assert!(err.contains("signature"), "{err}");
}

/// `--key` signs a probe leaf with the CA's key. ring has no P-521 signer, so the default
/// `pca` says what to do instead; a `pca` whose rcgen has aws-lc-rs (the workspace's test build,
/// where the emulator's `ec521` is on) signs the probe and validates it.
#[test]
fn a_p521_ca_key_signs_a_probe_or_says_why_not() {
    let sb = Sandbox::new();
    if p521_chain(&sb).is_none() {
        return;
    }
    let out = sb
        .pca()
        .args([
            "verify", "--roots", "root.pem", "--key", "sub.key", "sub.pem",
        ])
        .output()
        .unwrap();
    if out.status.code() == Some(2) {
        let err = stderr(&out);
        assert!(
            err.contains("P-521") && err.contains("leave out --key"),
            "{err}"
        );
    } else {
        let v = json_of(&out);
        assert_eq!(out.status.code(), Some(0), "{v}");
        assert_eq!(v["method"], "webpki-probe-leaf");
        assert_eq!(v["valid"], true);
        // The wrong key is told apart in that build.
        let out = fails_with(
            sb.pca().args([
                "verify", "--roots", "root.pem", "--key", "root.key", "sub.pem",
            ]),
            6,
        );
        let err = json_of(&out)["error"].as_str().unwrap().to_owned();
        assert!(err.contains("not the certificate's private key"), "{err}");
    }
}
