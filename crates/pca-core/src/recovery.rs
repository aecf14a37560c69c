//! Recovery of a cut-off signing (feature `x509`): when a signing call may have reached the
//! service but its answer was lost, look through the CA's certificates for the one it issued,
//! instead of sending it again.
//!
//! [`Recovery`] is a sans-IO search: it says which read to send next (Get End Cert List, Get
//! End Cert), takes each answer, and ends in a [`Recovered`]. The clients drive it with
//! `client.recover(search)`; it never sends the signing request.
//!
//! What it looks for: a certificate of the CA whose public key is the CSR's and whose
//! `notBefore` is no earlier than the send time minus [`VALIDITY_TOLERANCE`] (a certificate
//! issued after the request left). The one it finds is checked like an answer
//! ([`Operation::check_answer`], with the send time as `now`); a certificate that fails the
//! check is reported as [`AnswerMismatch`].
//!
//! Where it looks: the service does not document the order of Get End Cert List (the emulator
//! lists oldest first). The search reads the first page and, when there are more, the last
//! one, and looks at certificates alternately from the end of the last page and the start of
//! the first, so the newest are looked at first under either order. It reads at most
//! [`MAX_PAGES`] pages and [`MAX_CERTIFICATES`] certificates.
//!
//! Sign Sub CSR: the documentation lists end certificates under their CA, but does not say
//! whether a sub CA's certificate signed by Sign Sub CSR is listed in its parent's End Cert
//! List (the emulator lists it). When nothing is found for Sign Sub CSR, [`Recovered::NotFound`]
//! says that it cannot be known whether one was issued.
//!
//! Issue End Cert: the private key was made by the service and was only in the lost answer;
//! it cannot be recovered. The search lists the serials of the certificates with the requested
//! common name issued after the send ([`Recovered::KeyLost`]): revoke them.

use std::collections::VecDeque;

use crate::answer::{AnswerMismatch, VALIDITY_TOLERANCE, csr_public_key};
use crate::error::InvalidInput;
use crate::model::{EndCertList, EndCertificate, SignedCertificate};
use crate::operation::Operation;
use crate::operations::{GetEndCert, GetEndCertList, IssueEndCert, SignEndCsr, SignSubCsr};
use crate::signing::Timestamp;
use crate::types::CaTag;
use crate::x509::PublicKey;

/// Most pages of Get End Cert List one search reads.
pub const MAX_PAGES: u32 = 2;
/// Most certificates (Get End Cert calls) one search reads.
pub const MAX_CERTIFICATES: usize = 32;

/// The signing call being recovered.
#[derive(Debug, Clone)]
enum Target {
    Sub(SignSubCsr, PublicKey),
    End(SignEndCsr, PublicKey),
    Issue(IssueEndCert),
}

/// A sans-IO search for the certificate a cut-off signing call issued.
///
/// ```
/// use pca_core::recovery::{Recovery, Step};
/// # use pca_core::{operations::SignEndCsr, Timestamp};
/// # let csr = include_str!("../tests/data/leaf.csr.pem");
/// let op = SignEndCsr::new("12345678-abcdefg", csr)?;
/// let mut search = Recovery::sign_end_csr(&op, Timestamp::from_unix_millis(1_700_000_000_000))?;
/// match search.next_step() {
///     Step::List(list) => { /* send it, then search.listed(answer) */ }
///     Step::Get(get) => { /* send it, then search.fetched(answer) */ }
///     Step::Done(found) => { /* the end */ }
///     Step::Mismatch(mismatch) => { /* found, but not what was asked for */ }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Recovery {
    target: Target,
    sent_at: Timestamp,
    /// The last page, when it is still to be read.
    last_page_due: Option<u32>,
    total: Option<u64>,
    pages_read: Vec<u32>,
    first_page: Vec<String>,
    queue: VecDeque<String>,
    fetching: Option<String>,
    looked_at: usize,
    candidates: Vec<String>,
    found: Option<Result<(SignedCertificate, String), Box<AnswerMismatch>>>,
}

/// What to do next. Exhaustive on purpose: a driver handles every step, and a new one would
/// be a breaking change.
#[derive(Debug, Clone)]
pub enum Step {
    /// Send this Get End Cert List, then pass its answer to [`Recovery::listed`].
    List(GetEndCertList),
    /// Send this Get End Cert, then pass its answer to [`Recovery::fetched`].
    Get(GetEndCert),
    /// The search is over.
    Done(Recovered),
    /// The search found a certificate of the CSR's key issued after the send, and it does not
    /// pass the answer check: the call ends in this error.
    Mismatch(Box<AnswerMismatch>),
}

/// How a search ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovered {
    /// The certificate the cut-off call issued, found and answer-checked.
    Found {
        /// The certificate and its chain, as a signing answer would give them.
        signed: SignedCertificate,
        /// Its serial number.
        serial: String,
    },
    /// Issue End Cert: the service made the key and it was only in the lost answer. These
    /// certificates have the requested common name and were issued after the send: revoke
    /// them (none means that nothing was issued, as far as the search looked).
    KeyLost {
        /// Serial numbers to revoke.
        candidates: Vec<String>,
        /// Where the search looked.
        searched: Searched,
    },
    /// No certificate of the CSR's key issued after the send was found.
    NotFound {
        /// Where the search looked.
        searched: Searched,
        /// `true` for Sign Sub CSR: the service does not document whether a sub CA's
        /// certificate is listed under its parent, so it cannot be known whether one was
        /// issued.
        listing_undocumented: bool,
    },
}

/// Where a search looked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Searched {
    /// The CA whose certificates were looked through.
    pub ca_tag: String,
    /// The pages of Get End Cert List read.
    pub pages: Vec<u32>,
    /// How many certificates were read (Get End Cert).
    pub certificates: usize,
    /// How many certificates the CA has, as the list said.
    pub total: Option<u64>,
}

impl std::fmt::Display for Searched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pages: Vec<String> = self.pages.iter().map(u32::to_string).collect();
        write!(
            f,
            "looked at {} certificate(s) of CA {} (Get End Cert List page {}",
            self.certificates,
            self.ca_tag,
            pages.join(" and ")
        )?;
        if let Some(t) = self.total {
            write!(f, "; the CA lists {t} in all")?;
        }
        f.write_str(")")
    }
}

impl Recovery {
    fn new(target: Target, sent_at: Timestamp) -> Self {
        Recovery {
            target,
            sent_at,
            last_page_due: None,
            total: None,
            pages_read: Vec::new(),
            first_page: Vec::new(),
            queue: VecDeque::new(),
            fetching: None,
            looked_at: 0,
            candidates: Vec::new(),
            found: None,
        }
    }

    /// A search for what `op`, sent at `sent_at`, issued.
    pub fn sign_sub_csr(op: &SignSubCsr, sent_at: Timestamp) -> Result<Self, InvalidInput> {
        let spki = spki(op.csr_pem())?;
        Ok(Self::new(Target::Sub(op.clone(), spki), sent_at))
    }

    /// A search for what `op`, sent at `sent_at`, issued.
    pub fn sign_end_csr(op: &SignEndCsr, sent_at: Timestamp) -> Result<Self, InvalidInput> {
        let spki = spki(op.csr_pem())?;
        Ok(Self::new(Target::End(op.clone(), spki), sent_at))
    }

    /// A search for what `op`, sent at `sent_at`, issued: it ends in [`Recovered::KeyLost`].
    pub fn issue_end_cert(op: &IssueEndCert, sent_at: Timestamp) -> Self {
        Self::new(Target::Issue(op.clone()), sent_at)
    }

    fn ca_tag(&self) -> &CaTag {
        match &self.target {
            Target::Sub(op, _) => op.ca_tag(),
            Target::End(op, _) => op.ca_tag(),
            Target::Issue(op) => op.ca_tag(),
        }
    }

    fn list(&self, page: u32) -> Step {
        match GetEndCertList::new(self.ca_tag().as_str()).and_then(|l| l.with_page(page)) {
            Ok(op) => Step::List(op),
            // The tag was checked when the operation was built, and pages count from 1.
            Err(_) => Step::Done(self.outcome()),
        }
    }

    /// The next read to send, or the end of the search.
    pub fn next_step(&mut self) -> Step {
        if self.pages_read.is_empty() {
            return self.list(1);
        }
        if let Some(last) = self.last_page_due.take() {
            return self.list(last);
        }
        if let Some(found) = &self.found {
            return match found {
                Ok((signed, serial)) => Step::Done(Recovered::Found {
                    signed: signed.clone(),
                    serial: serial.clone(),
                }),
                Err(m) => Step::Mismatch(m.clone()),
            };
        }
        while self.looked_at < MAX_CERTIFICATES {
            let Some(serial) = self.queue.pop_front() else {
                break;
            };
            if let Ok(op) = GetEndCert::new(self.ca_tag().as_str(), &serial) {
                self.fetching = Some(serial);
                self.looked_at += 1;
                return Step::Get(op);
            }
        }
        Step::Done(self.outcome())
    }

    fn searched(&self) -> Searched {
        Searched {
            ca_tag: self.ca_tag().to_string(),
            pages: self.pages_read.clone(),
            certificates: self.looked_at,
            total: self.total,
        }
    }

    fn outcome(&self) -> Recovered {
        match &self.target {
            Target::Issue(_) => Recovered::KeyLost {
                candidates: self.candidates.clone(),
                searched: self.searched(),
            },
            Target::Sub(..) => Recovered::NotFound {
                searched: self.searched(),
                listing_undocumented: true,
            },
            Target::End(..) => Recovered::NotFound {
                searched: self.searched(),
                listing_undocumented: false,
            },
        }
    }

    /// Takes the answer to the [`Step::List`] just sent.
    pub fn listed(&mut self, list: EndCertList) {
        if self.pages_read.is_empty() {
            self.pages_read.push(1);
            self.total = list.total_count;
            let last = list
                .total_pages
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(1);
            if last > 1 && MAX_PAGES > 1 {
                self.first_page = list.serials;
                self.last_page_due = Some(last);
            } else {
                self.queue = interleave(&list.serials, &list.serials);
            }
        } else {
            let page = list
                .current_page
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(0);
            self.pages_read.push(page);
            let first_page = std::mem::take(&mut self.first_page);
            self.queue = interleave(&list.serials, &first_page);
        }
    }

    /// Takes the answer to the [`Step::Get`] just sent.
    pub fn fetched(&mut self, cert: EndCertificate) {
        let Some(serial) = self.fetching.take() else {
            return;
        };
        let Some(pem) = cert.cert_pem.as_deref().filter(|p| !p.trim().is_empty()) else {
            return;
        };
        let Ok(der) = crate::x509::pem_to_der(pem) else {
            return;
        };
        let Ok(x509) = crate::x509::Cert::from_der(&der) else {
            return;
        };
        let tolerance = i64::try_from(VALIDITY_TOLERANCE.as_secs()).unwrap_or(i64::MAX);
        let sent = i64::try_from(self.sent_at.as_unix_millis() / 1000).unwrap_or(i64::MAX);
        if x509.not_before() < sent.saturating_sub(tolerance) {
            return;
        }
        let serial = cert.serial_no.clone().unwrap_or(serial);
        let (spki, check): (&PublicKey, &dyn Fn(&SignedCertificate) -> _) = match &self.target {
            Target::Issue(op) => {
                let cn = x509.common_names().next();
                if cn.as_deref() == Some(op.x509_parameters().common_name_value()) {
                    self.candidates.push(serial);
                }
                return;
            }
            Target::Sub(op, spki) => (spki, &|s| op.check_answer(s, self.sent_at)),
            Target::End(op, spki) => (spki, &|s| op.check_answer(s, self.sent_at)),
        };
        if !crate::x509::same_key(spki, x509.public_key()) {
            return;
        }
        let certificate = crate::pem_text::tidy(pem.to_owned());
        let ca_chain = crate::chain::order_chain(&certificate, None, cert.ca_chain);
        let signed = SignedCertificate {
            certificate,
            ca_chain,
            issuer: None,
            serial_no: Some(serial.clone()),
            ocsp_responder: cert.ocsp_responder.filter(|s| !s.trim().is_empty()),
        };
        let found = check(&signed).map(|()| (signed, serial));
        self.found = Some(found);
    }
}

/// Serials alternately from the end of `tail_list` and the start of `head_list`, without
/// repeats: the newest first, whichever order the service lists in.
fn interleave(tail_list: &[String], head_list: &[String]) -> VecDeque<String> {
    let mut out = VecDeque::new();
    let mut tail = tail_list.iter().rev();
    let mut head = head_list.iter();
    loop {
        let a = tail.next();
        let b = head.next();
        if a.is_none() && b.is_none() {
            return out;
        }
        for s in [a, b].into_iter().flatten() {
            if !out.contains(s) {
                out.push_back(s.clone());
            }
        }
    }
}

fn spki(csr_pem: &str) -> Result<PublicKey, InvalidInput> {
    csr_public_key(csr_pem).map_err(|reason| InvalidInput::Der {
        field: "csrPem",
        expected: "PKCS#10 certificate request",
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_newest_are_looked_at_first_under_either_order() {
        assert_eq!(
            interleave(&strings(&["c", "d"]), &strings(&["a", "b"])),
            strings(&["d", "a", "c", "b"])
        );
        assert_eq!(
            interleave(&strings(&["a", "b", "c"]), &strings(&["a", "b", "c"])),
            strings(&["c", "a", "b"])
        );
    }

    fn page(serials: std::ops::Range<u32>, current: u64) -> EndCertList {
        EndCertList {
            total_count: Some(100),
            serials: serials.map(|i| format!("{i:02x}")).collect(),
            total_pages: Some(5),
            current_page: Some(current),
        }
    }

    #[test]
    fn the_search_reads_the_first_and_last_pages_and_stops_at_its_bound() {
        let csr = include_str!("../tests/data/leaf.csr.pem");
        let op = SignEndCsr::new("12345678-abcdefg", csr).unwrap();
        let mut search = Recovery::sign_end_csr(&op, Timestamp::from_unix_millis(0)).unwrap();
        match search.next_step() {
            Step::List(l) => assert_eq!(l.path_and_query(), "/ca/12345678-abcdefg/cert?pageNo=1"),
            other => panic!("{other:?}"),
        }
        search.listed(page(0..20, 1));
        match search.next_step() {
            Step::List(l) => assert_eq!(l.path_and_query(), "/ca/12345678-abcdefg/cert?pageNo=5"),
            other => panic!("{other:?}"),
        }
        search.listed(page(80..100, 5));
        let mut asked = Vec::new();
        let searched = loop {
            match search.next_step() {
                Step::Get(get) => {
                    asked.push(get.path_and_query());
                    // An answer without a certificate is not a match.
                    search.fetched(EndCertificate::default());
                }
                Step::Done(Recovered::NotFound {
                    searched,
                    listing_undocumented,
                }) => {
                    assert!(!listing_undocumented);
                    break searched;
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(asked.len(), MAX_CERTIFICATES);
        assert_eq!(asked[0], "/ca/12345678-abcdefg/cert/63");
        assert_eq!(asked[1], "/ca/12345678-abcdefg/cert/00");
        assert_eq!(searched.pages, vec![1, 5]);
        assert_eq!(searched.certificates, MAX_CERTIFICATES);
        assert_eq!(searched.total, Some(100));
        assert!(searched.to_string().contains("page 1 and 5"), "{searched}");
    }
}
