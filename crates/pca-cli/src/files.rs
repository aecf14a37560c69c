//! Files out: written atomically (temporary file in the same directory, fsync, rename), never
//! over an existing file without `--force`, keys with mode 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::exit::{CliError, Result};

/// One file to write.
#[derive(Debug, Clone)]
pub(crate) struct OutFile {
    pub(crate) name: &'static str,
    pub(crate) contents: String,
    /// Private keys: mode 0600.
    pub(crate) secret: bool,
}

impl OutFile {
    pub(crate) fn public(name: &'static str, contents: impl Into<String>) -> Self {
        OutFile {
            name,
            contents: contents.into(),
            secret: false,
        }
    }

    pub(crate) fn secret(name: &'static str, contents: impl Into<String>) -> Self {
        OutFile {
            name,
            contents: contents.into(),
            secret: true,
        }
    }
}

/// Refuses, before anything is sent, when a file would be overwritten without `force`.
pub(crate) fn check_free(dir: &Path, names: &[&str], force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let taken: Vec<String> = names
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if taken.is_empty() {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "refusing to overwrite {}; nothing was sent",
            taken.join(", ")
        ))
        .hint("pass --force to replace them, or choose another --out-dir"))
    }
}

/// Writes `files` into `dir` (created if missing); returns the paths written.
pub(crate) fn write_all(dir: &Path, files: &[OutFile], force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::local(format!("cannot create {}: {e}", dir.display())))?;
    let mut written = Vec::with_capacity(files.len());
    for f in files {
        let path = dir.join(f.name);
        write_one(&path, f.contents.as_bytes(), f.secret, force)?;
        written.push(path);
    }
    sync_dir(dir);
    Ok(written)
}

/// Writes one file atomically.
pub(crate) fn write_one(path: &Path, contents: &[u8], secret: bool, force: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |e: std::io::Error| CliError::local(format!("cannot write {}: {e}", path.display()));
    // The temporary file is created with mode 0600; public files are opened up afterwards.
    let mut tmp = tempfile::Builder::new()
        .prefix(".pca-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(contents).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if secret { 0o600 } else { 0o644 };
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    tmp.as_file().sync_all().map_err(fail)?;
    if force {
        tmp.persist(path).map_err(|e| fail(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::local(format!("{} already exists", path.display()))
                    .hint("pass --force to replace it")
            } else {
                fail(e.error)
            }
        })?;
    }
    sync_dir(&dir);
    Ok(())
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Reads a text input file (`-` is stdin).
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = read_bytes(path, what)?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{what} {}: not UTF-8 text", path.display())))
}

/// Reads an input file (`-` is stdin).
pub(crate) fn read_bytes(path: &Path, what: &str) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| CliError::local(format!("cannot read stdin: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read {what} {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_atomic_and_never_clobber_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cert.pem");
        write_one(&p, b"one", false, false).unwrap();
        let err = write_one(&p, b"two", false, false).unwrap_err();
        assert_eq!(err.kind, crate::exit::Kind::Local);
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_one(&p, b"two", false, true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("cert.pem")]);
        assert!(check_free(dir.path(), &["cert.pem"], false).is_err());
        assert!(check_free(dir.path(), &["cert.pem"], true).is_ok());
        assert!(check_free(dir.path(), &["other.pem"], false).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn keys_are_mode_0600_and_other_files_0644() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let written = write_all(
            dir.path(),
            &[
                OutFile::secret("key.pem", "k"),
                OutFile::public("cert.pem", "c"),
            ],
            false,
        )
        .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&written[0]), 0o600);
        assert_eq!(mode(&written[1]), 0o644);
    }
}
