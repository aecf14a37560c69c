//! `pca-emulator`: a local NAVER Cloud Platform Private CA server.

use std::io::Write as _;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use pca_emulator::{Durability, Emulator};

/// A local NAVER Cloud Platform Private CA server with real X.509 certificates.
#[derive(Debug, Parser)]
#[command(name = "pca-emulator", version)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = pca_emulator::DEFAULT_LISTEN)]
    listen: String,
    /// Access key to accept; repeat with --secret-key for several pairs (paired in order).
    #[arg(long = "access-key", env = "NCLOUD_ACCESS_KEY", value_name = "KEY")]
    access_keys: Vec<String>,
    /// Secret key of the access key at the same position.
    #[arg(
        long = "secret-key",
        env = "NCLOUD_SECRET_KEY",
        value_name = "SECRET",
        hide_env_values = true
    )]
    secret_keys: Vec<String>,
    /// Keep the state (CAs, keys, certificates) in this directory across restarts.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// What a change in --state-dir survives: `normal`, a killed process; `full`, a power
    /// loss too (an fsync per change).
    #[arg(long, value_name = "MODE", default_value = "normal")]
    sync: SyncMode,
    /// The emulator's URL as clients reach it; certificates carry URL/ext/CA_TAG/crl and
    /// URL/ext/CA_TAG/ca (default: http:// and the listening address).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Seconds a client has to send a request's head, and then its body.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    request_timeout: u64,
    /// Seconds a keep-alive connection may stay open without a request.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    idle_timeout: u64,
    /// Most connections open at once; more are closed at once.
    #[arg(long, value_name = "N", default_value_t = pca_emulator::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Largest difference, in seconds, between a request's timestamp and this clock.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    max_clock_skew: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SyncMode {
    Normal,
    Full,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    if args.access_keys.is_empty() {
        eprintln!(
            "pca-emulator: give at least one --access-key KEY --secret-key SECRET \
             (or NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY)"
        );
        return ExitCode::from(2);
    }
    if args.access_keys.len() != args.secret_keys.len() {
        eprintln!(
            "pca-emulator: {} access keys but {} secret keys: give them in pairs",
            args.access_keys.len(),
            args.secret_keys.len()
        );
        return ExitCode::from(2);
    }
    if args
        .access_keys
        .iter()
        .chain(&args.secret_keys)
        .any(|k| k.is_empty() || k.chars().any(|c| c.is_control() || c.is_whitespace()))
    {
        eprintln!("pca-emulator: keys must be non-empty and hold no whitespace");
        return ExitCode::from(2);
    }
    let listen: SocketAddr = match args.listen.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(addr)) => addr,
        _ => {
            eprintln!(
                "pca-emulator: cannot use {:?} as a listen address",
                args.listen
            );
            return ExitCode::from(2);
        }
    };
    let mut builder = Emulator::builder()
        .listen(listen)
        .max_clock_skew(std::time::Duration::from_secs(args.max_clock_skew))
        .request_timeout(std::time::Duration::from_secs(args.request_timeout))
        .idle_timeout(std::time::Duration::from_secs(args.idle_timeout))
        .max_connections(args.max_connections);
    for (a, s) in args.access_keys.iter().zip(&args.secret_keys) {
        builder = builder.credentials(a.clone(), s.clone());
    }
    if let Some(url) = &args.public_url {
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.bytes().any(|b| !b.is_ascii_graphic())
        {
            eprintln!("pca-emulator: --public-url must be an absolute http(s) URL, got {url:?}");
            return ExitCode::from(2);
        }
        builder = builder.public_url(url.clone());
    }
    if let Some(dir) = &args.state_dir {
        builder = builder.state_dir(dir).durability(match args.sync {
            SyncMode::Normal => Durability::Normal,
            SyncMode::Full => Durability::Full,
        });
    }
    let emulator = match builder.spawn().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("pca-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stop = signals();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", emulator.base_url());
        let _ = out.flush();
    }
    tracing::info!(
        addr = %emulator.addr(),
        access_keys = args.access_keys.len(),
        persistent = args.state_dir.is_some(),
        "pca-emulator started"
    );
    stop.await;
    tracing::info!("stopping");
    emulator.shutdown();
    ExitCode::SUCCESS
}

/// Waits for SIGINT or SIGTERM. The handlers are installed when this is called, before the
/// "listening on" line is printed: a signal sent as soon as that line is read stops the
/// emulator cleanly instead of killing it.
#[cfg(unix)]
fn signals() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let int = signal(SignalKind::interrupt());
    let term = signal(SignalKind::terminate());
    async move {
        match (int, term) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

#[cfg(not(unix))]
fn signals() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
