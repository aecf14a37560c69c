//! PEM tidying and normalisation, as applied to the service's PEM fields and to users' CSRs
//! and certificates.
//!
//! Input: any text. `tidy` leaves no CR and no surrounding whitespace and is idempotent; the
//! blocks found lie within the text; a normalised CSR or certificate is in the API's form and
//! normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pca_core::__private::pem_text::{find_blocks, normalize_certificate, normalize_csr, tidy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tidied = tidy(text.to_owned());
    assert!(!tidied.contains('\r'), "{tidied:?}");
    assert_eq!(tidied.trim(), tidied);
    assert_eq!(tidy(tidied.clone()), tidied);

    let (blocks, _) = find_blocks(text);
    for block in &blocks {
        assert!(block.text.starts_with("-----BEGIN "));
        assert!(block.text.ends_with("-----"));
        let start = block.text.as_ptr() as usize - text.as_ptr() as usize;
        assert!(start + block.text.len() <= text.len());
    }

    if let Ok(csr) = normalize_csr("csr", text) {
        assert!(
            csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"),
            "{csr:?}"
        );
        assert!(!csr.contains('\r') && !csr.ends_with('\n'), "{csr:?}");
        assert_eq!(normalize_csr("csr", &csr).as_deref(), Ok(csr.as_str()));
    }
    if let Ok(cert) = normalize_certificate("certificate", text) {
        assert!(!cert.contains('\r') && !cert.ends_with('\n'), "{cert:?}");
        assert_eq!(
            normalize_certificate("certificate", &cert).as_deref(),
            Ok(cert.as_str())
        );
    }
});
