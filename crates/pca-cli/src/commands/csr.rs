//! `pca csr new`: a private key and a PKCS#10 request for it, made locally with rcgen.

use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    KeyPair, KeyUsagePurpose, SanType,
};
use serde_json::json;

use crate::cli::{CsrNewArgs, KeyAlgorithm, ProfileKind, SubjectArgs};
use crate::exit::{CliError, Result};
use crate::files::{self, OutFile};
use crate::output::{Report, Ui};
use crate::x509view::{CsrView, blocks};

/// A key and a CSR, both PEM. The key is secret: it goes to files only.
pub(crate) struct KeyAndCsr {
    pub(crate) key_pem: String,
    pub(crate) csr_pem: String,
}

impl std::fmt::Debug for KeyAndCsr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAndCsr")
            .field("key_pem", &"** redacted **")
            .field("csr_pem", &self.csr_pem)
            .finish()
    }
}

fn rcgen_err(what: &str) -> impl Fn(rcgen::Error) -> CliError + '_ {
    move |e| CliError::usage(format!("{what}: {e}"))
}

/// Makes a key of `alg`.
pub(crate) fn generate_key(alg: KeyAlgorithm) -> Result<KeyPair> {
    let key = match alg {
        KeyAlgorithm::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlgorithm::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyAlgorithm::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519),
        KeyAlgorithm::Rsa2048 => return generate_rsa(2048),
        KeyAlgorithm::Rsa3072 => return generate_rsa(3072),
        KeyAlgorithm::Rsa4096 => return generate_rsa(4096),
    };
    key.map_err(|e| CliError::local(format!("cannot make the key: {e}")))
}

/// A new RSA key of `bits` bits. ring, pca's one crypto library, signs with RSA keys but cannot
/// make them: the pure-Rust `rsa` crate makes the key, handed to rcgen as PKCS#8.
fn generate_rsa(bits: usize) -> Result<KeyPair> {
    use rsa::pkcs8::EncodePrivateKey;
    let fail = |e: &dyn std::fmt::Display| CliError::local(format!("cannot make the key: {e}"));
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits).map_err(|e| fail(&e))?;
    let der = key.to_pkcs8_der().map_err(|e| fail(&e))?;
    KeyPair::try_from(der.as_bytes()).map_err(|e| fail(&e))
}

/// The DER content of basicConstraints `CA:TRUE` with an optional path length.
pub(crate) fn basic_constraints_ca(path_len: Option<u8>) -> Vec<u8> {
    match path_len {
        None => vec![0x30, 0x03, 0x01, 0x01, 0xff],
        Some(n) if n < 0x80 => vec![0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, n],
        Some(n) => vec![0x30, 0x07, 0x01, 0x01, 0xff, 0x02, 0x02, 0x00, n],
    }
}

/// Makes a key and a CSR for `subject`.
pub(crate) fn make(
    alg: KeyAlgorithm,
    kind: ProfileKind,
    path_len: Option<u8>,
    subject: &SubjectArgs,
) -> Result<KeyAndCsr> {
    if subject.cn.trim().is_empty() {
        return Err(CliError::usage("--cn must not be empty"));
    }
    if path_len.is_some() && kind != ProfileKind::Ca {
        return Err(CliError::usage("--path-len applies only to --kind ca"));
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(c) = &subject.country {
        dn.push(DnType::CountryName, c.as_str());
    }
    if let Some(s) = &subject.state {
        dn.push(DnType::StateOrProvinceName, s.as_str());
    }
    if let Some(l) = &subject.locality {
        dn.push(DnType::LocalityName, l.as_str());
    }
    if let Some(o) = &subject.org {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    if let Some(ou) = &subject.ou {
        dn.push(DnType::OrganizationalUnitName, ou.as_str());
    }
    dn.push(DnType::CommonName, subject.cn.as_str());
    params.distinguished_name = dn;
    for name in &subject.san {
        let san = if name.contains('@') {
            SanType::Rfc822Name(name.as_str().try_into().map_err(rcgen_err("--san"))?)
        } else if let Ok(ip) = name.parse::<std::net::IpAddr>() {
            SanType::IpAddress(ip)
        } else {
            SanType::DnsName(name.as_str().try_into().map_err(rcgen_err("--san"))?)
        };
        params.subject_alt_names.push(san);
    }
    for ip in &subject.ip {
        let ip: std::net::IpAddr = ip
            .parse()
            .map_err(|_| CliError::usage(format!("--ip {ip:?} is not an IPv4 or IPv6 address")))?;
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    match kind {
        ProfileKind::Ca => {
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let mut bc =
                CustomExtension::from_oid_content(&[2, 5, 29, 19], basic_constraints_ca(path_len));
            bc.set_criticality(true);
            params.custom_extensions.push(bc);
        }
        ProfileKind::Leaf => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if matches!(
                alg,
                KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096
            ) {
                params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            }
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
        }
    }
    let key = generate_key(alg)?;
    let csr = params
        .serialize_request(&key)
        .map_err(rcgen_err("cannot make the CSR"))?;
    let csr_pem = csr
        .pem()
        .map_err(|e| CliError::local(format!("cannot encode the CSR: {e}")))?;
    Ok(KeyAndCsr {
        key_pem: key.serialize_pem(),
        csr_pem,
    })
}

/// JSON and text fields of a CSR PEM.
pub(crate) fn csr_json(csr_pem: &str) -> serde_json::Value {
    let view = blocks(csr_pem.as_bytes())
        .ok()
        .and_then(|b| b.into_iter().next())
        .and_then(|b| CsrView::from_der(&b.der).ok());
    let mut v = json!({ "pem": csr_pem });
    if let (Some(view), Some(obj)) = (view, v.as_object_mut()) {
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(view) {
            obj.extend(fields);
        }
    }
    v
}

/// `pca csr new`.
pub(crate) fn new(args: &CsrNewArgs, ui: &Ui) -> Result<Report> {
    files::check_free(&args.out_dir, &["key.pem", "csr.pem"], args.force)?;
    ui.step(format!(
        "making a {:?} key and a {:?} CSR",
        args.key_algorithm, args.kind
    ));
    let made = make(args.key_algorithm, args.kind, args.path_len, &args.subject)?;
    let written = files::write_all(
        &args.out_dir,
        &[
            OutFile::secret("key.pem", made.key_pem.clone()),
            OutFile::public("csr.pem", made.csr_pem.clone()),
        ],
        args.force,
    )?;
    let view = blocks(made.csr_pem.as_bytes())
        .ok()
        .and_then(|b| b.into_iter().next())
        .and_then(|b| CsrView::from_der(&b.der).ok());
    let mut text = format!(
        "key:  {} (mode 0600)\ncsr:  {}\n",
        written[0].display(),
        written[1].display()
    );
    if let Some(v) = &view {
        text.push_str(&v.text("  "));
    }
    let json = json!({
        "csr": csr_json(&made.csr_pem),
        "files": {
            "key": written[0].display().to_string(),
            "csr": written[1].display().to_string(),
        },
    });
    Ok(Report::new(json, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_constraints_der() {
        assert_eq!(basic_constraints_ca(None), [0x30, 0x03, 0x01, 0x01, 0xff]);
        assert_eq!(
            basic_constraints_ca(Some(0)),
            [0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]
        );
        assert_eq!(
            basic_constraints_ca(Some(200)),
            [0x30, 0x07, 0x01, 0x01, 0xff, 0x02, 0x02, 0x00, 200]
        );
    }

    #[test]
    fn the_key_is_redacted_in_debug() {
        let made = KeyAndCsr {
            key_pem: "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n".into(),
            csr_pem: "csr".into(),
        };
        let shown = format!("{made:?}");
        assert!(!shown.contains("secret"));
        assert!(shown.contains("redacted"));
    }
}
