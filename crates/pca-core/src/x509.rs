//! An X.509 view of certificates (feature `x509`, on by default).
//!
//! Certificates and CSRs are read with RustCrypto's `der` reader, field by field, into borrowed
//! slices: only what the view, the input checks and the answer checks use is decoded. A full
//! X.509 model (`x509-cert`, `x509-parser`) would bring its derive macros and their second
//! `syn` into every client build; the clients' build time is a goal (BENCHMARKS.md), and the
//! reader here is fuzzed (`fuzz/fuzz_targets/x509_view.rs`).
//!
//! Names are written as the certificate holds them, first RDN first, attributes `SN=value`
//! (`CN`, `O`, `OU`, `C`, `ST`, `L`, `DC`, `Email` and a few more; any other attribute by its
//! dotted OID), RDNs separated by `, ` and the attributes of one RDN by ` + `. A value that is
//! not a string is written as upper-case hexadecimal.
//!
//! The reader is strict about DER framing and lenient about content: a serial number longer
//! than the 20 bytes RFC 5280 allows, or a negative one, is read as it is (CAs issue such
//! serials); unknown extensions and name types are skipped. Times are read from 1970 on.

use std::net::IpAddr;

use der::asn1::{AnyRef, BitStringRef, GeneralizedTime, ObjectIdentifier, UtcTime};
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use serde::Serialize;

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
                AltName::Dns(d) | AltName::Email(d) => dns_names.push(d),
                AltName::Ip(ip) => ip_addresses.push(ip.to_string()),
            }
        }
        Ok(CertificateInfo {
            serial: cert.serial(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
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

/// The DER of the first `CERTIFICATE` block of `pem`.
pub(crate) fn pem_to_der(pem: &str) -> Result<Vec<u8>, CertificateParseError> {
    let (blocks, _) = find_blocks(pem);
    let block = blocks
        .iter()
        .find(|b| b.label == "CERTIFICATE")
        .ok_or_else(|| CertificateParseError("no CERTIFICATE block".to_owned()))?;
    crate::pem_text::decode_body(block.text)
        .ok_or_else(|| CertificateParseError("the CERTIFICATE block is not Base64".to_owned()))
}

/// A decoded certificate: slices of its DER, and the few fields that are decoded.
pub(crate) struct Cert<'a> {
    /// The `tbsCertificate` element, as received: what the signature covers.
    tbs: &'a [u8],
    /// The content of the outer `signatureAlgorithm` SEQUENCE.
    signature_algorithm: &'a [u8],
    /// The signature's bits.
    signature: &'a [u8],
    /// The content of the serial number INTEGER, as encoded.
    serial: &'a [u8],
    issuer: Name<'a>,
    subject: Name<'a>,
    not_before: i64,
    not_after: i64,
    public_key: PublicKey,
    /// Each extension's OID and the content of its `extnValue` OCTET STRING.
    extensions: Vec<(ObjectIdentifier, &'a [u8])>,
}

/// Tags of the optional and context-specific fields read here.
const VERSION_TAG: u8 = 0xa0;
const ISSUER_UID_TAG: u8 = 0x81;
const SUBJECT_UID_TAG: u8 = 0x82;
const EXTENSIONS_TAG: u8 = 0xa3;
const ATTRIBUTES_TAG: u8 = 0xa0;
const RFC822_NAME_TAG: u8 = 0x81;
const DNS_NAME_TAG: u8 = 0x82;
const IP_ADDRESS_TAG: u8 = 0x87;

fn peek<'r>(r: &impl Reader<'r>) -> Option<u8> {
    r.peek_byte()
}

impl<'a> Cert<'a> {
    /// Reads one DER certificate; bytes after it are an error.
    pub(crate) fn from_der(der: &'a [u8]) -> Result<Self, String> {
        Self::read(der).map_err(|e| e.to_string())
    }

    fn read(der: &'a [u8]) -> der::Result<Self> {
        let mut outer = SliceReader::new(der)?;
        let (tbs, signature_algorithm, signature) = outer.sequence(|r| {
            let tbs = r.tlv_bytes()?;
            let algorithm = AnyRef::decode(r)?;
            algorithm.tag().assert_eq(Tag::Sequence)?;
            let signature = BitStringRef::decode(r)?;
            Ok((tbs, algorithm.value(), signature.raw_bytes()))
        })?;
        outer.finish(())?;
        let mut fields = SliceReader::new(tbs)?;
        let cert = fields.sequence(|r| {
            if peek(r) == Some(VERSION_TAG) {
                AnyRef::decode(r)?;
            }
            let serial = AnyRef::decode(r)?;
            serial.tag().assert_eq(Tag::Integer)?;
            let tbs_algorithm = AnyRef::decode(r)?;
            tbs_algorithm.tag().assert_eq(Tag::Sequence)?;
            let issuer = Name::read(r)?;
            let (not_before, not_after) = r.sequence(|v| Ok((read_time(v)?, read_time(v)?)))?;
            let subject = Name::read(r)?;
            let public_key = PublicKey::read(r)?;
            for tag in [ISSUER_UID_TAG, SUBJECT_UID_TAG] {
                if peek(r) == Some(tag) {
                    AnyRef::decode(r)?;
                }
            }
            let mut extensions = Vec::new();
            if peek(r) == Some(EXTENSIONS_TAG) {
                let explicit = AnyRef::decode(r)?;
                SliceReader::new(explicit.value())?.sequence(|list| {
                    while !list.is_finished() {
                        extensions.push(list.sequence(|e| {
                            let oid = ObjectIdentifier::decode(e)?;
                            if peek(e) == Some(0x01) {
                                bool::decode(e)?;
                            }
                            let value = AnyRef::decode(e)?;
                            value.tag().assert_eq(Tag::OctetString)?;
                            Ok((oid, value.value()))
                        })?);
                    }
                    Ok(())
                })?;
            }
            Ok(Cert {
                tbs,
                signature_algorithm,
                signature,
                serial: serial.value(),
                issuer,
                subject,
                not_before,
                not_after,
                public_key,
                extensions,
            })
        })?;
        fields.finish(cert)
    }

    /// The serial number, colon-separated lower-case hexadecimal of its DER content.
    pub(crate) fn serial(&self) -> String {
        hex_colons(self.serial)
    }

    pub(crate) fn subject(&self) -> &Name<'a> {
        &self.subject
    }

    pub(crate) fn issuer(&self) -> &Name<'a> {
        &self.issuer
    }

    /// `true` when the subject and issuer names are the same DER.
    pub(crate) fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Start of validity, Unix seconds.
    pub(crate) fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of validity, Unix seconds.
    pub(crate) fn not_after(&self) -> i64 {
        self.not_after
    }

    /// The content of the extension `oid`, if present.
    fn extension(&self, oid: ObjectIdentifier) -> Option<&'a [u8]> {
        self.extensions
            .iter()
            .find(|(id, _)| *id == oid)
            .map(|(_, v)| *v)
    }

    /// `true` when basicConstraints says CA:TRUE (an unreadable extension says no).
    pub(crate) fn is_ca(&self) -> bool {
        let Some(value) = self.extension(BASIC_CONSTRAINTS) else {
            return false;
        };
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
        let read = |der| -> der::Result<bool> {
            let mut r = SliceReader::new(der)?;
            let ca = r.sequence(|s| {
                let ca = if peek(s) == Some(0x01) {
                    bool::decode(s)?
                } else {
                    false
                };
                if !s.is_finished() {
                    AnyRef::decode(s)?.tag().assert_eq(Tag::Integer)?;
                }
                Ok(ca)
            })?;
            r.finish(ca)
        };
        read(value).unwrap_or(false)
    }

    /// The DNS, e-mail and IP subject alternative names (none when the extension is absent or
    /// unreadable).
    pub(crate) fn alt_names(&self) -> Vec<AltName> {
        let Some(value) = self.extension(SUBJECT_ALT_NAME) else {
            return Vec::new();
        };
        let read = |der| -> der::Result<Vec<AltName>> {
            let mut r = SliceReader::new(der)?;
            let names = r.sequence(|s| {
                let mut names = Vec::new();
                while !s.is_finished() {
                    let name = AnyRef::decode(s)?;
                    let text = || String::from_utf8_lossy(name.value()).into_owned();
                    match u8::from(name.tag()) {
                        DNS_NAME_TAG => names.push(AltName::Dns(text())),
                        RFC822_NAME_TAG => names.push(AltName::Email(text())),
                        IP_ADDRESS_TAG => {
                            names.extend(ip_from_bytes(name.value()).map(AltName::Ip));
                        }
                        _ => {}
                    }
                }
                Ok(names)
            })?;
            r.finish(names)
        };
        read(value).unwrap_or_default()
    }

    /// The values of the subject's common names that are strings.
    pub(crate) fn common_names(&self) -> impl Iterator<Item = String> + '_ {
        self.subject
            .attributes()
            .into_iter()
            .filter(|(oid, _)| *oid == COMMON_NAME)
            .filter_map(|(_, value)| string_value(value.tag(), value.value()))
    }

    /// Verifies this certificate's signature with `issuer`'s key.
    pub(crate) fn verify_signed_by(&self, issuer: &PublicKey) -> Verified {
        let mut supported = webpki::ALL_VERIFICATION_ALGS
            .iter()
            .chain(crate::p521::ALGORITHMS)
            .filter(|a| {
                *a.public_key_alg_id() == *issuer.algorithm
                    && *a.signature_alg_id() == *self.signature_algorithm
            })
            .peekable();
        if supported.peek().is_none() {
            return Verified::Unsupported;
        }
        if supported.any(|a| {
            a.verify_signature(&issuer.key, self.tbs, self.signature)
                .is_ok()
        }) {
            Verified::Good
        } else {
            Verified::Bad
        }
    }
}

/// A subject alternative name the view shows.
pub(crate) enum AltName {
    Dns(String),
    Email(String),
    Ip(IpAddr),
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

/// A `SubjectPublicKeyInfo`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    /// The algorithm's OID.
    pub(crate) oid: ObjectIdentifier,
    /// Its parameters, as one DER element (the curve's OID for EC keys).
    pub(crate) parameters: Option<Vec<u8>>,
    /// The content of the `algorithm` SEQUENCE: what rustls-webpki matches algorithms by.
    pub(crate) algorithm: Vec<u8>,
    /// The `subjectPublicKey` bits.
    pub(crate) key: Vec<u8>,
}

impl PublicKey {
    fn read<'r>(r: &mut impl Reader<'r>) -> der::Result<Self> {
        r.sequence(|spki| {
            let algorithm = AnyRef::decode(spki)?;
            algorithm.tag().assert_eq(Tag::Sequence)?;
            let (oid, parameters) = SliceReader::new(algorithm.value())?.sequence_content(|a| {
                let oid = ObjectIdentifier::decode(a)?;
                let parameters = if a.is_finished() {
                    None
                } else {
                    Some(a.tlv_bytes()?.to_vec())
                };
                Ok((oid, parameters))
            })?;
            let key = BitStringRef::decode(spki)?;
            Ok(PublicKey {
                oid,
                parameters,
                algorithm: algorithm.value().to_vec(),
                key: key.raw_bytes().to_vec(),
            })
        })
    }

    /// `true` for an EC key on P-521 (secp521r1), which `ring` cannot verify.
    pub(crate) fn is_p521(&self) -> bool {
        self.oid == EC_PUBLIC_KEY
            && self
                .parameters
                .as_deref()
                .and_then(|p| ObjectIdentifier::from_der(p).ok())
                == Some(SECP521R1)
    }
}

/// Reads all of `content` with `f`, which must use it up.
trait SequenceContent<'a> {
    fn sequence_content<T>(
        self,
        f: impl FnOnce(&mut SliceReader<'a>) -> der::Result<T>,
    ) -> der::Result<T>;
}

impl<'a> SequenceContent<'a> for SliceReader<'a> {
    fn sequence_content<T>(
        mut self,
        f: impl FnOnce(&mut SliceReader<'a>) -> der::Result<T>,
    ) -> der::Result<T> {
        let value = f(&mut self)?;
        self.finish(value)
    }
}

/// A PKCS #10 certificate request, decoded as far as it is used.
pub(crate) struct Csr {
    /// The key the request is for.
    pub(crate) public_key: PublicKey,
}

/// Reads one DER PKCS #10 request; bytes after it are an error.
pub(crate) fn csr_from_der(der: &[u8]) -> Result<Csr, String> {
    let read = || -> der::Result<Csr> {
        let mut outer = SliceReader::new(der)?;
        let public_key = outer.sequence(|r| {
            let public_key = r.sequence(|info| {
                AnyRef::decode(info)?.tag().assert_eq(Tag::Integer)?;
                Name::read(info)?;
                let public_key = PublicKey::read(info)?;
                if peek(info) == Some(ATTRIBUTES_TAG) {
                    AnyRef::decode(info)?;
                }
                Ok(public_key)
            })?;
            AnyRef::decode(r)?.tag().assert_eq(Tag::Sequence)?;
            BitStringRef::decode(r)?;
            Ok(public_key)
        })?;
        outer.finish(Csr { public_key })
    };
    read().map_err(|e| e.to_string())
}

/// `true` when `a` and `b` are the same key: the same algorithm and the same key bits
/// (parameter encodings may differ).
pub(crate) fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.oid == b.oid && a.key == b.key
}

/// A `Name` (an RDN sequence): its DER, checked to be one when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name<'a>(&'a [u8]);

impl<'a> Name<'a> {
    fn read(r: &mut impl Reader<'a>) -> der::Result<Self> {
        let der = r.tlv_bytes()?;
        Self::attributes_of(der)?;
        Ok(Name(der))
    }

    /// The DER of the name.
    pub(crate) fn der(&self) -> &'a [u8] {
        self.0
    }

    /// Each RDN's attribute types and values, in order.
    fn attributes_of(der: &'a [u8]) -> der::Result<Vec<Vec<(ObjectIdentifier, AnyRef<'a>)>>> {
        let mut r = SliceReader::new(der)?;
        let rdns = r.sequence(|seq| {
            let mut rdns = Vec::new();
            while !seq.is_finished() {
                let set = AnyRef::decode(seq)?;
                set.tag().assert_eq(Tag::Set)?;
                let mut atvs = Vec::new();
                let mut items = SliceReader::new(set.value())?;
                while !items.is_finished() {
                    atvs.push(items.sequence(|atv| {
                        Ok((ObjectIdentifier::decode(atv)?, AnyRef::decode(atv)?))
                    })?);
                }
                rdns.push(atvs);
            }
            Ok(rdns)
        })?;
        r.finish(rdns)
    }

    fn rdns(&self) -> Vec<Vec<(ObjectIdentifier, AnyRef<'a>)>> {
        // Checked when read.
        Self::attributes_of(self.0).unwrap_or_default()
    }

    fn attributes(&self) -> Vec<(ObjectIdentifier, AnyRef<'a>)> {
        self.rdns().into_iter().flatten().collect()
    }
}

/// The form the [module docs](self) give.
impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, rdn) in self.rdns().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            for (j, (oid, value)) in rdn.iter().enumerate() {
                if j > 0 {
                    f.write_str(" + ")?;
                }
                let oid = oid.to_string();
                match SHORT_NAMES.iter().find(|(o, _)| *o == oid) {
                    Some((_, short)) => f.write_str(short)?,
                    None => f.write_str(&oid)?,
                }
                f.write_str("=")?;
                match string_value(value.tag(), value.value()) {
                    Some(s) => f.write_str(&s)?,
                    None => value
                        .value()
                        .iter()
                        .try_for_each(|b| write!(f, "{b:02X}"))?,
                }
            }
        }
        Ok(())
    }
}

/// A certificate time as Unix seconds.
fn read_time<'r>(r: &mut impl Reader<'r>) -> der::Result<i64> {
    let since_epoch = if r.peek_tag()? == Tag::UtcTime {
        UtcTime::decode(r)?.to_unix_duration()
    } else {
        GeneralizedTime::decode(r)?.to_unix_duration()
    };
    Ok(i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX))
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

/// Subject and issuer names (raw DER) of a PEM certificate.
fn names(pem: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let der = pem_to_der(pem).ok()?;
    let cert = Cert::from_der(&der).ok()?;
    Some((cert.subject().der().to_vec(), cert.issuer().der().to_vec()))
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

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, DnValue, IsCa, KeyPair, SanType, SerialNumber,
    };

    /// A CA certificate with every field the view reads, made by rcgen.
    fn made() -> (KeyPair, rcgen::Certificate) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["ca.example.internal".to_owned()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CountryName, "KR");
        params.distinguished_name.push(
            DnType::OrganizationName,
            DnValue::BmpString("Ｅxample".try_into().unwrap()),
        );
        params
            .distinguished_name
            .push(DnType::CommonName, "Example CA");
        params
            .distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 65]), "pseudonym");
        params
            .subject_alt_names
            .push(SanType::IpAddress("10.0.0.7".parse().unwrap()));
        params.subject_alt_names.push(SanType::Rfc822Name(
            "pki@example.internal".try_into().unwrap(),
        ));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
        params.serial_number = Some(SerialNumber::from_slice(&[0x00, 0x8f, 0x01]));
        params.not_before = time::OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
        params.not_after = time::OffsetDateTime::from_unix_timestamp(2_556_057_600).unwrap();
        let cert = params.self_signed(&key).unwrap();
        (key, cert)
    }

    #[test]
    fn the_view_reads_every_field_it_shows() {
        let (_, cert) = made();
        let info = CertificateInfo::from_der(cert.der()).unwrap();
        assert_eq!(info.serial, "00:8f:01");
        assert_eq!(
            info.subject,
            "C=KR, O=Ｅxample, CN=Example CA, 2.5.4.65=pseudonym"
        );
        assert_eq!(info.issuer, info.subject);
        assert!(info.self_issued && info.is_ca);
        assert_eq!(info.not_before, 1_767_323_045);
        // After 2049: a GeneralizedTime.
        assert_eq!(info.not_after, 2_556_057_600);
        assert_eq!(
            info.dns_names,
            vec!["ca.example.internal", "pki@example.internal"]
        );
        assert_eq!(info.ip_addresses, vec!["10.0.0.7"]);
    }

    #[test]
    fn a_self_signed_certificate_verifies_with_its_own_key_only() {
        let (_, cert) = made();
        let parsed = Cert::from_der(cert.der()).unwrap();
        assert_eq!(parsed.verify_signed_by(parsed.public_key()), Verified::Good);
        let (_, other) = made();
        let other = Cert::from_der(other.der()).unwrap();
        assert_eq!(parsed.verify_signed_by(other.public_key()), Verified::Bad);
        let rsa_like = PublicKey {
            algorithm: vec![0x06, 0x01, 0x00],
            ..other.public_key().clone()
        };
        assert_eq!(parsed.verify_signed_by(&rsa_like), Verified::Unsupported);
    }

    #[test]
    fn a_tampered_certificate_does_not_verify() {
        let (_, cert) = made();
        let mut der = cert.der().to_vec();
        // A byte of the subject's common name, inside the signed part.
        let at = der.windows(10).position(|w| w == b"Example CA").unwrap();
        der[at] = b'e';
        let parsed = Cert::from_der(&der).unwrap();
        assert_eq!(parsed.verify_signed_by(parsed.public_key()), Verified::Bad);
    }

    #[test]
    fn a_csr_and_its_certificate_have_the_same_key() {
        let (key, cert) = made();
        let csr = CertificateParams::new(vec!["leaf.internal".to_owned()])
            .unwrap()
            .serialize_request(&key)
            .unwrap();
        let csr = csr_from_der(csr.der()).unwrap();
        let cert = Cert::from_der(cert.der()).unwrap();
        assert!(same_key(&csr.public_key, cert.public_key()));
        let (_, other) = made();
        assert!(!same_key(
            &csr.public_key,
            Cert::from_der(other.der()).unwrap().public_key()
        ));
    }

    #[test]
    fn trailing_and_missing_bytes_are_errors_not_panics() {
        let (_, cert) = made();
        let der = cert.der().to_vec();
        let mut longer = der.clone();
        longer.push(0);
        assert!(Cert::from_der(&longer).is_err());
        for cut in 0..der.len() {
            assert!(Cert::from_der(&der[..cut]).is_err(), "cut at {cut}");
        }
        assert!(csr_from_der(&der).is_err(), "a certificate is not a CSR");
    }
}
