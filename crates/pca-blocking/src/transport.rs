//! Moving bytes with ureq 3: one pooled `Agent`, timeouts, no redirects, the body cap, and the
//! mapping of ureq's errors to [`TransportError`]s that say whether the request may have left;
//! and the metadata service's `GET`s for server-role credentials.

use std::io;
use std::time::Duration;

use http::Method;
use ureq::config::Config as AgentConfig;
use ureq::http::Uri;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout, time};
use ureq::{Agent, Proxy, Timeout};

use pca_transport::tls::{self, is_handshake_refusal};
use pca_transport::{
    Config, Error, METADATA_MAX_BODY, METADATA_TIMEOUT, MetadataFailure, TransportError,
    TransportErrorKind, find_in_chain,
};

/// A pooled ureq agent and the limits it enforces.
#[derive(Debug)]
pub(crate) struct Transport {
    agent: Agent,
    max_body: u64,
    timeout: Duration,
    connect_timeout: Duration,
    proxied: bool,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let roots: Vec<Certificate<'static>> = config
            .root_certificates()?
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        let tls_config = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(tls::provider())
            .root_certs(RootCerts::new_with_certs(&roots))
            .build();
        let proxy = match config.proxy_url() {
            Some(url) => {
                Some(Proxy::new(&url).map_err(|e| Error::Config(format!("proxy URL: {e}")))?)
            }
            None => None,
        };
        let proxied = proxy.is_some();
        let agent_config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(config.connect_timeout()))
            .timeout_global(Some(config.attempt_timeout()))
            .user_agent(config.user_agent())
            .proxy(proxy)
            .tls_config(tls_config)
            .build();
        let agent = Agent::with_parts(
            agent_config,
            DefaultConnector::default(),
            InlineResolver::default(),
        );
        Ok(Transport {
            agent,
            max_body: config.max_response_body(),
            timeout: config.attempt_timeout(),
            connect_timeout: config.connect_timeout(),
            proxied,
        })
    }

    /// `true` when requests go through a proxy.
    pub(crate) fn is_proxied(&self) -> bool {
        self.proxied
    }

    /// Sends `request` and reads the whole answer (at most the body cap), all within
    /// `timeout`.
    pub(crate) fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let bodyless = request.body().is_empty()
            && matches!(
                *request.method(),
                Method::GET | Method::DELETE | Method::HEAD
            );
        let timeout = timeout.min(self.timeout);
        let result = if bodyless {
            self.run(request.map(|_| ()), timeout)
        } else {
            self.run(request, timeout)
        };
        let classify = |e| self.classify(e, timeout);
        let response = result.map_err(classify)?;
        let (parts, mut body) = response.into_parts();
        if body.content_length().is_some_and(|n| n > self.max_body) {
            return Err(TransportError::body_too_large(self.max_body));
        }
        let bytes = body
            .with_config()
            .limit(self.max_body)
            .read_to_vec()
            .map_err(classify)?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    /// Runs `request` on the agent within `timeout`. The agent's global timeout is the attempt
    /// timeout; a request-level one (a copy of the agent's configuration for this request) is
    /// set only when the call's deadline is nearer.
    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        timeout: Duration,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        if timeout < self.timeout {
            let request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(timeout))
                .build();
            self.agent.run(request)
        } else {
            self.agent.run(request)
        }
    }

    fn classify(&self, e: ureq::Error, timeout: Duration) -> TransportError {
        use TransportErrorKind::{Connect, Io, Timeout as TimedOut, Tls};
        let detail = e.to_string();
        match e {
            ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
                TransportError::new(TimedOut, false, detail).with_timeout(self.connect_timeout)
            }
            ureq::Error::Timeout(_) => {
                TransportError::new(TimedOut, true, detail).with_timeout(timeout)
            }
            ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_) => TransportError::new(Connect, false, detail),
            ureq::Error::BodyExceedsLimit(_) => TransportError::body_too_large(self.max_body),
            ureq::Error::Rustls(r) => {
                let sent = !is_handshake_refusal(&r);
                TransportError::new(Tls, sent, detail).with_source(r)
            }
            ureq::Error::Tls(_) | ureq::Error::Pem(_) => TransportError::new(Tls, false, detail),
            ureq::Error::Io(io) => {
                if let Some(r) = find_in_chain::<rustls::Error>(&io) {
                    let sent = !is_handshake_refusal(r);
                    return TransportError::new(Tls, sent, detail).with_source(io);
                }
                match io.kind() {
                    io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::AddrNotAvailable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::HostUnreachable => {
                        TransportError::new(Connect, false, detail).with_source(io)
                    }
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                        TransportError::new(TimedOut, true, detail)
                            .with_timeout(timeout)
                            .with_source(io)
                    }
                    _ => TransportError::new(Io, true, detail).with_source(io),
                }
            }
            ureq::Error::Http(_) | ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl => {
                TransportError::new(Io, false, detail)
            }
            _ => TransportError::new(Io, true, detail),
        }
    }
}

/// ureq's default resolver, always run on the calling thread.
///
/// ureq resolves the host before every request, even one that then reuses a pooled
/// connection, and when a deadline covers that phase (as `timeout_global` does) its default
/// resolver spawns a thread per lookup so that it can stop waiting: a thread per call, which
/// cost about four fifths of the sequential throughput on loopback. Resolving inline, as ureq
/// does without a deadline, keeps the global timeout for everything else; a lookup is bounded
/// by the system resolver's own timeouts, and its time still counts against the global one.
#[derive(Debug, Default)]
struct InlineResolver(DefaultResolver);

impl Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &AgentConfig,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let inline = NextTimeout {
            after: time::Duration::NotHappening,
            ..timeout
        };
        self.0.resolve(uri, config, inline)
    }
}

/// The metadata service's client: no proxy, no redirects, the timeout given for the whole of
/// each `GET` (at most [`METADATA_TIMEOUT`]).
#[derive(Debug)]
pub(crate) struct Metadata {
    agent: Agent,
}

/// Why a metadata `GET` failed with ureq's error `e`.
fn metadata_failure(e: &ureq::Error) -> MetadataFailure {
    let timed_out = match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ),
        _ => false,
    };
    if timed_out {
        MetadataFailure::timed_out(e.to_string())
    } else {
        MetadataFailure::other(e.to_string())
    }
}

impl Metadata {
    pub(crate) fn new() -> Self {
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .timeout_connect(Some(METADATA_TIMEOUT))
            .timeout_global(Some(METADATA_TIMEOUT))
            .build()
            .new_agent();
        Metadata { agent }
    }

    /// The body of a successful answer to `GET url`, all within `timeout` (at most
    /// [`METADATA_TIMEOUT`]), or why there is none.
    pub(crate) fn get_text(&self, url: &str, timeout: Duration) -> Result<String, MetadataFailure> {
        let timeout = timeout.min(METADATA_TIMEOUT);
        let mut response = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call()
            .map_err(|e| metadata_failure(&e))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(METADATA_MAX_BODY)
            .read_to_string()
            .map_err(|e| metadata_failure(&e))?;
        if !status.is_success() {
            return Err(MetadataFailure::other(format!("HTTP {status} from {url}")));
        }
        Ok(text)
    }
}
