//! Where requests go: the documented sites, or an explicit base URL.
//!
//! | site | base URL |
//! |---|---|
//! | `public` | `https://pca.apigw.ntruss.com/api/v1` |
//! | `gov` | `https://privateca.apigw.gov-ntruss.com/api/v1` |
//!
//! The financial site has no documented Private CA host: give its URL explicitly.
//!
//! An explicit base URL whose path is empty or `/` gets the `/api/v1` prefix; a URL with a path
//! (for example `https://proxy.internal/pca/api/v1`) is used as the prefix as given. Plain
//! `http://` is accepted only for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`) unless
//! allowed explicitly with [`Endpoint::allow_insecure_http`].
//!
//! From the environment ([`Endpoint::from_env_vars`]): `NCLOUD_PCA_ENDPOINT` (a base URL, in the
//! `NCLOUD_<SERVICE>_ENDPOINT` style of NCP's Terraform provider) wins over `NCLOUD_SITE`
//! (`public` or `gov`); the default is `public`.

use std::fmt;
use std::net::IpAddr;

use http::Uri;
use http::uri::{Authority, Scheme};

use crate::error::EndpointError;

/// Environment variable holding an explicit base URL.
pub const ENDPOINT_ENV: &str = "NCLOUD_PCA_ENDPOINT";
/// Environment variable naming the site.
pub const SITE_ENV: &str = "NCLOUD_SITE";
/// The API prefix of every documented site.
pub const API_PREFIX: &str = "/api/v1";

/// A documented NCP site.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Site {
    /// The public (private-sector) site, `pca.apigw.ntruss.com`.
    #[default]
    Public,
    /// The government site, `privateca.apigw.gov-ntruss.com`.
    Gov,
}

impl Site {
    /// The site's host.
    pub const fn host(self) -> &'static str {
        match self {
            Site::Public => "pca.apigw.ntruss.com",
            Site::Gov => "privateca.apigw.gov-ntruss.com",
        }
    }

    /// The site's name as `NCLOUD_SITE` spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Site::Public => "public",
            Site::Gov => "gov",
        }
    }
}

impl std::str::FromStr for Site {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" | "pub" | "" => Ok(Site::Public),
            "gov" => Ok(Site::Gov),
            _ => Err(EndpointError::UnknownSite { site: s.to_owned() }),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A base URL requests are sent to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    scheme: Scheme,
    authority: Authority,
    prefix: String,
}

impl Endpoint {
    /// The endpoint of a documented site.
    pub fn site(site: Site) -> Self {
        Endpoint {
            scheme: Scheme::HTTPS,
            authority: Authority::from_static(site.host()),
            prefix: API_PREFIX.to_owned(),
        }
    }

    /// An explicit base URL (`https://…`, or `http://` to a loopback host).
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        Self::parse_with(url, false)
    }

    /// An explicit base URL, allowing plain `http://` to any host. Use only on networks you trust:
    /// the signature headers are readable on the wire.
    pub fn allow_insecure_http(url: &str) -> Result<Self, EndpointError> {
        Self::parse_with(url, true)
    }

    fn parse_with(url: &str, insecure_ok: bool) -> Result<Self, EndpointError> {
        // Errors show the URL without its user information: credentials never travel in
        // URLs, and a mistaken `https://key:secret@host` must not end up in a log.
        let shown = redact_user_info(url);
        let bad = |reason: &str| EndpointError::InvalidUrl {
            url: shown.clone(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let scheme = uri.scheme().cloned().ok_or_else(|| bad("no scheme"))?;
        let authority = uri.authority().cloned().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user information is not allowed"));
        }
        if authority.host().is_empty() {
            return Err(bad("no host"));
        }
        // `http` takes `host:anything` as an authority; only a number is a port.
        let after_host = &authority.as_str()[authority.as_str().rfind(']').unwrap_or(0)..];
        if after_host.contains(':') && authority.port_u16().is_none() {
            return Err(bad("the port is not a number from 0 to 65535"));
        }
        if url.contains('#') {
            return Err(bad("a base URL has no fragment"));
        }
        if uri.query().is_some() {
            return Err(bad("a base URL has no query"));
        }
        if scheme == Scheme::HTTP {
            if !insecure_ok && !is_loopback(authority.host()) {
                return Err(EndpointError::InsecureHttp { url: shown });
            }
        } else if scheme != Scheme::HTTPS {
            return Err(bad("the scheme must be https or http"));
        }
        let path = uri.path().trim_end_matches('/');
        let prefix = if path.is_empty() {
            API_PREFIX.to_owned()
        } else {
            path.to_owned()
        };
        Ok(Endpoint {
            scheme,
            authority,
            prefix,
        })
    }

    /// The endpoint the environment names: `NCLOUD_PCA_ENDPOINT`, else `NCLOUD_SITE`, else
    /// the public site.
    pub fn from_env_vars(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, EndpointError> {
        if let Some(url) = env(ENDPOINT_ENV).filter(|v| !v.trim().is_empty()) {
            return Self::parse(&url);
        }
        match env(SITE_ENV).filter(|v| !v.trim().is_empty()) {
            Some(site) => Ok(Self::site(site.parse()?)),
            None => Ok(Self::site(Site::Public)),
        }
    }

    /// [`Endpoint::from_env_vars`] over the process environment.
    pub fn from_env() -> Result<Self, EndpointError> {
        Self::from_env_vars(&|name| std::env::var(name).ok())
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        self.scheme.as_str()
    }

    /// Host and port.
    pub fn authority(&self) -> &str {
        self.authority.as_str()
    }

    /// The API prefix every operation path is appended to (`/api/v1` on the documented sites).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `true` for plain `http://`.
    pub fn is_plain_http(&self) -> bool {
        self.scheme == Scheme::HTTP
    }

    /// The request target (path and query) of an operation path such as `/ca/x/sub/sign`.
    pub fn request_target(&self, operation_path_and_query: &str) -> String {
        let mut s = String::with_capacity(self.prefix.len() + operation_path_and_query.len());
        s.push_str(&self.prefix);
        s.push_str(operation_path_and_query);
        s
    }

    /// The full URL of a request target built by [`Endpoint::request_target`].
    pub fn url(&self, request_target: &str) -> String {
        let mut s = String::with_capacity(
            self.scheme.as_str().len() + 3 + self.authority.as_str().len() + request_target.len(),
        );
        s.push_str(self.scheme.as_str());
        s.push_str("://");
        s.push_str(self.authority.as_str());
        s.push_str(request_target);
        s
    }

    /// The OCSP responder URL the service hands out for `ca_tag` on this host
    /// (`https://<host>/ext/<caTag>/ocsp`), the value Create OCSP expects.
    pub fn ocsp_url(&self, ca_tag: &crate::types::CaTag) -> String {
        format!(
            "{}://{}/ext/{}/ocsp",
            self.scheme.as_str(),
            self.authority.as_str(),
            ca_tag.as_str()
        )
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::site(Site::Public)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") || h.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `url` with any user information (`user:password@`) replaced by `***`, for messages. Works on
/// text that is not a valid URL too: everything from the start of the authority (after `://`,
/// or the start) to the last `@` is hidden, so that a password holding `/`, `?` or `#` does not
/// show either; hiding a little more of an odd URL is the safe side.
pub(crate) fn redact_user_info(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}
