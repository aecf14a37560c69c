//! Trim CA — `POST /api/v1/ca/{caTag}/trim`: removes expired certificates from the CRL.

use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Trim CA: drops expired certificates from the CA's CRL.
    TrimCa
}

impl Operation for TrimCa {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Trim CA",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/trim",
        safety: Safety::NotIdempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/trim", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
