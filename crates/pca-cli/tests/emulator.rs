//! Every command group against the emulator, started in this test process and reached over
//! HTTP with credentials from the environment (the same path as NCP), JSON checked field by
//! field, `--out-dir` files checked with rustls-webpki (`pca verify`) and openssl.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use common::{Remote, SECRET_KEY, fails_with, json_of, ok_json, stderr, sub_csr_args};
use serde_json::json;

#[test]
fn ca_group_create_list_get_status_chain_delete() {
    let r = Remote::start();
    // Create: the answer's record and its parsed certificate.
    let v = ok_json(r.pca().args([
        "ca",
        "create",
        "--type",
        "root",
        "--alias",
        "corp-root",
        "--key-type",
        "EC256",
        "--days",
        "max",
        "--cn",
        "Corp Root CA",
        "--org",
        "Corp",
        "--country",
        "KR",
        "--memo",
        "test root",
        "--out-dir",
        "root",
    ]));
    let tag = v["ca"]["caTag"].as_str().unwrap().to_owned();
    assert_eq!(v["ca"]["alias"], "corp-root");
    assert_eq!(v["ca"]["status"], "ACTIVE");
    assert_eq!(v["ca"]["caType"], "PRIVATE_ROOT");
    let cert = &v["certificate"];
    assert_eq!(cert["subject"], "C=KR, O=Corp, CN=Corp Root CA");
    assert_eq!(cert["issuer"], cert["subject"]);
    assert_eq!(cert["isCa"], true);
    assert_eq!(cert["selfIssued"], true);
    assert_eq!(cert["keyAlgorithm"], "EC P-256");
    assert!(
        cert["pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert_eq!(v["files"]["cert"], "root/cert.pem");
    let on_disk = std::fs::read_to_string(r.path("root/cert.pem")).unwrap();
    assert_eq!(on_disk, cert["pem"].as_str().unwrap());

    // List and get.
    let v = ok_json(r.pca().args(["ca", "list"]));
    assert_eq!(v["count"], 1);
    assert_eq!(v["cas"][0]["ca"]["caTag"], tag.as_str());
    let v = ok_json(r.pca().args(["ca", "get", &tag]));
    assert_eq!(v["ca"]["caTag"], tag.as_str());
    assert_eq!(v["certificate"]["subject"], "C=KR, O=Corp, CN=Corp Root CA");

    // A sub CA signed at once, and its chain.
    let sub = r.sub(&tag, "corp-sub");
    let v = ok_json(r.pca().args(["ca", "chain", &sub, "--out-dir", "sub"]));
    let chain = v["chain"].as_array().unwrap();
    assert!(!chain.is_empty());
    assert!(
        chain
            .iter()
            .any(|c| c["subject"] == "C=KR, O=Corp, CN=Corp Root CA")
    );
    assert!(r.path("sub/chain.pem").exists());

    // Status changes.
    let v = ok_json(r.pca().args(["ca", "disable", &sub]));
    assert_eq!(v["requestedStatus"], "DEACTIVATED");
    assert_eq!(
        ok_json(r.pca().args(["ca", "get", &sub]))["ca"]["status"],
        "DEACTIVATED"
    );
    // A disabled CA signs nothing: the API's refusal is exit 4.
    let out = fails_with(
        r.pca()
            .args(["cert", "issue", &sub, "--cn", "x.example", "--out-dir", "x"]),
        4,
    );
    assert_eq!(json_of(&out)["error"]["kind"], "api-refused");
    ok_json(r.pca().args(["ca", "enable", &sub]));
    assert_eq!(
        ok_json(r.pca().args(["ca", "get", &sub]))["ca"]["status"],
        "ACTIVE"
    );
    ok_json(r.pca().args(["ca", "schedule-deletion", &sub]));
    assert_eq!(
        ok_json(r.pca().args(["ca", "get", &sub]))["ca"]["status"],
        "DESTROYING"
    );
    ok_json(r.pca().args(["ca", "cancel-deletion", &sub]));
    assert_eq!(
        ok_json(r.pca().args(["ca", "get", &sub]))["ca"]["status"],
        "ACTIVE"
    );
    // Delete only from DESTROYING.
    fails_with(r.pca().args(["ca", "delete", &sub]), 4);
    ok_json(r.pca().args(["ca", "schedule-deletion", &sub]));
    let v = ok_json(r.pca().args(["ca", "delete", &sub]));
    assert_eq!(v, json!({ "caTag": sub, "deleted": true }));
    assert_eq!(ok_json(r.pca().args(["ca", "list"]))["count"], 1);
}

#[test]
fn an_unknown_ca_is_an_api_refusal_with_its_code() {
    let r = Remote::start();
    let out = fails_with(r.pca().args(["ca", "get", "00000000-nosuchca"]), 4);
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "api-refused");
    assert_eq!(v["error"]["exitCode"], 4);
    assert_eq!(v["error"]["serviceCode"], "NOT_FOUND");
    assert_eq!(v["error"]["httpStatus"], 404);
    // A wrong secret: the gateway's refusal, also exit 4, and the secret is not shown.
    let out = fails_with(
        r.pca()
            .env("NCLOUD_SECRET_KEY", "wrong-secret-value")
            .args(["ca", "list"]),
        4,
    );
    let v = json_of(&out);
    assert_eq!(v["error"]["gatewayCode"], "200");
    assert!(!stderr(&out).contains("wrong-secret-value"));
}

#[test]
fn sub_group_pending_sub_ca_signed_at_the_root_and_activated() {
    let r = Remote::start();
    let root = r.root("root-ca");
    // A pending sub CA, its CSR, signed at the root, activated.
    let v = ok_json(r.pca().args([
        "ca",
        "create",
        "--type",
        "sub",
        "--alias",
        "ext-sub",
        "--key-type",
        "EC256",
        "--days",
        "1000",
        "--cn",
        "External Sub CA",
    ]));
    let pending = v["ca"]["caTag"].as_str().unwrap().to_owned();
    assert_eq!(v["ca"]["status"], "PENDING");
    let v = ok_json(
        r.pca()
            .args(["sub", "csr", &pending, "--out", "pending.csr.pem"]),
    );
    assert_eq!(v["csr"]["subject"], "CN=External Sub CA");
    assert_eq!(v["files"]["csr"], "pending.csr.pem");
    let v = ok_json(r.pca().args([
        "sub",
        "sign",
        &root,
        "--csr",
        "pending.csr.pem",
        "--days",
        "500",
        "--out-dir",
        "ext",
    ]));
    let cert = &v["certificate"];
    assert_eq!(cert["subject"], "CN=External Sub CA");
    assert_eq!(cert["issuer"], "C=KR, O=pca tests, CN=Test Root CA");
    assert_eq!(cert["isCa"], true);
    assert!(
        cert["keyUsage"]
            .as_array()
            .unwrap()
            .contains(&json!("keyCertSign"))
    );
    assert_eq!(
        v["chain"][0]["subject"],
        "C=KR, O=pca tests, CN=Test Root CA"
    );
    assert_eq!(v["serialNo"], cert["serial"]);
    for f in ["cert", "chain", "fullchain", "root"] {
        assert_eq!(v["files"][f], format!("ext/{f}.pem"));
    }
    let v = ok_json(r.pca().args([
        "sub",
        "activate",
        &pending,
        "--cert",
        "ext/cert.pem",
        "--chain",
        "ext/chain.pem",
    ]));
    assert_eq!(v["activated"], true);
    assert_eq!(
        ok_json(r.pca().args(["ca", "get", &pending]))["ca"]["status"],
        "ACTIVE"
    );
    // The activated CA issues, and its certificates chain to the root.
    ok_json(r.pca().args([
        "cert",
        "issue",
        &pending,
        "--cn",
        "leaf.example",
        "--san",
        "leaf.example",
        "--days",
        "30",
        "--out-dir",
        "leaf",
    ]));
    let v = ok_json(r.pca().args([
        "verify",
        "--roots",
        "ext/root.pem",
        "--chain",
        "leaf/chain.pem",
        "--name",
        "leaf.example",
        "leaf/cert.pem",
    ]));
    assert_eq!(v["valid"], true);
    assert_eq!(v["method"], "webpki");
    assert_eq!(v["path"].as_array().unwrap().len(), 3);
}

/// `pca verify --roots <roots> [--key <key>] <cert>` against `r`'s emulator.
fn verify(r: &Remote, roots: PathBuf, key: Option<PathBuf>, cert: PathBuf) -> Command {
    let mut cmd = r.pca();
    cmd.args(["verify", "--roots"]).arg(roots);
    if let Some(key) = key {
        cmd.arg("--key").arg(key);
    }
    cmd.arg(cert);
    cmd
}

#[test]
fn sign_sub_csr_files_are_checked_by_both_verifiers() {
    let r = Remote::start();
    let root = r.root("root-ca");
    for alg in ["p256", "p384", "rsa2048", "ed25519"] {
        let dir = format!("sub-{alg}");
        ok_json(r.pca().args([
            "csr",
            "new",
            "--kind",
            "ca",
            "--key-algorithm",
            alg,
            "--cn",
            "Issuing CA",
            "--out-dir",
            &dir,
        ]));
        ok_json(r.pca().args([
            "sub",
            "sign",
            &root,
            "--csr",
            &format!("{dir}/csr.pem"),
            "--days",
            "365",
            "--out-dir",
            &dir,
        ]));
        let p = |f: &str| r.path(&format!("{dir}/{f}"));
        // rustls-webpki through a probe leaf signed by the sub CA's key.
        let v = ok_json(
            r.pca()
                .args(["verify", "--roots"])
                .arg(p("root.pem"))
                .arg("--chain")
                .arg(p("chain.pem"))
                .arg("--key")
                .arg(p("key.pem"))
                .arg(p("cert.pem")),
        );
        assert_eq!(v["valid"], true, "{alg}");
        assert_eq!(v["method"], "webpki-probe-leaf", "{alg}");
        // Link by link, without the key.
        let v = ok_json(&mut verify(&r, p("root.pem"), None, p("fullchain.pem")));
        assert_eq!(v["valid"], true, "{alg}");
        assert_eq!(v["method"], "signature-links", "{alg}");
        // openssl, as an independent verifier.
        if let Some(ok) = common::openssl_verify(&p("root.pem"), None, &p("cert.pem")) {
            assert!(ok, "openssl verify {alg}");
        }
        // The fullchain is the certificate followed by the chain.
        let full = std::fs::read_to_string(p("fullchain.pem")).unwrap();
        let cert = std::fs::read_to_string(p("cert.pem")).unwrap();
        let chain = std::fs::read_to_string(p("chain.pem")).unwrap();
        assert_eq!(full, format!("{cert}{chain}"));
    }
    // A different root does not validate it: exit 6.
    let other = Remote::start();
    let other_root = other.root("other-root");
    ok_json(
        other
            .pca()
            .args(["ca", "get", &other_root, "--out-dir", "o"]),
    );
    let out = fails_with(
        &mut verify(
            &r,
            other.path("o/cert.pem"),
            None,
            r.path("sub-p256/fullchain.pem"),
        ),
        6,
    );
    assert_eq!(json_of(&out)["valid"], false);
    let out = fails_with(
        &mut verify(
            &r,
            other.path("o/cert.pem"),
            Some(r.path("sub-p256/key.pem")),
            r.path("sub-p256/fullchain.pem"),
        ),
        6,
    );
    assert_eq!(json_of(&out)["valid"], false);
    // The wrong key for the certificate: exit 6.
    let out = fails_with(
        &mut verify(
            &r,
            r.path("sub-p256/root.pem"),
            Some(r.path("sub-p384/key.pem")),
            r.path("sub-p256/fullchain.pem"),
        ),
        6,
    );
    assert!(stderr(&out).contains("not the certificate's private key"));
}

#[test]
fn out_dir_is_never_overwritten_without_force_and_nothing_is_sent() {
    let r = Remote::start();
    let root = r.root("root-ca");
    ok_json(r.pca().args(sub_csr_args("s")));
    ok_json(r.pca().args([
        "sub",
        "sign",
        &root,
        "--csr",
        "s/csr.pem",
        "--days",
        "30",
        "--out-dir",
        "s",
    ]));
    let serials_before = ok_json(r.pca().args(["cert", "list", &root]))["count"].clone();
    let out = fails_with(
        r.pca().args([
            "sub",
            "sign",
            &root,
            "--csr",
            "s/csr.pem",
            "--days",
            "30",
            "--out-dir",
            "s",
        ]),
        2,
    );
    assert!(stderr(&out).contains("refusing to overwrite"));
    // Nothing was signed.
    assert_eq!(
        ok_json(r.pca().args(["cert", "list", &root]))["count"],
        serials_before
    );
    ok_json(r.pca().args([
        "sub",
        "sign",
        &root,
        "--csr",
        "s/csr.pem",
        "--days",
        "30",
        "--out-dir",
        "s",
        "--force",
    ]));
}

#[test]
fn cert_group_issue_sign_list_get_revoke_and_the_crl() {
    let r = Remote::start();
    let root = r.root("root-ca");
    let sub = r.sub(&root, "issuing");
    // Issue End Cert: the key goes to key.pem (0600) and never to stdout or stderr.
    let out = r
        .pca()
        .args([
            "-vv",
            "cert",
            "issue",
            &sub,
            "--cn",
            "www.example.com",
            "--san",
            "www.example.com",
            "--ip",
            "10.1.2.3",
            "--key-type",
            "EC256",
            "--days",
            "90",
            "--out-dir",
            "www",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for stream in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(stream);
        assert!(!s.contains("PRIVATE KEY"), "a private key was printed");
        assert!(!s.contains(SECRET_KEY), "the secret key was printed");
    }
    let v = json_of(&out);
    let issued_serial = v["serialNo"].as_str().unwrap().to_owned();
    assert_eq!(v["certificate"]["subject"], "CN=www.example.com");
    assert_eq!(v["certificate"]["dnsNames"], json!(["www.example.com"]));
    assert_eq!(v["certificate"]["ipAddresses"], json!(["10.1.2.3"]));
    assert_eq!(v["certificate"]["isCa"], false);
    assert_eq!(v["files"]["key"], "www/key.pem");
    #[cfg(unix)]
    assert_eq!(common::mode(&r.path("www/key.pem")), 0o600);
    let v = ok_json(r.pca().args([
        "verify",
        "--roots",
        "www/root.pem",
        "--chain",
        "www/chain.pem",
        "--name",
        "www.example.com",
        "www/cert.pem",
    ]));
    assert_eq!(v["valid"], true);
    if let Some(ok) = common::openssl_verify(
        &r.path("www/root.pem"),
        Some(&r.path("www/chain.pem")),
        &r.path("www/cert.pem"),
    ) {
        assert!(ok, "openssl verify");
    }
    // A name the certificate does not have: exit 6.
    fails_with(
        r.pca().args([
            "verify",
            "--roots",
            "www/root.pem",
            "--chain",
            "www/chain.pem",
            "--name",
            "other.example",
            "www/cert.pem",
        ]),
        6,
    );

    // Sign End CSR from a local key and CSR.
    ok_json(r.pca().args([
        "csr",
        "new",
        "--cn",
        "api.example.com",
        "--san",
        "api.example.com",
        "--key-algorithm",
        "rsa2048",
        "--out-dir",
        "api",
    ]));
    let v = ok_json(r.pca().args([
        "cert",
        "sign",
        &sub,
        "--csr",
        "api/csr.pem",
        "--days",
        "30",
        "--out-dir",
        "api",
    ]));
    let signed_serial = v["serialNo"].as_str().unwrap().to_owned();
    assert_eq!(v["certificate"]["keyAlgorithm"], "RSA 2048");
    assert_eq!(v["certificate"]["issuer"], "CN=Test Issuing CA");
    ok_json(r.pca().args([
        "verify",
        "--roots",
        "api/root.pem",
        "--chain",
        "api/chain.pem",
        "api/cert.pem",
    ]));

    // List and get.
    let v = ok_json(r.pca().args(["cert", "list", &sub]));
    let serials: Vec<&str> = v["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(serials.contains(&issued_serial.as_str()));
    assert!(serials.contains(&signed_serial.as_str()));
    assert_eq!(v["count"], serials.len());
    let v = ok_json(
        r.pca()
            .args(["cert", "get", &sub, &signed_serial, "--out-dir", "got"]),
    );
    assert_eq!(v["serialNo"], signed_serial.as_str());
    assert_eq!(v["certificate"]["serial"], signed_serial.as_str());
    assert_eq!(
        std::fs::read_to_string(r.path("got/cert.pem")).unwrap(),
        std::fs::read_to_string(r.path("api/cert.pem")).unwrap()
    );

    // Revoke, then find it in the CRL.
    let v = ok_json(r.pca().args(["cert", "revoke", &sub, &issued_serial]));
    assert_eq!(
        v,
        json!({ "caTag": sub, "serialNo": issued_serial, "revoked": true })
    );
    let v = ok_json(r.pca().args(["crl", "get", &sub, "--out", "sub.crl.pem"]));
    let revoked: Vec<&str> = v["crl"]["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["serial"].as_str().unwrap())
        .collect();
    assert_eq!(revoked, vec![issued_serial.as_str()]);
    assert_eq!(v["crl"]["issuer"], "CN=Test Issuing CA");
    // The revoked certificate fails verification with the CRL; the other one passes.
    fails_with(
        r.pca().args([
            "verify",
            "--roots",
            "www/root.pem",
            "--chain",
            "www/chain.pem",
            "--crl",
            "sub.crl.pem",
            "www/cert.pem",
        ]),
        6,
    );
    ok_json(r.pca().args([
        "verify",
        "--roots",
        "api/root.pem",
        "--chain",
        "api/chain.pem",
        "--crl",
        "sub.crl.pem",
        "api/cert.pem",
    ]));
    // inspect reads the CRL file.
    let v = ok_json(r.pca().args(["inspect", "sub.crl.pem"]));
    assert_eq!(v["items"][0]["kind"], "crl");
    assert_eq!(
        v["items"][0]["revoked"][0]["serial"],
        issued_serial.as_str()
    );
    // inspect reads a chain.
    let v = ok_json(r.pca().args(["inspect", "www/fullchain.pem"]));
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
}

#[test]
fn crl_group_config_set_expiry_rotate_trim() {
    let r = Remote::start();
    let root = r.root("root-ca");
    let v = ok_json(r.pca().args(["crl", "config", &root]));
    assert_eq!(v["caTag"], root.as_str());
    let v = ok_json(r.pca().args(["crl", "set-expiry", &root, "--days", "7"]));
    assert_eq!(v["expiryDays"], 7);
    assert_eq!(
        ok_json(r.pca().args(["crl", "config", &root]))["expiryDays"],
        7
    );
    let before = ok_json(r.pca().args(["crl", "get", &root]))["crl"]["crlNumber"].clone();
    assert_eq!(
        ok_json(r.pca().args(["crl", "rotate", &root]))["rotated"],
        true
    );
    let after = ok_json(r.pca().args(["crl", "get", &root]))["crl"]["crlNumber"].clone();
    assert_ne!(before, after, "rotation publishes a new CRL");
    assert_eq!(
        ok_json(r.pca().args(["crl", "trim", &root]))["trimmed"],
        true
    );
}

#[test]
fn ocsp_group_enable_and_disable() {
    let r = Remote::start();
    let root = r.root("root-ca");
    let v = ok_json(r.pca().args(["ocsp", "enable", &root]));
    let url = format!("{}/ext/{root}/ocsp", r.emulator.base_url());
    assert_eq!(v["ocspUrl"], url.as_str());
    let v = ok_json(r.pca().args([
        "cert",
        "issue",
        &root,
        "--cn",
        "o.example",
        "--out-dir",
        "o",
    ]));
    assert_eq!(v["certificate"]["ocspUrls"], json!([url]));
    assert_eq!(v["ocspResponder"], url.as_str());
    ok_json(r.pca().args([
        "ocsp",
        "enable",
        &root,
        "--url",
        "https://ocsp.example.com/",
    ]));
    let v = ok_json(r.pca().args([
        "cert",
        "issue",
        &root,
        "--cn",
        "o2.example",
        "--out-dir",
        "o2",
    ]));
    assert_eq!(
        v["certificate"]["ocspUrls"],
        json!(["https://ocsp.example.com/"])
    );
    assert_eq!(
        ok_json(r.pca().args(["ocsp", "disable", &root]))["enabled"],
        false
    );
    let v = ok_json(r.pca().args([
        "cert",
        "issue",
        &root,
        "--cn",
        "o3.example",
        "--out-dir",
        "o3",
    ]));
    assert!(v["certificate"].get("ocspUrls").is_none());
    // A URL that is not https is refused before sending.
    fails_with(
        r.pca().args(["ocsp", "enable", &root, "--url", "ftp://x"]),
        2,
    );
}

#[test]
fn users_group_add_list_remove() {
    let r = Remote::start();
    let root = r.root("root-ca");
    let id = "0a1b2c3d-0000-1111-2222-333344445555";
    assert_eq!(ok_json(r.pca().args(["users", "list", &root]))["count"], 0);
    assert_eq!(
        ok_json(r.pca().args(["users", "add", &root, id]))["added"],
        true
    );
    let v = ok_json(r.pca().args(["users", "list", &root]));
    assert_eq!(v["count"], 1);
    assert_eq!(v["users"][0]["idNo"], id);
    assert_eq!(
        ok_json(r.pca().args(["users", "remove", &root, id]))["removed"],
        true
    );
    assert_eq!(ok_json(r.pca().args(["users", "list", &root]))["count"], 0);
}

#[test]
fn lists_follow_every_page() {
    let r = Remote::start();
    let root = r.root("root-ca");
    for i in 0..23 {
        ok_json(r.pca().args([
            "cert",
            "issue",
            &root,
            "--cn",
            &format!("h{i}.example"),
            "--key-type",
            "EC256",
            "--out-dir",
            &format!("c{i}"),
        ]));
    }
    // The emulator's pages hold 20 entries: all pages are read by default.
    assert_eq!(ok_json(r.pca().args(["cert", "list", &root]))["count"], 23);
    assert_eq!(
        ok_json(r.pca().args(["cert", "list", &root, "--page", "2"]))["count"],
        3
    );
}

#[test]
fn secrets_are_never_printed_even_verbose_or_failing() {
    let r = Remote::start();
    let root = r.root("root-ca");
    for args in [
        vec!["-vv", "ca", "list"],
        vec!["-vv", "ca", "get", "00000000-nosuchca"],
        vec![
            "-vvv",
            "cert",
            "issue",
            &root,
            "--cn",
            "s.example",
            "--out-dir",
            "s",
        ],
        vec![
            "-vv",
            "--output",
            "text",
            "cert",
            "issue",
            &root,
            "--cn",
            "t.example",
            "--out-dir",
            "t",
        ],
    ] {
        let out = r.pca().args(&args).output().unwrap();
        for stream in [&out.stdout, &out.stderr] {
            let s = String::from_utf8_lossy(stream);
            assert!(!s.contains(SECRET_KEY), "{args:?}: secret key printed");
            assert!(!s.contains("PRIVATE KEY"), "{args:?}: private key printed");
        }
    }
    // With credentials from a profile file too.
    r.sandbox.write_config(&format!(
        "[DEFAULT]\nncloud_access_key_id = {}\nncloud_secret_access_key = {SECRET_KEY}\n",
        common::ACCESS_KEY
    ));
    let out = r
        .pca()
        .env_remove("NCLOUD_ACCESS_KEY")
        .env_remove("NCLOUD_SECRET_KEY")
        .args(["-vv", "--profile", "DEFAULT", "ca", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET_KEY));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET_KEY));
}

#[test]
fn verbose_tracing_goes_to_stderr_and_stdout_stays_one_json_document() {
    let r = Remote::start();
    let out = r.pca().args(["-v", "ca", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Get CA List"),
        "the call's span is traced: {err}"
    );
    assert_eq!(json_of(&out)["count"], 0);
    // Without -v, stderr stays empty on success.
    let out = r.pca().args(["ca", "list"]).output().unwrap();
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}
