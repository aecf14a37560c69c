//! Get CA User List — `GET /api/v1/ca/{caTag}/users`: sub accounts with rights on the CA.

use crate::model::CaUser;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Get CA User List: reads the sub accounts that have rights on the CA.
    GetCaUserList
}

impl Operation for GetCaUserList {
    type Output = Vec<CaUser>;
    const INFO: OperationInfo = OperationInfo {
        name: "Get CA User List",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/users",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/users", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<Vec<CaUser>, DataError> {
        data.decode_or_default()
    }
}
