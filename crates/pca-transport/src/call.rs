//! [`Call`]: the sans-IO driver of one call. It signs each attempt, reads each exchange's
//! result, and says what to do next — return the answer, wait and send again, or fail — as
//! [`pca_core::RetryPolicy::decide`] rules, with the clock-skew re-sign and the `tracing` span.
//! A transport's `send` is a short loop around it that moves bytes and sleeps.

use std::time::{Duration, Instant};

use pca_core::retry::{Decision, Outcome};
use pca_core::{Credentials, Operation, Timestamp};
use tracing::Span;
use tracing::field::Empty;

use crate::config::Config;
use crate::error::{Error, TransportError, TransportErrorKind};

/// What to do after an exchange.
#[derive(Debug)]
#[must_use]
pub enum Step<T> {
    /// The call is answered: return this.
    Done(T),
    /// Wait this long (zero to re-sign at once after clock skew), then start the next attempt.
    Wait(Duration),
    /// The call failed: return this error.
    Fail(Error),
}

/// One call of operation `O`, driven without I/O.
///
/// A transport runs it as:
///
/// ```
/// # use pca_transport::{Call, Config, Error, Step, TransportError};
/// # use pca_core::{Credentials, Operation, Timestamp};
/// # fn exchange(_: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> { unimplemented!() }
/// # fn credentials(_: Timestamp) -> Result<Credentials, Error> { unimplemented!() }
/// fn send<O: Operation>(config: &Config, operation: &O) -> Result<O::Output, Error> {
///     let mut call = Call::new(config, operation);
///     let span = call.span().clone();
///     let _entered = span.enter();
///     loop {
///         let at = call.begin_attempt();
///         let request = call.sign(&credentials(at)?)?;
///         match call.finish_attempt(exchange(request)) {
///             Step::Done(output) => return Ok(output),
///             Step::Wait(wait) => std::thread::sleep(wait),
///             Step::Fail(error) => return Err(error),
///         }
///     }
/// }
/// ```
///
/// Each attempt is signed afresh at the clock plus the learnt offset. Failed attempts are
/// retried as [`RetryPolicy::decide`](pca_core::RetryPolicy::decide) rules: an issuing
/// operation is never sent twice once it may have left, and a body over the cap is never
/// retried. When the gateway refuses a request for clock skew, the measured offset is kept in
/// the [`Config`] for later calls, and an idempotent request is re-signed and sent once more
/// (that attempt does not count against the policy).
///
/// The span `pca_call` has the fields `operation`, `method`, `path`, `status`, `attempt` and
/// `elapsed_ms`; no key, signature or body is recorded.
#[derive(Debug)]
pub struct Call<'a, O> {
    config: &'a Config,
    operation: &'a O,
    span: Span,
    started: Instant,
    attempt: u32,
    resigned: bool,
    signed_at: Timestamp,
}

impl<'a, O: Operation> Call<'a, O> {
    /// Starts a call: opens its span and its clock for the retry policy's time bound.
    pub fn new(config: &'a Config, operation: &'a O) -> Self {
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
        Call {
            config,
            operation,
            span,
            started: Instant::now(),
            attempt: 0,
            resigned: false,
            signed_at: Timestamp::from_unix_millis(0),
        }
    }

    /// The call's span: a transport runs the whole call in it.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Starts the next attempt and returns the time to sign it at; get the credentials valid
    /// then and pass them to [`sign`](Self::sign).
    pub fn begin_attempt(&mut self) -> Timestamp {
        self.attempt += 1;
        self.span.record("attempt", self.attempt);
        self.signed_at = self.config.now();
        self.signed_at
    }

    /// The attempt's request, signed with `credentials` at the time
    /// [`begin_attempt`](Self::begin_attempt) returned.
    pub fn sign(&mut self, credentials: &Credentials) -> Result<http::Request<Vec<u8>>, Error> {
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
                return Step::Fail(Error::Core(mismatch.into()));
            }
        }
        tracing::debug!("answered");
        Step::Done(output)
    }

    /// Takes the result of the attempt's exchange (the whole answer, or why there was none)
    /// and says what to do next.
    pub fn finish_attempt(
        &mut self,
        result: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Step<O::Output> {
        let info = O::INFO;
        let elapsed = self.started.elapsed();
        self.span.record(
            "elapsed_ms",
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        );
        let policy = self.config.retry_policy();
        let policy_attempt = self.attempt - u32::from(self.resigned);
        let (decision, error) = match result {
            Ok(response) => {
                self.span.record("status", response.status().as_u16());
                let err = match O::parse_response(&response, self.signed_at) {
                    Ok(output) => return self.checked(output),
                    Err(err) => err,
                };
                if let pca_core::Error::ClockSkew { skew, .. } = &err {
                    self.config.add_clock_offset(skew.offset_ms);
                    if info.safety.is_idempotent() && !self.resigned {
                        self.resigned = true;
                        tracing::warn!(
                            offset_ms = skew.offset_ms,
                            "clock skew reported by the gateway; re-signing with the measured offset"
                        );
                        return Step::Wait(Duration::ZERO);
                    }
                    return Step::Fail(err.into());
                }
                let decision = policy.decide(
                    info.safety,
                    Outcome::Answered(&err),
                    policy_attempt,
                    elapsed,
                    self.config.now(),
                    rand::random::<f64>(),
                );
                (decision, Error::Core(err))
            }
            Err(failure) => {
                let decision = if matches!(failure.kind(), TransportErrorKind::BodyTooLarge { .. })
                {
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
                        rand::random::<f64>(),
                    )
                };
                (
                    decision,
                    Error::Transport(failure.in_operation(&info, self.attempt)),
                )
            }
        };
        match decision {
            Decision::RetryAfter(wait) => {
                tracing::warn!(error = %error, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "attempt failed; retrying");
                Step::Wait(wait)
            }
            Decision::Stop(reason) => {
                tracing::debug!(?reason, error = %error, "giving up");
                Step::Fail(error)
            }
        }
    }
}
