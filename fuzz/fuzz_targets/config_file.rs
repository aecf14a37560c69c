//! The configuration-file parser: `pca_core::ConfigFile::parse`, the public function that
//! reads the text of `~/.ncloud/configure` (point this target at whatever function does that).
//!
//! Input: the file's text. Every profile found yields credentials or a typed error; neither
//! shows a secret key, and an error names a line rather than quoting it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pca_core::ConfigFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The values given for secret keys: none may show in an error or a `Debug`.
    let secrets: Vec<&str> = text
        .lines()
        // A section header is a profile's name, which messages do show.
        .filter(|l| !l.trim_start().starts_with('['))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.to_ascii_lowercase().contains("secret"))
        .map(|(_, v)| v.trim())
        .filter(|v| v.len() >= 12)
        .collect();
    let file = match ConfigFile::parse("configure", text) {
        Ok(file) => file,
        Err(e) => {
            let shown = format!("{e} {e:?}");
            for s in &secrets {
                assert!(!shown.contains(s), "the error quotes a secret: {shown}");
            }
            return;
        }
    };
    let names: Vec<String> = file
        .profiles()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    // Messages show profile names, which may hold any text, a secret's among them: what is
    // left once the names are taken out must not show one. The longest names go first, so
    // that taking out a name that is part of another does not leave the rest of that one.
    let mut longest_first = names.clone();
    longest_first.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let without_names = |shown: String| {
        longest_first.iter().fold(shown, |shown, n| {
            let escaped = format!("{n:?}");
            let escaped = &escaped[1..escaped.len() - 1];
            shown.replace(n.as_str(), "").replace(escaped, "")
        })
    };
    for name in names
        .iter()
        .map(String::as_str)
        .chain(["DEFAULT", "missing"])
    {
        let shown = match file.credentials(name) {
            Ok(c) => {
                // A secret that is also the access key or in the source's name may show as
                // those, in either form (`Debug` adds quotes and escapes).
                let public = format!(
                    "{} {} {:?} {:?}",
                    c.access_key(),
                    c.source(),
                    c.access_key(),
                    c.source()
                );
                let secret = c.secret_key().expose_secret();
                let shown = format!("{c:?}");
                if secret.len() >= 12 && !public.contains(secret) {
                    assert!(
                        !shown.contains(secret),
                        "credentials show their secret: {shown}"
                    );
                }
                continue;
            }
            Err(e) => without_names(format!("{e} {e:?}")),
        };
        for s in &secrets {
            assert!(!shown.contains(s), "the error quotes a secret: {shown}");
        }
    }
});
