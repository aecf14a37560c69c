//! Sign Sub CSR — `POST /api/v1/ca/{caTag}/sub/sign`: the CA `caTag` signs a subordinate CA's
//! certificate request and returns a CA certificate with its chain.
//!
//! Body: `{"period": "<days>", "csrPem": "<PEM>"}`. The period is 1..=3650 days (`MAX` is not
//! documented for this call). The CSR is checked and sent in the form the API requires.
//! This operation issues a certificate: it is never sent twice automatically.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::model::{SignedCertificate, SignedWire};
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::pem_text::normalize_csr;
use crate::types::{CaTag, Period};

/// Sign Sub CSR: signs a subordinate CA's CSR at the CA `ca_tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignSubCsr {
    ca_tag: CaTag,
    body: Body,
    /// The period in days, for the answer check.
    period_days: u16,
    /// `body` serialized once: the CSR's JSON escaping is not redone for every attempt.
    json: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    period: String,
    csr_pem: String,
}

impl SignSubCsr {
    /// Signs `csr_pem` (one PKCS#10 request, PEM) at the CA `ca_tag` for `period`.
    ///
    /// ```
    /// # use pca_core::{operations::SignSubCsr, Period};
    /// let err = SignSubCsr::new("12345678-abcdefg", Period::Max, "not a csr").unwrap_err();
    /// assert!(matches!(err, pca_core::InvalidInput::PeriodMaxNotAllowed { .. }));
    /// ```
    pub fn new(
        ca_tag: impl AsRef<str>,
        period: Period,
        csr_pem: impl AsRef<str>,
    ) -> Result<Self, InvalidInput> {
        let ca_tag = CaTag::new(ca_tag.as_ref())?;
        let period = period.days_only(Self::INFO.name)?;
        let period_days = match period {
            Period::Days(d) => d,
            Period::Max => Period::MAX_DAYS,
        };
        let csr_pem = normalize_csr("csrPem", csr_pem.as_ref())?;
        let body = Body {
            period: period.to_wire(),
            csr_pem,
        };
        Ok(SignSubCsr {
            ca_tag,
            period_days,
            json: json_body(&body),
            body,
        })
    }

    /// The signing CA.
    pub fn ca_tag(&self) -> &CaTag {
        &self.ca_tag
    }

    /// The CSR as it will be sent.
    pub fn csr_pem(&self) -> &str {
        &self.body.csr_pem
    }

    /// The period asked for, in days.
    pub fn period_days(&self) -> u16 {
        self.period_days
    }
}

impl Operation for SignSubCsr {
    type Output = SignedCertificate;
    const INFO: OperationInfo = OperationInfo {
        name: "Sign Sub CSR",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/sub/sign",
        safety: Safety::Issuing,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/sub/sign", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(self.json.clone())
    }

    fn parse_data(data: Data<'_>) -> Result<SignedCertificate, DataError> {
        let wire: SignedWire = data.decode()?;
        wire.into_signed()
            .map_err(|m| DataError::at("certificate", m))
    }

    /// The certificate is the CSR's key, a CA, issued by the chain's first certificate, the
    /// chain links to a self-signed root, and the validity lies within `now` and `now` + the
    /// period ([`crate::answer`]).
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
            ca: true,
            period_days: Some(self.period_days),
        };
        crate::answer::check_signed(&expected, output, now)
    }

    fn parse_usual(response: &http::Response<Vec<u8>>) -> Option<SignedCertificate> {
        crate::response::decode_success::<SignedWire>(response)?
            .into_signed()
            .ok()
    }
}
