//! Activate Sub CA — `POST /api/v1/ca/{caTag}/activate`: installs the certificate of a pending
//! sub CA signed elsewhere, with the signer's chain.
//!
//! Body: `{"certPem": "<PEM>", "caChainPem": "<PEM chain>"}`. Both are checked as X.509
//! certificates and sent in the API's PEM form.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::model::Ca;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::pem_text::{normalize_certificate, normalize_certificates};
use crate::types::CaTag;

/// Activate Sub CA: activates the pending sub CA `ca_tag` with its signed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivateSubCa {
    ca_tag: CaTag,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    cert_pem: String,
    ca_chain_pem: String,
}

impl ActivateSubCa {
    /// Activates the sub CA `ca_tag` with `cert_pem` (one certificate) and `ca_chain_pem` (the
    /// signer's chain: one or more certificates).
    pub fn new(
        ca_tag: impl AsRef<str>,
        cert_pem: impl AsRef<str>,
        ca_chain_pem: impl AsRef<str>,
    ) -> Result<Self, InvalidInput> {
        let ca_tag = CaTag::new(ca_tag.as_ref())?;
        let cert_pem = normalize_certificate("certPem", cert_pem.as_ref())?;
        let chain = normalize_certificates("caChainPem", ca_chain_pem.as_ref())?;
        Ok(ActivateSubCa {
            ca_tag,
            body: Body {
                cert_pem,
                ca_chain_pem: chain.join("\n"),
            },
        })
    }
}

impl Operation for ActivateSubCa {
    type Output = Ca;
    const INFO: OperationInfo = OperationInfo {
        name: "Activate Sub CA",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/activate",
        safety: Safety::NotIdempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/activate", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<Ca, DataError> {
        data.decode_or_default()
    }
}
