//! Signs a subordinate CA's CSR and prints the certificate with its chain.
//!
//! ```sh
//! export NCLOUD_PCA_ENDPOINT=http://127.0.0.1:8080   # a local server; unset for the public site
//! export NCLOUD_ACCESS_KEY_ID=… NCLOUD_SECRET_ACCESS_KEY=…
//! cargo run -p pca-blocking --example sign_sub_csr -- <caTag> <csr.pem> [days]
//! ```

use std::process::ExitCode;

use pca_blocking::Client;
use pca_core::Period;
use pca_core::operations::SignSubCsr;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ca_tag, csr_path, rest @ ..] = args.as_slice() else {
        eprintln!("usage: sign_sub_csr <caTag> <csr.pem> [days, default 1825]");
        return ExitCode::from(2);
    };
    match run(ca_tag, csr_path, rest.first().map(String::as_str)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(ca_tag: &str, csr_path: &str, days: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let days: u32 = days.unwrap_or("1825").parse()?;
    let csr = std::fs::read_to_string(csr_path)?;
    let op = SignSubCsr::new(ca_tag, Period::days(days)?, &csr)?;
    let client = Client::from_env()?;
    let signed = client.sign_sub_csr(&op)?;
    if let Some(serial) = &signed.serial_no {
        eprintln!("signed, serial {serial}");
    }
    print!("{}", signed.full_chain_pem());
    Ok(())
}
