//! The emulator's state in memory: CAs, their keys, certificates, CRLs and users, with a note
//! of what each request changed so that [`crate::db`] writes exactly that in one transaction.
//!
//! The service reads from this state and changes it under one lock; a change is committed to
//! the database (when there is one) before the lock is released and before it is answered.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use pca_core::{CaType, KeyType};

use crate::pki::{self, Signer};

/// The status of a CA, as the service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Signs certificates and CRLs.
    Active,
    /// A sub CA waiting for its certificate.
    Pending,
    /// Disabled by Update CA.
    Deactivated,
    /// Scheduled for deletion.
    Destroying,
}

impl Status {
    /// The wire (and stored) value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::Pending => "PENDING",
            Status::Deactivated => "DEACTIVATED",
            Status::Destroying => "DESTROYING",
        }
    }

    /// The status of a stored value.
    pub(crate) fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "ACTIVE" => Status::Active,
            "PENDING" => Status::Pending,
            "DEACTIVATED" => Status::Deactivated,
            "DESTROYING" => Status::Destroying,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One certificate a CA signed.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub(crate) in_crl: bool,
    /// The OCSP URL written into it, if any.
    pub(crate) ocsp: Option<String>,
}

/// A sub account with rights on a CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserRecord {
    pub(crate) id_no: String,
    pub(crate) login_id: String,
    pub(crate) mbr_no: String,
}

/// The subject fields of `x509Parameters`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SubjectRecord {
    pub(crate) common_name: String,
    pub(crate) country: Option<String>,
    pub(crate) state_province: Option<String>,
    pub(crate) locality: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) organization_unit: Option<String>,
}

/// A CA as stored.
#[derive(Clone)]
pub(crate) struct CaRecord {
    pub(crate) tag: String,
    pub(crate) id: u64,
    pub(crate) ca_type: CaType,
    pub(crate) alias: String,
    pub(crate) memo: Option<String>,
    pub(crate) status: Status,
    pub(crate) key_type: KeyType,
    /// PKCS#8 PEM. Stored only in the state database (mode 0600).
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
    /// Every certificate the CA signed, in signing order.
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

/// What a request changed in one CA, to be written by the next commit.
#[derive(Debug, Default, Clone)]
pub(crate) struct Dirty {
    /// The CA's own record (status, CRL, OCSP URL, …).
    pub(crate) row: bool,
    /// Certificates added or changed (revoked, trimmed), by position.
    pub(crate) certs: BTreeSet<usize>,
    /// The user list.
    pub(crate) users: bool,
}

impl Dirty {
    fn is_clean(&self) -> bool {
        !self.row && self.certs.is_empty() && !self.users
    }
}

/// A CA in memory: its record, its signer (once it has a certificate), an index of its
/// certificates by serial number, and what changed since the last commit.
#[derive(Debug)]
pub(crate) struct Ca {
    pub(crate) record: CaRecord,
    pub(crate) signer: Option<Arc<Signer>>,
    pub(crate) index: HashMap<String, usize>,
    /// Signings under way (reserved against the per-CA limit).
    pub(crate) reserved: u64,
    pub(crate) dirty: Dirty,
}

impl Ca {
    /// A new CA, to be written whole by the next commit.
    pub(crate) fn new(record: CaRecord, signer: Option<Arc<Signer>>) -> Ca {
        let mut ca = Ca::stored(record, signer);
        ca.dirty.row = true;
        ca.dirty.users = true;
        ca.dirty.certs = (0..ca.record.certs.len()).collect();
        ca
    }

    /// A CA read back from storage (nothing to write).
    pub(crate) fn stored(record: CaRecord, signer: Option<Arc<Signer>>) -> Ca {
        let index = record
            .certs
            .iter()
            .enumerate()
            .map(|(i, c)| (pki::serial_key(&c.serial_no), i))
            .collect();
        Ca {
            record,
            signer,
            index,
            reserved: 0,
            dirty: Dirty::default(),
        }
    }

    /// A CA from its stored record, its key and certificate loaded into a signer.
    pub(crate) fn load(record: CaRecord) -> Result<Self, String> {
        let signer = match &record.cert_pem {
            Some(pem) => {
                let key = pki::load_key(record.key_type, &record.key_pem)
                    .map_err(|e| format!("CA {}: key: {}", record.tag, e.0))?;
                let der = pki::pem_der(pem)
                    .ok_or_else(|| format!("CA {}: the certificate does not decode", record.tag))?;
                Some(Arc::new(
                    Signer::new(key, &der).map_err(|e| format!("CA {}: {}", record.tag, e.0))?,
                ))
            }
            None => None,
        };
        Ok(Ca::stored(record, signer))
    }

    /// Marks certificate `i` as changed.
    pub(crate) fn touch(&mut self, i: usize) {
        self.dirty.certs.insert(i);
    }

    /// Adds a signed certificate.
    pub(crate) fn push_cert(&mut self, cert: CertRecord) {
        let i = self.record.certs.len();
        self.index.insert(pki::serial_key(&cert.serial_no), i);
        self.record.certs.push(cert);
        self.touch(i);
    }

    /// How many certificates the CA signed.
    pub(crate) fn signing_count(&self) -> u64 {
        self.record.certs.len() as u64
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
    /// The id of the last CA made.
    pub(crate) next_id: u64,
    pub(crate) cas: Vec<Ca>,
    /// CAs deleted since the last commit.
    pub(crate) deleted: Vec<String>,
}

impl State {
    /// The CA with tag `tag`.
    pub(crate) fn ca(&self, tag: &str) -> Option<&Ca> {
        self.cas.iter().find(|c| c.record.tag == tag)
    }

    /// The CA with tag `tag`, to change its record: the next commit rewrites it.
    pub(crate) fn ca_mut(&mut self, tag: &str) -> Option<&mut Ca> {
        let ca = self.cas.iter_mut().find(|c| c.record.tag == tag)?;
        ca.dirty.row = true;
        Some(ca)
    }

    /// The CA with tag `tag`, for changes the caller marks itself (certificates, users,
    /// in-memory counters).
    pub(crate) fn ca_mut_untracked(&mut self, tag: &str) -> Option<&mut Ca> {
        self.cas.iter_mut().find(|c| c.record.tag == tag)
    }

    /// `true` when nothing changed since the last commit.
    pub(crate) fn is_clean(&self) -> bool {
        self.deleted.is_empty() && self.cas.iter().all(|c| c.dirty.is_clean())
    }

    /// Forgets what changed (after a commit).
    pub(crate) fn mark_clean(&mut self) {
        self.deleted.clear();
        for ca in &mut self.cas {
            ca.dirty = Dirty::default();
        }
    }
}
