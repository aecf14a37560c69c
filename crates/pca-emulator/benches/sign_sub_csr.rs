//! Load benchmark: Sign Sub CSR calls per second against an in-process emulator on loopback,
//! EC P-256 CSRs, 8 requests in flight (8 client threads, one keep-alive connection each).
//!
//! Three runs, each on a fresh emulator: state in memory; `--state-dir` with the default
//! durability (`--sync normal`: survives a killed process); `--state-dir` with `--sync full`
//! (survives a power loss: an fsync per commit). Each is bounded in count and time:
//! `PCA_BENCH_REQUESTS` (default 20000, below the documented 30,000 certificates per CA) and
//! `PCA_BENCH_SECONDS` (default 10). `PCA_BENCH_MODES` picks runs (`memory,normal,full`). Run
//! with `cargo bench -p pca-emulator --bench sign_sub_csr`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use pca_core::operations::{CreateCa, SignSubCsr};
use pca_core::{CaType, KeyType, Operation, Period, Timestamp, X509Parameters};
use pca_emulator::loopback::Connection;
use pca_emulator::{Durability, Emulator};

const IN_FLIGHT: usize = 8;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

fn csr(i: usize) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("bench sub {i}"));
    params
        .serialize_request(&key)
        .expect("csr")
        .pem()
        .expect("pem")
}

fn main() {
    let modes = std::env::var("PCA_BENCH_MODES").unwrap_or_else(|_| "memory,normal,full".into());
    for mode in modes.split(',').map(str::trim) {
        let durability = match mode {
            "memory" => None,
            "normal" => Some(Durability::Normal),
            "full" => Some(Durability::Full),
            other => panic!("PCA_BENCH_MODES: unknown mode {other:?} (memory, normal, full)"),
        };
        run(mode, durability);
    }
}

fn run(mode: &str, durability: Option<Durability>) {
    let max_requests = env_u64("PCA_BENCH_REQUESTS", 20_000);
    let max_time = Duration::from_secs(env_u64("PCA_BENCH_SECONDS", 10));
    let state_dir = durability.map(|_| tempfile::tempdir().expect("temporary directory"));
    let mut builder = Emulator::builder();
    if let (Some(dir), Some(d)) = (&state_dir, durability) {
        builder = builder.state_dir(dir.path()).durability(d);
    }
    let emulator = builder.start().expect("emulator starts");
    let endpoint = emulator.endpoint();
    let credentials = emulator.credentials();
    let addr = emulator.addr();

    let create = CreateCa::builder()
        .ca_type(CaType::PrivateRoot)
        .alias("bench-root")
        .key_type(KeyType::Ec256)
        .period(Period::Max)
        .x509_parameters(X509Parameters::new("Bench Root"))
        .build()
        .expect("create");
    let ts = now();
    let resp = Connection::connect(addr)
        .and_then(|mut c| {
            c.send(
                &create
                    .build_request(&endpoint, &credentials, ts)
                    .expect("req"),
            )
        })
        .expect("send");
    let root = CreateCa::parse_response(&resp, ts).expect("root created");
    let tag = root.info.ca_tag.expect("tag");

    let ops: Arc<Vec<SignSubCsr>> = Arc::new(
        (0..64)
            .map(|i| SignSubCsr::new(&tag, Period::days(365).expect("period"), csr(i)).expect("op"))
            .collect(),
    );
    let issued = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + max_time;
    let threads: Vec<_> = (0..IN_FLIGHT)
        .map(|t| {
            let (ops, issued, failed) = (ops.clone(), issued.clone(), failed.clone());
            let (endpoint, credentials) = (endpoint.clone(), credentials.clone());
            std::thread::spawn(move || {
                let mut conn = Connection::connect(addr).expect("connect");
                let mut latencies = Vec::new();
                let mut i = t;
                loop {
                    if Instant::now() >= deadline
                        || issued.fetch_add(1, Ordering::Relaxed) >= max_requests
                    {
                        break;
                    }
                    let op = &ops[i % ops.len()];
                    i += IN_FLIGHT;
                    let ts = now();
                    let req = op.build_request(&endpoint, &credentials, ts).expect("req");
                    let t0 = Instant::now();
                    match conn.send(&req) {
                        Ok(resp) if SignSubCsr::parse_response(&resp, ts).is_ok() => {
                            latencies.push(t0.elapsed());
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            conn = Connection::connect(addr).expect("reconnect");
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client thread"))
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    let ok = latencies.len();
    let pct = |p: f64| {
        latencies
            .get(((ok as f64 * p) as usize).min(ok.saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "sign_sub_csr ({mode}{}): {ok} calls in {:.2} s = {:.0} calls/s ({IN_FLIGHT} in flight, EC P-256 CSRs, EC256 root); \
         failed {}; latency p50 {:.2} ms, p99 {:.2} ms",
        match durability {
            None => ", state in memory",
            Some(_) => ", --state-dir",
        },
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64(),
        failed.load(Ordering::Relaxed),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}
