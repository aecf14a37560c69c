//! Rotate CRL — `POST /api/v1/ca/{caTag}/crl/rotate`: regenerates the CA's CRL now.

use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Rotate CRL: issues a new CRL at once.
    RotateCrl
}

impl Operation for RotateCrl {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Rotate CRL",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/crl/rotate",
        safety: Safety::NotIdempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/crl/rotate", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
