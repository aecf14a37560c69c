//! Delete OCSP — `DELETE /api/v1/ca/{caTag}/urls`: removes the OCSP URL from new certificates.

use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Delete OCSP: stops putting an OCSP URL in the CA's certificates.
    DeleteOcsp
}

impl Operation for DeleteOcsp {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Delete OCSP",
        method: http::Method::DELETE,
        path_template: "/ca/{caTag}/urls",
        safety: Safety::Idempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/urls", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
