//! Blocking client for NAVER Cloud Platform's Private CA API, on ureq 3.
//!
//! The requests and their answers are [`pca_core`]'s typed operations; this crate sends them
//! with safe defaults set in code: 10 s connect timeout, 30 s for each phase of an attempt
//! (sending, waiting for the answer, reading it), no redirects, a 4 MiB
//! cap on answer bodies, one pooled ureq `Agent` per client, rustls with the `ring` provider and
//! Mozilla's roots, user agent `pca-rs/<version>`, and retries exactly as
//! [`pca_core::retry`] decides. An issuing operation (Create CA, Sign Sub CSR, Sign End CSR,
//! Issue End Cert) is never sent twice once it may have left: its error says so
//! ([`Error::may_have_been_sent`]) and how to check.
//!
//! `pca-async` has the same surface: switching changes the `Client` type and adds `.await`.
//!
//! ```no_run
//! use pca_blocking::Client;
//! use pca_core::operations::SignSubCsr;
//! use pca_core::Period;
//!
//! let client = Client::builder().timeout(std::time::Duration::from_secs(20)).build()?;
//! let csr = std::fs::read_to_string("sub-ca.csr.pem")?;
//! let signed = client.sign_sub_csr(&SignSubCsr::new("12345678-abcdefg", Period::days(1825)?, &csr)?)?;
//! println!("{}", signed.full_chain_pem());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every call runs in a `tracing` span `pca_call` with the fields `operation`, `method`,
//! `path`, `status`, `attempt` and `elapsed_ms`; no key, signature or body is ever recorded.
//!
//! Features: `x509` (default) enables pca-core's X.509 checks; `native-roots` allows trusting
//! the system's roots ([`ClientBuilder::native_roots`]).
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod builder;
mod client;
mod clock;
mod config;
mod credentials;
mod error;
mod tls;
mod transport;

pub use builder::ClientBuilder;
pub use client::Client;
pub use clock::{Clock, SystemClock};
pub use config::{
    CREDENTIALS_REFRESH_MARGIN, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY,
    DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, METADATA_TIMEOUT,
};
pub use error::{Error, TransportError, TransportErrorKind};
pub use pca_core;
pub use pca_core::{Credentials, Endpoint, RetryPolicy, Site};
