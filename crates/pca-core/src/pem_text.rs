//! PEM inputs: found, checked and normalized to the form the API takes (the Base64 body on
//! lines of 64 characters, `\n` line ends, a `\n` after the BEGIN line and before the END line,
//! no trailing newline).
//!
//! CSRs may come with CRLF line ends, surrounding whitespace and the older
//! `NEW CERTIFICATE REQUEST` label; they are sent as `CERTIFICATE REQUEST`. With the `x509`
//! feature the DER inside each block is parsed (`x509` module, on `der`); without it only the
//! PEM framing and the Base64 are checked.

use crate::error::InvalidInput;

/// One `-----BEGIN X-----` … `-----END X-----` block found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PemBlock<'a> {
    /// The label (`CERTIFICATE`, `X509 CRL` …).
    pub label: &'a str,
    /// The block, from its BEGIN line to its END line inclusive.
    pub text: &'a str,
}

/// The first position of `needle` (which starts with `-`) in `hay`. PEM markers are short and
/// texts hold few dashes, so looking only where a `-` stands is much cheaper than a general
/// substring search, whose setup dominates on texts this size.
fn find_marker(hay: &str, needle: &str) -> Option<usize> {
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(i) = bytes[from..].iter().position(|&b| b == b'-') {
        let at = from + i;
        if bytes[at..].starts_with(needle.as_bytes()) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Finds the PEM blocks of `text` by their BEGIN and END lines, without decoding them.
/// Returns the blocks and whether anything other than whitespace stands outside them.
pub fn find_blocks(text: &str) -> (Vec<PemBlock<'_>>, bool) {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let mut blocks = Vec::new();
    let mut stray = false;
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = find_marker(rest, BEGIN) {
        if !rest[..start].trim().is_empty() {
            stray = true;
        }
        let after_begin = start + BEGIN.len();
        let Some(label_len) = find_marker(&rest[after_begin..], DASHES) else {
            stray = true;
            rest = "";
            break;
        };
        let label = &rest[after_begin..after_begin + label_len];
        let Some(end_rel) = find_marker(&rest[after_begin..], END) else {
            stray = true;
            rest = "";
            break;
        };
        let end_label_start = after_begin + end_rel + END.len();
        let Some(close_rel) = find_marker(&rest[end_label_start..], DASHES) else {
            stray = true;
            rest = "";
            break;
        };
        let end_label = &rest[end_label_start..end_label_start + close_rel];
        let block_end = end_label_start + close_rel + DASHES.len();
        if end_label != label || label.contains('\n') {
            stray = true;
        } else {
            blocks.push(PemBlock {
                label,
                text: &text[offset + start..offset + block_end],
            });
        }
        offset += block_end;
        rest = &rest[block_end..];
    }
    if !rest.trim().is_empty() {
        stray = true;
    }
    (blocks, stray)
}

/// `text` without surrounding whitespace and with LF line ends (each CRLF, and each CR on its
/// own, becomes one LF, so that no CR is left); reuses `text`'s buffer when it is already in
/// that form (the usual case for the service's answers).
pub fn tidy(text: String) -> String {
    let trimmed = text.trim();
    if trimmed.contains('\r') {
        let mut out = String::with_capacity(trimmed.len());
        let mut parts = trimmed.split('\r').peekable();
        while let Some(part) = parts.next() {
            // Every part but the first follows a CR: its LF, if any, is that CR's.
            out.push_str(part);
            if let Some(next) = parts.peek_mut() {
                out.push('\n');
                *next = next.strip_prefix('\n').unwrap_or(next);
            }
        }
        out
    } else if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_owned()
    }
}

/// The Base64 text of a PEM block (what stands between its BEGIN and END markers), whitespace
/// removed; the whole text, whitespace removed, when it has no markers.
pub fn body_text(block: &str) -> Vec<u8> {
    let mut body = block;
    if let Some(begin) = find_marker(body, "-----BEGIN ") {
        let after = begin + "-----BEGIN ".len();
        if let Some(close) = find_marker(&body[after..], "-----") {
            body = &body[after + close + "-----".len()..];
        }
    }
    if let Some(end) = find_marker(body, "-----END ") {
        body = &body[..end];
    }
    body.bytes().filter(|b| !b.is_ascii_whitespace()).collect()
}

/// The decoded Base64 body of a PEM block (see [`body_text`]); `None` when it is not Base64.
pub fn decode_body(block: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(body_text(block))
        .ok()
}

/// Decodes one block's Base64 (any line length, CRLF or LF).
fn decode_block(field: &'static str, block: &PemBlock<'_>) -> Result<Vec<u8>, InvalidInput> {
    let parsed = pem::parse(block.text).map_err(|e| InvalidInput::Pem {
        field,
        reason: format!("the {} block does not decode: {e}", block.label),
    })?;
    if parsed.contents().is_empty() {
        return Err(InvalidInput::Pem {
            field,
            reason: format!("the {} block is empty", block.label),
        });
    }
    Ok(parsed.into_contents())
}

/// The canonical PEM text of `der` under `label`, without a trailing newline.
pub fn encode(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    let mut s = pem::encode_config(&pem::Pem::new(label, der.to_vec()), config);
    while s.ends_with('\n') {
        s.pop();
    }
    s
}

fn blocks_of<'a>(
    field: &'static str,
    text: &'a str,
    what: &str,
) -> Result<Vec<PemBlock<'a>>, InvalidInput> {
    if text.trim().is_empty() {
        return Err(InvalidInput::Pem {
            field,
            reason: format!("empty: expected {what}"),
        });
    }
    let (blocks, stray) = find_blocks(text);
    if blocks.is_empty() {
        return Err(InvalidInput::Pem {
            field,
            reason: format!("no PEM block found: expected {what}"),
        });
    }
    if stray {
        return Err(InvalidInput::Pem {
            field,
            reason: "text outside the PEM blocks (only whitespace may surround them)".to_owned(),
        });
    }
    Ok(blocks)
}

/// Checks that `text` is one PKCS#10 certificate request and returns it in the API's form.
pub fn normalize_csr(field: &'static str, text: &str) -> Result<String, InvalidInput> {
    let blocks = blocks_of(field, text, "one CERTIFICATE REQUEST block")?;
    if blocks.len() != 1 {
        return Err(InvalidInput::Pem {
            field,
            reason: format!(
                "{} PEM blocks: expected exactly one CERTIFICATE REQUEST",
                blocks.len()
            ),
        });
    }
    let block = &blocks[0];
    if block.label != "CERTIFICATE REQUEST" && block.label != "NEW CERTIFICATE REQUEST" {
        return Err(InvalidInput::Pem {
            field,
            reason: format!("a {} block: expected CERTIFICATE REQUEST", block.label),
        });
    }
    let der = decode_block(field, block)?;
    check_der(field, DerKind::Csr, &der)?;
    Ok(encode("CERTIFICATE REQUEST", &der))
}

/// Checks that `text` is one X.509 certificate and returns it in the API's form.
pub fn normalize_certificate(field: &'static str, text: &str) -> Result<String, InvalidInput> {
    let certs = normalize_certificates(field, text)?;
    if certs.len() != 1 {
        return Err(InvalidInput::Pem {
            field,
            reason: format!("{} certificates: expected exactly one", certs.len()),
        });
    }
    Ok(certs.into_iter().next().unwrap_or_default())
}

/// Checks that `text` is one or more X.509 certificates and returns each in the API's form.
pub fn normalize_certificates(
    field: &'static str,
    text: &str,
) -> Result<Vec<String>, InvalidInput> {
    let blocks = blocks_of(field, text, "CERTIFICATE blocks")?;
    let mut out = Vec::with_capacity(blocks.len());
    for block in &blocks {
        if block.label != "CERTIFICATE" {
            return Err(InvalidInput::Pem {
                field,
                reason: format!("a {} block: expected CERTIFICATE", block.label),
            });
        }
        let der = decode_block(field, block)?;
        check_der(field, DerKind::Certificate, &der)?;
        out.push(encode("CERTIFICATE", &der));
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum DerKind {
    Csr,
    Certificate,
}

#[cfg(feature = "x509")]
fn check_der(field: &'static str, kind: DerKind, der: &[u8]) -> Result<(), InvalidInput> {
    // Bytes after the structure are an error of `from_der`.
    let (expected, result) = match kind {
        DerKind::Csr => (
            "PKCS#10 certificate request",
            crate::x509::csr_from_der(der).map(drop),
        ),
        DerKind::Certificate => (
            "X.509 certificate",
            crate::x509::Cert::from_der(der).map(drop),
        ),
    };
    result.map_err(|reason| InvalidInput::Der {
        field,
        expected,
        reason,
    })
}

#[cfg(not(feature = "x509"))]
fn check_der(field: &'static str, kind: DerKind, der: &[u8]) -> Result<(), InvalidInput> {
    // Without an X.509 parser, check only that the content is a DER SEQUENCE.
    let expected = match kind {
        DerKind::Csr => "PKCS#10 certificate request",
        DerKind::Certificate => "X.509 certificate",
    };
    if der.first() != Some(&0x30) {
        return Err(InvalidInput::Der {
            field,
            expected,
            reason: "does not start with a DER SEQUENCE".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_leaves_no_carriage_return() {
        // `\r\r\n` became `\r\n` when only CRLF pairs were replaced.
        assert_eq!(tidy("a\r\r\nb".to_owned()), "a\n\nb");
        assert_eq!(tidy(" a\r\nb\rc\n\rd \r\n".to_owned()), "a\nb\nc\n\nd");
        // Every text over a small alphabet, up to 7 characters: no CR is left, LF line ends
        // are kept as they are, each CRLF or lone CR is one LF, and a second pass changes
        // nothing.
        let alphabet = ['a', '\r', '\n', ' '];
        let mut texts = vec![String::new()];
        for _ in 0..7 {
            let longer: Vec<String> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, String::len))
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        assert!(texts.len() > 20_000);
        for text in texts {
            let once = tidy(text.clone());
            assert!(!once.contains('\r'), "{text:?} → {once:?}");
            let expected = text.trim().replace("\r\n", "\n").replace('\r', "\n");
            assert_eq!(once, expected, "{text:?}");
            assert_eq!(tidy(once.clone()), once, "{text:?}");
        }
    }
}
