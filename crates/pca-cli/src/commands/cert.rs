//! `pca cert ...`: Issue End Cert, Sign End CSR, Get End Cert List, Get End Cert, Revoke End Cert.

use pca_core::KeyType;
use pca_core::operations::{GetEndCert, GetEndCertList, IssueEndCert, RevokeEndCert, SignEndCsr};
use serde_json::json;

use super::render::{self, cert_files, read_pem, signed_json, signed_text, with_files};
use super::{Ctx, pages, period, x509_parameters};
use crate::cli::CertCommand;
use crate::exit::{CliError, Result};
use crate::files::OutFile;
use crate::output::Report;
use crate::x509view::PemCert;

pub(crate) fn run(cmd: &CertCommand, ctx: &Ctx<'_>) -> Result<Report> {
    match cmd {
        CertCommand::Issue {
            tag,
            subject,
            street,
            key_type,
            days,
            out,
        } => {
            let mut params = x509_parameters(subject);
            if let Some(s) = street {
                params = params.street_address(s.clone());
            }
            let mut b = IssueEndCert::builder()
                .ca_tag(tag.tag.clone())
                .x509_parameters(params);
            if let Some(k) = key_type {
                b = b.key_type(k.parse::<KeyType>()?);
            }
            if let Some(d) = days {
                b = b.period(period(d)?);
            }
            let op = b.build()?;
            if out.out_dir.is_none() {
                return Err(CliError::usage(
                    "cert issue makes a private key: give --out-dir so that it is written to key.pem (mode 0600); nothing was sent",
                ));
            }
            render::precheck(out, true)?;
            let api = ctx.api()?;
            ctx.ui.step(format!("Issue End Cert at CA {}", tag.tag));
            let issued = match api.call_issuing(&op, ctx.ui, |at| {
                Some(pca_core::recovery::Recovery::issue_end_cert(&op, at))
            })? {
                crate::client::Signed::Answered(issued) => issued,
                // Issue End Cert's search never finds a key: it ends in an error above.
                crate::client::Signed::Recovered { serial, .. } => {
                    return Err(CliError::new(
                        crate::exit::Kind::Transport,
                        format!(
                            "the answer was lost; serial {serial} was issued but its key cannot be recovered: revoke it"
                        ),
                    ));
                }
            };
            let signed = &issued.signed;
            let mut files_out = vec![OutFile::secret(
                "key.pem",
                issued.private_key.expose_secret(),
            )];
            files_out.extend(cert_files(&signed.certificate, &signed.ca_chain));
            let mut text = signed_text(signed);
            let files = render::write(out, &files_out, signed.serial_no.as_deref()).map_err(|e| {
                e.hint(format!(
                    "the service made the key and keeps no copy: revoke the certificate (`pca cert revoke {} {}`) and issue another",
                    tag.tag,
                    signed.serial_no.as_deref().unwrap_or("SERIAL")
                ))
            })?;
            Ok(Report::new(
                with_files(signed_json(signed), &mut text, files),
                text,
            ))
        }
        CertCommand::Sign {
            tag,
            csr,
            days,
            out,
        } => {
            let csr_pem = read_pem(csr, "CSR file")?;
            let mut op = SignEndCsr::new(&tag.tag, &csr_pem)?;
            if let Some(d) = days {
                op = op.with_period(period(d)?)?;
            }
            render::precheck(out, false)?;
            let api = ctx.api()?;
            ctx.ui.step(format!("Sign End CSR at CA {}", tag.tag));
            let signed = api.call_issuing(&op, ctx.ui, |at| {
                pca_core::recovery::Recovery::sign_end_csr(&op, at).ok()
            })?;
            render::signed_report(out, &signed)
        }
        CertCommand::List { tag, page } => {
            let first = match page {
                Some(p) => GetEndCertList::new(&tag.tag)?.with_page(*p)?,
                None => GetEndCertList::new(&tag.tag)?,
            };
            let api = ctx.api()?;
            let serials = pages(*page, |p| {
                let op = match p {
                    Some(n) => GetEndCertList::new(&tag.tag)?.with_page(n)?,
                    None => first.clone(),
                };
                let l = api.call(&op)?;
                Ok((l.serials, l.total_pages, l.current_page))
            })?;
            let mut text = String::new();
            for s in &serials {
                text.push_str(s);
                text.push('\n');
            }
            Ok(Report::new(
                json!({ "caTag": tag.tag, "count": serials.len(), "serials": serials }),
                text,
            ))
        }
        CertCommand::Get { tag, serial, out } => {
            let op = GetEndCert::new(&tag.tag, serial)?;
            render::precheck(out, false)?;
            let c = ctx.api()?.call(&op)?;
            let mut json = json!({
                "caTag": tag.tag,
                "serialNo": c.serial_no,
                "commonName": c.common_name,
                "notBeforeDate": c.not_before_date,
                "notAfterDate": c.not_after_date,
                "ocspResponder": c.ocsp_responder,
            });
            let mut text = String::new();
            let mut files_out = Vec::new();
            if let Some(pem) = c.cert_pem.as_deref().filter(|p| !p.trim().is_empty()) {
                let view = PemCert::new(pem);
                match &view.view {
                    Some(v) => text.push_str(&v.text("")),
                    None => text.push_str("certificate: unreadable\n"),
                }
                if let Some(obj) = json.as_object_mut() {
                    obj.insert("certificate".into(), json!(view));
                    obj.insert(
                        "chain".into(),
                        json!(
                            c.ca_chain
                                .iter()
                                .map(|p| PemCert::new(p))
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                files_out = cert_files(pem, &c.ca_chain);
            } else {
                text.push_str(&format!(
                    "serial {} (no certificate in the answer)\n",
                    serial
                ));
            }
            let files = render::write(out, &files_out, None)?;
            Ok(Report::new(with_files(json, &mut text, files), text))
        }
        CertCommand::Renew(args) => super::renew::run(args, super::renew::What::Cert, ctx),
        CertCommand::Revoke { tag, serial } => {
            let op = RevokeEndCert::new(&tag.tag, serial)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "serialNo": serial, "revoked": true }),
                format!("revoked {serial} at CA {}\n", tag.tag),
            ))
        }
    }
}
