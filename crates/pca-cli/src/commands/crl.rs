//! `pca crl ...`, `pca ocsp ...` and `pca users ...`: Get CA CRL, Get/Update CRL Config, Rotate
//! CRL, Trim CA; Create/Delete OCSP; Get CA User List, Add/Delete CA User.

use pca_core::CrlExpiry;
use pca_core::operations::{
    AddCaUser, CreateOcsp, DeleteCaUser, DeleteOcsp, GetCaCrl, GetCaUserList, GetCrlConfig,
    RotateCrl, TrimCa, UpdateCrlConfig,
};
use serde_json::json;

use super::Ctx;
use crate::cli::{CrlCommand, OcspCommand, UsersCommand};
use crate::exit::{CliError, Result};
use crate::files;
use crate::output::Report;
use crate::x509view::{CrlView, blocks};

pub(crate) fn crl(cmd: &CrlCommand, ctx: &Ctx<'_>) -> Result<Report> {
    match cmd {
        CrlCommand::Get { tag, out, force } => {
            let op = GetCaCrl::new(&tag.tag)?;
            if let Some(path) = out {
                if !force && path.exists() {
                    return Err(CliError::usage(format!(
                        "refusing to overwrite {}; nothing was sent",
                        path.display()
                    ))
                    .hint("pass --force to replace it"));
                }
            }
            let crl = ctx.api()?.call(&op)?;
            let pem = format!("{}\n", crl.pem.trim());
            let view = blocks(pem.as_bytes())
                .ok()
                .and_then(|b| b.into_iter().next())
                .map(|b| CrlView::from_der(&b.der));
            let mut json = json!({ "caTag": tag.tag, "crl": { "pem": pem } });
            let mut text = String::new();
            match view {
                Some(Ok(v)) => {
                    text.push_str(&v.text(""));
                    if let Some(obj) = json.get_mut("crl").and_then(|c| c.as_object_mut()) {
                        if let Ok(serde_json::Value::Object(f)) = serde_json::to_value(&v) {
                            obj.extend(f);
                        }
                    }
                }
                Some(Err(e)) => text.push_str(&format!("CRL not readable: {e}\n")),
                None => text.push_str("CRL not readable: no PEM block\n"),
            }
            if let Some(path) = out {
                files::write_one(path, pem.as_bytes(), false, *force)?;
                text.push_str(&format!("wrote {}\n", path.display()));
                if let Some(obj) = json.as_object_mut() {
                    obj.insert("files".into(), json!({ "crl": path.display().to_string() }));
                }
            }
            Ok(Report::new(json, text))
        }
        CrlCommand::Config(tag) => {
            let op = GetCrlConfig::new(&tag.tag)?;
            let c = ctx.api()?.call(&op)?;
            let text = match c.expiry_days {
                Some(d) => format!("CRL expiry: {d} days\n"),
                None => "no CRL configured\n".to_owned(),
            };
            Ok(Report::new(
                json!({ "caTag": tag.tag, "expiryDays": c.expiry_days }),
                text,
            ))
        }
        CrlCommand::SetExpiry { tag, days } => {
            let op = UpdateCrlConfig::new(&tag.tag, CrlExpiry::days(*days)?)?;
            let c = ctx.api()?.call(&op)?;
            let days_now = c.expiry_days.unwrap_or(u64::from(*days));
            Ok(Report::new(
                json!({ "caTag": tag.tag, "expiryDays": days_now }),
                format!("CRL expiry of {} set to {days_now} days\n", tag.tag),
            ))
        }
        CrlCommand::Rotate(tag) => {
            let op = RotateCrl::new(&tag.tag)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "rotated": true }),
                format!("CRL of {} rotated\n", tag.tag),
            ))
        }
        CrlCommand::Trim(tag) => {
            let op = TrimCa::new(&tag.tag)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "trimmed": true }),
                format!("CRL of {} trimmed\n", tag.tag),
            ))
        }
    }
}

pub(crate) fn ocsp(cmd: &OcspCommand, ctx: &Ctx<'_>) -> Result<Report> {
    match cmd {
        OcspCommand::Enable { tag, url } => {
            let (op, api) = match url {
                Some(u) => (CreateOcsp::new(&tag.tag, u)?, ctx.api()?),
                None => {
                    let api = ctx.api()?;
                    (
                        CreateOcsp::service_responder(&tag.tag, api.endpoint())?,
                        api,
                    )
                }
            };
            api.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "ocspUrl": op.url(), "enabled": true }),
                format!("OCSP URL of {} set to {}\n", tag.tag, op.url()),
            ))
        }
        OcspCommand::Disable(tag) => {
            let op = DeleteOcsp::new(&tag.tag)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "enabled": false }),
                format!("OCSP URL of {} removed\n", tag.tag),
            ))
        }
    }
}

pub(crate) fn users(cmd: &UsersCommand, ctx: &Ctx<'_>) -> Result<Report> {
    match cmd {
        UsersCommand::List(tag) => {
            let op = GetCaUserList::new(&tag.tag)?;
            let users = ctx.api()?.call(&op)?;
            let mut text = String::new();
            if users.is_empty() {
                text.push_str("no user\n");
            }
            for u in &users {
                text.push_str(&format!(
                    "{}  {}  {}\n",
                    u.id_no.as_deref().unwrap_or("-"),
                    u.login_id.as_deref().unwrap_or("-"),
                    u.mbr_no.as_deref().unwrap_or("-"),
                ));
            }
            Ok(Report::new(
                json!({ "caTag": tag.tag, "count": users.len(), "users": users }),
                text,
            ))
        }
        UsersCommand::Add { tag, id_no } => {
            let op = AddCaUser::new(&tag.tag, id_no)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "idNo": id_no, "added": true }),
                format!("added {id_no} to {}\n", tag.tag),
            ))
        }
        UsersCommand::Remove { tag, id_no } => {
            let op = DeleteCaUser::new(&tag.tag, id_no)?;
            ctx.api()?.call(&op)?;
            Ok(Report::new(
                json!({ "caTag": tag.tag, "idNo": id_no, "removed": true }),
                format!("removed {id_no} from {}\n", tag.tag),
            ))
        }
    }
}
