//! Get CA List — `GET /api/v1/ca[?pageNo=N]`: one page of the account's CAs.

use crate::error::InvalidInput;
use crate::model::CaList;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, query};

/// Get CA List: reads a page of CAs (the service's first page when no page is given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetCaList {
    page_no: Option<u32>,
}

impl GetCaList {
    /// The first page (no `pageNo` sent).
    pub fn new() -> Self {
        GetCaList { page_no: None }
    }

    /// Page `page_no` (from 1).
    pub fn page(page_no: u32) -> Result<Self, InvalidInput> {
        if page_no == 0 {
            return Err(InvalidInput::PageNo);
        }
        Ok(GetCaList {
            page_no: Some(page_no),
        })
    }
}

impl Operation for GetCaList {
    type Output = CaList;
    const INFO: OperationInfo = OperationInfo {
        name: "Get CA List",
        method: http::Method::GET,
        path_template: "/ca",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        match self.page_no {
            Some(p) => format!("/ca{}", query(&[("pageNo", &p.to_string())])),
            None => "/ca".to_owned(),
        }
    }

    fn parse_data(data: Data<'_>) -> Result<CaList, DataError> {
        data.decode_or_default()
    }
}
