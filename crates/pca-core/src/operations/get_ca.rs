//! Get CA — `GET /api/v1/ca/{caTag}`: a CA's record and certificate record.

use crate::model::Ca;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Get CA: reads one CA.
    GetCa
}

impl Operation for GetCa {
    type Output = Ca;
    const INFO: OperationInfo = OperationInfo {
        name: "Get CA",
        method: http::Method::GET,
        path_template: "/ca/{caTag}",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<Ca, DataError> {
        data.decode()
    }
}
