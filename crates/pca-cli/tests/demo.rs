//! `pca demo` end to end, and `--local` / `--local-state` (the emulator inside the process).

mod common;

use common::{Sandbox, fails_with, ok_json, stderr};

#[test]
fn demo_runs_the_whole_story_and_its_files_verify() {
    let sb = Sandbox::new();
    let v = ok_json(sb.pca().args(["demo", "--out-dir", "demo"]));
    assert_eq!(v["valid"], true);
    let steps = v["steps"].as_array().unwrap();
    let titles: Vec<&str> = steps.iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 6, "{titles:?}");
    assert!(titles[0].contains("emulator"));
    assert!(titles[1].contains("root CA"));
    assert!(titles[2].contains("CSR"));
    assert!(titles[3].contains("/sub/sign"));
    assert!(titles[4].contains("files"));
    assert!(titles[5].contains("Verify"));
    // What each step produced.
    assert!(
        steps[0]["produced"]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let root_tag = v["rootCaTag"].as_str().unwrap();
    assert_eq!(steps[1]["produced"]["caTag"], root_tag);
    assert_eq!(steps[1]["produced"]["certificate"]["selfIssued"], true);
    assert_eq!(steps[2]["produced"]["csr"]["isCa"], true);
    let sub = &steps[3]["produced"]["certificate"];
    assert_eq!(sub["subject"], "C=KR, O=pca demo, CN=pca demo Issuing CA");
    assert_eq!(sub["issuer"], "C=KR, O=pca demo, CN=pca demo Root CA");
    assert_eq!(sub["isCa"], true);
    assert_eq!(steps[5]["produced"]["valid"], true);
    assert_eq!(steps[5]["produced"]["method"], "webpki-probe-leaf");
    // The files, checked again from the outside.
    for f in ["key", "csr", "cert", "chain", "fullchain", "root"] {
        assert_eq!(steps[4]["produced"]["files"][f], format!("demo/{f}.pem"));
        assert!(sb.path(&format!("demo/{f}.pem")).exists(), "{f}");
    }
    #[cfg(unix)]
    assert_eq!(common::mode(&sb.path("demo/key.pem")), 0o600);
    let v = ok_json(sb.pca().args([
        "verify",
        "--roots",
        "demo/root.pem",
        "--chain",
        "demo/chain.pem",
        "--key",
        "demo/key.pem",
        "demo/cert.pem",
    ]));
    assert_eq!(v["valid"], true);
    let v = ok_json(
        sb.pca()
            .args(["verify", "--roots", "demo/root.pem", "demo/fullchain.pem"]),
    );
    assert_eq!(v["valid"], true);
    if let Some(ok) =
        common::openssl_verify(&sb.path("demo/root.pem"), None, &sb.path("demo/cert.pem"))
    {
        assert!(ok, "openssl verify of the demo's sub CA");
    }
    // Nothing secret on stdout.
    let out = sb
        .pca()
        .args(["demo", "--out-dir", "demo2"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("PRIVATE KEY"));
    // A second run into the same directory is refused without --force.
    let out = fails_with(sb.pca().args(["demo", "--out-dir", "demo"]), 2);
    assert!(stderr(&out).contains("refusing to overwrite"));
    ok_json(sb.pca().args(["demo", "--out-dir", "demo", "--force"]));
}

#[test]
fn demo_text_output_names_each_step() {
    let sb = Sandbox::new();
    let out = sb.text(&["demo", "--out-dir", "d", "--key-algorithm", "p384"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "1. Start the embedded",
        "2. Create a root CA",
        "3. Make the sub CA",
        "4. Sign the CSR",
        "5. Write the files",
        "6. Verify the chain",
        "valid:",
        "EC P-384",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // Not a terminal: no progress lines on stderr.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("step 1"));
}

#[test]
fn local_mode_runs_commands_on_an_in_process_emulator() {
    let sb = Sandbox::new();
    // No credentials needed, nothing read from HOME.
    let v = ok_json(sb.pca().args(["--local", "ca", "list"]));
    assert_eq!(v["count"], 0);
    // In memory: a CA created in one run is gone in the next.
    ok_json(sb.pca().args([
        "--local", "ca", "create", "--type", "root", "--alias", "mem-root", "--days", "10", "--cn",
        "Mem Root",
    ]));
    assert_eq!(
        ok_json(sb.pca().args(["--local", "ca", "list"]))["count"],
        0
    );
    // With --local-state, state survives between runs.
    let state = sb.path("state");
    let v = ok_json(sb.pca().arg("--local-state").arg(&state).args([
        "ca",
        "create",
        "--type",
        "root",
        "--alias",
        "kept-root",
        "--days",
        "10",
        "--cn",
        "Kept Root",
    ]));
    let tag = v["ca"]["caTag"].as_str().unwrap().to_owned();
    let v = ok_json(
        sb.pca()
            .arg("--local-state")
            .arg(&state)
            .args(["ca", "list"]),
    );
    assert_eq!(v["count"], 1);
    assert_eq!(v["cas"][0]["ca"]["caTag"], tag.as_str());
    let v = ok_json(sb.pca().arg("--local-state").arg(&state).args([
        "cert",
        "issue",
        &tag,
        "--cn",
        "k.example",
        "--out-dir",
        "k",
    ]));
    assert_eq!(v["certificate"]["issuer"], "CN=Kept Root");
    assert_eq!(
        ok_json(
            sb.pca()
                .arg("--local-state")
                .arg(&state)
                .args(["cert", "list", &tag])
        )["count"],
        1
    );
}

#[test]
fn verify_checks_validity_at_the_time_given() {
    let sb = Sandbox::new();
    ok_json(sb.pca().args(["demo", "--out-dir", "d"]));
    let year_2100 = "4102444800";
    let year_2000 = "946684800";
    for at in [year_2100, year_2000] {
        // With the key (webpki through a probe leaf) and without it (link by link).
        let out = fails_with(
            sb.pca().args([
                "verify",
                "--at",
                at,
                "--roots",
                "d/root.pem",
                "--chain",
                "d/chain.pem",
                "--key",
                "d/key.pem",
                "d/cert.pem",
            ]),
            6,
        );
        assert_eq!(common::json_of(&out)["valid"], false);
        let out = fails_with(
            sb.pca().args([
                "verify",
                "--at",
                at,
                "--roots",
                "d/root.pem",
                "d/fullchain.pem",
            ]),
            6,
        );
        let err = common::json_of(&out)["error"].as_str().unwrap().to_owned();
        assert!(
            err.contains("expired") || err.contains("not valid yet"),
            "{err}"
        );
    }
    let now_plus_a_year = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 365 * 86_400)
        .to_string();
    ok_json(sb.pca().args([
        "verify",
        "--at",
        &now_plus_a_year,
        "--roots",
        "d/root.pem",
        "d/fullchain.pem",
    ]));
}
