//! `cargo xtask build-times [ROUNDS]`: clean debug build times of the library crates and of the
//! `pca` binary, next to an anchor built the same way in the same run.
//!
//! The anchor is what a Rust user of AWS Private CA compiles: `aws-sdk-acmpca`, `aws-config`
//! and `tokio`, in a scratch Cargo project written to a temporary directory (dependencies from
//! crates.io, resolved when the project is made). Every build is `cargo build` (debug) into a
//! fresh target directory, one after the other, with cargo's default parallelism; sources are
//! fetched before any clock starts, so downloads are not timed. The table gives the wall time,
//! the number of crates compiled and the ratio to the anchor; with several rounds, the median
//! of each. Not part of CI: it takes minutes of every core.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The anchor project's manifest: the AWS SDK's Private CA client as its guide recommends it.
const ANCHOR_MANIFEST: &str = r#"[package]
name = "anchor-aws-acmpca"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
aws-config = { version = "1", features = ["behavior-version-latest"] }
aws-sdk-acmpca = "1"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
"#;

/// The anchor's code: a client, one call, so that the whole SDK is used.
const ANCHOR_MAIN: &str = r#"#[tokio::main]
async fn main() {
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_acmpca::Client::new(&config);
    let answer = client.list_certificate_authorities().send().await;
    println!("{}", answer.is_ok());
}
"#;

/// What is built: a label and the `cargo build` arguments after the target directory.
struct Subject {
    label: &'static str,
    args: Vec<String>,
}

/// One timed build.
struct Measured {
    elapsed: Duration,
    crates: usize,
}

/// Runs `cargo build` with `args` into the fresh directory `target`; the time and the number
/// of crates compiled, or why it failed.
fn timed_build(cargo: &str, args: &[String], target: &Path) -> Result<Measured, String> {
    let _ = std::fs::remove_dir_all(target);
    let started = Instant::now();
    let out = Command::new(cargo)
        .arg("build")
        .args(args)
        .arg("--target-dir")
        .arg(target)
        // A compiler cache would make the build not clean.
        .env_remove("RUSTC_WRAPPER")
        .output()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("cargo build {} failed:\n{stderr}", args.join(" ")));
    }
    let crates = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    let _ = std::fs::remove_dir_all(target);
    Ok(Measured { elapsed, crates })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Writes the anchor project under `dir`, resolves and fetches its dependencies.
fn make_anchor(cargo: &str, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let manifest = dir.join("Cargo.toml");
    std::fs::write(&manifest, ANCHOR_MANIFEST).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/main.rs"), ANCHOR_MAIN).map_err(|e| e.to_string())?;
    let ok = Command::new(cargo)
        .arg("fetch")
        .arg("--manifest-path")
        .arg(&manifest)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(manifest)
    } else {
        Err("cannot fetch the anchor's dependencies".to_owned())
    }
}

/// The version cargo resolved for `name` in the lock file next to `manifest`.
fn locked_version(manifest: &Path, name: &str) -> String {
    let lock = std::fs::read_to_string(manifest.with_file_name("Cargo.lock")).unwrap_or_default();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return v.trim_matches('"').to_owned();
            }
        }
    }
    "?".to_owned()
}

/// The task. `rounds` builds of each subject, interleaved round by round.
pub(crate) fn build_times(rounds: usize) -> bool {
    let scratch = std::env::temp_dir().join(format!("pca-build-times-{}", std::process::id()));
    let result = run(rounds.max(1), &scratch);
    // Builds take gigabytes: nothing is left behind, whatever happened.
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(table) => {
            println!("{table}");
            true
        }
        Err(e) => {
            eprintln!("xtask build-times: {e}");
            false
        }
    }
}

fn run(rounds: usize, scratch: &Path) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let anchor = make_anchor(&cargo, &scratch.join("anchor"))?;
    if !Command::new(&cargo)
        .arg("fetch")
        .status()
        .is_ok_and(|s| s.success())
    {
        return Err("cannot fetch the workspace's dependencies".to_owned());
    }
    let package = |label: &'static str| Subject {
        label,
        args: vec!["-p".to_owned(), label.to_owned()],
    };
    let subjects = [
        package("pca-core"),
        package("pca-blocking"),
        package("pca-async"),
        package("pca-cli"),
        Subject {
            label: "anchor",
            args: vec!["--manifest-path".to_owned(), anchor.display().to_string()],
        },
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); subjects.len()];
    let mut crates = vec![0; subjects.len()];
    for round in 1..=rounds {
        for (i, s) in subjects.iter().enumerate() {
            eprintln!("xtask build-times: round {round}/{rounds}: {}", s.label);
            let m = timed_build(&cargo, &s.args, &scratch.join("target"))?;
            eprintln!(
                "xtask build-times: {} took {:.1} s ({} crates)",
                s.label,
                m.elapsed.as_secs_f64(),
                m.crates
            );
            times[i].push(m.elapsed);
            crates[i] = m.crates;
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let anchor_time = medians[subjects.len() - 1].as_secs_f64();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Clean debug builds, {rounds} round(s){}; anchor: aws-sdk-acmpca {} + aws-config {} + tokio {}",
        if rounds > 1 { ", medians" } else { "" },
        locked_version(&anchor, "aws-sdk-acmpca"),
        locked_version(&anchor, "aws-config"),
        locked_version(&anchor, "tokio"),
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "| build | crates compiled | seconds | ratio to anchor |");
    let _ = writeln!(t, "|---|---|---|---|");
    for ((s, m), n) in subjects.iter().zip(&medians).zip(&crates) {
        let secs = m.as_secs_f64();
        let _ = writeln!(
            t,
            "| {} | {n} | {secs:.1} | {:.2}× |",
            s.label,
            secs / anchor_time
        );
    }
    let blocking = medians[1].as_secs_f64();
    let _ = writeln!(
        t,
        "\npca-blocking / anchor = {:.2}× (goal ≤ 0.30×)",
        blocking / anchor_time
    );
    Ok(t)
}
