//! Delete CA — `DELETE /api/v1/ca/{caTag}`: deletes a CA whose status is `DESTROYING`.

use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Delete CA: deletes a CA scheduled for deletion (status `DESTROYING`).
    DeleteCa
}

impl Operation for DeleteCa {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Delete CA",
        method: http::Method::DELETE,
        path_template: "/ca/{caTag}",
        safety: Safety::Idempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
