//! Issue End Cert — `POST /api/v1/ca/{caTag}/cert`: the service makes a key pair and issues an
//! end certificate for it.
//!
//! Body: `{"keyType"?, "period"?, "x509Parameters": {…}}`; period 1..=3650 days or `MAX`.
//! The answer holds the private key: [`IssuedCertificate::private_key`] is redacted in `Debug`.
//! This operation issues a certificate: it is never sent twice automatically.

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::lenient::opt_string;
use crate::model::{IssuedCertificate, PrivateKeyPem, SignedWire};
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body};
use crate::types::{CaTag, KeyType, Period, X509Parameters};

/// Issue End Cert: issues an end certificate with a key the service makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueEndCert {
    ca_tag: CaTag,
    body: Body,
    /// The period in days, for the answer check (`None`: the service's default or `MAX`).
    period_days: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    key_type: Option<KeyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<String>,
    x509_parameters: X509Parameters,
}

/// Builder of [`IssueEndCert`].
#[derive(Debug, Clone, Default)]
pub struct IssueEndCertBuilder {
    ca_tag: Option<String>,
    key_type: Option<KeyType>,
    period: Option<Period>,
    x509: Option<X509Parameters>,
}

impl IssueEndCert {
    /// A builder; `ca_tag` and `x509_parameters` are required.
    ///
    /// ```
    /// # use pca_core::{operations::IssueEndCert, KeyType, Period, X509Parameters};
    /// let op = IssueEndCert::builder()
    ///     .ca_tag("12345678-abcdefg")
    ///     .key_type(KeyType::Ec256)
    ///     .period(Period::days(90)?)
    ///     .x509_parameters(X509Parameters::new("api.internal").alt_names(["api.internal"]))
    ///     .build()?;
    /// # Ok::<(), pca_core::InvalidInput>(())
    /// ```
    pub fn builder() -> IssueEndCertBuilder {
        IssueEndCertBuilder::default()
    }

    /// The issuing CA.
    pub fn ca_tag(&self) -> &CaTag {
        &self.ca_tag
    }

    /// The subject and alternative names asked for.
    pub fn x509_parameters(&self) -> &X509Parameters {
        &self.body.x509_parameters
    }
}

impl IssueEndCertBuilder {
    /// The issuing CA.
    pub fn ca_tag(mut self, tag: impl Into<String>) -> Self {
        self.ca_tag = Some(tag.into());
        self
    }

    /// Key type of the key the service makes (the service's default when not set).
    pub fn key_type(mut self, key_type: KeyType) -> Self {
        self.key_type = Some(key_type);
        self
    }

    /// Validity period (days or `MAX`; the service's default when not set).
    pub fn period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// Subject and alternative names.
    pub fn x509_parameters(mut self, params: X509Parameters) -> Self {
        self.x509 = Some(params);
        self
    }

    /// Checks every field and builds the operation.
    pub fn build(self) -> Result<IssueEndCert, InvalidInput> {
        let ca_tag = CaTag::new(
            self.ca_tag
                .as_deref()
                .ok_or(InvalidInput::Missing { field: "caTag" })?,
        )?;
        let x509 = self.x509.ok_or(InvalidInput::Missing {
            field: "x509Parameters",
        })?;
        x509.validate(IssueEndCert::INFO.name, true)?;
        let period = self.period.map(Period::validate).transpose()?;
        Ok(IssueEndCert {
            ca_tag,
            period_days: match period {
                Some(Period::Days(d)) => Some(d),
                _ => None,
            },
            body: Body {
                key_type: self.key_type,
                period: period.map(Period::to_wire),
                x509_parameters: x509,
            },
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default, deserialize_with = "opt_string")]
    private_key: Option<String>,
    #[serde(flatten)]
    signed: SignedWire,
}

impl Operation for IssueEndCert {
    type Output = IssuedCertificate;
    const INFO: OperationInfo = OperationInfo {
        name: "Issue End Cert",
        method: http::Method::POST,
        path_template: "/ca/{caTag}/cert",
        safety: Safety::Issuing,
    };

    fn path_and_query(&self) -> String {
        format!("/ca/{}/cert", self.ca_tag)
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    /// The private key is the certificate's key, the certificate is issued by the chain's
    /// first certificate, the chain links to a self-signed root, and the validity lies within
    /// `now` and `now` + the period ([`crate::answer`]).
    #[cfg(feature = "x509")]
    fn check_answer(
        &self,
        output: &IssuedCertificate,
        now: crate::Timestamp,
    ) -> Result<(), Box<crate::AnswerMismatch>> {
        let expected = crate::answer::Expected {
            operation: Self::INFO.name,
            ca_tag: self.ca_tag.as_str(),
            csr_pem: None,
            private_key: Some(&output.private_key),
            ca: false,
            period_days: self.period_days,
        };
        crate::answer::check_signed(&expected, &output.signed, now)
    }

    fn parse_data(data: Data<'_>) -> Result<IssuedCertificate, DataError> {
        let wire: Wire = data.decode()?;
        let private_key = wire
            .private_key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| DataError::at("privateKey", "missing or empty"))?;
        let signed = wire
            .signed
            .into_signed()
            .map_err(|m| DataError::at("certificate", m))?;
        Ok(IssuedCertificate {
            private_key: PrivateKeyPem::new(private_key),
            signed,
        })
    }
}
