//! [`Call`]: the sans-IO driver of one call. It signs each attempt, reads each exchange's
//! result, and says what to do next — return the answer, wait and send again, or fail — as
//! [`pca_core::RetryPolicy::decide`] rules, with the call's deadline, the clock-skew re-sign
//! and the `tracing` span. A transport's `send` is a short loop around it that moves bytes,
//! reads the monotonic clock, draws the jitter and sleeps.
//!
//! The driver reads no monotonic clock and draws no random number: like
//! [`RetryPolicy::decide`](pca_core::RetryPolicy::decide), it is given `now` and `jitter` by
//! its caller, so that every path (retries, `Retry-After`, the deadline, the re-sign) is tested
//! on its own, without sockets or sleeps. The signing time is the [`Config`]'s
//! [`Clock`](crate::Clock) plus the offset learnt from the gateway.

use std::time::{Duration, Instant};

use pca_core::retry::{Decision, Outcome};
use pca_core::{ClockSkew, Credentials, Operation, Timestamp};
use tracing::Span;
use tracing::field::Empty;

use crate::config::Config;
use crate::credentials::{MetadataFailure, Refresh};
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::settings::METADATA_TIMEOUT;

/// What to do after an exchange.
#[derive(Debug)]
#[must_use]
pub enum Step<T> {
    /// The call is answered: return this.
    Done(T),
    /// Wait this long (zero to re-sign at once after clock skew), then start the next attempt.
    /// The wait always ends before the call's deadline.
    Wait(Duration),
    /// The call failed: return this error.
    Fail(Error),
}

/// One call of operation `O`, driven without I/O.
///
/// A transport runs it as:
///
/// ```
/// # use std::time::Instant;
/// # use pca_transport::{Call, Config, Error, Step, TransportError};
/// # use pca_core::{Credentials, Operation, Timestamp};
/// # fn exchange(_: http::Request<Vec<u8>>, _: std::time::Duration) -> Result<http::Response<Vec<u8>>, TransportError> { unimplemented!() }
/// # fn credentials(_: Timestamp) -> Result<Credentials, Error> { unimplemented!() }
/// fn send<O: Operation>(config: &Config, operation: &O) -> Result<O::Output, Error> {
///     let mut call = Call::new(config, operation, Instant::now());
///     let span = call.span().clone();
///     let _entered = span.enter();
///     loop {
///         let at = call.begin_attempt();
///         let request = call.sign(&credentials(at)?, Instant::now())?;
///         let result = exchange(request, call.attempt_timeout());
///         match call.finish_attempt(result, Instant::now(), pca_transport::jitter()) {
///             Step::Done(output) => return Ok(output),
///             Step::Wait(wait) => std::thread::sleep(wait),
///             Step::Fail(error) => return Err(error),
///         }
///     }
/// }
/// ```
///
/// **Deadline.** The call ends by its deadline: `now` at [`new`](Self::new) plus the client's
/// [`timeout`](crate::ClientBuilder::timeout), or the client's
/// [`call_deadline`](crate::ClientBuilder::call_deadline) when that is earlier. Each exchange
/// may take [`attempt_timeout`](Self::attempt_timeout): the client's attempt timeout, cut to
/// what is left before the deadline. A retry is not started when its wait would pass the
/// deadline (the last attempt's error is returned), and an exchange cut short by the deadline
/// ends the call with [`TransportErrorKind::DeadlineExceeded`], which says whether the request
/// may have been sent by any attempt. A credential fetch from the metadata service is bounded
/// the same way ([`metadata_timeout`](Self::metadata_timeout),
/// [`metadata_fetched`](Self::metadata_fetched)). The deadline is the call's only time bound:
/// the retry policy's [`max_elapsed`](pca_core::RetryPolicy::max_elapsed) is not applied
/// (its attempts, delays and rules are).
///
/// **Retries.** Each attempt is signed afresh at the clock plus the learnt offset. Failed
/// attempts are retried as [`RetryPolicy::decide`](pca_core::RetryPolicy::decide) rules: an
/// issuing operation is never sent twice once it may have left, and a body over the cap is
/// never retried.
///
/// **Clock skew.** When the gateway refuses a request for clock skew, the measured offset is
/// kept in the [`Config`] for later calls, and an idempotent request is re-signed and sent
/// once more (that attempt does not count against the policy). If the call still fails, its
/// error is [`Error::AfterClockSkew`], which keeps the measured offset.
///
/// The span `pca_call` has the fields `operation`, `method`, `path`, `status`, `attempt` and
/// `elapsed_ms`; no key, signature or body is recorded.
#[derive(Debug)]
pub struct Call<'a, O> {
    config: &'a Config,
    operation: &'a O,
    span: Span,
    started: Instant,
    deadline: Instant,
    attempt: u32,
    /// The skew measured before the re-sign, once the call has re-signed.
    resigned: Option<ClockSkew>,
    signed_at: Timestamp,
    /// When the first attempt was signed: where a search for what the call may have issued
    /// starts (every attempt was sent after it).
    first_signed_at: Timestamp,
    /// Time the current exchange may take, set by [`sign`](Self::sign).
    attempt_timeout: Duration,
    /// Whether an earlier attempt of this call may have reached the server.
    maybe_sent: bool,
    /// The last failure that was retried, for the error when the deadline stops the next
    /// attempt before it is sent.
    last_failure: Option<String>,
    /// Whether the last metadata `GET`'s timeout was cut to the deadline.
    metadata_cut: bool,
}

impl<'a, O: Operation> Call<'a, O> {
    /// Starts a call at `now`: opens its span and sets its deadline.
    pub fn new(config: &'a Config, operation: &'a O, now: Instant) -> Self {
        let info = O::INFO;
        let span = tracing::info_span!(
            "pca_call",
            operation = info.name,
            method = %info.method,
            path = Empty,
            status = Empty,
            attempt = Empty,
            elapsed_ms = Empty,
        );
        // A timeout too long to represent (`Duration::MAX`) means about a century.
        let century = Duration::from_secs(100 * 365 * 24 * 3600);
        let own = now
            .checked_add(config.timeout())
            .or_else(|| now.checked_add(century));
        let deadline = match (own, config.call_deadline()) {
            (Some(own), Some(shared)) => own.min(shared),
            (Some(own), None) => own,
            (None, Some(shared)) => shared,
            // Not even a century fits in this platform's `Instant`: no time to give.
            (None, None) => now,
        };
        Call {
            config,
            operation,
            span,
            started: now,
            deadline,
            attempt: 0,
            resigned: None,
            signed_at: Timestamp::from_unix_millis(0),
            first_signed_at: Timestamp::from_unix_millis(0),
            attempt_timeout: Duration::ZERO,
            maybe_sent: false,
            last_failure: None,
            metadata_cut: false,
        }
    }

    /// The call's span: a transport runs the whole call in it.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The instant by which the call ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The time left at `now` before the call's deadline (zero once it has passed).
    pub fn time_left(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }

    /// How long a `GET` to the metadata service (for server-role credentials, after
    /// [`begin_attempt`](Self::begin_attempt) and before [`sign`](Self::sign)) started at `now`
    /// may take: [`METADATA_TIMEOUT`], cut to what is left before the deadline. After the
    /// deadline, the call's error instead ([`TransportErrorKind::DeadlineExceeded`]; this
    /// attempt was not sent): the `GET` is not started.
    pub fn metadata_timeout(&mut self, now: Instant) -> Result<Duration, Error> {
        let left = self.time_left(now);
        if left.is_zero() {
            return Err(self.deadline_error(format!(
                "before attempt {}, fetching server-role credentials",
                self.attempt
            )));
        }
        self.metadata_cut = left <= METADATA_TIMEOUT;
        Ok(left.min(METADATA_TIMEOUT))
    }

    /// Takes the answer to a metadata `GET` (ended at `now`) into `refresh`; or, when the
    /// `GET` failed because the call's deadline cut it, ends the call with its error
    /// ([`TransportErrorKind::DeadlineExceeded`]; this attempt was not sent).
    ///
    /// The deadline cut it when it has passed at `now`, or when the `GET` timed out under the
    /// timeout [`metadata_timeout`](Self::metadata_timeout) had cut to the deadline (a timer
    /// may fire a little before the clock reaches the deadline).
    pub fn metadata_fetched(
        &mut self,
        refresh: &mut Refresh<'_>,
        answer: Result<String, MetadataFailure>,
        now: Instant,
    ) -> Result<(), Error> {
        if let Err(failure) = &answer {
            if let Some(e) = self.metadata_failed(failure.timed_out, &failure.reason, now) {
                return Err(e);
            }
        }
        refresh.fetched(answer.map_err(|failure| failure.reason));
        Ok(())
    }

    /// The call's error when a metadata `GET` that failed at `now` (`timed_out` when its
    /// timeout passed; `reason` for the error) was cut by the deadline, else `None`.
    fn metadata_failed(&mut self, timed_out: bool, reason: &str, now: Instant) -> Option<Error> {
        let cut = self.time_left(now).is_zero() || (timed_out && self.metadata_cut);
        if !cut {
            return None;
        }
        Some(self.deadline_error(format!(
            "before attempt {}, fetching server-role credentials: {reason}",
            self.attempt
        )))
    }

    /// The call's error when its deadline has passed before the current attempt was sent:
    /// [`TransportErrorKind::DeadlineExceeded`], `detail` first, then the last failure that
    /// was retried; sent only if an earlier attempt may have been.
    fn deadline_error(&mut self, detail: String) -> Error {
        let detail = match self.last_failure.take() {
            Some(last) => format!("{detail}; last failure: {last}"),
            None => detail,
        };
        let error = TransportError::new(
            TransportErrorKind::DeadlineExceeded,
            self.maybe_sent,
            detail,
        )
        .with_timeout(self.deadline.saturating_duration_since(self.started))
        .in_operation(
            &O::INFO,
            self.attempt.saturating_sub(1),
            self.first_signed_at,
        );
        self.final_error(error.into())
    }

    /// Starts the next attempt and returns the time to sign it at; get the credentials valid
    /// then and pass them to [`sign`](Self::sign).
    pub fn begin_attempt(&mut self) -> Timestamp {
        self.attempt += 1;
        self.span.record("attempt", self.attempt);
        self.signed_at = self.config.now();
        if self.attempt == 1 {
            self.first_signed_at = self.signed_at;
        }
        self.signed_at
    }

    /// The attempt's request, signed with `credentials` at the time
    /// [`begin_attempt`](Self::begin_attempt) returned, when the deadline has not passed at
    /// `now`; after it, the call's error ([`TransportErrorKind::DeadlineExceeded`]; this
    /// attempt was not sent).
    pub fn sign(
        &mut self,
        credentials: &Credentials,
        now: Instant,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let left = self.time_left(now);
        if left.is_zero() {
            return Err(self.deadline_error(format!("before attempt {}", self.attempt)));
        }
        self.attempt_timeout = self.config.attempt_timeout().min(left);
        let request =
            self.operation
                .build_request(self.config.endpoint(), credentials, self.signed_at)?;
        if self.attempt == 1 {
            self.span.record("path", request.uri().path());
        }
        Ok(request)
    }

    /// An answer, checked against the request when the configuration says so. A mismatch
    /// ends the call: the service issued something, and sending again would issue again.
    fn checked(&self, output: O::Output) -> Step<O::Output> {
        if self.config.answer_checks() {
            if let Err(mismatch) = self.operation.check_answer(&output, self.config.now()) {
                tracing::warn!(error = %mismatch, "the answer does not match the request");
                return Step::Fail(self.final_error(Error::Core(mismatch.into())));
            }
        }
        tracing::debug!("answered");
        Step::Done(output)
    }

    /// How long the exchange of the attempt just signed may take: the client's attempt timeout,
    /// cut to what was left before the deadline when it was signed.
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }

    /// Takes the result of the attempt's exchange (the whole answer, or why there was none),
    /// the time `now` and a `jitter` in `[0, 1)` from the caller's random source, and says
    /// what to do next.
    pub fn finish_attempt(
        &mut self,
        result: Result<http::Response<Vec<u8>>, TransportError>,
        now: Instant,
        jitter: f64,
    ) -> Step<O::Output> {
        let info = O::INFO;
        let elapsed = now.saturating_duration_since(self.started);
        let left = self.time_left(now);
        self.span.record(
            "elapsed_ms",
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        );
        // The call's deadline is its one time bound (a retry whose wait would pass it is not
        // started, below): the policy's own `max_elapsed`, for callers of `decide` who keep no
        // deadline, would cut a long `timeout` short at its 30 s default.
        let policy = self.config.retry_policy().max_elapsed(Duration::MAX);
        let policy_attempt = self.attempt - u32::from(self.resigned.is_some());
        let (decision, error) = match result {
            Ok(response) => {
                self.maybe_sent = true;
                self.span.record("status", response.status().as_u16());
                let err = match O::parse_response(&response, self.signed_at) {
                    Ok(output) => return self.checked(output),
                    Err(err) => err,
                };
                if let pca_core::Error::ClockSkew { skew, .. } = &err {
                    let skew = *skew;
                    self.config.add_clock_offset(skew.offset_ms);
                    if info.safety.is_idempotent() && self.resigned.is_none() && !left.is_zero() {
                        self.resigned = Some(skew);
                        tracing::warn!(
                            offset_ms = skew.offset_ms,
                            "clock skew reported by the gateway; re-signing with the measured offset"
                        );
                        return Step::Wait(Duration::ZERO);
                    }
                    return Step::Fail(self.final_error(err.into()));
                }
                let decision = policy.decide(
                    info.safety,
                    Outcome::Answered(&err),
                    policy_attempt,
                    elapsed,
                    self.config.now(),
                    jitter,
                );
                (decision, Error::Core(err))
            }
            Err(failure) => {
                self.maybe_sent |= failure.may_have_been_sent();
                let deadline_cut = left.is_zero() && failure.kind() == TransportErrorKind::Timeout;
                let decision = if deadline_cut {
                    Decision::Stop(pca_core::StopReason::TimeExhausted)
                } else if matches!(failure.kind(), TransportErrorKind::BodyTooLarge { .. }) {
                    Decision::Stop(pca_core::StopReason::NotRetryable)
                } else {
                    let outcome = if failure.may_have_been_sent() {
                        Outcome::MaybeSent
                    } else {
                        Outcome::NotSent
                    };
                    policy.decide(
                        info.safety,
                        outcome,
                        policy_attempt,
                        elapsed,
                        self.config.now(),
                        jitter,
                    )
                };
                // Whether the request may have been sent is the call's answer, not only this
                // attempt's: an earlier attempt may have reached the server.
                let mut failure = failure
                    .in_operation(&info, self.attempt, self.first_signed_at)
                    .sent_earlier(self.maybe_sent);
                if deadline_cut {
                    failure = failure
                        .deadline_exceeded(self.deadline.saturating_duration_since(self.started));
                }
                (decision, Error::Transport(failure))
            }
        };
        match decision {
            // The wait must end before the deadline, or the next attempt would start too late
            // to do anything but fail.
            Decision::RetryAfter(wait) if wait < left => {
                tracing::warn!(error = %error, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "attempt failed; retrying");
                self.last_failure = Some(error.to_string());
                Step::Wait(wait)
            }
            Decision::RetryAfter(wait) => {
                tracing::debug!(error = %error, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "giving up: the wait would pass the call's deadline");
                Step::Fail(self.final_error(error))
            }
            Decision::Stop(reason) => {
                tracing::debug!(?reason, error = %error, "giving up");
                Step::Fail(self.final_error(error))
            }
        }
    }

    /// The call's error: `error`, with the skew measured before a re-sign when there was one.
    fn final_error(&self, error: Error) -> Error {
        match self.resigned {
            Some(skew) => Error::AfterClockSkew {
                skew,
                error: Box::new(error),
            },
            None => error,
        }
    }
}

/// A jitter for [`Call::finish_attempt`]: a number in `[0, 1)` from the thread's random
/// source (`fastrand`: jitter spreads retries, it need not be unpredictable, and a
/// cryptographic generator would add a dozen crates to every client build).
pub fn jitter() -> f64 {
    fastrand::f64()
}

#[cfg(test)]
mod tests;
