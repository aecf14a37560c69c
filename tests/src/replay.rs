//! A loopback HTTP/1.1 server for transport tests: it replays recorded exchanges and checks what
//! it receives (method, path and query, JSON body, and the signature, recomputed here), or
//! misbehaves on purpose (resets, cut bodies, stalls) for fault tests.
//!
//! It is written on `std::net` so that what goes on the wire is exactly what a test says,
//! including broken answers no HTTP library would produce. It listens on `127.0.0.1` only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use pca_core::operations::*;
use pca_core::signing::{
    ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, string_to_sign, verify_signature,
};
use pca_core::{
    CaStatus, CaType, CrlExpiry, KeyType, Operation, Period, SecretKey, Timestamp, X509Parameters,
};
use serde_json::Value;

use crate::{Exchange, RecordedRequest, RecordedResponse};

/// The access key the replay server expects.
pub const ACCESS_KEY: &str = "replay-access-key";
/// The secret key the replay server checks signatures with.
pub const SECRET_KEY: &str = "replay-secret-key-not-for-logs";

/// The credentials a client under test uses against the replay server.
pub fn credentials() -> pca_core::Credentials {
    pca_core::Credentials::new(ACCESS_KEY, SECRET_KEY)
        .unwrap_or_else(|e| panic!("test credentials: {e}"))
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Method.
    pub method: String,
    /// Request target (path and query).
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Which connection (0-based, in accept order) it came on.
    pub connection: usize,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Checks the signature v2 headers against [`SECRET_KEY`], and that the timestamp is
    /// within 5 minutes of this machine's clock. `Err` says what is wrong.
    pub fn check_signature(&self) -> Result<(), String> {
        let ts = self
            .header(TIMESTAMP_HEADER)
            .ok_or("no timestamp header")?
            .parse::<u64>()
            .map_err(|e| format!("timestamp: {e}"))?;
        let key = self
            .header(ACCESS_KEY_HEADER)
            .ok_or("no access key header")?;
        if key != ACCESS_KEY {
            return Err(format!("access key {key:?}"));
        }
        let sig = self.header(SIGNATURE_HEADER).ok_or("no signature header")?;
        let method: http::Method = self.method.parse().map_err(|_| "method")?;
        let sts = string_to_sign(&method, &self.target, Timestamp::from_unix_millis(ts), key);
        if !verify_signature(&SecretKey::new(SECRET_KEY), &sts, sig) {
            return Err(format!("signature does not verify over {:?}", sts));
        }
        let now = Timestamp::from_system_time(SystemTime::now());
        let skew = now.millis_until(Timestamp::from_unix_millis(ts));
        if skew.abs() > 5 * 60 * 1000 {
            return Err(format!(
                "timestamp {ts} is {skew} ms from the server's clock"
            ));
        }
        Ok(())
    }

    /// The body as JSON (`null` when empty).
    pub fn json(&self) -> Result<Value, String> {
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| format!("body is not JSON: {e}"))
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this response (a `content-length` is added) and keep the connection.
    Respond(RecordedResponse),
    /// Write exactly these bytes and keep the connection.
    Raw(Vec<u8>),
    /// Write these bytes, then close the connection (an answer cut short).
    RawThenClose(Vec<u8>),
    /// Reset the connection (TCP RST) without answering.
    Reset,
    /// Say nothing for this long, then close.
    Stall(Duration),
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Respond(RecordedResponse {
            status,
            headers: BTreeMap::from([("content-type".to_owned(), "application/json".to_owned())]),
            body: Some(body),
            body_text: None,
        })
    }
}

type Handler = dyn Fn(&Received, usize) -> Reply + Send + Sync;

struct State {
    handler: Box<Handler>,
    requests: Mutex<Vec<Received>>,
    problems: Mutex<Vec<String>>,
    connections: AtomicUsize,
    stop: AtomicBool,
}

/// A loopback server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server whose `handler` answers each request (its argument: the request and its
    /// 0-based index among all requests received).
    pub fn start(handler: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot listen on loopback: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local address: {e}"));
        let state = Arc::new(State {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let st = Arc::clone(&state);
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let n = st.connections.fetch_add(1, Ordering::SeqCst);
                let st = Arc::clone(&st);
                std::thread::spawn(move || serve(stream, n, &st));
            }
        });
        TestServer {
            addr,
            state,
            accept: Some(accept),
        }
    }

    /// Starts a server that replays `exchanges` in order (the last one repeats), checking each
    /// request against the recorded one; see [`TestServer::problems`].
    pub fn replay(exchanges: Vec<Exchange>) -> Self {
        Self::start(move |req, i| {
            let ex = &exchanges[i.min(exchanges.len() - 1)];
            match check_request(req, &ex.request) {
                Ok(()) => Reply::Respond(ex.response.clone()),
                Err(problem) => Reply::json(
                    599,
                    serde_json::json!({ "code": "REPLAY_MISMATCH", "msg": problem }),
                ),
            }
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An endpoint for this server.
    pub fn endpoint(&self) -> pca_core::Endpoint {
        pca_core::Endpoint::parse(&self.url()).unwrap_or_else(|e| panic!("endpoint: {e}"))
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        lock(&self.state.requests).clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// How many connections were accepted.
    pub fn connection_count(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// What did not match in the requests replayed so far (empty when all matched).
    pub fn problems(&self) -> Vec<String> {
        lock(&self.state.problems).clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn serve(stream: TcpStream, connection: usize, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        if state.stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(req) = read_request(&mut reader, connection) else {
            return;
        };
        let index = {
            let mut all = lock(&state.requests);
            all.push(req.clone());
            all.len() - 1
        };
        let reply = (state.handler)(&req, index);
        if let Reply::Respond(r) = &reply {
            if r.status == 599 {
                lock(&state.problems).push(format!(
                    "{} {}: {}",
                    req.method,
                    req.target,
                    r.body
                        .as_ref()
                        .map(|b| b["msg"].to_string())
                        .unwrap_or_default()
                ));
            }
        }
        match reply {
            Reply::Respond(r) => {
                if writer.write_all(&response_bytes(&r)).is_err() {
                    return;
                }
            }
            Reply::Raw(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Reply::RawThenClose(bytes) => {
                let _ = writer.write_all(&bytes);
                let _ = writer.flush();
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return;
            }
            Reply::Reset => {
                let _ = socket2::SockRef::from(&writer).set_linger(Some(Duration::ZERO));
                return;
            }
            Reply::Stall(d) => {
                std::thread::sleep(d);
                return;
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, connection: usize) -> Option<Received> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        target,
        headers,
        body,
        connection,
    })
}

/// The gateway's refusal of a timestamp too far from its clock: 401, errorCode 200, with the
/// server's `Date` (from which a client learns its offset).
pub fn clock_skew_refusal() -> RecordedResponse {
    RecordedResponse {
        status: 401,
        headers: [
            ("content-type".to_owned(), "application/json".to_owned()),
            (
                "date".to_owned(),
                httpdate::fmt_http_date(SystemTime::now()),
            ),
        ]
        .into(),
        body: Some(serde_json::json!({
            "error": {"errorCode": "200", "message": "Authentication Failed"}
        })),
        body_text: None,
    }
}

/// The bytes of an HTTP/1.1 answer with a `content-length`.
pub fn response_bytes(r: &RecordedResponse) -> Vec<u8> {
    let body = r.body_bytes();
    let reason = http::StatusCode::from_u16(r.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Status");
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", r.status);
    for (name, value) in &r.headers {
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("connection") {
            continue;
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// Compares a received request with a recorded one: method, path and query, JSON body,
/// recorded headers (such as `content-type`), and the signature.
pub fn check_request(req: &Received, recorded: &RecordedRequest) -> Result<(), String> {
    if req.method != recorded.method {
        return Err(format!("method {} != {}", req.method, recorded.method));
    }
    if req.target != recorded.path {
        return Err(format!("target {} != {}", req.target, recorded.path));
    }
    let body = req.json()?;
    if body != recorded.body {
        return Err(format!("body {body} != {}", recorded.body));
    }
    for (name, value) in &recorded.headers {
        let got = req.header(name);
        if got != Some(value.as_str()) {
            return Err(format!("header {name}: {got:?} != {value:?}"));
        }
    }
    req.check_signature()
}

// ---------------------------------------------------------------------------------------------
// Operations from recorded requests.

/// An operation that can be rebuilt from the request a recording holds, so that a client under
/// test sends exactly that request.
pub trait FromRecorded: Operation + Sized {
    /// The operation whose request is `recorded`.
    fn from_recorded(recorded: &RecordedRequest) -> Result<Self, String>;
}

/// Path segments below `/api/v1/ca/`, without the query.
fn segments(r: &RecordedRequest) -> Vec<&str> {
    let path = r.path.split('?').next().unwrap_or("");
    path.strip_prefix("/api/v1/ca")
        .unwrap_or(path)
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

fn tag(r: &RecordedRequest) -> Result<String, String> {
    segments(r)
        .first()
        .map(|s| (*s).to_owned())
        .ok_or_else(|| format!("no CA tag in {}", r.path))
}

fn seg(r: &RecordedRequest, i: usize) -> Result<String, String> {
    segments(r)
        .get(i)
        .map(|s| (*s).to_owned())
        .ok_or_else(|| format!("no segment {i} in {}", r.path))
}

fn query(r: &RecordedRequest, name: &str) -> Option<String> {
    let q = r.path.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn field(r: &RecordedRequest, name: &str) -> Option<String> {
    match r.body.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn need(r: &RecordedRequest, name: &str) -> Result<String, String> {
    field(r, name).ok_or_else(|| format!("no {name} in the recorded body"))
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn x509(v: &Value) -> Result<X509Parameters, String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut p = X509Parameters::new(s("commonName").ok_or("no x509Parameters.commonName")?);
    if let Some(x) = s("country") {
        p = p.country(x);
    }
    if let Some(x) = s("locality") {
        p = p.locality(x);
    }
    if let Some(x) = s("stateProvince") {
        p = p.state_province(x);
    }
    if let Some(x) = s("organization") {
        p = p.organization(x);
    }
    if let Some(x) = s("organizationUnit") {
        p = p.organization_unit(x);
    }
    if let Some(x) = s("streetAddress") {
        p = p.street_address(x);
    }
    if let Some(x) = s("altName") {
        p = p.alt_names(
            x.split(',')
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
    }
    if let Some(x) = s("ip") {
        p = p.ip_texts(
            x.split(',')
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
    }
    Ok(p)
}

fn period(s: &str) -> Result<Period, String> {
    s.parse::<Period>().map_err(err)
}

macro_rules! tag_only {
    ($($ty:ident),*) => {
        $(impl FromRecorded for $ty {
            fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
                $ty::new(tag(r)?).map_err(err)
            }
        })*
    };
}

tag_only!(
    GetCa,
    DeleteCa,
    GetCaChain,
    GetCaCrl,
    GetCrlConfig,
    RotateCrl,
    TrimCa,
    DeleteOcsp,
    GetSubCsr,
    GetCaUserList
);

impl FromRecorded for CreateCa {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        let ca_type: CaType = query(r, "caType")
            .ok_or("no caType")?
            .parse()
            .map_err(err)?;
        let mut b = CreateCa::builder()
            .ca_type(ca_type)
            .alias(need(r, "alias")?)
            .key_type(need(r, "keyType")?.parse::<KeyType>().map_err(err)?)
            .period(period(&need(r, "period")?)?)
            .x509_parameters(x509(
                r.body.get("x509Parameters").ok_or("no x509Parameters")?,
            )?);
        if let Some(issuer) = query(r, "issuerTag") {
            b = b.issuer_tag(issuer);
        }
        if let Some(memo) = field(r, "memo") {
            b = b.memo(memo);
        }
        b.build().map_err(err)
    }
}

impl FromRecorded for GetCaList {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        match query(r, "pageNo") {
            Some(p) => GetCaList::page(p.parse().map_err(err)?).map_err(err),
            None => Ok(GetCaList::new()),
        }
    }
}

impl FromRecorded for UpdateCa {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        let status: CaStatus = need(r, "status")?.parse().map_err(err)?;
        let op = UpdateCa::new(tag(r)?, status).map_err(err)?;
        match field(r, "memo") {
            Some(m) => op.with_memo(m).map_err(err),
            None => Ok(op),
        }
    }
}

impl FromRecorded for UpdateCrlConfig {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        let days: u32 = need(r, "expiry")?.parse().map_err(err)?;
        UpdateCrlConfig::new(tag(r)?, CrlExpiry::days(days).map_err(err)?).map_err(err)
    }
}

impl FromRecorded for CreateOcsp {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        CreateOcsp::new(tag(r)?, need(r, "ocsp_servers")?).map_err(err)
    }
}

impl FromRecorded for SignSubCsr {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        SignSubCsr::new(tag(r)?, period(&need(r, "period")?)?, need(r, "csrPem")?).map_err(err)
    }
}

impl FromRecorded for ActivateSubCa {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        ActivateSubCa::new(tag(r)?, need(r, "certPem")?, need(r, "caChainPem")?).map_err(err)
    }
}

impl FromRecorded for IssueEndCert {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        let mut b = IssueEndCert::builder()
            .ca_tag(tag(r)?)
            .x509_parameters(x509(
                r.body.get("x509Parameters").ok_or("no x509Parameters")?,
            )?);
        if let Some(k) = field(r, "keyType") {
            b = b.key_type(k.parse::<KeyType>().map_err(err)?);
        }
        if let Some(p) = field(r, "period") {
            b = b.period(period(&p)?);
        }
        b.build().map_err(err)
    }
}

impl FromRecorded for SignEndCsr {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        let op = SignEndCsr::new(tag(r)?, need(r, "csrPem")?).map_err(err)?;
        match field(r, "period") {
            Some(p) => op.with_period(period(&p)?).map_err(err),
            None => Ok(op),
        }
    }
}

impl FromRecorded for GetEndCertList {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        let op = GetEndCertList::new(tag(r)?).map_err(err)?;
        match query(r, "pageNo") {
            Some(p) => op.with_page(p.parse().map_err(err)?).map_err(err),
            None => Ok(op),
        }
    }
}

impl FromRecorded for GetEndCert {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        GetEndCert::new(tag(r)?, seg(r, 2)?).map_err(err)
    }
}

impl FromRecorded for RevokeEndCert {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        RevokeEndCert::new(tag(r)?, seg(r, 2)?).map_err(err)
    }
}

impl FromRecorded for AddCaUser {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        AddCaUser::new(tag(r)?, need(r, "idNo")?).map_err(err)
    }
}

impl FromRecorded for DeleteCaUser {
    fn from_recorded(r: &RecordedRequest) -> Result<Self, String> {
        DeleteCaUser::new(tag(r)?, seg(r, 2)?).map_err(err)
    }
}

/// Something done with one operation type, chosen by name at run time
/// ([`visit_operation`]).
pub trait OperationVisitor {
    /// What the visit returns.
    type Out;
    /// Visits operation type `O`; `method` is the client's method name (`sign_sub_csr`).
    fn visit<O>(self, method: &'static str) -> Self::Out
    where
        O: FromRecorded + Send + Sync + 'static,
        O::Output: PartialEq + std::fmt::Debug + Send;
}

macro_rules! dispatch {
    ($(($method:ident, $ty:path, $doc:literal)),* $(,)?) => {
        /// Calls `visitor` with the operation type documented as `name` (`Sign Sub CSR`, any
        /// case) or whose client method is `name` (`sign_sub_csr`); `None` for an unknown name.
        pub fn visit_operation<V: OperationVisitor>(name: &str, visitor: V) -> Option<V::Out> {
            $(
                if name.eq_ignore_ascii_case($doc) || name == stringify!($method) {
                    return Some(visitor.visit::<$ty>(stringify!($method)));
                }
            )*
            None
        }

        /// The documented names of every operation, in the documentation's order.
        pub const OPERATION_NAMES: &[&str] = &[$($doc),*];

        /// The client method name of every operation (also its fixture directory).
        pub const OPERATION_METHODS: &[&str] = &[$(stringify!($method)),*];
    };
}

pca_core::for_each_operation!(dispatch);
