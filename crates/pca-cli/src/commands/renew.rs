//! `pca cert renew` and `pca sub renew`: renew a certificate when it is due, replace its files
//! together, run a hook; once, or as a daemon.
//!
//! The decision (due, and when) is `pca_core::renewal::decide`. A renewal is: a CSR with the
//! current certificate's subject, alternative names and key usages for the same key (a new one
//! of the same type with `--rotate-key`; for a sub CA, basicConstraints CA:TRUE with the
//! current path length), Sign End CSR (Sign Sub CSR) at `--ca`, the answer checked, recovered
//! once if the answer is lost, then the files replaced by `files::replace_set` (the previous
//! set kept in `DIR/previous/`), then `--exec`. Any failure before the replacement leaves the
//! files as they were.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use pca_core::operations::{SignEndCsr, SignSubCsr};
use pca_core::recovery::Recovery;
use pca_core::renewal::{RenewAt, Renewal, decide_for_pem};
use pca_core::{Period, SignedCertificate, Timestamp};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
};
use serde_json::json;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::Ctx;
use super::render::{CERT_FILES, cert_files};
use crate::cli::{KeyAlgorithm, RenewArgs};
use crate::client::{Api, Signed};
use crate::exit::{CliError, Kind, Result};
use crate::files::{self, OutFile, PREVIOUS_DIR};
use crate::output::Report;

/// Which renewal: an end certificate or a sub CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum What {
    Cert,
    Sub,
}

impl What {
    fn name(self) -> &'static str {
        match self {
            What::Cert => "cert renew",
            What::Sub => "sub renew",
        }
    }
}

/// How one check ended.
enum Outcome {
    NotDue(Renewal),
    Renewed {
        serial: String,
        not_after: i64,
        files: Vec<PathBuf>,
        recovered: bool,
    },
}

pub(crate) fn run(args: &RenewArgs, what: What, ctx: &Ctx<'_>) -> Result<Report> {
    if let Some(d) = args.days {
        Period::days(d)?;
    }
    if args.daemon {
        return daemon(args, what, ctx);
    }
    let mut api = None;
    let now = SystemTime::now();
    match check(args, what, ctx, &mut api, now, args.force)? {
        Outcome::NotDue(r) => {
            let line = not_due_line(&args.cert, &r, now);
            Ok(Report::new(
                json!({
                    "due": false,
                    "dueAt": rfc3339_ms(r.due_at),
                    "notAfter": rfc3339_ms(r.not_after),
                    "sent": false,
                }),
                format!("{line}\n"),
            ))
        }
        Outcome::Renewed {
            serial,
            not_after,
            files,
            recovered,
        } => Ok(Report::new(
            json!({
                "due": true,
                "renewed": true,
                "serialNo": serial,
                "recovered": recovered,
                "notAfter": rfc3339_secs(not_after),
                "files": files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            }),
            format!(
                "renewed: serial {serial}, valid until {}; files replaced in {}\n",
                rfc3339_secs(not_after),
                out_dir(args).display()
            ),
        )),
    }
}

fn rfc3339_ms(t: Timestamp) -> String {
    humantime::format_rfc3339_seconds(t.to_system_time()).to_string()
}

fn rfc3339_secs(secs: i64) -> String {
    rfc3339_ms(Timestamp::from_unix_millis(
        u64::try_from(secs).unwrap_or(0) * 1000,
    ))
}

fn not_due_line(cert: &Path, r: &Renewal, now: SystemTime) -> String {
    let left = r.due_in(Timestamp::from_system_time(now));
    format!(
        "not due: {} is due for renewal at {} (in {}), expires {}; nothing was sent",
        cert.display(),
        rfc3339_ms(r.due_at),
        humantime::format_duration(Duration::from_secs(left.as_secs())),
        rfc3339_ms(r.not_after)
    )
}

fn out_dir(args: &RenewArgs) -> PathBuf {
    match &args.out_dir {
        Some(d) => d.clone(),
        None => match args.cert.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    }
}

/// One check: decide, and renew when due (or `force`).
fn check(
    args: &RenewArgs,
    what: What,
    ctx: &Ctx<'_>,
    api: &mut Option<Api>,
    now: SystemTime,
    force: bool,
) -> Result<Outcome> {
    let cert_pem = files::read_text(&args.cert, "certificate file")?;
    let at = match args.before {
        Some(b) => RenewAt::Before(b),
        None => RenewAt::TwoThirds,
    };
    let renewal = decide_for_pem(&cert_pem, Timestamp::from_system_time(now), at)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.cert.display())))?;
    if !renewal.due && !force {
        return Ok(Outcome::NotDue(renewal));
    }
    renew(args, what, ctx, api, &cert_pem)
}

fn renew(
    args: &RenewArgs,
    what: What,
    ctx: &Ctx<'_>,
    api: &mut Option<Api>,
    cert_pem: &str,
) -> Result<Outcome> {
    let cert_der = pem_der(cert_pem, &args.cert)?;
    let (_, cert) = X509Certificate::from_der(&cert_der)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.cert.display())))?;
    let key_pem = files::read_text(&args.key, "key file")?;
    let key = KeyPair::from_pem(&key_pem).map_err(|e| {
        CliError::usage(format!(
            "{}: not a PKCS#8 private key pca can use: {e}",
            args.key.display()
        ))
    })?;
    if key.subject_public_key_info() != cert.public_key().raw {
        return Err(CliError::usage(format!(
            "{} is not the key of {}; nothing was sent",
            args.key.display(),
            args.cert.display()
        )));
    }
    let new_key = if args.rotate_key {
        Some(super::csr::generate_key(key_algorithm(&key, &cert)?)?)
    } else {
        None
    };
    let signing_key = new_key.as_ref().unwrap_or(&key);
    let csr_pem = csr(&cert, what, signing_key)?;
    let lifetime = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
    let days = match args.days {
        Some(d) => d,
        None => u32::try_from((lifetime + 43_200) / 86_400)
            .unwrap_or(1)
            .clamp(1, 3650),
    };
    let period = Period::days(days)?;
    let dir = out_dir(args);
    if api.is_none() {
        *api = Some(ctx.api()?);
    }
    let Some(api) = api.as_ref() else {
        return Err(CliError::local("no API connection"));
    };
    let signed = match what {
        What::Cert => {
            let op = SignEndCsr::new(&args.ca, &csr_pem)?.with_period(period)?;
            ctx.ui
                .step(format!("Sign End CSR at CA {} for {days} days", args.ca));
            api.call_issuing(&op, ctx.ui, |at| Recovery::sign_end_csr(&op, at).ok())?
        }
        What::Sub => {
            let op = SignSubCsr::new(&args.ca, period, &csr_pem)?;
            ctx.ui
                .step(format!("Sign Sub CSR at CA {} for {days} days", args.ca));
            api.call_issuing(&op, ctx.ui, |at| Recovery::sign_sub_csr(&op, at).ok())?
        }
    };
    let (signed, recovered): (SignedCertificate, bool) = match signed {
        Signed::Answered(s) => (s, false),
        Signed::Recovered { signed, .. } => (signed, true),
    };
    let info = signed
        .certificate_info()
        .map_err(|e| CliError::new(Kind::BadAnswer, e.to_string()))?;
    let mut out = cert_files(&signed.certificate, &signed.ca_chain);
    if let Some(k) = &new_key {
        out.push(OutFile::secret("key.pem", k.serialize_pem()));
    }
    let mut names: Vec<&str> = CERT_FILES.to_vec();
    names.push("key.pem");
    let serial = signed.serial_no.clone().unwrap_or(info.serial.clone());
    let files = files::replace_set(&dir, &out, &names).map_err(|e| {
        e.hint(format!(
            "the service issued serial {serial}: retry, or revoke it (`pca cert revoke {} {serial}`)",
            args.ca
        ))
    })?;
    if let Some(cmd) = &args.exec {
        let key_path = if new_key.is_some() {
            dir.join("key.pem")
        } else {
            args.key.clone()
        };
        hook(cmd, &dir, &key_path, &serial)?;
    }
    Ok(Outcome::Renewed {
        serial,
        not_after: info.not_after,
        files,
        recovered,
    })
}

fn pem_der(pem: &str, path: &Path) -> Result<Vec<u8>> {
    crate::x509view::blocks(pem.as_bytes())
        .ok()
        .and_then(|blocks| blocks.into_iter().find(|b| b.label == "CERTIFICATE"))
        .map(|b| b.der)
        .ok_or_else(|| CliError::usage(format!("{}: no PEM CERTIFICATE block", path.display())))
}

/// The algorithm of a new key like `key` (RSA: the certificate's modulus size).
fn key_algorithm(key: &KeyPair, cert: &X509Certificate<'_>) -> Result<KeyAlgorithm> {
    let alg = key.algorithm();
    if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
        return Ok(KeyAlgorithm::P256);
    }
    if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
        return Ok(KeyAlgorithm::P384);
    }
    if alg == &rcgen::PKCS_ED25519 {
        return Ok(KeyAlgorithm::Ed25519);
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        return Ok(match rsa.key_size() {
            0..=2048 => KeyAlgorithm::Rsa2048,
            2049..=3072 => KeyAlgorithm::Rsa3072,
            _ => KeyAlgorithm::Rsa4096,
        });
    }
    Err(CliError::usage(
        "--rotate-key: pca cannot make a key of this type; renew without --rotate-key",
    ))
}

/// A CSR for `key` with the subject and alternative names of the current certificate and the
/// key usages `pca csr new` gives its kind; for a sub CA, basicConstraints CA:TRUE with the
/// current path length.
fn csr(cert: &X509Certificate<'_>, what: What, key: &KeyPair) -> Result<String> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    for attr in cert.subject().iter_attributes() {
        let (Some(oid), Ok(value)) = (attr.attr_type().iter(), attr.as_str()) else {
            return Err(CliError::usage(
                "the current certificate's subject has a value pca cannot copy",
            ));
        };
        let oid: Vec<u64> = oid.collect();
        dn.push(DnType::from_oid(&oid), value);
    }
    params.distinguished_name = dn;
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            let bad = |_| {
                CliError::usage("the current certificate has an alternative name pca cannot copy")
            };
            params.subject_alt_names.push(match name {
                GeneralName::DNSName(d) => SanType::DnsName((*d).try_into().map_err(bad)?),
                GeneralName::RFC822Name(e) => SanType::Rfc822Name((*e).try_into().map_err(bad)?),
                GeneralName::URI(u) => SanType::URI((*u).try_into().map_err(bad)?),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => SanType::IpAddress(std::net::IpAddr::from(
                        <[u8; 4]>::try_from(*b).unwrap_or_default(),
                    )),
                    16 => SanType::IpAddress(std::net::IpAddr::from(
                        <[u8; 16]>::try_from(*b).unwrap_or_default(),
                    )),
                    _ => continue,
                },
                _ => continue,
            });
        }
    }
    let rsa = matches!(
        cert.public_key().parsed(),
        Ok(x509_parser::public_key::PublicKey::RSA(_))
    );
    match what {
        What::Sub => {
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let path_len = cert
                .basic_constraints()
                .ok()
                .flatten()
                .and_then(|bc| bc.value.path_len_constraint)
                .map(|n| u8::try_from(n).unwrap_or(u8::MAX));
            let mut bc = CustomExtension::from_oid_content(
                &[2, 5, 29, 19],
                super::csr::basic_constraints_ca(path_len),
            );
            bc.set_criticality(true);
            params.custom_extensions.push(bc);
        }
        What::Cert => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if rsa {
                params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            }
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
        }
    }
    params
        .serialize_request(key)
        .and_then(|r| r.pem())
        .map_err(|e| CliError::local(format!("cannot make the CSR: {e}")))
}

/// Runs `--exec` with the files' paths in its environment.
fn hook(cmd: &str, dir: &Path, key: &Path, serial: &str) -> Result<()> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("PCA_CERT", dir.join("cert.pem"))
        .env("PCA_CHAIN", dir.join("chain.pem"))
        .env("PCA_FULLCHAIN", dir.join("fullchain.pem"))
        .env("PCA_ROOT", dir.join("root.pem"))
        .env("PCA_KEY", key)
        .env("PCA_SERIAL", serial)
        .env("PCA_OUT_DIR", dir)
        .env("PCA_PREVIOUS_DIR", dir.join(PREVIOUS_DIR))
        .status()
        .map_err(|e| CliError::local(format!("cannot run --exec: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::local(format!(
            "--exec failed ({status}); the files were renewed (serial {serial})"
        )))
    }
}

/// `--daemon`: check on a schedule, renew when due, back off on failure, one log line per
/// decision on stderr, stop on SIGTERM or SIGINT.
fn daemon(args: &RenewArgs, what: What, ctx: &Ctx<'_>) -> Result<Report> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|e| CliError::local(format!("cannot handle signals: {e}")))?;
    }
    let log = |line: String| {
        eprintln!(
            "{} pca {}: {line}",
            humantime::format_rfc3339_seconds(SystemTime::now()),
            what.name()
        );
    };
    log(format!(
        "started for {} at CA {}, checking at least every {}",
        args.cert.display(),
        args.ca,
        humantime::format_duration(args.check_every)
    ));
    let mut api = None;
    let mut renewals = 0u64;
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        let now = SystemTime::now();
        let wait = match check(args, what, ctx, &mut api, now, args.force) {
            Ok(Outcome::NotDue(r)) => {
                failures = 0;
                let wait = r
                    .due_in(Timestamp::from_system_time(now))
                    .min(args.check_every);
                log(format!(
                    "{}; next check in {}",
                    not_due_line(&args.cert, &r, now),
                    humantime::format_duration(Duration::from_secs(wait.as_secs()))
                ));
                jitter_down(wait)
            }
            Ok(Outcome::Renewed {
                serial, not_after, ..
            }) => {
                failures = 0;
                renewals += 1;
                log(format!(
                    "renewed: serial {serial}, valid until {}; next check in {}",
                    rfc3339_secs(not_after),
                    humantime::format_duration(args.check_every)
                ));
                args.check_every
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                // 30 s after the first failure, doubling, at most --check-every.
                let backoff = Duration::from_secs(30)
                    .saturating_mul(1 << (failures - 1).min(10))
                    .min(args.check_every);
                let wait = jitter_down(backoff);
                log(format!(
                    "failed (exit {}): {}; retrying in {}",
                    e.kind.code(),
                    e.message,
                    humantime::format_duration(Duration::from_secs(wait.as_secs().max(1)))
                ));
                wait
            }
        };
        sleep_unless(&stop, wait.max(Duration::from_millis(200)));
    }
    log(format!("stopped after {renewals} renewal(s)"));
    Ok(Report::new(
        json!({ "stopped": true, "renewals": renewals }),
        String::new(),
    ))
}

/// `wait` less up to a tenth, at random: many daemons started together spread out.
fn jitter_down(wait: Duration) -> Duration {
    wait.mul_f64(1.0 - rand::random::<f64>() * 0.1)
}

/// Sleeps `wait`, waking early when `stop` is set.
fn sleep_unless(stop: &AtomicBool, wait: Duration) {
    let step = Duration::from_millis(100);
    let mut left = wait;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let nap = left.min(step);
        std::thread::sleep(nap);
        left = left.saturating_sub(nap);
    }
}
