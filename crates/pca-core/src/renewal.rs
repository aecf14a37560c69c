//! When to renew a certificate: a pure decision from its validity and the time, so that a
//! service can renew its own certificates on its own schedule (`pca cert renew` uses it).
//!
//! ```
//! use std::time::Duration;
//! use pca_core::renewal::{RenewAt, decide};
//! use pca_core::Timestamp;
//!
//! let day = 86_400_000;
//! let not_before = Timestamp::from_unix_millis(0);
//! let not_after = Timestamp::from_unix_millis(90 * day);
//! // By default a certificate is due once two thirds of its lifetime have passed: day 60.
//! let d = decide(not_before, not_after, Timestamp::from_unix_millis(59 * day), RenewAt::TwoThirds);
//! assert!(!d.due);
//! assert_eq!(d.due_at, Timestamp::from_unix_millis(60 * day));
//! // `Before(30 days)`: due when fewer than 30 days are left.
//! let d = decide(not_before, not_after, Timestamp::from_unix_millis(61 * day), RenewAt::Before(Duration::from_secs(30 * 86_400)));
//! assert!(d.due);
//! ```

use std::time::Duration;

use crate::signing::Timestamp;

/// When a certificate becomes due for renewal.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenewAt {
    /// Once two thirds of its lifetime have passed (the default; what cert-manager and step do).
    #[default]
    TwoThirds,
    /// When less than this much time is left before `notAfter`.
    Before(Duration),
}

/// The decision for one certificate at one time.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewal {
    /// `true` when the certificate is due now (or has expired).
    pub due: bool,
    /// When it is (or was) due.
    pub due_at: Timestamp,
    /// When it expires.
    pub not_after: Timestamp,
    /// `true` when it has expired.
    pub expired: bool,
}

impl Renewal {
    /// How long until it is due (zero when it is due).
    pub fn due_in(&self, now: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(now.millis_until(self.due_at)).unwrap_or(0))
    }
}

/// Decides whether a certificate valid from `not_before` to `not_after` is due at `now`.
pub fn decide(not_before: Timestamp, not_after: Timestamp, now: Timestamp, at: RenewAt) -> Renewal {
    let due_at = match at {
        RenewAt::TwoThirds => {
            let life = not_after
                .as_unix_millis()
                .saturating_sub(not_before.as_unix_millis());
            Timestamp::from_unix_millis(not_before.as_unix_millis().saturating_add(life / 3 * 2))
        }
        RenewAt::Before(left) => {
            let left = u64::try_from(left.as_millis()).unwrap_or(u64::MAX);
            Timestamp::from_unix_millis(not_after.as_unix_millis().saturating_sub(left))
        }
    };
    // Never later than the expiry (a validity that ends before it starts is due at once).
    let due_at = due_at.min(not_after);
    Renewal {
        due: now >= due_at,
        due_at,
        not_after,
        expired: now >= not_after,
    }
}

/// Decides for the first certificate of a PEM text (feature `x509`).
#[cfg(feature = "x509")]
pub fn decide_for_pem(
    pem: &str,
    now: Timestamp,
    at: RenewAt,
) -> Result<Renewal, crate::x509::CertificateParseError> {
    let info = crate::x509::CertificateInfo::from_pem(pem)?;
    let ms = |secs: i64| Timestamp::from_unix_millis(u64::try_from(secs).unwrap_or(0) * 1000);
    Ok(decide(ms(info.not_before), ms(info.not_after), now, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    fn at(days: u64) -> Timestamp {
        Timestamp::from_unix_millis(days * DAY)
    }

    #[test]
    fn two_thirds_of_the_lifetime() {
        let d = decide(at(10), at(100), at(69), RenewAt::TwoThirds);
        assert_eq!(d.due_at, at(70));
        assert!(!d.due);
        assert_eq!(d.due_in(at(69)), Duration::from_millis(DAY));
        let d = decide(at(10), at(100), at(70), RenewAt::TwoThirds);
        assert!(d.due && !d.expired);
        assert_eq!(d.due_in(at(70)), Duration::ZERO);
        assert!(decide(at(10), at(100), at(100), RenewAt::TwoThirds).expired);
    }

    #[test]
    fn before_a_time_left() {
        let thirty = RenewAt::Before(Duration::from_secs(30 * 86_400));
        assert!(!decide(at(0), at(90), at(59), thirty).due);
        assert!(decide(at(0), at(90), at(60), thirty).due);
        // More than the whole lifetime: always due.
        let long = RenewAt::Before(Duration::from_secs(1000 * 86_400));
        let d = decide(at(0), at(90), at(0), long);
        assert!(d.due);
        assert_eq!(d.due_at, Timestamp::from_unix_millis(0));
    }

    #[test]
    fn a_certificate_that_ends_before_it_starts_is_due() {
        assert!(decide(at(10), at(5), at(6), RenewAt::TwoThirds).due);
    }
}
