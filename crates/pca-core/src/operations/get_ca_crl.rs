//! Get CA CRL — `GET /api/v1/ca/{caTag}/crl`: the CA's certificate revocation list as PEM.

use crate::model::Crl;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Get CA CRL: reads the CA's current CRL.
    GetCaCrl
}

impl Operation for GetCaCrl {
    type Output = Crl;
    const INFO: OperationInfo = OperationInfo {
        name: "Get CA CRL",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/crl",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/crl", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<Crl, DataError> {
        let pem: String = data.decode()?;
        let pem = crate::pem_text::tidy(pem);
        if pem.is_empty() {
            return Err(DataError::at("", "empty CRL"));
        }
        Ok(Crl { pem })
    }
}
