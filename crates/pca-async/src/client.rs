//! [`Client`]: the async shell around [`pca_transport::Call`]: signs with the credentials,
//! exchanges bytes, sleeps when told.

use std::borrow::Cow;
use std::sync::Arc;

use pca_core::{Credentials, Operation, Timestamp};
use pca_transport::{Call, Config, CredentialSource, Shared, Step};
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::Error;
use crate::transport::{Metadata, Transport};

/// Builds a [`Client`]: every setting with its default
/// ([`pca_transport::ClientBuilder`], shared with `pca-blocking`). Start from
/// [`Client::builder`].
pub type ClientBuilder = pca_transport::ClientBuilder<Client>;

/// An async Private CA client (tokio): one pooled connection set, shared by clones.
///
/// `Client` is `Clone + Send + Sync` and cheap to clone (one `Arc`); clones share connections,
/// credentials and the clock offset. Calls must run inside a tokio runtime. Every operation has
/// a typed method (`client.sign_sub_csr(&op)`), and [`Client::send`] takes any operation.
///
/// ```no_run
/// use pca_async::Client;
/// use pca_core::operations::SignSubCsr;
/// use pca_core::Period;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::from_env()?;
/// let csr = std::fs::read_to_string("sub-ca.csr.pem")?;
/// let op = SignSubCsr::new("12345678-abcdefg", Period::days(1825)?, &csr)?;
/// let signed = client.sign_sub_csr(&op).await?;
/// std::fs::write("fullchain.pem", signed.full_chain_pem())?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared<Connections>>,
}

/// The async client's I/O: the pooled connections to the endpoint and the metadata service's
/// fetcher. Opaque: only [`pca_transport`] builds it.
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
    pub async fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let mut call = Call::new(self.shared.config(), operation, now());
        let span = call.span().clone();
        async move {
            loop {
                let at = call.begin_attempt();
                let credentials = self.credentials(&mut call, at).await?;
                let request = call.sign(&credentials, now())?;
                let result = self
                    .shared
                    .io()
                    .transport
                    .exchange(request, call.attempt_timeout())
                    .await;
                match call.finish_attempt(result, now(), pca_transport::jitter()) {
                    Step::Done(output) => return Ok(output),
                    Step::Wait(wait) => tokio::time::sleep(wait).await,
                    Step::Fail(error) => return Err(error),
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Credentials valid at `at`, fetching or refreshing server-role credentials if needed,
    /// each metadata `GET` within what is left of `call`'s deadline.
    async fn credentials<O: Operation>(
        &self,
        call: &mut Call<'_, O>,
        at: Timestamp,
    ) -> Result<Cow<'_, Credentials>, Error> {
        let role = match self.shared.config().credentials() {
            CredentialSource::Fixed(c) => return Ok(Cow::Borrowed(c)),
            CredentialSource::ServerRole(role) => role,
        };
        let mut cached = self.shared.credential_cache().lock().await;
        let mut refresh = role.refresh(&mut cached, at);
        while let Some(url) = refresh.next_url() {
            let timeout = call.metadata_timeout(now())?;
            let answer = self.shared.io().metadata.get_text(&url, timeout).await;
            call.metadata_fetched(&mut refresh, answer, now())?;
        }
        refresh.finish().map(Cow::Owned)
    }
}

/// The monotonic time, from tokio's clock (so that a runtime with paused time drives the
/// call's deadline as it drives the sleeps).
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

pca_transport::client_methods!(async Client);

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send<T: Send>(_: &T) {}

    #[test]
    fn client_is_clone_send_sync_and_its_calls_are_send() {
        fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
        clone_send_sync::<Client>();
        let client = Client::builder()
            .endpoint(pca_core::Endpoint::parse("http://127.0.0.1:9").unwrap())
            .credentials(pca_core::Credentials::new("a", "b").unwrap())
            .build()
            .unwrap();
        let op = pca_core::operations::GetCa::new("a1b2c3d4-e5f6a7b8").unwrap();
        let call = client.get_ca(&op);
        is_send(&call);
        let generic = client.send(&op);
        is_send(&generic);
    }

    #[test]
    fn the_spare_timer_serves_one_runtime_and_outlives_it() {
        let client = Client::builder()
            .endpoint(pca_core::Endpoint::parse("http://127.0.0.1:9").unwrap())
            .credentials(pca_core::Credentials::new("a", "b").unwrap())
            .retry_policy(pca_core::RetryPolicy::disabled())
            .build()
            .unwrap();
        let op = pca_core::operations::GetCa::new("a1b2c3d4-e5f6a7b8").unwrap();
        for _ in 0..2 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            // Nothing listens on port 9: each attempt fails to connect, and leaves its timer
            // as a spare; the second call in a runtime reuses it, and the next runtime makes
            // its own, the one left by the runtime before (shut down by then) staying unused.
            for _ in 0..2 {
                let e = runtime.block_on(client.get_ca(&op)).unwrap_err();
                assert!(!e.may_have_been_sent(), "{e}");
            }
        }
    }
}
