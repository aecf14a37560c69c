//! The runtime-independent half of the `pca-blocking` and `pca-async` clients for NAVER Cloud
//! Platform's Private CA API: configuration and its builder, errors with transport kinds,
//! rustls configuration, the clock, credential caching, and the sans-IO call driver.
//!
//! Users need not depend on this crate: both clients re-export what they show of it under
//! their own names (`pca_blocking::ClientBuilder`, `pca_async::Error`, …). A transport is the
//! rest: its `Client`, the bytes on the wire and the sleeps.
//!
//! | piece | here | in each transport |
//! |---|---|---|
//! | settings and defaults | [`ClientBuilder`], the `DEFAULT_*` constants | `type ClientBuilder = pca_transport::ClientBuilder<Client>` |
//! | building | [`Config`] (endpoint and credentials resolved); [`Shared`]: what a client holds, shared by its clones | [`Io`]: the connection pool and the metadata fetcher; [`Client`]: the handle on [`Shared`] |
//! | one call | [`Call`]: sign, keep the deadline, decide retries and clock-skew re-signing, trace | a loop: read the clock, exchange bytes within [`Call::attempt_timeout`], sleep on [`Step::Wait`] |
//! | typed methods | [`client_methods!`] (with `builder()`, `from_env()`, …) over [`pca_core::for_each_operation!`] | one line: `client_methods!(blocking Client)` |
//! | credentials | [`CredentialSource`], [`Refresh`] (cache and refresh decisions) | the metadata `GET` and the cache's lock |
//! | TLS | [`tls`]: roots, the `ring` provider, rustls configuration | handing them to ureq or hyper-rustls |
//! | errors | [`Error`], [`TransportError`], [`TransportErrorKind`] | mapping ureq's or hyper's errors to a kind |
//!
//! Features: `native-roots` allows trusting the system's roots
//! ([`ClientBuilder::native_roots`]).
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod builder;
mod call;
mod client;
mod clock;
mod config;
mod credentials;
mod error;
mod methods;
mod settings;
pub mod tls;

pub use builder::ClientBuilder;
pub use call::{Call, Step, jitter};
pub use client::{Client, Io, Shared};
pub use clock::{Clock, SystemClock};
pub use config::{Config, FromConfig};
pub use credentials::{CredentialSource, METADATA_MAX_BODY, MetadataFailure, Refresh, ServerRole};
pub use error::{Error, TransportError, TransportErrorKind, find_in_chain};
pub use pca_core;
pub use settings::{
    CREDENTIALS_REFRESH_MARGIN, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, METADATA_TIMEOUT,
};
