//! The X.509 view (`CertificateInfo`): DER bytes, the same as PEM, and any text as PEM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pca_core::CertificateInfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = CertificateInfo::from_der(data) {
        let _ = format!("{info:?}");
        let pem = pca_core::__private::pem_text::encode("CERTIFICATE", data);
        let again = CertificateInfo::from_pem(&pem).expect("the same certificate as PEM");
        assert_eq!(format!("{info:?}"), format!("{again:?}"));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(all) = CertificateInfo::all_from_pem(text) {
            let _ = format!("{all:?}");
        }
        let _ = CertificateInfo::from_pem(text);
    }
});
