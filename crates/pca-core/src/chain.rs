//! Ordering a certificate chain: issuer first, root last, no blanks, no duplicates.

use crate::pem_text::body_text;

/// Orders `chain` for `leaf`: `issuer` (when given) and the chain's certificates, blank entries
/// and duplicates (and copies of the leaf) removed, issuer first and root last.
pub(crate) fn order_chain(leaf: &str, issuer: Option<&str>, chain: Vec<String>) -> Vec<String> {
    let leaf_fp = body_text(leaf);
    let mut seen = vec![leaf_fp];
    let mut certs: Vec<String> = Vec::with_capacity(chain.len() + 1);
    for pem in issuer.map(str::to_owned).into_iter().chain(chain) {
        let pem = crate::pem_text::tidy(pem);
        if pem.is_empty() {
            continue;
        }
        let fp = body_text(&pem);
        if fp.is_empty() || seen.contains(&fp) {
            continue;
        }
        seen.push(fp);
        certs.push(pem);
    }
    #[cfg(feature = "x509")]
    if certs.len() > 1 {
        if let Some(ordered) = crate::x509::order_by_names(leaf, &certs) {
            return ordered;
        }
    }
    certs
}
