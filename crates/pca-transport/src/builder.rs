//! [`ClientBuilder`]: every setting of a client, each with a safe default, for either
//! transport.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pca_core::{Credentials, Endpoint, RetryPolicy, Site};

use crate::clock::Clock;
use crate::config::{Config, FromConfig};
use crate::error::Error;
use crate::settings::{CredentialsSetting, ProxySetting, Settings};

/// Builds a client `C` (`pca_blocking::Client` or `pca_async::Client`). Start from
/// `Client::builder()`; each transport names it `ClientBuilder`
/// (`pca_transport::ClientBuilder<Client>`).
///
/// ```no_run
/// # fn run() -> Result<(), pca_transport::Error> {
/// # struct Client;
/// # impl pca_transport::FromConfig for Client {
/// #     fn from_config(_: pca_transport::Config) -> Result<Self, pca_transport::Error> { Ok(Client) }
/// # }
/// # type ClientBuilder = pca_transport::ClientBuilder<Client>;
/// let client: Client = ClientBuilder::new()
///     .timeout(std::time::Duration::from_secs(20))
///     .build()?;
/// # Ok(()) }
/// ```
///
/// | setting | default |
/// |---|---|
/// | credentials | explicit, else `NCLOUD_ACCESS_KEY_ID`/`NCLOUD_SECRET_ACCESS_KEY` (or `NCLOUD_ACCESS_KEY`/`NCLOUD_SECRET_KEY`), else `~/.ncloud/configure` (profile `NCLOUD_PROFILE` or `DEFAULT`), else NCP server-role credentials from the metadata service, refreshed 5 minutes before they expire |
/// | endpoint | `NCLOUD_PCA_ENDPOINT`, else `NCLOUD_SITE`, else the public site |
/// | connect timeout | 10 s (TCP, proxy tunnel and TLS handshake) |
/// | timeout | 60 s for the whole call: every attempt, every wait between them |
/// | attempt timeout | 30 s for one attempt, connect to last byte (cut to what is left of the call's timeout) |
/// | response body cap | 4 MiB |
/// | user agent | `pca-rs/<version>` |
/// | retries | [`RetryPolicy::new`]: 3 attempts, `Retry-After` honoured, never for issuing operations once the request may have left; in time, bounded by the timeout alone |
/// | proxy | `HTTPS_PROXY` (or `ALL_PROXY`) unless the host is in `NO_PROXY`; never for loopback |
/// | roots | Mozilla's web PKI roots, plus any PEM roots added; the system's roots with feature `native-roots` and [`native_roots`](Self::native_roots) |
/// | redirects | never followed |
/// | clock | the system clock |
pub struct ClientBuilder<C> {
    settings: Settings,
    client: PhantomData<fn() -> C>,
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        ClientBuilder {
            settings: self.settings.clone(),
            client: PhantomData,
        }
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            settings: Settings::default(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        let credentials: &dyn fmt::Debug = match &s.credentials {
            CredentialsSetting::Explicit(c) => c,
            CredentialsSetting::Chain { profile, .. } => profile,
            CredentialsSetting::ServerRole(role) => role,
        };
        f.debug_struct("ClientBuilder")
            .field("credentials", credentials)
            .field("endpoint", &s.endpoint)
            .field("connect_timeout", &s.connect_timeout)
            .field("timeout", &s.timeout)
            .field("attempt_timeout", &s.attempt_timeout)
            .field("call_deadline", &s.call_deadline)
            .field("max_response_body", &s.max_response_body)
            .field("user_agent", &s.user_agent)
            .field("retry_policy", &s.retry_policy)
            .field("webpki_roots", &s.webpki_roots)
            .field("native_roots", &s.native_roots)
            .field("extra_roots", &s.extra_roots_pem.len())
            .finish_non_exhaustive()
    }
}

impl<C: FromConfig> ClientBuilder<C> {
    /// Builds the client: resolves the endpoint and the credentials that need no network,
    /// loads the roots and sets up the connection pool. Sends nothing.
    pub fn build(self) -> Result<C, Error> {
        C::from_config(Config::new(self.settings)?)
    }
}

impl<C> ClientBuilder<C> {
    /// A builder with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses these credentials (no lookup in the environment or files).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.settings.credentials = CredentialsSetting::Explicit(credentials);
        self
    }

    /// Reads profile `name` of `~/.ncloud/configure`, even when the environment holds keys.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        let metadata_service = match &self.settings.credentials {
            CredentialsSetting::Chain {
                metadata_service, ..
            } => *metadata_service,
            _ => true,
        };
        self.settings.credentials = CredentialsSetting::Chain {
            profile: Some(name.into()),
            metadata_service,
        };
        self
    }

    /// Uses only NCP server-role credentials for `role` from the metadata service (the VM's
    /// role), skipping the environment and files. An empty `role` means the first role the
    /// metadata service lists.
    pub fn server_role(mut self, role: impl Into<String>) -> Self {
        let role = role.into();
        self.settings.credentials =
            CredentialsSetting::ServerRole((!role.trim().is_empty()).then_some(role));
        self
    }

    /// Whether the credential chain ends with the metadata service (default `true`). When it
    /// does and nothing else has keys, the first call asks the metadata service for the VM's
    /// role credentials.
    pub fn metadata_service(mut self, enabled: bool) -> Self {
        if let CredentialsSetting::Chain {
            metadata_service, ..
        } = &mut self.settings.credentials
        {
            *metadata_service = enabled;
        }
        self
    }

    /// The metadata service's base URL (default `http://169.254.169.254`); for tests and
    /// emulated VMs.
    pub fn metadata_base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.metadata_base_url = url.into();
        self
    }

    /// Sends requests to this endpoint.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.settings.endpoint = Some(endpoint);
        self
    }

    /// Sends requests to this documented site.
    pub fn site(self, site: Site) -> Self {
        self.endpoint(Endpoint::site(site))
    }

    /// Longest time to connect (TCP, proxy tunnel and TLS handshake). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Longest time one call may take, from its start to its answer: every attempt, every
    /// wait between attempts and any credential fetch from the metadata service included.
    /// Default 60 s.
    ///
    /// This is the call's one time bound: the retry policy's
    /// [`max_elapsed`](RetryPolicy::max_elapsed) is not applied by a client, so a call with a
    /// long `timeout` keeps retrying (within the policy's attempts) until it. No retry starts
    /// when its wait would pass this deadline (the last attempt's error is returned); an
    /// attempt or a metadata `GET` still running when it passes is cut short, and the call
    /// ends with
    /// [`TransportErrorKind::DeadlineExceeded`](crate::TransportErrorKind::DeadlineExceeded),
    /// whose error says whether the request may have been sent. Each metadata `GET` takes at
    /// most [`METADATA_TIMEOUT`](crate::METADATA_TIMEOUT), and none starts once the deadline
    /// has passed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// Longest time one attempt may take, from connecting to the answer's last byte (ureq's
    /// `timeout_global` in `pca-blocking`, a tokio timer around the attempt in `pca-async`),
    /// so that a stalled attempt leaves time for a retry. Default 30 s; never more than what is
    /// left of the call's [`timeout`](Self::timeout) when the attempt starts. It bounds one
    /// attempt only; the whole call is bounded by [`timeout`](Self::timeout) alone.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.settings.attempt_timeout = timeout;
        self
    }

    /// An instant by which every call of this client ends, whatever its own
    /// [`timeout`](Self::timeout): for a program with a deadline of its own, such as a
    /// command-line tool's `--timeout` over several calls. Each call ends at the earlier of
    /// the two.
    pub fn call_deadline(mut self, deadline: Instant) -> Self {
        self.settings.call_deadline = Some(deadline);
        self
    }

    /// Largest answer body accepted, in bytes (default 4 MiB); a longer one ends the call with
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge).
    pub fn max_response_body(mut self, bytes: u64) -> Self {
        self.settings.max_response_body = bytes;
        self
    }

    /// The `User-Agent` header. Default `pca-rs/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.settings.user_agent = user_agent.into();
        self
    }

    /// When and how often to retry (see [`pca_core::retry`]): the number of attempts, the
    /// delays and the rules. Default [`RetryPolicy::new`]. The policy's
    /// [`max_elapsed`](RetryPolicy::max_elapsed) is not applied: the call's time is bounded by
    /// [`timeout`](Self::timeout).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry_policy = policy;
        self
    }

    /// Sends through this HTTP proxy (`http://host:port`, credentials in the URL allowed), except
    /// to hosts matched by `no_proxy` (`NO_PROXY` syntax; may be empty). Overrides the
    /// environment.
    pub fn proxy(mut self, url: impl Into<String>, no_proxy: impl Into<String>) -> Self {
        self.settings.proxy = ProxySetting::Explicit {
            url: url.into(),
            no_proxy: no_proxy.into(),
        };
        self
    }

    /// Never uses a proxy, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.settings.proxy = ProxySetting::Disabled;
        self
    }

    /// Also trusts the root certificates in this PEM text (one or more `CERTIFICATE` blocks).
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.settings.extra_roots_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Whether Mozilla's web PKI roots are trusted (default `true`).
    pub fn webpki_roots(mut self, enabled: bool) -> Self {
        self.settings.webpki_roots = enabled;
        self
    }

    /// Whether the operating system's roots are trusted too (default `false`). Needs the crate
    /// feature `native-roots`; without it, `true` makes [`build`](Self::build) fail with
    /// [`Error::Config`](crate::Error::Config).
    pub fn native_roots(mut self, enabled: bool) -> Self {
        self.settings.native_roots = enabled;
        self
    }

    /// Whether signing answers are checked against their requests before they are returned
    /// (default `true`; see [`pca_core::answer`]): the certificate's key, CA flag, issuer,
    /// chain and validity. A mismatch is
    /// [`pca_core::Error::AnswerMismatch`] and is never retried. Turn it off only to accept
    /// answers that the checks refuse on purpose (a test double with fixed certificates).
    pub fn answer_checks(mut self, enabled: bool) -> Self {
        self.settings.answer_checks = enabled;
        self
    }

    /// The clock used to sign requests (default the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.settings.clock = Arc::new(clock);
        self
    }
}
