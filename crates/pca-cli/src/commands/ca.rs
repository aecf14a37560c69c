//! `pca ca ...`: Create CA, Get CA List, Get CA, Update CA, Delete CA, Get CA Chain.

use pca_core::operations::{CreateCa, DeleteCa, GetCa, GetCaChain, GetCaList, UpdateCa};
use pca_core::{CaStatus, CaType, KeyType};
use serde_json::json;

use super::render::{self, ca_files, ca_json, ca_text, with_files};
use super::{Ctx, pages, period, x509_parameters};
use crate::cli::{CaCommand, CaCreateArgs, CaTypeArg, StatusArgs};
use crate::exit::Result;
use crate::files::OutFile;
use crate::output::Report;

pub(crate) fn run(cmd: &CaCommand, ctx: &Ctx<'_>) -> Result<Report> {
    match cmd {
        CaCommand::Create(args) => create(args, ctx),
        CaCommand::List { page } => list(*page, ctx),
        CaCommand::Get { tag, out } => {
            let op = GetCa::new(&tag.tag)?;
            render::precheck(out, false)?;
            let ca = ctx.api()?.call(&op)?;
            let mut text = ca_text(&ca);
            let files = render::write(out, &ca_files(&ca), None)?;
            Ok(Report::new(
                with_files(ca_json(&ca), &mut text, files),
                text,
            ))
        }
        CaCommand::Enable(a) => status(a, CaStatus::Active, "enabled", ctx),
        CaCommand::Disable(a) => status(a, CaStatus::Deactivated, "disabled", ctx),
        CaCommand::ScheduleDeletion(a) => {
            status(a, CaStatus::Destroying, "scheduled for deletion", ctx)
        }
        CaCommand::CancelDeletion(a) => status(a, CaStatus::Active, "deletion cancelled", ctx),
        CaCommand::Delete(tag) => {
            let op = DeleteCa::new(&tag.tag)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "deleted": true }),
                format!("deleted CA {}\n", tag.tag),
            ))
        }
        CaCommand::Chain { tag, out } => {
            let op = GetCaChain::new(&tag.tag)?;
            if let Some(dir) = &out.out_dir {
                crate::files::check_free(dir, &["chain.pem"], out.force)?;
            }
            let chain = ctx.api()?.call(&op)?;
            let certs: Vec<_> = chain
                .certificates
                .iter()
                .map(|c| crate::x509view::PemCert::new(c))
                .collect();
            let mut text = String::new();
            for (i, c) in certs.iter().enumerate() {
                text.push_str(&format!("[{i}] {}\n", c.line()));
            }
            let files = render::write(out, &[OutFile::public("chain.pem", chain.pem())], None)?;
            let json = json!({ "caTag": tag.tag, "chain": certs, "pem": chain.pem() });
            Ok(Report::new(with_files(json, &mut text, files), text))
        }
    }
}

fn create(a: &CaCreateArgs, ctx: &Ctx<'_>) -> Result<Report> {
    let key_type: KeyType = a.key_type.parse()?;
    let mut b = CreateCa::builder()
        .ca_type(match a.ca_type {
            CaTypeArg::Root => CaType::PrivateRoot,
            CaTypeArg::Sub => CaType::PrivateSub,
        })
        .alias(a.alias.clone())
        .key_type(key_type)
        .period(period(&a.days)?)
        .x509_parameters(x509_parameters(&a.subject));
    if let Some(i) = &a.issuer {
        b = b.issuer_tag(i.clone());
    }
    if let Some(m) = &a.memo {
        b = b.memo(m.clone());
    }
    let op = b.build()?;
    render::precheck(&a.out, false)?;
    let api = ctx.api()?;
    ctx.ui.step(format!("creating CA {}", a.alias));
    let ca = api.call(&op)?;
    let mut text = format!("created CA\n{}", ca_text(&ca));
    let serial = ca.cert.as_ref().and_then(|c| c.serial_no.clone());
    let files = render::write(&a.out, &ca_files(&ca), serial.as_deref())?;
    Ok(Report::new(
        with_files(ca_json(&ca), &mut text, files),
        text,
    ))
}

fn list(page: Option<u32>, ctx: &Ctx<'_>) -> Result<Report> {
    let first = match page {
        Some(p) => GetCaList::page(p)?,
        None => GetCaList::new(),
    };
    let api = ctx.api()?;
    let cas = pages(page, |p| {
        let op = match p {
            Some(n) => GetCaList::page(n)?,
            None => first.clone(),
        };
        let l = api.call(&op)?;
        Ok((l.cas, l.total_pages, l.current_page))
    })?;
    let mut text = String::new();
    if cas.is_empty() {
        text.push_str("no CA\n");
    } else {
        text.push_str(&format!(
            "{:<20} {:<16} {:<12} {}\n",
            "CA_TAG", "ALIAS", "STATUS", "TYPE"
        ));
    }
    for ca in &cas {
        let i = &ca.info;
        text.push_str(&format!(
            "{:<20} {:<16} {:<12} {}\n",
            i.ca_tag.as_deref().unwrap_or("-"),
            i.alias.as_deref().unwrap_or("-"),
            i.status
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".to_owned()),
            i.ca_type.as_deref().unwrap_or("-"),
        ));
    }
    let json = json!({
        "count": cas.len(),
        "cas": cas.iter().map(ca_json).collect::<Vec<_>>(),
    });
    Ok(Report::new(json, text))
}

fn status(a: &StatusArgs, status: CaStatus, done: &str, ctx: &Ctx<'_>) -> Result<Report> {
    let mut op = UpdateCa::new(&a.tag.tag, status)?;
    if let Some(m) = &a.memo {
        op = op.with_memo(m.clone())?;
    }
    let ca = ctx.api()?.call(&op)?;
    let mut json = ca_json(&ca);
    if let Some(obj) = json.as_object_mut() {
        obj.insert("caTag".into(), json!(a.tag.tag));
        obj.insert("requestedStatus".into(), json!(status.as_str()));
    }
    Ok(Report::new(
        json,
        format!("CA {} {done} (status {})\n", a.tag.tag, status.as_str()),
    ))
}
