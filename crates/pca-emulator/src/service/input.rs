//! Input parsing and validation: request bodies, queries, path segments, periods, key
//! types, `x509Parameters` and CSRs, each refused with its documented service code.

use super::*;

/// A parsed request body: a JSON object (or nothing).
pub(super) struct Body(pub(super) Map<String, Value>);

impl Body {
    pub(super) fn parse(bytes: &[u8]) -> Result<Body, ServiceError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Map::new()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => Ok(Body(m)),
            Ok(_) => err(
                ServiceCode::InvalidRequest,
                "the request body must be a JSON object",
            ),
            Err(e) => err(
                ServiceCode::InvalidRequest,
                format!("the request body is not valid JSON: {e}"),
            ),
        }
    }

    /// A string field; numbers are taken as their text; `null` and `""` are absent.
    pub(super) fn text(&self, name: &str) -> Result<Option<String>, ServiceError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => err(
                ServiceCode::InvalidInput,
                format!("{name} must be a string"),
            ),
        }
    }

    pub(super) fn object(&self, name: &str) -> Result<Option<Body>, ServiceError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Body(m.clone()))),
            Some(_) => err(
                ServiceCode::InvalidInput,
                format!("{name} must be an object"),
            ),
        }
    }
}

/// Query parameters, percent-decoded.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(q: Option<&str>) -> Result<Query, ServiceError> {
        let mut out = Vec::new();
        for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| {
                        ServiceError::new(
                            ServiceCode::InvalidRequest,
                            "the query is not valid UTF-8",
                        )
                    })
            };
            out.push((dec(k)?, dec(v)?));
        }
        Ok(Query(out))
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

pub(super) fn decode_segment(seg: &str) -> Option<String> {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

pub(super) fn check_tag(raw: &str) -> Result<String, ServiceError> {
    let tag = decode_segment(raw)
        .ok_or_else(|| ServiceError::new(ServiceCode::InvalidPath, "caTag is not valid text"))?;
    CaTag::new(&tag)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| ServiceError::new(ServiceCode::InvalidPath, e.to_string()))
}

pub(super) fn check_serial(raw: &str) -> Result<String, ServiceError> {
    let s = decode_segment(raw).ok_or_else(|| {
        ServiceError::new(
            ServiceCode::InvalidInputSerialNo,
            "serialNo is not valid text",
        )
    })?;
    SerialNo::new(&s)
        .map(|s| s.as_str().to_owned())
        .map_err(|e| ServiceError::new(ServiceCode::InvalidInputSerialNo, e.to_string()))
}

pub(super) fn page_no(query: &Query) -> Result<usize, ServiceError> {
    match query.get("pageNo") {
        None => Ok(1),
        Some(p) => match p.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => err(
                ServiceCode::InvalidInputPagenumbber,
                "pageNo must be a whole number from 1",
            ),
        },
    }
}

pub(super) fn pages(total: usize, size: usize) -> usize {
    total.div_ceil(size.max(1)).max(1)
}

/// A validated `x509Parameters` object.
pub(super) struct X509Input {
    pub(super) subject: Subject,
    pub(super) sans: Vec<SanType>,
}

pub(super) fn opt_len(
    p: &Body,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, ServiceError> {
    let v = p.text(name)?;
    if let Some(s) = &v {
        if s.chars().count() > max {
            return err(
                ServiceCode::InvalidInput,
                format!("x509Parameters.{name} is longer than {max} characters"),
            );
        }
        if s.chars().any(char::is_control) {
            return err(
                ServiceCode::InvalidInput,
                format!("x509Parameters.{name} holds a control character"),
            );
        }
    }
    Ok(v)
}

pub(super) fn x509_input(body: &Body, end_cert: bool) -> Result<X509Input, ServiceError> {
    let Some(p) = body.object("x509Parameters")? else {
        return err(
            ServiceCode::EmptyX509Parameters,
            "x509Parameters is missing",
        );
    };
    let Some(cn) = p.text("commonName")? else {
        return err(ServiceCode::EmptyCommonName, "common name is missing");
    };
    if cn.chars().count() > 64 {
        return err(
            ServiceCode::ExceedCommonName,
            "x509Parameters.commonName is longer than 64 characters",
        );
    }
    if cn.chars().any(char::is_control) {
        return err(
            ServiceCode::InvalidInput,
            "x509Parameters.commonName holds a control character",
        );
    }
    let country = p.text("country")?;
    if let Some(c) = &country {
        if !(2..=3).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return err(
                ServiceCode::InvalidInput,
                "x509Parameters.country must be 2 or 3 upper-case letters",
            );
        }
    }
    let street_address = opt_len(&p, "streetAddress", 128)?;
    if street_address.is_some() && !end_cert {
        return err(
            ServiceCode::InvalidInput,
            "x509Parameters.streetAddress is taken for end certificates only",
        );
    }
    let subject = Subject {
        common_name: cn,
        country,
        state_province: opt_len(&p, "stateProvince", 128)?,
        locality: opt_len(&p, "locality", 128)?,
        organization: opt_len(&p, "organization", 64)?,
        organization_unit: opt_len(&p, "organizationUnit", 128)?,
        street_address,
    };
    let mut sans = Vec::new();
    if let Some(names) = p.text("altName")? {
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let ok = name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._*@+".contains(&b));
            let ia5 = rcgen::string::Ia5String::try_from(name).ok().filter(|_| ok);
            let Some(ia5) = ia5 else {
                return err(
                    ServiceCode::InvalidX509Other,
                    format!("altName {name:?} is not a DNS name or e-mail address"),
                );
            };
            sans.push(if name.contains('@') {
                SanType::Rfc822Name(ia5)
            } else {
                SanType::DnsName(ia5)
            });
        }
    }
    if let Some(ips) = p.text("ip")? {
        for ip in ips.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match ip.parse::<std::net::IpAddr>() {
                Ok(a) => sans.push(SanType::IpAddress(a)),
                Err(_) => {
                    return err(
                        ServiceCode::InvalidX509Ip,
                        format!("ip {ip:?} is not an IP address"),
                    );
                }
            }
        }
    }
    Ok(X509Input { subject, sans })
}

pub(super) fn parse_period(
    text: Option<String>,
    allow_max: bool,
) -> Result<Option<Period>, ServiceError> {
    let Some(t) = text else { return Ok(None) };
    let p: Period = t.parse().map_err(|_| {
        ServiceError::new(
            ServiceCode::InvalidInputPeriod,
            format!(
                "period {t:?}: expected 1 to 3650 days{}",
                if allow_max { " or MAX" } else { "" }
            ),
        )
    })?;
    if p == Period::Max && !allow_max {
        return err(
            ServiceCode::InvalidInputPeriod,
            "period MAX is not taken here: give 1 to 3650 days",
        );
    }
    Ok(Some(p))
}

pub(super) fn parse_key_type(text: Option<String>) -> Result<Option<KeyType>, ServiceError> {
    let kt = text
        .map(|t| {
            t.parse::<KeyType>().map_err(|_| {
                ServiceError::new(
                    ServiceCode::InvalidX509KeyType,
                    format!("keyType {t:?}: expected RSA2048, RSA4096, EC256 or EC521"),
                )
            })
        })
        .transpose()?;
    // Without the `ec521` feature there is no P-521 signer: refuse the request as bad input
    // (a 4xx the caller can act on) instead of failing inside key generation.
    if !cfg!(feature = "ec521") && kt == Some(KeyType::Ec521) {
        return err(
            ServiceCode::InvalidX509KeyType,
            "keyType EC521 needs the emulator built with its `ec521` feature \
             (pca: cargo install --path crates/pca-cli --features ec521)",
        );
    }
    Ok(kt)
}

pub(super) fn csr_der(body: &Body) -> Result<Vec<u8>, ServiceError> {
    let Some(csr) = body.text("csrPem")? else {
        return err(ServiceCode::EmptyCsr, "csr is missing");
    };
    let pem = pca_core::__private::pem_text::normalize_csr("csrPem", &csr)
        .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.to_string()))?;
    pem::parse(&pem)
        .map(pem::Pem::into_contents)
        .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, format!("csrPem: {e}")))
}

pub(super) fn parse_csr(der: &[u8]) -> Result<pki::ParsedCsr, ServiceError> {
    pki::parse_csr(der).map_err(|e| match e {
        CsrError::Malformed(m) => {
            ServiceError::new(ServiceCode::InvalidInput, format!("csrPem: {m}"))
        }
        CsrError::KeyType(m) => {
            ServiceError::new(ServiceCode::InvalidX509KeyType, format!("csrPem: {m}"))
        }
        CsrError::Signature(m) => ServiceError::new(
            ServiceCode::InvalidInput,
            format!("csrPem: the request's signature does not verify ({m})"),
        ),
    })
}

pub(super) fn pki_err(e: pki::PkiError) -> ServiceError {
    ServiceError::new(ServiceCode::FailCore, e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec521_is_accepted_exactly_when_the_feature_is_built() {
        let got = parse_key_type(Some("EC521".to_owned()));
        if cfg!(feature = "ec521") {
            assert_eq!(got.ok().flatten(), Some(KeyType::Ec521));
        } else {
            let e = got.expect_err("refused without the feature");
            assert_eq!(e.code, ServiceCode::InvalidX509KeyType);
            assert!(e.msg.contains("ec521"), "{}", e.msg);
        }
        assert_eq!(
            parse_key_type(Some("EC256".to_owned())).ok().flatten(),
            Some(KeyType::Ec256)
        );
    }
}
