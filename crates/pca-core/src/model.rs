//! What the operations return: typed, lenient where the documents disagree, ready to use.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::lenient::{ServerTime, opt_string, opt_time, opt_u64, pem_list, string_list};

/// The state of a CA as the service reports it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum CaState {
    /// Signing.
    Active,
    /// A sub CA waiting for its certificate (Get Sub CSR, Sign Sub CSR elsewhere, Activate).
    Pending,
    /// Disabled.
    Deactivated,
    /// Scheduled for deletion.
    Destroying,
    /// Any other value, kept as sent.
    Other(String),
}

impl CaState {
    /// Parses the wire value (case-insensitive).
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "ACTIVE" => CaState::Active,
            "PENDING" => CaState::Pending,
            "DEACTIVATED" => CaState::Deactivated,
            "DESTROYING" => CaState::Destroying,
            _ => CaState::Other(s.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            CaState::Active => "ACTIVE",
            CaState::Pending => "PENDING",
            CaState::Deactivated => "DEACTIVATED",
            CaState::Destroying => "DESTROYING",
            CaState::Other(s) => s,
        }
    }
}

impl From<CaState> for String {
    fn from(s: CaState) -> String {
        s.as_str().to_owned()
    }
}

impl<'de> Deserialize<'de> for CaState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(CaState::parse(&s))
    }
}

impl fmt::Display for CaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Distribution URLs of a CA (`urlInfo`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UrlInfo {
    /// OCSP responder URLs.
    #[serde(deserialize_with = "string_list")]
    pub ocsp: Vec<String>,
    /// CRL distribution URLs.
    #[serde(deserialize_with = "string_list")]
    pub crl: Vec<String>,
    /// CA certificate URLs.
    #[serde(deserialize_with = "string_list")]
    pub ca: Vec<String>,
}

/// A CA's record (`caInfo`). Every field is optional: the service's documents disagree on
/// which are present.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaInfo {
    /// The CA's tag, used in paths.
    #[serde(deserialize_with = "opt_string")]
    pub ca_tag: Option<String>,
    /// The numeric CA id.
    #[serde(deserialize_with = "opt_string")]
    pub ca_id: Option<String>,
    /// `PRIVATE_ROOT` or `PRIVATE_SUB`.
    #[serde(deserialize_with = "opt_string")]
    pub ca_type: Option<String>,
    /// The alias.
    #[serde(deserialize_with = "opt_string")]
    pub alias: Option<String>,
    /// The memo.
    #[serde(deserialize_with = "opt_string")]
    pub memo: Option<String>,
    /// The NCP resource name.
    #[serde(deserialize_with = "opt_string")]
    pub nrn: Option<String>,
    /// The status.
    pub status: Option<CaState>,
    /// How many certificates the CA has signed.
    #[serde(deserialize_with = "opt_u64")]
    pub signing_count: Option<u64>,
    /// When the status last changed.
    #[serde(deserialize_with = "opt_time")]
    pub status_update_date: Option<ServerTime>,
    /// When the CA will be deleted, if scheduled.
    #[serde(deserialize_with = "opt_time")]
    pub destroy_date: Option<ServerTime>,
    /// When the CA was registered.
    #[serde(deserialize_with = "opt_time")]
    pub rgst_date: Option<ServerTime>,
    /// Distribution URLs.
    pub url_info: Option<UrlInfo>,
}

impl CaInfo {
    /// Fills every field `self` lacks from `other` (used for the documents' flat and nested
    /// shapes).
    pub(crate) fn fill_from(&mut self, other: CaInfo) {
        macro_rules! fill {
            ($($f:ident),*) => { $( if self.$f.is_none() { self.$f = other.$f; } )* };
        }
        fill!(
            ca_tag,
            ca_id,
            ca_type,
            alias,
            memo,
            nrn,
            status,
            signing_count,
            status_update_date,
            destroy_date,
            rgst_date,
            url_info
        );
    }
}

/// A CA's certificate record (`caCertInfo`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaCertInfo {
    /// Subject common name.
    #[serde(deserialize_with = "opt_string")]
    pub common_name: Option<String>,
    /// Subject country.
    #[serde(deserialize_with = "opt_string")]
    pub country: Option<String>,
    /// Subject locality.
    #[serde(deserialize_with = "opt_string")]
    pub locality: Option<String>,
    /// Subject state or province.
    #[serde(deserialize_with = "opt_string")]
    pub state_province: Option<String>,
    /// Subject organization.
    #[serde(deserialize_with = "opt_string")]
    pub organization: Option<String>,
    /// Subject organizational unit.
    #[serde(deserialize_with = "opt_string")]
    pub organization_unit: Option<String>,
    /// Issuer name.
    #[serde(deserialize_with = "opt_string")]
    pub issuer_name: Option<String>,
    /// Start of validity.
    #[serde(deserialize_with = "opt_time")]
    pub not_before_date: Option<ServerTime>,
    /// End of validity.
    #[serde(deserialize_with = "opt_time")]
    pub not_after_date: Option<ServerTime>,
    /// Public-key algorithm (`RSA`, `EC` …).
    #[serde(deserialize_with = "opt_string")]
    pub public_key_algorithm: Option<String>,
    /// Signature algorithm.
    #[serde(deserialize_with = "opt_string")]
    pub signature_algorithm: Option<String>,
    /// Serial number.
    #[serde(deserialize_with = "opt_string")]
    pub serial_no: Option<String>,
    /// Numeric certificate id.
    #[serde(deserialize_with = "opt_string")]
    pub ca_cert_id: Option<String>,
    /// The CA certificate (PEM).
    #[serde(deserialize_with = "opt_string")]
    pub cert_pem: Option<String>,
    /// The CA's chain (PEM).
    #[serde(deserialize_with = "opt_string")]
    pub chain_pem: Option<String>,
}

/// A CA: its record and, where the answer has it, its certificate record.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Ca {
    /// The CA's record.
    pub info: CaInfo,
    /// The CA's certificate record.
    pub cert: Option<CaCertInfo>,
}

/// The wire form of a CA in every documented shape: `{caInfo, caCertInfo}`, the same with
/// `caTag`/`rgstDate`/`status`/`destroyDate` beside `caInfo`, or a flat `caInfo`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaWire {
    #[serde(default)]
    ca_info: Option<CaInfo>,
    #[serde(default)]
    ca_cert_info: Option<CaCertInfo>,
    #[serde(flatten)]
    flat: CaInfo,
}

impl From<CaWire> for Ca {
    fn from(w: CaWire) -> Self {
        let mut info = w.ca_info.unwrap_or_default();
        info.fill_from(w.flat);
        Ca {
            info,
            cert: w.ca_cert_info,
        }
    }
}

impl<'de> Deserialize<'de> for Ca {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CaWire::deserialize(d).map(Ca::from)
    }
}

/// A page of CAs (Get CA List).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaList {
    /// Number of CAs in all pages.
    #[serde(rename = "totalCnt", deserialize_with = "opt_u64")]
    pub total_count: Option<u64>,
    /// The CAs of this page.
    #[serde(rename = "caInfoList", deserialize_with = "null_as_empty")]
    pub cas: Vec<Ca>,
    /// Number of pages.
    #[serde(rename = "totalPageNo", deserialize_with = "opt_u64")]
    pub total_pages: Option<u64>,
    /// This page's number (from 1).
    #[serde(rename = "currentPageNo", deserialize_with = "opt_u64")]
    pub current_page: Option<u64>,
}

/// A page of end-certificate serial numbers (Get End Cert List).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EndCertList {
    /// Number of certificates in all pages.
    #[serde(rename = "totalCnt", deserialize_with = "opt_u64")]
    pub total_count: Option<u64>,
    /// Serial numbers of this page.
    #[serde(rename = "listCerts", deserialize_with = "string_list")]
    pub serials: Vec<String>,
    /// Number of pages.
    #[serde(rename = "totalPageNo", deserialize_with = "opt_u64")]
    pub total_pages: Option<u64>,
    /// This page's number (from 1).
    #[serde(rename = "currentPageNo", deserialize_with = "opt_u64")]
    pub current_page: Option<u64>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A certificate signed by a CA (Sign Sub CSR, Sign End CSR), with its chain in a defined
/// order.
///
/// `ca_chain` starts with the issuer of `certificate` and ends with the root; blank entries
/// and duplicates (including a copy of the issuer given separately) are removed. With the
/// `x509` feature the order is derived from the certificates' names, whatever order the
/// service sent; without it, the issuer comes first and the rest keep the service's order.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedCertificate {
    /// The new certificate (PEM).
    pub certificate: String,
    /// The chain, issuer first, root last (PEM each).
    pub ca_chain: Vec<String>,
    /// The issuing CA's certificate (PEM), as the service sent it.
    pub issuer: Option<String>,
    /// The new certificate's serial number.
    pub serial_no: Option<String>,
    /// The OCSP responder (URL or certificate), when the CA has one.
    pub ocsp_responder: Option<String>,
}

impl SignedCertificate {
    /// A signing answer with a certificate and its chain (issuer first, root last), the other
    /// fields empty: for tests and for checking answers obtained elsewhere
    /// (`Operation::check_answer`). Set the other fields afterwards; they are public.
    pub fn new(certificate: impl Into<String>, ca_chain: Vec<String>) -> Self {
        SignedCertificate {
            certificate: certificate.into(),
            ca_chain,
            issuer: None,
            serial_no: None,
            ocsp_responder: None,
        }
    }

    /// The certificate followed by its chain: what a TLS server or a sub CA is configured with.
    pub fn full_chain_pem(&self) -> String {
        join_pem(
            std::iter::once(self.certificate.as_str())
                .chain(self.ca_chain.iter().map(String::as_str)),
        )
    }

    /// The chain alone (issuer first, root last).
    pub fn chain_pem(&self) -> String {
        join_pem(self.ca_chain.iter().map(String::as_str))
    }

    /// The root of the chain (its last certificate), if the chain is not empty.
    pub fn root(&self) -> Option<&str> {
        self.ca_chain.last().map(String::as_str)
    }

    /// The X.509 view of the new certificate.
    #[cfg(feature = "x509")]
    pub fn certificate_info(
        &self,
    ) -> Result<crate::x509::CertificateInfo, crate::x509::CertificateParseError> {
        crate::x509::CertificateInfo::from_pem(&self.certificate)
    }

    /// The X.509 view of each chain certificate, issuer first.
    #[cfg(feature = "x509")]
    pub fn chain_info(
        &self,
    ) -> Result<Vec<crate::x509::CertificateInfo>, crate::x509::CertificateParseError> {
        self.ca_chain
            .iter()
            .map(|c| crate::x509::CertificateInfo::from_pem(c))
            .collect()
    }
}

/// PEM blocks joined with newlines, ending in one newline (empty for no block).
pub fn join_pem<'a>(blocks: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for b in blocks {
        out.push_str(b.trim());
        out.push('\n');
    }
    out
}

/// The wire form of a signing answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignedWire {
    #[serde(default, deserialize_with = "opt_string")]
    certificate: Option<String>,
    #[serde(default, deserialize_with = "pem_list")]
    ca_chain: Vec<String>,
    #[serde(default, deserialize_with = "opt_string")]
    issuer: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    serial_no: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    ocsp_responder: Option<String>,
}

impl SignedWire {
    pub(crate) fn into_signed(self) -> Result<SignedCertificate, &'static str> {
        let certificate = self
            .certificate
            .filter(|c| !c.trim().is_empty())
            .ok_or("certificate: missing or empty")?;
        let certificate = crate::pem_text::tidy(certificate);
        let issuer = self
            .issuer
            .map(crate::pem_text::tidy)
            .filter(|i| !i.is_empty());
        let ca_chain = crate::chain::order_chain(&certificate, issuer.as_deref(), self.ca_chain);
        Ok(SignedCertificate {
            certificate,
            ca_chain,
            issuer,
            serial_no: self.serial_no.filter(|s| !s.is_empty()),
            ocsp_responder: self.ocsp_responder.filter(|s| !s.trim().is_empty()),
        })
    }
}

/// A private key in PEM: zeroized on drop, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(Zeroizing<String>);

impl PrivateKeyPem {
    /// Wraps a PEM private key.
    pub fn new(pem: impl Into<String>) -> Self {
        PrivateKeyPem(Zeroizing::new(pem.into()))
    }

    /// The PEM text, for writing to a protected file.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKeyPem(** redacted **)")
    }
}

/// A certificate issued with a key the service made (Issue End Cert).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The private key (PEM). Redacted in `Debug`; store it with care.
    pub private_key: PrivateKeyPem,
    /// The certificate and its chain.
    pub signed: SignedCertificate,
}

impl IssuedCertificate {
    /// An Issue End Cert answer: the key the service made and the signed certificate.
    pub fn new(private_key: PrivateKeyPem, signed: SignedCertificate) -> Self {
        IssuedCertificate {
            private_key,
            signed,
        }
    }
}

/// An end certificate's record (Get End Cert).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndCertificate {
    /// Subject common name.
    #[serde(deserialize_with = "opt_string")]
    pub common_name: Option<String>,
    /// Serial number.
    #[serde(deserialize_with = "opt_string")]
    pub serial_no: Option<String>,
    /// Start of validity.
    #[serde(deserialize_with = "opt_time")]
    pub not_before_date: Option<ServerTime>,
    /// End of validity.
    #[serde(deserialize_with = "opt_time")]
    pub not_after_date: Option<ServerTime>,
    /// Public-key algorithm.
    #[serde(deserialize_with = "opt_string")]
    pub public_key_algorithm: Option<String>,
    /// Signature algorithm.
    #[serde(deserialize_with = "opt_string")]
    pub signature_algorithm: Option<String>,
    /// The certificate (PEM).
    #[serde(deserialize_with = "opt_string")]
    pub cert_pem: Option<String>,
    /// The chain (PEM each), string or array on the wire.
    #[serde(deserialize_with = "pem_list")]
    pub ca_chain: Vec<String>,
    /// The OCSP responder.
    #[serde(deserialize_with = "opt_string")]
    pub ocsp_responder: Option<String>,
}

/// A sub account with rights on a CA (Get CA User List).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaUser {
    /// Login ID.
    #[serde(deserialize_with = "opt_string")]
    pub login_id: Option<String>,
    /// Member number (`mbrNo`; the documentation's example spells it `mdrNo`).
    #[serde(alias = "mdrNo", deserialize_with = "opt_string")]
    pub mbr_no: Option<String>,
    /// Sub-account ID.
    #[serde(deserialize_with = "opt_string")]
    pub id_no: Option<String>,
}

/// The CRL settings of a CA.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CrlConfig {
    /// Days a CRL is valid before renewal; `None` when no CRL is configured.
    #[serde(rename = "expiry", deserialize_with = "opt_u64")]
    pub expiry_days: Option<u64>,
}

/// A sub CA's certificate request (Get Sub CSR).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubCsr {
    /// The CSR (PEM).
    pub csr_pem: String,
}

/// A CA's chain (Get CA Chain), PEM blocks in the service's order.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaChain {
    /// The certificates (PEM each).
    pub certificates: Vec<String>,
}

impl CaChain {
    /// The chain as one PEM text.
    pub fn pem(&self) -> String {
        join_pem(self.certificates.iter().map(String::as_str))
    }
}

/// A CA's certificate revocation list (Get CA CRL), PEM `X509 CRL`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crl {
    /// The CRL (PEM).
    pub pem: String,
}
