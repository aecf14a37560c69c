//! Response parsing of every operation with arbitrary status, headers and body.
//!
//! Input: the operation's name line (see the crate docs), a status line (`200`), header lines
//! (`name: value`) up to an empty line, then the body; a header line `@<milliseconds>` sets
//! the time the request was signed at, so that any `Date` and any signing time meet in the
//! clock-skew detection; the signing answers' chains are checked to come out
//! de-duplicated and with LF line ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pca_core::Operation;
use pca_core::Timestamp;
use pca_core::operations::{SignEndCsr, SignSubCsr};
use pca_fuzz::{NAMES, first_line, operation_of, parse_as};

fuzz_target!(|data: &[u8]| {
    let (index, rest) = operation_of(data);
    let (status, mut rest) = first_line(rest);
    let status = status.trim().parse::<u16>().unwrap_or(200);
    let Ok(mut builder) =
        http::StatusCode::from_u16(status).map(|s| http::Response::builder().status(s))
    else {
        return;
    };
    let mut sent_at = Timestamp::from_unix_millis(1_700_000_000_000);
    loop {
        let (line, after) = first_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        if let Some(ms) = line.strip_prefix('@') {
            if let Ok(ms) = ms.trim().parse::<u64>() {
                sent_at = Timestamp::from_unix_millis(ms);
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                http::HeaderValue::from_str(value.trim()),
            ) {
                builder = builder.header(name, value);
            }
        }
    }
    let Ok(response) = builder.body(rest.to_vec()) else {
        return;
    };
    parse_as(index, &response, sent_at);
    match NAMES[index] {
        "sign_sub_csr" => check_chain(SignSubCsr::parse_response(&response, sent_at).ok()),
        "sign_end_csr" => check_chain(SignEndCsr::parse_response(&response, sent_at).ok()),
        _ => {}
    }
});

/// A signing answer's chain: no entry twice, no CR.
fn check_chain(signed: Option<pca_core::SignedCertificate>) {
    let Some(signed) = signed else { return };
    let chain = signed.chain_pem();
    assert!(!chain.contains('\r'), "a CR in the chain: {chain:?}");
    let blocks = pca_core::__private::pem_text::find_blocks(&chain).0;
    let mut bodies: Vec<Vec<u8>> = blocks
        .iter()
        .map(|b| pca_core::__private::pem_text::body_text(b.text))
        .collect();
    let n = bodies.len();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), n, "an entry twice in the chain: {chain:?}");
}
