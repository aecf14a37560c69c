//! An X.509 view of certificates (feature `x509`, on by default), read with RustCrypto's
//! `x509-cert`.
//!
//! Names are written as the certificate holds them, first RDN first, attributes `SN=value`
//! (`CN`, `O`, `OU`, `C`, `ST`, `L`, `DC`, `Email` and a few more; any other attribute by its
//! dotted OID), RDNs separated by `, ` and the attributes of one RDN by ` + `. A value that is
//! not a string is written as upper-case hexadecimal.
//!
//! Certificates are read with `x509-cert`'s lenient profile: a serial number longer than the
//! 20 bytes RFC 5280 allows, or a negative one, is read as it is (CAs issue such serials).

use std::net::IpAddr;

use serde::Serialize;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use x509_cert::der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Time;

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
    /// Subject distinguished name (see the [module docs](self) for the form).
    pub subject: String,
    /// Issuer distinguished name.
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
        let cert = Cert::from_der(der).map_err(CertificateParseError)?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        for name in cert.alt_names() {
            match name {
                GeneralName::DnsName(d) => dns_names.push(d.to_string()),
                GeneralName::Rfc822Name(e) => dns_names.push(e.to_string()),
                GeneralName::IpAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes.as_bytes()) {
                        ip_addresses.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
        Ok(CertificateInfo {
            serial: cert.serial(),
            subject: name_to_string(cert.subject()),
            issuer: name_to_string(cert.issuer()),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            is_ca: cert.is_ca(),
            dns_names,
            ip_addresses,
            self_issued: cert.self_issued(),
        })
    }
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
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

/// A decoded certificate, with the raw bytes its signature covers.
pub(crate) struct Cert<'a> {
    /// The `tbsCertificate` element, as received: what the signature covers.
    tbs: &'a [u8],
    /// The content of the outer `signatureAlgorithm` SEQUENCE.
    signature_algorithm: &'a [u8],
    /// The signature's bits.
    signature: &'a [u8],
    inner: CertificateInner<Raw>,
}

impl<'a> Cert<'a> {
    /// Reads one DER certificate; bytes after it are an error.
    pub(crate) fn from_der(der: &'a [u8]) -> Result<Self, String> {
        let inner = CertificateInner::<Raw>::from_der(der).map_err(|e| e.to_string())?;
        // The signed bytes are taken as received, not re-encoded from the decoded values.
        let mut outer = SliceReader::new(der).map_err(|e| e.to_string())?;
        let (tbs, signature_algorithm, signature) = outer
            .sequence(|r| {
                let tbs = r.tlv_bytes()?;
                let algorithm = AnyRef::decode(r)?;
                algorithm.tag().assert_eq(Tag::Sequence)?;
                let signature = BitStringRef::decode(r)?;
                Ok((tbs, algorithm.value(), signature.raw_bytes()))
            })
            .map_err(|e| e.to_string())?;
        Ok(Cert {
            tbs,
            signature_algorithm,
            signature,
            inner,
        })
    }

    /// The serial number, colon-separated lower-case hexadecimal of its DER content.
    pub(crate) fn serial(&self) -> String {
        hex_colons(self.inner.tbs_certificate.serial_number.as_bytes())
    }

    pub(crate) fn subject(&self) -> &Name {
        &self.inner.tbs_certificate.subject
    }

    pub(crate) fn issuer(&self) -> &Name {
        &self.inner.tbs_certificate.issuer
    }

    /// `true` when the subject and issuer names are the same DER.
    pub(crate) fn self_issued(&self) -> bool {
        self.subject() == self.issuer()
    }

    pub(crate) fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.inner.tbs_certificate.subject_public_key_info
    }

    pub(crate) fn not_before(&self) -> i64 {
        unix_secs(self.inner.tbs_certificate.validity.not_before)
    }

    pub(crate) fn not_after(&self) -> i64 {
        unix_secs(self.inner.tbs_certificate.validity.not_after)
    }

    /// The DER content of the extension `oid`, if present.
    fn extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        self.inner
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// `true` when basicConstraints says CA:TRUE (an unreadable extension says no).
    pub(crate) fn is_ca(&self) -> bool {
        self.extension(BASIC_CONSTRAINTS)
            .and_then(|v| BasicConstraints::from_der(v).ok())
            .is_some_and(|b| b.ca)
    }

    /// The subject alternative names (none when the extension is absent or unreadable).
    pub(crate) fn alt_names(&self) -> Vec<GeneralName> {
        self.extension(SUBJECT_ALT_NAME)
            .and_then(|v| SubjectAltName::from_der(v).ok())
            .map(|s| s.0)
            .unwrap_or_default()
    }

    /// The values of the subject's common names that are strings.
    pub(crate) fn common_names(&self) -> impl Iterator<Item = String> + '_ {
        self.subject()
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .filter(|atv| atv.oid == COMMON_NAME)
            .filter_map(|atv| string_value(atv.value.tag(), atv.value.value()))
    }

    /// Verifies this certificate's signature with `issuer`'s key.
    pub(crate) fn verify_signed_by(&self, issuer: &SubjectPublicKeyInfoOwned) -> Verified {
        let Ok(key_algorithm) = issuer.algorithm.to_der() else {
            return Verified::Unsupported;
        };
        let key_algorithm = content(&key_algorithm);
        let mut supported = webpki::ALL_VERIFICATION_ALGS
            .iter()
            .filter(|a| {
                *a.public_key_alg_id() == *key_algorithm
                    && *a.signature_alg_id() == *self.signature_algorithm
            })
            .peekable();
        if supported.peek().is_none() {
            return Verified::Unsupported;
        }
        let key = issuer.subject_public_key.raw_bytes();
        if supported.any(|a| a.verify_signature(key, self.tbs, self.signature).is_ok()) {
            Verified::Good
        } else {
            Verified::Bad
        }
    }
}

/// What [`Cert::verify_signed_by`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verified {
    /// The signature verifies.
    Good,
    /// It does not.
    Bad,
    /// No supported algorithm has this signature algorithm and key type.
    Unsupported,
}

/// The content of a DER element (its bytes after the tag and length).
fn content(der: &[u8]) -> &[u8] {
    AnyRef::from_der(der).map(|a| a.value()).unwrap_or(&[])
}

/// Reads one DER PKCS #10 request; bytes after it are an error.
pub(crate) fn csr_from_der(der: &[u8]) -> Result<CertReq, String> {
    CertReq::from_der(der).map_err(|e| e.to_string())
}

/// `true` when `a` and `b` are the same key: the same algorithm and the same key bits
/// (parameter encodings may differ).
pub(crate) fn same_key(a: &SubjectPublicKeyInfoOwned, b: &SubjectPublicKeyInfoOwned) -> bool {
    a.algorithm.oid == b.algorithm.oid
        && a.subject_public_key.raw_bytes() == b.subject_public_key.raw_bytes()
}

pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// The curve `ring` cannot verify: ECDSA P-521 (secp521r1).
pub(crate) const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Short names of the attributes names are written with.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.2.840.113549.1.9.1", "Email"),
    ("2.5.4.4", "surname"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.9", "street"),
    ("2.5.4.12", "title"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.42", "givenName"),
    ("2.5.4.97", "organizationIdentifier"),
    ("0.9.2342.19200300.100.1.1", "UID"),
];

/// A name in the form the [module docs](self) give.
pub(crate) fn name_to_string(name: &Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push_str(" + ");
            }
            let oid = atv.oid.to_string();
            match SHORT_NAMES.iter().find(|(o, _)| *o == oid) {
                Some((_, short)) => out.push_str(short),
                None => out.push_str(&oid),
            }
            out.push('=');
            let value = atv.value.value();
            match string_value(atv.value.tag(), value) {
                Some(s) => out.push_str(&s),
                None => value.iter().for_each(|b| out.push_str(&format!("{b:02X}"))),
            }
        }
    }
    out
}

/// The text of a string-typed attribute value.
fn string_value(tag: Tag, value: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString
        | Tag::NumericString => std::str::from_utf8(value).ok().map(str::to_owned),
        Tag::BmpString if value.len() % 2 == 0 => {
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

fn hex_colons(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn unix_secs(t: Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Subject and issuer names (raw DER) of a PEM certificate.
fn names(pem: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let der = pem_to_der(pem).ok()?;
    let cert = Cert::from_der(&der).ok()?;
    Some((cert.subject().to_der().ok()?, cert.issuer().to_der().ok()?))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_strings_with_an_odd_length_are_not_read() {
        assert_eq!(
            string_value(Tag::BmpString, &[0, b'A']),
            Some("A".to_owned())
        );
        assert_eq!(string_value(Tag::BmpString, &[0, b'A', 0]), None);
    }

    #[test]
    fn serials_are_colon_separated_hex() {
        assert_eq!(hex_colons(&[0x00, 0xab, 0x01]), "00:ab:01");
        assert_eq!(hex_colons(&[]), "");
    }
}
