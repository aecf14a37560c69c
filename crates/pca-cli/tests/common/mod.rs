//! Helpers of the CLI tests: the `pca` binary with a temporary HOME and a clean environment,
//! an emulator started in-process, a listener that proves nothing was sent, openssl when
//! present.
#![allow(dead_code, unreachable_pub)]

pub mod server;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// Variables that could leak the user's configuration into a test.
const CLEARED: &[&str] = &[
    "NCLOUD_ACCESS_KEY",
    "NCLOUD_SECRET_KEY",
    "NCLOUD_ACCESS_KEY_ID",
    "NCLOUD_SECRET_ACCESS_KEY",
    "NCLOUD_PROFILE",
    "NCLOUD_SITE",
    "NCLOUD_PCA_ENDPOINT",
    "PCA_OUTPUT",
    "PCA_LOCAL_STATE",
    "PCA_CA_FILE",
    "PCA_LOG",
    "RUST_LOG",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "USERPROFILE",
];

/// A temporary HOME (so ~/.ncloud is never the user's) and a working directory.
pub struct Sandbox {
    pub home: tempfile::TempDir,
    pub work: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            home: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        }
    }

    /// `pca` with HOME in the sandbox, the user's variables removed, JSON output (through
    /// `PCA_OUTPUT`, so that `--output text` still works).
    pub fn pca(&self) -> Command {
        let mut cmd = Command::cargo_bin("pca").unwrap();
        for v in CLEARED {
            cmd.env_remove(v);
        }
        cmd.env("HOME", self.home.path());
        cmd.current_dir(self.work.path());
        cmd.env("PCA_OUTPUT", "json");
        cmd
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// Runs `pca --output text <args>` and returns its output, whatever the exit.
    pub fn text(&self, args: &[&str]) -> Output {
        self.pca()
            .args(["--output", "text"])
            .args(args)
            .output()
            .unwrap()
    }

    /// Writes ~/.ncloud/configure in the sandbox.
    pub fn write_config(&self, text: &str) {
        let dir = self.home.path().join(".ncloud");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("configure"), text).unwrap();
    }
}

/// An emulator in this process and a sandbox whose `pca` talks to it over HTTP with the
/// emulator's credentials in the environment.
pub struct Remote {
    pub emulator: pca_emulator::Emulator,
    pub sandbox: Sandbox,
}

pub const ACCESS_KEY: &str = "cli-test-access-key";
pub const SECRET_KEY: &str = "cli-test-secret-key-do-not-print";

impl Remote {
    pub fn start() -> Self {
        let emulator = pca_emulator::Emulator::builder()
            .credentials(ACCESS_KEY, SECRET_KEY)
            .start()
            .unwrap();
        Remote {
            emulator,
            sandbox: Sandbox::new(),
        }
    }

    pub fn pca(&self) -> Command {
        let mut cmd = self.sandbox.pca();
        cmd.env("NCLOUD_ACCESS_KEY", ACCESS_KEY);
        cmd.env("NCLOUD_SECRET_KEY", SECRET_KEY);
        cmd.arg("--endpoint").arg(self.emulator.base_url());
        cmd
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.sandbox.path(name)
    }

    /// Creates a root CA and returns its tag.
    pub fn root(&self, alias: &str) -> String {
        let v = ok_json(self.pca().args([
            "ca",
            "create",
            "--type",
            "root",
            "--alias",
            alias,
            "--key-type",
            "EC256",
            "--days",
            "3650",
            "--cn",
            "Test Root CA",
            "--org",
            "pca tests",
            "--country",
            "KR",
        ]));
        v["ca"]["caTag"].as_str().unwrap().to_owned()
    }

    /// Creates a sub CA signed at once by `issuer` and returns its tag.
    pub fn sub(&self, issuer: &str, alias: &str) -> String {
        let v = ok_json(self.pca().args([
            "ca",
            "create",
            "--type",
            "sub",
            "--issuer",
            issuer,
            "--alias",
            alias,
            "--key-type",
            "EC256",
            "--days",
            "1000",
            "--cn",
            "Test Issuing CA",
        ]));
        v["ca"]["caTag"].as_str().unwrap().to_owned()
    }
}

/// A loopback port where nothing answers and where any connection is seen.
pub struct Trap {
    listener: TcpListener,
}

impl Trap {
    pub fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Trap { listener }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    /// `true` when something connected.
    pub fn was_contacted(&self) -> bool {
        match self.listener.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// The arguments of `pca csr new` for a CA key and CSR named `Sub`, written to `out_dir`.
pub fn sub_csr_args(out_dir: &str) -> [&str; 8] {
    [
        "csr",
        "new",
        "--kind",
        "ca",
        "--cn",
        "Sub",
        "--out-dir",
        out_dir,
    ]
}

/// Runs `cmd`, expects exit 0, returns its JSON document.
pub fn ok_json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

/// Runs `cmd`, expects exit `code`, returns the output.
pub fn fails_with(cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `openssl` when installed. When it is not: with `PCA_REQUIRE_OPENSSL=1` (which `.ci/run`
/// sets, after installing it) the test fails; otherwise the openssl part of the test is
/// skipped and says so on stderr. Every openssl use in the CLI tests goes through here.
pub fn openssl() -> Option<PathBuf> {
    let ok = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(PathBuf::from("openssl"));
    }
    assert!(
        std::env::var("PCA_REQUIRE_OPENSSL").as_deref() != Ok("1"),
        "openssl is not installed, and PCA_REQUIRE_OPENSSL=1 says it must be"
    );
    eprintln!(
        "SKIPPED the openssl cross-check: openssl is not installed (set PCA_REQUIRE_OPENSSL=1 to make this a failure); the rustls-webpki checks still run"
    );
    None
}

/// `openssl verify` of `cert` against `root` with `untrusted` intermediates.
pub fn openssl_verify(root: &Path, untrusted: Option<&Path>, cert: &Path) -> Option<bool> {
    let openssl = openssl()?;
    let mut cmd = std::process::Command::new(openssl);
    cmd.arg("verify").arg("-CAfile").arg(root);
    if let Some(u) = untrusted {
        cmd.arg("-untrusted").arg(u);
    }
    cmd.arg(cert);
    let out = cmd.output().unwrap();
    Some(out.status.success())
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
