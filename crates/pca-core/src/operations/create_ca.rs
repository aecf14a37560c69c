//! Create CA — `POST /api/v1/ca?caType=…[&issuerTag=…]`: creates a root CA, a sub CA signed
//! at once by the parent `issuerTag`, or (a sub CA without `issuerTag`) a sub CA left
//! `PENDING` for outside signing (Get Sub CSR → Sign Sub CSR elsewhere → Activate Sub CA).
//!
//! Body: `{"alias", "memo"?, "keyType", "period", "x509Parameters"}`; period 1..=3650 days or
//! `MAX`. This operation creates a CA: it is never sent twice automatically.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::model::Ca;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, json_body, query};
use crate::types::{Alias, CaTag, CaType, KeyType, Period, X509Parameters, check_len};

/// Create CA: creates a root or subordinate CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCa {
    ca_type: CaType,
    issuer_tag: Option<CaTag>,
    body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    alias: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    memo: Option<String>,
    key_type: KeyType,
    period: String,
    x509_parameters: X509Parameters,
}

/// Builder of [`CreateCa`]; `ca_type`, `alias`, `key_type`, `period` and `x509_parameters`
/// are required.
#[derive(Debug, Clone, Default)]
pub struct CreateCaBuilder {
    ca_type: Option<CaType>,
    issuer_tag: Option<String>,
    alias: Option<String>,
    memo: Option<String>,
    key_type: Option<KeyType>,
    period: Option<Period>,
    x509: Option<X509Parameters>,
}

impl CreateCa {
    /// A builder.
    ///
    /// ```
    /// # use pca_core::{operations::CreateCa, CaType, KeyType, Period, X509Parameters};
    /// let root = CreateCa::builder()
    ///     .ca_type(CaType::PrivateRoot)
    ///     .alias("corp-root")
    ///     .key_type(KeyType::Ec256)
    ///     .period(Period::Max)
    ///     .x509_parameters(X509Parameters::new("Corp Root CA").country("KR"))
    ///     .build()?;
    /// # Ok::<(), pca_core::InvalidInput>(())
    /// ```
    pub fn builder() -> CreateCaBuilder {
        CreateCaBuilder::default()
    }

    /// Root or sub.
    pub fn ca_type(&self) -> CaType {
        self.ca_type
    }

    /// The parent CA, for a sub CA signed at once.
    pub fn issuer_tag(&self) -> Option<&CaTag> {
        self.issuer_tag.as_ref()
    }
}

impl CreateCaBuilder {
    /// Root or sub.
    pub fn ca_type(mut self, t: CaType) -> Self {
        self.ca_type = Some(t);
        self
    }

    /// The parent CA that signs a sub CA at once (sub CAs only; without it a sub CA is left
    /// `PENDING`).
    pub fn issuer_tag(mut self, tag: impl Into<String>) -> Self {
        self.issuer_tag = Some(tag.into());
        self
    }

    /// The alias (3..=15 characters, letters, digits, `-`, `_`, starting with a letter).
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// A memo.
    pub fn memo(mut self, memo: impl Into<String>) -> Self {
        self.memo = Some(memo.into());
        self
    }

    /// The CA key's type.
    pub fn key_type(mut self, key_type: KeyType) -> Self {
        self.key_type = Some(key_type);
        self
    }

    /// Validity period (days or `MAX`).
    pub fn period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// Subject and alternative names (`streetAddress` is not taken for CAs).
    pub fn x509_parameters(mut self, params: X509Parameters) -> Self {
        self.x509 = Some(params);
        self
    }

    /// Checks every field and builds the operation.
    pub fn build(self) -> Result<CreateCa, InvalidInput> {
        let name = CreateCa::INFO.name;
        let ca_type = self
            .ca_type
            .ok_or(InvalidInput::Missing { field: "caType" })?;
        let alias = Alias::new(
            self.alias
                .as_deref()
                .ok_or(InvalidInput::Missing { field: "alias" })?,
        )?;
        let key_type = self
            .key_type
            .ok_or(InvalidInput::Missing { field: "keyType" })?;
        let period = self
            .period
            .ok_or(InvalidInput::Missing { field: "period" })?
            .validate()?;
        let x509 = self.x509.ok_or(InvalidInput::Missing {
            field: "x509Parameters",
        })?;
        x509.validate(name, false)?;
        let issuer_tag = self.issuer_tag.as_deref().map(CaTag::new).transpose()?;
        if issuer_tag.is_some() && ca_type == CaType::PrivateRoot {
            return Err(InvalidInput::NotAccepted {
                field: "issuerTag",
                operation: "Create CA of type PRIVATE_ROOT",
            });
        }
        if let Some(memo) = &self.memo {
            check_len("memo", memo, 0, 1000)?;
        }
        Ok(CreateCa {
            ca_type,
            issuer_tag,
            body: Body {
                alias: alias.as_str().to_owned(),
                memo: self.memo,
                key_type,
                period: period.to_wire(),
                x509_parameters: x509,
            },
        })
    }
}

impl Operation for CreateCa {
    type Output = Ca;
    const INFO: OperationInfo = OperationInfo {
        name: "Create CA",
        method: http::Method::POST,
        path_template: "/ca",
        safety: Safety::Issuing,
    };

    fn path_and_query(&self) -> String {
        let mut pairs = vec![("caType", self.ca_type.as_str())];
        if let Some(tag) = &self.issuer_tag {
            pairs.push(("issuerTag", tag.as_str()));
        }
        format!("/ca{}", query(&pairs))
    }

    fn body(&self) -> Option<Vec<u8>> {
        Some(json_body(&self.body))
    }

    fn parse_data(data: Data<'_>) -> Result<Ca, DataError> {
        data.decode()
    }
}
