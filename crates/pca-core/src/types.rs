//! Validated input values: each constructor checks the documented rule, so an operation built
//! from them never carries input the service would refuse for shape.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $err:ident {
            $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every value, in documented order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;

            /// Parses the wire spelling, ignoring ASCII case.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($wire) { return Ok($name::$variant); })*
                Err(InvalidInput::$err { value: s.to_owned() })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Key algorithm and size of a CA or a server-made end-certificate key.
    KeyType, KeyType {
        /// RSA, 2048 bits.
        Rsa2048 => "RSA2048",
        /// RSA, 4096 bits.
        Rsa4096 => "RSA4096",
        /// ECDSA on P-256.
        Ec256 => "EC256",
        /// ECDSA on P-521.
        Ec521 => "EC521",
    }
}

wire_enum! {
    /// Root or subordinate CA.
    CaType, CaType {
        /// A root CA (self-signed).
        PrivateRoot => "PRIVATE_ROOT",
        /// A subordinate (intermediate) CA.
        PrivateSub => "PRIVATE_SUB",
    }
}

wire_enum! {
    /// The CA statuses Update CA can set.
    CaStatus, CaStatus {
        /// Enabled: the CA signs.
        Active => "ACTIVE",
        /// Disabled: the CA signs nothing.
        Deactivated => "DEACTIVATED",
        /// Scheduled for deletion (with its sub CAs, after 72 hours); setting `ACTIVE` again
        /// cancels the deletion.
        Destroying => "DESTROYING",
    }
}

/// Validity period of a certificate: a number of days (1..=3650) or `MAX`, the longest the
/// service allows (only where the documentation allows it: Create CA and Issue End Cert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A number of days, 1..=3650.
    Days(u16),
    /// The longest period allowed.
    Max,
}

impl Period {
    /// Longest period in days.
    pub const MAX_DAYS: u16 = 3650;

    /// A period of `days` days (1..=3650).
    pub fn days(days: u32) -> Result<Self, InvalidInput> {
        if days == 0 || days > u32::from(Self::MAX_DAYS) {
            return Err(InvalidInput::Period {
                value: days.to_string(),
                reason: "allowed 1..=3650 days",
            });
        }
        Ok(Period::Days(days as u16))
    }

    /// The wire form (`"10"`, `"MAX"`).
    pub fn to_wire(self) -> String {
        match self {
            Period::Days(d) => d.to_string(),
            Period::Max => "MAX".to_owned(),
        }
    }

    /// Checks a `Period::Days` built directly (not through [`Period::days`]).
    pub(crate) fn validate(self) -> Result<Self, InvalidInput> {
        match self {
            Period::Days(d) => Period::days(u32::from(d)),
            Period::Max => Ok(self),
        }
    }

    /// Refuses `MAX` for operations whose documentation allows only days.
    pub(crate) fn days_only(self, operation: &'static str) -> Result<Self, InvalidInput> {
        match self.validate()? {
            Period::Max => Err(InvalidInput::PeriodMaxNotAllowed { operation }),
            p => Ok(p),
        }
    }
}

impl FromStr for Period {
    type Err = InvalidInput;

    /// `MAX` (any case) or a number of days.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("max") {
            return Ok(Period::Max);
        }
        let not_a_number = || InvalidInput::Period {
            value: s.to_owned(),
            reason: "expected a number of days (1..=3650) or MAX",
        };
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 9 {
            return Err(not_a_number());
        }
        let days: u32 = t.parse().map_err(|_| not_a_number())?;
        Period::days(days)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidInput;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidInput;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::new(&s)
            }
        }

        impl TryFrom<&$name> for $name {
            type Error = InvalidInput;

            fn try_from(s: &$name) -> Result<Self, Self::Error> {
                Ok(s.clone())
            }
        }
    };
}

text_newtype! {
    /// A CA tag, the CA's identifier in paths (shape `12345678-abcdefg`): 1..=64 ASCII letters,
    /// digits, `-` and `_`. Anything else (`/`, `?`, `%`, `.`, spaces …) is refused so that no
    /// tag can change the request path.
    CaTag
}

impl CaTag {
    /// Checks and wraps a CA tag.
    pub fn new(s: &str) -> Result<Self, InvalidInput> {
        let bad = |reason| InvalidInput::CaTag {
            value: s.to_owned(),
            reason,
        };
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if s.len() > 64 {
            return Err(bad("longer than 64 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad("only ASCII letters, digits, '-' and '_' are allowed"));
        }
        Ok(CaTag(s.to_owned()))
    }
}

text_newtype! {
    /// A certificate serial number as the service writes it: colon-separated hexadecimal octets
    /// (`01:a2:…`), or plain hexadecimal; at most 64 octets. Sent in paths as given.
    SerialNo
}

impl SerialNo {
    /// Checks and wraps a serial number.
    pub fn new(s: &str) -> Result<Self, InvalidInput> {
        let bad = |reason| InvalidInput::SerialNo {
            value: s.to_owned(),
            reason,
        };
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if !s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(bad("only hexadecimal digits and ':' are allowed"));
        }
        if s.contains(':') {
            if s.split(':')
                .any(|octet| octet.is_empty() || octet.len() > 2)
            {
                return Err(bad(
                    "colon-separated form needs one or two hex digits between colons",
                ));
            }
            if s.split(':').count() > 64 {
                return Err(bad("longer than 64 octets"));
            }
        } else if s.len() > 128 {
            return Err(bad("longer than 64 octets"));
        }
        Ok(SerialNo(s.to_owned()))
    }
}

text_newtype! {
    /// A sub-account ID (`idNo`): 36 characters, ASCII letters and digits in the 8-4-4-4-12
    /// layout of a UUID.
    IdNo
}

impl IdNo {
    /// Checks and wraps a sub-account ID.
    pub fn new(s: &str) -> Result<Self, InvalidInput> {
        let bad = |reason| InvalidInput::IdNo {
            value: s.to_owned(),
            reason,
        };
        if s.len() != 36 {
            return Err(bad("must be 36 characters"));
        }
        let groups: Vec<&str> = s.split('-').collect();
        let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lens != [8, 4, 4, 4, 12] {
            return Err(bad("expected the 8-4-4-4-12 layout"));
        }
        if !groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(bad("only ASCII letters and digits between the dashes"));
        }
        Ok(IdNo(s.to_owned()))
    }
}

text_newtype! {
    /// A CA alias: 3..=15 characters, ASCII letters, digits, `-` and `_`, starting with a letter.
    Alias
}

impl Alias {
    /// Checks and wraps an alias.
    pub fn new(s: &str) -> Result<Self, InvalidInput> {
        let bad = |reason| InvalidInput::Alias {
            value: s.to_owned(),
            reason,
        };
        let n = s.chars().count();
        if !(3..=15).contains(&n) {
            return Err(bad("must be 3 to 15 characters"));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(bad("must start with a letter"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("only ASCII letters, digits, '-' and '_' are allowed"));
        }
        Ok(Alias(s.to_owned()))
    }
}

/// Days a CRL stays valid before renewal: 3..=3650.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CrlExpiry(u16);

impl CrlExpiry {
    /// Checks and wraps a CRL expiry in days.
    pub fn days(days: u32) -> Result<Self, InvalidInput> {
        if !(3..=3650).contains(&days) {
            return Err(InvalidInput::CrlExpiry { value: days });
        }
        Ok(CrlExpiry(days as u16))
    }

    /// The number of days.
    pub fn get(self) -> u16 {
        self.0
    }
}

pub(crate) fn check_len(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), InvalidInput> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(InvalidInput::Length {
            field,
            len,
            min,
            max,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidInput::ControlCharacter { field });
    }
    Ok(())
}

/// Subject and subject-alternative-name parameters of a certificate to be made
/// (`x509Parameters`).
///
/// Limits (characters): commonName 1..=64, organization 0..=64, organizationUnit, locality,
/// stateProvince and streetAddress 0..=128; country a two- or three-letter code. DNS and e-mail
/// names are sent comma-separated in `altName`, IP addresses in `ip`. `streetAddress` is taken
/// only by Issue End Cert.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Parameters {
    common_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    alt_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    street_address: Option<String>,
}

impl X509Parameters {
    /// Parameters with the given common name (checked when the operation is built).
    pub fn new(common_name: impl Into<String>) -> Self {
        X509Parameters {
            common_name: common_name.into(),
            ..Self::default()
        }
    }

    /// Sets the country (`KR`, `KOR` …).
    pub fn country(mut self, v: impl Into<String>) -> Self {
        self.country = Some(v.into());
        self
    }

    /// Sets the locality.
    pub fn locality(mut self, v: impl Into<String>) -> Self {
        self.locality = Some(v.into());
        self
    }

    /// Sets the state or province.
    pub fn state_province(mut self, v: impl Into<String>) -> Self {
        self.state_province = Some(v.into());
        self
    }

    /// Sets the organization.
    pub fn organization(mut self, v: impl Into<String>) -> Self {
        self.organization = Some(v.into());
        self
    }

    /// Sets the organizational unit.
    pub fn organization_unit(mut self, v: impl Into<String>) -> Self {
        self.organization_unit = Some(v.into());
        self
    }

    /// Sets the street address (end certificates only).
    pub fn street_address(mut self, v: impl Into<String>) -> Self {
        self.street_address = Some(v.into());
        self
    }

    /// Adds DNS-name or e-mail subject alternative names.
    pub fn alt_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut all: Vec<String> = self
            .alt_name
            .take()
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        all.extend(names.into_iter().map(Into::into));
        self.alt_name = (!all.is_empty()).then(|| all.join(","));
        self
    }

    /// Adds IP-address subject alternative names.
    pub fn ip_addresses<I>(mut self, ips: I) -> Self
    where
        I: IntoIterator<Item = IpAddr>,
    {
        let mut all: Vec<String> = self
            .ip
            .take()
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        all.extend(ips.into_iter().map(|ip| ip.to_string()));
        self.ip = (!all.is_empty()).then(|| all.join(","));
        self
    }

    /// Adds IP-address subject alternative names given as text (checked when built).
    pub fn ip_texts<I, S>(mut self, ips: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut all: Vec<String> = self
            .ip
            .take()
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        all.extend(ips.into_iter().map(Into::into));
        self.ip = (!all.is_empty()).then(|| all.join(","));
        self
    }

    /// The common name.
    pub fn common_name_value(&self) -> &str {
        &self.common_name
    }

    /// Checks every documented limit. `end_cert` allows `streetAddress`.
    pub(crate) fn validate(
        &self,
        operation: &'static str,
        end_cert: bool,
    ) -> Result<(), InvalidInput> {
        check_len("x509Parameters.commonName", &self.common_name, 1, 64)?;
        if self.common_name.trim().is_empty() {
            return Err(InvalidInput::Length {
                field: "x509Parameters.commonName",
                len: 0,
                min: 1,
                max: 64,
            });
        }
        let limits: [(&'static str, &Option<String>, usize); 5] = [
            ("x509Parameters.organization", &self.organization, 64),
            (
                "x509Parameters.organizationUnit",
                &self.organization_unit,
                128,
            ),
            ("x509Parameters.locality", &self.locality, 128),
            ("x509Parameters.stateProvince", &self.state_province, 128),
            ("x509Parameters.streetAddress", &self.street_address, 128),
        ];
        for (field, value, max) in limits {
            if let Some(v) = value {
                check_len(field, v, 0, max)?;
            }
        }
        if !end_cert && self.street_address.is_some() {
            return Err(InvalidInput::NotAccepted {
                field: "x509Parameters.streetAddress",
                operation,
            });
        }
        if let Some(c) = &self.country {
            if !(2..=3).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(InvalidInput::Country { value: c.clone() });
            }
        }
        if let Some(names) = &self.alt_name {
            for name in names.split(',') {
                check_alt_name(name)?;
            }
        }
        if let Some(ips) = &self.ip {
            for ip in ips.split(',') {
                if ip.trim().parse::<IpAddr>().is_err() || ip.trim() != ip {
                    return Err(InvalidInput::IpAddress {
                        value: ip.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn check_dns_name(name: &str) -> Result<(), &'static str> {
    let body = name.strip_prefix("*.").unwrap_or(name);
    if body.is_empty() || name.len() > 253 {
        return Err("a DNS name is 1 to 253 characters");
    }
    for label in body.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("each DNS label is 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a DNS name holds only ASCII letters, digits, '-' and '.'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a DNS label neither starts nor ends with '-'");
        }
    }
    Ok(())
}

fn check_alt_name(name: &str) -> Result<(), InvalidInput> {
    let bad = |reason| InvalidInput::AltName {
        value: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty name"));
    }
    match name.split_once('@') {
        Some((local, domain)) => {
            if local.is_empty()
                || local.len() > 64
                || !local
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b',' && b != b'@')
            {
                return Err(bad("the part before '@' of an e-mail address is not valid"));
            }
            check_dns_name(domain).map_err(bad)
        }
        None => check_dns_name(name).map_err(bad),
    }
}
