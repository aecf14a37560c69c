//! The retry decision: which operations may be resent, after which failures, and when.

use std::time::Duration;

use pca_core::operations::*;
use pca_core::retry::{is_retryable, parse_retry_after};
use pca_core::{Decision, Error, Operation, Outcome, RetryPolicy, Safety, StopReason, Timestamp};

const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn answer(status: u16, body: &str, retry_after: Option<&str>) -> Error {
    let mut b = http::Response::builder().status(status);
    if let Some(ra) = retry_after {
        b = b.header("retry-after", ra);
    }
    GetCa::parse_response(&b.body(body.as_bytes().to_vec()).unwrap(), NOW).unwrap_err()
}

fn decide(safety: Safety, outcome: Outcome<'_>, attempt: u32) -> Decision {
    RetryPolicy::new().decide(safety, outcome, attempt, Duration::ZERO, NOW, 0.5)
}

#[test]
fn issuing_operations_are_exactly_the_creating_posts() {
    macro_rules! infos {
        ($(($m:ident, $ty:path, $doc:literal)),* $(,)?) => {
            vec![$(<$ty as Operation>::INFO),*]
        };
    }
    let infos: Vec<pca_core::OperationInfo> = pca_core::for_each_operation!(infos);
    let issuing: Vec<&str> = infos
        .iter()
        .filter(|i| i.is_issuing())
        .map(|i| i.name)
        .collect();
    assert_eq!(
        issuing,
        [
            "Create CA",
            "Sign Sub CSR",
            "Issue End Cert",
            "Sign End CSR"
        ]
    );
    for info in &infos {
        let post = info.method == http::Method::POST;
        assert_eq!(info.safety.is_idempotent(), !post, "{}", info.name);
        if info.method == http::Method::GET {
            assert_eq!(info.safety, Safety::Read, "{}", info.name);
        }
    }
}

#[test]
fn unsent_requests_are_retried_for_every_operation() {
    for safety in [
        Safety::Read,
        Safety::Idempotent,
        Safety::NotIdempotent,
        Safety::Issuing,
    ] {
        assert!(
            matches!(decide(safety, Outcome::NotSent, 1), Decision::RetryAfter(_)),
            "{safety:?}"
        );
    }
}

#[test]
fn maybe_sent_requests_are_retried_only_when_idempotent() {
    assert!(matches!(
        decide(Safety::Read, Outcome::MaybeSent, 1),
        Decision::RetryAfter(_)
    ));
    assert!(matches!(
        decide(Safety::Idempotent, Outcome::MaybeSent, 1),
        Decision::RetryAfter(_)
    ));
    for safety in [Safety::NotIdempotent, Safety::Issuing] {
        assert_eq!(
            decide(safety, Outcome::MaybeSent, 1),
            Decision::Stop(StopReason::NotIdempotent)
        );
    }
}

#[test]
fn retryable_answers() {
    let rate = answer(
        429,
        r#"{"error":{"errorCode":"420","message":"Rate Limited"}}"#,
        Some("2"),
    );
    let throttle = answer(
        429,
        r#"{"error":{"errorCode":"410","message":"Throttle Limited"}}"#,
        None,
    );
    let quota = answer(
        429,
        r#"{"error":{"errorCode":"400","message":"Quota Exceeded"}}"#,
        None,
    );
    let endpoint = answer(
        503,
        r#"{"error":{"errorCode":"500","message":"Endpoint Error"}}"#,
        None,
    );
    let timeout = answer(
        504,
        r#"{"error":{"errorCode":"510","message":"Endpoint Timeout"}}"#,
        None,
    );
    let html503 = answer(503, "<html>down</html>", None);
    for e in [&rate, &throttle, &quota, &endpoint, &timeout, &html503] {
        assert!(is_retryable(e), "{e}");
    }
    // Honour Retry-After.
    assert_eq!(
        decide(Safety::Read, Outcome::Answered(&rate), 1),
        Decision::RetryAfter(Duration::from_secs(2))
    );
    // A rate-limit refusal was not executed: a non-idempotent POST may be resent, an issuing
    // one never.
    assert!(matches!(
        decide(Safety::NotIdempotent, Outcome::Answered(&rate), 1),
        Decision::RetryAfter(_)
    ));
    assert_eq!(
        decide(Safety::Issuing, Outcome::Answered(&rate), 1),
        Decision::Stop(StopReason::NotIdempotent)
    );
    // An endpoint error may have been executed: only idempotent operations are resent.
    assert!(matches!(
        decide(Safety::Idempotent, Outcome::Answered(&endpoint), 1),
        Decision::RetryAfter(_)
    ));
    assert_eq!(
        decide(Safety::NotIdempotent, Outcome::Answered(&timeout), 1),
        Decision::Stop(StopReason::NotIdempotent)
    );
}

#[test]
fn refusals_that_a_retry_cannot_fix() {
    let auth = answer(
        401,
        r#"{"error":{"errorCode":"200","message":"Authentication Failed"}}"#,
        None,
    );
    let service = answer(400, r#"{"code":"INVALID_INPUT_PERIOD","msg":"bad"}"#, None);
    let not_found = answer(404, r#"{"code":"NOT_FOUND","msg":"no"}"#, None);
    let unexpected = answer(
        500,
        r#"{"error":{"errorCode":"900","message":"Unexpected Error"}}"#,
        None,
    );
    let invalid: Error = GetCa::new("a/b").unwrap_err().into();
    for e in [&auth, &service, &not_found, &unexpected, &invalid] {
        assert!(!is_retryable(e), "{e}");
        assert_eq!(
            decide(Safety::Read, Outcome::Answered(e), 1),
            Decision::Stop(StopReason::NotRetryable)
        );
    }
}

#[test]
fn attempts_and_total_time_are_bounded() {
    let policy = RetryPolicy::new()
        .max_attempts(3)
        .max_elapsed(Duration::from_secs(5));
    let d = |attempt, elapsed| {
        policy.decide(Safety::Read, Outcome::NotSent, attempt, elapsed, NOW, 0.9)
    };
    assert!(matches!(d(1, Duration::ZERO), Decision::RetryAfter(_)));
    assert!(matches!(d(2, Duration::ZERO), Decision::RetryAfter(_)));
    assert_eq!(
        d(3, Duration::ZERO),
        Decision::Stop(StopReason::AttemptsExhausted)
    );
    assert_eq!(
        d(1, Duration::from_secs(5)),
        Decision::Stop(StopReason::TimeExhausted)
    );
    assert_eq!(
        RetryPolicy::disabled().decide(Safety::Read, Outcome::NotSent, 1, Duration::ZERO, NOW, 0.0),
        Decision::Stop(StopReason::AttemptsExhausted)
    );
    // Retry-After longer than the longest wait is capped.
    let long = answer(429, "{}", Some("3600"));
    assert_eq!(
        RetryPolicy::new()
            .max_delay(Duration::from_secs(3))
            .max_elapsed(Duration::from_secs(60))
            .decide(
                Safety::Read,
                Outcome::Answered(&long),
                1,
                Duration::ZERO,
                NOW,
                0.0
            ),
        Decision::RetryAfter(Duration::from_secs(3))
    );
}

#[test]
fn backoff_is_exponential_with_full_jitter() {
    let p = RetryPolicy::new()
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(1000));
    assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
    assert_eq!(p.backoff(2, 1.0), Duration::from_millis(200));
    assert_eq!(p.backoff(3, 1.0), Duration::from_millis(400));
    assert_eq!(p.backoff(10, 1.0), Duration::from_millis(1000));
    assert_eq!(p.backoff(3, 0.5), Duration::from_millis(200));
    assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
    assert_eq!(p.backoff(3, f64::NAN), Duration::ZERO);
    assert_eq!(p.backoff(u32::MAX, 1.0), Duration::from_millis(1000));
}

#[test]
fn retry_after_as_seconds_or_http_date() {
    assert_eq!(
        parse_retry_after("120", NOW),
        Some(Duration::from_secs(120))
    );
    assert_eq!(parse_retry_after(" 0 ", NOW), Some(Duration::ZERO));
    let later = httpdate::fmt_http_date(NOW.offset_by(30_000).to_system_time());
    assert_eq!(
        parse_retry_after(&later, NOW),
        Some(Duration::from_secs(30))
    );
    let past = httpdate::fmt_http_date(NOW.offset_by(-30_000).to_system_time());
    assert_eq!(parse_retry_after(&past, NOW), Some(Duration::ZERO));
    assert_eq!(parse_retry_after("soon", NOW), None);
    assert_eq!(parse_retry_after("-1", NOW), None);
}
