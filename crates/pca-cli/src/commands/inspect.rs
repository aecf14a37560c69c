//! `pca inspect FILE`: certificates, chains, CSRs and CRLs as a readable summary or JSON.

use serde_json::json;

use crate::cli::InspectArgs;
use crate::exit::{CliError, Result};
use crate::files;
use crate::output::Report;
use crate::x509view::{CertView, CrlView, CsrView, blocks, to_pem};

/// `pca inspect`.
pub(crate) fn run(args: &InspectArgs) -> Result<Report> {
    let bytes = files::read_bytes(&args.file, "file")?;
    let name = args.file.display().to_string();
    let blocks = blocks(&bytes).map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    let mut items = Vec::new();
    let mut text = String::new();
    for (i, b) in blocks.iter().enumerate() {
        let label = if b.label.is_empty() {
            guess_label(&b.der)
        } else {
            b.label.as_str()
        };
        let (kind, view): (&str, Result<(serde_json::Value, String), String>) = match label {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" => (
                "certificate",
                CertView::from_der(&b.der).map(|v| (json!(v), v.text("  "))),
            ),
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => (
                "csr",
                CsrView::from_der(&b.der).map(|v| (json!(v), v.text("  "))),
            ),
            "X509 CRL" => (
                "crl",
                CrlView::from_der(&b.der).map(|v| (json!(v), v.text("  "))),
            ),
            l if l.contains("PRIVATE KEY") => {
                // Never shown: only say that it is there.
                items.push(json!({ "index": i, "kind": "private-key", "label": l }));
                text.push_str(&format!("[{i}] private key ({l}), not shown\n"));
                continue;
            }
            other => {
                items.push(json!({ "index": i, "kind": "other", "label": other }));
                text.push_str(&format!("[{i}] {other} block, not inspected\n"));
                continue;
            }
        };
        let (fields, lines) = view.map_err(|e| {
            CliError::usage(format!(
                "{name}: block {i} ({label}) is not a well-formed {kind}: {e}"
            ))
        })?;
        let mut item = json!({ "index": i, "kind": kind, "pem": to_pem(label, &b.der) });
        if let (Some(obj), serde_json::Value::Object(f)) = (item.as_object_mut(), fields) {
            obj.extend(f);
        }
        items.push(item);
        text.push_str(&format!("[{i}] {kind}\n{lines}"));
    }
    let json = json!({ "file": name, "items": items });
    Ok(Report::new(json, text))
}

/// The kind of a bare DER structure, by trying each parser.
fn guess_label(der: &[u8]) -> &'static str {
    if CertView::from_der(der).is_ok() {
        "CERTIFICATE"
    } else if CsrView::from_der(der).is_ok() {
        "CERTIFICATE REQUEST"
    } else if CrlView::from_der(der).is_ok() {
        "X509 CRL"
    } else {
        "unknown DER"
    }
}
