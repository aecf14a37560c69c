//! The CA group: Create CA, Get CA List, Update CA, Delete CA, Activate Sub CA.

use super::*;

pub(super) fn require_active(ca: &Ca) -> Result<Arc<Signer>, ServiceError> {
    match (ca.record.status, &ca.signer) {
        (Status::Active, Some(s)) => Ok(s.clone()),
        (status, _) => err(
            ServiceCode::InvalidCaStatus,
            format!("the CA is {status}: only an ACTIVE CA signs"),
        ),
    }
}

pub(super) fn new_tag() -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digits: String = (0..8)
        .map(|_| char::from(b'0' + rand::random_range(0..10u8)))
        .collect();
    let rest: String = (0..8)
        .map(|_| char::from(ALNUM[rand::random_range(0..ALNUM.len())]))
        .collect();
    format!("{digits}-{rest}")
}

pub(super) fn subject_record(s: &Subject) -> SubjectRecord {
    SubjectRecord {
        common_name: s.common_name.clone(),
        country: s.country.clone(),
        state_province: s.state_province.clone(),
        locality: s.locality.clone(),
        organization: s.organization.clone(),
        organization_unit: s.organization_unit.clone(),
    }
}

pub(super) fn find<'a>(st: &'a State, tag: &str) -> Result<&'a Ca, ServiceError> {
    st.ca(tag)
        .ok_or_else(|| ServiceError::new(ServiceCode::NotFound, format!("no CA {tag}")))
}

pub(super) fn find_mut<'a>(st: &'a mut State, tag: &str) -> Result<&'a mut Ca, ServiceError> {
    st.ca_mut(tag)
        .ok_or_else(|| ServiceError::new(ServiceCode::NotFound, format!("no CA {tag}")))
}

/// Removes the CA `tag` and every CA it signed here; `true` when something was removed.
pub(super) fn remove_tree(st: &mut State, tag: &str) -> bool {
    let mut doomed = vec![tag.to_owned()];
    let mut i = 0;
    while i < doomed.len() {
        let parent = doomed[i].clone();
        for c in &st.cas {
            if c.record.issuer_tag.as_deref() == Some(parent.as_str())
                && !doomed.contains(&c.record.tag)
            {
                doomed.push(c.record.tag.clone());
            }
        }
        i += 1;
    }
    let before = st.cas.len();
    st.cas.retain(|c| !doomed.contains(&c.record.tag));
    let removed = st.cas.len() != before;
    st.deleted.extend(doomed);
    removed
}

/// Orders `chain` from the issuer of `cert` upwards by signatures; `None` when no certificate
/// of `chain` signed `cert`. Certificates off the path follow in their given order.
pub(super) fn order_chain(cert: &[u8], chain: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let mut used = vec![false; chain.len()];
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current = cert.to_vec();
    while let Some(i) =
        (0..chain.len()).find(|&i| !used[i] && pki::is_signed_by(&current, &chain[i]))
    {
        used[i] = true;
        out.push(chain[i].clone());
        if pki::is_signed_by(&chain[i], &chain[i]) {
            break;
        }
        current = chain[i].clone();
    }
    if out.is_empty() {
        return None;
    }
    out.extend(
        chain
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(c, _)| c.clone()),
    );
    Some(out)
}

impl Service {
    pub(super) fn create_ca(
        &self,
        query: &Query,
        body: &Body,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let Some(ca_type) = query.get("caType") else {
            return err(ServiceCode::EmptyCaType, "caType is missing");
        };
        let ca_type: CaType = ca_type.parse().map_err(|_| {
            ServiceError::new(
                ServiceCode::InvalidInput,
                "caType must be PRIVATE_ROOT or PRIVATE_SUB",
            )
        })?;
        let issuer_tag = match query.get("issuerTag") {
            Some(t) => Some(
                CaTag::new(t)
                    .map_err(|e| ServiceError::new(ServiceCode::InvalidIssuerCa, e.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        if issuer_tag.is_some() && ca_type == CaType::PrivateRoot {
            return err(
                ServiceCode::InvalidInput,
                "issuerTag is taken for PRIVATE_SUB only",
            );
        }
        let Some(alias) = body.text("alias")? else {
            return err(ServiceCode::EmptyCaAlias, "alias is missing");
        };
        if alias.chars().count() > 15 {
            return err(
                ServiceCode::ExceedCaAlias,
                "alias is longer than 15 characters",
            );
        }
        let alias = Alias::new(&alias)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.to_string()))?
            .as_str()
            .to_owned();
        let memo = body.text("memo")?;
        if memo.as_ref().is_some_and(|m| m.chars().count() > 1000) {
            return err(
                ServiceCode::InvalidInput,
                "memo is longer than 1000 characters",
            );
        }
        let Some(key_type) = parse_key_type(body.text("keyType")?)? else {
            return err(ServiceCode::EmptyKeyType, "keyType is missing");
        };
        let Some(period) = parse_period(body.text("period")?, true)? else {
            return err(ServiceCode::EmptyCaTtl, "period is missing");
        };
        let x509 = x509_input(body, false)?;
        let dn = x509
            .subject
            .to_dn()
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.0))?;

        // Cheap checks first, so that a refused request makes no key.
        {
            let st = self.lock();
            self.check_new_ca(&st, &alias, issuer_tag.as_deref())?;
        }
        let key = pki::generate_key(key_type).map_err(pki_err)?;
        let key_pem = key.serialize_pem();

        let mut st = self.lock();
        self.check_new_ca(&st, &alias, issuer_tag.as_deref())?;
        let now_ms = pki::millis(now);
        let start = now.checked_sub(BACKDATE).unwrap_or(now);
        let mut tag = new_tag();
        while st.ca(&tag).is_some() {
            tag = new_tag();
        }
        st.next_id += 1;
        let id = st.next_id;
        let (status, cert_der, chain, csr_pem) = match (ca_type, &issuer_tag) {
            (CaType::PrivateRoot, _) => {
                let mut params = pki::ca_params(
                    dn,
                    &pki::new_serial(),
                    start,
                    not_after(now, Some(period), ROOT_MAX_DAYS, None),
                    &pki::CertUrls::default(),
                );
                params.subject_alt_names = x509.sans.clone();
                let der = pki::self_sign(&params, &key).map_err(pki_err)?;
                (Status::Active, Some(der), Vec::new(), None)
            }
            (CaType::PrivateSub, Some(parent_tag)) => {
                let parent = find_mut(&mut st, parent_tag).map_err(|_| {
                    ServiceError::new(ServiceCode::NotExistIssuerCa, format!("no CA {parent_tag}"))
                })?;
                let signer = require_active(parent)?;
                let ocsp = parent.record.ocsp_url.clone();
                let mut params = pki::ca_params(
                    dn,
                    &pki::new_serial(),
                    start,
                    not_after(now, Some(period), ROOT_MAX_DAYS, Some(signer.not_after)),
                    &cert_urls(&self.limits.public_url, parent),
                );
                params.subject_alt_names = x509.sans.clone();
                let der = signer.sign(&params, &key).map_err(pki_err)?;
                parent.push_cert(cert_record(&der, ocsp.as_deref(), true)?);
                (Status::Active, Some(der), parent.full_chain(), None)
            }
            (CaType::PrivateSub, None) => {
                let csr = pki::make_csr(dn, x509.sans.clone(), &key).map_err(pki_err)?;
                (
                    Status::Pending,
                    None,
                    Vec::new(),
                    Some(csr.trim().to_owned()),
                )
            }
            // A CA type added to pca-core later: not one the emulator makes.
            (other, _) => return err(ServiceCode::InvalidInput, format!("caType {other}")),
        };
        let record = CaRecord {
            tag: tag.clone(),
            id,
            ca_type,
            alias,
            memo,
            status,
            key_type,
            key_pem,
            subject: subject_record(&x509.subject),
            issuer_tag,
            cert_pem: cert_der.as_deref().map(pki::cert_pem),
            chain,
            csr_pem,
            period_days: match period {
                Period::Days(d) => Some(u32::from(d)),
                Period::Max => None,
            },
            rgst_date: now_ms,
            status_update_date: now_ms,
            destroy_date: None,
            ocsp_url: None,
            crl_expiry_days: DEFAULT_CRL_EXPIRY_DAYS,
            crl_number: 0,
            crl_pem: None,
            crl_next_update: 0,
            certs: Vec::new(),
            users: Vec::new(),
        };
        let signer = match &cert_der {
            Some(der) => Some(Arc::new(Signer::new(key, der).map_err(pki_err)?)),
            None => None,
        };
        let mut ca = Ca::new(record, signer);
        if ca.signer.is_some() {
            refresh_crl(&mut ca, now)?;
        }
        let out = ca_json(&ca, &self.limits.public_url);
        st.cas.push(ca);
        self.commit(st)?;
        Ok(out)
    }

    pub(super) fn check_new_ca(
        &self,
        st: &State,
        alias: &str,
        issuer: Option<&str>,
    ) -> Result<(), ServiceError> {
        if st.cas.len() >= self.limits.max_cas {
            return err(
                ServiceCode::UnprocessableEntity,
                format!("at most {} CAs may exist", self.limits.max_cas),
            );
        }
        if st.cas.iter().any(|c| c.record.alias == alias) {
            return err(
                ServiceCode::AlreadyExistAlias,
                format!("a CA with alias {alias} exists"),
            );
        }
        if let Some(tag) = issuer {
            let parent = st.ca(tag).ok_or_else(|| {
                ServiceError::new(ServiceCode::NotExistIssuerCa, format!("no CA {tag}"))
            })?;
            require_active(parent)?;
            self.check_count(parent)?;
        }
        Ok(())
    }

    pub(super) fn check_count(&self, ca: &Ca) -> Result<(), ServiceError> {
        if ca.record.certs.len() as u64 + ca.reserved >= self.limits.max_certs_per_ca {
            return err(
                ServiceCode::ExceedSigningCount,
                format!(
                    "a CA signs at most {} certificates",
                    self.limits.max_certs_per_ca
                ),
            );
        }
        Ok(())
    }

    pub(super) fn get_ca_list(&self, query: &Query) -> Result<Value, ServiceError> {
        let page = page_no(query)?;
        let size = self.limits.page_size;
        let st = self.lock();
        let list: Vec<Value> = st
            .cas
            .iter()
            .skip((page - 1).saturating_mul(size))
            .take(size)
            .map(|c| ca_json(c, &self.limits.public_url))
            .collect();
        Ok(json!({
            "totalCnt": st.cas.len(),
            "caInfoList": list,
            "totalPageNo": pages(st.cas.len(), size),
            "currentPageNo": page,
        }))
    }

    pub(super) fn update_ca(
        &self,
        tag: &str,
        body: &Body,
        now_ms: i64,
    ) -> Result<Value, ServiceError> {
        let Some(status) = body.text("status")? else {
            return err(ServiceCode::EmptyStatus, "status is missing");
        };
        let status: CaStatus = status.parse().map_err(|_| {
            ServiceError::new(
                ServiceCode::InvalidInputStatus,
                "status must be ACTIVE, DEACTIVATED or DESTROYING",
            )
        })?;
        let memo = body.text("memo")?;
        if memo.as_ref().is_some_and(|m| m.chars().count() > 1000) {
            return err(
                ServiceCode::InvalidInput,
                "memo is longer than 1000 characters",
            );
        }
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        let current = ca.record.status;
        let next = match (status, current) {
            (CaStatus::Active, Status::Active | Status::Deactivated | Status::Destroying) => {
                if ca.record.cert_pem.is_some() {
                    Status::Active
                } else {
                    Status::Pending
                }
            }
            (CaStatus::Active, Status::Pending) => {
                return err(
                    ServiceCode::InvalidCaStatus,
                    "a PENDING sub CA becomes ACTIVE with Activate Sub CA",
                );
            }
            (CaStatus::Deactivated, Status::Active | Status::Deactivated) => Status::Deactivated,
            (CaStatus::Destroying, _) => Status::Destroying,
            (_, cur) => {
                return err(
                    ServiceCode::InvalidCaStatus,
                    format!("a {cur} CA cannot become {}", status.as_str()),
                );
            }
        };
        if next != current {
            ca.record.status = next;
            ca.record.status_update_date = now_ms;
            ca.record.destroy_date = (next == Status::Destroying).then(|| {
                now_ms.saturating_add(i64::try_from(DESTROY_DELAY.as_millis()).unwrap_or(i64::MAX))
            });
        }
        if let Some(m) = memo {
            ca.record.memo = Some(m);
        }
        // The current docs put destroyDate at data.destroyDate as well as in data.caInfo.
        let mut out = ca_json(ca, &self.limits.public_url);
        if let Value::Object(m) = &mut out {
            m.insert("destroyDate".to_owned(), json!(ca.record.destroy_date));
        }
        self.commit(st)?;
        Ok(out)
    }

    pub(super) fn delete_ca(&self, tag: &str) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find(&st, tag)?;
        if ca.record.status != Status::Destroying {
            return err(
                ServiceCode::InvalidCaStatus,
                format!(
                    "the CA is {}: only a DESTROYING CA is deleted",
                    ca.record.status
                ),
            );
        }
        remove_tree(&mut st, tag);
        self.commit(st)?;
        Ok(Value::Null)
    }

    pub(super) fn activate(
        &self,
        tag: &str,
        body: &Body,
        now_ms: i64,
    ) -> Result<Value, ServiceError> {
        let Some(cert) = body.text("certPem")? else {
            return err(ServiceCode::EmptyCert, "cert is missing");
        };
        let Some(chain) = body.text("caChainPem")? else {
            return err(ServiceCode::InvalidInputCaChain, "caChainPem is missing");
        };
        let cert = pca_core::__private::pem_text::normalize_certificate("certPem", &cert)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInputCert, e.to_string()))?;
        let chain = pca_core::__private::pem_text::normalize_certificates("caChainPem", &chain)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInputCaChain, e.to_string()))?;
        let cert_der = pki::pem_der(&cert).ok_or_else(|| {
            ServiceError::new(ServiceCode::InvalidInputCert, "certPem does not decode")
        })?;
        let facts = pki::cert_facts(&cert_der)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInputCert, e.0))?;
        if !facts.is_ca || !facts.can_sign_certs {
            return err(
                ServiceCode::InvalidInputCert,
                "certPem is not a CA certificate (basicConstraints CA:TRUE and keyCertSign needed)",
            );
        }
        let chain_der: Vec<Vec<u8>> = chain
            .iter()
            .map(|c| {
                pki::pem_der(c).ok_or_else(|| {
                    ServiceError::new(
                        ServiceCode::InvalidInputCaChain,
                        "caChainPem does not decode",
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let ordered = order_chain(&cert_der, &chain_der).ok_or_else(|| {
            ServiceError::new(
                ServiceCode::InvalidInputCaChain,
                "no certificate of caChainPem signed certPem",
            )
        })?;

        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        if ca.record.status != Status::Pending {
            return err(
                ServiceCode::InvalidCaStatus,
                format!(
                    "the CA is {}: only a PENDING sub CA is activated",
                    ca.record.status
                ),
            );
        }
        let key = pki::load_key(ca.record.key_type, &ca.record.key_pem).map_err(pki_err)?;
        if key.subject_public_key_info() != facts.spki {
            return err(
                ServiceCode::InvalidInputCert,
                "certPem does not certify this CA's key",
            );
        }
        let signer = Signer::new(key, &cert_der).map_err(pki_err)?;
        ca.record.cert_pem = Some(pki::cert_pem(&cert_der));
        ca.record.chain = ordered.iter().map(|d| pki::cert_pem(d)).collect();
        ca.record.csr_pem = None;
        ca.record.status = Status::Active;
        ca.record.status_update_date = now_ms;
        ca.signer = Some(Arc::new(signer));
        refresh_crl(ca, pki::from_millis(now_ms))?;
        let out = ca_json(ca, &self.limits.public_url);
        self.commit(st)?;
        Ok(out)
    }
}
