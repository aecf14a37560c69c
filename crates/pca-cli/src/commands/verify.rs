//! `pca verify`: path validation of a certificate to trusted roots.
//!
//! End-entity certificates are validated by rustls-webpki (signatures, validity, basic
//! constraints, name chaining, extended key usage, optional CRLs and name). webpki refuses to
//! validate a CA certificate as the end of a path, so a CA certificate is checked one of two
//! ways: with its private key (`--key`), a short-lived probe leaf is signed by it and the whole
//! path probe → CA → … → root is validated by webpki; without the key, each link is checked
//! (issuer name, signature by the issuer's key through webpki, validity, issuer is a CA) up to
//! a trusted root.
//!
//! Signatures are verified with rustls-webpki's `ring` algorithms and, for ECDSA by P-521 keys
//! (which `ring` lacks), with pca-core's pure-Rust P-521 algorithms ([`algorithms`]).

use rustls_pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm, UnixTime};
use serde_json::json;
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::cli::VerifyArgs;
use crate::exit::{CliError, Kind, Result};
use crate::files;
use crate::output::Report;
use crate::x509view::{CertView, blocks, key_algorithm};

/// Every signature algorithm `pca verify` accepts: webpki's `ring` ones and the P-521 ones.
fn algorithms() -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    webpki::ALL_VERIFICATION_ALGS
        .iter()
        .chain(pca_core::__private::P521_VERIFICATION_ALGS)
        .copied()
        .collect()
}

/// What to validate.
pub(crate) struct Input {
    pub(crate) roots: Vec<Vec<u8>>,
    pub(crate) intermediates: Vec<Vec<u8>>,
    pub(crate) target: Vec<u8>,
    pub(crate) key_pem: Option<String>,
    pub(crate) crls: Vec<Vec<u8>>,
    pub(crate) name: Option<String>,
    pub(crate) at: u64,
}

/// The result of a validation.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub(crate) valid: bool,
    pub(crate) method: &'static str,
    /// Subjects from the target to the trusted root.
    pub(crate) path: Vec<String>,
    pub(crate) error: Option<String>,
}

impl Verdict {
    pub(crate) fn json(&self) -> serde_json::Value {
        json!({
            "valid": self.valid,
            "method": self.method,
            "path": self.path,
            "error": self.error,
        })
    }
}

fn certs_of(bytes: &[u8], what: &str) -> Result<Vec<Vec<u8>>> {
    let bl = blocks(bytes).map_err(|e| CliError::usage(format!("{what}: {e}")))?;
    let certs: Vec<Vec<u8>> = bl
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE" || b.label.is_empty())
        .map(|b| b.der)
        .collect();
    for c in &certs {
        CertView::from_der(c)
            .map_err(|e| CliError::usage(format!("{what}: not a well-formed certificate: {e}")))?;
    }
    Ok(certs)
}

fn subject(der: &[u8]) -> String {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Validates `input.target`.
pub(crate) fn verify(input: &Input) -> Result<Verdict> {
    let (_, target) = X509Certificate::from_der(&input.target)
        .map_err(|e| CliError::usage(format!("the certificate is not well formed: {e}")))?;
    if input.roots.contains(&input.target) {
        return Ok(Verdict {
            valid: true,
            method: "trusted-root",
            path: vec![subject(&input.target)],
            error: None,
        });
    }
    if target.is_ca() {
        match &input.key_pem {
            Some(key) => probe_leaf(input, key),
            None => Ok(ca_links(input)),
        }
    } else {
        Ok(webpki_path(
            input,
            &input.target,
            &input.intermediates,
            "webpki",
        ))
    }
}

fn usage_for(der: &[u8]) -> KeyUsage {
    let eku = X509Certificate::from_der(der).ok().and_then(|(_, c)| {
        c.extended_key_usage()
            .ok()
            .flatten()
            .map(|e| (e.value.server_auth, e.value.client_auth))
    });
    match eku {
        Some((true, _)) | None => KeyUsage::server_auth(),
        Some((false, true)) => KeyUsage::client_auth(),
        Some((false, false)) => KeyUsage::server_auth(),
    }
}

fn webpki_path(
    input: &Input,
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    method: &'static str,
) -> Verdict {
    let fail = |e: String| Verdict {
        valid: false,
        method,
        path: vec![subject(leaf)],
        error: Some(e),
    };
    let root_ders: Vec<CertificateDer<'_>> = input
        .roots
        .iter()
        .map(|r| CertificateDer::from(r.as_slice()))
        .collect();
    let mut anchors = Vec::new();
    for r in &root_ders {
        match webpki::anchor_from_trusted_cert(r) {
            Ok(a) => anchors.push(a),
            Err(e) => return fail(format!("a root is not usable as a trust anchor: {e}")),
        }
    }
    let inter: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(leaf);
    let ee = match EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return fail(format!("the certificate is not usable: {e}")),
    };
    let mut crls = Vec::new();
    for c in &input.crls {
        match webpki::BorrowedCertRevocationList::from_der(c) {
            Ok(crl) => crls.push(webpki::CertRevocationList::from(crl)),
            Err(e) => return fail(format!("a CRL is not usable: {e}")),
        }
    }
    let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().collect();
    let revocation = if crl_refs.is_empty() {
        None
    } else {
        match webpki::RevocationOptionsBuilder::new(&crl_refs) {
            Ok(b) => Some(
                b.with_depth(webpki::RevocationCheckDepth::Chain)
                    .with_status_policy(webpki::UnknownStatusPolicy::Allow)
                    .build(),
            ),
            Err(_) => None,
        }
    };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(input.at));
    let verified = ee.verify_for_usage(
        &algorithms(),
        &anchors,
        &inter,
        time,
        usage_for(leaf),
        revocation,
        None,
    );
    let path = match verified {
        Ok(p) => {
            let mut path = vec![subject(leaf)];
            path.extend(
                p.intermediate_certificates()
                    .map(|c| subject(c.der().as_ref())),
            );
            if let Some(root) = root_ders.iter().find(|r| {
                webpki::anchor_from_trusted_cert(r).is_ok_and(|a| a.subject == p.anchor().subject)
            }) {
                path.push(subject(r_der(root)));
            }
            path
        }
        Err(e) => return fail(describe(&e)),
    };
    if let Some(name) = &input.name {
        let check = ServerName::try_from(name.as_str())
            .map_err(|e| e.to_string())
            .and_then(|n| {
                ee.verify_is_valid_for_subject_name(&n)
                    .map_err(|e| describe(&e))
            });
        if let Err(e) = check {
            return Verdict {
                valid: false,
                method,
                path,
                error: Some(format!("not valid for {name}: {e}")),
            };
        }
    }
    Verdict {
        valid: true,
        method,
        path,
        error: None,
    }
}

fn r_der<'a>(c: &'a CertificateDer<'_>) -> &'a [u8] {
    c.as_ref()
}

fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => "no path to a trusted root (unknown issuer)".to_owned(),
        E::CertExpired { .. } => "a certificate on the path has expired".to_owned(),
        E::CertNotValidYet { .. } => "a certificate on the path is not valid yet".to_owned(),
        E::CertRevoked => "the certificate is revoked".to_owned(),
        E::InvalidSignatureForPublicKey => "a signature on the path does not verify".to_owned(),
        other => format!("{other:?}"),
    }
}

/// A CA certificate with its key: a probe leaf signed by it, validated through it.
fn probe_leaf(input: &Input, key_pem: &str) -> Result<Verdict> {
    let (_, target) = X509Certificate::from_der(&input.target)
        .map_err(|e| CliError::usage(format!("the certificate is not well formed: {e}")))?;
    let key = rcgen::KeyPair::from_pem(key_pem).map_err(|e| {
        if key_algorithm(target.public_key()) == "EC P-521" {
            // Verifying P-521 needs no signer; the probe leaf does, and ring has none.
            CliError::usage(
                "--key: pca cannot sign a probe leaf with a P-521 key (ring, its crypto \
                 library, has no P-521 signer); leave out --key to check the CA certificate \
                 link by link",
            )
        } else {
            CliError::usage(format!("--key is not a usable private key: {e}"))
        }
    })?;
    if rcgen::PublicKeyData::der_bytes(&key) != &*target.public_key().subject_public_key.data {
        return Ok(Verdict {
            valid: false,
            method: "webpki-probe-leaf",
            path: vec![subject(&input.target)],
            error: Some("--key is not the certificate's private key".to_owned()),
        });
    }
    let issuer =
        rcgen::Issuer::from_ca_cert_der(&CertificateDer::from(input.target.as_slice()), key)
            .map_err(|e| CliError::usage(format!("the CA certificate cannot sign a probe: {e}")))?;
    let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| CliError::local(format!("cannot make a probe key: {e}")))?;
    let mut params = rcgen::CertificateParams::new(vec!["probe.pca.invalid".to_owned()])
        .map_err(|e| CliError::local(format!("probe: {e}")))?;
    let at = time::OffsetDateTime::from_unix_timestamp(input.at as i64)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    params.not_before = at - time::Duration::minutes(5);
    params.not_after = at + time::Duration::minutes(5);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = params
        .signed_by(&leaf_key, &issuer)
        .map_err(|e| CliError::local(format!("cannot sign the probe leaf: {e}")))?;
    let mut inter = vec![input.target.clone()];
    inter.extend(input.intermediates.iter().cloned());
    let probe_input = Input {
        roots: input.roots.clone(),
        intermediates: Vec::new(),
        target: Vec::new(),
        key_pem: None,
        crls: input.crls.clone(),
        name: None,
        at: input.at,
    };
    let mut v = webpki_path(&probe_input, leaf.der(), &inter, "webpki-probe-leaf");
    // Show the path from the CA, not from the probe.
    if !v.path.is_empty() {
        v.path.remove(0);
    }
    if v.path.is_empty() {
        v.path.push(subject(&input.target));
    }
    Ok(v)
}

/// A CA certificate without its key: each link checked up to a trusted root.
fn ca_links(input: &Input) -> Verdict {
    let method = "signature-links";
    let mut path = vec![subject(&input.target)];
    let fail = |path: Vec<String>, e: String| Verdict {
        valid: false,
        method,
        path,
        error: Some(e),
    };
    let algorithms = algorithms();
    let mut current = input.target.clone();
    let pool: Vec<&Vec<u8>> = input
        .intermediates
        .iter()
        .chain(input.roots.iter())
        .collect();
    for _ in 0..16 {
        let Ok((_, cert)) = X509Certificate::from_der(&current) else {
            return fail(
                path,
                "a certificate on the path is not well formed".to_owned(),
            );
        };
        let (nb, na) = (
            cert.validity().not_before.timestamp(),
            cert.validity().not_after.timestamp(),
        );
        let at = input.at as i64;
        if at < nb {
            return fail(path, format!("{} is not valid yet", cert.subject()));
        }
        if at > na {
            return fail(path, format!("{} has expired", cert.subject()));
        }
        let mut next = None;
        let mut last_err = format!(
            "no issuer of {} among the chain and roots (unknown issuer)",
            cert.subject()
        );
        for cand in &pool {
            if **cand == current {
                continue;
            }
            let Ok((_, issuer)) = X509Certificate::from_der(cand) else {
                continue;
            };
            if issuer.subject().as_raw() != cert.issuer().as_raw() {
                continue;
            }
            if !issuer.is_ca() {
                last_err = format!("the issuer {} is not a CA", issuer.subject());
                continue;
            }
            let cand_der = CertificateDer::from(cand.as_slice());
            let Ok(ee) = EndEntityCert::try_from(&cand_der) else {
                continue;
            };
            let tbs: &[u8] = cert.tbs_certificate.as_ref();
            let sig = &cert.signature_value.data;
            let ok = algorithms
                .iter()
                .any(|alg| ee.verify_signature(*alg, tbs, sig).is_ok());
            if !ok {
                last_err = format!(
                    "the signature of {} does not verify with the key of {}",
                    cert.subject(),
                    issuer.subject()
                );
                continue;
            }
            next = Some((*cand).clone());
            break;
        }
        let Some(next) = next else {
            return fail(path, last_err);
        };
        path.push(subject(&next));
        if input.roots.contains(&next) {
            return Verdict {
                valid: true,
                method,
                path,
                error: None,
            };
        }
        current = next;
    }
    fail(path, "the path is longer than 16 certificates".to_owned())
}

/// `pca verify`.
pub(crate) fn run(args: &VerifyArgs) -> Result<Report> {
    let mut roots = Vec::new();
    for r in &args.roots {
        roots.extend(certs_of(
            &files::read_bytes(r, "roots file")?,
            &r.display().to_string(),
        )?);
    }
    if roots.is_empty() {
        return Err(CliError::usage("--roots holds no certificate"));
    }
    let cert_certs = certs_of(
        &files::read_bytes(&args.cert, "certificate")?,
        &args.cert.display().to_string(),
    )?;
    let Some((target, rest)) = cert_certs.split_first() else {
        return Err(CliError::usage(format!(
            "{}: no certificate",
            args.cert.display()
        )));
    };
    let mut intermediates = rest.to_vec();
    for c in &args.chain {
        intermediates.extend(certs_of(
            &files::read_bytes(c, "chain file")?,
            &c.display().to_string(),
        )?);
    }
    let mut crls = Vec::new();
    for c in &args.crl {
        let bl = blocks(&files::read_bytes(c, "CRL file")?)
            .map_err(|e| CliError::usage(format!("{}: {e}", c.display())))?;
        crls.extend(bl.into_iter().map(|b| b.der));
    }
    let key_pem = match &args.key {
        Some(k) => Some(files::read_text(k, "key file")?),
        None => None,
    };
    let at = args.at.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    });
    let input = Input {
        roots,
        intermediates,
        target: target.clone(),
        key_pem,
        crls,
        name: args.name.clone(),
        at,
    };
    let verdict = verify(&input)?;
    Ok(report(&verdict, &input.target))
}

/// The report of a verdict; a failed validation carries exit code 6.
pub(crate) fn report(verdict: &Verdict, target: &[u8]) -> Report {
    let mut json = verdict.json();
    if let (Some(obj), Ok(view)) = (json.as_object_mut(), CertView::from_der(target)) {
        obj.insert("certificate".into(), json!(view));
    }
    let text = if verdict.valid {
        format!(
            "OK: valid ({})\n  path: {}\n",
            verdict.method,
            verdict.path.join("\n     → ")
        )
    } else {
        format!(
            "FAILED: {} ({})\n  path so far: {}\n",
            verdict.error.as_deref().unwrap_or("not valid"),
            verdict.method,
            verdict.path.join(" → ")
        )
    };
    let mut r = Report::new(json, text);
    if !verdict.valid {
        r.failure = Some(CliError::new(
            Kind::Verify,
            format!(
                "verification failed: {}",
                verdict.error.as_deref().unwrap_or("not valid")
            ),
        ));
    }
    r
}
