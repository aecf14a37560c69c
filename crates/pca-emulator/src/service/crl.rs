//! The CRL and OCSP group: Get CA CRL, Update CRL Config, Rotate CRL, Trim CA, Create and
//! Delete OCSP, and the public `/ext/{caTag}/…` endpoints.

use super::*;

/// Issues a new CRL for `ca`.
pub(super) fn refresh_crl(ca: &mut Ca, now: SystemTime) -> Result<(), ServiceError> {
    let Some(signer) = ca.signer.clone() else {
        return Ok(());
    };
    let revoked: Vec<(Vec<u8>, SystemTime)> = ca
        .record
        .certs
        .iter()
        .filter(|c| c.in_crl)
        .filter_map(|c| Some((serial_bytes(&c.serial_no)?, pki::from_millis(c.revoked_at?))))
        .collect();
    let next = (now + DAY * ca.record.crl_expiry_days)
        .min(signer.not_after.max(now + Duration::from_secs(60)));
    ca.record.crl_number += 1;
    let pem = signer
        .sign_crl(ca.record.crl_number, now, next, &revoked)
        .map_err(pki_err)?;
    ca.record.crl_pem = Some(pem.trim().to_owned());
    ca.record.crl_next_update = pki::millis(next);
    Ok(())
}

pub(super) fn serial_bytes(text: &str) -> Option<Vec<u8>> {
    text.split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

impl Service {
    /// The DER of the CA's current CRL (reissued first when it has expired), for the public
    /// CRL distribution point; `None` when the CA does not exist or has no certificate yet.
    pub(crate) fn ext_crl(&self, raw_tag: &str, now: SystemTime) -> Option<Vec<u8>> {
        let tag = check_tag(raw_tag).ok()?;
        let pem_text = self.get_crl(&tag, now).ok()?;
        pem::parse(pem_text.as_str()?)
            .ok()
            .map(pem::Pem::into_contents)
    }

    /// The DER of the CA certificate; `None` when the CA does not exist or has none yet.
    pub(crate) fn ext_ca(&self, raw_tag: &str) -> Option<Vec<u8>> {
        let tag = check_tag(raw_tag).ok()?;
        let st = self.lock();
        pki::pem_der(st.ca(&tag)?.record.cert_pem.as_deref()?)
    }

    /// The OCSP answer of the CA `raw_tag` to the DER request `request`: `malformedRequest`
    /// for a request that does not decode, `unauthorized` for a CA the emulator does not have
    /// (or that has no certificate), else a response signed by the CA.
    pub(crate) fn ext_ocsp(&self, raw_tag: &str, request: &[u8], now: SystemTime) -> Vec<u8> {
        use x509_ocsp::OcspResponseStatus as S;
        let Some(req) = ocsp::parse(request) else {
            return ocsp::refusal(S::MalformedRequest);
        };
        let found = check_tag(raw_tag).ok().and_then(|tag| {
            let st = self.lock();
            let ca = st.ca(&tag)?;
            let signer = ca.signer.clone()?;
            let statuses: Vec<ocsp::Status> = ocsp::serials_for(&req, &signer)
                .into_iter()
                .map(|serial| {
                    let cert = serial
                        .and_then(|s| ca.index.get(&pki::serial_key(&s)))
                        .and_then(|&i| ca.record.certs.get(i));
                    match cert {
                        None => ocsp::Status::Unknown,
                        Some(c) => match c.revoked_at {
                            Some(ms) => ocsp::Status::Revoked(pki::from_millis(ms)),
                            None => ocsp::Status::Good,
                        },
                    }
                })
                .collect();
            let next = (now + DAY * ca.record.crl_expiry_days).min(signer.not_after.max(now));
            Some((signer, statuses, next))
        });
        let Some((signer, statuses, next)) = found else {
            return ocsp::refusal(S::Unauthorized);
        };
        ocsp::respond(&req, &statuses, &signer, now, next).unwrap_or_else(|e| {
            tracing::error!(error = %e.0, "cannot sign an OCSP answer");
            ocsp::refusal(S::InternalError)
        })
    }

    pub(super) fn get_crl(&self, tag: &str, now: SystemTime) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        if ca.signer.is_none() {
            return err(ServiceCode::InvalidCaStatus, "a PENDING CA has no CRL");
        }
        let stale = ca.record.crl_pem.is_none() || ca.record.crl_next_update <= pki::millis(now);
        if stale && ca.record.status == Status::Active {
            refresh_crl(ca, now)?;
            let out = Value::String(ca.record.crl_pem.clone().unwrap_or_default());
            self.commit(st)?;
            return Ok(out);
        }
        Ok(Value::String(ca.record.crl_pem.clone().unwrap_or_default()))
    }

    pub(super) fn update_crl_config(
        &self,
        tag: &str,
        body: &Body,
        now: SystemTime,
    ) -> Result<Value, ServiceError> {
        let Some(expiry) = body.text("expiry")? else {
            return err(ServiceCode::InvalidInput, "expiry is missing");
        };
        let days: u32 = expiry.trim().parse().map_err(|_| {
            ServiceError::new(ServiceCode::InvalidInput, "expiry must be a number of days")
        })?;
        let days = CrlExpiry::days(days)
            .map_err(|e| ServiceError::new(ServiceCode::InvalidInput, e.to_string()))?
            .get();
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        let signer = require_active(ca)?;
        if now + DAY * u32::from(days) > signer.not_after {
            return err(
                ServiceCode::ExceedExpiryDate,
                "the CRL would outlive the CA certificate",
            );
        }
        ca.record.crl_expiry_days = u32::from(days);
        refresh_crl(ca, now)?;
        self.commit(st)?;
        Ok(json!({ "expiry": days.to_string() }))
    }

    pub(super) fn rotate_crl(
        &self,
        tag: &str,
        now: SystemTime,
        trim: bool,
    ) -> Result<Value, ServiceError> {
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        require_active(ca)?;
        if trim {
            let now_ms = pki::millis(now);
            let mut changed = Vec::new();
            for (i, c) in ca.record.certs.iter_mut().enumerate() {
                if c.in_crl && c.revoked_at.is_some() && c.not_after < now_ms {
                    c.in_crl = false;
                    changed.push(i);
                }
            }
            for i in changed {
                ca.touch(i);
            }
        }
        refresh_crl(ca, now)?;
        self.commit(st)?;
        Ok(Value::Null)
    }

    pub(super) fn set_ocsp(&self, tag: &str, body: Option<&Body>) -> Result<Value, ServiceError> {
        let url = match body {
            Some(b) => {
                let Some(url) = b.text("ocsp_servers")? else {
                    return err(ServiceCode::InvalidInput, "ocsp_servers is missing");
                };
                let ok = url.len() <= 2048
                    && (url.starts_with("https://") || url.starts_with("http://"))
                    && url.bytes().all(|b| b.is_ascii_graphic() && b != b',');
                if !ok {
                    return err(
                        ServiceCode::InvalidX509Uri,
                        "ocsp_servers must be one absolute http(s) URL",
                    );
                }
                Some(url)
            }
            None => None,
        };
        let mut st = self.lock();
        let ca = find_mut(&mut st, tag)?;
        ca.record.ocsp_url = url;
        self.commit(st)?;
        Ok(Value::Null)
    }
}
