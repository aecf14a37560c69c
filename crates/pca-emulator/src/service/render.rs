//! Rendering: the `{caInfo, caCertInfo}` shape of CA answers and the URLs they list.

use super::*;

/// The URLs the CA `ca` writes into certificates: its CRL and certificate at the emulator
/// (once it has a certificate), and the OCSP URL set by Create OCSP.
pub(super) fn cert_urls(public_url: &str, ca: &Ca) -> pki::CertUrls {
    let own = |what: &str| {
        ca.record
            .cert_pem
            .as_ref()
            .map(|_| format!("{public_url}/ext/{}/{what}", ca.record.tag))
    };
    pki::CertUrls {
        ocsp: ca.record.ocsp_url.clone(),
        crl: own("crl"),
        ca_issuers: own("ca"),
    }
}

/// The `{caInfo, caCertInfo}` of a CA.
pub(super) fn ca_json(ca: &Ca, public_url: &str) -> Value {
    let r = &ca.record;
    let urls = cert_urls(public_url, ca);
    let url_info = json!({
        "ocsp": urls.ocsp.iter().collect::<Vec<_>>(),
        "crl": urls.crl.iter().collect::<Vec<_>>(),
        "ca": urls.ca_issuers.iter().collect::<Vec<_>>(),
    });
    let info = json!({
        "caTag": r.tag,
        "caId": r.id,
        "caType": r.ca_type.as_str(),
        "alias": r.alias,
        "memo": r.memo.clone().unwrap_or_default(),
        "nrn": format!("nrn:PUB:PCA::{}:CA/{}", r.id, r.tag),
        "status": r.status.as_str(),
        "signingCount": ca.signing_count(),
        "statusUpdateDate": r.status_update_date,
        "destroyDate": r.destroy_date,
        "rgstDate": r.rgst_date,
        "urlInfo": url_info,
    });
    let s = &r.subject;
    let mut cert_info = json!({
        "commonName": s.common_name,
        "country": s.country,
        "stateProvince": s.state_province,
        "locality": s.locality,
        "organization": s.organization,
        "organizationUnit": s.organization_unit,
        "caCertId": r.id,
    });
    if let (Some(pem), Value::Object(m)) = (&r.cert_pem, &mut cert_info) {
        if let Some(f) = pki::pem_der(pem).and_then(|d| pki::cert_facts(&d).ok()) {
            m.insert("issuerName".to_owned(), json!(f.issuer));
            m.insert("notBeforeDate".to_owned(), json!(f.not_before_ms));
            m.insert("notAfterDate".to_owned(), json!(f.not_after_ms));
            m.insert(
                "publicKeyAlgorithm".to_owned(),
                json!(f.public_key_algorithm),
            );
            m.insert(
                "signatureAlgorithm".to_owned(),
                json!(f.signature_algorithm),
            );
            m.insert("serialNo".to_owned(), json!(pki::serial_text(&f.serial)));
        }
        m.insert("certPem".to_owned(), json!(pem));
        m.insert(
            "chainPem".to_owned(),
            json!(pca_core::__private::join_pem(
                ca.full_chain().iter().map(String::as_str)
            )),
        );
    } else if let Value::Object(m) = &mut cert_info {
        m.insert(
            "publicKeyAlgorithm".to_owned(),
            json!(pki::key_type_algorithm(r.key_type)),
        );
    }
    json!({ "caInfo": info, "caCertInfo": cert_info })
}
