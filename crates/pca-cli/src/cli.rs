//! The command tree and its options (clap derive). Help texts carry an example for each command.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, as printed at the end of `pca --help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  local failure (a file could not be written, the embedded emulator did not start)
  2  usage error or invalid input; nothing was sent
  3  credentials, profile or endpoint unusable; nothing was sent
  4  the API refused the request (gateway or Private CA service error)
  5  transport failure (connect, TLS, timeout); the message says whether the request may have been sent
  6  verification failed (pca verify, pca demo)
  7  the server's answer could not be understood
  8  the service issued a certificate that does not match the request (another key, not a CA,
     wrong issuer or chain, validity outside the period); nothing was written: revoke that serial

Credentials (NCP's conventions; nothing is needed with --local or for demo):
  1. NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY (or NCLOUD_ACCESS_KEY_ID and NCLOUD_SECRET_ACCESS_KEY);
  2. ~/.ncloud/configure, profile [DEFAULT] (or --profile NAME / NCLOUD_PROFILE, which is read
     even when the environment holds keys):
       [DEFAULT]
       ncloud_access_key_id = ...
       ncloud_secret_access_key = ...
  3. with --server-role, the VM's server-role credentials from NCP's metadata service.
Endpoint: --endpoint URL (or NCLOUD_PCA_ENDPOINT), else --site public|gov (or NCLOUD_SITE).
--local ignores the endpoint and the credentials.

Examples:
  pca demo                                   # the whole sub-CA story on the embedded emulator
  pca --local ca list                        # any command against an in-process emulator
  pca ca list --output json                  # against NCP, credentials from NCLOUD_ACCESS_KEY/NCLOUD_SECRET_KEY
  pca sub sign 1234abcd-root --csr sub.csr.pem --days 1825 --out-dir ./sub-ca";

/// `pca`: NAVER Cloud Platform Private CA from a terminal and from CI jobs.
///
/// Every one of the 24 Private CA operations, local helpers that need no server (key and CSR
/// generation, inspection, chain verification), and a local mode on the embedded emulator.
#[derive(Debug, Parser)]
#[command(name = "pca", version, after_long_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Profile of ~/.ncloud/configure to read credentials from (reads the file even when the
    /// environment holds keys).
    #[arg(long, global = true, env = "NCLOUD_PROFILE", value_name = "NAME")]
    pub(crate) profile: Option<String>,

    /// NCP site: public (pca.apigw.ntruss.com) or gov (privateca.apigw.gov-ntruss.com).
    #[arg(long, global = true, env = "NCLOUD_SITE", value_enum)]
    pub(crate) site: Option<SiteArg>,

    /// Explicit base URL (wins over --site); plain http:// works for loopback hosts.
    #[arg(long, global = true, env = "NCLOUD_PCA_ENDPOINT", value_name = "URL")]
    pub(crate) endpoint: Option<String>,

    /// When neither the environment nor ~/.ncloud/configure has keys, ask the NCP metadata
    /// service for the VM's server-role credentials (on NCP VMs only).
    #[arg(long, global = true)]
    pub(crate) server_role: bool,

    /// Also trust the CA certificates of this PEM file for TLS (a corporate proxy's root, a
    /// private gateway's CA); the web PKI roots stay trusted.
    #[arg(long, global = true, env = "PCA_CA_FILE", value_name = "PEM")]
    pub(crate) ca_file: Option<PathBuf>,

    /// Run against an emulator started inside this process (no NCP account needed).
    #[arg(long, global = true)]
    pub(crate) local: bool,

    /// Keep the --local emulator's state in DIR between runs (implies --local).
    #[arg(long, global = true, env = "PCA_LOCAL_STATE", value_name = "DIR")]
    pub(crate) local_state: Option<PathBuf>,

    /// Output format. Default: text when stdout is a terminal, json otherwise.
    #[arg(
        long,
        short = 'o',
        global = true,
        env = "PCA_OUTPUT",
        value_enum,
        overrides_with = "output"
    )]
    pub(crate) output: Option<OutputFormat>,

    /// Deadline for the whole command, every API call, retry and wait included, e.g. 30s,
    /// 1500ms, 2m (a bare number is seconds).
    #[arg(long, global = true, value_parser = parse_duration, default_value = "30s", value_name = "DURATION")]
    pub(crate) timeout: Duration,

    /// When the command started: `--timeout` counts from here.
    #[arg(skip = std::time::Instant::now())]
    pub(crate) started: std::time::Instant,

    /// Tracing on stderr: -v for each call, -vv for details.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// No progress lines on stderr, even on a terminal.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

/// A documented NCP site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SiteArg {
    /// pca.apigw.ntruss.com
    Public,
    /// privateca.apigw.gov-ntruss.com
    Gov,
}

/// How results are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// A readable summary.
    Text,
    /// One JSON document: PEMs as strings with their parsed X.509 fields beside them.
    Json,
}

/// Parses `30`, `30s`, `1500ms`, `2m`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration such as 30s, 1500ms or 2m"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("{s:?}: the unit must be ms, s or m")),
    };
    if d.is_zero() {
        return Err("the timeout must be longer than zero".to_owned());
    }
    Ok(d)
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Certificate authorities: create, list, get, enable, disable, delete, chain.
    #[command(
        subcommand,
        after_help = "Example:\n  pca ca list\n  pca ca create --type root --alias corp-root --days max --cn 'Corp Root CA'"
    )]
    Ca(CaCommand),
    /// Subordinate CAs signed outside NCP or at another CA: CSR, sign, activate.
    #[command(
        subcommand,
        after_help = "Example:\n  pca sub sign 1234abcd-root --csr sub.csr.pem --days 1825 --out-dir ./sub-ca"
    )]
    Sub(SubCommand),
    /// End-entity certificates: issue, sign, list, get, revoke.
    #[command(
        subcommand,
        after_help = "Example:\n  pca cert issue 1234abcd-sub --cn www.example.com --san www.example.com --out-dir ./www"
    )]
    Cert(CertCommand),
    /// Certificate revocation lists: get, config, set-expiry, rotate, trim.
    #[command(
        subcommand,
        after_help = "Example:\n  pca crl get 1234abcd-sub --out sub.crl.pem"
    )]
    Crl(CrlCommand),
    /// The OCSP responder URL put in a CA's certificates.
    #[command(subcommand, after_help = "Example:\n  pca ocsp enable 1234abcd-sub")]
    Ocsp(OcspCommand),
    /// Sub accounts with rights on a CA.
    #[command(subcommand, after_help = "Example:\n  pca users list 1234abcd-sub")]
    Users(UsersCommand),
    /// Local key and CSR generation (no server).
    #[command(
        subcommand,
        after_help = "Example:\n  pca csr new --cn www.example.com --san www.example.com --out-dir ./www"
    )]
    Csr(CsrCommand),
    /// Show a certificate, chain, CSR or CRL file (no server).
    #[command(
        after_help = "Example:\n  pca inspect fullchain.pem\n  pca inspect --output json sub.csr.pem"
    )]
    Inspect(InspectArgs),
    /// Validate a certificate's path to trusted roots (no server); the exit status says the result.
    #[command(
        after_help = "Examples:\n  pca verify --roots root.pem --chain chain.pem cert.pem\n  pca verify --roots root.pem --chain chain.pem --key sub.key.pem sub-ca.pem   # a CA certificate, with its key\n\nExit status: 0 valid, 6 not valid, 2 unreadable input."
    )]
    Verify(VerifyArgs),
    /// The whole sub-CA story on the embedded emulator: root CA, sub-CA key and CSR, Sign Sub CSR,
    /// files, verification.
    #[command(
        after_help = "Example:\n  pca demo\n  pca demo --out-dir ./demo --force --output json"
    )]
    Demo(DemoArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  pca completions bash > ~/.local/share/bash-completion/completions/pca\n  pca completions zsh > ~/.zfunc/_pca\n  pca completions fish > ~/.config/fish/completions/pca.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Where certificate files go.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutDirArgs {
    /// Write cert.pem, chain.pem, fullchain.pem and root.pem (and key.pem, mode 0600, when a
    /// key is made) into DIR, atomically.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
    /// Replace files that already exist in --out-dir.
    #[arg(long, requires = "out_dir")]
    pub(crate) force: bool,
}

/// `pca cert renew` and `pca sub renew`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RenewArgs {
    /// The current certificate (PEM).
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: PathBuf,
    /// The current private key (PEM, PKCS#8).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The CA that signs the new certificate (for `sub renew`, the parent CA).
    #[arg(long, value_name = "TAG")]
    pub(crate) ca: String,
    /// Due when less than this is left (e.g. 30d, 12h). Default: once two thirds of the
    /// lifetime have passed.
    #[arg(long, value_name = "DURATION", value_parser = parse_long_duration)]
    pub(crate) before: Option<Duration>,
    /// Validity of the new certificate in days (1-3650). Default: the current lifetime.
    #[arg(long, value_name = "N")]
    pub(crate) days: Option<u32>,
    /// Make a new key of the same type (written to key.pem, mode 0600) instead of reusing it.
    #[arg(long)]
    pub(crate) rotate_key: bool,
    /// Where cert.pem, chain.pem, fullchain.pem, root.pem (and key.pem) are replaced.
    /// Default: the directory of --cert.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
    /// Run this (with `sh -c`) after the files are replaced; it gets PCA_CERT, PCA_KEY,
    /// PCA_CHAIN, PCA_FULLCHAIN, PCA_ROOT, PCA_SERIAL, PCA_OUT_DIR and PCA_PREVIOUS_DIR.
    #[arg(long, value_name = "CMD")]
    pub(crate) exec: Option<String>,
    /// Keep running: check on a schedule, renew when due, stop on SIGTERM or SIGINT.
    #[arg(long)]
    pub(crate) daemon: bool,
    /// With --daemon: the longest time between checks (e.g. 1h, 10m, 30s).
    #[arg(long, value_name = "DURATION", requires = "daemon", default_value = "1h", value_parser = parse_long_duration)]
    pub(crate) check_every: Duration,
    /// Renew now, due or not (with --daemon: at every check).
    #[arg(long)]
    pub(crate) force: bool,
}

/// Parses durations with days: `30d`, `12h`, `10m`, `30s`, `1h 30m` (humantime).
pub(crate) fn parse_long_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?}: {e}; expected e.g. 30d, 12h, 10m or 30s"))?;
    if d.is_zero() {
        return Err("the duration must be longer than zero".to_owned());
    }
    Ok(d)
}

/// Subject and alternative names of a certificate to be made.
#[derive(Debug, Clone, Args)]
pub(crate) struct SubjectArgs {
    /// Subject common name.
    #[arg(long, value_name = "CN")]
    pub(crate) cn: String,
    /// Subject country (two- or three-letter code, e.g. KR).
    #[arg(long)]
    pub(crate) country: Option<String>,
    /// Subject organization.
    #[arg(long)]
    pub(crate) org: Option<String>,
    /// Subject organizational unit.
    #[arg(long)]
    pub(crate) ou: Option<String>,
    /// Subject locality.
    #[arg(long)]
    pub(crate) locality: Option<String>,
    /// Subject state or province.
    #[arg(long)]
    pub(crate) state: Option<String>,
    /// DNS name or e-mail subject alternative name (repeat or comma-separate).
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub(crate) san: Vec<String>,
    /// IP-address subject alternative name (repeat or comma-separate).
    #[arg(long, value_delimiter = ',', value_name = "ADDR")]
    pub(crate) ip: Vec<String>,
}

/// A CA to act on.
#[derive(Debug, Clone, Args)]
pub(crate) struct TagArg {
    /// The CA's tag (e.g. 12345678-abcdefg).
    #[arg(value_name = "CA_TAG")]
    pub(crate) tag: String,
}

/// `pca ca ...`
// Parsed once per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum CaCommand {
    /// Create a root CA, a sub CA signed at once by --issuer, or a pending sub CA (Create CA).
    #[command(
        after_help = "Examples:\n  pca ca create --type root --alias corp-root --key-type EC256 --days max --cn 'Corp Root CA' --country KR --org Corp\n  pca ca create --type sub --issuer 1234abcd-root --alias corp-sub --key-type EC256 --days 1825 --cn 'Corp Issuing CA'\n  pca ca create --type sub --alias ext-sub --key-type RSA2048 --days 1825 --cn 'Signed Elsewhere'   # left PENDING"
    )]
    Create(CaCreateArgs),
    /// List the account's CAs (Get CA List).
    #[command(after_help = "Example:\n  pca ca list\n  pca ca list --page 2 --output json")]
    List {
        /// Only this page (pages count from 1); default: every page.
        #[arg(long)]
        page: Option<u32>,
    },
    /// Show a CA and its certificate (Get CA).
    #[command(after_help = "Example:\n  pca ca get 1234abcd-root --out-dir ./root")]
    Get {
        #[command(flatten)]
        tag: TagArg,
        #[command(flatten)]
        out: OutDirArgs,
    },
    /// Enable a CA (Update CA, status ACTIVE).
    #[command(after_help = "Example:\n  pca ca enable 1234abcd-root")]
    Enable(StatusArgs),
    /// Disable a CA: it signs nothing until enabled (Update CA, status DEACTIVATED).
    #[command(after_help = "Example:\n  pca ca disable 1234abcd-root")]
    Disable(StatusArgs),
    /// Schedule a CA's deletion (Update CA, status DESTROYING).
    #[command(after_help = "Example:\n  pca ca schedule-deletion 1234abcd-root")]
    ScheduleDeletion(StatusArgs),
    /// Cancel a scheduled deletion (Update CA, status ACTIVE on a DESTROYING CA).
    #[command(after_help = "Example:\n  pca ca cancel-deletion 1234abcd-root")]
    CancelDeletion(StatusArgs),
    /// Delete a CA scheduled for deletion (Delete CA).
    #[command(
        after_help = "Example:\n  pca ca schedule-deletion 1234abcd-old && pca ca delete 1234abcd-old"
    )]
    Delete(TagArg),
    /// Get a CA's chain (Get CA Chain).
    #[command(after_help = "Example:\n  pca ca chain 1234abcd-sub --out-dir ./sub")]
    Chain {
        #[command(flatten)]
        tag: TagArg,
        #[command(flatten)]
        out: OutDirArgs,
    },
}

/// A status change.
#[derive(Debug, Clone, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) tag: TagArg,
    /// Also set the CA's memo.
    #[arg(long)]
    pub(crate) memo: Option<String>,
}

/// `pca ca create`
#[derive(Debug, Clone, Args)]
pub(crate) struct CaCreateArgs {
    /// Root or subordinate CA.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) ca_type: CaTypeArg,
    /// The parent CA that signs a sub CA at once (without it a sub CA is left PENDING).
    #[arg(long, value_name = "CA_TAG")]
    pub(crate) issuer: Option<String>,
    /// Alias: 3-15 letters, digits, '-' or '_', starting with a letter.
    #[arg(long)]
    pub(crate) alias: String,
    /// Key type: EC256, EC521, RSA2048 or RSA4096.
    #[arg(long, default_value = "EC256")]
    pub(crate) key_type: String,
    /// Validity in days (1-3650) or max.
    #[arg(long, value_name = "N|max")]
    pub(crate) days: String,
    /// A memo.
    #[arg(long)]
    pub(crate) memo: Option<String>,
    #[command(flatten)]
    pub(crate) subject: SubjectArgs,
    #[command(flatten)]
    pub(crate) out: OutDirArgs,
}

/// Root or sub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CaTypeArg {
    /// A self-signed root CA.
    Root,
    /// A subordinate CA.
    Sub,
}

/// `pca sub ...`
#[derive(Debug, Subcommand)]
pub(crate) enum SubCommand {
    /// Get the CSR of a pending sub CA (Get Sub CSR).
    #[command(
        after_help = "Example:\n  pca sub csr 1234abcd-pending > sub.csr.pem   # the PEM alone when --output text\n  pca sub csr 1234abcd-pending --out sub.csr.pem"
    )]
    Csr {
        #[command(flatten)]
        tag: TagArg,
        /// Write the CSR to FILE (atomically; not over an existing file without --force).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Sign a subordinate CA's CSR at CA_TAG (Sign Sub CSR).
    #[command(
        after_help = "Examples:\n  pca csr new --kind ca --cn 'Corp Issuing CA' --out-dir ./sub-ca\n  pca sub sign 1234abcd-root --csr ./sub-ca/csr.pem --days 1825 --out-dir ./sub-ca\n  pca verify --roots ./sub-ca/root.pem --chain ./sub-ca/chain.pem --key ./sub-ca/key.pem ./sub-ca/cert.pem"
    )]
    Sign {
        #[command(flatten)]
        tag: TagArg,
        /// The CSR (PEM).
        #[arg(long, value_name = "FILE")]
        csr: PathBuf,
        /// Validity in days (1-3650).
        #[arg(long, value_name = "N")]
        days: String,
        #[command(flatten)]
        out: OutDirArgs,
    },
    /// Renew a sub CA's certificate at its parent when it is due (Sign Sub CSR; the CSR asks for
    /// CA:TRUE with the current path length).
    #[command(
        after_help = "Examples:\n  pca sub renew --cert ./sub-ca/cert.pem --key ./sub-ca/key.pem --ca 1234abcd-root\n  pca sub renew --cert ./sub-ca/cert.pem --key ./sub-ca/key.pem --ca 1234abcd-root --before 90d --exec 'systemctl reload my-ca'\n\nExit 0 with one line when not due (nothing is sent)."
    )]
    Renew(RenewArgs),
    /// Install the signed certificate of a pending sub CA (Activate Sub CA).
    #[command(
        after_help = "Example:\n  pca sub activate 1234abcd-pending --cert ./sub-ca/cert.pem --chain ./sub-ca/chain.pem"
    )]
    Activate {
        #[command(flatten)]
        tag: TagArg,
        /// The sub CA's certificate (PEM).
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// The signer's chain, issuer first (PEM).
        #[arg(long, value_name = "FILE")]
        chain: PathBuf,
    },
}

/// `pca cert ...`
// Parsed once per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum CertCommand {
    /// Issue a certificate with a key the service makes (Issue End Cert); needs --out-dir for the key.
    #[command(
        after_help = "Example:\n  pca cert issue 1234abcd-sub --cn www.example.com --san www.example.com --days 90 --out-dir ./www"
    )]
    Issue {
        #[command(flatten)]
        tag: TagArg,
        #[command(flatten)]
        subject: SubjectArgs,
        /// Subject street address.
        #[arg(long)]
        street: Option<String>,
        /// Key type: EC256, EC521, RSA2048 or RSA4096 (default: the service's).
        #[arg(long)]
        key_type: Option<String>,
        /// Validity in days (1-3650) or max (default: the service's).
        #[arg(long, value_name = "N|max")]
        days: Option<String>,
        #[command(flatten)]
        out: OutDirArgs,
    },
    /// Sign an end-entity CSR (Sign End CSR).
    #[command(
        after_help = "Example:\n  pca csr new --cn www.example.com --san www.example.com --out-dir ./www\n  pca cert sign 1234abcd-sub --csr ./www/csr.pem --days 90 --out-dir ./www"
    )]
    Sign {
        #[command(flatten)]
        tag: TagArg,
        /// The CSR (PEM).
        #[arg(long, value_name = "FILE")]
        csr: PathBuf,
        /// Validity in days (1-3650; default: the service's).
        #[arg(long, value_name = "N")]
        days: Option<String>,
        #[command(flatten)]
        out: OutDirArgs,
    },
    /// Renew a certificate when it is due (Sign End CSR for the same subject and names, same
    /// key unless --rotate-key), replace the files together, run a hook.
    #[command(
        after_help = "Examples:\n  pca cert renew --cert /etc/pca/www/cert.pem --key /etc/pca/www/key.pem --ca 1234abcd-sub\n  pca cert renew --cert ./www/cert.pem --key ./www/key.pem --ca 1234abcd-sub --before 30d --exec 'systemctl reload nginx'\n  pca cert renew --cert ./www/cert.pem --key ./www/key.pem --ca 1234abcd-sub --daemon --check-every 1h\n\nExit 0 with one line when not due (nothing is sent)."
    )]
    Renew(RenewArgs),
    /// List the serial numbers of a CA's certificates (Get End Cert List).
    #[command(after_help = "Example:\n  pca cert list 1234abcd-sub --output json")]
    List {
        #[command(flatten)]
        tag: TagArg,
        /// Only this page (pages count from 1); default: every page.
        #[arg(long)]
        page: Option<u32>,
    },
    /// Show a certificate (Get End Cert).
    #[command(after_help = "Example:\n  pca cert get 1234abcd-sub 3a:0f:...:9c --out-dir ./www")]
    Get {
        #[command(flatten)]
        tag: TagArg,
        /// Serial number (colon-separated or plain hexadecimal).
        serial: String,
        #[command(flatten)]
        out: OutDirArgs,
    },
    /// Revoke a certificate (Revoke End Cert).
    #[command(after_help = "Example:\n  pca cert revoke 1234abcd-sub 3a:0f:...:9c")]
    Revoke {
        #[command(flatten)]
        tag: TagArg,
        /// Serial number (colon-separated or plain hexadecimal).
        serial: String,
    },
}

/// `pca crl ...`
#[derive(Debug, Subcommand)]
pub(crate) enum CrlCommand {
    /// Get a CA's CRL (Get CA CRL).
    #[command(after_help = "Example:\n  pca crl get 1234abcd-sub --out sub.crl.pem")]
    Get {
        #[command(flatten)]
        tag: TagArg,
        /// Write the CRL to FILE.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Show a CA's CRL settings (Get CRL Config).
    #[command(after_help = "Example:\n  pca crl config 1234abcd-sub")]
    Config(TagArg),
    /// Set how many days each CRL is valid (Update CRL Config).
    #[command(after_help = "Example:\n  pca crl set-expiry 1234abcd-sub --days 7")]
    SetExpiry {
        #[command(flatten)]
        tag: TagArg,
        /// Days, 3-3650.
        #[arg(long)]
        days: u32,
    },
    /// Publish a new CRL now (Rotate CRL).
    #[command(after_help = "Example:\n  pca crl rotate 1234abcd-sub")]
    Rotate(TagArg),
    /// Drop expired certificates from the CRL (Trim CA).
    #[command(after_help = "Example:\n  pca crl trim 1234abcd-sub")]
    Trim(TagArg),
}

/// `pca ocsp ...`
#[derive(Debug, Subcommand)]
pub(crate) enum OcspCommand {
    /// Put an OCSP URL in the CA's certificates from now on (Create OCSP).
    #[command(
        after_help = "Example:\n  pca ocsp enable 1234abcd-sub                       # the service's own responder\n  pca ocsp enable 1234abcd-sub --url https://ocsp.example.com/"
    )]
    Enable {
        #[command(flatten)]
        tag: TagArg,
        /// The responder URL; default: the service's own, https://HOST/ext/CA_TAG/ocsp.
        #[arg(long)]
        url: Option<String>,
    },
    /// Stop putting an OCSP URL in new certificates (Delete OCSP).
    #[command(after_help = "Example:\n  pca ocsp disable 1234abcd-sub")]
    Disable(TagArg),
}

/// `pca users ...`
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// List the sub accounts with rights on a CA (Get CA User List).
    #[command(after_help = "Example:\n  pca users list 1234abcd-sub")]
    List(TagArg),
    /// Give a sub account rights on a CA (Add CA User).
    #[command(
        after_help = "Example:\n  pca users add 1234abcd-sub 0a1b2c3d-0000-1111-2222-333344445555"
    )]
    Add {
        #[command(flatten)]
        tag: TagArg,
        /// The sub account's idNo (36 characters, 8-4-4-4-12).
        id_no: String,
    },
    /// Remove a sub account's rights on a CA (Delete CA User).
    #[command(
        after_help = "Example:\n  pca users remove 1234abcd-sub 0a1b2c3d-0000-1111-2222-333344445555"
    )]
    Remove {
        #[command(flatten)]
        tag: TagArg,
        /// The sub account's idNo.
        id_no: String,
    },
}

/// `pca csr ...`
#[derive(Debug, Subcommand)]
pub(crate) enum CsrCommand {
    /// Make a private key and a CSR for it: key.pem (mode 0600) and csr.pem in --out-dir.
    #[command(
        after_help = "Examples:\n  pca csr new --cn www.example.com --san www.example.com --san 10.0.0.5 --out-dir ./www\n  pca csr new --kind ca --key-algorithm p384 --cn 'Corp Issuing CA' --org Corp --country KR --out-dir ./sub-ca"
    )]
    New(CsrNewArgs),
}

/// `pca csr new`
#[derive(Debug, Clone, Args)]
pub(crate) struct CsrNewArgs {
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "p256")]
    pub(crate) key_algorithm: KeyAlgorithm,
    /// What the certificate will be: a CA (basicConstraints CA:TRUE, keyCertSign, cRLSign) or a
    /// leaf (digitalSignature, serverAuth and clientAuth).
    #[arg(long, value_enum, default_value = "leaf")]
    pub(crate) kind: ProfileKind,
    /// For a CA: the largest number of CAs allowed below it.
    #[arg(long, value_name = "N")]
    pub(crate) path_len: Option<u8>,
    #[command(flatten)]
    pub(crate) subject: SubjectArgs,
    /// Directory for key.pem and csr.pem.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) out_dir: PathBuf,
    /// Replace key.pem and csr.pem if they exist.
    #[arg(long)]
    pub(crate) force: bool,
}

/// A key algorithm for `pca csr new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyAlgorithm {
    /// ECDSA P-256 with SHA-256.
    P256,
    /// ECDSA P-384 with SHA-384.
    P384,
    /// RSA 2048 with SHA-256.
    Rsa2048,
    /// RSA 3072 with SHA-256.
    Rsa3072,
    /// RSA 4096 with SHA-256.
    Rsa4096,
    /// Ed25519.
    Ed25519,
}

/// CA or leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfileKind {
    /// An end-entity (TLS server or client) certificate.
    Leaf,
    /// A certificate authority.
    Ca,
}

/// `pca inspect`
#[derive(Debug, Clone, Args)]
pub(crate) struct InspectArgs {
    /// A PEM (or DER) file: certificates, a CSR or a CRL; `-` reads stdin.
    pub(crate) file: PathBuf,
}

/// `pca verify`
#[derive(Debug, Clone, Args)]
pub(crate) struct VerifyArgs {
    /// Trusted root certificates (PEM).
    #[arg(long, value_name = "ROOTS.pem", required = true)]
    pub(crate) roots: Vec<PathBuf>,
    /// Intermediate certificates (PEM); certificates after the first in CERT.pem count too.
    #[arg(long, value_name = "CHAIN.pem")]
    pub(crate) chain: Vec<PathBuf>,
    /// For a CA certificate: its private key, to validate the whole path with a probe leaf it signs.
    #[arg(long, value_name = "KEY.pem")]
    pub(crate) key: Option<PathBuf>,
    /// Check revocation against these CRLs (PEM or DER); a certificate whose issuer has no CRL
    /// among them is not checked for revocation.
    #[arg(long, value_name = "CRL.pem")]
    pub(crate) crl: Vec<PathBuf>,
    /// Also require the certificate to be valid for this DNS name or IP address.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Validate at this time (Unix seconds) instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) at: Option<u64>,
    /// The certificate to validate (PEM).
    #[arg(value_name = "CERT.pem")]
    pub(crate) cert: PathBuf,
}

/// `pca demo`
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoArgs {
    /// Where to write the files (default: a new directory under the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
    /// Replace files that already exist in --out-dir.
    #[arg(long)]
    pub(crate) force: bool,
    /// The sub CA's key algorithm.
    #[arg(long, value_enum, default_value = "p256")]
    pub(crate) key_algorithm: KeyAlgorithm,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::CommandFactory;

    use super::{Cli, parse_duration};

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("s").is_err());
    }
}
