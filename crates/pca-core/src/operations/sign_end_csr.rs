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
    /// The period in days, for the answer check (`None`: the service's default).
    period_days: Option<u16>,
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
            period_days: None,
        })
    }

    /// Asks for a validity period (1..=3650 days; `MAX` is not documented for this call).
    pub fn with_period(mut self, period: Period) -> Result<Self, InvalidInput> {
        let period = period.days_only(Self::INFO.name)?;
        self.body.period = Some(period.to_wire());
        self.period_days = match period {
            Period::Days(d) => Some(d),
            Period::Max => None,
        };
        Ok(self)
    }

    /// The signing CA.
    pub fn ca_tag(&self) -> &CaTag {
        &self.ca_tag
    }

    /// The CSR as it will be sent.
    pub fn csr_pem(&self) -> &str {
        &self.body.csr_pem
    }

    /// The period asked for, in days (`None`: the service's default).
    pub fn period_days(&self) -> Option<u16> {
        self.period_days
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

    /// The certificate is the CSR's key, issued by the chain's first certificate, the chain
    /// links to a self-signed root, and the validity lies within `now` and `now` + the period
    /// ([`crate::answer`]).
    #[cfg(feature = "x509")]
    fn check_answer(
        &self,
        output: &SignedCertificate,
        now: crate::Timestamp,
    ) -> Result<(), Box<crate::AnswerMismatch>> {
        let expected = crate::answer::Expected {
            operation: Self::INFO.name,
            ca_tag: self.ca_tag.as_str(),
            csr_pem: Some(&self.body.csr_pem),
            private_key: None,
            ca: false,
            period_days: self.period_days,
        };
        crate::answer::check_signed(&expected, output, now)
    }

    fn parse_usual(response: &http::Response<Vec<u8>>) -> Option<SignedCertificate> {
        crate::response::decode_success::<SignedWire>(response)?
            .into_signed()
            .ok()
    }
}
