//! The state directory: one SQLite database, `state.db`, in WAL mode. All SQL lives here; the
//! service speaks to it in domain terms ([`Db::open`], [`Db::commit`], [`Db::load`]).
//!
//! Why SQLite: a transaction per request, crash safety and readable tables come with it, and
//! `rusqlite`'s bundled build needs no system library. Tables (`sqlite3 DIR/state.db .schema`):
//! `settings`, `cas`, `certificates`, `revocations`, `users`. The schema version is
//! `PRAGMA user_version`; [`MIGRATIONS`] brings an older database up to date at start.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pca_core::{CaType, KeyType};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use crate::store::{Ca, CaRecord, CertRecord, State, Status, SubjectRecord, UserRecord};

/// The database file inside `--state-dir`.
pub(crate) const DB_FILE: &str = "state.db";
/// The manifest of the JSON state format of earlier versions.
const OLD_STATE_FILE: &str = "state.json";
/// `PRAGMA application_id` of an emulator database ("PCAE").
const APPLICATION_ID: i32 = 0x5043_4145;

/// What a commit must survive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// A killed process at any moment (SQLite `synchronous=NORMAL` in WAL mode: a commit is
    /// written to the log before it is answered, the log is fsynced at checkpoints). A power
    /// loss may lose the last commits, never the database's consistency.
    #[default]
    Normal,
    /// A power loss too (`synchronous=FULL`: the log is fsynced at every commit).
    Full,
}

/// The schema, one migration per version: `MIGRATIONS[n]` takes `user_version` n to n + 1.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE cas (
        tag                TEXT PRIMARY KEY,
        id                 INTEGER NOT NULL UNIQUE,
        ca_type            TEXT NOT NULL,
        alias              TEXT NOT NULL,
        memo               TEXT,
        status             TEXT NOT NULL,
        key_type           TEXT NOT NULL,
        common_name        TEXT NOT NULL,
        country            TEXT,
        state_province     TEXT,
        locality           TEXT,
        organization       TEXT,
        organization_unit  TEXT,
        issuer_tag         TEXT,
        period_days        INTEGER,
        rgst_date          INTEGER NOT NULL,
        status_update_date INTEGER NOT NULL,
        destroy_date       INTEGER,
        ocsp_url           TEXT,
        crl_expiry_days    INTEGER NOT NULL,
        crl_number         INTEGER NOT NULL,
        crl_next_update    INTEGER NOT NULL,
        cert_pem           TEXT,
        chain_json         TEXT NOT NULL,
        csr_pem            TEXT,
        crl_pem            TEXT,
        key_pem            TEXT NOT NULL
    );
    CREATE TABLE certificates (
        ca_tag               TEXT NOT NULL,
        seq                  INTEGER NOT NULL,
        serial_no            TEXT NOT NULL,
        common_name          TEXT NOT NULL,
        not_before           INTEGER NOT NULL,
        not_after            INTEGER NOT NULL,
        public_key_algorithm TEXT NOT NULL,
        signature_algorithm  TEXT NOT NULL,
        is_ca                INTEGER NOT NULL,
        ocsp_url             TEXT,
        cert_pem             TEXT NOT NULL,
        PRIMARY KEY (ca_tag, seq)
    );
    CREATE TABLE revocations (
        ca_tag     TEXT NOT NULL,
        serial_no  TEXT NOT NULL,
        revoked_at INTEGER NOT NULL,
        in_crl     INTEGER NOT NULL,
        PRIMARY KEY (ca_tag, serial_no)
    );
    CREATE TABLE users (
        ca_tag   TEXT NOT NULL,
        id_no    TEXT NOT NULL,
        login_id TEXT NOT NULL,
        mbr_no   TEXT NOT NULL,
        PRIMARY KEY (ca_tag, id_no)
    );",
    // 2: certificates and revocations clustered by their key (WITHOUT ROWID): one B-tree
    // written per signing instead of a table and its index.
    "CREATE TABLE certificates_v2 (
        ca_tag               TEXT NOT NULL,
        seq                  INTEGER NOT NULL,
        serial_no            TEXT NOT NULL,
        common_name          TEXT NOT NULL,
        not_before           INTEGER NOT NULL,
        not_after            INTEGER NOT NULL,
        public_key_algorithm TEXT NOT NULL,
        signature_algorithm  TEXT NOT NULL,
        is_ca                INTEGER NOT NULL,
        ocsp_url             TEXT,
        cert_pem             TEXT NOT NULL,
        PRIMARY KEY (ca_tag, seq)
    ) WITHOUT ROWID;
    INSERT INTO certificates_v2 SELECT ca_tag, seq, serial_no, common_name, not_before,
        not_after, public_key_algorithm, signature_algorithm, is_ca, ocsp_url, cert_pem
        FROM certificates;
    DROP TABLE certificates;
    ALTER TABLE certificates_v2 RENAME TO certificates;
    CREATE TABLE revocations_v2 (
        ca_tag     TEXT NOT NULL,
        serial_no  TEXT NOT NULL,
        revoked_at INTEGER NOT NULL,
        in_crl     INTEGER NOT NULL,
        PRIMARY KEY (ca_tag, serial_no)
    ) WITHOUT ROWID;
    INSERT INTO revocations_v2 SELECT ca_tag, serial_no, revoked_at, in_crl FROM revocations;
    DROP TABLE revocations;
    ALTER TABLE revocations_v2 RENAME TO revocations;",
];

/// The open state database.
#[derive(Debug)]
pub(crate) struct Db {
    /// One writing connection; the state lock already orders commits, this lock only makes
    /// the connection shareable.
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

impl Db {
    /// Opens (creating) the database in `dir` and reads the state it holds.
    pub(crate) fn open(dir: &Path, durability: Durability) -> Result<(Db, State), String> {
        if dir.join(OLD_STATE_FILE).exists() {
            return Err(format!(
                "{} holds a state in the JSON format of pca-emulator before 0.1 ({OLD_STATE_FILE} \
                 and certs/); this version keeps its state in {DB_FILE} (SQLite) and does not \
                 read that format: start with an empty directory, or move {OLD_STATE_FILE} and \
                 certs/ away",
                dir.display()
            ));
        }
        create_dir(dir)?;
        let path = dir.join(DB_FILE);
        create_private_file(&path)?;
        let err = sql_err(&path);
        let conn = Connection::open(&path).map_err(&err)?;
        let not_ours = |e: rusqlite::Error| {
            format!(
                "{} is not a pca-emulator state database ({e}); move it away or choose another \
                 --state-dir",
                path.display()
            )
        };
        let app_id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(not_ours)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(not_ours)?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(not_ours)?;
        let fresh = app_id == 0 && version == 0 && tables == 0;
        if !fresh && app_id != APPLICATION_ID {
            return Err(format!(
                "{} is an SQLite database of another application (application_id {app_id:#x}); \
                 move it away or choose another --state-dir",
                path.display()
            ));
        }
        if version > MIGRATIONS.len() {
            return Err(format!(
                "{} has schema version {version}, made by a newer pca-emulator (this one knows up \
                 to {}): use that version",
                path.display(),
                MIGRATIONS.len()
            ));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&err)?;
        conn.pragma_update(
            None,
            "synchronous",
            match durability {
                Durability::Normal => "NORMAL",
                Durability::Full => "FULL",
            },
        )
        .map_err(&err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(&err)?;
        let mut db = Db {
            conn: Mutex::new(conn),
            path: path.clone(),
        };
        db.migrate(version)?;
        let state = db.load()?;
        Ok((db, state))
    }

    fn migrate(&mut self, from: usize) -> Result<(), String> {
        let err = sql_err(&self.path);
        let conn = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from) {
            let tx = conn.transaction().map_err(&err)?;
            tx.execute_batch(sql).map_err(&err)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(&err)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )
            .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
        Ok(())
    }

    /// Reads the whole state.
    pub(crate) fn load(&self) -> Result<State, String> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        load(&conn).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Writes everything `st` marks as changed in one transaction, then marks it clean. On an
    /// error nothing is written (the transaction rolls back) and the marks stay.
    pub(crate) fn commit(&self, st: &mut State) -> rusqlite::Result<()> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction()?;
        write_changes(&tx, st)?;
        tx.commit()?;
        st.mark_clean();
        Ok(())
    }
}

fn create_dir(dir: &Path) -> Result<(), String> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| format!("cannot create state directory {}: {e}", dir.display()))
}

/// Creates the database file owner-only (it holds keys) before SQLite opens it; SQLite gives
/// its `-wal` and `-shm` files the same mode.
fn create_private_file(path: &Path) -> Result<(), String> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
        .map(drop)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

fn bad(what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

fn unsigned(v: i64) -> rusqlite::Result<u64> {
    u64::try_from(v).map_err(|_| bad(format!("negative number {v}")))
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn load(conn: &Connection) -> rusqlite::Result<State> {
    let next_id: u64 = conn
        .query_row(
            "SELECT value FROM settings WHERE name = 'next_id'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .map(|v| v.parse().map_err(|_| bad(format!("next_id {v:?}"))))
        .transpose()?
        .unwrap_or(0);
    let mut records = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT tag, id, ca_type, alias, memo, status, key_type, common_name, country,
                state_province, locality, organization, organization_unit, issuer_tag,
                period_days, rgst_date, status_update_date, destroy_date, ocsp_url,
                crl_expiry_days, crl_number, crl_next_update, cert_pem, chain_json, csr_pem,
                crl_pem, key_pem
         FROM cas ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let tag: String = r.get(0)?;
        let ca_type: String = r.get(2)?;
        let status: String = r.get(5)?;
        let key_type: String = r.get(6)?;
        let chain: String = r.get(23)?;
        records.push(CaRecord {
            id: unsigned(r.get(1)?)?,
            ca_type: ca_type
                .parse::<CaType>()
                .map_err(|_| bad(format!("CA {tag}: caType {ca_type:?}")))?,
            alias: r.get(3)?,
            memo: r.get(4)?,
            status: Status::parse(&status)
                .ok_or_else(|| bad(format!("CA {tag}: status {status:?}")))?,
            key_type: key_type
                .parse::<KeyType>()
                .map_err(|_| bad(format!("CA {tag}: keyType {key_type:?}")))?,
            subject: SubjectRecord {
                common_name: r.get(7)?,
                country: r.get(8)?,
                state_province: r.get(9)?,
                locality: r.get(10)?,
                organization: r.get(11)?,
                organization_unit: r.get(12)?,
            },
            issuer_tag: r.get(13)?,
            period_days: r.get(14)?,
            rgst_date: r.get(15)?,
            status_update_date: r.get(16)?,
            destroy_date: r.get(17)?,
            ocsp_url: r.get(18)?,
            crl_expiry_days: r.get(19)?,
            crl_number: unsigned(r.get(20)?)?,
            crl_next_update: r.get(21)?,
            cert_pem: r.get(22)?,
            chain: serde_json::from_str(&chain)
                .map_err(|e| bad(format!("CA {tag}: chain_json: {e}")))?,
            csr_pem: r.get(24)?,
            crl_pem: r.get(25)?,
            key_pem: r.get(26)?,
            certs: Vec::new(),
            users: Vec::new(),
            tag,
        });
    }
    drop(rows);
    let mut cas = Vec::with_capacity(records.len());
    for mut record in records {
        record.certs = load_certs(conn, &record.tag)?;
        record.users = load_users(conn, &record.tag)?;
        cas.push(Ca::load(record).map_err(bad)?);
    }
    Ok(State {
        next_id,
        cas,
        deleted: Vec::new(),
    })
}

fn load_certs(conn: &Connection, tag: &str) -> rusqlite::Result<Vec<CertRecord>> {
    let mut stmt = conn.prepare(
        "SELECT c.seq, c.serial_no, c.cert_pem, c.common_name, c.not_before, c.not_after,
                c.public_key_algorithm, c.signature_algorithm, c.is_ca, c.ocsp_url,
                r.revoked_at, r.in_crl
         FROM certificates c
         LEFT JOIN revocations r ON r.ca_tag = c.ca_tag AND r.serial_no = c.serial_no
         WHERE c.ca_tag = ?1 ORDER BY c.seq",
    )?;
    let mut rows = stmt.query([tag])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        if usize::try_from(seq).ok() != Some(out.len()) {
            return Err(bad(format!(
                "CA {tag}: certificate {} is missing",
                out.len()
            )));
        }
        out.push(CertRecord {
            serial_no: r.get(1)?,
            cert_pem: r.get(2)?,
            common_name: r.get(3)?,
            not_before: r.get(4)?,
            not_after: r.get(5)?,
            public_key_algorithm: r.get(6)?,
            signature_algorithm: r.get(7)?,
            is_ca: r.get(8)?,
            ocsp: r.get(9)?,
            revoked_at: r.get(10)?,
            in_crl: r.get::<_, Option<bool>>(11)?.unwrap_or(true),
        });
    }
    Ok(out)
}

fn load_users(conn: &Connection, tag: &str) -> rusqlite::Result<Vec<UserRecord>> {
    let mut stmt =
        conn.prepare("SELECT id_no, login_id, mbr_no FROM users WHERE ca_tag = ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([tag], |r| {
        Ok(UserRecord {
            id_no: r.get(0)?,
            login_id: r.get(1)?,
            mbr_no: r.get(2)?,
        })
    })?;
    rows.collect()
}

fn write_changes(tx: &Transaction<'_>, st: &State) -> rusqlite::Result<()> {
    for tag in &st.deleted {
        for sql in [
            "DELETE FROM cas WHERE tag = ?1",
            "DELETE FROM certificates WHERE ca_tag = ?1",
            "DELETE FROM revocations WHERE ca_tag = ?1",
            "DELETE FROM users WHERE ca_tag = ?1",
        ] {
            tx.prepare_cached(sql)?.execute([tag])?;
        }
    }
    let mut rows_written = false;
    for ca in &st.cas {
        let r = &ca.record;
        if ca.dirty.row {
            rows_written = true;
            write_ca(tx, r)?;
        }
        for &i in &ca.dirty.certs {
            let Some(c) = r.certs.get(i) else { continue };
            tx.prepare_cached(
                "INSERT INTO certificates (ca_tag, seq, serial_no, common_name, not_before,
                    not_after, public_key_algorithm, signature_algorithm, is_ca, ocsp_url, cert_pem)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (ca_tag, seq) DO NOTHING",
            )?
            .execute(params![
                r.tag,
                i64::try_from(i).unwrap_or(i64::MAX),
                c.serial_no,
                c.common_name,
                c.not_before,
                c.not_after,
                c.public_key_algorithm,
                c.signature_algorithm,
                c.is_ca,
                c.ocsp,
                c.cert_pem,
            ])?;
            if let Some(at) = c.revoked_at {
                tx.prepare_cached(
                    "INSERT INTO revocations (ca_tag, serial_no, revoked_at, in_crl)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (ca_tag, serial_no)
                     DO UPDATE SET revoked_at = excluded.revoked_at, in_crl = excluded.in_crl",
                )?
                .execute(params![r.tag, c.serial_no, at, c.in_crl])?;
            }
        }
        if ca.dirty.users {
            tx.prepare_cached("DELETE FROM users WHERE ca_tag = ?1")?
                .execute([&r.tag])?;
            for u in &r.users {
                tx.prepare_cached(
                    "INSERT INTO users (ca_tag, id_no, login_id, mbr_no) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![r.tag, u.id_no, u.login_id, u.mbr_no])?;
            }
        }
    }
    if rows_written {
        tx.prepare_cached(
            "INSERT INTO settings (name, value) VALUES ('next_id', ?1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )?
        .execute([st.next_id.to_string()])?;
    }
    Ok(())
}

fn write_ca(tx: &Transaction<'_>, r: &CaRecord) -> rusqlite::Result<()> {
    let chain = serde_json::to_string(&r.chain).map_err(|e| bad(e.to_string()))?;
    let s = &r.subject;
    tx.prepare_cached(
        "INSERT INTO cas (tag, id, ca_type, alias, memo, status, key_type, common_name, country,
            state_province, locality, organization, organization_unit, issuer_tag, period_days,
            rgst_date, status_update_date, destroy_date, ocsp_url, crl_expiry_days, crl_number,
            crl_next_update, cert_pem, chain_json, csr_pem, crl_pem, key_pem)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)
         ON CONFLICT (tag) DO UPDATE SET
            alias = excluded.alias, memo = excluded.memo, status = excluded.status,
            rgst_date = excluded.rgst_date, status_update_date = excluded.status_update_date,
            destroy_date = excluded.destroy_date, ocsp_url = excluded.ocsp_url,
            crl_expiry_days = excluded.crl_expiry_days, crl_number = excluded.crl_number,
            crl_next_update = excluded.crl_next_update, cert_pem = excluded.cert_pem,
            chain_json = excluded.chain_json, csr_pem = excluded.csr_pem,
            crl_pem = excluded.crl_pem",
    )?
    .execute(params![
        r.tag,
        signed(r.id),
        r.ca_type.as_str(),
        r.alias,
        r.memo,
        r.status.as_str(),
        r.key_type.as_str(),
        s.common_name,
        s.country,
        s.state_province,
        s.locality,
        s.organization,
        s.organization_unit,
        r.issuer_tag,
        r.period_days,
        r.rgst_date,
        r.status_update_date,
        r.destroy_date,
        r.ocsp_url,
        r.crl_expiry_days,
        signed(r.crl_number),
        r.crl_next_update,
        r.cert_pem,
        chain,
        r.csr_pem,
        r.crl_pem,
        r.key_pem,
    ])?;
    Ok(())
}
