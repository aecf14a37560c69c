//! Every operation against the documentation's example: the request the core builds is the
//! documented one (method, path and query, JSON body), and the documented answer parses into
//! the typed output.

use pca_core::operations::*;
use pca_core::{
    CaState, CaStatus, CaType, Credentials, CrlExpiry, Endpoint, KeyType, Operation, Period,
    Timestamp, X509Parameters,
};
use pca_tests::{core_test_data, load};
use serde_json::Value;

const TS: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const TAG: &str = "a1b2c3d4-e5f6a7b8";
const SERIAL: &str = "3f:9a:07:c2:11:5e:8b:44:d0:6a:92:1c:7e:33:b5:08:f1:2d:6c:9e";
/// Answers keep the documentation's masked values.
const MASKED_SERIAL: &str = "**:**:**:**:**:**:**:**:**:**:**:**:**:**:**:**:**:**:**:**";

fn credentials() -> Credentials {
    Credentials::new("test-access-key", "test-secret-key").unwrap()
}

/// Builds `op`, compares it with the fixture's request, and parses the fixture's answer.
fn check<O: Operation>(dir: &str, op: O) -> O::Output {
    let ex = load(dir, "doc-example");
    let request = op
        .build_request(&Endpoint::default(), &credentials(), TS)
        .unwrap();
    assert_eq!(
        request.method().as_str(),
        ex.request.method,
        "{dir}: method"
    );
    assert_eq!(
        O::INFO.method.as_str(),
        ex.request.method,
        "{dir}: INFO.method"
    );
    assert_eq!(
        request.uri().path_and_query().unwrap().as_str(),
        ex.request.path,
        "{dir}: path and query"
    );
    assert_eq!(request.uri().host(), Some("pca.apigw.ntruss.com"));
    let body: Value = if request.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(request.body()).unwrap()
    };
    assert_eq!(body, ex.request.body, "{dir}: JSON body");
    assert_eq!(
        request.headers()["content-type"],
        ex.request.headers["content-type"].as_str(),
        "{dir}: content type"
    );
    for h in [
        "x-ncp-apigw-timestamp",
        "x-ncp-iam-access-key",
        "x-ncp-apigw-signature-v2",
    ] {
        assert!(request.headers().contains_key(h), "{dir}: header {h}");
    }
    O::parse_response(&ex.response.to_http(), TS)
        .unwrap_or_else(|e| panic!("{dir}: documented answer does not parse: {e}"))
}

fn placeholder_cert(name: &str) -> String {
    format!("-----BEGIN CERTIFICATE-----\n{{{name}}}\n-----END CERTIFICATE-----")
}

#[test]
fn create_ca() {
    let op = CreateCa::builder()
        .ca_type(CaType::PrivateRoot)
        .alias("CA002")
        .key_type(KeyType::Rsa2048)
        .period(Period::Max)
        .x509_parameters(
            X509Parameters::new("name000")
                .country("KOR")
                .organization("org000")
                .organization_unit("org001")
                .locality("Pangyo"),
        )
        .build()
        .unwrap();
    let ca = check("create_ca", op);
    assert_eq!(ca.info.ca_tag.as_deref(), Some(TAG));
    assert_eq!(ca.info.status, Some(CaState::Active));
    assert_eq!(ca.info.ca_id.as_deref(), Some("1024"));
    assert_eq!(ca.info.signing_count, Some(1));
    assert_eq!(
        ca.info
            .status_update_date
            .as_ref()
            .and_then(|d| d.unix_millis()),
        Some(1_721_105_212_000)
    );
    assert_eq!(ca.info.destroy_date, None);
    let cert = ca.cert.unwrap();
    assert_eq!(cert.common_name.as_deref(), Some("name000"));
    assert_eq!(
        cert.not_after_date.and_then(|d| d.unix_millis()),
        Some(2_036_465_242_000)
    );
}

#[test]
fn get_ca_list() {
    let list = check("get_ca_list", GetCaList::new());
    assert_eq!(list.total_count, Some(1));
    assert_eq!(list.total_pages, Some(1));
    assert_eq!(list.current_page, Some(1));
    assert_eq!(list.cas.len(), 1);
    assert_eq!(list.cas[0].info.alias.as_deref(), Some("CA002"));
    assert_eq!(
        list.cas[0].cert.as_ref().unwrap().organization.as_deref(),
        Some("org000")
    );
}

#[test]
fn get_ca() {
    let ca = check("get_ca", GetCa::new(TAG).unwrap());
    // The current field table puts caTag, rgstDate and status beside caInfo.
    assert_eq!(ca.info.ca_tag.as_deref(), Some(TAG));
    assert_eq!(ca.info.status, Some(CaState::Active));
    assert_eq!(
        ca.info.rgst_date.and_then(|d| d.unix_millis()),
        Some(1_721_105_212_000)
    );
    assert_eq!(ca.info.url_info.unwrap().ocsp, Vec::<String>::new());
}

#[test]
fn update_ca() {
    let ca = check(
        "update_ca",
        UpdateCa::new(TAG, CaStatus::Destroying).unwrap(),
    );
    assert_eq!(ca.info.status, Some(CaState::Destroying));
    assert_eq!(
        ca.info.destroy_date.and_then(|d| d.unix_millis()),
        Some(1_721_450_812_000)
    );
}

#[test]
fn delete_ca() {
    check("delete_ca", DeleteCa::new(TAG).unwrap());
}

#[test]
fn get_ca_chain() {
    let chain = check("get_ca_chain", GetCaChain::new(TAG).unwrap());
    assert_eq!(chain.certificates, vec![placeholder_cert("CA Chain")]);
}

#[test]
fn get_ca_crl() {
    let crl = check("get_ca_crl", GetCaCrl::new(TAG).unwrap());
    assert_eq!(
        crl.pem,
        "-----BEGIN X509 CRL-----\n{CA CRL}\n-----END X509 CRL-----"
    );
}

#[test]
fn get_crl_config() {
    let config = check("get_crl_config", GetCrlConfig::new(TAG).unwrap());
    assert_eq!(config.expiry_days, Some(3));
}

#[test]
fn update_crl_config() {
    let op = UpdateCrlConfig::new(TAG, CrlExpiry::days(5).unwrap()).unwrap();
    let config = check("update_crl_config", op);
    assert_eq!(config.expiry_days, Some(5));
}

#[test]
fn rotate_crl() {
    check("rotate_crl", RotateCrl::new(TAG).unwrap());
}

#[test]
fn trim_ca() {
    check("trim_ca", TrimCa::new(TAG).unwrap());
}

#[test]
fn create_ocsp() {
    let op = CreateOcsp::service_responder(TAG, &Endpoint::default()).unwrap();
    assert_eq!(
        op.url(),
        format!("https://pca.apigw.ntruss.com/ext/{TAG}/ocsp")
    );
    check("create_ocsp", op);
}

#[test]
fn delete_ocsp() {
    check("delete_ocsp", DeleteOcsp::new(TAG).unwrap());
}

#[test]
fn get_sub_csr() {
    let csr = check("get_sub_csr", GetSubCsr::new(TAG).unwrap());
    assert_eq!(
        csr.csr_pem,
        "-----BEGIN CERTIFICATE REQUEST-----\n{CSR}\n-----END CERTIFICATE REQUEST-----"
    );
}

#[test]
fn sign_sub_csr() {
    let op = SignSubCsr::new(
        TAG,
        Period::days(10).unwrap(),
        core_test_data("sub-ca.csr.pem"),
    )
    .unwrap();
    let signed = check("sign_sub_csr", op);
    assert_eq!(signed.certificate, placeholder_cert("Certificate"));
    // The issuer comes first; the three identical documented chain entries collapse to one.
    assert_eq!(
        signed.ca_chain,
        vec![placeholder_cert("CA"), placeholder_cert("CA Chain")]
    );
    assert_eq!(
        signed.issuer.as_deref(),
        Some(placeholder_cert("CA").as_str())
    );
    assert_eq!(signed.serial_no.as_deref(), Some(MASKED_SERIAL));
    assert_eq!(
        signed.ocsp_responder, None,
        "an empty responder is no responder"
    );
    assert_eq!(
        signed.full_chain_pem(),
        format!(
            "{}\n{}\n{}\n",
            placeholder_cert("Certificate"),
            placeholder_cert("CA"),
            placeholder_cert("CA Chain")
        )
    );
}

#[test]
fn activate_sub_ca() {
    let op = ActivateSubCa::new(
        TAG,
        core_test_data("intermediate.pem"),
        core_test_data("root.pem"),
    )
    .unwrap();
    let ca = check("activate_sub_ca", op);
    assert_eq!(ca.info.ca_type.as_deref(), Some("PRIVATE_SUB"));
    assert_eq!(ca.info.alias.as_deref(), Some("SUB001"));
}

#[test]
fn issue_end_cert() {
    let op = IssueEndCert::builder()
        .ca_tag(TAG)
        .x509_parameters(X509Parameters::new("name000"))
        .build()
        .unwrap();
    let issued = check("issue_end_cert", op);
    assert_eq!(
        issued.private_key.expose_secret(),
        "-----BEGIN PRIVATE KEY-----\n{Private Key}\n-----END PRIVATE KEY-----"
    );
    assert!(!format!("{issued:?}").contains("{Private Key}"));
    // caChain is a string on this page: read as one chain entry after the issuer.
    assert_eq!(
        issued.signed.ca_chain,
        vec![placeholder_cert("CA"), placeholder_cert("CA Chain")]
    );
}

#[test]
fn sign_end_csr() {
    let op = SignEndCsr::new(TAG, core_test_data("sub-ca.csr.pem")).unwrap();
    let signed = check("sign_end_csr", op);
    // The documented answer is cut after the certificate.
    assert_eq!(signed.certificate, placeholder_cert("Certificate"));
    assert!(signed.ca_chain.is_empty());
    assert_eq!(signed.serial_no, None);
}

#[test]
fn get_end_cert_list() {
    let list = check("get_end_cert_list", GetEndCertList::new(TAG).unwrap());
    assert_eq!(list.total_count, Some(2));
    assert_eq!(list.serials, vec![MASKED_SERIAL.to_owned(); 2]);
}

#[test]
fn get_end_cert() {
    let cert = check("get_end_cert", GetEndCert::new(TAG, SERIAL).unwrap());
    assert_eq!(cert.common_name.as_deref(), Some("name001"));
    assert_eq!(cert.public_key_algorithm.as_deref(), Some("RSA"));
    assert_eq!(
        cert.not_before_date.and_then(|d| d.unix_millis()),
        Some(1_721_105_212_000)
    );
}

#[test]
fn revoke_end_cert() {
    check("revoke_end_cert", RevokeEndCert::new(TAG, SERIAL).unwrap());
}

#[test]
fn get_ca_user_list() {
    let users = check("get_ca_user_list", GetCaUserList::new(TAG).unwrap());
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].login_id.as_deref(), Some("USER"));
    // The example spells the member number `mdrNo`.
    assert_eq!(users[0].mbr_no.as_deref(), Some("276****"));
    assert_eq!(
        users[0].id_no.as_deref(),
        Some("6e4c****-****-****-****-********9baa")
    );
}

#[test]
fn add_ca_user() {
    check(
        "add_ca_user",
        AddCaUser::new(TAG, "6e4c1a2b-3c4d-5e6f-7a8b-9c0d1e2f9baa").unwrap(),
    );
}

#[test]
fn delete_ca_user() {
    check(
        "delete_ca_user",
        DeleteCaUser::new(TAG, "6e4c1a2b-3c4d-5e6f-7a8b-9c0d1ea79baa").unwrap(),
    );
}

/// Every operation has its documentation fixture, and every fixture names a known operation.
#[test]
fn every_operation_has_a_doc_fixture() {
    macro_rules! dirs {
        ($(($method:ident, $ty:path, $doc:literal)),* $(,)?) => {
            vec![$((stringify!($method), <$ty as Operation>::INFO.name)),*]
        };
    }
    let ops: Vec<(&str, &str)> = pca_core::for_each_operation!(dirs);
    assert_eq!(ops.len(), 24);
    for (dir, name) in ops {
        let ex = load(dir, "doc-example");
        assert!(
            ex.operation.eq_ignore_ascii_case(name),
            "{dir}: fixture is for {:?}, operation is {name:?}",
            ex.operation
        );
    }
}
