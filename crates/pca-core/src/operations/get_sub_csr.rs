//! Get Sub CSR — `GET /api/v1/ca/{caTag}/sub/csr`: the certificate request of a pending sub CA.

use crate::model::SubCsr;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};

ca_tag_operation! {
    /// Get Sub CSR: reads the CSR of a sub CA waiting for its certificate (not available once
    /// the sub CA is signed).
    GetSubCsr
}

impl Operation for GetSubCsr {
    type Output = SubCsr;
    const INFO: OperationInfo = OperationInfo {
        name: "Get Sub CSR",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/sub/csr",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/sub/csr", self.ca_tag())
    }

    fn parse_data(data: Data<'_>) -> Result<SubCsr, DataError> {
        let mut csr: SubCsr = data.decode()?;
        csr.csr_pem = crate::pem_text::tidy(csr.csr_pem);
        if csr.csr_pem.is_empty() {
            return Err(DataError::at("csrPem", "empty"));
        }
        Ok(csr)
    }
}
