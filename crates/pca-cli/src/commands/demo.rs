//! `pca demo`: the whole sub-CA story on the embedded emulator, each step printed with what it
//! produced: start the emulator in this process, create a root CA, make a sub-CA key and CSR
//! locally, sign the CSR at the root with Sign Sub CSR, write the files, and validate the chain.

use std::path::PathBuf;

use pca_core::operations::{CreateCa, SignSubCsr};
use pca_core::{CaType, KeyType, Period, X509Parameters};
use serde_json::{Value, json};

use super::csr;
use crate::cli::{DemoArgs, GlobalArgs, ProfileKind, SubjectArgs};
use crate::client::{self, Api};
use crate::exit::{CliError, Kind, Result};
use crate::files::{self, OutFile};
use crate::output::{Report, Ui};
use crate::x509view::{PemCert, blocks};

const FILES: [&str; 6] = [
    "key.pem",
    "csr.pem",
    "cert.pem",
    "chain.pem",
    "fullchain.pem",
    "root.pem",
];

struct Story<'a> {
    ui: &'a Ui,
    steps: Vec<Value>,
    text: String,
}

impl Story<'_> {
    fn begin(&self, n: usize, title: &str) {
        self.ui.step(format!("step {n}: {title}"));
    }

    fn done(&mut self, n: usize, title: &str, produced: Value, lines: String) {
        self.text.push_str(&format!("{n}. {title}\n"));
        for l in lines.lines() {
            self.text.push_str(&format!("   {l}\n"));
        }
        self.steps
            .push(json!({ "step": n, "title": title, "produced": produced }));
    }
}

fn der_of(pem: &str) -> Result<Vec<u8>> {
    blocks(pem.as_bytes())
        .ok()
        .and_then(|b| b.into_iter().next())
        .map(|b| b.der)
        .ok_or_else(|| {
            CliError::new(
                Kind::BadAnswer,
                "the emulator's answer holds no readable certificate",
            )
        })
}

/// `pca demo`.
pub(crate) fn run(args: &DemoArgs, global: &GlobalArgs, ui: &Ui) -> Result<Report> {
    let dir: PathBuf = match &args.out_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("pca-demo-")
            .tempdir()
            .map_err(|e| CliError::local(format!("cannot make a directory for the files: {e}")))?
            .keep(),
    };
    files::check_free(&dir, &FILES, args.force)?;
    let mut story = Story {
        ui,
        steps: Vec::new(),
        text: String::new(),
    };

    // 1. The emulator, in this process.
    story.begin(1, "start the embedded Private CA emulator");
    let emulator = client::start_emulator(global.local_state.as_deref())?;
    let url = emulator.base_url().to_owned();
    let api = Api::on_emulator(emulator, global)?;
    story.done(
        1,
        "Start the embedded Private CA emulator",
        json!({ "url": url, "apiUrl": format!("{url}/api/v1") }),
        format!("listening on {url} (API below /api/v1, signature v2 checked)"),
    );

    // 2. A root CA (Create CA, caType=PRIVATE_ROOT).
    story.begin(2, "create a root CA");
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 10_000)
        .unwrap_or_default();
    let alias = format!("demo-root-{nonce:04}");
    let create = CreateCa::builder()
        .ca_type(CaType::PrivateRoot)
        .alias(alias.clone())
        .key_type(KeyType::Ec256)
        .period(Period::days(3650)?)
        .x509_parameters(
            X509Parameters::new("pca demo Root CA")
                .organization("pca demo")
                .country("KR"),
        )
        .build()?;
    let root = api.call(&create)?;
    let root_tag = root
        .info
        .ca_tag
        .clone()
        .ok_or_else(|| CliError::new(Kind::BadAnswer, "Create CA answered without a caTag"))?;
    let root_pem = root
        .cert
        .as_ref()
        .and_then(|c| c.cert_pem.clone())
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| {
            CliError::new(
                Kind::BadAnswer,
                "Create CA answered without the root certificate",
            )
        })?;
    let root_view = PemCert::new(&root_pem);
    story.done(
        2,
        "Create a root CA (Create CA, PRIVATE_ROOT, EC256, 3650 days)",
        json!({ "caTag": root_tag, "alias": alias, "status": root.info.status, "certificate": root_view }),
        format!("caTag {root_tag}, alias {alias}\n{}", root_view.view.as_ref().map(|v| v.text("")).unwrap_or_default()),
    );

    // 3. The sub CA's key and CSR, made here: the key never leaves this machine.
    story.begin(3, "make the sub CA's key and CSR");
    let subject = SubjectArgs {
        cn: "pca demo Issuing CA".to_owned(),
        country: Some("KR".to_owned()),
        org: Some("pca demo".to_owned()),
        ou: None,
        locality: None,
        state: None,
        san: Vec::new(),
        ip: Vec::new(),
    };
    let made = csr::make(args.key_algorithm, ProfileKind::Ca, Some(0), &subject)?;
    let csr_view = csr::csr_json(&made.csr_pem);
    story.done(
        3,
        "Make the sub CA's private key and CSR locally (rcgen)",
        json!({ "keyAlgorithm": format!("{:?}", args.key_algorithm), "csr": csr_view }),
        format!(
            "{:?} key (stays local), CSR for CN=pca demo Issuing CA requesting CA:TRUE, pathlen 0",
            args.key_algorithm
        ),
    );

    // 4. Sign Sub CSR at the root.
    story.begin(4, "sign the CSR at the root (Sign Sub CSR)");
    let sign = SignSubCsr::new(&root_tag, Period::days(1825)?, &made.csr_pem)?;
    let signed = api.call(&sign)?;
    let sub_view = PemCert::new(&signed.certificate);
    story.done(
        4,
        &format!("Sign the CSR at the root (POST /api/v1/ca/{root_tag}/sub/sign, 1825 days)"),
        super::render::signed_json(&signed),
        super::render::signed_text(&signed),
    );

    // 5. Files.
    story.begin(5, "write the files");
    let mut out = vec![
        OutFile::secret("key.pem", made.key_pem.clone()),
        OutFile::public("csr.pem", made.csr_pem.clone()),
    ];
    out.extend(super::render::cert_files(
        &signed.certificate,
        &signed.ca_chain,
    ));
    if !out.iter().any(|f| f.name == "root.pem") {
        out.push(OutFile::public(
            "root.pem",
            format!("{}\n", root_pem.trim()),
        ));
    }
    let written = files::write_all(&dir, &out, args.force)?;
    let mut file_map = serde_json::Map::new();
    let mut lines = String::new();
    for (p, f) in written.iter().zip(&out) {
        file_map.insert(
            f.name.trim_end_matches(".pem").to_owned(),
            json!(p.display().to_string()),
        );
        lines.push_str(&format!(
            "{}{}\n",
            p.display(),
            if f.secret { " (mode 0600)" } else { "" }
        ));
    }
    story.done(
        5,
        "Write the files",
        json!({ "dir": dir.display().to_string(), "files": file_map }),
        lines,
    );

    // 6. Validate: a probe leaf signed by the new sub CA's key must validate to the root from
    //    step 2 through the sub CA certificate from step 4 (rustls-webpki).
    story.begin(6, "verify the chain");
    let chain_ders: Result<Vec<Vec<u8>>> = signed.ca_chain.iter().map(|c| der_of(c)).collect();
    let input = super::verify::Input {
        roots: vec![der_of(&root_pem)?],
        intermediates: chain_ders?,
        target: der_of(&signed.certificate)?,
        key_pem: Some(made.key_pem.clone()),
        crls: Vec::new(),
        name: None,
        at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    };
    let verdict = super::verify::verify(&input)?;
    let vtext = if verdict.valid {
        format!(
            "valid: {}\n(rustls-webpki, through a probe leaf signed by the sub CA's key)",
            verdict.path.join(" → ")
        )
    } else {
        format!("NOT valid: {}", verdict.error.as_deref().unwrap_or("?"))
    };
    story.done(6, "Verify the chain to the root", verdict.json(), vtext);

    let sub_subject = sub_view
        .view
        .as_ref()
        .map(|v| v.subject.clone())
        .unwrap_or_default();
    story.text.push_str(&format!(
        "\nDone: sub CA \"{sub_subject}\" signed by root {root_tag}; files in {}\nCheck them yourself:\n  pca verify --roots {} --chain {} --key {} {}\n  openssl verify -CAfile {} {}\n",
        dir.display(),
        dir.join("root.pem").display(),
        dir.join("chain.pem").display(),
        dir.join("key.pem").display(),
        dir.join("cert.pem").display(),
        dir.join("root.pem").display(),
        dir.join("cert.pem").display(),
    ));
    let json = json!({
        "emulator": url,
        "rootCaTag": root_tag,
        "dir": dir.display().to_string(),
        "valid": verdict.valid,
        "steps": story.steps,
    });
    let mut report = Report::new(json, story.text);
    if !verdict.valid {
        report.failure = Some(CliError::new(
            Kind::Verify,
            format!(
                "the demo's chain did not verify: {}",
                verdict.error.unwrap_or_default()
            ),
        ));
    }
    Ok(report)
}
