//! With a state directory, a restart keeps every CA, key, certificate, revocation, CRL setting
//! and user; concurrent writers, kill -9 and damaged files lose nothing that was acknowledged.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ACCESS, Client, Kind, SECRET, ca_request, openssl_csr, openssl_verify};
use pca_core::operations::*;
use pca_core::{CaState, CaType, CrlExpiry, KeyType, Operation, Period};
use pca_emulator::Emulator;
use pca_emulator::loopback::Connection;

fn start_in(dir: &Path) -> Emulator {
    Emulator::builder()
        .credentials(ACCESS, SECRET)
        .state_dir(dir)
        .start()
        .unwrap()
}

fn start_error(dir: &Path) -> String {
    Emulator::builder()
        .state_dir(dir)
        .start()
        .unwrap_err()
        .to_string()
}

/// A P-256 CSR made with rcgen (no openssl needed).
fn rcgen_csr(cn: &str) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.serialize_request(&key).unwrap().pem().unwrap()
}

fn crl_serials(c: &Client, tag: &str) -> BTreeSet<String> {
    let crl = c.call(&GetCaCrl::new(tag).unwrap()).unwrap();
    let der = pem::parse(&crl.pem).unwrap().into_contents();
    let (_, parsed) = x509_parser::parse_x509_crl(&der).unwrap();
    parsed
        .iter_revoked_certificates()
        .map(|r| r.raw_serial_as_string())
        .collect()
}

#[test]
fn state_survives_a_restart() {
    if common::openssl_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (root_tag, pending_tag, root_pem, serial);
    {
        let emu = start_in(dir.path());
        let c = Client::new(&emu);
        let root = c
            .call(&ca_request(
                CaType::PrivateRoot,
                "kept-root",
                KeyType::Rsa2048,
                Period::Max,
                "Kept Root",
            ))
            .unwrap();
        root_tag = root.info.ca_tag.unwrap();
        root_pem = root.cert.unwrap().cert_pem.unwrap();
        pending_tag = c.create_pending_sub("kept-pending", "Kept Sub");
        let csr = rcgen_csr("kept.internal");
        serial = c
            .call(&SignEndCsr::new(&root_tag, &csr).unwrap())
            .unwrap()
            .serial_no
            .unwrap();
        c.call(&RevokeEndCert::new(&root_tag, &serial).unwrap())
            .unwrap();
        c.call(&AddCaUser::new(&root_tag, "6e4c1234-abcd-ef01-2345-67890abc9baa").unwrap())
            .unwrap();
        c.call(&UpdateCrlConfig::new(&root_tag, CrlExpiry::days(7).unwrap()).unwrap())
            .unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("state.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the database holds keys: owner only");
    }
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("state.db")),
        "only the database and its WAL files: {names:?}"
    );

    let emu = start_in(dir.path());
    let c = Client::new(&emu);
    let list = c.call(&GetCaList::new()).unwrap();
    assert_eq!(list.total_count, Some(2));
    let root = c.call(&GetCa::new(&root_tag).unwrap()).unwrap();
    assert_eq!(root.cert.unwrap().cert_pem.unwrap().trim(), root_pem.trim());
    // The restored key still signs under the same root.
    let (_, csr) = openssl_csr(Kind::P256, "after.internal", false);
    let leaf = c.call(&SignEndCsr::new(&root_tag, &csr).unwrap()).unwrap();
    openssl_verify(&root_pem, &[], &leaf.certificate);
    // Revocations, the CRL setting, certificates and users are kept.
    assert!(crl_serials(&c, &root_tag).contains(&serial));
    assert_eq!(
        c.call(&GetCrlConfig::new(&root_tag).unwrap())
            .unwrap()
            .expiry_days,
        Some(7)
    );
    assert_eq!(
        c.call(&GetEndCertList::new(&root_tag).unwrap())
            .unwrap()
            .total_count,
        Some(2)
    );
    assert_eq!(
        c.call(&GetCaUserList::new(&root_tag).unwrap())
            .unwrap()
            .len(),
        1
    );
    // The pending CA's key is kept too: its CSR signs and activates.
    let pending = c.call(&GetSubCsr::new(&pending_tag).unwrap()).unwrap();
    let signed = c
        .call(&SignSubCsr::new(&root_tag, Period::days(30).unwrap(), &pending.csr_pem).unwrap())
        .unwrap();
    let act = c
        .call(&ActivateSubCa::new(&pending_tag, &signed.certificate, signed.chain_pem()).unwrap())
        .unwrap();
    assert_eq!(act.info.status, Some(CaState::Active));
}

#[test]
fn the_tables_are_readable_with_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (tag, serials);
    {
        let emu = start_in(dir.path());
        let c = Client::new(&emu);
        tag = c.create_root("many", "Many Root");
        let csr = rcgen_csr("many.internal");
        let op = SignEndCsr::new(&tag, &csr).unwrap();
        serials = (0..300)
            .map(|_| c.call(&op).unwrap().serial_no.unwrap())
            .collect::<Vec<_>>();
        c.call(&RevokeEndCert::new(&tag, &serials[3]).unwrap())
            .unwrap();
        // A second CA, deleted: its rows go away.
        let gone = c.create_root("gone", "Gone");
        c.call(&SignEndCsr::new(&gone, &csr).unwrap()).unwrap();
        c.call(&UpdateCa::new(&gone, pca_core::CaStatus::Destroying).unwrap())
            .unwrap();
        c.call(&DeleteCa::new(&gone).unwrap()).unwrap();
    }
    {
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("PRAGMA user_version"), 2);
        assert_eq!(count("SELECT count(*) FROM cas"), 1);
        assert_eq!(count("SELECT count(*) FROM certificates"), 300);
        let revoked: String = db
            .query_row("SELECT serial_no FROM revocations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(revoked, serials[3]);
        let mode: String = db
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let emu = start_in(dir.path());
    let c = Client::new(&emu);
    let mut listed = Vec::new();
    let mut page = 1;
    loop {
        let l = c
            .call(&GetEndCertList::new(&tag).unwrap().with_page(page).unwrap())
            .unwrap();
        listed.extend(l.serials);
        if u64::from(page) >= l.total_pages.unwrap() {
            break;
        }
        page += 1;
    }
    assert_eq!(listed, serials);
    assert_eq!(crl_serials(&c, &tag), BTreeSet::from([serials[3].clone()]));
}

#[test]
fn a_damaged_or_foreign_state_is_a_clear_error_at_start() {
    // Not a database at all.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("state.db"),
        b"{ not a database, not even close }",
    )
    .unwrap();
    let e = start_error(dir.path());
    assert!(
        e.contains("state.db") && e.contains("not a pca-emulator state database"),
        "{e}"
    );

    // A database of another application.
    let dir = tempfile::tempdir().unwrap();
    {
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        db.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
            .unwrap();
    }
    let e = start_error(dir.path());
    assert!(e.contains("another application"), "{e}");

    // A newer schema.
    let dir = tempfile::tempdir().unwrap();
    drop(start_in(dir.path()));
    {
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        db.pragma_update(None, "user_version", 99).unwrap();
    }
    let e = start_error(dir.path());
    assert!(e.contains("schema version 99"), "{e}");

    // A row the emulator cannot have written.
    let dir = tempfile::tempdir().unwrap();
    {
        let emu = start_in(dir.path());
        Client::new(&emu).create_root("damaged", "Damaged");
    }
    {
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        db.execute("UPDATE cas SET status = 'MELTING'", []).unwrap();
    }
    let e = start_error(dir.path());
    assert!(e.contains("status") && e.contains("MELTING"), "{e}");

    // The JSON state of earlier versions.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), b"{}").unwrap();
    let e = start_error(dir.path());
    assert!(
        e.contains("state.json") && e.contains("empty directory"),
        "{e}"
    );
}

/// The `pca-emulator` binary on a free port with `dir` as its state directory.
struct Running {
    child: Child,
    client: Arc<Client>,
}

impl Running {
    fn start(dir: &Path) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pca-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--access-key",
                ACCESS,
                "--secret-key",
                SECRET,
                "--state-dir",
            ])
            .arg(dir)
            .env_remove("NCLOUD_ACCESS_KEY")
            .env_remove("NCLOUD_SECRET_KEY")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
        let client = Arc::new(Client {
            addr,
            endpoint: pca_core::Endpoint::allow_insecure_http(&url).unwrap(),
            credentials: pca_core::Credentials::new(ACCESS, SECRET).unwrap(),
        });
        Running { child, client }
    }

    fn signal(mut self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        if sig == "-TERM" {
            assert!(exit.success(), "a graceful stop: {exit:?}");
        }
    }
}

/// Sends `op`; `None` when the server went away before answering.
fn try_call<O: Operation>(conn: &mut Option<Connection>, c: &Client, op: &O) -> Option<O::Output> {
    let ts = common::now();
    let req = op.build_request(&c.endpoint, &c.credentials, ts).unwrap();
    let mut connection = match conn.take() {
        Some(k) => k,
        None => Connection::connect(c.addr).ok()?,
    };
    let resp = connection.send(&req).ok()?;
    *conn = Some(connection);
    Some(O::parse_response(&resp, ts).unwrap_or_else(|e| panic!("refused: {e}")))
}

/// What the writers were told was done (and what they last tried).
#[derive(Debug, Default)]
struct Acked {
    cas: Vec<String>,
    certs: Vec<(String, String)>,
    revoked: Vec<(String, String)>,
    users: Vec<(String, String)>,
    /// (acknowledged, in flight) CRL expiry per CA.
    crl_expiry: std::collections::BTreeMap<String, (u16, Option<u16>)>,
}

fn check(c: &Client, acked: &Acked) {
    let list = c.call(&GetCaList::new()).unwrap();
    assert!(list.total_count.unwrap() >= acked.cas.len() as u64);
    for tag in &acked.cas {
        c.call(&GetCa::new(tag).unwrap())
            .unwrap_or_else(|e| panic!("acknowledged CA {tag} lost: {e}"));
    }
    for (tag, serial) in &acked.certs {
        let got = c
            .call(&GetEndCert::new(tag, serial).unwrap())
            .unwrap_or_else(|e| panic!("acknowledged certificate {serial} lost: {e}"));
        assert_eq!(got.serial_no.as_deref(), Some(serial.as_str()));
    }
    for tag in &acked.cas {
        let on_crl = crl_serials(c, tag);
        for (_, serial) in acked.revoked.iter().filter(|(t, _)| t == tag) {
            assert!(
                on_crl.contains(serial),
                "acknowledged revocation of {serial} lost"
            );
        }
        let users = c.call(&GetCaUserList::new(tag).unwrap()).unwrap();
        for (_, id) in acked.users.iter().filter(|(t, _)| t == tag) {
            assert!(
                users
                    .iter()
                    .any(|u| u.id_no.as_deref() == Some(id.as_str())),
                "acknowledged user {id} lost"
            );
        }
        if let Some((done, trying)) = acked.crl_expiry.get(tag) {
            let got = c
                .call(&GetCrlConfig::new(tag).unwrap())
                .unwrap()
                .expiry_days
                .unwrap();
            assert!(
                got == u64::from(*done) || Some(got) == trying.map(u64::from),
                "CRL expiry {got}: acknowledged {done}, in flight {trying:?}"
            );
        }
    }
}

/// Runs two signing threads and one administrating thread against `c` until `stop` is set or
/// the server goes away.
fn writers(
    c: &Arc<Client>,
    acked: &Arc<Mutex<Acked>>,
    stop: &Arc<AtomicBool>,
    round: usize,
) -> Vec<std::thread::JoinHandle<()>> {
    let tags = acked.lock().unwrap().cas.clone();
    let mut threads = Vec::new();
    for w in 0..2 {
        let (c, acked, stop, tags) = (c.clone(), acked.clone(), stop.clone(), tags.clone());
        threads.push(std::thread::spawn(move || {
            let csr = rcgen_csr(&format!("writer{w}.internal"));
            let mut conn = None;
            let mut mine: Vec<(String, String)> = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let tag = &tags[(i + w) % tags.len()];
                i += 1;
                if i % 4 == 0 {
                    if let Some((t, s)) = mine.pop() {
                        if try_call(&mut conn, &c, &RevokeEndCert::new(&t, &s).unwrap()).is_none() {
                            return;
                        }
                        acked.lock().unwrap().revoked.push((t, s));
                        continue;
                    }
                }
                let Some(out) = try_call(&mut conn, &c, &SignEndCsr::new(tag, &csr).unwrap())
                else {
                    return;
                };
                let serial = out.serial_no.unwrap();
                acked
                    .lock()
                    .unwrap()
                    .certs
                    .push((tag.clone(), serial.clone()));
                mine.push((tag.clone(), serial));
            }
        }));
    }
    let (c, acked, stop) = (c.clone(), acked.clone(), stop.clone());
    threads.push(std::thread::spawn(move || {
        let mut conn = None;
        let mut k = 0u16;
        while !stop.load(Ordering::Relaxed) {
            k += 1;
            let tag = tags[usize::from(k) % tags.len()].clone();
            let days = 3 + k % 20;
            acked
                .lock()
                .unwrap()
                .crl_expiry
                .entry(tag.clone())
                .or_insert((3, None))
                .1 = Some(days);
            let op = UpdateCrlConfig::new(&tag, CrlExpiry::days(u32::from(days)).unwrap()).unwrap();
            if try_call(&mut conn, &c, &op).is_none() {
                return;
            }
            acked
                .lock()
                .unwrap()
                .crl_expiry
                .insert(tag.clone(), (days, None));
            let id = format!("{round:08x}-{k:04x}-0000-0000-000000000000");
            if try_call(&mut conn, &c, &AddCaUser::new(&tag, &id).unwrap()).is_none() {
                return;
            }
            acked.lock().unwrap().users.push((tag, id));
            if k == 3 {
                let alias = format!("crash-{round}");
                let Some(out) = try_call(&mut conn, &c, &common::root_ca(&alias, "Crash")) else {
                    return;
                };
                acked.lock().unwrap().cas.push(out.info.ca_tag.unwrap());
            }
        }
    }));
    threads
}

#[test]
fn concurrent_writers_killed_at_random_moments_lose_nothing_acknowledged() {
    use rand::Rng as _;
    let dir = tempfile::tempdir().unwrap();
    let acked = Arc::new(Mutex::new(Acked::default()));
    {
        let first = Running::start(dir.path());
        let tag = first.client.create_root("crash-root", "Crash Root");
        acked.lock().unwrap().cas.push(tag);
        first.signal("-TERM");
    }
    let mut rng = rand::rng();
    // Three rounds ended by kill -9 at a random moment, one by SIGTERM (a graceful stop).
    for (round, sig) in ["-KILL", "-KILL", "-KILL", "-TERM"].into_iter().enumerate() {
        let running = Running::start(dir.path());
        let c = running.client.clone();
        check(&c, &acked.lock().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let threads = writers(&c, &acked, &stop, round);
        std::thread::sleep(Duration::from_millis(rng.random_range(200..700)));
        if sig == "-TERM" {
            stop.store(true, Ordering::Relaxed);
            for t in threads {
                t.join().unwrap();
            }
            running.signal(sig);
        } else {
            running.signal(sig);
            stop.store(true, Ordering::Relaxed);
            for t in threads {
                t.join().unwrap();
            }
        }
    }
    let last = Running::start(dir.path());
    let a = acked.lock().unwrap();
    assert!(
        a.certs.len() > 20,
        "the writers got work done: {}",
        a.certs.len()
    );
    assert!(!a.revoked.is_empty() && !a.users.is_empty() && a.cas.len() >= 2);
    check(&last.client, &a);
    last.signal("-TERM");
}

#[test]
fn a_schema_1_database_is_migrated_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (tag, serials);
    {
        let emu = start_in(dir.path());
        let c = Client::new(&emu);
        tag = c.create_root("migrated", "Migrated Root");
        let csr = rcgen_csr("migrated.internal");
        serials = (0..3)
            .map(|_| {
                c.call(&SignEndCsr::new(&tag, &csr).unwrap())
                    .unwrap()
                    .serial_no
                    .unwrap()
            })
            .collect::<Vec<_>>();
        c.call(&RevokeEndCert::new(&tag, &serials[1]).unwrap())
            .unwrap();
    }
    // Back to schema 1: certificates and revocations as rowid tables.
    {
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        db.execute_batch(
            "CREATE TABLE c1 (ca_tag TEXT NOT NULL, seq INTEGER NOT NULL, serial_no TEXT NOT NULL,
                common_name TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,
                public_key_algorithm TEXT NOT NULL, signature_algorithm TEXT NOT NULL,
                is_ca INTEGER NOT NULL, ocsp_url TEXT, cert_pem TEXT NOT NULL,
                PRIMARY KEY (ca_tag, seq));
             INSERT INTO c1 SELECT * FROM certificates;
             DROP TABLE certificates;
             ALTER TABLE c1 RENAME TO certificates;
             CREATE TABLE r1 (ca_tag TEXT NOT NULL, serial_no TEXT NOT NULL,
                revoked_at INTEGER NOT NULL, in_crl INTEGER NOT NULL,
                PRIMARY KEY (ca_tag, serial_no));
             INSERT INTO r1 SELECT * FROM revocations;
             DROP TABLE revocations;
             ALTER TABLE r1 RENAME TO revocations;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let emu = start_in(dir.path());
    let c = Client::new(&emu);
    for s in &serials {
        c.call(&GetEndCert::new(&tag, s).unwrap()).unwrap();
    }
    assert_eq!(crl_serials(&c, &tag), BTreeSet::from([serials[1].clone()]));
    drop(emu);
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let sql: String = db
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'certificates'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sql.contains("WITHOUT ROWID"), "{sql}");
}
