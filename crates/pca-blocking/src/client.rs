//! [`Client`]: the blocking shell around [`pca_transport::Call`]: signs with the credentials,
//! exchanges bytes, sleeps when told.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use pca_core::{Credentials, Operation, Timestamp};
use pca_transport::{Call, Config, CredentialSource, FromConfig, Step};

use crate::Error;
use crate::transport::{Metadata, Transport};

/// Builds a [`Client`]: every setting with its default
/// ([`pca_transport::ClientBuilder`], shared with `pca-async`). Start from
/// [`Client::builder`].
pub type ClientBuilder = pca_transport::ClientBuilder<Client>;

/// A blocking Private CA client: one pooled connection set, shared by clones.
///
/// `Client` is `Clone + Send + Sync`; clones share connections, credentials and the clock
/// offset. Every operation has a typed method (`client.sign_sub_csr(&op)`), and [`Client::send`]
/// takes any operation.
///
/// ```no_run
/// use pca_blocking::Client;
/// use pca_core::operations::SignSubCsr;
/// use pca_core::Period;
///
/// let client = Client::from_env()?;
/// let csr = std::fs::read_to_string("sub-ca.csr.pem")?;
/// let op = SignSubCsr::new("12345678-abcdefg", Period::days(1825)?, &csr)?;
/// let signed = client.sign_sub_csr(&op)?;
/// std::fs::write("fullchain.pem", signed.full_chain_pem())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Transport,
    metadata: Metadata,
    /// Server-role credentials, once fetched; locked while they are refreshed.
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        i.config.fmt_client(f, i.transport.is_proxied())
    }
}

impl FromConfig for Client {
    fn from_config(config: Config) -> Result<Self, Error> {
        let transport = Transport::new(&config)?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                transport,
                metadata: Metadata::new(),
                cached: Mutex::new(None),
            }),
        })
    }
}

impl Client {
    /// The configuration shared by clones (used by [`pca_transport::client_methods!`]).
    fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends `operation` and parses its answer.
    ///
    /// Each attempt is signed afresh. Failed attempts are retried as
    /// [`RetryPolicy::decide`](pca_core::RetryPolicy::decide) rules: an issuing operation is
    /// never sent twice once it may have left. When the gateway refuses a request for clock
    /// skew, the measured offset is kept for later calls, and an idempotent request is
    /// re-signed and sent once more. The whole call, retries and waits included, ends by the
    /// builder's [`timeout`](ClientBuilder::timeout). The rules are [`pca_transport::Call`]'s.
    pub fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let mut call = Call::new(&self.inner.config, operation, Instant::now());
        let span = call.span().clone();
        let _entered = span.enter();
        loop {
            let at = call.begin_attempt();
            let request = call.sign(&*self.credentials(at)?, Instant::now())?;
            let result = self
                .inner
                .transport
                .exchange(request, call.attempt_timeout());
            match call.finish_attempt(result, Instant::now(), pca_transport::jitter()) {
                Step::Done(output) => return Ok(output),
                Step::Wait(wait) => std::thread::sleep(wait),
                Step::Fail(error) => return Err(error),
            }
        }
    }

    /// Credentials valid at `now`, fetching or refreshing server-role credentials if needed.
    fn credentials(&self, now: Timestamp) -> Result<Cow<'_, Credentials>, Error> {
        let role = match self.inner.config.credentials() {
            CredentialSource::Fixed(c) => return Ok(Cow::Borrowed(c)),
            CredentialSource::ServerRole(role) => role,
        };
        let mut cached = self
            .inner
            .cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut refresh = role.refresh(&mut cached, now);
        while let Some(url) = refresh.next_url() {
            refresh.fetched(self.inner.metadata.get_text(&url));
        }
        refresh.finish().map(Cow::Owned)
    }
}

pca_transport::client_methods!(blocking Client);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_clone_send_sync() {
        fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
        clone_send_sync::<Client>();
    }
}
