//! [`Config`]: what a built client holds apart from its connections, and [`FromConfig`], the
//! trait a transport's `Client` implements to be built from it.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use pca_core::{Endpoint, RetryPolicy, Timestamp};
use rustls_pki_types::CertificateDer;

use crate::credentials::CredentialSource;
use crate::error::Error;
use crate::settings::{Settings, proxy_for};
use crate::tls;

/// A transport's client, built from a [`Config`] by
/// [`ClientBuilder::build`](crate::ClientBuilder::build).
pub trait FromConfig: Sized {
    /// Sets up the connection pool (and whatever else the transport needs) for `config`.
    /// Sends nothing.
    fn from_config(config: Config) -> Result<Self, Error>;
}

/// A client's resolved configuration, shared by its clones: the settings, the endpoint, where
/// the credentials come from, and the clock offset learnt from the gateway.
///
/// [`ClientBuilder::build`](crate::ClientBuilder::build) makes one, resolving the endpoint and
/// the credentials that need no network, and hands it to [`FromConfig::from_config`].
pub struct Config {
    settings: Settings,
    endpoint: Endpoint,
    credentials: CredentialSource,
    /// Milliseconds added to the clock, learnt from a gateway's clock-skew refusal.
    clock_offset_ms: AtomicI64,
}

impl Config {
    /// Resolves the endpoint (the explicit one, else the environment's) and the credentials.
    pub(crate) fn new(settings: Settings) -> Result<Self, Error> {
        let endpoint = match &settings.endpoint {
            Some(e) => e.clone(),
            None => Endpoint::from_env()?,
        };
        let credentials = CredentialSource::new(&settings)?;
        Ok(Config {
            settings,
            endpoint,
            credentials,
            clock_offset_ms: AtomicI64::new(0),
        })
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Where the credentials come from.
    pub fn credentials(&self) -> &CredentialSource {
        &self.credentials
    }

    /// Longest time to connect (TCP, proxy tunnel and TLS handshake).
    pub fn connect_timeout(&self) -> Duration {
        self.settings.connect_timeout
    }

    /// Longest time one call may take, retries and waits included.
    pub fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// Longest time one attempt may take, from connecting to the answer's last byte.
    pub fn attempt_timeout(&self) -> Duration {
        self.settings.attempt_timeout
    }

    /// The instant by which every call of the client ends, if one was set.
    pub fn call_deadline(&self) -> Option<Instant> {
        self.settings.call_deadline
    }

    /// Largest answer body accepted, in bytes.
    pub fn max_response_body(&self) -> u64 {
        self.settings.max_response_body
    }

    /// The `User-Agent` header.
    pub fn user_agent(&self) -> &str {
        &self.settings.user_agent
    }

    /// When and how often to retry.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.settings.retry_policy
    }

    /// The proxy URL to send through, if any: the explicit one or the environment's
    /// (`HTTPS_PROXY`, `ALL_PROXY`), unless the endpoint's host is loopback or matched by the
    /// `NO_PROXY` list.
    pub fn proxy_url(&self) -> Option<String> {
        let authority = self.endpoint.authority();
        let host = authority
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(authority, |(h, _)| h);
        proxy_for(&self.settings.proxy, host, &|n| std::env::var(n).ok())
    }

    /// The trusted roots: Mozilla's web PKI roots (unless disabled), the system's (when asked
    /// for), then the extra PEM roots. An unreadable PEM, a request for the system's roots
    /// without the feature `native-roots`, or no roots at all is [`Error::Config`].
    pub fn root_certificates(&self) -> Result<Vec<CertificateDer<'static>>, Error> {
        tls::root_certificates(&self.settings)
    }

    /// Whether signing answers are checked against their requests (default `true`).
    pub fn answer_checks(&self) -> bool {
        self.settings.answer_checks
    }

    /// The time to sign a request at: the clock plus the offset learnt from the gateway.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_system_time(self.settings.clock.now()).offset_by(self.clock_offset_ms())
    }

    /// The offset (milliseconds) added to the clock after a gateway reported clock skew.
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Adds `offset_ms` to the clock offset, for this call's later attempts and every later
    /// call of every clone.
    pub(crate) fn add_clock_offset(&self, offset_ms: i64) {
        // Saturating: an absurd `Date` from a server must not wrap the offset around.
        let _ = self
            .clock_offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(old.saturating_add(offset_ms))
            });
    }

    /// Writes a client's `Debug` form: the endpoint, the credentials (redacted), the limits,
    /// whether a proxy is used and the clock offset; never a secret.
    pub fn fmt_client(&self, f: &mut fmt::Formatter<'_>, proxied: bool) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.to_string())
            .field("credentials", &self.credentials)
            .field("connect_timeout", &s.connect_timeout)
            .field("timeout", &s.timeout)
            .field("attempt_timeout", &s.attempt_timeout)
            .field("max_response_body", &s.max_response_body)
            .field("user_agent", &s.user_agent)
            .field("retry_policy", &s.retry_policy)
            .field("proxied", &proxied)
            .field("clock_offset_ms", &self.clock_offset_ms())
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("endpoint", &self.endpoint.to_string())
            .field("credentials", &self.credentials)
            .field("clock_offset_ms", &self.clock_offset_ms())
            .finish_non_exhaustive()
    }
}
