//! Keys, certificates, CSRs and CRLs, made with `rcgen` and read with `x509-parser`.

use std::time::{Duration, SystemTime};

use pca_core::KeyType;
use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString, UniversalString};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension,
    DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, PublicKeyData, RevokedCertParams, SanType, SerialNumber,
    SignatureAlgorithm,
};
use time::OffsetDateTime;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::{
    FromDer, GeneralName, ParsedExtension, X509Certificate, X509CertificationRequest, X509Name,
};
use x509_parser::public_key::PublicKey;

/// Why a PKI step failed; the message is safe to show (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PkiError(pub(crate) String);

impl PkiError {
    fn new(msg: impl Into<String>) -> Self {
        PkiError(msg.into())
    }
}

impl From<rcgen::Error> for PkiError {
    fn from(e: rcgen::Error) -> Self {
        PkiError(format!("certificate library: {e}"))
    }
}

/// The `rcgen` signature algorithm of a CA key type. ring, the default crypto library, has no
/// P-521: EC521 needs the `ec521` feature (rcgen on aws-lc-rs).
fn algorithm(kt: KeyType) -> Result<&'static SignatureAlgorithm, PkiError> {
    match kt {
        KeyType::Rsa2048 | KeyType::Rsa4096 => Ok(&rcgen::PKCS_RSA_SHA256),
        KeyType::Ec256 => Ok(&rcgen::PKCS_ECDSA_P256_SHA256),
        #[cfg(feature = "ec521")]
        KeyType::Ec521 => Ok(&rcgen::PKCS_ECDSA_P521_SHA512),
        #[cfg(not(feature = "ec521"))]
        KeyType::Ec521 => Err(PkiError::new(
            "EC521 keys need the emulator built with its `ec521` feature",
        )),
        other => Err(PkiError::new(format!("key type {other} is not supported"))),
    }
}

/// Makes a new key of type `kt`.
pub(crate) fn generate_key(kt: KeyType) -> Result<KeyPair, PkiError> {
    match kt {
        KeyType::Rsa2048 => generate_rsa(2048),
        KeyType::Rsa4096 => generate_rsa(4096),
        _ => Ok(KeyPair::generate_for(algorithm(kt)?)?),
    }
}

/// A new RSA key of `bits` bits. ring signs with RSA keys but cannot make them: the pure-Rust
/// `rsa` crate makes the key, handed to rcgen as PKCS#8.
fn generate_rsa(bits: usize) -> Result<KeyPair, PkiError> {
    use rsa::pkcs8::EncodePrivateKey;
    let fail = |e: &dyn std::fmt::Display| PkiError::new(format!("RSA key generation: {e}"));
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits).map_err(|e| fail(&e))?;
    let der = key.to_pkcs8_der().map_err(|e| fail(&e))?;
    // An RSA PKCS#8 key loads as PKCS_RSA_SHA256 under both of rcgen's crypto libraries.
    Ok(KeyPair::try_from(der.as_bytes())?)
}

/// Loads a stored key of type `kt` (PKCS#8 PEM).
pub(crate) fn load_key(kt: KeyType, pem: &str) -> Result<KeyPair, PkiError> {
    Ok(KeyPair::from_pem_and_sign_algo(pem, algorithm(kt)?)?)
}

/// The public-key algorithm name the service reports (`RSA`, `EC`, `Ed25519`).
pub(crate) fn key_type_algorithm(kt: KeyType) -> &'static str {
    match kt {
        KeyType::Rsa2048 | KeyType::Rsa4096 => "RSA",
        KeyType::Ec256 | KeyType::Ec521 => "EC",
        other => other.as_str(),
    }
}

/// A fresh positive 20-octet serial number.
pub(crate) fn new_serial() -> Vec<u8> {
    let mut b: [u8; 20] = rand::random();
    b[0] = (b[0] & 0x7f) | 0x01;
    b.to_vec()
}

/// Colon-separated lower-case hex, as the service shows serial numbers.
pub(crate) fn serial_text(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The lookup key of a serial number given in any accepted form (`0A:0b`, `0a0b`).
pub(crate) fn serial_key(text: &str) -> String {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn odt(t: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(t)
}

/// Unix milliseconds of a `SystemTime`.
pub(crate) fn millis(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// A `SystemTime` from Unix milliseconds.
pub(crate) fn from_millis(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Subject fields of `x509Parameters`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    pub(crate) common_name: String,
    pub(crate) country: Option<String>,
    pub(crate) state_province: Option<String>,
    pub(crate) locality: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) organization_unit: Option<String>,
    pub(crate) street_address: Option<String>,
}

impl Subject {
    /// The distinguished name, in the usual C, ST, L, street, O, OU, CN order.
    pub(crate) fn to_dn(&self) -> Result<DistinguishedName, PkiError> {
        let mut dn = DistinguishedName::new();
        if let Some(c) = &self.country {
            let v = PrintableString::try_from(c.as_str())
                .map_err(|_| PkiError::new("x509Parameters.country is not printable"))?;
            dn.push(DnType::CountryName, DnValue::PrintableString(v));
        }
        let pairs = [
            (DnType::StateOrProvinceName, &self.state_province),
            (DnType::LocalityName, &self.locality),
            (DnType::CustomDnType(vec![2, 5, 4, 9]), &self.street_address),
            (DnType::OrganizationName, &self.organization),
            (DnType::OrganizationalUnitName, &self.organization_unit),
        ];
        for (ty, value) in pairs {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                dn.push(ty, DnValue::Utf8String(v.to_owned()));
            }
        }
        dn.push(
            DnType::CommonName,
            DnValue::Utf8String(self.common_name.clone()),
        );
        Ok(dn)
    }
}

/// A distinguished name of a parsed certificate or CSR, as `rcgen` writes it back (same
/// attribute order and string types, so that issuer names match subject names byte for byte).
pub(crate) fn dn_from_name(name: &X509Name<'_>) -> Result<DistinguishedName, PkiError> {
    let mut dn = DistinguishedName::new();
    let mut seen: Vec<DnType> = Vec::new();
    for rdn in name.iter() {
        let attrs: Vec<_> = rdn.iter().collect();
        let [attr] = attrs.as_slice() else {
            return Err(PkiError::new(
                "the name has an empty or multi-valued RDN, which is not supported",
            ));
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| PkiError::new("the name has an attribute type that is not an OID"))?
            .collect();
        let ty = DnType::from_oid(&oid);
        if seen.contains(&ty) {
            return Err(PkiError::new(
                "the name repeats an attribute type, which is not supported",
            ));
        }
        seen.push(ty.clone());
        let value = attr.attr_value();
        let data = value.data;
        let text = || {
            std::str::from_utf8(data)
                .map_err(|_| PkiError::new("the name holds a string that is not valid text"))
        };
        let bad = |_| PkiError::new("the name holds a string not valid for its type");
        let v = match value.header.tag() {
            Tag::Utf8String => DnValue::Utf8String(text()?.to_owned()),
            Tag::PrintableString => {
                DnValue::PrintableString(PrintableString::try_from(text()?).map_err(bad)?)
            }
            Tag::Ia5String => DnValue::Ia5String(Ia5String::try_from(text()?).map_err(bad)?),
            Tag::T61String => {
                DnValue::TeletexString(TeletexString::try_from(text()?).map_err(bad)?)
            }
            Tag::BmpString => {
                DnValue::BmpString(BmpString::from_utf16be(data.to_vec()).map_err(bad)?)
            }
            Tag::UniversalString => {
                DnValue::UniversalString(UniversalString::from_utf32be(data.to_vec()).map_err(bad)?)
            }
            _ => {
                return Err(PkiError::new(
                    "the name holds a value that is not a directory string",
                ));
            }
        };
        dn.push(ty, v);
    }
    Ok(dn)
}

/// A public key taken from a CSR: written into the certificate exactly as requested.
#[derive(Debug, Clone)]
pub(crate) struct RequestedKey {
    spki: Vec<u8>,
    raw: Vec<u8>,
    alg: &'static SignatureAlgorithm,
    /// `true` for an RSA key (which may encipher keys).
    pub(crate) rsa: bool,
}

impl PublicKeyData for RequestedKey {
    fn subject_public_key_info(&self) -> Vec<u8> {
        self.spki.clone()
    }

    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

/// A certificate request, checked (signature verified) and taken apart.
#[derive(Debug, Clone)]
pub(crate) struct ParsedCsr {
    pub(crate) key: RequestedKey,
    pub(crate) subject: DistinguishedName,
    pub(crate) subject_is_empty: bool,
    pub(crate) sans: Vec<SanType>,
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";

/// Parses and verifies a PKCS#10 request (DER). Accepts RSA 2048..=8192-bit, EC P-256 and
/// P-384, and Ed25519 keys.
pub(crate) fn parse_csr(der: &[u8]) -> Result<ParsedCsr, CsrError> {
    let (rest, csr) = X509CertificationRequest::from_der(der)
        .map_err(|e| CsrError::Malformed(format!("not a PKCS#10 request: {e}")))?;
    if !rest.is_empty() {
        return Err(CsrError::Malformed(
            "bytes after the end of the request".to_owned(),
        ));
    }
    let info = &csr.certification_request_info;
    let spki = &info.subject_pki;
    let alg_oid = spki.algorithm.algorithm.to_id_string();
    let alg: &'static SignatureAlgorithm = match alg_oid.as_str() {
        OID_RSA => {
            let bits = match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => rsa.key_size(),
                _ => {
                    return Err(CsrError::Malformed(
                        "the RSA public key does not parse".to_owned(),
                    ));
                }
            };
            if !(2048..=8192).contains(&bits) {
                return Err(CsrError::KeyType(format!(
                    "RSA keys of {bits} bits are not accepted (2048 to 8192)"
                )));
            }
            &rcgen::PKCS_RSA_SHA256
        }
        OID_EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            match curve.as_str() {
                OID_P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
                OID_P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
                _ => {
                    return Err(CsrError::KeyType(
                        "EC keys are accepted on P-256 and P-384".to_owned(),
                    ));
                }
            }
        }
        OID_ED25519 => &rcgen::PKCS_ED25519,
        other => {
            return Err(CsrError::KeyType(format!(
                "public keys of algorithm {other} are not accepted (RSA, EC P-256/P-384, Ed25519)"
            )));
        }
    };
    csr.verify_signature()
        .map_err(|e| CsrError::Signature(e.to_string()))?;
    let subject = dn_from_name(&info.subject).map_err(|e| CsrError::Malformed(e.0))?;
    let mut sans = Vec::new();
    if let Some(exts) = csr.requested_extensions() {
        for ext in exts {
            if let ParsedExtension::SubjectAlternativeName(san) = ext {
                for name in &san.general_names {
                    if let Some(s) = san_from_general(name) {
                        sans.push(s);
                    }
                }
            }
        }
    }
    Ok(ParsedCsr {
        key: RequestedKey {
            spki: spki.raw.to_vec(),
            raw: spki.subject_public_key.data.to_vec(),
            alg,
            rsa: alg_oid == OID_RSA,
        },
        subject_is_empty: info.subject.iter().next().is_none(),
        subject,
        sans,
    })
}

fn san_from_general(name: &GeneralName<'_>) -> Option<SanType> {
    match name {
        GeneralName::DNSName(d) => Ia5String::try_from(*d).ok().map(SanType::DnsName),
        GeneralName::RFC822Name(e) => Ia5String::try_from(*e).ok().map(SanType::Rfc822Name),
        GeneralName::URI(u) => Ia5String::try_from(*u).ok().map(SanType::URI),
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| SanType::IpAddress(a.into())),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| SanType::IpAddress(a.into())),
            _ => None,
        },
        _ => None,
    }
}

/// Why a CSR was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CsrError {
    /// Not a well-formed request.
    Malformed(String),
    /// A key algorithm or size that is not accepted.
    KeyType(String),
    /// The request's signature does not verify.
    Signature(String),
}

/// What a CA needs to sign: its key, its name as issuer and its key identifier.
pub(crate) struct Signer {
    key: KeyPair,
    issuer_params: CertificateParams,
    /// The CA certificate's notAfter.
    pub(crate) not_after: SystemTime,
    /// Its subject name (DER), hashed in OCSP certificate ids.
    pub(crate) name_der: Vec<u8>,
    /// Its public key's bits (the subjectPublicKey BIT STRING's content), hashed in OCSP
    /// certificate ids and responder ids.
    pub(crate) key_bits: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(** key redacted **)")
    }
}

impl Signer {
    /// A signer for the CA certificate `cert_der` with its key.
    pub(crate) fn new(key: KeyPair, cert_der: &[u8]) -> Result<Self, PkiError> {
        let (_, cert) = X509Certificate::from_der(cert_der)
            .map_err(|e| PkiError::new(format!("CA certificate does not parse: {e}")))?;
        let ski = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            });
        let mut issuer_params = CertificateParams::default();
        issuer_params.distinguished_name = dn_from_name(cert.subject())?;
        issuer_params.key_identifier_method = match ski {
            Some(ski) => KeyIdMethod::PreSpecified(ski),
            None => KeyIdMethod::Sha256,
        };
        let not_after = from_millis(cert.validity().not_after.timestamp().saturating_mul(1000));
        Ok(Signer {
            key,
            issuer_params,
            not_after,
            name_der: cert.subject().as_raw().to_vec(),
            key_bits: cert.public_key().subject_public_key.data.to_vec(),
        })
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.issuer_params, &self.key)
    }

    /// Signs a certificate.
    pub(crate) fn sign(
        &self,
        params: &CertificateParams,
        public_key: &impl PublicKeyData,
    ) -> Result<Vec<u8>, PkiError> {
        Ok(params.signed_by(public_key, &self.issuer())?.der().to_vec())
    }

    /// Signs `message` (an OCSP answer's DER) with the CA key; returns the signature and the
    /// signature algorithm's OID (and whether its parameters are NULL).
    pub(crate) fn sign_bytes(
        &self,
        message: &[u8],
    ) -> Result<(Vec<u8>, &'static str, bool), PkiError> {
        use rcgen::SigningKey as _;
        let alg = self.key.algorithm();
        let (oid, null_params) = if alg == &rcgen::PKCS_RSA_SHA256 {
            ("1.2.840.113549.1.1.11", true)
        } else if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
            ("1.2.840.10045.4.3.2", false)
        } else if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
            ("1.2.840.10045.4.3.3", false)
        } else if alg == &rcgen::PKCS_ED25519 {
            ("1.3.101.112", false)
        } else {
            // The only other CA key type: EC521 (ECDSA with SHA-512).
            ("1.2.840.10045.4.3.4", false)
        };
        Ok((self.key.sign(message)?, oid, null_params))
    }

    /// Signs a CRL listing `revoked` (serial bytes, revocation time).
    pub(crate) fn sign_crl(
        &self,
        number: u64,
        this_update: SystemTime,
        next_update: SystemTime,
        revoked: &[(Vec<u8>, SystemTime)],
    ) -> Result<String, PkiError> {
        let params = CertificateRevocationListParams {
            this_update: odt(this_update),
            next_update: odt(next_update),
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|(serial, at)| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: odt(*at),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: self.issuer_params.key_identifier_method.clone(),
        };
        Ok(params.signed_by(&self.issuer())?.pem()?)
    }
}

/// The URLs a CA writes into the certificates it signs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CertUrls {
    /// The OCSP responder (AIA id-ad-ocsp), once Create OCSP set one.
    pub(crate) ocsp: Option<String>,
    /// Where the CA's CRL is (CRL distribution point).
    pub(crate) crl: Option<String>,
    /// Where the CA's certificate is (AIA id-ad-caIssuers).
    pub(crate) ca_issuers: Option<String>,
}

/// The Authority Information Access extension (RFC 5280 4.2.2.1), DER-encoded by `x509-cert`.
fn aia_extension(urls: &CertUrls) -> Option<CustomExtension> {
    use der::Encode as _;
    use der::asn1::Ia5String as DerIa5;
    use x509_cert::ext::pkix::name::GeneralName as DerName;
    use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax};
    const OCSP: der::oid::ObjectIdentifier =
        der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
    const CA_ISSUERS: der::oid::ObjectIdentifier =
        der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");
    let entries: Vec<AccessDescription> = [(OCSP, &urls.ocsp), (CA_ISSUERS, &urls.ca_issuers)]
        .into_iter()
        .filter_map(|(method, url)| {
            Some(AccessDescription {
                access_method: method,
                access_location: DerName::UniformResourceIdentifier(
                    DerIa5::new(url.as_deref()?).ok()?,
                ),
            })
        })
        .collect();
    if entries.is_empty() {
        return None;
    }
    let content = AuthorityInfoAccessSyntax(entries).to_der().ok()?;
    Some(CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
        content,
    ))
}

fn add_urls(p: &mut CertificateParams, urls: &CertUrls) {
    if let Some(crl) = &urls.crl {
        p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec![crl.clone()],
        }];
    }
    if let Some(ext) = aia_extension(urls) {
        p.custom_extensions.push(ext);
    }
}

/// Parameters of a CA certificate.
pub(crate) fn ca_params(
    dn: DistinguishedName,
    serial: &[u8],
    not_before: SystemTime,
    not_after: SystemTime,
    urls: &CertUrls,
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.serial_number = Some(SerialNumber::from_slice(serial));
    p.not_before = odt(not_before);
    p.not_after = odt(not_after);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = true;
    add_urls(&mut p, urls);
    p
}

/// Parameters of an end-entity certificate (keyEncipherment only for RSA keys).
pub(crate) fn end_params(
    dn: DistinguishedName,
    sans: Vec<SanType>,
    serial: &[u8],
    not_before: SystemTime,
    not_after: SystemTime,
    urls: &CertUrls,
    rsa: bool,
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.subject_alt_names = sans;
    p.serial_number = Some(SerialNumber::from_slice(serial));
    p.not_before = odt(not_before);
    p.not_after = odt(not_after);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if rsa {
        p.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.use_authority_key_identifier_extension = true;
    add_urls(&mut p, urls);
    p
}

/// Self-signs a root CA certificate.
pub(crate) fn self_sign(params: &CertificateParams, key: &KeyPair) -> Result<Vec<u8>, PkiError> {
    Ok(params.self_signed(key)?.der().to_vec())
}

/// Makes a CSR for a pending sub CA.
pub(crate) fn make_csr(
    dn: DistinguishedName,
    sans: Vec<SanType>,
    key: &KeyPair,
) -> Result<String, PkiError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.subject_alt_names = sans;
    Ok(params.serialize_request(key)?.pem()?)
}

/// The facts of a certificate the service reports.
#[derive(Debug, Clone)]
pub(crate) struct CertFacts {
    pub(crate) serial: Vec<u8>,
    pub(crate) subject_cn: Option<String>,
    pub(crate) issuer: String,
    pub(crate) not_before_ms: i64,
    pub(crate) not_after_ms: i64,
    pub(crate) public_key_algorithm: String,
    pub(crate) signature_algorithm: String,
    pub(crate) is_ca: bool,
    pub(crate) can_sign_certs: bool,
    pub(crate) spki: Vec<u8>,
}

fn first_attr<'a: 'b, 'b>(
    mut iter: impl Iterator<Item = &'b x509_parser::x509::AttributeTypeAndValue<'a>>,
) -> Option<String> {
    iter.find_map(|a| a.as_str().ok().map(str::to_owned))
}

/// Reads the facts of a DER certificate.
pub(crate) fn cert_facts(der: &[u8]) -> Result<CertFacts, PkiError> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|e| PkiError::new(format!("not an X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(PkiError::new("bytes after the end of the certificate"));
    }
    let subject = cert.subject();
    let spki = cert.public_key();
    let public_key_algorithm = match spki.algorithm.algorithm.to_id_string().as_str() {
        OID_RSA => "RSA".to_owned(),
        OID_EC => "EC".to_owned(),
        OID_ED25519 => "Ed25519".to_owned(),
        other => other.to_owned(),
    };
    let signature_algorithm = match cert.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.11" => "SHA256WITHRSA".to_owned(),
        "1.2.840.113549.1.1.12" => "SHA384WITHRSA".to_owned(),
        "1.2.840.113549.1.1.13" => "SHA512WITHRSA".to_owned(),
        "1.2.840.10045.4.3.2" => "SHA256WITHECDSA".to_owned(),
        "1.2.840.10045.4.3.3" => "SHA384WITHECDSA".to_owned(),
        "1.2.840.10045.4.3.4" => "SHA512WITHECDSA".to_owned(),
        "1.3.101.112" => "ED25519".to_owned(),
        other => other.to_owned(),
    };
    let can_sign_certs = match cert.key_usage() {
        Ok(Some(ku)) => ku.value.key_cert_sign(),
        Ok(None) => true,
        Err(_) => false,
    };
    Ok(CertFacts {
        serial: cert.raw_serial().to_vec(),
        subject_cn: first_attr(subject.iter_common_name()),
        issuer: cert.issuer().to_string(),
        not_before_ms: cert.validity().not_before.timestamp().saturating_mul(1000),
        not_after_ms: cert.validity().not_after.timestamp().saturating_mul(1000),
        public_key_algorithm,
        signature_algorithm,
        is_ca: cert.is_ca(),
        can_sign_certs,
        spki: spki.raw.to_vec(),
    })
}

/// `true` when `child_der` carries a signature made by the key of `issuer_der`, and names it as
/// its issuer.
pub(crate) fn is_signed_by(child_der: &[u8], issuer_der: &[u8]) -> bool {
    let (Ok((_, child)), Ok((_, issuer))) = (
        X509Certificate::from_der(child_der),
        X509Certificate::from_der(issuer_der),
    ) else {
        return false;
    };
    child.issuer().as_raw() == issuer.subject().as_raw()
        && child.verify_signature(Some(issuer.public_key())).is_ok()
}

/// PEM of a DER certificate.
pub(crate) fn cert_pem(der: &[u8]) -> String {
    pca_core::__private::pem_text::encode("CERTIFICATE", der)
}

/// DER of the first CERTIFICATE block of a PEM text.
pub(crate) fn pem_der(pem_text: &str) -> Option<Vec<u8>> {
    let (blocks, _) = pca_core::__private::pem_text::find_blocks(pem_text);
    let block = blocks.iter().find(|b| b.label == "CERTIFICATE")?;
    pem::parse(block.text).ok().map(pem::Pem::into_contents)
}
