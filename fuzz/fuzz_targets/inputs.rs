//! Input constructors and builders of every operation, and the property that any accepted
//! input builds a request whose path stays under the prefix and whose signature verifies.
//!
//! Input: the operation's name line (see the crate docs), then a recorded request as in
//! `tests/fixtures` (`{"method", "path", "body"}`), from which the operation is built through
//! its public constructors and builders (`pca_tests::replay::FromRecorded`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pca_fuzz::{build_as, operation_of};
use pca_tests::RecordedRequest;

fuzz_target!(|data: &[u8]| {
    let (index, rest) = operation_of(data);
    let Ok(recorded) = serde_json::from_slice::<RecordedRequest>(rest) else {
        return;
    };
    build_as(index, &recorded);
});
