//! Moving bytes with hyper 1: a pooled `hyper_util` legacy client over hyper-rustls, every call
//! under a timeout, no redirects, the body cap, and the mapping of hyper's errors to
//! [`TransportError`]s that say whether the request may have left; and the metadata service's
//! `GET`s for server-role credentials.

use std::error::Error as StdError;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderValue, USER_AGENT};
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::runtime::{self, Handle};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use pca_transport::tls::{self, is_handshake_refusal};
use pca_transport::{
    Config, Error, METADATA_MAX_BODY, METADATA_TIMEOUT, MetadataFailure, TransportError,
    TransportErrorKind, find_in_chain as find,
};

type BoxError = Box<dyn StdError + Send + Sync>;

/// The most spare timers kept: enough for every attempt in flight to reuse one when calls
/// share a client, bounded so that timers left by a finished runtime are dropped in time.
const SPARE_TIMERS: usize = 32;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// A pooled hyper client and the limits it enforces. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub(crate) struct Transport {
    client: HyperClient<Connector, Full<Bytes>>,
    user_agent: HeaderValue,
    max_body: u64,
    timeout: Duration,
    connect_timeout: Duration,
    proxied: bool,
    /// Finished attempts' timers, still registered, each with the runtime it belongs to; at
    /// most [`SPARE_TIMERS`], the most recently kept last.
    spare_timers: Mutex<Vec<(runtime::Id, Pin<Box<Sleep>>)>>,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let tls_config = tls::client_config(config)?;

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout()));

        let tunnel = match config.proxy_url() {
            Some(url) => Some(tunnel(&url, http.clone())?),
            None => None,
        };
        let proxied = tunnel.is_some();
        let tcp = TcpOrTunnel { http, tunnel };
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let connector = Connector(Arc::new(ConnectorInner {
            inner: https,
            timeout: config.connect_timeout(),
        }));
        let client = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let user_agent = HeaderValue::from_str(config.user_agent())
            .map_err(|_| Error::Config("the user agent is not a valid header value".to_owned()))?;
        Ok(Transport {
            client,
            user_agent,
            max_body: config.max_response_body(),
            timeout: config.attempt_timeout(),
            connect_timeout: config.connect_timeout(),
            proxied,
            spare_timers: Mutex::new(Vec::new()),
        })
    }

    /// `true` when requests go through a proxy.
    pub(crate) fn is_proxied(&self) -> bool {
        self.proxied
    }

    /// Sends `request` and reads the whole answer (at most the body cap), all within
    /// `timeout` (at most the attempt timeout).
    pub(crate) async fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = timeout.min(self.timeout);
        let mut request = request.map(|b| Full::new(Bytes::from(b)));
        request
            .headers_mut()
            .entry(USER_AGENT)
            .or_insert_with(|| self.user_agent.clone());
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| self.classify(e))?;
            let (parts, mut body) = response.into_parts();
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if declared.is_some_and(|n| n > self.max_body) {
                return Err(TransportError::body_too_large(self.max_body));
            }
            // Straight into one buffer of the declared size: one copy of each chunk.
            let mut bytes = Vec::with_capacity(
                declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            );
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| body_error(e.into()))?;
                if let Ok(chunk) = frame.into_data() {
                    if (bytes.len() + chunk.len()) as u64 > self.max_body {
                        return Err(TransportError::body_too_large(self.max_body));
                    }
                    bytes.extend_from_slice(&chunk);
                }
            }
            Ok(http::Response::from_parts(parts, bytes))
        };
        let mut call = pin!(call);
        let runtime = Handle::current().id();
        let mut timer = self.timer(runtime, timeout);
        let finished = poll_fn(|cx| match call.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
        })
        .await;
        self.keep_timer(runtime, timer);
        match finished {
            Some(result) => result,
            None => Err(TransportError::new(
                TransportErrorKind::Timeout,
                true,
                "no complete answer in time",
            )
            .with_timeout(timeout)),
        }
    }

    /// A timer for the attempt's `timeout`: a spare one of this runtime, moved to the new
    /// deadline, or else a new one.
    fn timer(&self, runtime: runtime::Id, timeout: Duration) -> Pin<Box<Sleep>> {
        let deadline = Instant::now() + timeout;
        let spare = {
            let mut spares = self
                .spare_timers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            spares
                .iter()
                .rposition(|(id, _)| *id == runtime)
                .map(|i| spares.swap_remove(i).1)
        };
        match spare {
            Some(mut timer) => {
                timer.as_mut().reset(deadline);
                timer
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// Keeps a finished attempt's timer as a spare, dropping the oldest spare when there are
    /// [`SPARE_TIMERS`] already.
    ///
    /// Moving a registered timer later is an atomic store, while registering a new one takes
    /// the timer wheel's lock and, when it would be the earliest, wakes the runtime's driver
    /// (an `eventfd` write and an extra `epoll_wait` per call); dropping a registered timer
    /// takes the wheel's lock too. Keeping the timer registered until the next attempt costs
    /// one driver wake-up when it passes its deadline unused. With several calls in flight,
    /// one spare would serve one of them and the others would register and drop a timer each.
    fn keep_timer(&self, runtime: runtime::Id, timer: Pin<Box<Sleep>>) {
        let evicted = {
            let mut spares = self
                .spare_timers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let evicted = if spares.len() >= SPARE_TIMERS {
                Some(spares.remove(0))
            } else {
                None
            };
            spares.push((runtime, timer));
            evicted
        };
        // Dropped outside the lock: deregistering takes the timer wheel's lock.
        drop(evicted);
    }

    fn classify(&self, e: hyper_util::client::legacy::Error) -> TransportError {
        use TransportErrorKind::{Connect, Io, Timeout, Tls};
        let detail = chain_text(&e);
        if e.is_connect() {
            if let Some(r) = find::<rustls::Error>(&e) {
                let sent = !is_handshake_refusal(r);
                return TransportError::new(Tls, sent, detail).with_source(e);
            }
            if find::<io::Error>(&e).is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
                || detail.contains("timed out")
            {
                return TransportError::new(Timeout, false, detail)
                    .with_timeout(self.connect_timeout)
                    .with_source(e);
            }
            return TransportError::new(Connect, false, detail).with_source(e);
        }
        if let Some(r) = find::<rustls::Error>(&e) {
            let sent = !is_handshake_refusal(r);
            return TransportError::new(Tls, sent, detail).with_source(e);
        }
        if find::<hyper::Error>(&e).is_some_and(hyper::Error::is_canceled) {
            // hyper dropped the request before writing it (its connection closed first).
            return TransportError::new(Io, false, detail).with_source(e);
        }
        TransportError::new(Io, true, detail).with_source(e)
    }
}

fn body_error(e: BoxError) -> TransportError {
    let detail = chain_text(e.as_ref());
    TransportError::new(TransportErrorKind::Io, true, detail).with_source(BoxedError(e))
}

/// A boxed error that can be a source.
#[derive(Debug)]
struct BoxedError(BoxError);

impl std::fmt::Display for BoxedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for BoxedError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// The messages of an error and its sources, joined.
fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

fn tunnel(url: &str, http: HttpConnector) -> Result<Tunnel<HttpConnector>, Error> {
    let matcher = Matcher::builder().all(url.to_owned()).build();
    let probe: http::Uri = "https://pca.invalid/"
        .parse()
        .map_err(|_| Error::Config("proxy probe URI".to_owned()))?;
    let intercept = matcher
        .intercept(&probe)
        .ok_or_else(|| Error::Config(format!("proxy URL {:?} is not usable", redact(url))))?;
    let mut t = Tunnel::new(intercept.uri().clone(), http);
    if let Some(auth) = intercept.basic_auth() {
        t = t.with_auth(auth.clone());
    }
    Ok(t)
}

/// A proxy URL without its credentials, for messages.
fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((before, after)) => match before.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***@{after}"),
            None => format!("***@{after}"),
        },
        None => url.to_owned(),
    }
}

/// TCP, directly or through an HTTP `CONNECT` tunnel.
#[derive(Clone)]
struct TcpOrTunnel {
    http: HttpConnector,
    tunnel: Option<Tunnel<HttpConnector>>,
}

impl Service<http::Uri> for TcpOrTunnel {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        match &self.tunnel {
            Some(t) => {
                let mut t = t.clone();
                Box::pin(async move { t.call(dst).await.map_err(BoxError::from) })
            }
            None => {
                let mut h = self.http.clone();
                Box::pin(async move { h.call(dst).await.map_err(BoxError::from) })
            }
        }
    }
}

/// The TLS connector with the connect timeout over TCP, tunnel and handshake together.
///
/// hyper's pool clones its connector for every request, pooled connection or not; behind one
/// `Arc` that clone is one reference count, and the inner connector (several `Arc`s of its own)
/// is cloned only when a connection is actually opened.
#[derive(Clone)]
struct Connector(Arc<ConnectorInner>);

struct ConnectorInner {
    inner: HttpsConnector<TcpOrTunnel>,
    timeout: Duration,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("timeout", &self.0.timeout)
            .finish_non_exhaustive()
    }
}

impl Service<http::Uri> for Connector {
    type Response = <HttpsConnector<TcpOrTunnel> as Service<http::Uri>>::Response;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The inner connector's readiness is awaited in `call`, on its own clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let mut inner = self.0.inner.clone();
        let timeout = self.0.timeout;
        Box::pin(async move {
            let connecting = async {
                poll_fn(|cx| inner.poll_ready(cx)).await?;
                inner.call(dst).await
            };
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result,
                Err(_) => Err(Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connect timed out after {} ms", timeout.as_millis()),
                )) as BoxError),
            }
        })
    }
}

/// The metadata service's client: plain HTTP, no proxy, no pooling, [`METADATA_TIMEOUT`] to
/// connect and the timeout given (at most [`METADATA_TIMEOUT`]) for the whole of each `GET`.
#[derive(Debug)]
pub(crate) struct Metadata {
    http: HyperClient<HttpConnector, Empty<Bytes>>,
}

impl Metadata {
    pub(crate) fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(METADATA_TIMEOUT));
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Metadata { http }
    }

    /// The body of a successful answer to `GET url`, all within `timeout` (at most
    /// [`METADATA_TIMEOUT`]), or why there is none.
    pub(crate) async fn get_text(
        &self,
        url: &str,
        timeout: Duration,
    ) -> Result<String, MetadataFailure> {
        let timeout = timeout.min(METADATA_TIMEOUT);
        let uri: http::Uri = url
            .parse()
            .map_err(|e| MetadataFailure::other(format!("{url}: {e}")))?;
        let call = async {
            let response = self.http.get(uri).await.map_err(|e| {
                format!(
                    "{e}: {}",
                    StdError::source(&e)
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )
            })?;
            let status = response.status();
            let limit = usize::try_from(METADATA_MAX_BODY).unwrap_or(usize::MAX);
            let body = Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            if !status.is_success() {
                return Err(format!("HTTP {status} from {url}"));
            }
            String::from_utf8(body.to_vec()).map_err(|e| e.to_string())
        };
        match tokio::time::timeout(timeout, call).await {
            Ok(answer) => answer.map_err(MetadataFailure::other),
            Err(_) => Err(MetadataFailure::timed_out(format!(
                "no answer within {} ms",
                timeout.as_millis()
            ))),
        }
    }
}
