//! Root certificates, the one rustls crypto provider (ring) every TLS configuration uses, and
//! which TLS failures prove that nothing was sent.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::config::Config;
use crate::error::Error;
use crate::settings::Settings;

/// The crypto provider of every TLS configuration the clients build: `ring`, chosen explicitly
/// so that no process-wide default is needed.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client configuration for `config`: the [`provider`], the safe default protocol
/// versions, the [roots](Config::root_certificates), no client certificate.
pub fn client_config(config: &Config) -> Result<rustls::ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(config.root_certificates()?);
    if added == 0 {
        return Err(Error::Config(
            "none of the root certificates could be used".to_owned(),
        ));
    }
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// TLS failures that can only happen in the handshake, before any request byte is written: a
/// connection that fails with one of these provably never sent the request.
pub fn is_handshake_refusal(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType
            | rustls::Error::PeerIncompatible(_)
            | rustls::Error::InvalidCertRevocationList(_)
    )
}

/// The trusted roots: web PKI (unless disabled), the system's (when asked), then the extra PEM
/// roots. An unreadable PEM is a configuration error; no roots at all is one too.
pub(crate) fn root_certificates(s: &Settings) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut roots: Vec<CertificateDer<'static>> = Vec::new();
    if s.webpki_roots {
        roots.extend(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    }
    if s.native_roots {
        native_roots(&mut roots)?;
    }
    for (i, pem) in s.extra_roots_pem.iter().enumerate() {
        let before = roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert
                .map_err(|e| Error::Config(format!("extra root certificates #{}: {e}", i + 1)))?;
            roots.push(cert);
        }
        if roots.len() == before {
            return Err(Error::Config(format!(
                "extra root certificates #{}: no CERTIFICATE block found",
                i + 1
            )));
        }
    }
    if roots.is_empty() {
        return Err(Error::Config(
            "no root certificates: web PKI roots are disabled and none were added".to_owned(),
        ));
    }
    Ok(roots)
}

#[cfg(feature = "native-roots")]
fn native_roots(roots: &mut Vec<CertificateDer<'static>>) -> Result<(), Error> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        let why = found
            .errors
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| "none found".to_owned());
        return Err(Error::Config(format!("system root certificates: {why}")));
    }
    roots.extend(found.certs);
    Ok(())
}

#[cfg(not(feature = "native-roots"))]
fn native_roots(_roots: &mut Vec<CertificateDer<'static>>) -> Result<(), Error> {
    Err(Error::Config(
        "the system's root certificates need the crate feature `native-roots`".to_owned(),
    ))
}
