//! The call driver on its own: every path, with the time and the jitter given by the test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pca_core::operations::{GetCa, SignSubCsr};
use pca_core::{Credentials, Endpoint, Operation, RetryPolicy, Safety, Timestamp};
use pca_tests::replay::FromRecorded;

use pca_core::retry::Decision;

use super::*;
use crate::settings::{CredentialsSetting, Settings};

/// The wall-clock time every test signs at (the clock is pinned).
const WALL_MS: u64 = 1_700_000_000_000;

fn config_with(f: impl FnOnce(&mut Settings)) -> Config {
    let mut settings = Settings {
        credentials: CredentialsSetting::Explicit(pca_tests::replay::credentials()),
        endpoint: Some(Endpoint::parse("http://127.0.0.1:9").unwrap()),
        clock: Arc::new(|| Timestamp::from_unix_millis(WALL_MS).to_system_time()),
        // The documentation's example answers hold placeholder certificates; the answer
        // checks are tested where real certificates are issued.
        answer_checks: false,
        ..Settings::default()
    };
    f(&mut settings);
    Config::new(settings).unwrap()
}

fn config() -> Config {
    config_with(|_| {})
}

fn credentials() -> Credentials {
    pca_tests::replay::credentials()
}

fn get_ca() -> GetCa {
    GetCa::new("a1b2c3d4-e5f6a7b8").unwrap()
}

fn sign_sub_csr() -> SignSubCsr {
    let exchange = pca_tests::load("sign_sub_csr", "doc-example");
    SignSubCsr::from_recorded(&exchange.request).unwrap()
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn ok_get_ca() -> http::Response<Vec<u8>> {
    pca_tests::load("get_ca", "doc-example").response.to_http()
}

fn not_sent() -> TransportError {
    TransportError::new(TransportErrorKind::Connect, false, "connection refused")
}

fn maybe_sent() -> TransportError {
    TransportError::new(TransportErrorKind::Io, true, "connection reset")
}

fn timed_out() -> TransportError {
    TransportError::new(TransportErrorKind::Timeout, true, "timeout: global")
}

/// A 401 whose `Date` is `minutes` away from the signed time: the gateway's clock-skew refusal.
fn skew_answer(signed_at: Timestamp, minutes: i64) -> http::Response<Vec<u8>> {
    let date = signed_at.offset_by(minutes * 60 * 1000).to_system_time();
    answer(
        401,
        &[("date", &httpdate::fmt_http_date(date))],
        r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#,
    )
}

/// Runs one attempt at `now`: begins it, signs it and hands `result` to the driver.
fn attempt<O: Operation>(
    call: &mut Call<'_, O>,
    now: Instant,
    result: Result<http::Response<Vec<u8>>, TransportError>,
    jitter: f64,
) -> Step<O::Output> {
    attempt_from(call, now, now, result, jitter)
}

/// Runs one attempt signed at `sent` whose exchange ends at `ended`.
fn attempt_from<O: Operation>(
    call: &mut Call<'_, O>,
    sent: Instant,
    ended: Instant,
    result: Result<http::Response<Vec<u8>>, TransportError>,
    jitter: f64,
) -> Step<O::Output> {
    call.begin_attempt();
    call.sign(&credentials(), sent).unwrap();
    call.finish_attempt(result, ended, jitter)
}

fn wait<T: std::fmt::Debug>(step: Step<T>) -> Duration {
    match step {
        Step::Wait(d) => d,
        other => panic!("expected a wait, got {other:?}"),
    }
}

fn fail<T: std::fmt::Debug>(step: Step<T>) -> Error {
    match step {
        Step::Fail(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_success_is_done_at_the_first_attempt() {
    let config = config();
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    assert_eq!(call.begin_attempt(), Timestamp::from_unix_millis(WALL_MS));
    let request = call.sign(&credentials(), now).unwrap();
    assert_eq!(request.uri().path(), "/api/v1/ca/a1b2c3d4-e5f6a7b8");
    match call.finish_attempt(Ok(ok_get_ca()), now, 0.5) {
        Step::Done(ca) => {
            let expected =
                GetCa::parse_response(&ok_get_ca(), Timestamp::from_unix_millis(WALL_MS));
            assert_eq!(ca, expected.unwrap());
        }
        other => panic!("expected the answer, got {other:?}"),
    }
}

#[test]
fn each_retryable_answer_is_retried_after_the_backoff_when_safe() {
    let retryable = [
        (
            429,
            r#"{"error":{"errorCode":"429","message":"Too Many Requests"}}"#,
        ),
        (
            503,
            r#"{"error":{"errorCode":"503","message":"Service Unavailable"}}"#,
        ),
        (
            504,
            r#"{"error":{"errorCode":"504","message":"Gateway Timeout"}}"#,
        ),
        (502, "<html>bad gateway</html>"),
        (503, "<html>unavailable</html>"),
        (
            429,
            r#"{"error":{"errorCode":"420","message":"Rate Limited"}}"#,
        ),
        (
            429,
            r#"{"error":{"errorCode":"410","message":"Throttle Limited"}}"#,
        ),
        (
            429,
            r#"{"error":{"errorCode":"400","message":"Quota Exceeded"}}"#,
        ),
        (
            500,
            r#"{"error":{"errorCode":"500","message":"Endpoint Error"}}"#,
        ),
        (
            504,
            r#"{"error":{"errorCode":"510","message":"Endpoint Timeout"}}"#,
        ),
    ];
    let config = config();
    let policy = config.retry_policy();
    for (status, body) in retryable {
        for jitter in [0.0, 0.25, 0.99] {
            // A read: every retryable answer is retried, after the full-jitter backoff.
            let op = get_ca();
            let now = Instant::now();
            let mut call = Call::new(&config, &op, now);
            let step = attempt(&mut call, now, Ok(answer(status, &[], body)), jitter);
            assert_eq!(wait(step), policy.backoff(1, jitter), "{status} {body}");
            // The second attempt waits up to twice as long.
            let later = now + Duration::from_millis(300);
            let step = attempt(&mut call, later, Ok(answer(status, &[], body)), jitter);
            assert_eq!(wait(step), policy.backoff(2, jitter), "{status} {body}");
            // The third is the last the policy allows.
            let step = attempt(&mut call, later, Ok(answer(status, &[], body)), jitter);
            let e = fail(step);
            assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{body}");
        }
        // An issuing operation is never sent twice, whatever the answer.
        let op = sign_sub_csr();
        let now = Instant::now();
        let mut call = Call::new(&config, &op, now);
        let e = fail(attempt(&mut call, now, Ok(answer(status, &[], body)), 0.5));
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{body}");
    }
}

#[test]
fn a_refusal_that_no_retry_can_fix_is_returned_at_once() {
    let config = config();
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let body = r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#;
    let e = fail(attempt(&mut call, now, Ok(answer(401, &[], body)), 0.5));
    assert_eq!(e.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert!(e.may_have_been_sent());
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let config = config_with(|s| {
        s.retry_policy = RetryPolicy::new().max_delay(Duration::from_secs(4));
    });
    let body = r#"{"error":{"errorCode":"503","message":"Service Unavailable"}}"#;
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let step = attempt(
        &mut call,
        now,
        Ok(answer(503, &[("retry-after", "2")], body)),
        0.0,
    );
    assert_eq!(wait(step), Duration::from_secs(2));
    let step = attempt(
        &mut call,
        now + Duration::from_secs(2),
        Ok(answer(503, &[("retry-after", "3600")], body)),
        0.0,
    );
    assert_eq!(wait(step), Duration::from_secs(4), "capped at max_delay");

    // An HTTP-date is read against the signing clock.
    let at = Timestamp::from_unix_millis(WALL_MS + 3000).to_system_time();
    let mut call = Call::new(&config, &op, now);
    let date = httpdate::fmt_http_date(at);
    let step = attempt(
        &mut call,
        now,
        Ok(answer(503, &[("retry-after", &date)], body)),
        0.0,
    );
    assert_eq!(wait(step), Duration::from_secs(3));
}

/// Every operation, rebuilt from its recorded request, with its recorded answer.
macro_rules! each_operation {
    ($(($m:ident, $ty:path, $doc:literal)),* $(,)?) => {
        /// Runs `$check` on each operation with its recorded answer.
        fn for_each_operation(check: &mut dyn FnMut(&str, &mut dyn FnMut(&Config) -> RunResult)) {
            $(
                let exchange = pca_tests::load(stringify!($m), "doc-example");
                let op = <$ty>::from_recorded(&exchange.request).unwrap();
                let response = exchange.response.to_http();
                check($doc, &mut |config: &Config| run_with_failures(config, &op, &response));
            )*
        }
    };
}
pca_core::for_each_operation!(each_operation);

/// What happened to a call fed `failures` then the recorded answer.
#[derive(Debug)]
struct RunResult {
    safety: Safety,
    /// Steps taken after the not-sent failure, then after the may-have-been-sent failure.
    after_not_sent: &'static str,
    after_maybe_sent: &'static str,
    maybe_sent_error: Option<Error>,
}

fn run_with_failures<O: Operation>(
    config: &Config,
    op: &O,
    response: &http::Response<Vec<u8>>,
) -> RunResult
where
    O::Output: std::fmt::Debug,
{
    let name = |step: &Step<O::Output>| match step {
        Step::Done(_) => "done",
        Step::Wait(_) => "wait",
        Step::Fail(_) => "fail",
    };
    let now = Instant::now();
    // A request that never left, then the answer.
    let mut call = Call::new(config, op, now);
    let first = attempt(&mut call, now, Err(not_sent()), 0.5);
    let after_not_sent = name(&first);
    if let Step::Wait(_) = first {
        let second = attempt(&mut call, now, Ok(response.clone()), 0.5);
        assert!(matches!(second, Step::Done(_)), "{second:?}");
    }
    // A request that may have left.
    let mut call = Call::new(config, op, now);
    let step = attempt(&mut call, now, Err(maybe_sent()), 0.5);
    let after_maybe_sent = name(&step);
    let maybe_sent_error = match step {
        Step::Fail(e) => Some(e),
        _ => None,
    };
    RunResult {
        safety: O::INFO.safety,
        after_not_sent,
        after_maybe_sent,
        maybe_sent_error,
    }
}

#[test]
fn unsent_requests_are_retried_for_every_operation_and_sent_ones_only_when_idempotent() {
    let config = config();
    let mut seen = 0;
    for_each_operation(&mut |name, run| {
        seen += 1;
        let r = run(&config);
        assert_eq!(r.after_not_sent, "wait", "{name}");
        if r.safety.is_idempotent() {
            assert_eq!(r.after_maybe_sent, "wait", "{name}");
        } else {
            assert_eq!(r.after_maybe_sent, "fail", "{name}");
            let e = r.maybe_sent_error.unwrap();
            assert!(e.may_have_been_sent(), "{name}");
            if r.safety == Safety::Issuing {
                let text = e.to_string();
                assert!(text.contains("was not resent"), "{name}: {text}");
                // The two signings whose certificate can be found again point at `recover`.
                let recoverable = matches!(name, "Sign End CSR" | "Sign Sub CSR");
                assert_eq!(text.contains("`recover`"), recoverable, "{name}: {text}");
            }
        }
    });
    assert_eq!(seen, 24);
}

#[test]
fn a_timeout_after_sending_is_never_retried_for_an_issuing_operation() {
    let config = config();
    let op = sign_sub_csr();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let e = fail(attempt(&mut call, now, Err(timed_out()), 0.5));
    assert!(e.may_have_been_sent());
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Timeout));
    assert_eq!(e.transport().unwrap().attempts(), 1);
}

#[test]
fn a_body_over_the_cap_is_never_retried() {
    let config = config();
    for safety_case in ["read", "issuing"] {
        let now = Instant::now();
        let e = if safety_case == "read" {
            let op = get_ca();
            let mut call = Call::new(&config, &op, now);
            fail(attempt(
                &mut call,
                now,
                Err(TransportError::body_too_large(10)),
                0.5,
            ))
        } else {
            let op = sign_sub_csr();
            let mut call = Call::new(&config, &op, now);
            fail(attempt(
                &mut call,
                now,
                Err(TransportError::body_too_large(10)),
                0.5,
            ))
        };
        assert_eq!(
            e.transport_kind(),
            Some(TransportErrorKind::BodyTooLarge { limit: 10 }),
            "{safety_case}"
        );
    }
}

#[test]
fn an_idempotent_call_is_re_signed_once_after_clock_skew() {
    let config = config();
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let at = call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    // The server is 10 minutes ahead: re-sign at once, 10 minutes later.
    let step = call.finish_attempt(Ok(skew_answer(at, 10)), now, 0.5);
    assert_eq!(wait(step), Duration::ZERO);
    assert_eq!(config.clock_offset_ms(), 600_000);
    let at2 = call.begin_attempt();
    assert_eq!(at2, at.offset_by(600_000));
    call.sign(&credentials(), now).unwrap();
    match call.finish_attempt(Ok(ok_get_ca()), now, 0.5) {
        Step::Done(_) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_second_skew_refusal_ends_the_call_with_the_first_offset() {
    let config = config();
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let at = call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    let _ = wait(call.finish_attempt(Ok(skew_answer(at, 10)), now, 0.5));
    let at2 = call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    let e = fail(call.finish_attempt(Ok(skew_answer(at2, -7)), now, 0.5));
    match &e {
        Error::AfterClockSkew { skew, error } => {
            assert_eq!(skew.offset_ms, 600_000);
            assert!(
                matches!(error.core(), Some(pca_core::Error::ClockSkew { .. })),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.clock_skew().unwrap().offset_ms, 600_000);
    let text = e.to_string();
    assert!(text.contains("after re-signing for clock skew"), "{text}");
    assert!(text.contains("600 s behind"), "{text}");
    // Both measurements are kept for later calls.
    assert_eq!(config.clock_offset_ms(), 600_000 - 420_000);
}

#[test]
fn any_failure_after_a_re_sign_keeps_the_measured_offset() {
    let config = config();
    let op = get_ca();
    let now = Instant::now();
    // A plain refusal after the re-sign.
    let mut call = Call::new(&config, &op, now);
    let at = call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    let _ = wait(call.finish_attempt(Ok(skew_answer(at, -20)), now, 0.5));
    let body = r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#;
    let e = fail(attempt(&mut call, now, Ok(answer(401, &[], body)), 0.5));
    assert_eq!(e.clock_skew().unwrap().offset_ms, -1_200_000);
    assert_eq!(e.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert!(e.to_string().contains("ahead of"), "{e}");
    // A transport failure after the re-sign, once the retries are used up.
    let config = config_with(|s| s.retry_policy = RetryPolicy::disabled());
    let mut call = Call::new(&config, &op, now);
    let at = call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    let _ = wait(call.finish_attempt(Ok(skew_answer(at, 10)), now, 0.5));
    let e = fail(attempt(&mut call, now, Err(not_sent()), 0.5));
    assert_eq!(e.clock_skew().unwrap().offset_ms, 600_000);
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Connect));
    // The refused first attempt did reach the server.
    assert!(e.may_have_been_sent());
}

#[test]
fn an_issuing_call_is_never_re_signed_but_the_offset_is_learnt() {
    let config = config();
    let op = sign_sub_csr();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let at = call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    let e = fail(call.finish_attempt(Ok(skew_answer(at, 10)), now, 0.5));
    assert!(
        matches!(e, Error::Core(pca_core::Error::ClockSkew { .. })),
        "{e:?}"
    );
    assert_eq!(e.clock_skew().unwrap().offset_ms, 600_000);
    assert_eq!(config.clock_offset_ms(), 600_000);
}

#[test]
fn an_absurd_server_date_saturates_the_offset() {
    let config = config();
    config.add_clock_offset(i64::MAX);
    config.add_clock_offset(i64::MAX);
    assert_eq!(config.clock_offset_ms(), i64::MAX);
    config.add_clock_offset(i64::MIN);
    assert_eq!(config.clock_offset_ms(), -1);
}

#[test]
fn the_attempt_timeout_is_cut_to_what_is_left_of_the_deadline() {
    let config = config_with(|s| {
        s.timeout = Duration::from_secs(10);
        s.attempt_timeout = Duration::from_secs(4);
    });
    let op = get_ca();
    let start = Instant::now();
    let mut call = Call::new(&config, &op, start);
    assert_eq!(call.deadline(), start + Duration::from_secs(10));
    call.begin_attempt();
    call.sign(&credentials(), start).unwrap();
    assert_eq!(call.attempt_timeout(), Duration::from_secs(4));
    call.begin_attempt();
    call.sign(&credentials(), start + Duration::from_secs(7))
        .unwrap();
    assert_eq!(call.attempt_timeout(), Duration::from_secs(3));
}

#[test]
fn a_shared_deadline_earlier_than_the_call_timeout_wins() {
    let start = Instant::now();
    let config = config_with(|s| s.call_deadline = Some(start + Duration::from_secs(2)));
    let op = get_ca();
    let call = Call::new(&config, &op, start);
    assert_eq!(call.deadline(), start + Duration::from_secs(2));
    let later = Call::new(&config, &op, start + Duration::from_secs(5));
    assert_eq!(later.deadline(), start + Duration::from_secs(2));
    let config = config_with(|s| s.call_deadline = Some(start + Duration::from_secs(600)));
    let call = Call::new(&config, &op, start);
    assert_eq!(call.deadline(), start + crate::DEFAULT_TIMEOUT);
}

#[test]
fn no_retry_starts_when_its_wait_would_pass_the_deadline() {
    let config = config_with(|s| s.timeout = Duration::from_secs(5));
    let body = r#"{"error":{"errorCode":"503","message":"Service Unavailable"}}"#;
    let op = get_ca();
    let start = Instant::now();
    let mut call = Call::new(&config, &op, start);
    // 3 s left, Retry-After 3 s: the next attempt would start at the deadline.
    let e = fail(attempt(
        &mut call,
        start + Duration::from_secs(2),
        Ok(answer(503, &[("retry-after", "3")], body)),
        0.0,
    ));
    assert_eq!(e.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    // 3 s left, Retry-After 2 s: retried.
    let mut call = Call::new(&config, &op, start);
    let step = attempt(
        &mut call,
        start + Duration::from_secs(2),
        Ok(answer(503, &[("retry-after", "2")], body)),
        0.0,
    );
    assert_eq!(wait(step), Duration::from_secs(2));
    // No re-sign either once the deadline has passed.
    let mut call = Call::new(&config, &op, start);
    let at = call.begin_attempt();
    call.sign(&credentials(), start).unwrap();
    let late = start + Duration::from_secs(5);
    let e = fail(call.finish_attempt(Ok(skew_answer(at, 10)), late, 0.5));
    assert!(
        matches!(e, Error::Core(pca_core::Error::ClockSkew { .. })),
        "{e:?}"
    );
}

#[test]
fn an_attempt_cut_by_the_deadline_ends_the_call_saying_so() {
    let config = config_with(|s| s.timeout = Duration::from_secs(5));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(5);
    // A read, timed out at the deadline: not retried, and the error says why.
    let op = get_ca();
    let mut call = Call::new(&config, &op, start);
    let e = fail(attempt_from(
        &mut call,
        start,
        deadline,
        Err(timed_out()),
        0.5,
    ));
    assert!(e.is_deadline_exceeded());
    assert!(e.is_timeout());
    assert!(e.may_have_been_sent());
    let t = e.transport().unwrap();
    assert_eq!(t.timeout(), Some(Duration::from_secs(5)));
    let text = e.to_string();
    assert!(
        text.starts_with("Get CA: the call's deadline passed after 5000 ms"),
        "{text}"
    );
    assert!(text.contains("may have reached the server"), "{text}");

    // An issuing operation cut while connecting: not sent.
    let op = sign_sub_csr();
    let mut call = Call::new(&config, &op, start);
    let connect = TransportError::new(TransportErrorKind::Timeout, false, "connect");
    let e = fail(attempt_from(&mut call, start, deadline, Err(connect), 0.5));
    assert!(e.is_deadline_exceeded());
    assert!(!e.may_have_been_sent());
    assert!(e.to_string().contains("the request was not sent"), "{e}");

    // A timeout before the deadline (the attempt's own) is retried.
    let op = get_ca();
    let mut call = Call::new(&config, &op, start);
    let step = attempt(
        &mut call,
        start + Duration::from_secs(1),
        Err(timed_out()),
        0.5,
    );
    let _ = wait(step);
}

#[test]
fn a_deadline_passed_before_sending_says_whether_an_earlier_attempt_was_sent() {
    let config = config_with(|s| s.timeout = Duration::from_secs(5));
    let start = Instant::now();
    let late = start + Duration::from_secs(6);
    let op = get_ca();
    // Nothing was ever sent.
    let mut call = Call::new(&config, &op, start);
    call.begin_attempt();
    let e = call.sign(&credentials(), late).unwrap_err();
    assert!(e.is_deadline_exceeded());
    assert!(!e.may_have_been_sent());
    assert_eq!(e.transport().unwrap().attempts(), 0);
    // The first attempt may have reached the server; the second is too late.
    let mut call = Call::new(&config, &op, start);
    let _ = wait(attempt(&mut call, start, Err(timed_out()), 0.5));
    call.begin_attempt();
    let e = call.sign(&credentials(), late).unwrap_err();
    assert!(e.is_deadline_exceeded());
    assert!(e.may_have_been_sent());
    let text = e.to_string();
    assert!(
        text.contains("before attempt 2; last failure: Get CA: timed out"),
        "{text}"
    );
}

#[test]
fn whether_the_request_was_sent_is_the_whole_calls_answer() {
    let config = config();
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    let _ = wait(attempt(&mut call, now, Err(maybe_sent()), 0.5));
    let _ = wait(attempt(&mut call, now, Err(not_sent()), 0.5));
    let e = fail(attempt(&mut call, now, Err(not_sent()), 0.5));
    assert_eq!(e.transport().unwrap().attempts(), 3);
    assert!(
        e.may_have_been_sent(),
        "the first attempt may have reached the server"
    );
    // Only unsent attempts: provably not sent.
    let mut call = Call::new(&config, &op, now);
    let _ = wait(attempt(&mut call, now, Err(not_sent()), 0.5));
    let _ = wait(attempt(&mut call, now, Err(not_sent()), 0.5));
    let e = fail(attempt(&mut call, now, Err(not_sent()), 0.5));
    assert!(!e.may_have_been_sent());
}

#[test]
fn the_deadline_not_the_policys_max_elapsed_bounds_the_retries() {
    // The default policy's 30 s would stop the retries below; the call's 120 s deadline does
    // not, and is then the one bound.
    let policy = RetryPolicy::new()
        .max_attempts(10)
        .base_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(1));
    let config = config_with(|s| {
        s.timeout = Duration::from_secs(120);
        s.retry_policy = policy;
    });
    let op = get_ca();
    let start = Instant::now();
    let elapsed = Duration::from_secs(40);
    let now = Timestamp::from_unix_millis(WALL_MS);
    assert_eq!(
        policy.decide(
            Safety::Read,
            pca_core::retry::Outcome::NotSent,
            1,
            elapsed,
            now,
            0.5
        ),
        Decision::Stop(pca_core::StopReason::TimeExhausted),
        "on its own, the policy stops at its max_elapsed"
    );
    let mut call = Call::new(&config, &op, start);
    let step = attempt(&mut call, start + elapsed, Err(not_sent()), 0.5);
    assert_eq!(wait(step), policy.backoff(1, 0.5));
    // Later still, past 100 s: retried while the wait ends before the deadline.
    let step = attempt(
        &mut call,
        start + Duration::from_secs(110),
        Err(not_sent()),
        0.5,
    );
    assert_eq!(wait(step), policy.backoff(2, 0.5));
    // 0.4 s left, a wait of 0.5 s: the deadline stops it, with the last attempt's error.
    let e = fail(attempt(
        &mut call,
        start + Duration::from_millis(119_600),
        Err(not_sent()),
        0.5,
    ));
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Connect));
    assert_eq!(e.transport().unwrap().attempts(), 3);

    // A small max_elapsed does not shorten the call either.
    let config = config_with(|s| {
        s.timeout = Duration::from_secs(10);
        s.retry_policy = RetryPolicy::new().max_elapsed(Duration::from_secs(1));
    });
    let mut call = Call::new(&config, &op, start);
    let step = attempt(
        &mut call,
        start + Duration::from_secs(2),
        Err(not_sent()),
        0.5,
    );
    let _ = wait(step);
    // The policy's attempts still bound the call.
    let _ = wait(attempt(
        &mut call,
        start + Duration::from_secs(2),
        Err(not_sent()),
        0.5,
    ));
    let e = fail(attempt(
        &mut call,
        start + Duration::from_secs(2),
        Err(not_sent()),
        0.5,
    ));
    assert_eq!(e.transport().unwrap().attempts(), 3);
}

#[test]
fn the_time_left_counts_down_to_zero_at_the_deadline() {
    let config = config_with(|s| s.timeout = Duration::from_secs(10));
    let op = get_ca();
    let start = Instant::now();
    let call = Call::new(&config, &op, start);
    assert_eq!(call.time_left(start), Duration::from_secs(10));
    assert_eq!(
        call.time_left(start + Duration::from_millis(9_250)),
        Duration::from_millis(750)
    );
    assert_eq!(
        call.time_left(start + Duration::from_secs(10)),
        Duration::ZERO
    );
    assert_eq!(
        call.time_left(start + Duration::from_secs(60)),
        Duration::ZERO
    );
}

#[test]
fn a_metadata_get_takes_its_own_timeout_cut_to_what_is_left() {
    let config = config_with(|s| s.timeout = Duration::from_secs(10));
    let op = get_ca();
    let start = Instant::now();
    let mut call = Call::new(&config, &op, start);
    call.begin_attempt();
    // Far from the deadline: the metadata timeout.
    assert_eq!(
        call.metadata_timeout(start).unwrap(),
        crate::METADATA_TIMEOUT
    );
    let exactly = start + Duration::from_secs(10) - crate::METADATA_TIMEOUT;
    assert_eq!(
        call.metadata_timeout(exactly).unwrap(),
        crate::METADATA_TIMEOUT
    );
    // Nearer: what is left.
    let near = start + Duration::from_millis(9_700);
    assert_eq!(
        call.metadata_timeout(near).unwrap(),
        Duration::from_millis(300)
    );
}

#[test]
fn no_metadata_get_starts_after_the_deadline() {
    let config = config_with(|s| s.timeout = Duration::from_secs(5));
    let op = get_ca();
    let start = Instant::now();
    let late = start + Duration::from_secs(5);
    let mut call = Call::new(&config, &op, start);
    call.begin_attempt();
    let e = call.metadata_timeout(late).unwrap_err();
    assert!(e.is_deadline_exceeded(), "{e:?}");
    assert!(!e.may_have_been_sent());
    let t = e.transport().unwrap();
    assert_eq!(t.attempts(), 0);
    assert_eq!(t.timeout(), Some(Duration::from_secs(5)));
    let text = e.to_string();
    assert!(
        text.contains("before attempt 1, fetching server-role credentials"),
        "{text}"
    );
    assert!(text.ends_with("the request was not sent"), "{text}");

    // After an attempt that may have reached the server, the call's answer says so.
    let mut call = Call::new(&config, &op, start);
    let _ = wait(attempt(&mut call, start, Err(maybe_sent()), 0.5));
    call.begin_attempt();
    let e = call.metadata_timeout(late).unwrap_err();
    assert!(e.is_deadline_exceeded());
    assert!(e.may_have_been_sent());
    assert_eq!(e.transport().unwrap().attempts(), 1);
    assert!(e.to_string().contains("last failure: Get CA"), "{e}");
}

#[test]
fn a_metadata_get_cut_by_the_deadline_ends_the_call() {
    let config = config_with(|s| s.timeout = Duration::from_secs(5));
    let op = get_ca();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(5);

    // Cut to the deadline and timed out: the deadline ended it, even when the timer fired a
    // little before the clock reached the deadline.
    let mut call = Call::new(&config, &op, start);
    call.begin_attempt();
    let sent = start + Duration::from_millis(4_000);
    assert_eq!(call.metadata_timeout(sent).unwrap(), Duration::from_secs(1));
    let ended = deadline - Duration::from_millis(1);
    let e = call
        .metadata_failed(true, "no answer within 1000 ms", ended)
        .unwrap();
    assert!(e.is_deadline_exceeded(), "{e:?}");
    assert!(!e.may_have_been_sent());
    assert!(
        e.to_string()
            .contains("fetching server-role credentials: no answer within 1000 ms"),
        "{e}"
    );

    // Any failure once the deadline has passed.
    let mut call = Call::new(&config, &op, start);
    call.begin_attempt();
    let _ = call.metadata_timeout(sent).unwrap();
    let e = call
        .metadata_failed(false, "connection reset", deadline)
        .unwrap();
    assert!(e.is_deadline_exceeded());
    assert!(!e.may_have_been_sent());

    // The metadata timeout itself, with time left: a credentials failure, not the deadline.
    let mut call = Call::new(&config, &op, start);
    call.begin_attempt();
    assert_eq!(
        call.metadata_timeout(start).unwrap(),
        crate::METADATA_TIMEOUT
    );
    let ended = start + crate::METADATA_TIMEOUT;
    assert!(call.metadata_failed(true, "no answer", ended).is_none());
    // A refusal before the deadline, under a cut timeout: not the deadline's doing either.
    let _ = call.metadata_timeout(sent).unwrap();
    assert!(
        call.metadata_failed(false, "connection refused", sent)
            .is_none()
    );
}

#[test]
fn a_timeout_too_long_to_represent_is_a_distant_deadline() {
    let config = config_with(|s| s.timeout = Duration::MAX);
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    assert!(call.deadline() > now + Duration::from_secs(3600 * 24 * 365));
    call.begin_attempt();
    call.sign(&credentials(), now).unwrap();
    assert_eq!(call.attempt_timeout(), crate::DEFAULT_ATTEMPT_TIMEOUT);
}

#[test]
fn signing_past_the_deadline_before_any_attempt_reports_none() {
    let config = config_with(|s| s.timeout = Duration::from_secs(1));
    let op = get_ca();
    let now = Instant::now();
    let mut call = Call::new(&config, &op, now);
    // Without begin_attempt: no attempt counted, no panic.
    let e = call
        .sign(&credentials(), now + Duration::from_secs(2))
        .unwrap_err();
    assert!(e.is_deadline_exceeded());
    assert_eq!(e.transport().unwrap().attempts(), 0);
}
