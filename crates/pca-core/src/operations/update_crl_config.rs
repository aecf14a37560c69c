//! Update CRL Config — `PUT /api/v1/ca/{caTag}/crl/config`: sets the CRL renewal period.
//!
//! Body: `{"expiry": "<days>"}`, at least 3 days.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::model::CrlConfig;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::types::{CaTag, CrlExpiry};

/// Update CRL Config: sets how many days each CRL of the CA `ca_tag` is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateCrlConfig {
    ca_tag: CaTag,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Body {
    expiry: String,
}

impl UpdateCrlConfig {
    /// Sets the CRL expiry of the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>, expiry: CrlExpiry) -> Result<Self, InvalidInput> {
        Ok(UpdateCrlConfig {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            body: Body {
                expiry: expiry.get().to_string(),
            },
        })
    }
}

impl Operation for UpdateCrlConfig {
    type Output = CrlConfig;
    const INFO: OperationInfo = OperationInfo {
        name: "Update CRL Config",
        method: http::Method::PUT,
        path_template: "/ca/{caTag}/crl/config",
        safety: Safety::Idempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/crl/config", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<CrlConfig, DataError> {
        data.decode_or_default()
    }
}
