//! Sans-IO core of a client for NAVER Cloud Platform's Private CA API.
//!
//! Every one of the 24 operations is a typed value (module [`operations`]) that is checked when
//! it is built, turns into a signed `http::Request<Vec<u8>>` ([`Operation::build_request`]) and
//! parses its `http::Response<Vec<u8>>` ([`Operation::parse_response`]). This crate opens no
//! socket, spawns no thread, never sleeps and never reads the clock: the signing time is an
//! argument. The transports `pca-blocking` and `pca-async` send the bytes.
//!
//! ```
//! use pca_core::{Credentials, Endpoint, Operation, Period, Timestamp};
//! use pca_core::operations::SignSubCsr;
//!
//! # let csr = include_str!("../tests/data/sub-ca.csr.pem");
//! let op = SignSubCsr::new("12345678-abcdefg", Period::days(1825)?, csr)?;
//! let credentials = Credentials::new("my-access-key", "my-secret-key")?;
//! let request = op.build_request(
//!     &Endpoint::default(),
//!     &credentials,
//!     Timestamp::from_unix_millis(1_700_000_000_000),
//! )?;
//! assert_eq!(request.uri(), "https://pca.apigw.ntruss.com/api/v1/ca/12345678-abcdefg/sub/sign");
//! assert!(request.headers().contains_key("x-ncp-apigw-signature-v2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Around the signing operations: [`answer`] checks a signing answer against its request
//! ([`Operation::check_answer`], which the clients call), [`recovery`] finds the certificate a
//! cut-off signing issued without sending it again, and [`renewal`] decides when a certificate
//! is due for renewal.
//!
//! Features: `x509` (default) checks the DER of CSR and certificate inputs and gives an X.509
//! view of returned certificates ([`CertificateInfo`]), and brings the answer checks and the
//! recovery search (certificates read by the `x509` module on `der`, signatures verified with
//! `ring` through `rustls-webpki`); without it only PEM framing is checked and answers are not
//! checked.
//! `p521` (off by default, implies `x509`) makes the answer checks verify ECDSA signatures by
//! P-521 keys, which `ring` lacks, with RustCrypto's pure-Rust `p521` crate; without it, a link
//! whose issuer key is P-521 is checked by its names only.
//!
//! Dependencies are kept few: without default features this crate builds 32 crates (itself
//! included), all of them small and widely used (serde, http, RustCrypto's hmac/sha2, pem).
//! The configuration file `~/.ncloud/configure` is read by a small parser of the INI subset
//! that `ncloud configure` writes ([`ConfigFile::parse`]), not by a general INI crate, which
//! alone would add ten crates; configuration-file reading is therefore always available.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod answer;
mod chain;
pub mod codes;
pub mod credentials;
pub mod endpoint;
pub mod error;
mod lenient;
mod model;
mod operation;
pub mod operations;
#[cfg(feature = "x509")]
mod p521;
mod pem_text;
#[cfg(feature = "x509")]
pub mod recovery;
pub mod renewal;
mod response;
pub mod retry;
pub mod server_role;
pub mod signing;
pub mod types;
#[cfg(feature = "x509")]
pub mod x509;

pub use answer::{AnswerMismatch, Mismatch};
pub use codes::{GatewayErrorCode, ServiceCode};
pub use credentials::{ConfigFile, Credentials, SecretKey};
pub use endpoint::{Endpoint, Site};
pub use error::{
    ApiError, ApiErrorKind, ClockSkew, CredentialsError, DecodeError, EndpointError, Error,
    InvalidInput, RawBody,
};
pub use lenient::ServerTime;
pub use model::{
    Ca, CaCertInfo, CaChain, CaInfo, CaList, CaState, CaUser, Crl, CrlConfig, EndCertList,
    EndCertificate, IssuedCertificate, PrivateKeyPem, SignedCertificate, SubCsr, UrlInfo,
};
pub use operation::{Data, DataError, Operation, OperationInfo, Safety};
pub use response::{MAX_CLOCK_SKEW_MS, clock_skew};
pub use retry::{Decision, Outcome, RetryPolicy, StopReason};
pub use signing::Timestamp;
pub use types::{
    Alias, CaStatus, CaTag, CaType, CrlExpiry, IdNo, KeyType, Period, SerialNo, X509Parameters,
};
#[cfg(feature = "x509")]
pub use x509::{CertificateInfo, CertificateParseError};

/// Not part of the public API: what the sibling crates of this workspace (the clients, the
/// emulator, `pca`, the tests and fuzz targets) share with this one. Anything here may change
/// or go in any release, without notice; do not use it from other crates.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::join_pem;
    pub use crate::operation::build_request;

    /// PEM framing, tidying and normalisation of the service's PEM fields.
    pub mod pem_text {
        pub use crate::pem_text::*;
    }
    pub use crate::response::{decode_success, parse};

    /// Signature verification of ECDSA with P-521 keys (which `ring` lacks), in the form
    /// `rustls-webpki` takes: give these next to `webpki::ALL_VERIFICATION_ALGS`.
    #[cfg(feature = "p521")]
    pub use crate::p521::ALGORITHMS as P521_VERIFICATION_ALGS;

    /// This crate's version.
    pub const VERSION: &str = env!("CARGO_PKG_VERSION");
}
