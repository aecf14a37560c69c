//! `pca`: the command line for NAVER Cloud Platform's Private CA.
//!
//! Every one of the 24 operations, grouped as `pca ca|sub|cert|crl|ocsp|users`, local helpers
//! that need no server (`pca csr new`, `pca inspect`, `pca verify`), `pca demo` (the whole
//! sub-CA story on the embedded emulator) and `--local` (any command against an emulator
//! started inside the process). Exit codes are listed in `pca --help` and in [`exit`].
//!
//! One crypto library, ring; P-521 signatures, which ring cannot verify, are verified with
//! pca-core's `p521` feature (pure Rust, always on). The `ec521` feature only lets the embedded
//! emulator make EC521 (P-521) keys, through aws-lc-rs.

mod cli;
mod client;
mod commands;
mod exit;
mod files;
mod output;
mod x509view;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::output::{Report, Ui};

fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let default = match verbose {
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PCA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}

fn dispatch(cli: &Cli, ui: &Ui) -> exit::Result<Report> {
    let ctx = Ctx {
        global: &cli.global,
        ui,
    };
    match &cli.command {
        Command::Ca(c) => commands::ca::run(c, &ctx),
        Command::Sub(c) => commands::sub::run(c, &ctx),
        Command::Cert(c) => commands::cert::run(c, &ctx),
        Command::Crl(c) => commands::crl::crl(c, &ctx),
        Command::Ocsp(c) => commands::crl::ocsp(c, &ctx),
        Command::Users(c) => commands::crl::users(c, &ctx),
        Command::Csr(cli::CsrCommand::New(a)) => commands::csr::new(a, ui),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Verify(a) => commands::verify::run(a),
        Command::Demo(a) => commands::demo::run(a, &cli.global, ui),
        Command::Completions { .. } => unreachable!("handled before dispatch"),
    }
}

fn fail(ui: &Ui, err: &CliError, print_json: bool) -> ExitCode {
    if print_json && ui.is_json() {
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, &err.to_json());
        let _ = writeln!(out);
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {}", err.message);
    for h in &err.hints {
        let _ = writeln!(stderr, "  hint: {h}");
    }
    ExitCode::from(err.kind.code())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    if let Command::Completions { shell } = &cli.command {
        let mut cmd = Cli::command();
        clap_complete::generate(*shell, &mut cmd, "pca", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let ui = Ui::new(cli.global.output, cli.global.quiet);
    match dispatch(&cli, &ui) {
        Ok(report) => {
            if let Err(e) = ui.print(&report) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return fail(
                        &ui,
                        &CliError::local(format!("cannot write the output: {e}")),
                        false,
                    );
                }
            }
            match &report.failure {
                Some(err) => fail(&ui, err, false),
                None => ExitCode::SUCCESS,
            }
        }
        Err(err) => fail(&ui, &err, true),
    }
}
