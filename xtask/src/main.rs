//! Project automation: `cargo xtask <task>`.
//!
//! - `ci`: format check, clippy with warnings denied, every test, documentation without
//!   warnings, the public API listings up to date: what `.ci/run` runs.
//! - `api [--check]`: writes (or checks) the public API listings `api/<crate>.txt` (see
//!   `api.rs`).
//! - `bench`: the benchmarks, results summarised in `BENCHMARKS.md` (the core's divan benches,
//!   then `bench-transports`, the transports against a loopback server, see `bench.rs`; then
//!   Sign Sub CSR calls per second against the emulator).
//! - `build-times [ROUNDS]`: clean debug build times of the crates next to the AWS SDK's Private
//!   CA client (see `build_times.rs`); not part of CI, results in `BENCHMARKS.md`.
//! - `fuzz [SECONDS [TARGET...]]`: every fuzz target of `fuzz/` (or the ones named) for
//!   SECONDS each (default 60) on the nightly toolchain, seeded from `tests/fixtures` (see
//!   `fuzz.rs`); not part of CI.
//! - `record`: re-records `tests/fixtures/<operation>/emulator.json` from the emulator.

use std::process::{Command, ExitCode};

mod api;
mod bench;
mod build_times;
mod fuzz;
mod record;

/// Runs a program with arguments and extra environment variables; `true` on success.
pub(crate) type Run = dyn Fn(&str, &[&str], &[(&str, &str)]) -> bool;

/// One step of `ci`: cargo arguments and extra environment variables.
struct Step<'a> {
    args: Vec<&'a str>,
    envs: Vec<(&'a str, &'a str)>,
}

fn run(program: &str, args: &[&str], envs: &[(&str, &str)]) -> bool {
    eprintln!("xtask: running {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("xtask: cannot start {program}: {e}");
            false
        }
    }
}

fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ci() -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let step =
        |args: Vec<&'static str>, envs: Vec<(&'static str, &'static str)>| Step { args, envs };
    let steps = vec![
        step(vec!["fmt", "--all", "--", "--check"], vec![]),
        step(
            vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            vec![],
        ),
        step(
            vec![
                "clippy",
                "-p",
                "pca-core",
                "--no-default-features",
                "--",
                "-D",
                "warnings",
            ],
            vec![],
        ),
        if has_nextest() {
            step(
                vec!["nextest", "run", "--workspace", "--no-fail-fast"],
                vec![],
            )
        } else {
            step(vec!["test", "--workspace", "--no-fail-fast"], vec![])
        },
        // pca-core without its default `x509` feature is a supported build: test it too.
        step(
            vec!["test", "-p", "pca-core", "--no-default-features", "--tests"],
            vec![],
        ),
        // The workspace build turns pca-core's `p521` on (pca enables it); its default build
        // checks P-521 links by name only, which this test covers.
        step(
            vec!["test", "-p", "pca-core", "--test", "p521_answers"],
            vec![],
        ),
        step(vec!["test", "--workspace", "--doc"], vec![]),
        step(
            vec!["doc", "--workspace", "--no-deps"],
            vec![("RUSTDOCFLAGS", "-D warnings")],
        ),
    ];
    steps.into_iter().all(|s| run(&cargo, &s.args, &s.envs)) && api::api(true)
}

fn bench() -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    bench::bench(&run)
        && run(
            &cargo,
            &["bench", "-p", "pca-emulator", "--bench", "sign_sub_csr"],
            &[],
        )
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let ok = match task.as_str() {
        "ci" => ci(),
        "bench" => bench(),
        "record" => record::record(&run),
        "bench-transports" => bench::transports(),
        "api" => match std::env::args().nth(2).as_deref() {
            None => api::api(false),
            Some("--check") => api::api(true),
            Some(_) => {
                eprintln!("usage: cargo xtask api [--check]");
                return ExitCode::from(2);
            }
        },
        "build-times" => {
            let rounds = std::env::args().nth(2).map(|r| r.parse::<usize>());
            match rounds {
                None => build_times::build_times(1),
                Some(Ok(n)) => build_times::build_times(n),
                Some(Err(_)) => {
                    eprintln!("usage: cargo xtask build-times [ROUNDS]");
                    return ExitCode::from(2);
                }
            }
        }
        "fuzz" => {
            let only: Vec<String> = std::env::args().skip(3).collect();
            match std::env::args().nth(2).map(|s| s.parse::<u64>()) {
                None => fuzz::fuzz(60, &only, &run),
                Some(Ok(seconds)) if seconds > 0 => fuzz::fuzz(seconds, &only, &run),
                Some(_) => {
                    eprintln!("usage: cargo xtask fuzz [SECONDS [TARGET...]]");
                    return ExitCode::from(2);
                }
            }
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|api [--check]|bench|bench-transports|build-times [ROUNDS]|record|fuzz [SECONDS [TARGET...]]>"
            );
            return ExitCode::from(2);
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
