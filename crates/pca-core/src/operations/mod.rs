//! The 24 operations of the Private CA API, one module each.
//!
//! Every module holds the whole endpoint: the typed input (validated when built), the request
//! (path, query, body) and the parse of the answer into a typed output.

macro_rules! ca_tag_operation {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            ca_tag: $crate::types::CaTag,
        }

        impl $name {
            /// The operation for the CA `ca_tag` (checked: see [`CaTag`](crate::types::CaTag)).
            pub fn new(ca_tag: impl AsRef<str>) -> Result<Self, $crate::error::InvalidInput> {
                Ok($name {
                    ca_tag: $crate::types::CaTag::new(ca_tag.as_ref())?,
                })
            }

            /// The CA the operation applies to.
            pub fn ca_tag(&self) -> &$crate::types::CaTag {
                &self.ca_tag
            }
        }
    };
}

pub mod activate_sub_ca;
pub mod add_ca_user;
pub mod create_ca;
pub mod create_ocsp;
pub mod delete_ca;
pub mod delete_ca_user;
pub mod delete_ocsp;
pub mod get_ca;
pub mod get_ca_chain;
pub mod get_ca_crl;
pub mod get_ca_list;
pub mod get_ca_user_list;
pub mod get_crl_config;
pub mod get_end_cert;
pub mod get_end_cert_list;
pub mod get_sub_csr;
pub mod issue_end_cert;
pub mod revoke_end_cert;
pub mod rotate_crl;
pub mod sign_end_csr;
pub mod sign_sub_csr;
pub mod trim_ca;
pub mod update_ca;
pub mod update_crl_config;

pub use activate_sub_ca::ActivateSubCa;
pub use add_ca_user::AddCaUser;
pub use create_ca::{CreateCa, CreateCaBuilder};
pub use create_ocsp::CreateOcsp;
pub use delete_ca::DeleteCa;
pub use delete_ca_user::DeleteCaUser;
pub use delete_ocsp::DeleteOcsp;
pub use get_ca::GetCa;
pub use get_ca_chain::GetCaChain;
pub use get_ca_crl::GetCaCrl;
pub use get_ca_list::GetCaList;
pub use get_ca_user_list::GetCaUserList;
pub use get_crl_config::GetCrlConfig;
pub use get_end_cert::GetEndCert;
pub use get_end_cert_list::GetEndCertList;
pub use get_sub_csr::GetSubCsr;
pub use issue_end_cert::{IssueEndCert, IssueEndCertBuilder};
pub use revoke_end_cert::RevokeEndCert;
pub use rotate_crl::RotateCrl;
pub use sign_end_csr::SignEndCsr;
pub use sign_sub_csr::SignSubCsr;
pub use trim_ca::TrimCa;
pub use update_ca::UpdateCa;
pub use update_crl_config::UpdateCrlConfig;

/// Calls macro `$m` once with the list of all 24 operations, one entry per operation:
/// `(method_name, OperationType, "Documented name")`, in the documentation's order.
///
/// Transports expand it into one typed method per operation, so that a new operation appears in
/// every client from one change:
///
/// ```
/// macro_rules! names {
///     ($(($method:ident, $ty:path, $doc:literal)),* $(,)?) => {
///         &[$(stringify!($method)),*]
///     };
/// }
/// let all: &[&str] = pca_core::for_each_operation!(names);
/// assert_eq!(all.len(), 24);
/// assert!(all.contains(&"sign_sub_csr"));
/// ```
#[macro_export]
macro_rules! for_each_operation {
    ($m:ident) => {
        $m! {
            (create_ca, $crate::operations::CreateCa, "Create CA"),
            (get_ca_list, $crate::operations::GetCaList, "Get CA List"),
            (get_ca, $crate::operations::GetCa, "Get CA"),
            (update_ca, $crate::operations::UpdateCa, "Update CA"),
            (delete_ca, $crate::operations::DeleteCa, "Delete CA"),
            (get_ca_chain, $crate::operations::GetCaChain, "Get CA Chain"),
            (get_ca_crl, $crate::operations::GetCaCrl, "Get CA CRL"),
            (get_crl_config, $crate::operations::GetCrlConfig, "Get CRL Config"),
            (update_crl_config, $crate::operations::UpdateCrlConfig, "Update CRL Config"),
            (rotate_crl, $crate::operations::RotateCrl, "Rotate CRL"),
            (trim_ca, $crate::operations::TrimCa, "Trim CA"),
            (create_ocsp, $crate::operations::CreateOcsp, "Create OCSP"),
            (delete_ocsp, $crate::operations::DeleteOcsp, "Delete OCSP"),
            (get_sub_csr, $crate::operations::GetSubCsr, "Get Sub CSR"),
            (sign_sub_csr, $crate::operations::SignSubCsr, "Sign Sub CSR"),
            (activate_sub_ca, $crate::operations::ActivateSubCa, "Activate Sub CA"),
            (issue_end_cert, $crate::operations::IssueEndCert, "Issue End Cert"),
            (sign_end_csr, $crate::operations::SignEndCsr, "Sign End CSR"),
            (get_end_cert_list, $crate::operations::GetEndCertList, "Get End Cert List"),
            (get_end_cert, $crate::operations::GetEndCert, "Get End Cert"),
            (revoke_end_cert, $crate::operations::RevokeEndCert, "Revoke End Cert"),
            (get_ca_user_list, $crate::operations::GetCaUserList, "Get CA User List"),
            (add_ca_user, $crate::operations::AddCaUser, "Add CA User"),
            (delete_ca_user, $crate::operations::DeleteCaUser, "Delete CA User"),
        }
    };
}
