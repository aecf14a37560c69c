//! Get End Cert — `GET /api/v1/ca/{caTag}/cert/{serialNo}`: one end certificate's record.

use crate::error::InvalidInput;
use crate::model::EndCertificate;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};
use crate::types::{CaTag, SerialNo};

/// Get End Cert: reads one certificate of the CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEndCert {
    ca_tag: CaTag,
    serial_no: SerialNo,
}

impl GetEndCert {
    /// The certificate `serial_no` of the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>, serial_no: impl AsRef<str>) -> Result<Self, InvalidInput> {
        Ok(GetEndCert {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            serial_no: SerialNo::new(serial_no.as_ref())?,
        })
    }
}

impl Operation for GetEndCert {
    type Output = EndCertificate;
    const INFO: OperationInfo = OperationInfo {
        name: "Get End Cert",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/cert/{serialNo}",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/cert/{}", self.ca_tag, self.serial_no)
    }

    fn parse_data(data: Data<'_>) -> Result<EndCertificate, DataError> {
        data.decode()
    }
}
