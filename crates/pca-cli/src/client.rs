//! The one place that talks to a Private CA: NCP through pca-blocking, or (`--local`) an
//! emulator started inside this process through pca-emulator's library API.

use std::time::Instant;

use pca_blocking::{Client, Error as ClientError};
use pca_core::{Endpoint, Operation, Site};

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
        result.map_err(|e| {
            let mut err = map_error(e);
            if err.kind == Kind::Transport && O::INFO.is_issuing() {
                err = err.detail("issuing", true);
            }
            err
        })
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
