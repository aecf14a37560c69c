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

/// The directory, inside an output directory, that keeps the set a renewal replaced.
pub(crate) const PREVIOUS_DIR: &str = "previous";

/// Replaces a set of files in `dir` together, keeping the set they replace in
/// `dir/previous/`; returns the paths written.
///
/// Guarantee (per-file renames, the previous set moved aside first):
/// 1. every new file is written in full to a temporary file in `dir` and synced; a failure
///    here leaves `dir` as it was (the temporary files are removed);
/// 2. the current files of the set (`names`, those that exist) are hard-linked (or copied)
///    into a fresh directory that is synced and then renamed to `dir/previous` (the set kept
///    there before is dropped); a failure here leaves the current files untouched;
/// 3. each temporary file is renamed over its final name (`rename(2)`: a reader sees the old
///    file or the new one, never a partial one), and `dir` is synced.
///
/// Step 3 is a handful of renames in one directory: a reader that opens two files of the set
/// during it may get one old and one new file, and a crash during it leaves a mix that
/// `dir/previous` (complete since step 2) restores.
pub(crate) fn replace_set(dir: &Path, files: &[OutFile], names: &[&str]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::local(format!("cannot create {}: {e}", dir.display())))?;
    let fail = |what: &str, e: std::io::Error| {
        CliError::local(format!(
            "cannot {what} in {}: {e}; the current files are untouched",
            dir.display()
        ))
    };
    let mut staged = Vec::with_capacity(files.len());
    for f in files {
        staged.push((temp_file(dir, f)?, dir.join(f.name)));
    }
    let keep = tempfile::Builder::new()
        .prefix(".pca-previous-")
        .tempdir_in(dir)
        .map_err(|e| fail("keep the previous files", e))?;
    for name in names {
        let current = dir.join(name);
        if !current.is_file() {
            continue;
        }
        let saved = keep.path().join(name);
        if std::fs::hard_link(&current, &saved).is_err() {
            std::fs::copy(&current, &saved).map_err(|e| fail("keep the previous files", e))?;
        }
    }
    sync_dir(keep.path());
    let previous = dir.join(PREVIOUS_DIR);
    let kept = keep.keep();
    if previous.exists() {
        let old = tempfile::Builder::new()
            .prefix(".pca-previous-old-")
            .tempdir_in(dir)
            .map_err(|e| fail("keep the previous files", e))?;
        let old_path = old.path().join("set");
        std::fs::rename(&previous, &old_path).map_err(|e| fail("move the older set aside", e))?;
        drop(old);
    }
    std::fs::rename(&kept, &previous).map_err(|e| fail("keep the previous files", e))?;
    sync_dir(dir);
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, path) in staged {
        tmp.persist(&path).map_err(|e| {
            CliError::local(format!(
                "cannot replace {}: {}; the previous files are in {}",
                path.display(),
                e.error,
                previous.display()
            ))
        })?;
        written.push(path);
    }
    sync_dir(dir);
    Ok(written)
}

/// `f` written to a synced temporary file in `dir` (mode 0600 for secrets, else 0644).
fn temp_file(dir: &Path, f: &OutFile) -> Result<tempfile::NamedTempFile> {
    let fail = |e: std::io::Error| {
        CliError::local(format!("cannot write {} in {}: {e}", f.name, dir.display()))
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pca-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(f.contents.as_bytes()).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if f.secret { 0o600 } else { 0o644 };
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
    }
    tmp.as_file().sync_all().map_err(fail)?;
    Ok(tmp)
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

    #[test]
    fn a_set_is_replaced_with_the_previous_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_all(
            d,
            &[
                OutFile::public("cert.pem", "old cert"),
                OutFile::secret("key.pem", "old key"),
            ],
            false,
        )
        .unwrap();
        let names = ["cert.pem", "chain.pem", "key.pem"];
        replace_set(
            d,
            &[
                OutFile::public("cert.pem", "new cert"),
                OutFile::public("chain.pem", "new chain"),
            ],
            &names,
        )
        .unwrap();
        let read = |p: &str| std::fs::read_to_string(d.join(p)).unwrap();
        assert_eq!(read("cert.pem"), "new cert");
        assert_eq!(read("chain.pem"), "new chain");
        assert_eq!(read("key.pem"), "old key");
        assert_eq!(read("previous/cert.pem"), "old cert");
        assert_eq!(read("previous/key.pem"), "old key");
        assert!(!d.join("previous/chain.pem").exists());
        // A second replacement keeps only the set just replaced.
        replace_set(d, &[OutFile::public("cert.pem", "newer cert")], &names).unwrap();
        assert_eq!(read("cert.pem"), "newer cert");
        assert_eq!(read("previous/cert.pem"), "new cert");
        assert_eq!(read("previous/chain.pem"), "new chain");
        // Nothing else is left behind.
        let mut left: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec!["cert.pem", "chain.pem", "key.pem", "previous"]);
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
