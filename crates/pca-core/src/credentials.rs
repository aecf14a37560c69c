//! Credentials and the places NCP users already keep them.
//!
//! Sources, in the order [`resolve`] tries them (the order of NAVER's own tools):
//!
//! 1. explicit values ([`Credentials::new`]);
//! 2. the environment: access key in `NCLOUD_ACCESS_KEY_ID` or `NCLOUD_ACCESS_KEY`, secret key in
//!    `NCLOUD_SECRET_ACCESS_KEY` or `NCLOUD_SECRET_KEY`. Either spelling works; when both
//!    spellings of one key are set they must agree, or resolution fails with
//!    [`CredentialsError::Conflict`] (NAVER's SDKs read them in opposite orders, so silently
//!    preferring one would pick different keys than some other tool);
//! 3. the configuration file `~/.ncloud/configure` (`%USERPROFILE%\.ncloud\configure` on
//!    Windows), as written by `ncloud configure`: INI with a `[DEFAULT]` section and named
//!    profiles (`[name]` or `[profile name]`), keys `ncloud_access_key_id` and
//!    `ncloud_secret_access_key`. The profile is `NCLOUD_PROFILE`, else `DEFAULT`. The older
//!    flat file with no section header is read as the `DEFAULT` profile. A named profile does not
//!    inherit missing keys from `[DEFAULT]`: a half-filled profile is an error.
//!
//! Server-role credentials from the metadata service of NCP VMs come after these; fetching them
//! is I/O and belongs to the transports, which build [`Credentials`] with
//! [`Credentials::with_expiry`].
//!
//! Parsing is pure ([`from_env_vars`], [`ConfigFile::parse`], [`resolve`]);
//! [`Credentials::from_env_or_file`] is the thin layer that reads the process environment and
//! the file.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::CredentialsError;
use crate::signing::Timestamp;

/// Environment variable naming the configuration profile.
pub const PROFILE_ENV: &str = "NCLOUD_PROFILE";
/// The access-key variables, in the order they are read.
pub const ACCESS_KEY_ENVS: [&str; 2] = ["NCLOUD_ACCESS_KEY_ID", "NCLOUD_ACCESS_KEY"];
/// The secret-key variables, in the order they are read.
pub const SECRET_KEY_ENVS: [&str; 2] = ["NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_SECRET_KEY"];
/// Configuration-file key of the access key.
pub const FILE_ACCESS_KEY: &str = "ncloud_access_key_id";
/// Configuration-file key of the secret key.
pub const FILE_SECRET_KEY: &str = "ncloud_secret_access_key";
/// The default profile name.
pub const DEFAULT_PROFILE: &str = "DEFAULT";

/// A secret key: zeroized when dropped, never shown by `Debug` or `Display`.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretKey(Zeroizing::new(secret.into()))
    }

    /// The secret itself, for signing.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(** redacted **)")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        // Used for configuration comparisons, not for authentication.
        self.0.as_bytes() == other.0.as_bytes()
    }
}

impl Eq for SecretKey {}

/// An access key and its secret key, with where they came from and (for temporary
/// credentials) when they expire.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key: String,
    secret_key: SecretKey,
    source: String,
    expires_at: Option<Timestamp>,
}

impl Credentials {
    /// Explicit credentials. Both keys must be non-empty, and the access key printable ASCII.
    /// Whitespace around either key (a pasted newline) is removed.
    pub fn new(
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<Self, CredentialsError> {
        Self::from_source(access_key.into(), secret_key.into(), "explicit credentials")
    }

    fn from_source(
        access_key: String,
        secret_key: String,
        source: &str,
    ) -> Result<Self, CredentialsError> {
        let secret_key = SecretKey::new(secret_key);
        let access_key = access_key.trim().to_owned();
        if access_key.is_empty() {
            return Err(CredentialsError::Incomplete {
                source_name: source.to_owned(),
                missing: "access key",
            });
        }
        if secret_key.expose_secret().trim().is_empty() {
            return Err(CredentialsError::Incomplete {
                source_name: source.to_owned(),
                missing: "secret key",
            });
        }
        if !access_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialsError::InvalidAccessKey);
        }
        Ok(Credentials {
            access_key,
            secret_key: SecretKey::new(secret_key.expose_secret().trim()),
            source: source.to_owned(),
            expires_at: None,
        })
    }

    /// These credentials, expiring at `expires_at` (temporary credentials such as server roles).
    pub fn with_expiry(mut self, expires_at: Timestamp) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// These credentials, labelled as coming from `source` (shown in `Debug` and errors).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// The access key ID.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret key.
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// Where these credentials came from (for example `environment` or
    /// `/home/me/.ncloud/configure [DEFAULT]`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When these credentials expire, if they are temporary.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// `true` when the credentials expire within `margin_ms` of `now`.
    pub fn expires_within(&self, now: Timestamp, margin_ms: u64) -> bool {
        self.expires_at.is_some_and(|exp| {
            now.as_unix_millis().saturating_add(margin_ms) >= exp.as_unix_millis()
        })
    }

    /// The default chain, reading the process environment and the configuration file:
    /// environment, then `~/.ncloud/configure` (profile `NCLOUD_PROFILE` or `DEFAULT`).
    pub fn from_env_or_file() -> Result<Self, CredentialsError> {
        let env = |name: &str| std::env::var(name).ok();
        let path = default_config_path(&env);
        let text = match &path {
            Some(p) => read_config(p)?,
            None => None,
        };
        resolve(&env, path.as_deref(), text.as_deref(), None)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("source", &self.source)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Reads the configuration file; a missing file is `Ok(None)`.
pub fn read_config(path: &Path) -> Result<Option<String>, CredentialsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CredentialsError::Unreadable {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// `~/.ncloud/configure` for the home directory the environment names (`HOME`, or
/// `USERPROFILE` on Windows).
pub fn default_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let home = env("HOME")
        .filter(|h| !h.is_empty())
        .or_else(|| env("USERPROFILE").filter(|h| !h.is_empty()))?;
    Some(Path::new(&home).join(".ncloud").join("configure"))
}

fn env_pair(
    env: &dyn Fn(&str) -> Option<String>,
    names: [&'static str; 2],
) -> Result<Option<(&'static str, String)>, CredentialsError> {
    let a = env(names[0]).filter(|v| !v.trim().is_empty());
    let b = env(names[1]).filter(|v| !v.trim().is_empty());
    match (a, b) {
        (Some(a), Some(b)) if a.trim() != b.trim() => Err(CredentialsError::Conflict {
            first: names[0],
            second: names[1],
        }),
        (Some(a), _) => Ok(Some((names[0], a))),
        (None, Some(b)) => Ok(Some((names[1], b))),
        (None, None) => Ok(None),
    }
}

/// Credentials from environment variables given by `env` (a pure lookup function).
///
/// `Ok(None)` when neither key is set; an error when only one is, or when two spellings of one
/// key disagree.
pub fn from_env_vars(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, CredentialsError> {
    let access = env_pair(env, ACCESS_KEY_ENVS)?;
    let secret = env_pair(env, SECRET_KEY_ENVS)?;
    match (access, secret) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(CredentialsError::Incomplete {
            source_name: "environment".to_owned(),
            missing: "NCLOUD_SECRET_ACCESS_KEY (or NCLOUD_SECRET_KEY)",
        }),
        (None, Some(_)) => Err(CredentialsError::Incomplete {
            source_name: "environment".to_owned(),
            missing: "NCLOUD_ACCESS_KEY_ID (or NCLOUD_ACCESS_KEY)",
        }),
        (Some((an, a)), Some((sn, s))) => {
            Credentials::from_source(a, s, &format!("environment ({an}, {sn})")).map(Some)
        }
    }
}

/// One profile of the configuration file.
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    access_key: Option<String>,
    secret_key: Option<SecretKey>,
    api_url: Option<String>,
}

impl Profile {
    /// The profile's name (`DEFAULT` for the default section and for a flat file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ncloud_api_url`, if set (NCP's generic gateway URL; not the Private CA host).
    pub fn api_url(&self) -> Option<&str> {
        self.api_url.as_deref()
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("api_url", &self.api_url)
            .finish()
    }
}

/// The parsed `~/.ncloud/configure` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    path: String,
    profiles: Vec<Profile>,
}

impl ConfigFile {
    /// Parses the text of a configuration file (`path` is used only in messages).
    ///
    /// Section names `[name]` and `[profile name]` both name profile `name`; keys before any
    /// section header (the older flat file) belong to `DEFAULT`. Keys are case-insensitive;
    /// values are taken verbatim (no escapes, no inline comments), surrounding quotes removed.
    /// Lines starting with `#` or `;` are comments. A header without its `]` or a line that is
    /// neither a header, a comment nor `key = value` (or `key: value`) is
    /// [`CredentialsError::ConfigSyntax`], naming the line but never its content.
    ///
    /// The file format is the small INI subset that `ncloud configure` writes, read by a
    /// parser of its own (linear in the text) rather than a general INI crate, which would
    /// bring ten more crates into every build of this one.
    pub fn parse(path: &str, text: &str) -> Result<Self, CredentialsError> {
        let syntax = |line: usize, message: &str| CredentialsError::ConfigSyntax {
            path: path.to_owned(),
            message: format!("line {line}: {message}"),
        };
        let mut profiles: Vec<Profile> = Vec::new();
        // Profile name → index in `profiles`: a file of many headers stays linear.
        let mut index: HashMap<String, usize> = HashMap::new();
        // The profile being filled: `None` until a header or a key is seen.
        let mut current: Option<usize> = None;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let section = rest
                    .strip_suffix(']')
                    .ok_or_else(|| syntax(line_no, "a section header needs its closing `]`"))?
                    .trim();
                let section = section
                    .strip_prefix("profile ")
                    .map(str::trim)
                    .unwrap_or(section);
                if section.is_empty() {
                    return Err(syntax(line_no, "a section header needs a name"));
                }
                current = Some(profile_index(&mut profiles, &mut index, section));
                continue;
            }
            let Some(sep) = line.find(['=', ':']) else {
                return Err(syntax(line_no, "expected `key = value`"));
            };
            let key = line[..sep].trim();
            if key.is_empty() {
                return Err(syntax(line_no, "a key is missing before `=`"));
            }
            let value = unquote(line[sep + 1..].trim());
            let idx = match current {
                Some(i) => i,
                None => {
                    let i = profile_index(&mut profiles, &mut index, DEFAULT_PROFILE);
                    current = Some(i);
                    i
                }
            };
            if value.is_empty() {
                continue;
            }
            let profile = &mut profiles[idx];
            match key.to_ascii_lowercase().as_str() {
                FILE_ACCESS_KEY => profile.access_key = Some(value.to_owned()),
                FILE_SECRET_KEY => profile.secret_key = Some(SecretKey::new(value)),
                "ncloud_api_url" => profile.api_url = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(ConfigFile {
            path: path.to_owned(),
            profiles,
        })
    }

    /// The profiles, in file order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The profile named `name` (`DEFAULT` matches case-insensitively).
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        let name = name.trim();
        self.profiles.iter().find(|p| {
            p.name == name
                || (p.name == DEFAULT_PROFILE && name.eq_ignore_ascii_case(DEFAULT_PROFILE))
        })
    }

    /// Credentials of profile `name`; an error names the file and the profile when it is
    /// missing or half-filled.
    pub fn credentials(&self, name: &str) -> Result<Credentials, CredentialsError> {
        let profile = self
            .profile(name)
            .ok_or_else(|| CredentialsError::ProfileNotFound {
                profile: name.to_owned(),
                path: self.path.clone(),
                available: self.profiles.iter().map(|p| p.name.clone()).collect(),
            })?;
        let source = format!("{} [{}]", self.path, profile.name);
        let access = profile
            .access_key
            .clone()
            .ok_or_else(|| CredentialsError::Incomplete {
                source_name: source.clone(),
                missing: FILE_ACCESS_KEY,
            })?;
        let secret = profile
            .secret_key
            .as_ref()
            .ok_or_else(|| CredentialsError::Incomplete {
                source_name: source.clone(),
                missing: FILE_SECRET_KEY,
            })?;
        Credentials::from_source(access, secret.expose_secret().to_owned(), &source)
    }
}

/// The index of profile `name` in `profiles`, added when new (`DEFAULT` matches any case).
fn profile_index(
    profiles: &mut Vec<Profile>,
    index: &mut HashMap<String, usize>,
    name: &str,
) -> usize {
    let name = if name.eq_ignore_ascii_case(DEFAULT_PROFILE) {
        DEFAULT_PROFILE
    } else {
        name
    };
    if let Some(&i) = index.get(name) {
        return i;
    }
    index.insert(name.to_owned(), profiles.len());
    profiles.push(Profile {
        name: name.to_owned(),
        access_key: None,
        secret_key: None,
        api_url: None,
    });
    profiles.len() - 1
}

/// `value` without one pair of surrounding double or single quotes.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// The whole chain as a pure function: explicit `profile` (or `NCLOUD_PROFILE`), environment
/// keys, then the configuration file text (`None` when there is no file at `config_path`).
///
/// An explicitly chosen profile (argument or `NCLOUD_PROFILE`) reads the file even when the
/// environment has keys: naming a profile is a request for it.
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    config_path: Option<&Path>,
    config_text: Option<&str>,
    profile: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    let chosen = profile
        .map(str::to_owned)
        .or_else(|| env(PROFILE_ENV).filter(|p| !p.trim().is_empty()));
    let path_display = config_path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "~/.ncloud/configure (no home directory)".to_owned());
    if chosen.is_none() {
        if let Some(c) = from_env_vars(env)? {
            return Ok(c);
        }
    }
    let profile_name = chosen.clone().unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
    match config_text {
        Some(text) => {
            let file = ConfigFile::parse(&path_display, text)?;
            if chosen.is_none() && file.profile(DEFAULT_PROFILE).is_none() {
                return Err(CredentialsError::NotFound {
                    tried: vec![
                        "environment (NCLOUD_ACCESS_KEY_ID / NCLOUD_ACCESS_KEY, NCLOUD_SECRET_ACCESS_KEY / NCLOUD_SECRET_KEY): not set".to_owned(),
                        format!("{path_display}: no [DEFAULT] profile"),
                    ],
                });
            }
            file.credentials(&profile_name)
        }
        None if chosen.is_some() => Err(CredentialsError::ProfileNotFound {
            profile: profile_name,
            path: format!("{path_display} (file not found)"),
            available: Vec::new(),
        }),
        None => Err(CredentialsError::NotFound {
            tried: vec![
                "environment (NCLOUD_ACCESS_KEY_ID / NCLOUD_ACCESS_KEY, NCLOUD_SECRET_ACCESS_KEY / NCLOUD_SECRET_KEY): not set".to_owned(),
                format!("{path_display}: not found"),
            ],
        }),
    }
}
