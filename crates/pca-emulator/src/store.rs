//! The emulator's state: CAs, their keys, certificates, CRLs and users; optionally persisted to
//! a directory, written atomically (temporary file, fsync, rename, fsync of the directory).
//!
//! On disk: `state.json`, the manifest (every CA's record, keys included, and the names of its
//! certificate files), and `certs/<tag>-<n>-<generation>.json`, the CA's certificates in runs of
//! [`CHUNK`]. A commit writes only the runs that changed, under new names, then the manifest;
//! a crash at any point leaves the previous manifest and the files it names intact.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pca_core::KeyType;
use serde::{Deserialize, Serialize};

use crate::pki::{self, Signer};

/// The name of the state file (the manifest) inside `--state-dir`.
pub(crate) const STATE_FILE: &str = "state.json";
/// The directory of certificate files inside `--state-dir`.
pub(crate) const CERTS_DIR: &str = "certs";

/// One certificate a CA signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertRecord {
    /// Colon-separated lower-case hex.
    pub(crate) serial_no: String,
    pub(crate) cert_pem: String,
    pub(crate) common_name: String,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    pub(crate) public_key_algorithm: String,
    pub(crate) signature_algorithm: String,
    /// `true` for a sub-CA certificate (Sign Sub CSR, Create CA with `issuerTag`).
    pub(crate) is_ca: bool,
    /// When it was revoked.
    pub(crate) revoked_at: Option<i64>,
    /// `false` once Trim CA dropped it (expired) from the CRL.
    #[serde(default = "yes")]
    pub(crate) in_crl: bool,
    /// The OCSP URL written into it, if any.
    pub(crate) ocsp: Option<String>,
}

fn yes() -> bool {
    true
}

/// A sub account with rights on a CA.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserRecord {
    pub(crate) id_no: String,
    pub(crate) login_id: String,
    pub(crate) mbr_no: String,
}

/// The subject fields of `x509Parameters`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubjectRecord {
    pub(crate) common_name: String,
    pub(crate) country: Option<String>,
    pub(crate) state_province: Option<String>,
    pub(crate) locality: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) organization_unit: Option<String>,
}

/// A CA as stored.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaRecord {
    pub(crate) tag: String,
    pub(crate) id: u64,
    /// `PRIVATE_ROOT` or `PRIVATE_SUB`.
    pub(crate) ca_type: String,
    pub(crate) alias: String,
    pub(crate) memo: Option<String>,
    /// `ACTIVE`, `PENDING`, `DEACTIVATED` or `DESTROYING`.
    pub(crate) status: String,
    pub(crate) key_type: KeyType,
    /// PKCS#8 PEM. Written only to the state file (mode 0600).
    pub(crate) key_pem: String,
    /// The subject asked for at creation.
    pub(crate) subject: SubjectRecord,
    /// The parent CA that signed this CA's certificate here, if any.
    pub(crate) issuer_tag: Option<String>,
    /// The CA certificate (PEM), once signed.
    pub(crate) cert_pem: Option<String>,
    /// The issuer's chain, issuer first, root last (PEM each); empty for a root.
    pub(crate) chain: Vec<String>,
    /// The CSR of a pending sub CA.
    pub(crate) csr_pem: Option<String>,
    /// The requested period of a pending sub CA, in days (`None` for `MAX`).
    pub(crate) period_days: Option<u32>,
    pub(crate) rgst_date: i64,
    pub(crate) status_update_date: i64,
    pub(crate) destroy_date: Option<i64>,
    pub(crate) ocsp_url: Option<String>,
    pub(crate) crl_expiry_days: u32,
    pub(crate) crl_number: u64,
    pub(crate) crl_pem: Option<String>,
    pub(crate) crl_next_update: i64,
    pub(crate) signing_count: u64,
    /// Stored in the certificate files, not in the manifest.
    #[serde(skip)]
    pub(crate) certs: Vec<CertRecord>,
    pub(crate) users: Vec<UserRecord>,
}

impl std::fmt::Debug for CaRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaRecord")
            .field("tag", &self.tag)
            .field("alias", &self.alias)
            .field("status", &self.status)
            .field("key_pem", &"** redacted **")
            .field("certs", &self.certs.len())
            .finish_non_exhaustive()
    }
}

/// Certificates are stored in files of this many records.
pub(crate) const CHUNK: usize = 256;

/// Where a run of [`CHUNK`] certificates is stored.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunk {
    /// The file holding its last durable version.
    file: Option<String>,
    /// The generation that wrote `file`.
    file_gen: u64,
    /// 0 when `file` is current; the generation of the commit that will write it; `u64::MAX`
    /// when changed and not yet in a commit.
    dirty_gen: u64,
}

/// A CA in memory: its record, its signer (once it has a certificate), an index of its
/// certificates by serial number, and where its certificates are stored.
#[derive(Debug)]
pub(crate) struct Ca {
    pub(crate) record: CaRecord,
    pub(crate) signer: Option<Arc<Signer>>,
    pub(crate) index: HashMap<String, usize>,
    /// Signings under way (reserved against the per-CA limit).
    pub(crate) reserved: u64,
    chunks: Vec<Chunk>,
}

impl Ca {
    /// A new CA (nothing stored yet).
    pub(crate) fn new(record: CaRecord, signer: Option<Arc<Signer>>) -> Ca {
        Ca {
            record,
            signer,
            index: HashMap::new(),
            reserved: 0,
            chunks: Vec::new(),
        }
    }

    /// A CA from its stored record and certificate files, loading its key and certificate.
    fn load(record: CaRecord, files: Vec<String>, gen_of_files: u64) -> Result<Self, String> {
        let signer = match &record.cert_pem {
            Some(pem) => {
                let key = pki::load_key(record.key_type, &record.key_pem)
                    .map_err(|e| format!("CA {}: key: {}", record.tag, e.0))?;
                let der = pki::pem_der(pem)
                    .ok_or_else(|| format!("CA {}: certificate is not PEM", record.tag))?;
                Some(Arc::new(
                    Signer::new(key, &der).map_err(|e| format!("CA {}: {}", record.tag, e.0))?,
                ))
            }
            None => None,
        };
        let index = record
            .certs
            .iter()
            .enumerate()
            .map(|(i, c)| (pki::serial_key(&c.serial_no), i))
            .collect();
        let chunks = files
            .into_iter()
            .map(|f| Chunk {
                file: Some(f),
                file_gen: gen_of_files,
                dirty_gen: 0,
            })
            .collect();
        Ok(Ca {
            record,
            signer,
            index,
            reserved: 0,
            chunks,
        })
    }

    /// Marks the stored run holding certificate `i` as changed.
    pub(crate) fn touch(&mut self, i: usize) {
        let c = i / CHUNK;
        while self.chunks.len() <= c {
            self.chunks.push(Chunk::default());
        }
        self.chunks[c].dirty_gen = u64::MAX;
    }

    /// Adds a signed certificate.
    pub(crate) fn push_cert(&mut self, cert: CertRecord) {
        let i = self.record.certs.len();
        self.index.insert(pki::serial_key(&cert.serial_no), i);
        self.record.certs.push(cert);
        self.record.signing_count += 1;
        self.touch(i);
    }

    /// The CA's own certificate followed by its issuer chain.
    pub(crate) fn full_chain(&self) -> Vec<String> {
        self.record
            .cert_pem
            .iter()
            .cloned()
            .chain(self.record.chain.iter().cloned())
            .collect()
    }
}

/// Everything the emulator knows.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) next_id: u64,
    pub(crate) cas: Vec<Ca>,
    /// Bumped on every change.
    pub(crate) generation: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaOut<'a> {
    #[serde(flatten)]
    record: &'a CaRecord,
    cert_files: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateOut<'a> {
    version: u32,
    generation: u64,
    next_id: u64,
    cas: Vec<CaOut<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaIn {
    #[serde(flatten)]
    record: CaRecord,
    #[serde(default)]
    cert_files: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateIn {
    version: u32,
    #[serde(default)]
    generation: u64,
    next_id: u64,
    cas: Vec<CaIn>,
}

/// What one commit writes: the changed certificate files, then the manifest.
#[derive(Debug)]
pub(crate) struct Snapshot {
    generation: u64,
    manifest: Vec<u8>,
    chunks: Vec<(String, Vec<u8>)>,
    /// (CA tag, chunk index, file) of every chunk written.
    written: Vec<(String, usize, String)>,
    referenced: HashSet<String>,
}

impl State {
    /// The CA with tag `tag`.
    pub(crate) fn ca(&self, tag: &str) -> Option<&Ca> {
        self.cas.iter().find(|c| c.record.tag == tag)
    }

    /// The CA with tag `tag`, mutable.
    pub(crate) fn ca_mut(&mut self, tag: &str) -> Option<&mut Ca> {
        self.cas.iter_mut().find(|c| c.record.tag == tag)
    }

    /// What the commit of the current generation writes: the manifest and every changed run
    /// of certificates.
    pub(crate) fn snapshot(&mut self) -> Snapshot {
        let g = self.generation;
        let mut chunks = Vec::new();
        let mut written = Vec::new();
        let mut referenced = HashSet::new();
        let mut files_of = Vec::with_capacity(self.cas.len());
        for ca in &mut self.cas {
            let n = ca.record.certs.len().div_ceil(CHUNK);
            ca.chunks.resize(n, Chunk::default());
            let mut files = Vec::with_capacity(n);
            for (i, chunk) in ca.chunks.iter_mut().enumerate() {
                let current = chunk.file.clone().filter(|_| chunk.dirty_gen == 0);
                let name = match current {
                    Some(f) => f,
                    None => {
                        let name = format!("{}-{i}-{g}.json", ca.record.tag);
                        let end = ((i + 1) * CHUNK).min(ca.record.certs.len());
                        let bytes = serde_json::to_vec(&ca.record.certs[i * CHUNK..end])
                            .unwrap_or_default();
                        chunks.push((name.clone(), bytes));
                        written.push((ca.record.tag.clone(), i, name.clone()));
                        if chunk.dirty_gen == u64::MAX || chunk.dirty_gen == 0 {
                            chunk.dirty_gen = g;
                        }
                        name
                    }
                };
                referenced.insert(name.clone());
                files.push(name);
            }
            files_of.push(files);
        }
        let out = StateOut {
            version: 2,
            generation: g,
            next_id: self.next_id,
            cas: self
                .cas
                .iter()
                .zip(files_of)
                .map(|(c, cert_files)| CaOut {
                    record: &c.record,
                    cert_files,
                })
                .collect(),
        };
        Snapshot {
            generation: g,
            manifest: serde_json::to_vec(&out).unwrap_or_default(),
            chunks,
            written,
            referenced,
        }
    }

    /// Records that the commit `snap` is durable.
    pub(crate) fn mark_written(&mut self, snap: &Snapshot) {
        for (tag, i, name) in &snap.written {
            let Some(ca) = self.ca_mut(tag) else { continue };
            let Some(chunk) = ca.chunks.get_mut(*i) else {
                continue;
            };
            if chunk.file_gen < snap.generation {
                chunk.file = Some(name.clone());
                chunk.file_gen = snap.generation;
                if chunk.dirty_gen <= snap.generation {
                    chunk.dirty_gen = 0;
                }
            }
        }
    }
}

/// Where the state is written, if anywhere.
#[derive(Debug)]
pub(crate) struct Persistence {
    dir: PathBuf,
    written: Mutex<u64>,
    temp_counter: AtomicU64,
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl Persistence {
    /// Opens (creating) `dir` and reads the state it holds, if any.
    pub(crate) fn open(dir: &Path) -> Result<(Self, State), String> {
        fs::create_dir_all(dir.join(CERTS_DIR))
            .map_err(|e| format!("cannot create state directory {}: {e}", dir.display()))?;
        // Temporary files of an interrupted write.
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        let file = dir.join(STATE_FILE);
        let (state, generation) = match fs::read(&file) {
            Ok(bytes) => Self::load(dir, &bytes)
                .map_err(|e| format!("cannot read state file {}: {e}", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (State::default(), 0),
            Err(e) => return Err(format!("cannot read state file {}: {e}", file.display())),
        };
        Ok((
            Persistence {
                dir: dir.to_owned(),
                written: Mutex::new(generation),
                temp_counter: AtomicU64::new(0),
            },
            state,
        ))
    }

    fn load(dir: &Path, bytes: &[u8]) -> Result<(State, u64), String> {
        let s: StateIn = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if s.version != 2 {
            return Err(format!("unknown state version {}", s.version));
        }
        let mut cas = Vec::with_capacity(s.cas.len());
        for ca in s.cas {
            let mut record = ca.record;
            for name in &ca.cert_files {
                if !safe_name(name) {
                    return Err(format!(
                        "CA {}: bad certificate file name {name:?}",
                        record.tag
                    ));
                }
                let path = dir.join(CERTS_DIR).join(name);
                let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let certs: Vec<CertRecord> = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                record.certs.extend(certs);
            }
            cas.push(Ca::load(record, ca.cert_files, s.generation)?);
        }
        Ok((
            State {
                next_id: s.next_id,
                cas,
                generation: s.generation,
            },
            s.generation,
        ))
    }

    fn write_file(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let dir = path.parent().unwrap_or(&self.dir);
        let tmp = dir.join(format!(".{}.{n}.tmp", std::process::id()));
        let result = (|| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Writes the commit `snap` unless a later one is already on disk; `true` when written.
    /// Certificate files first, then the manifest that names them (each through a temporary
    /// file, fsync and rename, then an fsync of the directory); then files no longer named
    /// are removed.
    pub(crate) fn write(&self, snap: &Snapshot) -> std::io::Result<bool> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if *written >= snap.generation {
            return Ok(false);
        }
        let certs = self.dir.join(CERTS_DIR);
        fs::create_dir_all(&certs)?;
        for (name, bytes) in &snap.chunks {
            self.write_file(&certs.join(name), bytes)?;
        }
        #[cfg(unix)]
        fs::File::open(&certs)?.sync_all()?;
        self.write_file(&self.dir.join(STATE_FILE), &snap.manifest)?;
        #[cfg(unix)]
        fs::File::open(&self.dir)?.sync_all()?;
        *written = snap.generation;
        if let Ok(entries) = fs::read_dir(&certs) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !snap.referenced.contains(&name) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(true)
    }
}
