//! Get End Cert List — `GET /api/v1/ca/{caTag}/cert[?pageNo=N]`: serial numbers of the CA's
//! end certificates (`pageNo` is known only from NAVER's generated client).

use crate::error::InvalidInput;
use crate::model::EndCertList;
use crate::operation::{Data, DataError, Operation, OperationInfo, Safety, query};
use crate::types::CaTag;

/// Get End Cert List: reads a page of the CA's certificate serial numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEndCertList {
    ca_tag: CaTag,
    page_no: Option<u32>,
}

impl GetEndCertList {
    /// The first page for the CA `ca_tag`.
    pub fn new(ca_tag: impl AsRef<str>) -> Result<Self, InvalidInput> {
        Ok(GetEndCertList {
            ca_tag: CaTag::new(ca_tag.as_ref())?,
            page_no: None,
        })
    }

    /// Page `page_no` (from 1).
    pub fn with_page(mut self, page_no: u32) -> Result<Self, InvalidInput> {
        if page_no == 0 {
            return Err(InvalidInput::PageNo);
        }
        self.page_no = Some(page_no);
        Ok(self)
    }

    /// The CA.
    pub fn ca_tag(&self) -> &CaTag {
        &self.ca_tag
    }
}

impl Operation for GetEndCertList {
    type Output = EndCertList;
    const INFO: OperationInfo = OperationInfo {
        name: "Get End Cert List",
        method: http::Method::GET,
        path_template: "/ca/{caTag}/cert",
        safety: Safety::Read,
    };

    fn path_and_query(&self) -> String {
        match self.page_no {
            Some(p) => format!(
                "/ca/{}/cert{}",
                self.ca_tag,
                query(&[("pageNo", &p.to_string())])
            ),
            None => format!("/ca/{}/cert", self.ca_tag),
        }
    }

    fn parse_data(data: Data<'_>) -> Result<EndCertList, DataError> {
        data.decode_or_default()
    }
}
