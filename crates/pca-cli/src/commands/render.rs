//! Shared pieces of the API commands' output: signed certificates and CAs as JSON and text,
//! and the files of `--out-dir`.

use std::path::{Path, PathBuf};

use pca_core::{Ca, SignedCertificate};
use serde_json::{Value, json};

use crate::cli::OutDirArgs;
use crate::exit::Result;
use crate::files::{self, OutFile};
use crate::x509view::PemCert;

/// The names of the certificate files of `--out-dir`.
pub(crate) const CERT_FILES: [&str; 4] = ["cert.pem", "chain.pem", "fullchain.pem", "root.pem"];

/// Refuses, before sending, when `--out-dir` files exist (without `--force`).
pub(crate) fn precheck(out: &OutDirArgs, with_key: bool) -> Result<()> {
    if let Some(dir) = &out.out_dir {
        let mut names: Vec<&str> = CERT_FILES.to_vec();
        if with_key {
            names.push("key.pem");
        }
        files::check_free(dir, &names, out.force)?;
    }
    Ok(())
}

/// PEM blocks of a PEM text, each with its parsed fields.
pub(crate) fn pem_certs(text: &str) -> Vec<PemCert> {
    let (blocks, _) = pca_core::__private::pem_text::find_blocks(text);
    blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| PemCert::new(b.text))
        .collect()
}

/// The files for a certificate and its chain (issuer first, root last); `root.pem` when the
/// chain ends in a self-issued certificate.
pub(crate) fn cert_files(cert: &str, chain: &[String]) -> Vec<OutFile> {
    let join = |it: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for b in it {
            s.push_str(b.trim());
            s.push('\n');
        }
        s
    };
    let mut out = vec![OutFile::public(
        "cert.pem",
        join(&mut std::iter::once(cert)),
    )];
    if !chain.is_empty() {
        out.push(OutFile::public(
            "chain.pem",
            join(&mut chain.iter().map(String::as_str)),
        ));
    }
    out.push(OutFile::public(
        "fullchain.pem",
        join(&mut std::iter::once(cert).chain(chain.iter().map(String::as_str))),
    ));
    if let Some(root) = chain.last() {
        if PemCert::new(root).view.is_some_and(|v| v.self_issued) {
            out.push(OutFile::public(
                "root.pem",
                join(&mut std::iter::once(root.as_str())),
            ));
        }
    }
    out
}

/// Writes the files into `--out-dir` (if given); returns `{"name": path}` and text lines.
pub(crate) fn write(
    out: &OutDirArgs,
    files_out: &[OutFile],
    serial: Option<&str>,
) -> Result<(Value, String)> {
    let Some(dir) = &out.out_dir else {
        return Ok((Value::Null, String::new()));
    };
    let written = files::write_all(dir, files_out, out.force).map_err(|e| match serial {
        Some(s) => e.hint(format!(
            "the certificate was issued (serial {s}); fetch it again with `pca cert get` or `pca ca get`"
        )),
        None => e,
    })?;
    Ok(files_json(&written, files_out))
}

fn files_json(written: &[PathBuf], files_out: &[OutFile]) -> (Value, String) {
    let mut map = serde_json::Map::new();
    let mut text = String::from("files:\n");
    for (p, f) in written.iter().zip(files_out) {
        map.insert(
            f.name.trim_end_matches(".pem").to_owned(),
            json!(p.display().to_string()),
        );
        let note = if f.secret { " (mode 0600)" } else { "" };
        text.push_str(&format!("  {}{note}\n", p.display()));
    }
    (Value::Object(map), text)
}

/// A signed certificate as JSON.
pub(crate) fn signed_json(s: &SignedCertificate) -> Value {
    json!({
        "serialNo": s.serial_no,
        "certificate": PemCert::new(&s.certificate),
        "chain": s.ca_chain.iter().map(|c| PemCert::new(c)).collect::<Vec<_>>(),
        "ocspResponder": s.ocsp_responder,
    })
}

/// A signed certificate as text.
/// The report of a signing call (Sign Sub CSR, Sign End CSR): the certificate and its chain,
/// written to `out` when an output directory was given.
/// The report of a signing call's certificate, answered or recovered after a lost answer.
pub(crate) fn signed_report(
    out: &OutDirArgs,
    result: &crate::client::Signed<SignedCertificate>,
) -> Result<crate::output::Report> {
    let (signed, recovered) = match result {
        crate::client::Signed::Answered(s) => (s, None),
        crate::client::Signed::Recovered { signed, serial } => (signed, Some(serial)),
    };
    let mut text = String::new();
    if let Some(serial) = recovered {
        text.push_str(&format!(
            "recovered: the earlier attempt issued serial {serial}\n"
        ));
    }
    text.push_str(&signed_text(signed));
    let files = write(
        out,
        &cert_files(&signed.certificate, &signed.ca_chain),
        signed.serial_no.as_deref(),
    )?;
    let mut json = signed_json(signed);
    if let (Some(serial), Some(obj)) = (recovered, json.as_object_mut()) {
        obj.insert("recovered".into(), json!({ "serialNo": serial }));
    }
    Ok(crate::output::Report::new(
        with_files(json, &mut text, files),
        text,
    ))
}

pub(crate) fn signed_text(s: &SignedCertificate) -> String {
    let cert = PemCert::new(&s.certificate);
    let mut t = String::new();
    if let Some(serial) = &s.serial_no {
        t.push_str(&format!("serial: {serial}\n"));
    }
    t.push_str("certificate:\n");
    match &cert.view {
        Some(v) => t.push_str(&v.text("  ")),
        None => t.push_str("  (unreadable)\n"),
    }
    if !s.ca_chain.is_empty() {
        t.push_str("chain:\n");
        for c in &s.ca_chain {
            t.push_str(&format!("  {}\n", PemCert::new(c).line()));
        }
    }
    if let Some(o) = &s.ocsp_responder {
        t.push_str(&format!("ocsp: {o}\n"));
    }
    t
}

/// A CA as JSON: its record, its certificate record, and the parsed certificate and chain.
pub(crate) fn ca_json(ca: &Ca) -> Value {
    let mut v = json!({ "ca": ca.info });
    let obj = v.as_object_mut();
    if let (Some(obj), Some(cert)) = (obj, &ca.cert) {
        obj.insert("caCertInfo".into(), json!(cert));
        if let Some(pem) = cert.cert_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            obj.insert("certificate".into(), json!(PemCert::new(pem)));
        }
        if let Some(chain) = cert.chain_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            obj.insert("chain".into(), json!(pem_certs(chain)));
        }
    }
    v
}

/// A CA as text.
pub(crate) fn ca_text(ca: &Ca) -> String {
    let i = &ca.info;
    let f = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_owned());
    let mut t = format!(
        "{}  {}  {}  {}\n",
        f(&i.ca_tag),
        f(&i.alias),
        i.status
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".to_owned()),
        f(&i.ca_type),
    );
    if let Some(cert) = &ca.cert {
        if let Some(pem) = cert.cert_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            match PemCert::new(pem).view {
                Some(v) => t.push_str(&v.text("  ")),
                None => t.push_str("  certificate: unreadable\n"),
            }
        } else if let Some(cn) = &cert.common_name {
            t.push_str(&format!("  common name: {cn}\n"));
        }
    }
    t
}

/// The files of a CA record: its certificate and chain.
pub(crate) fn ca_files(ca: &Ca) -> Vec<OutFile> {
    let Some(cert) = &ca.cert else {
        return Vec::new();
    };
    let Some(pem) = cert.cert_pem.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Vec::new();
    };
    let chain: Vec<String> = cert
        .chain_pem
        .as_deref()
        .map(|c| pem_certs(c).into_iter().map(|p| p.pem).collect())
        .unwrap_or_default();
    // The record's chain may start with the CA's own certificate: drop it.
    let own = pem.trim();
    let chain: Vec<String> = chain.into_iter().filter(|c| c.trim() != own).collect();
    cert_files(pem, &chain)
}

/// Inserts `files` into a JSON object and appends their text.
pub(crate) fn with_files(mut json: Value, text: &mut String, files: (Value, String)) -> Value {
    if !files.0.is_null() {
        if let Some(obj) = json.as_object_mut() {
            obj.insert("files".into(), files.0);
        }
        text.push_str(&files.1);
    }
    json
}

/// Reads a PEM input file for an operation.
pub(crate) fn read_pem(path: &Path, what: &str) -> Result<String> {
    files::read_text(path, what)
}
