//! `cargo xtask fuzz [SECONDS [TARGET...]]`: every target of `fuzz/` (cargo-fuzz, on the
//! nightly toolchain), or the ones named, for SECONDS each (default 60), one after the other
//! on one core.
//!
//! Before running, the corpora `fuzz/corpus/<target>/` get seeds written from
//! `tests/fixtures` (the recorded exchanges: answers, requests and the PEM texts in them) and a
//! few hand-written ones (configuration files, metadata answers). The targets build with
//! debug assertions, so that an overflow is a finding. At the end a table gives the executions
//! per target; any finding (a crash, its input under `fuzz/artifacts/<target>/`) fails the
//! task. cargo-fuzz is installed with `cargo install cargo-fuzz` when missing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Longest input the fuzzer makes (bytes): room for answers with long chains.
const MAX_LEN: &str = "-max_len=65536";

/// One target's run.
struct Outcome {
    target: String,
    executions: Option<u64>,
    ok: bool,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo_fuzz_installed() -> bool {
    Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs every fuzz target (or only those in `only`, when it is not empty) for `seconds` each;
/// `true` when none found anything.
pub(crate) fn fuzz(seconds: u64, only: &[String], run: &crate::Run) -> bool {
    let root = root();
    if !cargo_fuzz_installed() && !run("cargo", &["install", "cargo-fuzz"], &[]) {
        eprintln!("xtask: cannot install cargo-fuzz");
        return false;
    }
    match seed(&root) {
        Ok(n) => eprintln!("xtask: {n} seeds written from tests/fixtures"),
        Err(e) => {
            eprintln!("xtask: cannot write the seeds: {e}");
            return false;
        }
    }
    let listed = Command::new("cargo")
        .args(["+nightly", "fuzz", "list"])
        .current_dir(&root)
        .output();
    let targets: Vec<String> = match listed {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .filter(|l| only.is_empty() || only.iter().any(|o| o == l))
            .map(str::to_owned)
            .collect(),
        _ => {
            eprintln!("xtask: `cargo +nightly fuzz list` failed");
            return false;
        }
    };
    if targets.is_empty() {
        eprintln!("xtask: no fuzz target named {}", only.join(", "));
        return false;
    }
    // One build of every target first, so that each run's time is fuzzing.
    let fuzz_dir = root.join("fuzz");
    let fuzz_dir = fuzz_dir.to_string_lossy();
    if !run(
        "cargo",
        &[
            "+nightly",
            "fuzz",
            "build",
            "--debug-assertions",
            "--fuzz-dir",
            &fuzz_dir,
        ],
        &[],
    ) {
        return false;
    }
    let time = format!("-max_total_time={seconds}");
    let outcomes: Vec<Outcome> = targets
        .iter()
        .map(|target| {
            eprintln!("xtask: fuzzing {target} for {seconds} s");
            let out = Command::new("cargo")
                .args([
                    "+nightly",
                    "fuzz",
                    "run",
                    "--debug-assertions",
                    "--fuzz-dir",
                ])
                .arg(&*fuzz_dir)
                .arg(target)
                .args(["--", &time, MAX_LEN, "-print_final_stats=1"])
                .current_dir(&root)
                .stdout(Stdio::inherit())
                .stderr(Stdio::piped())
                .output();
            let (ok, log) = match out {
                Ok(o) => (
                    o.status.success(),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                ),
                Err(e) => (false, e.to_string()),
            };
            if !ok {
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
            Outcome {
                target: target.clone(),
                executions: executions(&log),
                ok,
            }
        })
        .collect();
    println!("| target | seconds | executions | result |");
    println!("|---|---:|---:|---|");
    for o in &outcomes {
        let execs = o
            .executions
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        let result = if o.ok {
            "no finding"
        } else {
            "FINDING (see fuzz/artifacts)"
        };
        println!("| `{}` | {seconds} | {execs} | {result} |", o.target);
    }
    let total: u64 = outcomes.iter().filter_map(|o| o.executions).sum();
    println!("| all | {} | {total} | |", seconds * outcomes.len() as u64);
    outcomes.iter().all(|o| o.ok)
}

/// The executions libFuzzer reports at exit (`stat::number_of_executed_units: N`).
fn executions(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .filter_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .find_map(|n| n.trim().parse().ok())
}

/// Writes the seeds; returns how many.
fn seed(root: &Path) -> Result<usize, String> {
    let corpus = root.join("fuzz").join("corpus");
    let mut written = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> Result<(), String> {
        let dir = corpus.join(target);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("seed-{name}"));
        fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        written += 1;
        Ok(())
    };
    let fixtures = root.join("tests").join("fixtures");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&fixtures)
        .map_err(|e| format!("{}: {e}", fixtures.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("ncloud-docs"))
        .collect();
    dirs.sort();
    let mut pems: Vec<String> = Vec::new();
    for dir in &dirs {
        let op = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut cases: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        cases.sort();
        for case in cases {
            let text = fs::read_to_string(&case).map_err(|e| format!("{}: {e}", case.display()))?;
            let exchange: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", case.display()))?;
            let name = format!(
                "{op}-{}",
                case.file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            );
            write(
                "responses",
                &name,
                &response_seed(&op, &exchange["response"]),
            )?;
            let mut request = format!("{op}\n").into_bytes();
            request.extend_from_slice(exchange["request"].to_string().as_bytes());
            write("inputs", &name, &request)?;
            collect_pems(&exchange, &mut pems);
        }
        // The clock-skew refusal, for a request signed at an absurd time.
        let skew = format!(
            "{op}\n401\ndate: Tue, 14 Nov 2023 22:13:20 GMT\n@{}\n\n{}",
            u64::MAX,
            r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#
        );
        write("responses", &format!("{op}-clock-skew"), skew.as_bytes())?;
    }
    pems.sort();
    pems.dedup();
    for (i, pem) in pems.iter().enumerate() {
        write("pem_text", &format!("fixture-{i:03}"), pem.as_bytes())?;
        if pem.contains("BEGIN CERTIFICATE-----") {
            write("x509_view", &format!("fixture-{i:03}"), pem.as_bytes())?;
            let ders: Vec<Vec<u8>> = pem::parse_many(pem)
                .unwrap_or_default()
                .into_iter()
                .map(pem::Pem::into_contents)
                .collect();
            for (j, der) in ders.iter().enumerate() {
                write("x509_view", &format!("fixture-{i:03}-der-{j}"), der)?;
                // The certificate as its own chain: a self-signed CA's answer.
                let answer = answer_seed(der, der);
                write("x509_view", &format!("fixture-{i:03}-answer-{j}"), &answer)?;
            }
        }
    }
    for (name, text) in CONFIG_SEEDS {
        write("config_file", name, text.as_bytes())?;
    }
    for (name, text) in METADATA_SEEDS {
        write("metadata_credentials", name, text.as_bytes())?;
    }
    Ok(written)
}

/// An `x509_view` input that the target cuts into a certificate and a one-certificate chain
/// (its first byte says where: `byte * rest / 256`).
fn answer_seed(cert: &[u8], chain: &[u8]) -> Vec<u8> {
    let mut rest = cert.to_vec();
    rest.extend_from_slice(chain);
    let cut = (0..=255u8)
        .find(|b| usize::from(*b) * rest.len() / 256 >= cert.len())
        .unwrap_or(255);
    let mut seed = vec![cut];
    seed.extend(rest);
    seed
}

/// A recorded response in the `responses` target's input form.
fn response_seed(op: &str, response: &Value) -> Vec<u8> {
    let status = response["status"].as_u64().unwrap_or(200);
    let mut out = format!("{op}\n{status}\n");
    if let Some(headers) = response["headers"].as_object() {
        for (name, value) in headers {
            out.push_str(&format!("{name}: {}\n", value.as_str().unwrap_or_default()));
        }
    }
    out.push('\n');
    let mut bytes = out.into_bytes();
    match (&response["body_text"], &response["body"]) {
        (Value::String(text), _) => bytes.extend_from_slice(text.as_bytes()),
        (_, Value::Null) => {}
        (_, body) => bytes.extend_from_slice(body.to_string().as_bytes()),
    }
    bytes
}

/// Every string holding a PEM block in `value`.
fn collect_pems(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains("-----BEGIN ") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_pems(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| collect_pems(v, out)),
        _ => {}
    }
}

/// Configuration files in the forms `~/.ncloud/configure` takes.
const CONFIG_SEEDS: &[(&str, &str)] = &[
    (
        "profiles",
        "[DEFAULT]\nncloud_access_key_id = AK_DEFAULT\nncloud_secret_access_key = SK_DEFAULT_0123456789\nncloud_api_url = https://ncloud.apigw.ntruss.com\n\n[prod]\nncloud_access_key_id = AK_PROD\nncloud_secret_access_key = SK_PROD_0123456789\n",
    ),
    (
        "quoted",
        "[profile staging]\r\nNCLOUD_ACCESS_KEY_ID = \"AK_STAGING\"\r\nncloud_secret_access_key = 'SK\\STAGING_0123'\r\n; comment\r\n# comment\r\n",
    ),
    ("half", "[half]\nncloud_access_key_id = AK_HALF\n"),
    ("broken", "[DEFAULT\nncloud_access_key_id\n= value\n"),
];

/// Answers of the metadata service.
const METADATA_SEEDS: &[(&str, &str)] = &[
    (
        "rfc3339",
        r#"{"AccessKeyId":"AK","SecretAccessKey":"very-secret-0123","Expiration":"2026-01-01T00:00:00Z"}"#,
    ),
    (
        "offset",
        r#"{"AccessKeyId":"AK","SecretAccessKey":"very-secret-0123","Expiration":"2026-01-01T09:00:00.250+09:00"}"#,
    ),
    (
        "millis",
        r#"{"AccessKeyId":"AK","SecretAccessKey":"very-secret-0123","Expiration":1767225600000}"#,
    ),
    ("roles", "role-a\nrole-b\n"),
];
