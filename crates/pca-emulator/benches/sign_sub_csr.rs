//! Load benchmark: Sign Sub CSR calls per second against an in-process emulator on loopback,
//! EC P-256 CSRs, 8 requests in flight (8 client threads, one keep-alive connection each).
//!
//! Bounded in count and time: `PCA_BENCH_REQUESTS` (default 20000, below the documented
//! 30,000 certificates per CA) and `PCA_BENCH_SECONDS` (default 20); `PCA_BENCH_PERSIST=1`
//! keeps the state in a temporary `--state-dir`. Run with
//! `cargo bench -p pca-emulator --bench sign_sub_csr`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use pca_core::operations::{CreateCa, SignSubCsr};
use pca_core::{CaType, KeyType, Operation, Period, Timestamp, X509Parameters};
use pca_emulator::Emulator;
use pca_emulator::loopback::Connection;

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
    let max_requests = env_u64("PCA_BENCH_REQUESTS", 20_000);
    let max_time = Duration::from_secs(env_u64("PCA_BENCH_SECONDS", 20));
    // With PCA_BENCH_PERSIST=1 the state is kept in a temporary directory (every signing is
    // written to disk before it is answered).
    let state_dir = (std::env::var("PCA_BENCH_PERSIST").as_deref() == Ok("1"))
        .then(|| tempfile::tempdir().expect("temporary directory"));
    let mut builder = Emulator::builder();
    if let Some(dir) = &state_dir {
        builder = builder.state_dir(dir.path());
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
        "sign_sub_csr{}: {ok} calls in {:.2} s = {:.0} calls/s ({IN_FLIGHT} in flight, EC P-256 CSRs, EC256 root); \
         failed {}; latency p50 {:.2} ms, p99 {:.2} ms",
        if state_dir.is_some() {
            " (persistent)"
        } else {
            ""
        },
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64(),
        failed.load(Ordering::Relaxed),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}
