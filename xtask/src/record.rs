//! `cargo xtask record`: re-records one exchange per operation from the emulator into
//! `tests/fixtures/<operation>/emulator.json`.
//!
//! The recorder is the `record` example of `pca-emulator` (this crate has no dependencies of
//! its own): it starts an in-process emulator, runs a scenario that calls all 24 operations
//! with pca-core's requests, and writes the first exchange of each. Signature, timestamp and
//! access-key headers are never written, nor the secret key; Issue End Cert's private key is
//! replaced by a placeholder.

use std::path::Path;

/// Runs the recorder; `true` on success.
pub(crate) fn record(run: &crate::Run) -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let fixtures = fixtures.to_string_lossy();
    run(
        &cargo,
        &[
            "run",
            "--quiet",
            "-p",
            "pca-emulator",
            "--example",
            "record",
            "--",
            &fixtures,
        ],
        &[],
    )
}
