//! (Feature `test-util`.) A minimal HTTP/1.1 sender for loopback addresses: enough to drive the emulator from tests,
//! benchmarks and the fixture recorder with the requests `pca_core` builds, without a
//! transport crate. It refuses any address that is not loopback.

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The largest response this sender reads (16 MiB).
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// One keep-alive connection to a loopback server.
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Connection {
    /// Connects to `addr`, which must be a loopback address.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the loopback sender only connects to loopback addresses",
            ));
        }
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(Connection {
            reader: BufReader::new(stream),
            host: addr.to_string(),
        })
    }

    /// Sends `request` (its URI's path and query become the request target; its headers are
    /// sent as they are, plus `Host` and `Content-Length`) and reads the response.
    pub fn send(
        &mut self,
        request: &http::Request<Vec<u8>>,
    ) -> io::Result<http::Response<Vec<u8>>> {
        let target = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            request.method(),
            target,
            self.host
        );
        for (name, value) in request.headers() {
            if name == http::header::HOST || name == http::header::CONTENT_LENGTH {
                continue;
            }
            let value = value
                .to_str()
                .map_err(|_| bad("a header value is not visible ASCII"))?;
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(request.body());
        self.send_raw(&bytes)
    }

    /// Writes `bytes` as they are and reads one response.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<http::Response<Vec<u8>>> {
        let stream = self.reader.get_mut();
        stream.write_all(bytes)?;
        stream.flush()?;
        self.read_response()
    }

    fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        if line.len() > 64 * 1024 {
            return Err(bad("header line too long"));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn read_response(&mut self) -> io::Result<http::Response<Vec<u8>>> {
        let status_line = self.read_line()?;
        let code: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
        let mut builder = http::Response::builder().status(code);
        let mut length: Option<usize> = None;
        let mut chunked = false;
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| bad("bad header line"))?;
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| bad("bad Content-Length"))?);
            }
            if name.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let size_line = self.read_line()?;
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| bad("bad chunk size"))?;
                if size == 0 {
                    while !self.read_line()?.is_empty() {}
                    break;
                }
                if body.len() + size > MAX_RESPONSE {
                    return Err(bad("response too large"));
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader.read_exact(&mut body[start..])?;
                self.read_line()?;
            }
        } else if let Some(n) = length {
            if n > MAX_RESPONSE {
                return Err(bad("response too large"));
            }
            body.resize(n, 0);
            self.reader.read_exact(&mut body)?;
        } else {
            (&mut self.reader)
                .take(MAX_RESPONSE as u64)
                .read_to_end(&mut body)?;
        }
        builder.body(body).map_err(|e| bad(e.to_string()))
    }
}

/// Sends one request on a new connection to the loopback address `addr`.
pub fn send(
    addr: SocketAddr,
    request: &http::Request<Vec<u8>>,
) -> io::Result<http::Response<Vec<u8>>> {
    Connection::connect(addr)?.send(request)
}
