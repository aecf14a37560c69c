//! Add CA User — `POST /api/v1/ca/{caTag}/users`: gives a sub account rights on the CA.
//!
//! Body: `{"idNo": "<36-character sub-account ID>"}`.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::types::{CaTag, IdNo};

/// Add CA User: gives the sub account `id_no` rights on the CA `ca_tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCaUser {
    ca_tag: CaTag,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    id_no: String,
}

impl AddCaUser {
    /// Adds sub account `id_no` to the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>, id_no: impl AsRef<str>) -> Result<Self, InvalidInput> {
        Ok(AddCaUser {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            body: Body {
                id_no: IdNo::new(id_no.as_ref())?.as_str().to_owned(),
            },
        })
    }
}

impl Operation for AddCaUser {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Add CA User",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/users",
        safety: Safety::NotIdempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/users", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
