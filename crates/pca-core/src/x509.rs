//! An X.509 view of certificates (feature `x509`, on by default), parsed with `x509-parser`.

use serde::Serialize;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::pem_text::find_blocks;

/// A certificate that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the certificate: {0}")]
pub struct CertificateParseError(pub String);

/// The fields of a certificate users look at.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    /// Serial number, colon-separated lower-case hexadecimal.
    pub serial: String,
    /// Subject distinguished name (RFC 4514 style).
    pub subject: String,
    /// Issuer distinguished name (RFC 4514 style).
    pub issuer: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// `true` when basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// DNS and e-mail subject alternative names.
    pub dns_names: Vec<String>,
    /// IP-address subject alternative names.
    pub ip_addresses: Vec<String>,
    /// `true` when subject and issuer are the same name.
    pub self_issued: bool,
}

impl CertificateInfo {
    /// Reads the first certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Self, CertificateParseError> {
        let der = pem_to_der(pem)?;
        Self::from_der(&der)
    }

    /// Reads every certificate of a PEM text.
    pub fn all_from_pem(pem: &str) -> Result<Vec<Self>, CertificateParseError> {
        let (blocks, _) = find_blocks(pem);
        blocks
            .iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| Self::from_pem(b.text))
            .collect()
    }

    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateParseError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| CertificateParseError(e.to_string()))?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push((*d).to_owned()),
                    GeneralName::RFC822Name(e) => dns_names.push((*e).to_owned()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            ip_addresses.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(CertificateInfo {
            serial: cert.raw_serial_as_string(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            is_ca: cert.is_ca(),
            dns_names,
            ip_addresses,
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        })
    }
}

fn ip_from_bytes(b: &[u8]) -> Option<std::net::IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, CertificateParseError> {
    let (blocks, _) = find_blocks(pem);
    let block = blocks
        .iter()
        .find(|b| b.label == "CERTIFICATE")
        .ok_or_else(|| CertificateParseError("no CERTIFICATE block".to_owned()))?;
    crate::pem_text::decode_body(block.text)
        .ok_or_else(|| CertificateParseError("the CERTIFICATE block is not Base64".to_owned()))
}

/// Subject and issuer names (raw DER) of a PEM certificate.
fn names(pem: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let der = pem_to_der(pem).ok()?;
    let (_, cert) = X509Certificate::from_der(&der).ok()?;
    Some((
        cert.subject().as_raw().to_vec(),
        cert.issuer().as_raw().to_vec(),
    ))
}

/// Orders `certs` by following issuer names from `leaf` up to a self-issued root; certificates
/// not on that path follow in their given order. `None` when any certificate cannot be read.
pub(crate) fn order_by_names(leaf: &str, certs: &[String]) -> Option<Vec<String>> {
    let (_, leaf_issuer) = names(leaf)?;
    let parsed: Vec<(Vec<u8>, Vec<u8>)> = certs.iter().map(|c| names(c)).collect::<Option<_>>()?;
    Some(
        crate::chain::issuer_path(leaf_issuer, &parsed)
            .into_iter()
            .map(|i| certs[i].clone())
            .collect(),
    )
}
