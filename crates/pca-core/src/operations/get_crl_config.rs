//! Get CRL Config — `GET /api/v1/ca/{caTag}/crl/config`: the CRL renewal period.

use crate::model::CrlConfig;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Get CRL Config: reads the CA's CRL settings (empty when no CRL is configured).
    GetCrlConfig
}

impl Operation for GetCrlConfig {
    type Output = CrlConfig;
    const INFO: OperationInfo = OperationInfo {
        name: "Get CRL Config",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/crl/config",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/crl/config", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<CrlConfig, DataError> {
        data.decode_or_default()
    }
}
