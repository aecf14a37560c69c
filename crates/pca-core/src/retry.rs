//! The retry decision the transports apply: pure, with time and randomness passed in.
//!
//! Rules:
//! - A request that provably never left (connection refused, DNS failure, TLS handshake
//!   failure before the request was written) may be retried, whatever the operation.
//! - A request that may have reached the server is retried only when the operation is
//!   idempotent ([`Safety::Read`] or [`Safety::Idempotent`]). An issuing operation
//!   (Create CA, Sign Sub CSR, Sign End CSR, Issue End Cert) is never sent twice.
//! - Retryable answers: HTTP 429, 503 and 504, and the gateway codes 400, 410, 420 (quota and
//!   rate limits), 500 and 510 (endpoint error and timeout). A gateway rate-limit refusal
//!   (400/410/420) means the request was not executed, so it is retried for every operation
//!   except the issuing ones, which are never repeated by this library.
//! - The wait is the answer's `Retry-After` when it has one, else exponential backoff with
//!   full jitter (`random(0, min(max_delay, base_delay × 2^attempt))`); attempts and total
//!   time are bounded (total time by [`RetryPolicy::max_elapsed`] for callers of
//!   [`RetryPolicy::decide`]; the clients bound a whole call by their own deadline instead).

use std::time::Duration;

use http::StatusCode;

use crate::codes::GatewayErrorCode;
use crate::error::Error;
use crate::operation::Safety;
use crate::signing::Timestamp;

/// How a failed attempt ended, as far as retrying is concerned.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The request never left this machine (connect refused, DNS failure, TLS handshake).
    NotSent,
    /// The request may have reached the server but no answer came (reset, timeout, cut body).
    MaybeSent,
    /// The server answered with this error.
    Answered(&'a Error),
}

/// Bounds of the automatic retries. `Copy`, with `const` builders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// Up to 3 attempts, 200 ms base delay, at most 10 s per wait, and 30 s in all for
    /// [`decide`](Self::decide) on its own (see [`max_elapsed`](Self::max_elapsed)).
    pub const fn new() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(30),
        }
    }

    /// No retries at all.
    pub const fn disabled() -> Self {
        Self::new().max_attempts(1)
    }

    /// Total attempts, the first included (at least 1).
    pub const fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = if n == 0 { 1 } else { n };
        self
    }

    /// First backoff delay.
    pub const fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// Longest single wait (also caps `Retry-After`).
    pub const fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Longest time from the first attempt after which [`decide`](Self::decide) starts no new
    /// attempt (default 30 s): the total-time bound for callers who drive retries with
    /// `decide` themselves.
    ///
    /// The `pca-blocking` and `pca-async` clients do not apply it: a client call has one time
    /// bound, its deadline (the builder's `timeout`, or its `call_deadline` when earlier),
    /// which covers every attempt and wait. There a retry is not started when its wait would
    /// pass that deadline, whatever `max_elapsed` says.
    pub const fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The configured number of attempts.
    pub const fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Decides whether attempt number `attempt` (1 for the first) that ended in `outcome`
    /// is followed by another, and after how long.
    ///
    /// `elapsed` is the time since the first attempt started, `now` the current time (to read
    /// an HTTP-date `Retry-After`), `jitter` a number in `[0, 1)` from the caller's random
    /// source.
    pub fn decide(
        &self,
        safety: Safety,
        outcome: Outcome<'_>,
        attempt: u32,
        elapsed: Duration,
        now: Timestamp,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::Stop(StopReason::AttemptsExhausted);
        }
        let retry_after = match outcome {
            Outcome::NotSent => None,
            Outcome::MaybeSent => {
                if !safety.is_idempotent() {
                    return Decision::Stop(StopReason::NotIdempotent);
                }
                None
            }
            Outcome::Answered(err) => match classify(err) {
                Retryable::No => return Decision::Stop(StopReason::NotRetryable),
                Retryable::NotExecuted(ra) => {
                    if safety == Safety::Issuing {
                        return Decision::Stop(StopReason::NotIdempotent);
                    }
                    ra
                }
                Retryable::IfIdempotent(ra) => {
                    if !safety.is_idempotent() {
                        return Decision::Stop(StopReason::NotIdempotent);
                    }
                    ra
                }
            },
        };
        let delay = match retry_after.and_then(|ra| parse_retry_after(&ra, now)) {
            Some(d) => d.min(self.max_delay),
            None => self.backoff(attempt, jitter),
        };
        if elapsed.saturating_add(delay) > self.max_elapsed {
            return Decision::Stop(StopReason::TimeExhausted);
        }
        Decision::RetryAfter(delay)
    }

    /// Full-jitter exponential backoff for the wait after attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let cap = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let j = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        cap.mul_f64(j)
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send again (re-signed with a fresh timestamp).
    RetryAfter(Duration),
    /// Give up and report the error.
    Stop(StopReason),
}

/// Why no further attempt is made.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The error is not one that a retry can fix.
    NotRetryable,
    /// The request may have been executed and the operation is not idempotent.
    NotIdempotent,
    /// The attempts are used up.
    AttemptsExhausted,
    /// The next wait would pass the total time allowed.
    TimeExhausted,
}

enum Retryable {
    No,
    /// The gateway refused before the service saw the request (rate limits).
    NotExecuted(Option<String>),
    /// The service may have executed the request.
    IfIdempotent(Option<String>),
}

fn classify(err: &Error) -> Retryable {
    let Some(api) = err.api_error() else {
        return match err {
            Error::UnexpectedResponse { status, .. }
                if *status == StatusCode::SERVICE_UNAVAILABLE
                    || *status == StatusCode::GATEWAY_TIMEOUT
                    || *status == StatusCode::BAD_GATEWAY =>
            {
                Retryable::IfIdempotent(None)
            }
            Error::UnexpectedResponse { status, .. }
                if *status == StatusCode::TOO_MANY_REQUESTS =>
            {
                Retryable::NotExecuted(None)
            }
            _ => Retryable::No,
        };
    };
    if matches!(err, Error::ClockSkew { .. }) {
        return Retryable::No;
    }
    let ra = api.retry_after.clone();
    match api.gateway_code() {
        Some(
            GatewayErrorCode::QuotaExceeded
            | GatewayErrorCode::ThrottleLimited
            | GatewayErrorCode::RateLimited,
        ) => return Retryable::NotExecuted(ra),
        Some(GatewayErrorCode::EndpointError | GatewayErrorCode::EndpointTimeout) => {
            return Retryable::IfIdempotent(ra);
        }
        _ => {}
    }
    match api.status {
        StatusCode::TOO_MANY_REQUESTS => Retryable::NotExecuted(ra),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            Retryable::IfIdempotent(ra)
        }
        _ => Retryable::No,
    }
}

/// Whether an error, on its own, is of a kind that a later attempt can fix (rate limits,
/// unavailable or timed-out endpoints). Whether a retry is *safe* also depends on the operation:
/// see [`RetryPolicy::decide`].
pub fn is_retryable(err: &Error) -> bool {
    !matches!(classify(err), Retryable::No)
}

/// Reads a `Retry-After` value: delta-seconds, or an HTTP-date compared with `now`.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at = Timestamp::from_system_time(at);
    let ms = now.millis_until(at);
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}
