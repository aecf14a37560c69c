//! The one place that talks to a Private CA: NCP through pca-blocking, or (`--local`) an
//! emulator started inside this process through pca-emulator's library API.

use std::time::Instant;

use pca_blocking::{Client, Error as ClientError};
use pca_core::recovery::{Recovered, Recovery};
use pca_core::{Endpoint, Operation, SignedCertificate, Site, Timestamp};

use crate::cli::{GlobalArgs, SiteArg};
use crate::exit::{CliError, Kind, Result};
use crate::output::Ui;

/// A connected API: the client, and the in-process emulator it talks to in local mode (kept
/// alive as long as the client; dropping it stops the server).
pub(crate) struct Api {
    client: Client,
    emulator: Option<pca_emulator::Emulator>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("endpoint", &self.client.endpoint().to_string())
            .field("local", &self.emulator.is_some())
            .finish()
    }
}

/// The endpoint the options name: `--endpoint`, else `--site`, else the public site.
fn endpoint(global: &GlobalArgs) -> Result<Endpoint> {
    if let Some(url) = global.endpoint.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok(Endpoint::parse(url)?);
    }
    Ok(match global.site {
        Some(SiteArg::Gov) => Endpoint::site(Site::Gov),
        Some(SiteArg::Public) | None => Endpoint::site(Site::Public),
    })
}

/// The instant by which the command's calls end: `--timeout` bounds the whole command, every
/// call, retry and wait included, counted from the start of the process.
fn deadline(global: &GlobalArgs) -> Instant {
    global
        .started
        .checked_add(global.timeout)
        .unwrap_or(global.started)
}

/// Starts the embedded emulator (in memory, or with its state in `state_dir`).
pub(crate) fn start_emulator(
    state_dir: Option<&std::path::Path>,
) -> Result<pca_emulator::Emulator> {
    let mut builder = pca_emulator::Emulator::builder();
    if let Some(dir) = state_dir {
        builder = builder.state_dir(dir);
    }
    builder
        .start()
        .map_err(|e| CliError::local(format!("cannot start the embedded emulator: {e}")))
}

impl Api {
    /// Connects as the global options say. Resolves credentials and endpoint; sends nothing.
    pub(crate) fn connect(global: &GlobalArgs, ui: &Ui) -> Result<Api> {
        if global.local || global.local_state.is_some() {
            ui.step("starting the embedded emulator");
            let emulator = start_emulator(global.local_state.as_deref())?;
            tracing::info!(url = emulator.base_url(), "embedded emulator started");
            return Self::on_emulator(emulator, global);
        }
        let mut builder = Client::builder()
            .endpoint(endpoint(global)?)
            .timeout(global.timeout)
            .call_deadline(deadline(global))
            .connect_timeout(global.timeout.min(pca_blocking::DEFAULT_CONNECT_TIMEOUT))
            .metadata_service(global.server_role);
        if let Some(path) = &global.ca_file {
            let pem = crate::files::read_bytes(path, "CA file")?;
            builder = builder.add_root_certificates_pem(pem);
        }
        if let Some(profile) = global.profile.as_deref().filter(|p| !p.trim().is_empty()) {
            builder = builder
                .profile(profile)
                .metadata_service(global.server_role);
        }
        let client = builder.build().map_err(map_error)?;
        Ok(Api {
            client,
            emulator: None,
        })
    }

    /// A client for a running emulator, with its credentials.
    pub(crate) fn on_emulator(
        emulator: pca_emulator::Emulator,
        global: &GlobalArgs,
    ) -> Result<Api> {
        let client = Client::builder()
            .credentials(emulator.credentials())
            .endpoint(emulator.endpoint())
            .timeout(global.timeout)
            .call_deadline(deadline(global))
            .no_proxy()
            .build()
            .map_err(map_error)?;
        Ok(Api {
            client,
            emulator: Some(emulator),
        })
    }

    /// The endpoint calls go to.
    pub(crate) fn endpoint(&self) -> &Endpoint {
        self.client.endpoint()
    }

    /// Sends one operation. Issuing operations are sent once: pca-blocking never resends them
    /// and neither does this code.
    pub(crate) fn call<O: Operation>(&self, op: &O) -> Result<O::Output> {
        self.call_raw(op)
            .map_err(|e| self.issuing_error(e, O::INFO.is_issuing()))
    }
}

/// The certificate of a signing call: its answer, or, when the answer was lost, the
/// certificate the call issued, found by the one recovery search.
#[derive(Debug)]
pub(crate) enum Signed<T> {
    /// The call answered.
    Answered(T),
    /// The answer was lost; this is the certificate the call issued (answer-checked).
    Recovered {
        signed: SignedCertificate,
        serial: String,
    },
}

impl Api {
    /// Sends an issuing operation once. When the call may have been executed but its answer
    /// was lost, looks once for what it issued ([`pca_core::recovery`], reads only: the
    /// signing request is never sent again). Found: the certificate, answer-checked. Not
    /// found: the transport error (exit 5), saying where the search looked. Issue End Cert:
    /// the key cannot be recovered, the error lists the serials to revoke.
    pub(crate) fn call_issuing<O: Operation>(
        &self,
        op: &O,
        ui: &Ui,
        search: impl FnOnce(Timestamp) -> Option<Recovery>,
    ) -> Result<Signed<O::Output>> {
        let err = match self.call_raw(op) {
            Ok(output) => return Ok(Signed::Answered(output)),
            Err(e) => e,
        };
        let sent_at = err
            .transport()
            .filter(|t| t.may_have_been_sent())
            .and_then(|t| t.sent_at());
        let (Some(at), Some(search)) = (sent_at, sent_at.and_then(search)) else {
            return Err(self.issuing_error(err, O::INFO.is_issuing()));
        };
        let first = self.issuing_error(err, true);
        ui.step(format!(
            "{}: the answer was lost; looking through the CA's certificates for what it issued (the request is not resent)",
            O::INFO.name
        ));
        tracing::info!(
            operation = O::INFO.name,
            sent_at = at.as_unix_millis(),
            "recovering"
        );
        let recovered = match self.client.recover(search) {
            Ok(r) => r,
            Err(e) => {
                let looked = map_error(e);
                if looked.kind == Kind::Mismatch {
                    return Err(looked);
                }
                return Err(first.hint(format!(
                    "looking for the certificate it may have issued failed too: {looked}"
                )));
            }
        };
        match recovered {
            Recovered::Found { signed, serial } => {
                eprintln!("recovered: the earlier attempt issued serial {serial}");
                Ok(Signed::Recovered { signed, serial })
            }
            Recovered::NotFound {
                searched,
                listing_undocumented,
            } => {
                let mut err = first
                    .detail("recoverySearched", searched.to_string())
                    .hint(format!(
                        "no certificate for this CSR's key issued after the request was found: {searched}"
                    ));
                if listing_undocumented {
                    err = err.hint(
                        "NCP's documentation does not say whether a sub CA certificate signed by Sign Sub CSR is listed in its parent's End Cert List, so it cannot be known from here whether one was issued: check the parent CA in the NCP console before trying again",
                    );
                }
                Err(err)
            }
            Recovered::KeyLost {
                candidates,
                searched,
            } => {
                let list = if candidates.is_empty() {
                    "none found".to_owned()
                } else {
                    candidates.join(", ")
                };
                Err(first
                    .detail("candidateSerials", candidates.clone())
                    .hint(format!(
                        "the service made the private key and it was only in the lost answer: it cannot be recovered. Certificates with this common name issued after the request ({searched}): {list}; revoke them (`pca cert revoke CA_TAG SERIAL`) and issue again"
                    )))
            }
            other => Err(first.hint(format!("recovery ended in {other:?}"))),
        }
    }

    fn issuing_error(&self, e: ClientError, issuing: bool) -> CliError {
        let mut err = map_error(e);
        if err.kind == Kind::Transport && issuing {
            err = err.detail("issuing", true);
        }
        err
    }

    /// Sends one operation and logs it; the client's own error.
    fn call_raw<O: Operation>(&self, op: &O) -> std::result::Result<O::Output, ClientError> {
        let started = std::time::Instant::now();
        tracing::info!(
            operation = O::INFO.name,
            method = %O::INFO.method,
            endpoint = %self.client.endpoint(),
            "calling"
        );
        let result = self.client.send(op);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::info!(operation = O::INFO.name, elapsed_ms, "done"),
            Err(e) => tracing::info!(operation = O::INFO.name, elapsed_ms, error = %e, "failed"),
        }
        result
    }
}

/// A client error as a command-line error.
pub(crate) fn map_error(e: ClientError) -> CliError {
    match e {
        ClientError::Core(core) => core.into(),
        ClientError::Transport(t) => {
            let sent = t.may_have_been_sent();
            let mut err = CliError::new(Kind::Transport, t.to_string())
                .detail("mayHaveBeenSent", sent)
                .detail("transportKind", t.kind().to_string());
            if sent {
                err = err.hint(
                    "the request may have reached the server: check its effect (e.g. `pca cert list CA_TAG`, `pca ca list`) before trying again",
                );
            } else {
                err = err.hint("the request was not sent; it is safe to try again");
            }
            err
        }
        ClientError::Config(msg) => CliError::new(Kind::Config, msg),
        ClientError::AfterClockSkew { skew, error } => {
            let mut err = map_error(*error);
            err.message = format!("{} (after re-signing for {skew})", err.message);
            err.detail("clockOffsetMs", skew.offset_ms)
                .hint("correct the local clock (the gateway accepts 5 minutes of difference)")
        }
        other => CliError::new(Kind::Transport, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::endpoint;
    use crate::cli::Cli;

    fn global(args: &[&str]) -> crate::cli::GlobalArgs {
        let mut all = vec!["pca"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["ca", "list"]);
        Cli::try_parse_from(all).unwrap().global
    }

    #[test]
    fn the_endpoint_is_the_explicit_url_else_the_site_else_public() {
        assert_eq!(
            endpoint(&global(&["--site", "gov"])).unwrap().to_string(),
            "https://privateca.apigw.gov-ntruss.com/api/v1"
        );
        assert_eq!(
            endpoint(&global(&["--site", "public"]))
                .unwrap()
                .to_string(),
            "https://pca.apigw.ntruss.com/api/v1"
        );
        assert_eq!(
            endpoint(&global(&[
                "--site",
                "gov",
                "--endpoint",
                "http://127.0.0.1:8787"
            ]))
            .unwrap()
            .to_string(),
            "http://127.0.0.1:8787/api/v1"
        );
        assert!(endpoint(&global(&["--endpoint", "http://example.com"])).is_err());
    }
}
