//! Exit codes and the one error type of the command line.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | local failure: a file could not be read or written, the embedded emulator did not start |
//! | 2 | usage error or invalid input; nothing was sent |
//! | 3 | credentials, profile or endpoint unusable; nothing was sent |
//! | 4 | the API refused the request |
//! | 5 | transport failure; the message says whether the request may have been sent |
//! | 6 | verification failed |
//! | 7 | the server's answer could not be understood |
//! | 8 | the service issued a certificate that does not match the request; nothing was written |

use std::fmt;

/// Why `pca` stopped; each kind has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Exit 1: a local failure (files, the embedded emulator).
    Local,
    /// Exit 2: bad usage or invalid input; nothing was sent.
    Usage,
    /// Exit 3: credentials, profile or endpoint unusable; nothing was sent.
    Config,
    /// Exit 4: the API gateway or the service refused.
    Refused,
    /// Exit 5: the transport failed.
    Transport,
    /// Exit 6: a verification failed.
    Verify,
    /// Exit 7: an answer that could not be understood.
    BadAnswer,
    /// Exit 8: a signing answer that does not match its request (the service did issue a
    /// certificate; nothing was written).
    Mismatch,
}

impl Kind {
    /// The process exit code.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Kind::Local => 1,
            Kind::Usage => 2,
            Kind::Config => 3,
            Kind::Refused => 4,
            Kind::Transport => 5,
            Kind::Verify => 6,
            Kind::BadAnswer => 7,
            Kind::Mismatch => 8,
        }
    }

    /// A stable name for JSON error documents.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Kind::Local => "local-failure",
            Kind::Usage => "invalid-input",
            Kind::Config => "configuration",
            Kind::Refused => "api-refused",
            Kind::Transport => "transport",
            Kind::Verify => "verification-failed",
            Kind::BadAnswer => "bad-answer",
            Kind::Mismatch => "answer-mismatch",
        }
    }
}

/// A failure: its kind (exit code), a message, and hints on what to do.
#[derive(Debug, Clone)]
pub(crate) struct CliError {
    pub(crate) kind: Kind,
    pub(crate) message: String,
    pub(crate) hints: Vec<String>,
    /// Extra JSON fields for the error document (e.g. the service's code).
    pub(crate) details: serde_json::Map<String, serde_json::Value>,
}

impl CliError {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
            hints: Vec::new(),
            details: serde_json::Map::new(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self::new(Kind::Local, message)
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub(crate) fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// The JSON error document.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut error = serde_json::Map::new();
        error.insert("kind".into(), self.kind.name().into());
        error.insert("exitCode".into(), self.kind.code().into());
        error.insert("message".into(), self.message.clone().into());
        if !self.hints.is_empty() {
            error.insert("hints".into(), self.hints.clone().into());
        }
        for (k, v) in &self.details {
            error.insert(k.clone(), v.clone());
        }
        serde_json::json!({ "error": error })
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<pca_core::InvalidInput> for CliError {
    fn from(e: pca_core::InvalidInput) -> Self {
        CliError::usage(format!("invalid input, nothing was sent: {e}"))
    }
}

impl From<pca_core::CredentialsError> for CliError {
    fn from(e: pca_core::CredentialsError) -> Self {
        CliError::new(
            Kind::Config,
            format!("no usable credentials, nothing was sent: {e}"),
        )
        .hint("set NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY, or write ~/.ncloud/configure (see `pca --help`), or use --local")
    }
}

impl From<pca_core::EndpointError> for CliError {
    fn from(e: pca_core::EndpointError) -> Self {
        CliError::new(
            Kind::Config,
            format!("unusable endpoint, nothing was sent: {e}"),
        )
    }
}

impl From<pca_core::Error> for CliError {
    fn from(e: pca_core::Error) -> Self {
        use pca_core::Error as E;
        let mut err = match &e {
            E::InvalidInput(i) => return i.clone().into(),
            E::Credentials(c) => return c.clone().into(),
            E::Endpoint(p) => return p.clone().into(),
            E::Api(_) | E::ClockSkew { .. } => CliError::new(Kind::Refused, e.to_string()),
            E::AnswerMismatch(m) => return mismatch(m),
            _ => CliError::new(Kind::BadAnswer, e.to_string()),
        };
        if let Some(api) = e.api_error() {
            err = err.detail("httpStatus", api.status.as_u16());
            if let Some(code) = api.service_code() {
                err = err.detail("serviceCode", code.as_str());
            }
            if let Some(code) = api.gateway_code() {
                err = err.detail("gatewayCode", code.as_str());
            }
            err = err.detail("apiMessage", api.message());
        }
        if matches!(e, E::ClockSkew { .. }) {
            err = err.hint("correct the local clock (the gateway accepts 5 minutes of difference)");
        }
        err
    }
}

/// A signing answer that does not match its request: exit 8, the serial to revoke.
fn mismatch(m: &pca_core::AnswerMismatch) -> CliError {
    let serial = m.serial.as_deref().unwrap_or("SERIAL");
    let mut err = CliError::new(Kind::Mismatch, m.to_string())
        .detail("caTag", m.ca_tag.as_str())
        .detail("operation", m.operation)
        .detail("mismatch", m.problem.to_string())
        .hint("nothing was written: the certificate the service returned was not used")
        .hint(format!(
            "revoke it: `pca cert revoke {} {serial}`, then try again (and report the answer to the service's operator)",
            m.ca_tag
        ));
    if let Some(s) = &m.serial {
        err = err.detail("serialNo", s.as_str());
    }
    err
}

/// Shorthand for results of commands.
pub(crate) type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_exit_code() {
        let kinds = [
            Kind::Local,
            Kind::Usage,
            Kind::Config,
            Kind::Refused,
            Kind::Transport,
            Kind::Verify,
            Kind::BadAnswer,
            Kind::Mismatch,
        ];
        let mut codes: Vec<u8> = kinds.iter().map(|k| k.code()).collect();
        codes.dedup();
        assert_eq!(codes, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn core_errors_map_to_their_kinds() {
        let invalid: CliError = pca_core::Error::from(pca_core::InvalidInput::PageNo).into();
        assert_eq!(invalid.kind, Kind::Usage);
        let creds: CliError =
            pca_core::Error::from(pca_core::CredentialsError::NotFound { tried: vec![] }).into();
        assert_eq!(creds.kind, Kind::Config);
        let endpoint: CliError = pca_core::EndpointError::UnknownSite { site: "x".into() }.into();
        assert_eq!(endpoint.kind, Kind::Config);
        let json = invalid.to_json();
        assert_eq!(json["error"]["exitCode"], 2);
        assert_eq!(json["error"]["kind"], "invalid-input");
    }
}
