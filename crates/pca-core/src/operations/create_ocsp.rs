//! Create OCSP — `PUT /api/v1/ca/{caTag}/urls`: puts an OCSP responder URL in the CA's
//! certificates from now on.
//!
//! Body: `{"ocsp_servers": "<URL>"}` (snake case, as documented). The documented value is the
//! service's own responder, `https://<host>/ext/<caTag>/ocsp`: [`CreateOcsp::service_responder`]
//! builds it for an endpoint.

use serde::Serialize;

use crate::endpoint::Endpoint;
use crate::error::InvalidInput;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::types::CaTag;

/// Create OCSP: sets the OCSP URL of the CA `ca_tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOcsp {
    ca_tag: CaTag,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Body {
    ocsp_servers: String,
}

impl CreateOcsp {
    /// Sets `url` as the OCSP responder of the CA `ca_tag`. The URL must be absolute `https://`
    /// (or `http://` to a loopback host, for local servers).
    pub fn new(ca_tag: impl AsRef<str>, url: impl AsRef<str>) -> Result<Self, InvalidInput> {
        let ca_tag = CaTag::new(ca_tag.as_ref())?;
        let url = url.as_ref();
        let bad = |reason| InvalidInput::OcspUrl {
            value: url.to_owned(),
            reason,
        };
        if url.is_empty() {
            return Err(bad("empty"));
        }
        if url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
        {
            return Err(bad("holds whitespace, a comma or a control character"));
        }
        Endpoint::parse(url).map_err(|_| bad("not an absolute https:// URL"))?;
        Ok(CreateOcsp {
            ca_tag,
            body: Body {
                ocsp_servers: url.to_owned(),
            },
        })
    }

    /// Sets the service's own responder for this CA (`https://<host>/ext/<caTag>/ocsp`).
    pub fn service_responder(
        ca_tag: impl AsRef<str>,
        endpoint: &Endpoint,
    ) -> Result<Self, InvalidInput> {
        let tag = CaTag::new(ca_tag.as_ref())?;
        let url = endpoint.ocsp_url(&tag);
        Self::new(tag.as_str(), url)
    }

    /// The URL that will be sent.
    pub fn url(&self) -> &str {
        &self.body.ocsp_servers
    }
}

impl Operation for CreateOcsp {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Create OCSP",
        method: http::Method::PUT,
        path_template: "/ca/{caTag}/urls",
        safety: Safety::Idempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/urls", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
