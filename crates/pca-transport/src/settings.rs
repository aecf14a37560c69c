//! The builder's settings and their defaults, the same in `pca-blocking` and `pca-async`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pca_core::{Credentials, Endpoint, RetryPolicy};

use crate::clock::{Clock, SystemClock};

/// Default connect timeout (TCP connect, proxy tunnel and TLS handshake): 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline of one call, from its start to its answer, retries and waits included:
/// 60 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default timeout of one attempt, from connecting to the last byte of the answer: 30 seconds.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on an answer's body: 4 MiB (a CA list or a CRL is far smaller).
pub const DEFAULT_MAX_RESPONSE_BODY: u64 = 4 * 1024 * 1024;
/// Default user agent: `pca-rs/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("pca-rs/", env!("CARGO_PKG_VERSION"));
/// How long before their `Expiration` server-role credentials are fetched again: 5 minutes.
pub const CREDENTIALS_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Timeout of one request to the metadata service (connect and answer): 2 seconds.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(2);

/// Which proxy to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProxySetting {
    /// `HTTPS_PROXY` / `https_proxy` / `ALL_PROXY`, minus `NO_PROXY` (the default).
    FromEnv,
    /// No proxy at all.
    Disabled,
    /// This proxy URL, minus the given `NO_PROXY`-style list.
    Explicit { url: String, no_proxy: String },
}

/// Where credentials come from.
#[derive(Clone)]
pub(crate) enum CredentialsSetting {
    /// Given explicitly.
    Explicit(Credentials),
    /// The chain: environment, configuration file (optionally a named profile), then the
    /// metadata service when allowed.
    Chain {
        profile: Option<String>,
        metadata_service: bool,
    },
    /// Only the metadata service, for this role (or the first role it lists).
    ServerRole(Option<String>),
}

/// Every setting of a client; see the builder's methods for what each means.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) credentials: CredentialsSetting,
    pub(crate) metadata_base_url: String,
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) call_deadline: Option<Instant>,
    pub(crate) max_response_body: u64,
    pub(crate) user_agent: String,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) proxy: ProxySetting,
    pub(crate) extra_roots_pem: Vec<Vec<u8>>,
    pub(crate) webpki_roots: bool,
    pub(crate) native_roots: bool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) answer_checks: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            credentials: CredentialsSetting::Chain {
                profile: None,
                metadata_service: true,
            },
            metadata_base_url: pca_core::server_role::METADATA_BASE_URL.to_owned(),
            endpoint: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            call_deadline: None,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry_policy: RetryPolicy::new(),
            answer_checks: true,
            proxy: ProxySetting::FromEnv,
            extra_roots_pem: Vec::new(),
            webpki_roots: true,
            native_roots: false,
            clock: Arc::new(SystemClock),
        }
    }
}

/// `true` when `host` is matched by a `NO_PROXY`-style list (`*`, `host`, `.suffix`,
/// `*.suffix`, comma or space separated; a bare `host` also matches its subdomains, as curl
/// does).
pub(crate) fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let e = entry.to_ascii_lowercase();
            let e = e.split(':').next().unwrap_or("");
            if e == "*" {
                return true;
            }
            let bare = e.trim_start_matches("*.").trim_start_matches('.');
            host == bare || host.ends_with(&format!(".{bare}"))
        })
}

/// `true` for `localhost` and loopback addresses: never proxied.
pub(crate) fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The proxy URL to use for `host`, under `setting` (`env` reads the environment).
pub(crate) fn proxy_for(
    setting: &ProxySetting,
    host: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if is_loopback(host) {
        return None;
    }
    let first = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
    };
    match setting {
        ProxySetting::Disabled => None,
        ProxySetting::Explicit { url, no_proxy } => {
            (!no_proxy_matches(no_proxy, host)).then(|| url.clone())
        }
        ProxySetting::FromEnv => {
            let url = first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])?;
            let no_proxy = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
            (!no_proxy_matches(&no_proxy, host)).then_some(url)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_lists() {
        assert!(no_proxy_matches("*", "pca.apigw.ntruss.com"));
        assert!(no_proxy_matches(
            "a.com, .ntruss.com",
            "pca.apigw.ntruss.com"
        ));
        assert!(no_proxy_matches("ntruss.com", "pca.apigw.ntruss.com"));
        assert!(!no_proxy_matches("gov-ntruss.com", "pca.apigw.ntruss.com"));
        assert!(!no_proxy_matches("", "pca.apigw.ntruss.com"));
    }

    #[test]
    fn proxy_choice() {
        let env = |n: &str| match n {
            "HTTPS_PROXY" => Some("http://proxy.internal:3128".to_owned()),
            "NO_PROXY" => Some(".gov-ntruss.com".to_owned()),
            _ => None,
        };
        let s = ProxySetting::FromEnv;
        assert_eq!(
            proxy_for(&s, "pca.apigw.ntruss.com", &env).as_deref(),
            Some("http://proxy.internal:3128")
        );
        assert_eq!(proxy_for(&s, "privateca.apigw.gov-ntruss.com", &env), None);
        assert_eq!(proxy_for(&s, "127.0.0.1", &env), None);
        assert_eq!(proxy_for(&ProxySetting::Disabled, "x.com", &env), None);
    }
}
