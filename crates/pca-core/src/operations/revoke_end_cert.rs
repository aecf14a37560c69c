//! Revoke End Cert — `POST /api/v1/ca/{caTag}/cert/{serialNo}/revoke`: revokes a certificate
//! (no reason code is documented).

use crate::error::InvalidInput;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety};
use crate::types::{CaTag, SerialNo};

/// Revoke End Cert: revokes the certificate `serial_no` of the CA `ca_tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeEndCert {
    ca_tag: CaTag,
    serial_no: SerialNo,
}

impl RevokeEndCert {
    /// Revokes certificate `serial_no` of the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>, serial_no: impl AsRef<str>) -> Result<Self, InvalidInput> {
        Ok(RevokeEndCert {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            serial_no: SerialNo::new(serial_no.as_ref())?,
        })
    }
}

impl Operation for RevokeEndCert {
    type Output = ();
    const INFO: OperationInfo = OperationInfo {
        name: "Revoke End Cert",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/cert/{serialNo}/revoke",
        safety: Safety::NotIdempotent,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/cert/{}/revoke", self.ca_tag, self.serial_no)
    }

    fn parse_data(data: Data<'_>) -> Result<(), DataError> {
        data.ignore()
    }
}
