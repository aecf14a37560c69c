//! [`client_methods!`](crate::client_methods): the methods both clients have in the same
//! words — the constructors, the accessors, and the typed method of every operation — written
//! once.

/// Implements on a transport's client type the methods that do not depend on the transport:
/// `builder()`, `from_env()`, `endpoint()`, `clock_offset_ms()`, and one typed method per
/// operation of [`pca_core::for_each_operation!`] (`client.sign_sub_csr(&op)`), each calling
/// the client's generic `send`.
///
/// `client_methods!(blocking Client)` writes the typed methods as `fn`s;
/// `client_methods!(async Client)` writes them as `async fn`s that `.await` `send`. It also
/// implements [`FromConfig`](crate::FromConfig) (building the [`Shared`](crate::Shared)
/// state) and `Debug` (the state's, with no secret). The client type must implement
/// [`Client`](crate::Client) and have the public method
/// `fn send<O: Operation>(&self, &O) -> Result<O::Output, Error>` (or its `async` form); that
/// is the whole contract. A new operation added to `pca_core::for_each_operation!` appears in
/// both clients.
#[macro_export]
macro_rules! client_methods {
    (blocking $client:ident) => {
        $crate::client_methods!(@common $client);
        $crate::client_methods!(@recover $client [] []);
        $crate::client_methods!(@operations ($) $client [] []);
    };
    (async $client:ident) => {
        $crate::client_methods!(@common $client);
        $crate::client_methods!(@recover $client [async] [.await]);
        $crate::client_methods!(@operations ($) $client [async] [.await]);
    };
    (@recover $client:ident [$($async:tt)*] [$($await:tt)*]) => {
        /// Recovery of a cut-off signing (feature `x509`).
        #[cfg(feature = "x509")]
        impl $client {
            /// Looks through a CA's certificates for the one a cut-off signing call issued
            /// ([`pca_core::recovery`]), with Get End Cert List and Get End Cert only: the
            /// signing request is never sent again.
            ///
            /// Start `search` from the failed call's
            /// [`TransportError::sent_at`]($crate::TransportError::sent_at). A certificate
            /// that is found is answer-checked; one that fails the check ends in
            /// [`pca_core::Error::AnswerMismatch`]. A read that fails ends the search with
            /// its error.
            pub $($async)* fn recover(
                &self,
                mut search: $crate::pca_core::recovery::Recovery,
            ) -> ::core::result::Result<$crate::pca_core::recovery::Recovered, $crate::Error> {
                use $crate::pca_core::recovery::Step;
                loop {
                    match search.next_step() {
                        Step::List(op) => {
                            let list = self.send(&op) $($await)* ?;
                            search.listed(list);
                        }
                        Step::Get(op) => {
                            let cert = self.send(&op) $($await)* ?;
                            search.fetched(cert);
                        }
                        Step::Done(recovered) => return Ok(recovered),
                        Step::Mismatch(mismatch) => {
                            return Err($crate::Error::Core(mismatch.into()));
                        }
                    }
                }
            }
        }
    };
    (@common $client:ident) => {
        impl $crate::FromConfig for $client {
            fn from_config(
                config: $crate::Config,
            ) -> ::core::result::Result<Self, $crate::Error> {
                ::core::result::Result::Ok(<Self as $crate::Client>::from_shared(
                    $crate::Shared::new(config)?,
                ))
            }
        }

        /// The endpoint, the credentials (redacted), the limits, whether a proxy is used and
        /// the clock offset; never a secret.
        impl ::core::fmt::Debug for $client {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt($crate::Client::shared(self), f)
            }
        }

        impl $client {
            /// A builder with every default (see [`ClientBuilder`](pca_transport::ClientBuilder)).
            pub fn builder() -> $crate::ClientBuilder<$client> {
                $crate::ClientBuilder::new()
            }

            /// A client with every default: credentials and endpoint from the environment,
            /// the configuration file or the metadata service.
            pub fn from_env() -> ::core::result::Result<$client, $crate::Error> {
                Self::builder().build()
            }

            /// The endpoint requests go to.
            pub fn endpoint(&self) -> &$crate::pca_core::Endpoint {
                $crate::Client::shared(self).config().endpoint()
            }

            /// The offset (milliseconds) added to the clock after a gateway reported clock
            /// skew.
            pub fn clock_offset_ms(&self) -> i64 {
                $crate::Client::shared(self).config().clock_offset_ms()
            }
        }
    };
    (@operations ($d:tt) $client:ident [$($async:tt)*] [$($await:tt)*]) => {
        macro_rules! __pca_operation_methods {
            ($d(($d method:ident, $d ty:path, $d doc:literal)),* $d(,)?) => {
                /// One method per operation, generated from [`pca_core::for_each_operation`].
                impl $client {
                    $d(
                        #[doc = concat!("Sends a **", $d doc, "** request and parses its answer ([`", stringify!($client), "::send`]).")]
                        pub $($async)* fn $d method(
                            &self,
                            operation: &$d ty,
                        ) -> ::core::result::Result<
                            <$d ty as $crate::pca_core::Operation>::Output,
                            $crate::Error,
                        > {
                            self.send(operation) $($await)*
                        }
                    )*
                }
            };
        }
        $crate::pca_core::for_each_operation!(__pca_operation_methods);
    };
}
