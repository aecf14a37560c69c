//! Sign End CSR — `POST /api/v1/ca/{caTag}/cert/sign`: the CA signs an end-entity CSR.
//!
//! Body: `{"csrPem": "<PEM>"}` as documented, plus `"period": "<days>"` when one is given
//! (NAVER's generated client sends it; the documentation lists only `csrPem`). This operation
//! issues a certificate: it is never sent twice automatically.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::model::{SignedCertificate, SignedWire};
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::pem_text::normalize_csr;
use crate::types::{CaTag, Period};

/// Sign End CSR: signs an end-entity CSR at the CA `ca_tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignEndCsr {
    ca_tag: CaTag,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    csr_pem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<String>,
}

impl SignEndCsr {
    /// Signs `csr_pem` (one PKCS#10 request, PEM) at the CA `ca_tag`, for the service's
    /// default period.
    pub fn new(ca_tag: impl AsRef<str>, csr_pem: impl AsRef<str>) -> Result<Self, InvalidInput> {
        Ok(SignEndCsr {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            body: Body {
                csr_pem: normalize_csr("csrPem", csr_pem.as_ref())?,
                period: None,
            },
        })
    }

    /// Asks for a validity period (1..=3650 days; `MAX` is not documented for this call).
    pub fn with_period(mut self, period: Period) -> Result<Self, InvalidInput> {
        self.body.period = Some(period.days_only(Self::INFO.name)?.to_wire());
        Ok(self)
    }

    /// The signing CA.
    pub fn ca_tag(&self) -> &CaTag {
        &self.ca_tag
    }
}

impl Operation for SignEndCsr {
    type Output = SignedCertificate;
    const INFO: OperationInfo = OperationInfo {
        name: "Sign End CSR",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/cert/sign",
        safety: Safety::Issuing,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/cert/sign", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<SignedCertificate, DataError> {
        let wire: SignedWire = data.decode()?;
        wire.into_signed()
            .map_err(|m| DataError::at("certificate", m))
    }

    fn parse_usual(response: &http::Response<Vec<u8>>) -> Option<SignedCertificate> {
        crate::response::decode_success::<SignedWire>(response)?
            .into_signed()
            .ok()
    }
}
