//! The emulator's state: CAs, their keys, certificates, CRLs and users; optionally persisted to
//! a directory, written atomically (temporary file, fsync, rename, fsync of the directory).

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pca_core::KeyType;
use serde::{Deserialize, Serialize};

use crate::pki::{self, Signer};

/// The name of the state file inside `--state-dir`.
pub(crate) const STATE_FILE: &str = "state.json";

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

/// A CA in memory: its record, its signer (once it has a certificate) and an index of its
/// certificates by serial number.
#[derive(Debug)]
pub(crate) struct Ca {
    pub(crate) record: CaRecord,
    pub(crate) signer: Option<Arc<Signer>>,
    pub(crate) index: HashMap<String, usize>,
    /// Signings under way (reserved against the per-CA limit).
    pub(crate) reserved: u64,
}

impl Ca {
    /// A CA from its record, loading its key and certificate.
    pub(crate) fn from_record(record: CaRecord) -> Result<Self, String> {
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
        Ok(Ca {
            record,
            signer,
            index,
            reserved: 0,
        })
    }

    /// Adds a signed certificate.
    pub(crate) fn push_cert(&mut self, cert: CertRecord) {
        self.index
            .insert(pki::serial_key(&cert.serial_no), self.record.certs.len());
        self.record.certs.push(cert);
        self.record.signing_count += 1;
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
struct StateOut<'a> {
    version: u32,
    next_id: u64,
    cas: Vec<&'a CaRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateIn {
    version: u32,
    next_id: u64,
    cas: Vec<CaRecord>,
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

    /// The state file's contents.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let out = StateOut {
            version: 1,
            next_id: self.next_id,
            cas: self.cas.iter().map(|c| &c.record).collect(),
        };
        serde_json::to_vec(&out).unwrap_or_default()
    }

    /// A state from the state file's contents.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let s: StateIn = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if s.version != 1 {
            return Err(format!("unknown state version {}", s.version));
        }
        let cas = s
            .cas
            .into_iter()
            .map(Ca::from_record)
            .collect::<Result<_, _>>()?;
        Ok(State {
            next_id: s.next_id,
            cas,
            generation: 0,
        })
    }
}

/// Where the state is written, if anywhere.
#[derive(Debug)]
pub(crate) struct Persistence {
    dir: PathBuf,
    written: Mutex<u64>,
    temp_counter: AtomicU64,
}

impl Persistence {
    /// Opens (creating) `dir` and reads the state it holds, if any.
    pub(crate) fn open(dir: &Path) -> Result<(Self, State), String> {
        fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create state directory {}: {e}", dir.display()))?;
        let file = dir.join(STATE_FILE);
        let state = match fs::read(&file) {
            Ok(bytes) => State::from_json(&bytes)
                .map_err(|e| format!("cannot read state file {}: {e}", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(format!("cannot read state file {}: {e}", file.display())),
        };
        Ok((
            Persistence {
                dir: dir.to_owned(),
                written: Mutex::new(0),
                temp_counter: AtomicU64::new(0),
            },
            state,
        ))
    }

    /// Writes `bytes` (the state at `generation`) unless a newer generation is already on disk.
    pub(crate) fn write(&self, generation: u64, bytes: &[u8]) -> std::io::Result<()> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if *written >= generation {
            return Ok(());
        }
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!(".{STATE_FILE}.{}.{n}.tmp", std::process::id()));
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
            fs::rename(&tmp, self.dir.join(STATE_FILE))?;
            #[cfg(unix)]
            fs::File::open(&self.dir)?.sync_all()?;
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        } else {
            *written = generation;
        }
        result
    }
}
