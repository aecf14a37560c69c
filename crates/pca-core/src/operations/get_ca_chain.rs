//! Get CA Chain — `GET /api/v1/ca/{caTag}/chain`: the CA's certificate chain as PEM.

use serde::Deserialize;

use crate::lenient::pem_list;
use crate::model::CaChain;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Get CA Chain: reads the CA's chain.
    GetCaChain
}

#[derive(Deserialize)]
#[serde(transparent)]
struct ChainWire(#[serde(deserialize_with = "pem_list")] Vec<String>);

impl Operation for GetCaChain {
    type Output = CaChain;
    const INFO: OperationInfo = OperationInfo {
        name: "Get CA Chain",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/chain",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/chain", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<CaChain, DataError> {
        let ChainWire(certificates) = data.decode()?;
        if certificates.is_empty() {
            return Err(DataError::at("", "empty chain"));
        }
        Ok(CaChain { certificates })
    }
}
