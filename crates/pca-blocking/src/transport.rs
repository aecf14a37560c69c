//! Moving bytes with ureq 3: one pooled `Agent`, timeouts, no redirects, the body cap, and the
//! mapping of ureq's errors to [`TransportError`]s that say whether the request may have left.

use std::io;
use std::time::Duration;

use http::Method;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::{Agent, Proxy, Timeout};

use pca_core::Endpoint;

use crate::config::{Settings, proxy_for};
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::tls;

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
    pub(crate) fn new(s: &Settings, endpoint: &Endpoint) -> Result<Self, Error> {
        let roots: Vec<Certificate<'static>> = tls::root_certificates(s)?
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        let tls_config = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(tls::provider())
            .root_certs(RootCerts::new_with_certs(&roots))
            .build();
        let host = endpoint
            .authority()
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(endpoint.authority(), |(h, _)| h);
        let proxy = match proxy_for(&s.proxy, host, &|n| std::env::var(n).ok()) {
            Some(url) => {
                Some(Proxy::new(&url).map_err(|e| Error::Config(format!("proxy URL: {e}")))?)
            }
            None => None,
        };
        let proxied = proxy.is_some();
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            // Each phase of an attempt gets the whole-call timeout. ureq's `timeout_global`
            // would bound the sum, but it halved sequential throughput on loopback in
            // `cargo xtask bench`; a server that stalls is still cut off after `timeout`.
            .timeout_connect(Some(s.connect_timeout))
            .timeout_send_request(Some(s.timeout))
            .timeout_send_body(Some(s.timeout))
            .timeout_recv_response(Some(s.timeout))
            .timeout_recv_body(Some(s.timeout))
            .user_agent(s.user_agent.as_str())
            .proxy(proxy)
            .tls_config(tls_config)
            .build()
            .new_agent();
        Ok(Transport {
            agent,
            max_body: s.max_response_body,
            timeout: s.timeout,
            connect_timeout: s.connect_timeout,
            proxied,
        })
    }

    /// `true` when requests go through a proxy.
    pub(crate) fn is_proxied(&self) -> bool {
        self.proxied
    }

    /// Sends `request` and reads the whole answer (at most the body cap).
    pub(crate) fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let bodyless = request.body().is_empty()
            && matches!(
                *request.method(),
                Method::GET | Method::DELETE | Method::HEAD
            );
        let result = if bodyless {
            self.agent.run(request.map(|_| ()))
        } else {
            self.agent.run(request)
        };
        let response = result.map_err(|e| self.classify(e))?;
        let (parts, mut body) = response.into_parts();
        if body.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large(self.max_body));
        }
        let bytes = body
            .with_config()
            .limit(self.max_body)
            .read_to_vec()
            .map_err(|e| self.classify(e))?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    fn classify(&self, e: ureq::Error) -> TransportError {
        use TransportErrorKind::{Connect, Io, Timeout as TimedOut, Tls};
        let detail = e.to_string();
        match e {
            ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
                TransportError::new(TimedOut, false, detail).with_timeout(self.connect_timeout)
            }
            ureq::Error::Timeout(_) => {
                TransportError::new(TimedOut, true, detail).with_timeout(self.timeout)
            }
            ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_) => TransportError::new(Connect, false, detail),
            ureq::Error::BodyExceedsLimit(_) => too_large(self.max_body),
            ureq::Error::Rustls(r) => {
                let sent = !is_handshake_refusal(&r);
                TransportError::new(Tls, sent, detail).with_source(r)
            }
            ureq::Error::Tls(_) | ureq::Error::Pem(_) => TransportError::new(Tls, false, detail),
            ureq::Error::Io(io) => {
                if let Some(r) = find_rustls(&io) {
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
                            .with_timeout(self.timeout)
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

/// The rustls error inside an I/O error, however deeply wrapped.
fn find_rustls(io: &io::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = io
        .get_ref()
        .map(|i| i as &(dyn std::error::Error + 'static));
    while let Some(err) = next {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        next = match err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

fn too_large(limit: u64) -> TransportError {
    TransportError::new(TransportErrorKind::BodyTooLarge { limit }, true, "")
}

/// TLS failures that can only happen in the handshake, before any request byte is written.
fn is_handshake_refusal(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType
            | rustls::Error::PeerIncompatible(_)
            | rustls::Error::InvalidCertRevocationList(_)
    )
}
