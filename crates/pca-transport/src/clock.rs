//! Where signing timestamps come from: the system clock unless another [`Clock`] is injected.

use std::time::SystemTime;

/// A source of the current time, used to sign requests and to judge credential expiry.
///
/// Any `Fn() -> SystemTime + Send + Sync` is a clock, so a test can pin or shift time:
///
/// ```
/// # use std::time::{Duration, SystemTime};
/// let one_hour_behind = || SystemTime::now() - Duration::from_secs(3600);
/// # fn takes(_: impl pca_transport::Clock) {}
/// takes(one_hour_behind);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock ([`SystemTime::now`]), the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<F> Clock for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}
