//! Bad input is refused when an operation is built, each with its own typed error: no
//! operation value exists, so no request can be built or sent.

use pca_core::InvalidInput as E;
use pca_core::operations::*;
use pca_core::{CaStatus, CaType, CrlExpiry, Endpoint, KeyType, Period, X509Parameters};

const TAG: &str = "a1b2c3d4-e5f6a7b8";
const CSR: &str = include_str!("data/sub-ca.csr.pem");
const ROOT: &str = include_str!("data/root.pem");
const INTERMEDIATE: &str = include_str!("data/intermediate.pem");

fn root_ca(x509: X509Parameters) -> Result<CreateCa, E> {
    CreateCa::builder()
        .ca_type(CaType::PrivateRoot)
        .alias("corp-root")
        .key_type(KeyType::Ec256)
        .period(Period::Max)
        .x509_parameters(x509)
        .build()
}

fn end_cert(x509: X509Parameters) -> Result<IssueEndCert, E> {
    IssueEndCert::builder()
        .ca_tag(TAG)
        .x509_parameters(x509)
        .build()
}

fn cn() -> X509Parameters {
    X509Parameters::new("Example")
}

fn sign_sub(csr: &str) -> Result<SignSubCsr, E> {
    SignSubCsr::new(TAG, Period::days(30)?, csr)
}

fn unit<T>(r: Result<T, E>) -> Result<(), E> {
    r.map(|_| ())
}

/// A CSR's PEM whose DER is a certificate: valid Base64, wrong structure.
fn certificate_as_csr() -> String {
    ROOT.replace("CERTIFICATE", "CERTIFICATE REQUEST")
}

macro_rules! table {
    ($($label:literal => $expr:expr, $pat:pat $(if $guard:expr)?),* $(,)?) => {{
        let mut rows: Vec<(&'static str, Result<(), E>, fn(&E) -> bool)> = Vec::new();
        $(
            rows.push(($label, $expr, |e: &E| matches!(e, $pat $(if $guard)?)));
        )*
        rows
    }};
}

#[test]
fn every_bad_input_gets_its_specific_error() {
    let long = |n: usize| "x".repeat(n);
    let rows = table! {
        "period 0" => unit(Period::days(0)), E::Period { value, .. } if value == "0",
        "period 3651" => unit(Period::days(3651)), E::Period { value, .. } if value == "3651",
        "period text" => unit("ten".parse::<Period>()), E::Period { value, .. } if value == "ten",
        "period negative" => unit("-5".parse::<Period>()), E::Period { .. },
        "period with a sign" => unit("+5".parse::<Period>()), E::Period { value, .. } if value == "+5",
        "period huge" => unit("99999999999999999999".parse::<Period>()), E::Period { .. },
        "period Days(0) built directly" => unit(CreateCa::builder().ca_type(CaType::PrivateRoot).alias("corp-root").key_type(KeyType::Ec256).period(Period::Days(0)).x509_parameters(cn()).build()), E::Period { .. },
        "MAX for Sign Sub CSR" => unit(SignSubCsr::new(TAG, Period::Max, CSR)), E::PeriodMaxNotAllowed { operation: "Sign Sub CSR" },
        "MAX for Sign End CSR" => unit(SignEndCsr::new(TAG, CSR).and_then(|o| o.with_period(Period::Max))), E::PeriodMaxNotAllowed { operation: "Sign End CSR" },
        "alias too short" => unit(CreateCa::builder().ca_type(CaType::PrivateRoot).alias("ab").key_type(KeyType::Ec256).period(Period::Max).x509_parameters(cn()).build()), E::Alias { value, .. } if value == "ab",
        "alias too long" => unit(pca_core::Alias::new("a234567890123456")), E::Alias { reason: "must be 3 to 15 characters", .. },
        "alias starts with a digit" => unit(pca_core::Alias::new("1corp")), E::Alias { reason: "must start with a letter", .. },
        "alias with a space" => unit(pca_core::Alias::new("corp root")), E::Alias { reason, .. } if reason.contains("only ASCII"),
        "alias not ASCII" => unit(pca_core::Alias::new("루트인증서")), E::Alias { .. },
        "key type RSA1024" => unit("RSA1024".parse::<KeyType>()), E::KeyType { value } if value == "RSA1024",
        "CA type" => unit("PRIVATE_INTERMEDIATE".parse::<CaType>()), E::CaType { .. },
        "status PENDING cannot be set" => unit("PENDING".parse::<CaStatus>()), E::CaStatus { value } if value == "PENDING",
        "commonName empty" => unit(root_ca(X509Parameters::new(""))), E::Length { field: "x509Parameters.commonName", len: 0, .. },
        "commonName blank" => unit(root_ca(X509Parameters::new("   "))), E::Length { field: "x509Parameters.commonName", .. },
        "commonName 65" => unit(root_ca(X509Parameters::new(long(65)))), E::Length { field: "x509Parameters.commonName", len: 65, min: 1, max: 64 },
        "commonName newline" => unit(root_ca(X509Parameters::new("a\nb"))), E::ControlCharacter { field: "x509Parameters.commonName" },
        "organization 65" => unit(root_ca(cn().organization(long(65)))), E::Length { field: "x509Parameters.organization", max: 64, .. },
        "organizationUnit 129" => unit(root_ca(cn().organization_unit(long(129)))), E::Length { field: "x509Parameters.organizationUnit", max: 128, .. },
        "locality 129" => unit(root_ca(cn().locality(long(129)))), E::Length { field: "x509Parameters.locality", .. },
        "stateProvince 129" => unit(root_ca(cn().state_province(long(129)))), E::Length { field: "x509Parameters.stateProvince", .. },
        "streetAddress 129" => unit(end_cert(cn().street_address(long(129)))), E::Length { field: "x509Parameters.streetAddress", .. },
        "streetAddress for a CA" => unit(root_ca(cn().street_address("1 Main St"))), E::NotAccepted { field: "x509Parameters.streetAddress", .. },
        "country name" => unit(root_ca(cn().country("Korea"))), E::Country { value } if value == "Korea",
        "country lower case" => unit(root_ca(cn().country("kr"))), E::Country { .. },
        "alt name with a space" => unit(end_cert(cn().alt_names(["bad name"]))), E::AltName { value, .. } if value == "bad name",
        "alt name empty label" => unit(end_cert(cn().alt_names(["a..example"]))), E::AltName { .. },
        "alt name leading dash" => unit(end_cert(cn().alt_names(["-x.example"]))), E::AltName { .. },
        "e-mail without local part" => unit(end_cert(cn().alt_names(["@example.com"]))), E::AltName { .. },
        "IP address out of range" => unit(end_cert(cn().ip_texts(["999.1.1.1"]))), E::IpAddress { value } if value == "999.1.1.1",
        "IP address text" => unit(end_cert(cn().ip_texts(["localhost"]))), E::IpAddress { .. },
        "caTag empty" => unit(GetCa::new("")), E::CaTag { reason: "empty", .. },
        "caTag dot-dot" => unit(GetCa::new("../x")), E::CaTag { .. },
        "caTag slash" => unit(RotateCrl::new("a/b")), E::CaTag { value, .. } if value == "a/b",
        "caTag query" => unit(GetCaChain::new("a?b=c")), E::CaTag { .. },
        "caTag percent" => unit(TrimCa::new("a%2Fb")), E::CaTag { .. },
        "caTag fragment" => unit(DeleteCa::new("a#b")), E::CaTag { .. },
        "caTag 65" => unit(GetCaCrl::new(long(65))), E::CaTag { reason: "longer than 64 characters", .. },
        "caTag of a sub CA's issuer" => unit(CreateCa::builder().ca_type(CaType::PrivateSub).issuer_tag("x/y").alias("corp-sub").key_type(KeyType::Ec256).period(Period::Max).x509_parameters(cn()).build()), E::CaTag { .. },
        "serial not hex" => unit(GetEndCert::new(TAG, "zz:01")), E::SerialNo { value, .. } if value == "zz:01",
        "serial empty octet" => unit(RevokeEndCert::new(TAG, "01::02")), E::SerialNo { .. },
        "serial slash" => unit(GetEndCert::new(TAG, "01/02")), E::SerialNo { .. },
        "serial empty" => unit(GetEndCert::new(TAG, "")), E::SerialNo { reason: "empty", .. },
        "idNo short" => unit(AddCaUser::new(TAG, "6e4c1a2b")), E::IdNo { reason: "must be 36 characters", .. },
        "idNo layout" => unit(AddCaUser::new(TAG, "6e4c1a2b3c4d-5e6f-7a8b-9c0d1e2f9baa-")), E::IdNo { .. },
        "idNo slash" => unit(DeleteCaUser::new(TAG, "6e4c1a2b-3c4d-5e6f-7a8b-9c0d1e2f/baa")), E::IdNo { .. },
        "CRL expiry 2" => unit(CrlExpiry::days(2)), E::CrlExpiry { value: 2 },
        "CRL expiry 3651" => unit(CrlExpiry::days(3651)), E::CrlExpiry { value: 3651 },
        "page 0" => unit(GetCaList::page(0)), E::PageNo,
        "cert page 0" => unit(GetEndCertList::new(TAG).and_then(|o| o.with_page(0))), E::PageNo,
        "OCSP plain http" => unit(CreateOcsp::new(TAG, "http://ocsp.example.com/ocsp")), E::OcspUrl { .. },
        "OCSP not a URL" => unit(CreateOcsp::new(TAG, "ocsp")), E::OcspUrl { .. },
        "OCSP with a space" => unit(CreateOcsp::new(TAG, "https://a.example/o csp")), E::OcspUrl { .. },
        "CSR empty" => unit(sign_sub("")), E::Pem { field: "csrPem", .. },
        "CSR not PEM" => unit(sign_sub("hello")), E::Pem { reason, .. } if reason.contains("no PEM block"),
        "CSR is a certificate" => unit(sign_sub(ROOT)), E::Pem { reason, .. } if reason.contains("CERTIFICATE block"),
        "CSR twice" => unit(sign_sub(&format!("{CSR}\n{CSR}"))), E::Pem { reason, .. } if reason.contains("2 PEM blocks"),
        "CSR bad Base64" => unit(sign_sub("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----")), E::Pem { .. },
        "CSR not PKCS#10" => unit(sign_sub(&certificate_as_csr())), E::Der { field: "csrPem", expected: "PKCS#10 certificate request", .. },
        "CSR with text around" => unit(sign_sub(&format!("Certificate Request:\n{CSR}"))), E::Pem { reason, .. } if reason.contains("outside"),
        "CSR unterminated" => unit(sign_sub(&CSR[..CSR.len() - 30])), E::Pem { .. },
        "Sign End CSR not PKCS#10" => unit(SignEndCsr::new(TAG, certificate_as_csr())), E::Der { .. },
        "Activate: two certificates" => unit(ActivateSubCa::new(TAG, format!("{INTERMEDIATE}{ROOT}"), ROOT)), E::Pem { field: "certPem", .. },
        "Activate: empty chain" => unit(ActivateSubCa::new(TAG, INTERMEDIATE, "")), E::Pem { field: "caChainPem", .. },
        "Activate: a CSR as certificate" => unit(ActivateSubCa::new(TAG, CSR, ROOT)), E::Pem { field: "certPem", .. },
        "Activate: chain not X.509" => unit(ActivateSubCa::new(TAG, INTERMEDIATE, "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----")), E::Der { field: "caChainPem", .. },
        "Create CA without alias" => unit(CreateCa::builder().ca_type(CaType::PrivateRoot).key_type(KeyType::Ec256).period(Period::Max).x509_parameters(cn()).build()), E::Missing { field: "alias" },
        "Create CA without type" => unit(CreateCa::builder().alias("corp-root").key_type(KeyType::Ec256).period(Period::Max).x509_parameters(cn()).build()), E::Missing { field: "caType" },
        "Create root CA with an issuer" => unit(CreateCa::builder().ca_type(CaType::PrivateRoot).issuer_tag(TAG).alias("corp-root").key_type(KeyType::Ec256).period(Period::Max).x509_parameters(cn()).build()), E::NotAccepted { field: "issuerTag", .. },
        "Issue End Cert without names" => unit(IssueEndCert::builder().ca_tag(TAG).build()), E::Missing { field: "x509Parameters" },
        "Issue End Cert without CA" => unit(IssueEndCert::builder().x509_parameters(cn()).build()), E::Missing { field: "caTag" },
        "memo control character" => unit(UpdateCa::new(TAG, CaStatus::Active).and_then(|o| o.with_memo("a\u{0}b"))), E::ControlCharacter { field: "memo" },
    };
    assert!(rows.len() >= 40, "the table has {} rows", rows.len());
    // Without the `x509` feature nothing reads the DER inside PEM: these rows are accepted,
    // and the table says so rather than skipping them.
    const DER_ROWS: [&str; 3] = [
        "CSR not PKCS#10",
        "Sign End CSR not PKCS#10",
        "Activate: chain not X.509",
    ];
    let mut failures = Vec::new();
    for (label, result, expected) in &rows {
        if !cfg!(feature = "x509") && DER_ROWS.contains(label) {
            if result.is_err() {
                failures.push(format!("{label}: refused without the x509 feature"));
            }
            continue;
        }
        match result {
            Ok(()) => failures.push(format!("{label}: accepted")),
            Err(e) if !expected(e) => failures.push(format!("{label}: wrong error {e:?}")),
            Err(e) => {
                // Every refusal says what is wrong in words, and converts into the one error
                // type as "nothing was sent".
                assert!(!e.to_string().is_empty());
                let err = pca_core::Error::from(e.clone());
                assert!(err.is_before_send(), "{label}");
                assert!(
                    err.to_string()
                        .starts_with("invalid input, nothing was sent")
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn csr_forms_are_normalized_to_the_api_form() {
    let canonical = SignSubCsr::new(TAG, Period::days(10).unwrap(), CSR).unwrap();
    let body: Vec<&str> = CSR.lines().filter(|l| !l.starts_with("-----")).collect();
    let variants = [
        CSR.replace('\n', "\r\n"),
        format!("\n\n   {CSR}  \n\t\n"),
        CSR.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"),
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----",
            body.concat()
        ),
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----{}-----END CERTIFICATE REQUEST-----",
            body.concat()
        ),
    ];
    for v in variants {
        let op = SignSubCsr::new(TAG, Period::days(10).unwrap(), &v).unwrap();
        assert_eq!(op.csr_pem(), canonical.csr_pem(), "variant {v:?}");
    }
    let pem = canonical.csr_pem();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
    assert!(pem.ends_with("\n-----END CERTIFICATE REQUEST-----"));
    assert!(!pem.contains('\r'));
    assert!(pem.lines().all(|l| l.len() <= 64));
}

#[test]
fn other_key_types_of_csr_are_accepted() {
    let ec = include_str!("data/ec-sub-ca.csr.pem");
    let leaf = include_str!("data/leaf.csr.pem");
    assert!(SignSubCsr::new(TAG, Period::days(365).unwrap(), ec).is_ok());
    assert!(SignEndCsr::new(TAG, leaf).is_ok());
}

#[test]
fn good_inputs_are_accepted() {
    assert!(
        CreateCa::builder()
            .ca_type(CaType::PrivateSub)
            .issuer_tag(TAG)
            .alias("Sub_CA-01")
            .key_type(KeyType::Rsa4096)
            .period(Period::days(3650).unwrap())
            .x509_parameters(
                cn().country("KR")
                    .alt_names(["ca.example.com", "*.pki.example.com", "pki@example.com"])
                    .ip_addresses(["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()])
            )
            .build()
            .is_ok()
    );
    assert!(GetEndCert::new(TAG, "0102030405060708090a0b0c0d0e0f1011121314").is_ok());
    assert!(CrlExpiry::days(3).is_ok());
    assert!(CreateOcsp::new(TAG, "http://127.0.0.1:8787/ext/x/ocsp").is_ok());
    assert!(CreateOcsp::service_responder(TAG, &Endpoint::site(pca_core::Site::Gov)).is_ok());
}
