//! The signing group: Sign Sub CSR, Sign End CSR, Issue End Cert, Get End Cert List and
//! Revoke End Cert.

use super::*;

/// The end of validity for `period` under an issuer valid until `issuer_end` (clamped).
pub(super) fn not_after(
    now: SystemTime,
    period: Option<Period>,
    default_days: u64,
    issuer_end: Option<SystemTime>,
) -> SystemTime {
    let days = match period {
        Some(Period::Days(d)) => u64::from(d),
        Some(Period::Max) => match issuer_end {
            Some(end) => return end,
            None => ROOT_MAX_DAYS,
        },
        None => default_days,
    };
    let end = now + DAY * u32::try_from(days).unwrap_or(u32::MAX);
    match issuer_end {
        Some(limit) if limit < end => limit,
        _ => end,
    }
}

pub(super) fn cert_record(
    der: &[u8],
    ocsp: Option<&str>,
    is_ca: bool,
) -> Result<CertRecord, ServiceError> {
    let f = pki::cert_facts(der).map_err(pki_err)?;
    Ok(CertRecord {
        serial_no: pki::serial_text(&f.serial),
        cert_pem: pki::cert_pem(der),
        common_name: f.subject_cn.unwrap_or_default(),
        not_before: f.not_before_ms,
        not_after: f.not_after_ms,
        public_key_algorithm: f.public_key_algorithm,
        signature_algorithm: f.signature_algorithm,
        is_ca,
        revoked_at: None,
        in_crl: true,
        ocsp: ocsp.map(str::to_owned),
    })
}

/// A signing job prepared under the lock and run outside it.
pub(super) struct Reservation {
    tag: String,
    signer: Arc<Signer>,
    ocsp: Option<String>,
    urls: pki::CertUrls,
    chain: Vec<String>,
}

pub(super) fn find_cert<'a>(ca: &'a Ca, serial: &str) -> Result<&'a CertRecord, ServiceError> {
    ca.index
        .get(&pki::serial_key(serial))
        .and_then(|&i| ca.record.certs.get(i))
        .ok_or_else(|| {
            ServiceError::new(
                ServiceCode::NotFound,
                format!("no certificate {serial} at this CA"),
            )
        })
}

impl Service {
    /// Reserves a signing slot at the CA `tag`.
    pub(super) fn reserve(&self, tag: &str) -> Result<Reservation, ServiceError> {
        let mut st = self.lock();
        let ca = st
            .ca_mut_untracked(tag)
            .ok_or_else(|| ServiceError::new(ServiceCode::NotFound, format!("no CA {tag}")))?;
        let signer = require_active(ca)?;
        self.check_count(ca)?;
        ca.reserved += 1;
        Ok(Reservation {
            tag: tag.to_owned(),
            signer,
            ocsp: ca.record.ocsp_url.clone(),
            urls: cert_urls(&self.limits.public_url, ca),
            chain: ca.full_chain(),
        })
    }

    /// Stores a certificate signed under `r` and answers the signing result.
    pub(super) fn finish(
        &self,
        r: &Reservation,
        der: Result<Vec<u8>, ServiceError>,
        is_ca: bool,
        chain_as_string: bool,
    ) -> Result<Value, ServiceError> {
        let rec = der.and_then(|der| cert_record(&der, r.ocsp.as_deref(), is_ca));
        let mut st = self.lock();
        let Some(ca) = st.ca_mut_untracked(&r.tag) else {
            return err(ServiceCode::NotFound, format!("CA {} was deleted", r.tag));
        };
        ca.reserved = ca.reserved.saturating_sub(1);
        let rec = rec?;
        let serial = rec.serial_no.clone();
        let pem = rec.cert_pem.clone();
        ca.push_cert(rec);
        self.commit(st)?;
        let chain = if chain_as_string {
            Value::String(pca_core::__private::join_pem(
                r.chain.iter().map(String::as_str),
            ))
        } else {
            json!(r.chain)
        };
        Ok(json!({
            "certificate": pem,
            "caChain": chain,
            "issuer": r.chain.first().cloned().unwrap_or_default(),
            "serialNo": serial,
            "ocspResponder": r.ocsp.clone().unwrap_or_default(),
        }))
    }

    pub(super) fn sign_csr(
        &self,
        tag: &str,
        body: &Body,
        now: SystemTime,
        sub_ca: bool,
    ) -> Result<Value, ServiceError> {
        let period_text = body.text("period")?;
        let period = parse_period(period_text, !sub_ca)?;
        if sub_ca && period.is_none() {
            return err(ServiceCode::EmptyCaTtl, "period is missing");
        }
        let der = csr_der(body)?;
        // The CA must exist before the CSR is worked on.
        {
            let st = self.lock();
            find(&st, tag)?;
        }
        let csr = parse_csr(&der)?;
        if sub_ca && csr.subject_is_empty {
            return err(ServiceCode::EmptyCommonName, "the CSR's subject is empty");
        }
        let r = self.reserve(tag)?;
        let end = not_after(now, period, DEFAULT_END_DAYS, Some(r.signer.not_after));
        if !sub_ca {
            if let Some(Period::Days(d)) = period {
                if now + DAY * u32::from(d) > r.signer.not_after {
                    return self.finish(
                        &r,
                        err(
                            ServiceCode::ExceedExpiryDate,
                            "the period outlives the CA certificate",
                        ),
                        false,
                        false,
                    );
                }
            }
        }
        let start = now.checked_sub(BACKDATE).unwrap_or(now);
        let serial = pki::new_serial();
        let params = if sub_ca {
            pki::ca_params(csr.subject.clone(), &serial, start, end, &r.urls)
        } else {
            pki::end_params(
                csr.subject.clone(),
                csr.sans.clone(),
                &serial,
                start,
                end,
                &r.urls,
                csr.key.rsa,
            )
        };
        let signed = r.signer.sign(&params, &csr.key).map_err(pki_err);
        self.finish(&r, signed, sub_ca, false)
    }

    pub(super) fn issue_end_cert(
        &self,
        tag: &str,
        body: &Body,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let key_type = parse_key_type(body.text("keyType")?)?.unwrap_or(KeyType::Rsa2048);
        let period = parse_period(body.text("period")?, true)?;
        let x509 = x509_input(body, true)?;
        let dn = x509
            .subject
            .to_dn()
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.0))?;
        {
            let st = self.lock();
            let ca = find(&st, tag)?;
            require_active(ca)?;
            self.check_count(ca)?;
        }
        let key = pki::generate_key(key_type).map_err(pki_err)?;
        let r = self.reserve(tag)?;
        let start = now.checked_sub(BACKDATE).unwrap_or(now);
        let end = not_after(now, period, DEFAULT_END_DAYS, Some(r.signer.not_after));
        let params = pki::end_params(
            dn,
            x509.sans,
            &pki::new_serial(),
            start,
            end,
            &r.urls,
            matches!(key_type, KeyType::Rsa2048 | KeyType::Rsa4096),
        );
        let signed = r.signer.sign(&params, &key).map_err(pki_err);
        let mut out = self.finish(&r, signed, false, true)?;
        if let Value::Object(m) = &mut out {
            m.insert("privateKey".to_owned(), Value::String(key.serialize_pem()));
        }
        Ok(out)
    }

    pub(super) fn get_end_cert_list(
        &self,
        tag: &str,
        query: &Query,
    ) -> Result<Value, ServiceError> {
        let page = page_no(query)?;
        let size = self.limits.page_size;
        let st = self.lock();
        let ca = find(&st, tag)?;
        let certs = &ca.record.certs;
        let list: Vec<&str> = certs
            .iter()
            .skip((page - 1).saturating_mul(size))
            .take(size)
            .map(|c| c.serial_no.as_str())
            .collect();
        Ok(json!({
            "totalCnt": certs.len(),
            "listCerts": list,
            "totalPageNo": pages(certs.len(), size),
            "currentPageNo": page,
        }))
    }

    pub(super) fn revoke(
        &self,
        tag: &str,
        serial: &str,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        require_active(ca)?;
        let i = *ca.index.get(&pki::serial_key(serial)).ok_or_else(|| {
            ServiceError::new(
                ServiceCode::NotFound,
                format!("no certificate {serial} at this CA"),
            )
        })?;
        ca.touch(i);
        let cert = &mut ca.record.certs[i];
        if cert.revoked_at.is_some() {
            return err(
                ServiceCode::InvalidCert,
                "the certificate is already revoked",
            );
        }
        cert.revoked_at = Some(pki::millis(now));
        refresh_crl(ca, now)?;
        self.commit(st)?;
        Ok(Value::Null)
    }
}
