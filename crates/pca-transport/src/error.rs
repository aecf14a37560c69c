//! The client's error: the core's error, a transport failure, or an unusable configuration.

use std::fmt;
use std::time::Duration;

/// Every failure a call can end in.
///
/// Whether the request may have reached the server is always known:
/// [`Error::may_have_been_sent`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the core reports: invalid input, credentials or endpoint (nothing was sent), or an
    /// answer from the server (refusal, clock skew, undecodable body; the request was received).
    #[error(transparent)]
    Core(#[from] pca_core::Error),
    /// The exchange failed below HTTP: connect, TLS, timeout, I/O, or a body over the cap.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The client could not be built (unreadable root certificates, bad proxy URL).
    /// Nothing was sent.
    #[error("invalid client configuration, nothing was sent: {0}")]
    Config(String),
    /// The gateway reported clock skew, the request was re-signed with the measured offset,
    /// and the call still failed: `error` is how it ended, `skew` what was measured first.
    #[error("{error} (after re-signing for {skew})")]
    AfterClockSkew {
        /// The skew the gateway's first refusal showed (server time minus the signed time).
        skew: pca_core::ClockSkew,
        /// How the call ended after the re-sign.
        error: Box<Error>,
    },
}

impl Error {
    /// `true` when the request may have reached the server (and an issuing operation may have
    /// issued a certificate or created a CA).
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Error::Core(e) => !e.is_before_send(),
            Error::Transport(t) => t.may_have_been_sent(),
            Error::Config(_) => false,
            // The first, refused attempt reached the server.
            Error::AfterClockSkew { .. } => true,
        }
    }

    /// The core's error, when this is one (also after a clock-skew re-sign).
    pub fn core(&self) -> Option<&pca_core::Error> {
        match self {
            Error::Core(e) => Some(e),
            Error::AfterClockSkew { error, .. } => error.core(),
            _ => None,
        }
    }

    /// The transport failure, when this is one (also after a clock-skew re-sign).
    pub fn transport(&self) -> Option<&TransportError> {
        match self {
            Error::Transport(t) => Some(t),
            Error::AfterClockSkew { error, .. } => error.transport(),
            _ => None,
        }
    }

    /// The clock skew the gateway reported: the refusal itself, or the skew measured before
    /// a re-sign that did not save the call.
    pub fn clock_skew(&self) -> Option<pca_core::ClockSkew> {
        match self {
            Error::AfterClockSkew { skew, .. } => Some(*skew),
            Error::Core(pca_core::Error::ClockSkew { skew, .. }) => Some(*skew),
            _ => None,
        }
    }

    /// The kind of transport failure, when this is one.
    pub fn transport_kind(&self) -> Option<TransportErrorKind> {
        self.transport().map(TransportError::kind)
    }

    /// `true` for a transport timeout (connect, attempt, or the call's deadline).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.transport_kind(),
            Some(TransportErrorKind::Timeout | TransportErrorKind::DeadlineExceeded)
        )
    }

    /// `true` when the call's deadline passed ([`TransportErrorKind::DeadlineExceeded`]).
    pub fn is_deadline_exceeded(&self) -> bool {
        self.transport_kind() == Some(TransportErrorKind::DeadlineExceeded)
    }

    /// HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<http::StatusCode> {
        self.core().and_then(pca_core::Error::status)
    }
}

impl From<pca_core::InvalidInput> for Error {
    fn from(e: pca_core::InvalidInput) -> Self {
        Error::Core(e.into())
    }
}

impl From<pca_core::CredentialsError> for Error {
    fn from(e: pca_core::CredentialsError) -> Self {
        Error::Core(e.into())
    }
}

impl From<pca_core::EndpointError> for Error {
    fn from(e: pca_core::EndpointError) -> Self {
        Error::Core(e.into())
    }
}

/// The kind of a transport failure.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, name not resolved, proxy refused).
    /// The request was not sent.
    Connect,
    /// The TLS handshake failed (untrusted or invalid certificate, protocol mismatch).
    Tls,
    /// The connect timeout or the attempt timeout passed; the call's deadline had not.
    Timeout,
    /// The call's deadline (the client's `timeout`, retries and waits included) passed during
    /// an attempt or before the next one could be sent.
    DeadlineExceeded,
    /// The connection broke while the request or the answer was on the wire (reset, answer cut
    /// short, malformed HTTP).
    Io,
    /// The answer's body is longer than the configured cap.
    BodyTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportErrorKind::Connect => f.write_str("cannot connect"),
            TransportErrorKind::Tls => f.write_str("TLS failure"),
            TransportErrorKind::Timeout => f.write_str("timed out"),
            TransportErrorKind::DeadlineExceeded => f.write_str("the call's deadline passed"),
            TransportErrorKind::Io => f.write_str("connection failed during the exchange"),
            TransportErrorKind::BodyTooLarge { limit } => {
                write!(f, "the answer's body is longer than the {limit}-byte cap")
            }
        }
    }
}

/// A failure below HTTP, with the operation it happened in and whether the request may have
/// reached the server.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    operation: &'static str,
    issuing: bool,
    may_have_been_sent: bool,
    attempts: u32,
    sent_at: Option<pca_core::Timestamp>,
    timeout: Option<Duration>,
    detail: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    /// A failure of `kind`; `may_have_been_sent` says whether any of the request may have been
    /// written. For transports: the call driver adds the operation and the attempt count.
    pub fn new(
        kind: TransportErrorKind,
        may_have_been_sent: bool,
        detail: impl Into<String>,
    ) -> Self {
        TransportError {
            kind,
            operation: "",
            issuing: false,
            may_have_been_sent,
            attempts: 1,
            sent_at: None,
            timeout: None,
            detail: detail.into(),
            source: None,
        }
    }

    /// A body over the `limit`-byte cap ([`TransportErrorKind::BodyTooLarge`]); the request
    /// was sent.
    pub fn body_too_large(limit: u64) -> Self {
        TransportError::new(TransportErrorKind::BodyTooLarge { limit }, true, "")
    }

    /// The same failure, caused by `source`.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The same failure, for the timeout that passed.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The same failure, ended by the call's `deadline` (the whole call's time).
    pub(crate) fn deadline_exceeded(mut self, deadline: Duration) -> Self {
        self.kind = TransportErrorKind::DeadlineExceeded;
        self.timeout = Some(deadline);
        self
    }

    /// The same failure, noting that an earlier attempt of the call may have reached the
    /// server.
    pub(crate) fn sent_earlier(mut self, sent: bool) -> Self {
        self.may_have_been_sent |= sent;
        self
    }

    pub(crate) fn in_operation(
        mut self,
        info: &pca_core::OperationInfo,
        attempts: u32,
        sent_at: pca_core::Timestamp,
    ) -> TransportError {
        self.operation = info.name;
        self.issuing = info.is_issuing();
        self.attempts = attempts;
        self.sent_at = Some(sent_at);
        self
    }

    /// When the call's first attempt was signed (the clock plus the learnt offset): every
    /// attempt was sent after it, so a search for the certificate a cut-off signing may have
    /// issued starts from it (`pca_core::recovery`). `None` for a failure not yet tied to a
    /// call.
    pub fn sent_at(&self) -> Option<pca_core::Timestamp> {
        self.sent_at
    }

    /// What failed.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The operation's documented name (`Sign Sub CSR`).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// `true` when the request may have reached the server: this attempt or an earlier one of
    /// the call wrote it, at least in part, before failing. `false` means it provably never
    /// left this machine.
    pub fn may_have_been_sent(&self) -> bool {
        self.may_have_been_sent
    }

    /// How many attempts were made in all.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The timeout that passed, for [`TransportErrorKind::Timeout`]; the call's whole time,
    /// for [`TransportErrorKind::DeadlineExceeded`].
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.operation.is_empty() {
            write!(f, "{}: ", self.operation)?;
        }
        write!(f, "{}", self.kind)?;
        if let Some(t) = self.timeout {
            write!(f, " after {} ms", t.as_millis())?;
        }
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        if self.attempts > 1 {
            write!(f, "; {} attempts made", self.attempts)?;
        }
        if !self.may_have_been_sent {
            return f.write_str("; the request was not sent");
        }
        if self.issuing {
            let check = match self.operation {
                "Create CA" => "list the CAs (Get CA List)",
                "Sign End CSR" | "Sign Sub CSR" => {
                    "look for it with the client's `recover` (`pca` does so itself), which reads \
                     the CA's certificates (Get End Cert List),"
                }
                _ => "list the CA's certificates (Get End Cert List)",
            };
            write!(
                f,
                "; the request may have reached the server and may have been executed. It was not \
                 resent, because {} creates a certificate or CA each time it runs: before trying \
                 again, {check} to check whether it was issued",
                self.operation
            )
        } else {
            f.write_str("; the request may have reached the server")
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The first error of type `T` in the source chain of `e`, looking inside wrapped I/O errors
/// (whose `source` skips the error they wrap).
pub fn find_in_chain<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            next = Some(inner as &(dyn std::error::Error + 'static));
            continue;
        }
        next = err.source();
    }
    None
}
