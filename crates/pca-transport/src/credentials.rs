//! The credential chain: explicit, environment, configuration file, then NCP server-role
//! credentials from the metadata service (fetched on first use, refreshed before they expire).
//!
//! Resolving the chain needs no network. Fetching server-role credentials does: [`Refresh`]
//! decides what to fetch and what to keep, and the transport does the HTTP `GET`s it names.

use std::fmt;

use pca_core::credentials::{default_config_path, read_config, resolve};
use pca_core::server_role;
use pca_core::{Credentials, CredentialsError, Timestamp};

use crate::error::Error;
use crate::settings::{CREDENTIALS_REFRESH_MARGIN, CredentialsSetting, Settings};

/// The largest metadata-service answer read, in bytes.
pub const METADATA_MAX_BODY: u64 = 64 * 1024;

/// Where a client's credentials come from.
pub enum CredentialSource {
    /// Explicit, or found in the environment or the configuration file.
    Fixed(Credentials),
    /// NCP server-role credentials from the metadata service.
    ServerRole(Box<ServerRole>),
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Fixed(c) => c.fmt(f),
            CredentialSource::ServerRole(r) => f
                .debug_struct("ServerRole")
                .field("base_url", &r.base_url)
                .field("role", &r.role)
                .finish_non_exhaustive(),
        }
    }
}

impl CredentialSource {
    /// Resolves the chain as far as it goes without the network.
    pub(crate) fn new(settings: &Settings) -> Result<Self, Error> {
        let (role, tried) = match &settings.credentials {
            CredentialsSetting::Explicit(c) => return Ok(CredentialSource::Fixed(c.clone())),
            CredentialsSetting::ServerRole(role) => (role.clone(), None),
            CredentialsSetting::Chain {
                profile,
                metadata_service,
            } => {
                let env = |name: &str| std::env::var(name).ok();
                let path = default_config_path(&env);
                let text = match &path {
                    Some(p) => read_config(p)?,
                    None => None,
                };
                match resolve(&env, path.as_deref(), text.as_deref(), profile.as_deref()) {
                    Ok(c) => return Ok(CredentialSource::Fixed(c)),
                    Err(CredentialsError::NotFound { tried }) if *metadata_service => {
                        (None, Some(tried))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Ok(CredentialSource::ServerRole(Box::new(ServerRole {
            base_url: settings.metadata_base_url.clone(),
            role,
            tried,
        })))
    }
}

/// Server-role credentials from the metadata service: which role, where, and what the chain
/// looked at before. The cache itself belongs to the transport, behind its own lock, so that
/// one refresh runs at a time.
pub struct ServerRole {
    base_url: String,
    role: Option<String>,
    /// What the chain looked at before (when the role credentials are its last link).
    tried: Option<Vec<String>>,
}

impl ServerRole {
    /// Starts getting credentials valid at `now`: the `cached` ones while they are more than
    /// [`CREDENTIALS_REFRESH_MARGIN`] from expiring, else fetched again (the role listing
    /// first when no role was named). Run it with [`Refresh::next_url`] and
    /// [`Refresh::fetched`] until no URL is left, then [`Refresh::finish`].
    pub fn refresh<'a>(
        &'a self,
        cached: &'a mut Option<Credentials>,
        now: Timestamp,
    ) -> Refresh<'a> {
        let margin = u64::try_from(CREDENTIALS_REFRESH_MARGIN.as_millis()).unwrap_or(u64::MAX);
        let step = if cached
            .as_ref()
            .is_some_and(|c| !c.expires_within(now, margin))
        {
            Step::Cached
        } else {
            match &self.role {
                Some(role) => Step::Credentials(role.clone()),
                None => Step::Roles,
            }
        };
        Refresh {
            role: self,
            cached,
            now,
            step,
        }
    }

    fn failure(&self, reason: String) -> CredentialsError {
        let what = format!("NCP metadata service ({}): {reason}", self.base_url);
        match &self.tried {
            Some(tried) => {
                let mut tried = tried.clone();
                tried.push(what);
                CredentialsError::NotFound { tried }
            }
            None => CredentialsError::Provider(what),
        }
    }
}

/// Why a `GET` to the metadata service has no answer: what each client's I/O gives
/// [`Call::metadata_fetched`](crate::Call::metadata_fetched).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataFailure {
    /// Its timeout passed.
    pub timed_out: bool,
    /// What happened, for the error.
    pub reason: String,
}

impl MetadataFailure {
    /// A failure other than the timeout (refused, reset, an HTTP error status …).
    pub fn other(reason: impl Into<String>) -> Self {
        MetadataFailure {
            timed_out: false,
            reason: reason.into(),
        }
    }

    /// The `GET`'s timeout passed.
    pub fn timed_out(reason: impl Into<String>) -> Self {
        MetadataFailure {
            timed_out: true,
            reason: reason.into(),
        }
    }
}

/// One lookup of server-role credentials, without I/O: it names the metadata URLs to `GET`
/// (at most [`METADATA_MAX_BODY`] bytes each, each within
/// [`Call::metadata_timeout`](crate::Call::metadata_timeout)) and takes their answers (in a
/// client call through [`Call::metadata_fetched`](crate::Call::metadata_fetched), which ends
/// the call instead when its deadline cut the `GET`).
///
/// ```
/// # fn run(role: &pca_transport::ServerRole, now: pca_core::Timestamp) -> Result<(), pca_transport::Error> {
/// # let get_text = |_: &str| -> Result<String, String> { Err("offline".into()) };
/// let mut cached = None; // kept by the client, behind a lock
/// let mut refresh = role.refresh(&mut cached, now);
/// while let Some(url) = refresh.next_url() {
///     refresh.fetched(get_text(&url));
/// }
/// let credentials = refresh.finish()?;
/// # Ok(()) }
/// ```
#[must_use = "a refresh does nothing until it is run and finished"]
pub struct Refresh<'a> {
    role: &'a ServerRole,
    cached: &'a mut Option<Credentials>,
    now: Timestamp,
    step: Step,
}

enum Step {
    /// The cached credentials are fresh.
    Cached,
    /// Fetch the role listing.
    Roles,
    /// Fetch this role's credentials.
    Credentials(String),
    /// Fetched, or failed with this reason.
    Done(Result<Credentials, String>),
}

impl Refresh<'_> {
    /// The next metadata URL to `GET`, or `None` when nothing is left to fetch.
    pub fn next_url(&self) -> Option<String> {
        match &self.step {
            Step::Roles => Some(server_role::roles_url(&self.role.base_url)),
            Step::Credentials(role) => {
                Some(server_role::credentials_url(&self.role.base_url, role))
            }
            Step::Cached | Step::Done(_) => None,
        }
    }

    /// Takes the answer to [`next_url`](Self::next_url): the body of a successful (2xx)
    /// answer, or why there was none.
    pub fn fetched(&mut self, answer: Result<String, String>) {
        self.step = match (std::mem::replace(&mut self.step, Step::Cached), answer) {
            (Step::Roles, Ok(listing)) => match server_role::first_role(&listing) {
                Some(role) => Step::Credentials(role.to_owned()),
                None => Step::Done(Err("no server role is attached to this server".to_owned())),
            },
            (Step::Credentials(role), Ok(body)) => Step::Done(
                server_role::parse_credentials(&role, body.as_bytes()).map_err(|e| e.to_string()),
            ),
            (Step::Roles | Step::Credentials(_), Err(reason)) => Step::Done(Err(reason)),
            (done, _) => done,
        };
    }

    /// The credentials: the cached ones, or the fetched ones (now cached). When the fetch
    /// failed, still-valid cached credentials are used; without them, the error names the
    /// metadata service and what the chain looked at before.
    pub fn finish(self) -> Result<Credentials, Error> {
        let fetched = match self.step {
            Step::Done(result) => result,
            Step::Cached => {
                if let Some(c) = self.cached.as_ref() {
                    return Ok(c.clone());
                }
                Err("nothing cached".to_owned())
            }
            Step::Roles | Step::Credentials(_) => Err("the fetch was not run".to_owned()),
        };
        match fetched {
            Ok(c) => {
                tracing::debug!(
                    source = c.source(),
                    expires_at = c.expires_at().map(Timestamp::as_unix_millis),
                    "fetched server-role credentials"
                );
                *self.cached = Some(c.clone());
                Ok(c)
            }
            Err(reason) => {
                // Still-valid credentials beat none when a refresh fails.
                if let Some(c) = self
                    .cached
                    .as_ref()
                    .filter(|c| !c.expires_within(self.now, 0))
                {
                    tracing::warn!(%reason, "cannot refresh server-role credentials; using the current ones");
                    return Ok(c.clone());
                }
                Err(self.role.failure(reason).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: Option<&str>) -> ServerRole {
        ServerRole {
            base_url: "http://169.254.169.254".to_owned(),
            role: name.map(str::to_owned),
            tried: Some(vec!["environment".to_owned()]),
        }
    }

    const BODY: &str = r#"{"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"T","Expiration":"2030-01-01T00:00:00Z","Code":"Success"}"#;

    fn run(
        role: &ServerRole,
        cached: &mut Option<Credentials>,
        now: Timestamp,
        answers: &[Result<&str, &str>],
    ) -> (Vec<String>, Result<Credentials, Error>) {
        let mut refresh = role.refresh(cached, now);
        let mut urls = Vec::new();
        let mut answers = answers.iter();
        while let Some(url) = refresh.next_url() {
            urls.push(url);
            let answer = answers.next().copied().unwrap_or(Err("unexpected"));
            refresh.fetched(answer.map(str::to_owned).map_err(str::to_owned));
        }
        (urls, refresh.finish())
    }

    #[test]
    fn lists_the_roles_then_fetches_and_caches() {
        let now = Timestamp::from_unix_millis(1_700_000_000_000);
        let r = role(None);
        let mut cached = None;
        let (urls, got) = run(&r, &mut cached, now, &[Ok("web-role\n"), Ok(BODY)]);
        assert_eq!(urls.len(), 2);
        assert!(urls[1].ends_with("/web-role"), "{urls:?}");
        assert!(got.is_ok(), "{got:?}");
        assert!(cached.is_some());
        let (urls, got) = run(&r, &mut cached, now, &[]);
        assert!(urls.is_empty(), "fresh credentials are not fetched again");
        assert!(got.is_ok());
    }

    #[test]
    fn a_failed_fetch_names_the_chain() {
        let now = Timestamp::from_unix_millis(1_700_000_000_000);
        let mut cached = None;
        let (urls, got) = run(&role(Some("r")), &mut cached, now, &[Err("refused")]);
        assert_eq!(urls.len(), 1);
        let text = got.unwrap_err().to_string();
        assert!(
            text.contains("environment") && text.contains("refused"),
            "{text}"
        );
    }
}
