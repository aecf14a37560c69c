//! [`Client`]: the blocking shell around [`pca_transport::Call`]: signs with the credentials,
//! exchanges bytes, sleeps when told.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use pca_core::{Credentials, Operation, Timestamp};
use pca_transport::{Call, Config, CredentialSource, Shared, Step};

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
    shared: Arc<Shared<Connections>>,
}

/// The blocking client's I/O: the pooled connections to the endpoint and the metadata
/// service's fetcher. Opaque: only [`pca_transport`] builds it.
pub struct Connections {
    transport: Transport,
    metadata: Metadata,
}

impl pca_transport::Io for Connections {
    type CredentialCache = Mutex<Option<Credentials>>;

    fn new(config: &Config) -> Result<Self, Error> {
        Ok(Connections {
            transport: Transport::new(config)?,
            metadata: Metadata::new(),
        })
    }

    fn is_proxied(&self) -> bool {
        self.transport.is_proxied()
    }
}

impl pca_transport::Client for Client {
    type Io = Connections;

    fn from_shared(shared: Arc<Shared<Connections>>) -> Self {
        Client { shared }
    }

    fn shared(&self) -> &Shared<Connections> {
        &self.shared
    }
}

impl Client {
    /// Sends `operation` and parses its answer.
    ///
    /// Each attempt is signed afresh. Failed attempts are retried as
    /// [`RetryPolicy::decide`](pca_core::RetryPolicy::decide) rules: an issuing operation is
    /// never sent twice once it may have left. When the gateway refuses a request for clock
    /// skew, the measured offset is kept for later calls, and an idempotent request is
    /// re-signed and sent once more. The whole call, retries and waits included, ends by the
    /// builder's [`timeout`](ClientBuilder::timeout). The rules are [`pca_transport::Call`]'s.
    pub fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let mut call = Call::new(self.shared.config(), operation, Instant::now());
        let span = call.span().clone();
        let _entered = span.enter();
        loop {
            let at = call.begin_attempt();
            let credentials = self.credentials(&mut call, at)?;
            let request = call.sign(&credentials, Instant::now())?;
            let result = self
                .shared
                .io()
                .transport
                .exchange(request, call.attempt_timeout());
            match call.finish_attempt(result, Instant::now(), pca_transport::jitter()) {
                Step::Done(output) => return Ok(output),
                Step::Wait(wait) => std::thread::sleep(wait),
                Step::Fail(error) => return Err(error),
            }
        }
    }

    /// Credentials valid at `now`, fetching or refreshing server-role credentials if needed,
    /// each metadata `GET` within what is left of `call`'s deadline.
    fn credentials<O: Operation>(
        &self,
        call: &mut Call<'_, O>,
        now: Timestamp,
    ) -> Result<Cow<'_, Credentials>, Error> {
        let role = match self.shared.config().credentials() {
            CredentialSource::Fixed(c) => return Ok(Cow::Borrowed(c)),
            CredentialSource::ServerRole(role) => role,
        };
        let mut cached = self
            .shared
            .credential_cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut refresh = role.refresh(&mut cached, now);
        while let Some(url) = refresh.next_url() {
            let timeout = call.metadata_timeout(Instant::now())?;
            let answer = self.shared.io().metadata.get_text(&url, timeout);
            call.metadata_fetched(&mut refresh, answer, Instant::now())?;
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
