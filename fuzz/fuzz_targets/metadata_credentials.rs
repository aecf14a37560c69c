//! The metadata service's answers, read by the server-role credential provider: the role
//! listing and the credentials JSON (`Expiration` in RFC 3339 or milliseconds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pca_core::server_role::{first_role, parse_credentials, parse_rfc3339};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = first_role(text);
        let _ = parse_rfc3339(text);
    }
    match parse_credentials("role", data) {
        Ok(c) => {
            let secret = c.secret_key().expose_secret();
            let public = format!("{} {}", c.access_key(), c.source());
            if secret.len() >= 12 && !public.contains(secret) {
                let shown = format!("{c:?}");
                assert!(
                    !shown.contains(secret),
                    "credentials show their secret: {shown}"
                );
            }
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
});
