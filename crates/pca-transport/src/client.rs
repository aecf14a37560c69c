//! What every client holds besides its I/O ([`Shared`]), and the two traits that tie a
//! transport's client to it ([`Io`], [`Client`]).

use std::fmt;
use std::sync::Arc;

use crate::config::Config;
use crate::error::Error;

/// The I/O half of a client, which each transport crate implements: its connection pool and
/// its metadata-service fetcher. Everything else a client holds is in [`Shared`].
pub trait Io: Sized + Send + Sync + 'static {
    /// The lock around the cached server-role credentials: a blocking mutex for a blocking
    /// client, an async one for an async client (it is held while credentials are fetched, so
    /// that concurrent calls fetch them once).
    type CredentialCache: Default + Send + Sync;

    /// Sets up the I/O for `config`. Sends nothing.
    fn new(config: &Config) -> Result<Self, Error>;

    /// `true` when requests go through a proxy (shown by the client's `Debug`).
    fn is_proxied(&self) -> bool;
}

/// A client's state, shared by its clones: the configuration, the I/O and the cache of
/// server-role credentials.
pub struct Shared<T: Io> {
    config: Config,
    io: T,
    credential_cache: T::CredentialCache,
}

impl<T: Io> Shared<T> {
    /// The state of a new client for `config`.
    pub fn new(config: Config) -> Result<Arc<Self>, Error> {
        let io = T::new(&config)?;
        Ok(Arc::new(Shared {
            config,
            io,
            credential_cache: T::CredentialCache::default(),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The I/O.
    pub fn io(&self) -> &T {
        &self.io
    }

    /// The lock around the cached server-role credentials (see [`crate::ServerRole::refresh`]).
    pub fn credential_cache(&self) -> &T::CredentialCache {
        &self.credential_cache
    }
}

/// The endpoint, the credentials (redacted), the limits, whether a proxy is used and the clock
/// offset; never a secret.
impl<T: Io> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt_client(f, self.io.is_proxied())
    }
}

/// A transport's client type: a cheap handle on [`Shared`] state, cloned by sharing it.
///
/// This is all [`client_methods!`](crate::client_methods) needs besides the client's own
/// `send` method (blocking or `async`), which is the transport's loop around [`crate::Call`].
pub trait Client: Sized {
    /// The transport's I/O.
    type Io: Io;

    /// A client on `shared` state.
    fn from_shared(shared: Arc<Shared<Self::Io>>) -> Self;

    /// The client's state.
    fn shared(&self) -> &Shared<Self::Io>;
}
