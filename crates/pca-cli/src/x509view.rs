//! Readable views of certificates, CSRs and CRLs (parsed with x509-parser): the fields shown
//! in text output and put beside every PEM in JSON output.

use std::fmt::Write as _;

use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::SubjectPublicKeyInfo;

/// One PEM block of a file.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// The PEM blocks of `bytes`; a file with no PEM block is taken as one DER structure.
pub(crate) fn blocks(bytes: &[u8]) -> Result<Vec<Block>, String> {
    let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if !looks_pem {
        if bytes.first() == Some(&0x30) {
            return Ok(vec![Block {
                label: String::new(),
                der: bytes.to_vec(),
            }]);
        }
        return Err("neither PEM nor DER".to_owned());
    }
    let mut out = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|e| format!("bad PEM: {e}"))?;
        out.push(Block {
            label: pem.label,
            der: pem.contents,
        });
    }
    if out.is_empty() {
        return Err("no PEM block found".to_owned());
    }
    Ok(out)
}

/// The PEM text of a DER block.
pub(crate) fn to_pem(label: &str, der: &[u8]) -> String {
    let mut s = pca_core::__private::pem_text::encode(label, der);
    s.push('\n');
    s
}

/// Unix seconds as RFC 3339 (UTC).
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    x509_parser::objects::oid2sn(oid, registry)
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

pub(crate) fn key_algorithm(spki: &SubjectPublicKeyInfo<'_>) -> String {
    use x509_parser::public_key::PublicKey;
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.3.101.112" => return "Ed25519".to_owned(),
        "1.3.101.113" => return "Ed448".to_owned(),
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| match oid.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_owned(),
                    "1.3.132.0.34" => "P-384".to_owned(),
                    "1.3.132.0.35" => "P-521".to_owned(),
                    other => other.to_owned(),
                })
                .unwrap_or_else(|| "unknown curve".to_owned());
            format!("EC {curve}")
        }
        _ => oid_name(&spki.algorithm.algorithm),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Names from a subjectAltName extension: (DNS and e-mail, IP addresses, URIs).
fn general_names(names: &[GeneralName<'_>]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut dns, mut ips, mut uris) = (Vec::new(), Vec::new(), Vec::new());
    for n in names {
        match n {
            GeneralName::DNSName(d) => dns.push((*d).to_owned()),
            GeneralName::RFC822Name(e) => dns.push((*e).to_owned()),
            GeneralName::URI(u) => uris.push((*u).to_owned()),
            GeneralName::IPAddress(b) => match b.len() {
                4 => ips.push(
                    std::net::IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default()).to_string(),
                ),
                16 => ips.push(
                    std::net::IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())
                        .to_string(),
                ),
                _ => ips.push(hex(b)),
            },
            _ => {}
        }
    }
    (dns, ips, uris)
}

fn key_usage_names(ku: &x509_parser::extensions::KeyUsage) -> Vec<String> {
    let all = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ];
    all.iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| (*n).to_owned())
        .collect()
}

fn eku_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut v = Vec::new();
    let flags = [
        (eku.any, "any"),
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ];
    for (on, n) in flags {
        if on {
            v.push(n.to_owned());
        }
    }
    v.extend(eku.other.iter().map(|o| o.to_id_string()));
    v
}

/// The fields of a certificate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertView {
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) serial: String,
    pub(crate) not_before: String,
    pub(crate) not_after: String,
    pub(crate) is_ca: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path_len: Option<u32>,
    pub(crate) self_issued: bool,
    pub(crate) key_algorithm: String,
    pub(crate) signature_algorithm: String,
    pub(crate) key_usage: Vec<String>,
    pub(crate) extended_key_usage: Vec<String>,
    pub(crate) dns_names: Vec<String>,
    pub(crate) ip_addresses: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) subject_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) authority_key_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ocsp_urls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) crl_urls: Vec<String>,
}

impl CertView {
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes after the certificate", rest.len()));
        }
        Ok(Self::of(&cert))
    }

    fn of(cert: &X509Certificate<'_>) -> Self {
        let mut v = CertView {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: cert.raw_serial_as_string(),
            not_before: rfc3339(cert.validity().not_before.timestamp()),
            not_after: rfc3339(cert.validity().not_after.timestamp()),
            is_ca: false,
            path_len: None,
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            key_algorithm: key_algorithm(cert.public_key()),
            signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            uris: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            ocsp_urls: Vec::new(),
            crl_urls: Vec::new(),
        };
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    v.is_ca = bc.ca;
                    v.path_len = bc.path_len_constraint;
                }
                ParsedExtension::KeyUsage(ku) => v.key_usage = key_usage_names(ku),
                ParsedExtension::ExtendedKeyUsage(eku) => v.extended_key_usage = eku_names(eku),
                ParsedExtension::SubjectAlternativeName(san) => {
                    let (d, i, u) = general_names(&san.general_names);
                    v.dns_names = d;
                    v.ip_addresses = i;
                    v.uris = u;
                }
                ParsedExtension::SubjectKeyIdentifier(id) => v.subject_key_id = Some(hex(id.0)),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    v.authority_key_id = aki.key_identifier.as_ref().map(|k| hex(k.0));
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for ad in &aia.accessdescs {
                        if ad.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1" {
                            if let GeneralName::URI(u) = ad.access_location {
                                v.ocsp_urls.push(u.to_owned());
                            }
                        }
                    }
                }
                ParsedExtension::CRLDistributionPoints(points) => {
                    for p in points.iter() {
                        if let Some(x509_parser::extensions::DistributionPointName::FullName(
                            names,
                        )) = &p.distribution_point
                        {
                            let (_, _, u) = general_names(names);
                            v.crl_urls.extend(u);
                        }
                    }
                }
                _ => {}
            }
        }
        v
    }

    /// A few indented lines for text output.
    pub(crate) fn text(&self, indent: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{indent}subject:    {}", self.subject);
        let _ = writeln!(s, "{indent}issuer:     {}", self.issuer);
        let _ = writeln!(s, "{indent}serial:     {}", self.serial);
        let _ = writeln!(
            s,
            "{indent}valid:      {} .. {}",
            self.not_before, self.not_after
        );
        let ca = if self.is_ca {
            match self.path_len {
                Some(n) => format!("CA (path length {n})"),
                None => "CA".to_owned(),
            }
        } else {
            "end entity".to_owned()
        };
        let _ = writeln!(
            s,
            "{indent}kind:       {ca}{}",
            if self.self_issued {
                ", self-issued"
            } else {
                ""
            }
        );
        let _ = writeln!(
            s,
            "{indent}key:        {} (signed with {})",
            self.key_algorithm, self.signature_algorithm
        );
        if !self.key_usage.is_empty() || !self.extended_key_usage.is_empty() {
            let mut all = self.key_usage.clone();
            all.extend(self.extended_key_usage.iter().cloned());
            let _ = writeln!(s, "{indent}usage:      {}", all.join(", "));
        }
        if !self.dns_names.is_empty() || !self.ip_addresses.is_empty() || !self.uris.is_empty() {
            let mut all = self.dns_names.clone();
            all.extend(self.ip_addresses.iter().cloned());
            all.extend(self.uris.iter().cloned());
            let _ = writeln!(s, "{indent}names:      {}", all.join(", "));
        }
        if !self.ocsp_urls.is_empty() {
            let _ = writeln!(s, "{indent}ocsp:       {}", self.ocsp_urls.join(", "));
        }
        if !self.crl_urls.is_empty() {
            let _ = writeln!(s, "{indent}crl:        {}", self.crl_urls.join(", "));
        }
        s
    }
}

/// A PEM certificate with its parsed fields beside it (for JSON output).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PemCert {
    pub(crate) pem: String,
    #[serde(flatten)]
    pub(crate) view: Option<CertView>,
    #[serde(rename = "parseError", skip_serializing_if = "Option::is_none")]
    pub(crate) parse_error: Option<String>,
}

impl PemCert {
    /// Parses the first certificate of `pem`; a failure is kept beside the PEM.
    pub(crate) fn new(pem: &str) -> Self {
        let pem = format!("{}\n", pem.trim());
        let parsed = blocks(pem.as_bytes()).and_then(|b| {
            let first = b
                .into_iter()
                .find(|b| b.label == "CERTIFICATE")
                .ok_or_else(|| "no CERTIFICATE block".to_owned())?;
            CertView::from_der(&first.der)
        });
        match parsed {
            Ok(view) => PemCert {
                pem,
                view: Some(view),
                parse_error: None,
            },
            Err(e) => PemCert {
                pem,
                view: None,
                parse_error: Some(e),
            },
        }
    }

    /// One line: subject, serial, expiry.
    pub(crate) fn line(&self) -> String {
        match &self.view {
            Some(v) => format!("{} (serial {}, until {})", v.subject, v.serial, v.not_after),
            None => "unreadable certificate".to_owned(),
        }
    }
}

/// The fields of a CSR.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CsrView {
    pub(crate) subject: String,
    pub(crate) key_algorithm: String,
    pub(crate) signature_algorithm: String,
    pub(crate) signature_valid: Option<bool>,
    pub(crate) is_ca: bool,
    pub(crate) key_usage: Vec<String>,
    pub(crate) extended_key_usage: Vec<String>,
    pub(crate) dns_names: Vec<String>,
    pub(crate) ip_addresses: Vec<String>,
}

impl CsrView {
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        let (rest, csr) = X509CertificationRequest::from_der(der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes after the request", rest.len()));
        }
        let info = &csr.certification_request_info;
        let mut v = CsrView {
            subject: info.subject.to_string(),
            key_algorithm: key_algorithm(&info.subject_pki),
            signature_algorithm: oid_name(&csr.signature_algorithm.algorithm),
            signature_valid: None,
            is_ca: false,
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
        };
        if let Some(exts) = csr.requested_extensions() {
            for ext in exts {
                match ext {
                    ParsedExtension::BasicConstraints(bc) => v.is_ca = bc.ca,
                    ParsedExtension::KeyUsage(ku) => v.key_usage = key_usage_names(ku),
                    ParsedExtension::ExtendedKeyUsage(eku) => v.extended_key_usage = eku_names(eku),
                    ParsedExtension::SubjectAlternativeName(san) => {
                        let (d, i, _) = general_names(&san.general_names);
                        v.dns_names = d;
                        v.ip_addresses = i;
                    }
                    _ => {}
                }
            }
        }
        Ok(v)
    }

    pub(crate) fn text(&self, indent: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{indent}subject:    {}", self.subject);
        let _ = writeln!(
            s,
            "{indent}key:        {} (signed with {})",
            self.key_algorithm, self.signature_algorithm
        );
        let _ = writeln!(
            s,
            "{indent}kind:       {}",
            if self.is_ca {
                "CA (basicConstraints CA:TRUE requested)"
            } else {
                "end entity"
            }
        );
        if !self.key_usage.is_empty() || !self.extended_key_usage.is_empty() {
            let mut all = self.key_usage.clone();
            all.extend(self.extended_key_usage.iter().cloned());
            let _ = writeln!(s, "{indent}usage:      {}", all.join(", "));
        }
        if !self.dns_names.is_empty() || !self.ip_addresses.is_empty() {
            let mut all = self.dns_names.clone();
            all.extend(self.ip_addresses.iter().cloned());
            let _ = writeln!(s, "{indent}names:      {}", all.join(", "));
        }
        s
    }
}

/// One revoked certificate of a CRL.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RevokedView {
    pub(crate) serial: String,
    pub(crate) revoked_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

/// The fields of a CRL.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CrlView {
    pub(crate) issuer: String,
    pub(crate) this_update: String,
    pub(crate) next_update: Option<String>,
    pub(crate) crl_number: Option<String>,
    pub(crate) signature_algorithm: String,
    pub(crate) revoked: Vec<RevokedView>,
}

impl CrlView {
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        let (rest, crl) = CertificateRevocationList::from_der(der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes after the CRL", rest.len()));
        }
        Ok(CrlView {
            issuer: crl.issuer().to_string(),
            this_update: rfc3339(crl.last_update().timestamp()),
            next_update: crl.next_update().map(|t| rfc3339(t.timestamp())),
            crl_number: crl.crl_number().map(|n| n.to_string()),
            signature_algorithm: oid_name(&crl.signature_algorithm.algorithm),
            revoked: crl
                .iter_revoked_certificates()
                .map(|r| RevokedView {
                    serial: r.raw_serial_as_string(),
                    revoked_at: rfc3339(r.revocation_date.timestamp()),
                    reason: r.reason_code().map(|(_, rc)| rc.to_string()),
                })
                .collect(),
        })
    }

    pub(crate) fn text(&self, indent: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{indent}issuer:     {}", self.issuer);
        let _ = writeln!(s, "{indent}updated:    {}", self.this_update);
        if let Some(n) = &self.next_update {
            let _ = writeln!(s, "{indent}next:       {n}");
        }
        if let Some(n) = &self.crl_number {
            let _ = writeln!(s, "{indent}number:     {n}");
        }
        let _ = writeln!(s, "{indent}revoked:    {}", self.revoked.len());
        for r in &self.revoked {
            let reason = r
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let _ = writeln!(s, "{indent}  {} at {}{reason}", r.serial, r.revoked_at);
        }
        s
    }
}
