//! The HTTP server: the builder, the running handle, and the request pipeline (size limit,
//! routing, gateway checks, service).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use pca_core::{GatewayErrorCode, SecretKey, ServiceCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::db::{Db, Durability};
use crate::ext::{self, ExtRoute};
use crate::gateway::{self, GatewayError, Keys};
use crate::service::{self, Limits, Query, Route, Service, ServiceError};
use crate::store::State;

/// The access key the emulator accepts when no credentials are configured.
pub const DEFAULT_ACCESS_KEY: &str = "emulator-access-key";
/// The secret key paired with [`DEFAULT_ACCESS_KEY`].
pub const DEFAULT_SECRET_KEY: &str = "emulator-secret-key";
/// The default listen address of the binary.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The default largest request body, in bytes.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// The default page size of Get CA List and Get End Cert List.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The documented limit of CAs per account.
pub const DEFAULT_MAX_CAS: usize = 10;
/// The documented limit of certificates per CA.
pub const DEFAULT_MAX_CERTS_PER_CA: u64 = 30_000;
/// The default deadline for reading a request's head, and then its body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default time a keep-alive connection may stay open without a request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The gateway's documented clock tolerance.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// Why the emulator did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The listen address could not be bound.
    Bind(std::io::Error),
    /// The state directory could not be read.
    State(String),
    /// The runtime could not be made.
    Runtime(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
            StartError::State(e) => write!(f, "cannot load the state: {e}"),
            StartError::Runtime(e) => write!(f, "cannot start the runtime: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Bind(e) | StartError::Runtime(e) => Some(e),
            StartError::State(_) => None,
        }
    }
}

/// Configures and starts an [`Emulator`].
#[derive(Debug)]
pub struct EmulatorBuilder {
    listen: SocketAddr,
    credentials: Vec<(String, SecretKey)>,
    state_dir: Option<PathBuf>,
    durability: Durability,
    max_clock_skew: Duration,
    body_limit: usize,
    limits: Limits,
    worker_threads: usize,
    request_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    public_url: Option<String>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: Vec::new(),
            state_dir: None,
            durability: Durability::Normal,
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
            body_limit: DEFAULT_BODY_LIMIT,
            limits: Limits {
                page_size: DEFAULT_PAGE_SIZE,
                max_cas: DEFAULT_MAX_CAS,
                max_certs_per_ca: DEFAULT_MAX_CERTS_PER_CA,
                public_url: String::new(),
            },
            worker_threads: 2,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            public_url: None,
        }
    }
}

impl EmulatorBuilder {
    /// The address to listen on (default `127.0.0.1:0`: a free loopback port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Accepts requests signed with this access key and secret key; may be called several
    /// times. Without any, [`DEFAULT_ACCESS_KEY`] / [`DEFAULT_SECRET_KEY`] are accepted.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials
            .push((access_key.into(), SecretKey::new(secret_key.into())));
        self
    }

    /// Keeps the state in `dir` (created if needed), so that it survives a restart. Without it
    /// the state is in memory only.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// What a commit to the state directory survives (default [`Durability::Normal`]: a killed
    /// process; [`Durability::Full`]: a power loss too, at the cost of an fsync per change).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The largest difference between a request's timestamp and the emulator's clock
    /// (default 5 minutes).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// The largest request body in bytes (default [`DEFAULT_BODY_LIMIT`]); larger bodies get
    /// 413 with gateway errorCode 430.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Entries per page of the list operations (default [`DEFAULT_PAGE_SIZE`]).
    pub fn page_size(mut self, entries: usize) -> Self {
        self.limits.page_size = entries.max(1);
        self
    }

    /// The most CAs that may exist at once (default [`DEFAULT_MAX_CAS`]).
    pub fn max_cas(mut self, n: usize) -> Self {
        self.limits.max_cas = n;
        self
    }

    /// The most certificates one CA signs (default [`DEFAULT_MAX_CERTS_PER_CA`]).
    pub fn max_certs_per_ca(mut self, n: u64) -> Self {
        self.limits.max_certs_per_ca = n;
        self
    }

    /// The deadline for reading a request: its head within this time of the connection's
    /// last answer (or its opening), its body within this time of its head (default
    /// [`DEFAULT_REQUEST_TIMEOUT`]). A late head closes the connection; a late body is
    /// answered 400 (gateway errorCode `100`) and the connection closed.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a keep-alive connection may stay open without a request (default
    /// [`DEFAULT_IDLE_TIMEOUT`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The most connections open at once (default [`DEFAULT_MAX_CONNECTIONS`]); beyond it new
    /// connections are closed at once.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// The emulator's URL as clients reach it, `http(s)://HOST[:PORT][/PREFIX]` (default
    /// `http://` and the listening address). Certificates carry URLs below it: the CRL
    /// distribution point `{url}/ext/{caTag}/crl` and the CA certificate
    /// `{url}/ext/{caTag}/ca` (AIA caIssuers).
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Worker threads of the runtime [`start`](Self::start) makes (default 2).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    fn prepare(self) -> Result<(Arc<Shared>, std::net::TcpListener, Credentials), StartError> {
        let (state, db) = match &self.state_dir {
            Some(dir) => {
                let (db, s) = Db::open(dir, self.durability).map_err(StartError::State)?;
                (s, Some(db))
            }
            None => (State::default(), None),
        };
        let mut creds = self.credentials;
        if creds.is_empty() {
            creds.push((
                DEFAULT_ACCESS_KEY.to_owned(),
                SecretKey::new(DEFAULT_SECRET_KEY),
            ));
        }
        let first = (creds[0].0.clone(), creds[0].1.clone());
        let listener = std::net::TcpListener::bind(self.listen).map_err(StartError::Bind)?;
        listener.set_nonblocking(true).map_err(StartError::Bind)?;
        let mut limits = self.limits;
        limits.public_url = match self.public_url {
            Some(url) => url,
            None => format!(
                "http://{}",
                listener.local_addr().map_err(StartError::Bind)?
            ),
        };
        let shared = Arc::new(Shared {
            keys: Keys::new(creds),
            service: Service::new(state, db, limits),
            max_clock_skew: self.max_clock_skew,
            body_limit: self.body_limit,
            request_timeout: self.request_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        });
        Ok((shared, listener, first))
    }

    /// Starts the emulator on its own runtime, on a background thread; works from synchronous
    /// and asynchronous code alike. The emulator stops when the returned handle is dropped.
    pub fn start(self) -> Result<Emulator, StartError> {
        let threads = self.worker_threads;
        let (shared, listener, first) = self.prepare()?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("pca-emulator")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let (tx, rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("pca-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(l) => serve(l, shared, rx).await,
                        Err(e) => tracing::error!(error = %e, "cannot listen"),
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(StartError::Runtime)?;
        Ok(Emulator::new(addr, tx, Some(thread), None, first))
    }

    /// Starts the emulator on the current tokio runtime. The emulator stops when the returned
    /// handle is dropped.
    pub async fn spawn(self) -> Result<Emulator, StartError> {
        let (shared, listener, first) = self.prepare()?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let listener = TcpListener::from_std(listener).map_err(StartError::Bind)?;
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, shared, rx));
        Ok(Emulator::new(addr, tx, None, Some(task), first))
    }
}

type Credentials = (String, SecretKey);

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    credentials: Credentials,
}

impl Emulator {
    /// A builder with the defaults: loopback, a free port, in-memory state, the default
    /// credentials.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    fn new(
        addr: SocketAddr,
        shutdown: watch::Sender<bool>,
        thread: Option<std::thread::JoinHandle<()>>,
        task: Option<tokio::task::JoinHandle<()>>,
        credentials: Credentials,
    ) -> Self {
        Emulator {
            addr,
            base_url: format!("http://{addr}"),
            shutdown,
            thread,
            task,
            credentials,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://HOST:PORT` (the API is below `/api/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API's URL, `http://HOST:PORT/api/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v1", self.base_url)
    }

    /// A pca-core endpoint for this emulator.
    pub fn endpoint(&self) -> pca_core::Endpoint {
        pca_core::Endpoint::allow_insecure_http(&self.base_url)
            .unwrap_or_else(|e| unreachable!("an http://IP:PORT URL is a valid endpoint: {e}"))
    }

    /// The first configured credentials (the defaults when none were configured).
    pub fn credentials(&self) -> pca_core::Credentials {
        pca_core::Credentials::new(
            self.credentials.0.clone(),
            self.credentials.1.expose_secret().to_owned(),
        )
        .unwrap_or_else(|e| unreachable!("configured credentials are valid: {e}"))
    }

    /// Stops the server and waits for its thread (when it has its own runtime).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What every connection shares.
struct Shared {
    keys: Keys,
    service: Service,
    max_clock_skew: Duration,
    body_limit: usize,
    request_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
}

/// Logs the first accept error (or refusal) of a burst and counts the rest, so that a flood of
/// errors such as EMFILE makes one log line, not thousands.
#[derive(Debug, Default)]
struct Burst {
    since: Option<Instant>,
    count: u64,
}

impl Burst {
    /// Records one event; `true` when it starts a burst (and should be logged).
    fn hit(&mut self) -> bool {
        self.count += 1;
        let starts = self.since.is_none();
        self.since.get_or_insert_with(Instant::now);
        starts
    }

    /// Ends the burst after a quiet second; returns how many events it had.
    fn settle(&mut self) -> Option<u64> {
        let since = self.since?;
        if since.elapsed() < Duration::from_secs(1) {
            return None;
        }
        self.since = None;
        Some(std::mem::take(&mut self.count))
    }
}

/// The state a connection's watchdog reads: whether a request is being handled and when the
/// last one ended (milliseconds since the connection was accepted).
#[derive(Debug)]
struct ConnActivity {
    started: Instant,
    busy: std::sync::atomic::AtomicUsize,
    last_done_ms: std::sync::atomic::AtomicU64,
}

impl ConnActivity {
    fn idle_for(&self) -> Option<Duration> {
        use std::sync::atomic::Ordering::Relaxed;
        if self.busy.load(Relaxed) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_done_ms.load(Relaxed));
        Some(self.started.elapsed().saturating_sub(last))
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(shared.max_connections));
    let mut errors = Burst::default();
    let mut refusals = Burst::default();
    let mut backoff = Duration::from_millis(5);
    loop {
        if let Some(n) = errors.settle() {
            tracing::info!(errors = n, "accepting again after accept errors");
        }
        if let Some(n) = refusals.settle() {
            tracing::info!(refused = n, "connections below the limit again");
        }
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = Duration::from_millis(5);
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        // Over the cap: closed at once, so that the open connections keep
                        // their descriptors and the server keeps answering.
                        if refusals.hit() {
                            tracing::warn!(
                                limit = shared.max_connections,
                                "too many open connections: refusing new ones"
                            );
                        }
                        drop(stream);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, shared.clone(), shutdown.clone(), permit));
                }
                Err(e) => {
                    if errors.hit() {
                        tracing::warn!(error = %e, "accept failed; backing off (one line per burst)");
                    }
                    // A short, growing pause: a full descriptor table (EMFILE) frees up only
                    // as connections close; retrying at once would spin.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
            },
            _ = shutdown.changed() => break,
        }
    }
}

/// Serves one connection: the request deadline (headers by hyper, body in the pipeline), the
/// idle keep-alive timeout (a watchdog) and a graceful stop.
async fn connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let activity = Arc::new(ConnActivity {
        started: Instant::now(),
        busy: 0.into(),
        last_done_ms: 0.into(),
    });
    let idle_timeout = shared.idle_timeout;
    let tick = (idle_timeout / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
    let svc = {
        let (shared, activity) = (shared.clone(), activity.clone());
        service_fn(move |req| {
            let (shared, activity) = (shared.clone(), activity.clone());
            async move {
                activity.busy.fetch_add(1, Relaxed);
                let response = handle(shared, req).await;
                let now = u64::try_from(activity.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                activity.last_done_ms.store(now, Relaxed);
                activity.busy.fetch_sub(1, Relaxed);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // hyper starts this deadline whenever it waits for a request head, so it also closes
        // a keep-alive connection that sends nothing for this long.
        .header_read_timeout(shared.request_timeout)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    let mut watchdog = tokio::time::interval(tick);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = watchdog.tick(), if !closing => {
                if activity.idle_for().is_some_and(|d| d >= idle_timeout) {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                return;
            }
        }
    }
}

fn json_response(status: StatusCode, body: Vec<u8>, gateway: bool) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if gateway {
        r.headers_mut().insert(
            "x-ncp-apigw-response-origin",
            HeaderValue::from_static("APIGW"),
        );
    }
    r
}

fn gateway_response(e: &GatewayError) -> Response<Full<Bytes>> {
    tracing::info!(error_code = e.code.as_str(), details = %e.details, "gateway refusal");
    json_response(e.status(), e.body(), true)
}

fn envelope(result: Result<Value, ServiceError>) -> Response<Full<Bytes>> {
    let (status, body) = match result {
        Ok(data) => (
            StatusCode::OK,
            json!({ "code": "SUCCESS", "msg": "Success", "data": data }),
        ),
        Err(e) => (
            {
                tracing::debug!(code = e.code.as_str(), msg = %e.msg, "service refusal");
                service::http_status(&e.code)
            },
            json!({ "code": e.code.as_str(), "msg": e.msg, "data": null }),
        ),
    };
    json_response(status, serde_json::to_vec(&body).unwrap_or_default(), false)
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (response, op) = pipeline(shared, req).await;
    tracing::info!(
        method = %method,
        path = ?path,
        operation = op,
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

async fn pipeline(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> (Response<Full<Bytes>>, &'static str) {
    let (parts, body) = req.into_parts();
    let too_large = || {
        GatewayError::new(
            GatewayErrorCode::RequestEntityTooLarge,
            format!(
                "The request body is larger than {} bytes.",
                shared.body_limit
            ),
        )
    };
    if let Some(len) = parts.headers.get(CONTENT_LENGTH) {
        match len.to_str().ok().and_then(|l| l.trim().parse::<u64>().ok()) {
            Some(n) if n > shared.body_limit as u64 => {
                return (gateway_response(&too_large()), "-");
            }
            Some(_) => {}
            None => {
                let e = GatewayError::new(GatewayErrorCode::BadRequest, "Invalid Content-Length.");
                return (gateway_response(&e), "-");
            }
        }
    }
    if let Some(ext) = ExtRoute::parse(&parts.method, parts.uri.path()) {
        return public_endpoint(shared, ext, body).await;
    }
    let Some(route) = Route::parse(&parts.method, parts.uri.path()) else {
        let e = GatewayError::new(GatewayErrorCode::NotFound, "URL not found.");
        return (gateway_response(&e), "-");
    };
    let op = route.name();
    let collected = tokio::time::timeout(
        shared.request_timeout,
        Limited::new(body, shared.body_limit).collect(),
    )
    .await;
    let Ok(collected) = collected else {
        let e = GatewayError::new(
            GatewayErrorCode::BadRequest,
            format!(
                "The request body did not arrive within {} s.",
                shared.request_timeout.as_secs_f64()
            ),
        );
        let mut response = gateway_response(&e);
        response
            .headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        return (response, op);
    };
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let e = if e.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                GatewayError::new(
                    GatewayErrorCode::BadRequest,
                    "The request body is unreadable.",
                )
            };
            return (gateway_response(&e), op);
        }
    };
    let request_uri = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    if let Err(e) = gateway::authenticate(
        &shared.keys,
        &parts.method,
        request_uri,
        &parts.headers,
        SystemTime::now(),
        shared.max_clock_skew,
    ) {
        return (gateway_response(&e), op);
    }
    let query = match Query::parse(parts.uri.query()) {
        Ok(q) => q,
        Err(_) => {
            let e = GatewayError::new(
                GatewayErrorCode::BadRequest,
                "The query string is not valid UTF-8.",
            );
            return (gateway_response(&e), op);
        }
    };
    let worker = shared.clone();
    let result = match tokio::task::spawn_blocking(move || {
        worker
            .service
            .handle(route, &query, &bytes, SystemTime::now())
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Err(ServiceError::new(
            ServiceCode::InternalServerError,
            "internal error",
        )),
    };
    (envelope(result), op)
}

fn der_response(content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Answers a public `/ext/{caTag}/…` endpoint (no gateway signature: relying parties such as
/// openssl or a TLS stack fetch these).
async fn public_endpoint(
    shared: Arc<Shared>,
    route: Option<ExtRoute>,
    body: Incoming,
) -> (Response<Full<Bytes>>, &'static str) {
    let not_found = || {
        let e = GatewayError::new(GatewayErrorCode::NotFound, "URL not found.");
        gateway_response(&e)
    };
    let Some(route) = route else {
        return (not_found(), "-");
    };
    let op = route.name();
    let request = match &route {
        ExtRoute::OcspPost(_) => {
            let collected = tokio::time::timeout(
                shared.request_timeout,
                Limited::new(body, shared.body_limit).collect(),
            )
            .await;
            match collected {
                Ok(Ok(c)) => c.to_bytes().to_vec(),
                _ => {
                    let e = GatewayError::new(
                        GatewayErrorCode::BadRequest,
                        "The request body is unreadable, too large or late.",
                    );
                    return (gateway_response(&e), op);
                }
            }
        }
        // An empty request is a malformed one.
        ExtRoute::OcspGet(_, encoded) => ext::ocsp_get_request(encoded).unwrap_or_default(),
        ExtRoute::Crl(_) | ExtRoute::Ca(_) => Vec::new(),
    };
    let worker = shared.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let svc = &worker.service;
        match route {
            ExtRoute::Crl(tag) => svc
                .ext_crl(&tag, SystemTime::now())
                .map(|der| der_response("application/pkix-crl", der)),
            ExtRoute::Ca(tag) => svc
                .ext_ca(&tag)
                .map(|der| der_response("application/pkix-cert", der)),
            ExtRoute::OcspPost(tag) | ExtRoute::OcspGet(tag, _) => Some(der_response(
                "application/ocsp-response",
                svc.ext_ocsp(&tag, &request, SystemTime::now()),
            )),
        }
    })
    .await;
    match answer {
        Ok(Some(r)) => (r, op),
        Ok(None) => (not_found(), op),
        Err(_) => {
            let e = GatewayError::new(GatewayErrorCode::UnexpectedError, "internal error");
            (gateway_response(&e), op)
        }
    }
}
