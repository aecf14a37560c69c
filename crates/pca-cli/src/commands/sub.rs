//! `pca sub ...`: Get Sub CSR, Sign Sub CSR, Activate Sub CA.

use pca_core::operations::{ActivateSubCa, GetSubCsr, SignSubCsr};
use serde_json::json;

use super::render::{self, ca_json, ca_text, read_pem};
use super::{Ctx, period};
use crate::cli::SubCommand;
use crate::exit::Result;
use crate::files;
use crate::output::Report;

pub(crate) fn run(cmd: &SubCommand, ctx: &Ctx<'_>) -> Result<Report> {
    match cmd {
        SubCommand::Csr { tag, out, force } => {
            let op = GetSubCsr::new(&tag.tag)?;
            if let Some(path) = out {
                if !force && path.exists() {
                    return Err(crate::exit::CliError::usage(format!(
                        "refusing to overwrite {}; nothing was sent",
                        path.display()
                    ))
                    .hint("pass --force to replace it"));
                }
            }
            let csr = ctx.api()?.call(&op)?;
            let pem = format!("{}\n", csr.csr_pem.trim());
            let mut json = json!({ "caTag": tag.tag, "csr": super::csr::csr_json(&pem) });
            let text = match out {
                Some(path) => {
                    files::write_one(path, pem.as_bytes(), false, *force)?;
                    if let Some(obj) = json.as_object_mut() {
                        obj.insert("files".into(), json!({ "csr": path.display().to_string() }));
                    }
                    format!("wrote {}\n", path.display())
                }
                None => pem,
            };
            Ok(Report::new(json, text))
        }
        SubCommand::Sign {
            tag,
            csr,
            days,
            out,
        } => {
            let csr_pem = read_pem(csr, "CSR file")?;
            let op = SignSubCsr::new(&tag.tag, period(days)?, &csr_pem)?;
            render::precheck(out, false)?;
            let api = ctx.api()?;
            ctx.ui.step(format!("Sign Sub CSR at CA {}", tag.tag));
            let signed = api.call_issuing(&op, ctx.ui, |at| {
                pca_core::recovery::Recovery::sign_sub_csr(&op, at).ok()
            })?;
            render::signed_report(out, &signed)
        }
        SubCommand::Renew(args) => super::renew::run(args, super::renew::What::Sub, ctx),
        SubCommand::Activate { tag, cert, chain } => {
            let cert_pem = read_pem(cert, "certificate file")?;
            let chain_pem = read_pem(chain, "chain file")?;
            let op = ActivateSubCa::new(&tag.tag, &cert_pem, &chain_pem)?;
            let ca = ctx.api()?.call(&op)?;
            let mut json = ca_json(&ca);
            if let Some(obj) = json.as_object_mut() {
                obj.insert("caTag".into(), json!(tag.tag));
                obj.insert("activated".into(), json!(true));
            }
            Ok(Report::new(
                json,
                format!("activated sub CA {}\n{}", tag.tag, ca_text(&ca)),
            ))
        }
    }
}
