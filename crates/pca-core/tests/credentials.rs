//! Credentials from explicit values, the environment and `~/.ncloud/configure`, and endpoints
//! from sites, URLs and the environment.

use std::collections::HashMap;
use std::path::Path;

use pca_core::credentials::{ConfigFile, default_config_path, from_env_vars, resolve};
use pca_core::{Credentials, CredentialsError, Endpoint, EndpointError, Site};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

const FILE: &str = "\
[DEFAULT]
ncloud_access_key_id = AK_DEFAULT
ncloud_secret_access_key = SK_DEFAULT
ncloud_api_url = https://ncloud.apigw.ntruss.com

[prod]
ncloud_access_key_id = AK_PROD
ncloud_secret_access_key = SK_PROD

[profile staging]
NCLOUD_ACCESS_KEY_ID = \"AK_STAGING\"
ncloud_secret_access_key = SK\\STAGING

[half]
ncloud_access_key_id = AK_HALF
";

#[test]
fn environment_spellings_and_their_agreement() {
    for (a, s) in [
        ("NCLOUD_ACCESS_KEY", "NCLOUD_SECRET_KEY"),
        ("NCLOUD_ACCESS_KEY_ID", "NCLOUD_SECRET_ACCESS_KEY"),
        ("NCLOUD_ACCESS_KEY", "NCLOUD_SECRET_ACCESS_KEY"),
    ] {
        let c = from_env_vars(&env(&[(a, "AK"), (s, "SK")]))
            .unwrap()
            .unwrap();
        assert_eq!(c.access_key(), "AK");
        assert_eq!(c.secret_key().expose_secret(), "SK");
        assert!(c.source().starts_with("environment"), "{}", c.source());
    }
    // Both spellings set to the same value: fine.
    let same = env(&[
        ("NCLOUD_ACCESS_KEY", "AK"),
        ("NCLOUD_ACCESS_KEY_ID", "AK"),
        ("NCLOUD_SECRET_KEY", "SK"),
    ]);
    assert!(from_env_vars(&same).unwrap().is_some());
    // Different values: refused, naming both variables.
    let differ = env(&[
        ("NCLOUD_ACCESS_KEY", "AK1"),
        ("NCLOUD_ACCESS_KEY_ID", "AK2"),
        ("NCLOUD_SECRET_KEY", "SK"),
    ]);
    assert_eq!(
        from_env_vars(&differ).unwrap_err(),
        CredentialsError::Conflict {
            first: "NCLOUD_ACCESS_KEY_ID",
            second: "NCLOUD_ACCESS_KEY"
        }
    );
    // Half set: an error, never unsigned requests.
    let half = from_env_vars(&env(&[("NCLOUD_ACCESS_KEY", "AK")])).unwrap_err();
    assert!(matches!(half, CredentialsError::Incomplete { .. }));
    assert!(half.to_string().contains("NCLOUD_SECRET_ACCESS_KEY"));
    // Empty values count as unset.
    assert_eq!(
        from_env_vars(&env(&[
            ("NCLOUD_ACCESS_KEY", ""),
            ("NCLOUD_SECRET_KEY", " ")
        ]))
        .unwrap(),
        None
    );
}

#[test]
fn configuration_file_profiles() {
    let file = ConfigFile::parse("/home/u/.ncloud/configure", FILE).unwrap();
    let names: Vec<&str> = file.profiles().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["DEFAULT", "prod", "staging", "half"]);
    assert_eq!(
        file.credentials("DEFAULT").unwrap().access_key(),
        "AK_DEFAULT"
    );
    assert_eq!(
        file.credentials("default").unwrap().access_key(),
        "AK_DEFAULT"
    );
    assert_eq!(file.credentials("prod").unwrap().access_key(), "AK_PROD");
    let staging = file.credentials("staging").unwrap();
    assert_eq!(staging.access_key(), "AK_STAGING");
    assert_eq!(staging.secret_key().expose_secret(), "SK\\STAGING");
    assert_eq!(staging.source(), "/home/u/.ncloud/configure [staging]");
    assert_eq!(
        file.profile("DEFAULT").unwrap().api_url(),
        Some("https://ncloud.apigw.ntruss.com")
    );
    // A half-filled profile does not borrow from [DEFAULT].
    assert_eq!(
        file.credentials("half").unwrap_err(),
        CredentialsError::Incomplete {
            source_name: "/home/u/.ncloud/configure [half]".to_owned(),
            missing: "ncloud_secret_access_key"
        }
    );
    let missing = file.credentials("dev").unwrap_err();
    assert!(
        matches!(&missing, CredentialsError::ProfileNotFound { available, .. } if available.len() == 4)
    );
    assert!(missing.to_string().contains("DEFAULT, prod, staging, half"));
}

#[test]
fn the_older_flat_file_is_the_default_profile() {
    let flat = "ncloud_access_key_id=AK_FLAT\nncloud_secret_access_key=SK_FLAT\n";
    let c = resolve(
        &env(&[]),
        Some(Path::new("/h/.ncloud/configure")),
        Some(flat),
        None,
    )
    .unwrap();
    assert_eq!(c.access_key(), "AK_FLAT");
    // The last profile does not silently win: sections are respected.
    let c = resolve(&env(&[]), None, Some(FILE), None).unwrap();
    assert_eq!(c.access_key(), "AK_DEFAULT");
}

#[test]
fn chain_order_and_profile_choice() {
    let keys = [
        ("NCLOUD_ACCESS_KEY", "AK_ENV"),
        ("NCLOUD_SECRET_KEY", "SK_ENV"),
    ];
    // The environment comes before the file.
    let c = resolve(&env(&keys), None, Some(FILE), None).unwrap();
    assert_eq!(c.access_key(), "AK_ENV");
    // A named profile (argument or NCLOUD_PROFILE) is read from the file.
    let c = resolve(&env(&keys), None, Some(FILE), Some("prod")).unwrap();
    assert_eq!(c.access_key(), "AK_PROD");
    let with_profile = [keys[0], keys[1], ("NCLOUD_PROFILE", "staging")];
    let c = resolve(&env(&with_profile), None, Some(FILE), None).unwrap();
    assert_eq!(c.access_key(), "AK_STAGING");
    // An unknown profile is an error even though the environment has keys.
    assert!(matches!(
        resolve(&env(&keys), None, Some(FILE), Some("nope")).unwrap_err(),
        CredentialsError::ProfileNotFound { .. }
    ));
    // A profile named when there is no file.
    assert!(matches!(
        resolve(&env(&[]), Some(Path::new("/h/.ncloud/configure")), None, Some("prod")).unwrap_err(),
        CredentialsError::ProfileNotFound { path, .. } if path.contains("file not found")
    ));
}

#[test]
fn nothing_found_lists_what_was_looked_at() {
    let err = resolve(
        &env(&[]),
        Some(Path::new("/h/.ncloud/configure")),
        None,
        None,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("NCLOUD_ACCESS_KEY_ID"), "{text}");
    assert!(text.contains("/h/.ncloud/configure: not found"), "{text}");
    let err = resolve(
        &env(&[]),
        None,
        Some("[prod]\nncloud_access_key_id=a\n"),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no [DEFAULT] profile"), "{err}");
    assert_eq!(
        default_config_path(&env(&[("HOME", "/home/me")])).unwrap(),
        Path::new("/home/me/.ncloud/configure")
    );
    assert_eq!(
        default_config_path(&env(&[("USERPROFILE", "C:\\Users\\me")])).unwrap(),
        Path::new("C:\\Users\\me").join(".ncloud").join("configure")
    );
}

#[test]
fn bad_ini_is_a_syntax_error() {
    let err = ConfigFile::parse("f", "[unclosed\nncloud_access_key_id=a\n").unwrap_err();
    assert!(
        matches!(err, CredentialsError::ConfigSyntax { .. }),
        "{err:?}"
    );
}

#[test]
fn temporary_credentials_expire() {
    let c = Credentials::new("AK", "SK")
        .unwrap()
        .with_expiry(pca_core::Timestamp::from_unix_millis(10_000));
    assert!(!c.expires_within(pca_core::Timestamp::from_unix_millis(1_000), 5_000));
    assert!(c.expires_within(pca_core::Timestamp::from_unix_millis(6_000), 5_000));
    assert!(
        !Credentials::new("AK", "SK")
            .unwrap()
            .expires_within(pca_core::Timestamp::from_unix_millis(u64::MAX), 0)
    );
}

#[test]
fn endpoints() {
    assert_eq!(
        Endpoint::site(Site::Public).to_string(),
        "https://pca.apigw.ntruss.com/api/v1"
    );
    assert_eq!(
        Endpoint::site(Site::Gov).to_string(),
        "https://privateca.apigw.gov-ntruss.com/api/v1"
    );
    let local = Endpoint::parse("http://127.0.0.1:8787").unwrap();
    assert_eq!(
        local.url(&local.request_target("/ca")),
        "http://127.0.0.1:8787/api/v1/ca"
    );
    assert!(Endpoint::parse("http://localhost:1/").is_ok());
    assert!(Endpoint::parse("http://[::1]:8787").is_ok());
    let proxied = Endpoint::parse("https://proxy.internal/pca/api/v1/").unwrap();
    assert_eq!(proxied.prefix(), "/pca/api/v1");
    assert_eq!(
        Endpoint::parse("http://10.0.0.5:8787").unwrap_err(),
        EndpointError::InsecureHttp {
            url: "http://10.0.0.5:8787".to_owned()
        }
    );
    assert!(Endpoint::allow_insecure_http("http://10.0.0.5:8787").is_ok());
    for bad in [
        "pca.apigw.ntruss.com",
        "ftp://x",
        "https://u:p@x",
        "https://x/?a=b",
        "",
    ] {
        assert!(
            matches!(Endpoint::parse(bad), Err(EndpointError::InvalidUrl { .. })),
            "{bad}"
        );
    }
    // User information is refused, and never shown back: not in the error, its Display or
    // its Debug, whatever else is wrong with the URL.
    for (url, shown) in [
        (
            "https://AKID:s3cr3t@pca.example.com",
            "https://***@pca.example.com",
        ),
        (
            "http://AKID:s3cr3t@10.0.0.5:8787/x",
            "http://***@10.0.0.5:8787/x",
        ),
        (
            "https://AKID:s3/cr#3t@pca.example.com",
            "https://***@pca.example.com",
        ),
        (
            "https://AKID:s3 cr3t@pca example",
            "https://***@pca example",
        ),
        ("AKID:s3cr3t@pca.example.com", "***@pca.example.com"),
    ] {
        let err = Endpoint::parse(url).unwrap_err();
        let all = format!("{err} {err:?} {}", pca_core::Error::from(err.clone()));
        assert!(!all.contains("s3"), "{url}: {all}");
        assert!(!all.contains("AKID"), "{url}: {all}");
        assert!(all.contains(shown), "{url}: {all}");
        assert!(Endpoint::allow_insecure_http(url).is_err(), "{url}");
    }
    let e = |pairs: &[(&str, &str)]| Endpoint::from_env_vars(&env(pairs));
    assert_eq!(e(&[]).unwrap(), Endpoint::site(Site::Public));
    assert_eq!(
        e(&[("NCLOUD_SITE", "gov")]).unwrap(),
        Endpoint::site(Site::Gov)
    );
    assert_eq!(
        e(&[("NCLOUD_SITE", "GOV")]).unwrap(),
        Endpoint::site(Site::Gov)
    );
    assert_eq!(
        e(&[
            ("NCLOUD_SITE", "gov"),
            ("NCLOUD_PCA_ENDPOINT", "http://127.0.0.1:9")
        ])
        .unwrap(),
        Endpoint::parse("http://127.0.0.1:9").unwrap()
    );
    let fin = e(&[("NCLOUD_SITE", "fin")]).unwrap_err();
    assert!(
        fin.to_string().contains("set the endpoint explicitly"),
        "{fin}"
    );
    assert_eq!(
        Endpoint::default().ocsp_url(&pca_core::CaTag::new("t1").unwrap()),
        "https://pca.apigw.ntruss.com/ext/t1/ocsp"
    );
}

#[test]
fn configuration_file_syntax() {
    // Comments, CRLF, a byte-order mark, `:` as separator, quotes, values kept verbatim.
    let text = "\u{feff}# written by ncloud configure\r\n\
        ; another comment\r\n\
        [default]\r\n\
        ncloud_access_key_id: 'AK#1'\r\n\
        ncloud_secret_access_key = SK;=x \r\n\
        \r\n\
        [ profile  ops ]\n\
        ncloud_access_key_id=AK_OPS\n\
        [ops]\n\
        ncloud_secret_access_key=\"SK_OPS\"\n\
        ncloud_access_key_id=\n";
    let file = ConfigFile::parse("f", text).unwrap();
    let names: Vec<&str> = file.profiles().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["DEFAULT", "ops"]);
    let d = file.credentials("DEFAULT").unwrap();
    assert_eq!(d.access_key(), "AK#1");
    assert_eq!(d.secret_key().expose_secret(), "SK;=x");
    // A section named twice is one profile; an empty value does not erase an earlier one.
    let ops = file.credentials("ops").unwrap();
    assert_eq!(ops.access_key(), "AK_OPS");
    assert_eq!(ops.secret_key().expose_secret(), "SK_OPS");
}

#[test]
fn configuration_file_errors_name_the_line_not_its_content() {
    for (text, line) in [
        (
            "[DEFAULT]\nncloud_access_key_id=a\nTOPSECRETVALUE\n",
            "line 3",
        ),
        ("[DEFAULT\nncloud_access_key_id=a\n", "line 1"),
        ("[DEFAULT]\n= TOPSECRETVALUE\n", "line 2"),
        ("\n\n[ ]\n", "line 3"),
    ] {
        let err = ConfigFile::parse("f", text).unwrap_err();
        assert!(
            matches!(err, CredentialsError::ConfigSyntax { .. }),
            "{err:?}"
        );
        let shown = format!("{err} {err:?}");
        assert!(shown.contains(line), "{shown}");
        assert!(!shown.contains("TOPSECRETVALUE"), "{shown}");
    }
}
