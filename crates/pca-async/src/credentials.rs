//! The credential chain: explicit, environment, configuration file, then NCP server-role
//! credentials from the metadata service (fetched on first use, refreshed before they expire).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Mutex;

use pca_core::credentials::{default_config_path, read_config, resolve};
use pca_core::server_role;
use pca_core::{Credentials, CredentialsError, Timestamp};

use crate::config::{CREDENTIALS_REFRESH_MARGIN, CredentialsSetting, METADATA_TIMEOUT, Settings};
use crate::error::Error;

/// Where a client's credentials come from.
pub(crate) enum Provider {
    Fixed(Credentials),
    ServerRole(Box<ServerRole>),
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provider::Fixed(c) => c.fmt(f),
            Provider::ServerRole(r) => f
                .debug_struct("ServerRole")
                .field("base_url", &r.base_url)
                .field("role", &r.role)
                .finish_non_exhaustive(),
        }
    }
}

impl Provider {
    /// Resolves the chain as far as it goes without the network.
    pub(crate) fn new(settings: &Settings) -> Result<Self, Error> {
        let (role, tried) = match &settings.credentials {
            CredentialsSetting::Explicit(c) => return Ok(Provider::Fixed(c.clone())),
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
                    Ok(c) => return Ok(Provider::Fixed(c)),
                    Err(CredentialsError::NotFound { tried }) if *metadata_service => {
                        (None, Some(tried))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Ok(Provider::ServerRole(Box::new(ServerRole::new(
            settings.metadata_base_url.clone(),
            role,
            tried,
        ))))
    }

    /// Credentials valid at `now` (fetching or refreshing server-role credentials if needed).
    pub(crate) async fn get(&self, now: Timestamp) -> Result<Credentials, Error> {
        match self {
            Provider::Fixed(c) => Ok(c.clone()),
            Provider::ServerRole(r) => r.get(now).await,
        }
    }
}

/// Server-role credentials from the metadata service.
pub(crate) struct ServerRole {
    base_url: String,
    role: Option<String>,
    /// What the chain looked at before (when the role credentials are its last link).
    tried: Option<Vec<String>>,
    cached: Mutex<Option<Credentials>>,
    http: HyperClient<HttpConnector, Empty<Bytes>>,
}

impl ServerRole {
    fn new(base_url: String, role: Option<String>, tried: Option<Vec<String>>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(METADATA_TIMEOUT));
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        ServerRole {
            base_url,
            role,
            tried,
            cached: Mutex::new(None),
            http,
        }
    }

    async fn get(&self, now: Timestamp) -> Result<Credentials, Error> {
        let margin = u64::try_from(CREDENTIALS_REFRESH_MARGIN.as_millis()).unwrap_or(u64::MAX);
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| !c.expires_within(now, margin)) {
            return Ok(c.clone());
        }
        match self.fetch().await {
            Ok(c) => {
                tracing::debug!(
                    source = c.source(),
                    expires_at = c.expires_at().map(Timestamp::as_unix_millis),
                    "fetched server-role credentials"
                );
                *cached = Some(c.clone());
                Ok(c)
            }
            Err(reason) => {
                // Still-valid credentials beat none when a refresh fails.
                if let Some(c) = cached.as_ref().filter(|c| !c.expires_within(now, 0)) {
                    tracing::warn!(%reason, "cannot refresh server-role credentials; using the current ones");
                    return Ok(c.clone());
                }
                Err(self.failure(reason).into())
            }
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

    async fn fetch(&self) -> Result<Credentials, String> {
        let role = match &self.role {
            Some(r) => r.clone(),
            None => {
                let listing = self
                    .get_text(&server_role::roles_url(&self.base_url))
                    .await?;
                server_role::first_role(&listing)
                    .ok_or("no server role is attached to this server")?
                    .to_owned()
            }
        };
        let body = self
            .get_text(&server_role::credentials_url(&self.base_url, &role))
            .await?;
        server_role::parse_credentials(&role, body.as_bytes()).map_err(|e| e.to_string())
    }

    async fn get_text(&self, url: &str) -> Result<String, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let call = async {
            let response = self.http.get(uri).await.map_err(|e| {
                format!(
                    "{e}: {}",
                    std::error::Error::source(&e)
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )
            })?;
            let status = response.status();
            let body = Limited::new(response.into_body(), 64 * 1024)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            if !status.is_success() {
                return Err(format!("HTTP {status} from {url}"));
            }
            String::from_utf8(body.to_vec()).map_err(|e| e.to_string())
        };
        tokio::time::timeout(METADATA_TIMEOUT + Duration::from_millis(100), call)
            .await
            .map_err(|_| format!("no answer within {} ms", METADATA_TIMEOUT.as_millis()))?
    }
}
