//! [`Client`]: signs, sends, retries as the core decides, parses.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use pca_core::retry::{Decision, Outcome};
use pca_core::{Endpoint, Operation, Timestamp};
use tracing::field::Empty;

use crate::builder::ClientBuilder;
use crate::config::Settings;
use crate::credentials::Provider;
use crate::error::{Error, TransportErrorKind};
use crate::transport::Transport;

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
    settings: Settings,
    endpoint: Endpoint,
    credentials: Provider,
    transport: Transport,
    /// Milliseconds added to the clock, learnt from a gateway's clock-skew refusal.
    clock_offset_ms: AtomicI64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &i.endpoint.to_string())
            .field("credentials", &i.credentials)
            .field("connect_timeout", &i.settings.connect_timeout)
            .field("timeout", &i.settings.timeout)
            .field("max_response_body", &i.settings.max_response_body)
            .field("user_agent", &i.settings.user_agent)
            .field("retry_policy", &i.settings.retry_policy)
            .field("proxied", &i.transport.is_proxied())
            .field(
                "clock_offset_ms",
                &i.clock_offset_ms.load(Ordering::Relaxed),
            )
            .finish()
    }
}

impl ClientBuilder {
    /// Builds the client: resolves the endpoint and the credentials that need no network,
    /// loads the roots and sets up the connection pool. Sends nothing.
    pub fn build(self) -> Result<Client, Error> {
        let settings = self.settings;
        let endpoint = match &settings.endpoint {
            Some(e) => e.clone(),
            None => Endpoint::from_env()?,
        };
        let credentials = Provider::new(&settings)?;
        let transport = Transport::new(&settings, &endpoint)?;
        Ok(Client {
            inner: Arc::new(Inner {
                settings,
                endpoint,
                credentials,
                transport,
                clock_offset_ms: AtomicI64::new(0),
            }),
        })
    }
}

impl Client {
    /// A builder with every default (see [`ClientBuilder`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client with every default: credentials and endpoint from the environment, the
    /// configuration file or the metadata service.
    pub fn from_env() -> Result<Client, Error> {
        Self::builder().build()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The offset (milliseconds) added to the clock after a gateway reported clock skew.
    pub fn clock_offset_ms(&self) -> i64 {
        self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(self.inner.settings.clock.now())
            .offset_by(self.clock_offset_ms())
    }

    /// Sends `operation` and parses its answer.
    ///
    /// Each attempt is signed afresh. Failed attempts are retried as
    /// [`RetryPolicy::decide`](pca_core::RetryPolicy::decide) rules: an issuing operation is
    /// never sent twice once it may have left. When the gateway refuses a request for clock
    /// skew, the measured offset is kept for later calls, and an idempotent request is
    /// re-signed and sent once more.
    pub fn send<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let info = O::INFO;
        let span = tracing::info_span!(
            "pca_call",
            operation = info.name,
            method = %info.method,
            path = Empty,
            status = Empty,
            attempt = Empty,
            elapsed_ms = Empty,
        );
        let _entered = span.enter();
        let policy = self.inner.settings.retry_policy;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut resigned = false;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let signed_at = self.now();
            let credentials = self.inner.credentials.get(signed_at)?;
            let request = operation.build_request(&self.inner.endpoint, &credentials, signed_at)?;
            drop(credentials);
            if attempt == 1 {
                span.record("path", request.uri().path());
            }
            let result = self.inner.transport.exchange(request);
            let elapsed = started.elapsed();
            span.record(
                "elapsed_ms",
                u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            );
            let policy_attempt = attempt - u32::from(resigned);
            let (decision, error) = match result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    let err = match O::parse_response(&response, signed_at) {
                        Ok(output) => {
                            tracing::debug!("answered");
                            return Ok(output);
                        }
                        Err(err) => err,
                    };
                    if let pca_core::Error::ClockSkew { skew, .. } = &err {
                        self.inner
                            .clock_offset_ms
                            .fetch_add(skew.offset_ms, Ordering::Relaxed);
                        if info.safety.is_idempotent() && !resigned {
                            resigned = true;
                            tracing::warn!(
                                offset_ms = skew.offset_ms,
                                "clock skew reported by the gateway; re-signing with the measured offset"
                            );
                            continue;
                        }
                        return Err(err.into());
                    }
                    let decision = policy.decide(
                        info.safety,
                        Outcome::Answered(&err),
                        policy_attempt,
                        elapsed,
                        self.now(),
                        rand::random::<f64>(),
                    );
                    (decision, Error::Core(err))
                }
                Err(failure) => {
                    let decision =
                        if matches!(failure.kind(), TransportErrorKind::BodyTooLarge { .. }) {
                            Decision::Stop(pca_core::StopReason::NotRetryable)
                        } else {
                            let outcome = if failure.may_have_been_sent() {
                                Outcome::MaybeSent
                            } else {
                                Outcome::NotSent
                            };
                            policy.decide(
                                info.safety,
                                outcome,
                                policy_attempt,
                                elapsed,
                                self.now(),
                                rand::random::<f64>(),
                            )
                        };
                    (
                        decision,
                        Error::Transport(failure.in_operation(&info, attempt)),
                    )
                }
            };
            match decision {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(error = %error, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "attempt failed; retrying");
                    std::thread::sleep(wait);
                }
                Decision::Stop(reason) => {
                    tracing::debug!(?reason, error = %error, "giving up");
                    return Err(error);
                }
            }
        }
    }
}

macro_rules! typed_methods {
    ($(($method:ident, $ty:path, $doc:literal)),* $(,)?) => {
        /// One method per operation, generated from [`pca_core::for_each_operation`].
        impl Client {
            $(
                #[doc = concat!("Sends a **", $doc, "** request and parses its answer ([`Client::send`]).")]
                pub fn $method(
                    &self,
                    operation: &$ty,
                ) -> Result<<$ty as Operation>::Output, Error> {
                    self.send(operation)
                }
            )*
        }
    };
}

pca_core::for_each_operation!(typed_methods);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_clone_send_sync() {
        fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
        clone_send_sync::<Client>();
    }
}
