//! Shared support of the workspace's cross-crate tests: the recorded exchanges under
//! `tests/fixtures/` and a loader for them.
//!
//! One file `tests/fixtures/<operation>/<case>.json` holds one exchange:
//!
//! ```json
//! {
//!   "operation": "Sign Sub CSR",
//!   "source": "where it comes from",
//!   "notes": ["what was changed or made up, and why"],
//!   "request": { "method": "POST", "path": "/api/v1/ca/…/sub/sign", "headers": {}, "body": {…} },
//!   "response": { "status": 200, "headers": {"content-type": "application/json"}, "body": {…} }
//! }
//! ```
//!
//! `path` is the request target exactly as sent (path and query). A response body that is not
//! JSON is given as `"body_text"` instead of `"body"`. `tests/fixtures/ncloud-docs/` holds the
//! documentation's own examples, byte-exact, from which the `doc-example` cases are derived.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod replay;

/// The directory holding the fixtures.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query, exactly as sent.
    pub path: String,
    /// Headers worth checking (signature and timestamp headers are never recorded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, `null` when there is none.
    #[serde(default)]
    pub body: serde_json::Value,
}

/// A recorded response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// A body that is not JSON, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
}

impl RecordedResponse {
    /// The body bytes as they go on the wire.
    pub fn body_bytes(&self) -> Vec<u8> {
        match (&self.body, &self.body_text) {
            (_, Some(text)) => text.clone().into_bytes(),
            (Some(json), None) => serde_json::to_vec(json).unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }

    /// The response as an `http::Response`.
    pub fn to_http(&self) -> http::Response<Vec<u8>> {
        let mut builder = http::Response::builder().status(self.status);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(self.body_bytes())
            .unwrap_or_else(|e| panic!("recorded response is not a valid HTTP response: {e}"))
    }
}

/// One recorded exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The documented operation name (`Sign Sub CSR`).
    pub operation: String,
    /// Where the exchange comes from.
    pub source: String,
    /// What was changed or made up, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The request.
    pub request: RecordedRequest,
    /// The response.
    pub response: RecordedResponse,
}

/// Loads `tests/fixtures/<operation>/<case>.json`.
pub fn load(operation_dir: &str, case: &str) -> Exchange {
    let path = fixtures_dir()
        .join(operation_dir)
        .join(format!("{case}.json"));
    load_path(&path)
}

/// Loads an exchange file.
pub fn load_path(path: &Path) -> Exchange {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not an exchange: {e}", path.display()))
}

/// Every exchange under `tests/fixtures/` (except the documentation copies), with its path,
/// sorted by path.
pub fn all() -> Vec<(PathBuf, Exchange)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(fixtures_dir()) else {
        return out;
    };
    for dir in dirs.flatten() {
        let p = dir.path();
        if !p.is_dir() || p.file_name().is_some_and(|n| n == "ncloud-docs") {
            continue;
        }
        let Ok(files) = std::fs::read_dir(&p) else {
            continue;
        };
        for f in files.flatten() {
            let fp = f.path();
            if fp.extension().is_some_and(|e| e == "json") {
                let ex = load_path(&fp);
                out.push((fp, ex));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Reads a file of `crates/pca-core/tests/data/` (real CSRs and certificates for tests).
pub fn core_test_data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/pca-core/tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
