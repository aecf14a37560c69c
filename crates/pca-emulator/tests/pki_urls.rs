//! The URLs in issued certificates lead somewhere: the CRL distribution point, the CA
//! certificate (AIA caIssuers) and the OCSP responder (AIA OCSP) are served by the emulator,
//! and openssl, as a relying party, uses them.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Client, openssl_missing, start};
use der::{Decode as _, Encode as _};
use pca_core::operations::{CreateOcsp, GetCa, RevokeEndCert, SignEndCsr};
use pca_emulator::loopback::Connection;
use x509_parser::prelude::{FromDer as _, GeneralName, ParsedExtension, X509Certificate};

fn rcgen_csr(cn: &str) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.serialize_request(&key).unwrap().pem().unwrap()
}

/// An unsigned request to a public endpoint.
fn fetch(c: &Client, method: &str, path: &str, body: &[u8]) -> http::Response<Vec<u8>> {
    let mut req = http::Request::new(body.to_vec());
    *req.method_mut() = method.parse().unwrap();
    *req.uri_mut() = format!("http://{}{path}", c.addr).parse().unwrap();
    Connection::connect(c.addr).unwrap().send(&req).unwrap()
}

/// (CRL distribution point URIs, AIA (method OID, URI) pairs) of a PEM certificate.
fn urls_of(pem_text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let der = pem::parse(pem_text).unwrap().into_contents();
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let (mut crl, mut aia) = (Vec::new(), Vec::new());
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) => {
                for p in points.iter() {
                    if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) =
                        &p.distribution_point
                    {
                        for n in names {
                            if let GeneralName::URI(u) = n {
                                crl.push((*u).to_owned());
                            }
                        }
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(a) => {
                for d in a.iter() {
                    if let GeneralName::URI(u) = &d.access_location {
                        aia.push((d.access_method.to_id_string(), (*u).to_owned()));
                    }
                }
            }
            _ => {}
        }
    }
    (crl, aia)
}

fn path_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    rest[rest.find('/').unwrap()..].to_owned()
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn certificates_carry_urls_the_emulator_serves() {
    let emu = start();
    let c = Client::new(&emu);
    let tag = c.create_root("urls", "URL Root");
    let base = emu.base_url().to_owned();
    let ocsp_url = format!("{base}/ext/{tag}/ocsp");
    c.call(&CreateOcsp::new(&tag, &ocsp_url).unwrap()).unwrap();

    let ca = c.call(&GetCa::new(&tag).unwrap()).unwrap();
    let root_pem = ca.cert.unwrap().cert_pem.unwrap();
    let url_info = ca.info.url_info.unwrap();
    assert_eq!(url_info.crl, vec![format!("{base}/ext/{tag}/crl")]);
    assert_eq!(url_info.ca, vec![format!("{base}/ext/{tag}/ca")]);
    assert_eq!(url_info.ocsp, vec![ocsp_url.clone()]);

    let leaf = c
        .call(&SignEndCsr::new(&tag, rcgen_csr("urls.internal")).unwrap())
        .unwrap();
    let (crl, aia) = urls_of(&leaf.certificate);
    assert_eq!(crl, vec![format!("{base}/ext/{tag}/crl")]);
    assert!(aia.contains(&("1.3.6.1.5.5.7.48.1".to_owned(), ocsp_url.clone())));
    assert!(aia.contains(&(
        "1.3.6.1.5.5.7.48.2".to_owned(),
        format!("{base}/ext/{tag}/ca")
    )));

    // The CA certificate and the CRL, as DER.
    let got = fetch(&c, "GET", &path_of(&format!("{base}/ext/{tag}/ca")), b"");
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pkix-cert");
    assert_eq!(*got.body(), pem::parse(&root_pem).unwrap().into_contents());
    let got = fetch(&c, "GET", &path_of(&crl[0]), b"");
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pkix-crl");
    x509_parser::parse_x509_crl(got.body()).expect("a DER CRL");
    // Unknown CAs and paths.
    assert_eq!(
        fetch(&c, "GET", "/ext/12345678-nothere1/crl", b"").status(),
        404
    );
    assert_eq!(
        fetch(&c, "GET", &format!("/ext/{tag}/nothing"), b"").status(),
        404
    );
}

#[test]
fn a_malformed_ocsp_request_gets_malformed_request() {
    let emu = start();
    let c = Client::new(&emu);
    let tag = c.create_root("ocspbad", "OCSP Bad");
    for body in [
        &b""[..],
        b"\x30\x03\x02\x01",
        b"not DER at all",
        &[0x30; 4096],
    ] {
        let r = fetch(&c, "POST", &format!("/ext/{tag}/ocsp"), body);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/ocsp-response");
        let resp = x509_ocsp::OcspResponse::from_der(r.body()).unwrap();
        assert_eq!(
            resp.response_status,
            x509_ocsp::OcspResponseStatus::MalformedRequest
        );
        assert!(resp.response_bytes.is_none());
    }
    for encoded in ["%%%", "bm90IERFUg%3D%3D"] {
        let r = fetch(&c, "GET", &format!("/ext/{tag}/ocsp/{encoded}"), b"");
        let resp = x509_ocsp::OcspResponse::from_der(r.body()).unwrap();
        assert_eq!(
            resp.response_status,
            x509_ocsp::OcspResponseStatus::MalformedRequest
        );
    }
}

#[test]
fn openssl_checks_revocation_through_ocsp_and_the_crl_distribution_point() {
    if openssl_missing() {
        return;
    }
    let emu = start();
    let c = Client::new(&emu);
    let tag = c.create_root("relying", "Relying Root");
    let ocsp_url = format!("{}/ext/{tag}/ocsp", emu.base_url());
    c.call(&CreateOcsp::new(&tag, &ocsp_url).unwrap()).unwrap();
    let root_pem = c
        .call(&GetCa::new(&tag).unwrap())
        .unwrap()
        .cert
        .unwrap()
        .cert_pem
        .unwrap();
    let leaf = c
        .call(&SignEndCsr::new(&tag, rcgen_csr("relying.internal")).unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("root.pem"), &root_pem).unwrap();
    std::fs::write(d.join("leaf.pem"), &leaf.certificate).unwrap();
    let ocsp = |extra: &[&str]| {
        let mut args = vec![
            "ocsp", "-issuer", "root.pem", "-url", &ocsp_url, "-CAfile", "root.pem",
        ];
        args.extend_from_slice(extra);
        openssl(d, &args)
    };
    let verify_crl = || {
        openssl(
            d,
            &[
                "verify",
                "-crl_check",
                "-crl_download",
                "-CAfile",
                "root.pem",
                "leaf.pem",
            ],
        )
    };

    let out = ocsp(&["-cert", "leaf.pem"]);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains("leaf.pem: good"), "{out}");
    assert!(!out.contains("nonce"), "the nonce is echoed: {out}");
    let out = verify_crl();
    assert!(out.contains("leaf.pem: OK"), "{out}");
    // A serial number the CA never issued.
    let out = ocsp(&["-serial", "0x0102030405"]);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains("0x0102030405: unknown"), "{out}");

    c.call(&RevokeEndCert::new(&tag, leaf.serial_no.as_deref().unwrap()).unwrap())
        .unwrap();
    let out = ocsp(&["-cert", "leaf.pem"]);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains("leaf.pem: revoked"), "{out}");
    assert!(out.contains("Revocation Time"), "{out}");
    let out = verify_crl();
    assert!(out.contains("certificate revoked"), "{out}");

    // The GET form (RFC 6960 A.1) of the same question, checked by openssl.
    openssl(
        d,
        &[
            "ocsp",
            "-issuer",
            "root.pem",
            "-cert",
            "leaf.pem",
            "-no_nonce",
            "-reqout",
            "req.der",
        ],
    );
    let req = std::fs::read(d.join("req.der")).unwrap();
    let encoded: String = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&req);
        percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let r = fetch(&c, "GET", &format!("/ext/{tag}/ocsp/{encoded}"), b"");
    assert_eq!(r.status(), 200);
    // Round trip through the typed structures: the answer is well-formed DER.
    let parsed = x509_ocsp::OcspResponse::from_der(r.body()).unwrap();
    assert_eq!(parsed.to_der().unwrap(), *r.body());
    std::fs::write(d.join("resp.der"), r.body()).unwrap();
    let out = openssl(
        d,
        &[
            "ocsp", "-respin", "resp.der", "-issuer", "root.pem", "-cert", "leaf.pem", "-CAfile",
            "root.pem",
        ],
    );
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains("leaf.pem: revoked"), "{out}");
}
