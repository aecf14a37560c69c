//! One module per command group.

pub(crate) mod ca;
pub(crate) mod cert;
pub(crate) mod crl;
pub(crate) mod csr;
pub(crate) mod demo;
pub(crate) mod inspect;
pub(crate) mod render;
pub(crate) mod renew;
pub(crate) mod sub;
pub(crate) mod verify;

use pca_core::X509Parameters;

use crate::cli::{GlobalArgs, SubjectArgs};
use crate::client::Api;
use crate::exit::{CliError, Result};
use crate::output::Ui;

/// What a command needs to reach the API. The API is connected only after the command's input
/// has been checked, so that bad input is refused without reading credentials.
pub(crate) struct Ctx<'a> {
    pub(crate) global: &'a GlobalArgs,
    pub(crate) ui: &'a Ui,
}

impl Ctx<'_> {
    pub(crate) fn api(&self) -> Result<Api> {
        Api::connect(self.global, self.ui)
    }
}

/// Subject options as the API's x509Parameters.
pub(crate) fn x509_parameters(s: &SubjectArgs) -> X509Parameters {
    let mut p = X509Parameters::new(s.cn.clone());
    if let Some(v) = &s.country {
        p = p.country(v.clone());
    }
    if let Some(v) = &s.org {
        p = p.organization(v.clone());
    }
    if let Some(v) = &s.ou {
        p = p.organization_unit(v.clone());
    }
    if let Some(v) = &s.locality {
        p = p.locality(v.clone());
    }
    if let Some(v) = &s.state {
        p = p.state_province(v.clone());
    }
    if !s.san.is_empty() {
        p = p.alt_names(s.san.iter().cloned());
    }
    if !s.ip.is_empty() {
        p = p.ip_texts(s.ip.iter().cloned());
    }
    p
}

/// A period option: days or `max`.
pub(crate) fn period(s: &str) -> Result<pca_core::Period> {
    s.parse::<pca_core::Period>().map_err(CliError::from)
}

/// Every page of a paged list, or one page.
pub(crate) fn pages<T>(
    page: Option<u32>,
    mut fetch: impl FnMut(Option<u32>) -> Result<(Vec<T>, Option<u64>, Option<u64>)>,
) -> Result<Vec<T>> {
    if let Some(p) = page {
        return Ok(fetch(Some(p))?.0);
    }
    let mut all = Vec::new();
    let mut n = 1u32;
    loop {
        let (items, total_pages, _current) = fetch(if n == 1 { None } else { Some(n) })?;
        let empty = items.is_empty();
        all.extend(items);
        let more = total_pages.is_some_and(|t| u64::from(n) < t);
        if empty || !more || n >= 10_000 {
            break;
        }
        n += 1;
    }
    Ok(all)
}
