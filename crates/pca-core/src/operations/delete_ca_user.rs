//! Delete CA User — `DELETE /api/v1/ca/{caTag}/users/{idNo}`: removes a sub account's rights.

use crate::error::InvalidInput;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};
use crate::types::{CaTag, IdNo};

/// Delete CA User: removes sub account `id_no` from the CA `ca_tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteCaUser {
    ca_tag: CaTag,
    id_no: IdNo,
}

impl DeleteCaUser {
    /// Removes sub account `id_no` from the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>, id_no: impl AsRef<str>) -> Result<Self, InvalidInput> {
        Ok(DeleteCaUser {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            id_no: IdNo::new(id_no.as_ref())?,
        })
    }
}

impl Operation for DeleteCaUser {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Delete CA User",
        method: http::Method::DELETE,
        path_template: "/ca/{caTag}/users/{idNo}",
        safety: Safety::Idempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/users/{}", self.ca_tag, self.id_no)
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
