//! A local NAVER Cloud Platform Private CA: a real HTTP server that answers the 24 Private CA
//! operations as the service documents them, with real keys and real X.509 certificates, behind
//! a gateway that checks signature v2 like NAVER's API gateway does.
//!
//! ```no_run
//! use pca_emulator::Emulator;
//!
//! let emulator = Emulator::builder()
//!     .credentials("my-access-key", "my-secret-key")
//!     .start()?; // its own runtime on a background thread; `spawn().await` inside tokio
//! println!("{}", emulator.base_url()); // http://127.0.0.1:PORT, the API is below /api/v1
//! // … point a client at emulator.endpoint() with emulator.credentials() …
//! drop(emulator); // stops the server
//! # Ok::<(), pca_emulator::StartError>(())
//! ```
//!
//! # Gateway
//!
//! Every request passes, in this order:
//!
//! | check | refusal |
//! |---|---|
//! | `Content-Length` above the body limit (default 64 KiB), or a longer body | 413, errorCode `430` Request Entity Too Large |
//! | a `Content-Length` that is not a number, an unreadable body, a query that is not UTF-8 once percent-decoded (checked after the signature) | 400, errorCode `100` Bad Request Exception |
//! | a path or method the API does not have (including paths without `/api/v1`) | 404, errorCode `300` Not Found Exception |
//! | missing `x-ncp-apigw-timestamp`, `x-ncp-iam-access-key` or signature header | 401, errorCode `200` Authentication Failed |
//! | timestamp not epoch milliseconds, or more than 5 minutes (configurable) from the emulator's clock | 401, errorCode `200` |
//! | unknown access key, or a signature that does not match (checked in constant time) | 401, errorCode `200` |
//!
//! The signature is HMAC-SHA256 over `METHOD path?query\ntimestamp\naccessKey` with the path and
//! query exactly as received, checked with `pca_core::signing`. It is read from
//! `x-ncp-apigw-signature-v2`, or from `x-ncp-apigw-signature-v1` (the header name NAVER's Go
//! client uses for the same value). Gateway refusals have the body
//! `{"error":{"errorCode":"…","message":"…","details":"…"}}` and the header
//! `x-ncp-apigw-response-origin: APIGW`. The `details` never contain keys or signatures.
//!
//! # Connections
//!
//! HTTP/1.1 with keep-alive. A request's head must arrive within the request timeout
//! ([`EmulatorBuilder::request_timeout`], `--request-timeout`, default 30 s) of the
//! connection's opening or its previous answer, else the connection is closed; its body within
//! the request timeout of its head, else it is answered 400 (errorCode `100`) and the
//! connection closed. A keep-alive connection without a request for the idle timeout
//! (`--idle-timeout`, default 30 s) is closed. At most [`DEFAULT_MAX_CONNECTIONS`] connections
//! are open at once (`--max-connections`); more are closed as soon as they are accepted, so
//! that slow or stalled clients cannot take every descriptor. Accept errors (such as EMFILE)
//! pause accepting for a short, growing back-off (5 ms to 0.5 s) and log one line per burst.
//!
//! # Service answers
//!
//! Successes are `{"code":"SUCCESS","msg":"Success","data":…}` with HTTP 200. Refusals carry a
//! code of the service's enum (`pca_core::ServiceCode`) in the same envelope, with `data: null`
//! and this HTTP status (NAVER does not publish the real mapping; this is the emulator's choice):
//!
//! | HTTP | codes |
//! |---|---|
//! | 400 | every `EMPTY_*`, `INVALID_INPUT*`, `INVALID_X509_*`, `INVAILD_*`, `EXCEED_COMMON_NAME`, `EXCEED_CA_ALIAS`, `EXCEED_EXPIRY_DATE`, `INVALID_PATH`, `INVALID_REQUEST`, `INVALID_CERT`, `INVALID_CA`, `INVALID_ISSUER_CA`, and any other code not listed below |
//! | 401 | `UNAUTHORIZED`, `INVAILD_ACCESS_TOKEN`, `EMPTY_ACCESS_TOKEN`, `EMPTY_AUTH_TOKEN` |
//! | 403 | `FORBIDDEN`, `NOT_AUTHORIZED_REQUEST`, `NOT_AUTHORIZED_ACTION` |
//! | 404 | `NOT_FOUND`, `NOT_EXIST_CASTORE`, `NOT_EXIST_ISSUER_CA`, `NOT_EXIST_POLICY` |
//! | 409 | `INVALID_CA_STATUS`, `INVALID_STATUS`, `INVALID_CASTORE_STATUS`, `INVALID_ACTION`, `INVALID_USER`, `ALREADY_EXIST_*` |
//! | 422 | `UNPROCESSABLE_ENTITY` (more than the CA limit), `EXCEED_SIGNING_COUNT` (more than the certificate limit) |
//! | 500 | `INTERNAL_SERVER_ERROR`, `FAIL_*` |
//!
//! Which code each refusal uses: malformed JSON or a body that is not an object →
//! `INVALID_REQUEST`; a field of the wrong type → `INVALID_INPUT`; a missing field → its
//! `EMPTY_*` code (`EMPTY_CSR`, `EMPTY_CA_ALIAS`, `EMPTY_KEY_TYPE`, `EMPTY_CA_TTL` for a missing
//! period, `EMPTY_X509_PARAMETERS`, `EMPTY_COMMON_NAME`, `EMPTY_STATUS`, `EMPTY_CERT`,
//! `EMPTY_ID_NO`, `EMPTY_CA_TYPE`); a bad period → `INVALID_INPUT_PERIOD`; a bad key type or a
//! CSR key that is not accepted → `INVALID_X509_KEY_TYPE`; a `caTag` path segment that is not a
//! valid tag → `INVALID_PATH`; a well-formed tag no CA has → `NOT_FOUND`; a bad serial number →
//! `INVALID_INPUT_SERIAL_NO`; a bad `pageNo` → `INVALID_INPUT_PAGENUMBBER`; a CA in the wrong
//! status for the operation → `INVALID_CA_STATUS`; an alias in use → `ALREADY_EXIST_ALIAS`.
//!
//! # Behaviour
//!
//! - **CAs**: a root (`caType=PRIVATE_ROOT`) is self-signed and `ACTIVE`. A sub CA with
//!   `issuerTag` is signed at once by that CA (which must be `ACTIVE`); without it the sub CA
//!   is `PENDING`: Get Sub CSR gives its CSR, any CA (here or elsewhere) signs it, and Activate
//!   Sub CA installs the certificate (it must certify the CA's own key, be a CA certificate, and
//!   be signed by a certificate of `caChainPem`). Key types `RSA2048`, `RSA4096`, `EC256`,
//!   `EC521`. `period` is days (1 to 3650) or `MAX`; `MAX` is 3650 days for a root and the
//!   issuer's end of validity otherwise; every certificate's validity is clamped to its issuer's.
//! - **Status**: Update CA moves `ACTIVE` ⇄ `DEACTIVATED`, any status to `DESTROYING`, and
//!   `DESTROYING` back to `ACTIVE` (cancel). Only an `ACTIVE` CA signs anything (certificates
//!   and CRLs). Delete CA is accepted only from `DESTROYING`, and deletes the CAs signed here by
//!   that CA too; a `DESTROYING` CA is deleted by itself 72 hours after it was scheduled.
//! - **Certificates**: Sign Sub CSR makes a CA certificate (basicConstraints CA:TRUE critical,
//!   keyCertSign + cRLSign + digitalSignature, subject and authority key identifiers) from the
//!   CSR's public key and subject; Sign End CSR and Issue End Cert make end-entity certificates
//!   (CA:FALSE, digitalSignature, keyEncipherment for RSA keys, serverAuth + clientAuth, the
//!   CSR's or `x509Parameters`' SANs). CSRs are verified and may
//!   hold RSA (2048 to 8192 bits), EC P-256 or P-384, or Ed25519 keys. Serial numbers are 20
//!   random octets, shown colon-separated. Sign End CSR with an explicit period longer than the
//!   CA's remaining validity is refused with `EXCEED_EXPIRY_DATE`; without a period it is 365
//!   days (clamped), as for Issue End Cert, whose default key type is `RSA2048`.
//! - **Lists**: Get CA List and Get End Cert List return pages of **20** entries (configurable
//!   with [`EmulatorBuilder::page_size`]), `pageNo` from 1; a page past the end is empty.
//!   Get End Cert List lists every certificate the CA signed, sub-CA certificates included.
//! - **CRL**: Get CA CRL returns a PEM `X509 CRL` signed by the CA, listing revoked serials; it
//!   is reissued on every revocation, Rotate CRL, Trim CA and Update CRL Config, and when it
//!   expires. Its validity is the CRL expiry config (default 3 days, 3 to 3650, not past the CA
//!   certificate: else `EXCEED_EXPIRY_DATE`). Trim CA drops revoked certificates that have
//!   expired.
//! - **OCSP**: Create OCSP stores the URL (any absolute http(s) URL; the emulator's own
//!   responder is `{public-url}/ext/{caTag}/ocsp`); certificates signed afterwards carry it in
//!   their Authority Information Access extension and answers show it as `ocspResponder`;
//!   Delete OCSP removes it for later certificates.
//! - **Users**: Add CA User (36-character `idNo`), Get CA User List, Delete CA User.
//! - **Limits**: 10 CAs and 30,000 certificates per CA (configurable), as documented.
//! - **Accounts**: every configured access key sees the same CAs.
//!
//! # PKI URLs
//!
//! Certificates a CA here signs carry a CRL distribution point `{public-url}/ext/{caTag}/crl`
//! and an AIA caIssuers URL `{public-url}/ext/{caTag}/ca` ([`EmulatorBuilder::public_url`],
//! `--public-url`, default `http://` and the listening address), plus the AIA OCSP URL once
//! Create OCSP set one; `urlInfo.crl`, `urlInfo.ca` and `urlInfo.ocsp` list them. These public
//! endpoints, in the path shape of NCP's documented OCSP URL, need no gateway signature:
//!
//! | request | answer |
//! |---|---|
//! | `GET /ext/{caTag}/crl` | the CA's current CRL (reissued when expired), DER, `application/pkix-crl` |
//! | `GET /ext/{caTag}/ca` | the CA certificate, DER, `application/pkix-cert` |
//! | `POST /ext/{caTag}/ocsp`, `GET /ext/{caTag}/ocsp/{base64 request}` | RFC 6960, `application/ocsp-response` |
//!
//! The OCSP responder answers each certificate id `good`, `revoked` (with the revocation
//! time) or `unknown` (a serial the CA did not issue, or another issuer), signed by the CA key
//! itself (responder id by key hash, SHA-1 or SHA-256 certificate ids), `nextUpdate` at the
//! CRL validity, and echoes the request's nonce. A request that does not decode gets
//! `malformedRequest`; an unknown CA, `unauthorized`. The ASN.1 is RustCrypto's `x509-ocsp`,
//! `x509-cert` and `der`: maintained, pure Rust, DER-strict typed structures of the RFC's
//! modules, so no DER is written by hand (certificates and CRLs stay with `rcgen`).
//!
//! # Documented choices
//!
//! Where NAVER's references disagree, or say nothing, the emulator does this:
//!
//! - **Numbers**: every field the reference types Long is a JSON number: `caId`, `caCertId`,
//!   `signingCount`, `rgstDate`, `notBeforeDate`, `notAfterDate`, `totalCnt`, `totalPageNo`,
//!   `currentPageNo`. `statusUpdateDate` and `destroyDate` ("String (timestamp)" in the
//!   reference, numbers in the swagger and the old Update CA page) are numbers too (epoch
//!   milliseconds; `destroyDate` is `null` unless deletion is scheduled).
//! - **`mbrNo`** (Get CA User List): Long in the reference, String in NAVER's generated client;
//!   sent as a string of digits, which that client decodes.
//! - **`expiry`** (Get/Update CRL Config): a string of days, as documented.
//! - **Update CA** answers as the current reference: `data.caInfo`, `data.caCertInfo` and
//!   `data.destroyDate` (the same value as `data.caInfo.destroyDate`).
//! - **`caChain`**: an array of PEM strings in Sign Sub CSR and Sign End CSR, one PEM string in
//!   Issue End Cert and Get End Cert, as each page documents.
//! - **Sign Sub CSR**: the CA certificate it signs is listed in the signing CA's Get End Cert
//!   List and readable with Get End Cert, like the end certificates it signs; its serial can be
//!   revoked with Revoke End Cert.
//! - **`signingCount`** counts every certificate the CA signed, sub-CA certificates included.
//! - **`ocspResponder`** is the OCSP URL (the reference says "OCSP URL"; the swagger's
//!   "responder certificate" is not followed), empty when the CA has none.
//! - **Page size** of the list operations: 20 (undocumented).
//!
//! # State
//!
//! In memory by default. With [`EmulatorBuilder::state_dir`] (`--state-dir DIR`) the state is
//! an SQLite database, `DIR/state.db` (bundled SQLite, WAL mode; mode 0600: it holds the CA
//! keys). Every request that changes something is one transaction, committed before its
//! answer is sent; a failed commit is answered with 500 `INTERNAL_SERVER_ERROR` and the change
//! is dropped. The service reads from an in-memory copy that is changed and committed under
//! one lock, so an answer never shows an uncommitted change; `sqlite3 DIR/state.db` can read
//! the tables (`settings`, `cas`, `certificates`, `revocations`, `users`) while it runs
//! without blocking it (WAL). A restart reads it all back: CAs, keys, certificates,
//! revocations, CRLs and their settings, users. One emulator process per directory.
//!
//! Durability ([`Durability`], `--sync`): `normal` (the default) survives a process killed at
//! any moment, `full` also survives a power loss (an fsync per commit); see BENCHMARKS.md for
//! the cost. The schema version is `PRAGMA user_version`; an older schema is migrated at
//! start. A file that is not a state database, a database of another application, a schema
//! newer than this version or a row this version could not have written stops the start with
//! an error naming the file. A directory in the JSON format of earlier versions (`state.json`,
//! `certs/`) is not imported: the start stops with a message saying to use an empty directory
//! (the emulator is a test tool; its state is cheap to remake).
//!
//! # Binary
//!
//! Built with the `cli` feature (`cargo install pca-emulator --features cli`; the library
//! alone needs neither `clap` nor `tracing-subscriber`).
//! `pca-emulator [--listen ADDR] --access-key K --secret-key S [--access-key K2 --secret-key S2 …]
//! [--state-dir DIR [--sync normal|full]] [--max-clock-skew SECONDS]
//! [--request-timeout SECONDS] [--idle-timeout SECONDS] [--max-connections N] [--public-url URL]` prints `listening on http://HOST:PORT` on stdout once it accepts
//! connections, logs to stderr with `tracing` (`RUST_LOG` filters), and stops on SIGINT or
//! SIGTERM.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod db;
mod ext;
mod gateway;
#[cfg(feature = "test-util")]
pub mod loopback;
mod ocsp;
mod pki;
mod server;
mod service;
mod store;

pub use db::Durability;
pub use server::{
    DEFAULT_ACCESS_KEY, DEFAULT_BODY_LIMIT, DEFAULT_IDLE_TIMEOUT, DEFAULT_LISTEN, DEFAULT_MAX_CAS,
    DEFAULT_MAX_CERTS_PER_CA, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_MAX_CONNECTIONS, DEFAULT_PAGE_SIZE,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_SECRET_KEY, Emulator, EmulatorBuilder, StartError,
};
pub use service::http_status;
