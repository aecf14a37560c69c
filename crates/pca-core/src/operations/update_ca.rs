//! Update CA — `PUT /api/v1/ca/{caTag}`: enables (`ACTIVE`), disables (`DEACTIVATED`) or
//! schedules the deletion of (`DESTROYING`) a CA; `ACTIVE` on a `DESTROYING` CA cancels the
//! deletion. The answer is a CA record, flat or nested under `caInfo` depending on the
//! document: both are read.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::model::Ca;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::types::{CaStatus, CaTag, check_len};

/// Update CA: sets the CA's status (and optionally its memo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateCa {
    ca_tag: CaTag,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Body {
    status: CaStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    memo: Option<String>,
}

impl UpdateCa {
    /// Sets the status of the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>, status: CaStatus) -> Result<Self, InvalidInput> {
        Ok(UpdateCa {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            body: Body { status, memo: None },
        })
    }

    /// Also sets the memo (known from NAVER's generated client).
    pub fn with_memo(mut self, memo: impl Into<String>) -> Result<Self, InvalidInput> {
        let memo = memo.into();
        check_len("memo", &memo, 0, 1000)?;
        self.body.memo = Some(memo);
        Ok(self)
    }

    /// The status to set.
    pub fn status(&self) -> CaStatus {
        self.body.status
    }
}

impl Operation for UpdateCa {
    type Output = Ca;
    const INFO: OperationInfo = OperationInfo {
        name: "Update CA",
        method: http::Method::PUT,
        path_template: "/ca/{caTag}",
        safety: Safety::Idempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<Ca, DataError> {
        data.decode_or_default()
    }
}
