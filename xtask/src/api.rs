//! `cargo xtask api [--check]`: the public API of each library crate as a sorted text listing
//! in `api/<crate>.txt`, so that every API change shows in review.
//!
//! The listing comes from rustdoc's JSON output, which is unstable: it is produced on the
//! stable toolchain with `RUSTC_BOOTSTRAP=1` (into `target/api`, apart from the usual builds,
//! whose fingerprints that variable would otherwise invalidate). Every public path is listed
//! with what it is: modules, re-exports, types with their public fields and variants, functions
//! and methods with their signatures, trait implementations (automatic ones included: losing
//! `Send` is a breaking change too), constants and macros; items under `#[doc(hidden)]` are
//! left out, as they are outside the API. `--check` compares with the committed listings and
//! fails when one is stale; `cargo xtask ci` runs it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The library crates whose API is listed: (package, crate name).
const CRATES: &[(&str, &str)] = &[
    ("pca-core", "pca_core"),
    ("pca-transport", "pca_transport"),
    ("pca-blocking", "pca_blocking"),
    ("pca-async", "pca_async"),
    ("pca-emulator", "pca_emulator"),
];

/// The task: write the listings, or with `check` compare them with the committed ones.
pub(crate) fn api(check: bool) -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut ok = true;
    for (package, name) in CRATES {
        let listing = match listing(&cargo, package, name) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("xtask api: {package}: {e}");
                return false;
            }
        };
        let file = Path::new("api").join(format!("{package}.txt"));
        if check {
            let committed = std::fs::read_to_string(&file).unwrap_or_default();
            if committed != listing {
                report_difference(&file, &committed, &listing);
                ok = false;
            }
        } else if let Err(e) =
            std::fs::create_dir_all("api").and_then(|()| std::fs::write(&file, &listing))
        {
            eprintln!("xtask api: {}: {e}", file.display());
            return false;
        } else {
            eprintln!("xtask api: wrote {}", file.display());
        }
    }
    if !ok {
        eprintln!("xtask api: the public API changed; run `cargo xtask api` and commit api/");
    }
    ok
}

fn report_difference(file: &Path, committed: &str, current: &str) {
    let old: BTreeSet<&str> = committed.lines().collect();
    let new: BTreeSet<&str> = current.lines().collect();
    eprintln!("xtask api: {} is stale:", file.display());
    for l in old.difference(&new) {
        eprintln!("  - {l}");
    }
    for l in new.difference(&old) {
        eprintln!("  + {l}");
    }
}

/// Runs rustdoc for `package` and reduces its JSON to the listing text.
fn listing(cargo: &str, package: &str, name: &str) -> Result<String, String> {
    let out = Command::new(cargo)
        .args(["rustdoc", "--quiet", "--lib", "-p", package])
        .args(["--target-dir", "target/api", "--"])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        .env("RUSTC_BOOTSTRAP", "1")
        .output()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo rustdoc failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let path = Path::new("target/api/doc").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("rustdoc JSON: {e}"))?;
    let mut lines = BTreeSet::new();
    let root = doc["root"].to_string();
    // First pass: every public path of every item; each item is then listed in full at its
    // shortest path, and its other paths as re-exports of that one.
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut walker = Walker {
        doc: &doc,
        lines: &mut lines,
        visiting: HashSet::new(),
        canonical: &mut paths,
        collecting: true,
    };
    walker.item(&root, name);
    walker.collecting = false;
    walker.lines.clear();
    walker.item(&root, name);
    let mut s = String::new();
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    Ok(s)
}

struct Walker<'a> {
    doc: &'a Value,
    lines: &'a mut BTreeSet<String>,
    /// Item id → the shortest public path found for it.
    canonical: &'a mut HashMap<String, String>,
    /// `true` in the first pass, which only fills `canonical`.
    collecting: bool,
    /// Modules on the current path, against re-export cycles.
    visiting: HashSet<String>,
}

fn kind(item: &Value) -> (&str, &Value) {
    match item["inner"].as_object().and_then(|o| o.iter().next()) {
        Some((k, v)) => (k.as_str(), v),
        None => ("", &Value::Null),
    }
}

fn is_hidden(item: &Value) -> bool {
    // `#[doc(hidden)]`, however this format version spells attributes.
    item["attrs"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x.to_string().contains("hidden")))
}

fn attrs(item: &Value) -> String {
    let mut out = String::new();
    if let Some(a) = item["attrs"].as_array() {
        for x in a {
            let text = x
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| x.to_string());
            if text.contains("non_exhaustive") {
                out.push_str(" #[non_exhaustive]");
            }
        }
    }
    out
}

impl Walker<'_> {
    fn get(&self, id: &str) -> Option<&Value> {
        self.doc["index"].get(id)
    }

    fn push(&mut self, line: String) {
        self.lines.insert(line);
    }

    /// Lists item `id`, reachable at `path`.
    fn item(&mut self, id: &str, path: &str) {
        let Some(item) = self.get(id).cloned() else {
            return;
        };
        if is_hidden(&item) {
            return;
        }
        let (k, inner) = kind(&item);
        if self.collecting {
            let shorter = |old: &String| (path.len(), path) < (old.len(), old.as_str());
            match self.canonical.get(id) {
                Some(old) if !shorter(old) => {}
                _ => {
                    self.canonical.insert(id.to_owned(), path.to_owned());
                }
            }
        } else if let Some(c) = self.canonical.get(id)
            && c != path
        {
            let line = format!("pub use {path} = {c}");
            self.push(line);
            return;
        }
        match k {
            "module" => {
                if !self.visiting.insert(id.to_owned()) {
                    return;
                }
                self.push(format!("pub mod {path}"));
                for child in inner["items"].as_array().into_iter().flatten() {
                    self.child(&child.to_string(), path);
                }
                self.visiting.remove(id);
            }
            "struct" => {
                let generics = generics(&inner["generics"]);
                self.push(format!("pub struct {path}{generics}{}", attrs(&item)));
                match &inner["kind"] {
                    Value::Object(o) if o.contains_key("plain") => {
                        for f in o["plain"]["fields"].as_array().into_iter().flatten() {
                            self.field(&f.to_string(), path);
                        }
                    }
                    Value::Object(o) if o.contains_key("tuple") => {
                        for (i, f) in o["tuple"].as_array().into_iter().flatten().enumerate() {
                            if !f.is_null() {
                                let fid = f.to_string();
                                if let Some(fi) = self.get(&fid).cloned() {
                                    let (_, t) = kind(&fi);
                                    self.push(format!("pub field {path}.{i}: {}", ty(t)));
                                }
                            }
                        }
                    }
                    _ => {}
                }
                self.impls(inner, path);
            }
            "enum" => {
                let generics = generics(&inner["generics"]);
                self.push(format!("pub enum {path}{generics}{}", attrs(&item)));
                for v in inner["variants"].as_array().into_iter().flatten() {
                    self.variant(&v.to_string(), path);
                }
                self.impls(inner, path);
            }
            "union" => {
                self.push(format!("pub union {path}"));
                self.impls(inner, path);
            }
            "function" => self.push(format!("pub {}", function(path, inner))),
            "trait" => {
                let generics = generics(&inner["generics"]);
                let bounds = bounds(&inner["bounds"]);
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {bounds}")
                };
                self.push(format!("pub trait {path}{generics}{bounds}"));
                for m in inner["items"].as_array().into_iter().flatten() {
                    let mid = m.to_string();
                    if let Some(mi) = self.get(&mid).cloned() {
                        let name = mi["name"].as_str().unwrap_or("?");
                        let (mk, minner) = kind(&mi);
                        let line = match mk {
                            "function" => function(&format!("{path}::{name}"), minner),
                            "assoc_type" => format!("type {path}::{name}"),
                            "assoc_const" => {
                                format!("const {path}::{name}: {}", ty(&minner["type"]))
                            }
                            other => format!("{other} {path}::{name}"),
                        };
                        self.push(format!("pub trait item {line}"));
                    }
                }
            }
            "constant" => self.push(format!("pub const {path}: {}", ty(&inner["type"]))),
            "static" => self.push(format!("pub static {path}: {}", ty(&inner["type"]))),
            "type_alias" => self.push(format!(
                "pub type {path}{} = {}",
                generics(&inner["generics"]),
                ty(&inner["type"])
            )),
            "macro" | "proc_macro" => self.push(format!("pub macro {path}!")),
            other => self.push(format!("pub {other} {path}")),
        }
    }

    /// A member of a module: an item or a re-export.
    fn child(&mut self, id: &str, parent: &str) {
        let Some(item) = self.get(id).cloned() else {
            return;
        };
        if item["visibility"] != "public" || is_hidden(&item) {
            return;
        }
        let (k, inner) = kind(&item);
        if k == "use" {
            let target = inner["id"].to_string();
            let name = inner["name"].as_str().unwrap_or("?");
            let source = inner["source"].as_str().unwrap_or("?");
            if inner["is_glob"] == true {
                match self.get(&target).cloned() {
                    Some(m) => {
                        for c in kind(&m).1["items"].as_array().into_iter().flatten() {
                            self.child(&c.to_string(), parent);
                        }
                    }
                    None => self.push(format!("pub use {parent}::* = {source}::*")),
                }
            } else if self.get(&target).is_some_and(|t| t["crate_id"] == 0) {
                self.item(&target, &format!("{parent}::{name}"));
            } else {
                self.push(format!("pub use {parent}::{name} = {source}"));
            }
            return;
        }
        let Some(name) = item["name"].as_str() else {
            return;
        };
        self.item(id, &format!("{parent}::{name}"));
    }

    fn field(&mut self, id: &str, parent: &str) {
        let Some(f) = self.get(id).cloned() else {
            return;
        };
        if f["visibility"] != "public" || is_hidden(&f) {
            return;
        }
        let (_, t) = kind(&f);
        let name = f["name"].as_str().unwrap_or("?");
        self.push(format!("pub field {parent}.{name}: {}", ty(t)));
    }

    fn variant(&mut self, id: &str, parent: &str) {
        let Some(v) = self.get(id).cloned() else {
            return;
        };
        if is_hidden(&v) {
            return;
        }
        let name = v["name"].as_str().unwrap_or("?");
        let (_, inner) = kind(&v);
        let shape = match &inner["kind"] {
            Value::Object(o) if o.contains_key("tuple") => {
                let fields: Vec<String> = o["tuple"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| match self.get(&f.to_string()) {
                        Some(fi) => ty(kind(fi).1),
                        None => "_".to_owned(),
                    })
                    .collect();
                format!("({})", fields.join(", "))
            }
            Value::Object(o) if o.contains_key("struct") => {
                let fields: Vec<String> = o["struct"]["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| {
                        let fi = self.get(&f.to_string())?;
                        Some(format!("{}: {}", fi["name"].as_str()?, ty(kind(fi).1)))
                    })
                    .collect();
                format!(" {{ {} }}", fields.join(", "))
            }
            _ => String::new(),
        };
        self.push(format!("pub variant {parent}::{name}{shape}{}", attrs(&v)));
    }

    /// Inherent methods and trait implementations of a type (blanket ones left out).
    fn impls(&mut self, inner: &Value, path: &str) {
        for i in inner["impls"].as_array().into_iter().flatten() {
            let Some(im) = self.get(&i.to_string()).cloned() else {
                continue;
            };
            let (_, imp) = kind(&im);
            if !imp["blanket_impl"].is_null() || is_hidden(&im) {
                continue;
            }
            if imp["trait"].is_null() {
                for m in imp["items"].as_array().into_iter().flatten() {
                    let Some(mi) = self.get(&m.to_string()).cloned() else {
                        continue;
                    };
                    if mi["visibility"] != "public" || is_hidden(&mi) {
                        continue;
                    }
                    let name = mi["name"].as_str().unwrap_or("?");
                    let (mk, minner) = kind(&mi);
                    let full = format!("{path}::{name}");
                    match mk {
                        "function" => self.push(format!("pub {}", function(&full, minner))),
                        "assoc_const" | "constant" => {
                            self.push(format!("pub const {full}: {}", ty(&minner["type"])));
                        }
                        other => self.push(format!("pub {other} {full}")),
                    }
                }
            } else {
                let negative = if imp["is_negative"] == true { "!" } else { "" };
                self.push(format!(
                    "impl{} {negative}{} for {path}",
                    generics(&imp["generics"]),
                    trait_path(&imp["trait"])
                ));
            }
        }
    }
}

fn function(path: &str, f: &Value) -> String {
    let h = &f["header"];
    let mut s = String::new();
    if h["is_const"] == true {
        s.push_str("const ");
    }
    if h["is_async"] == true {
        s.push_str("async ");
    }
    if h["is_unsafe"] == true {
        s.push_str("unsafe ");
    }
    s.push_str("fn ");
    s.push_str(path);
    s.push_str(&generics(&f["generics"]));
    let inputs: Vec<String> = f["sig"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let name = p[0].as_str().unwrap_or("_");
            let t = ty(&p[1]);
            match name {
                "self" if t == "Self" => "self".to_owned(),
                "self" if t == "&Self" => "&self".to_owned(),
                "self" if t == "&mut Self" => "&mut self".to_owned(),
                _ => format!("{name}: {t}"),
            }
        })
        .collect();
    s.push_str(&format!("({})", inputs.join(", ")));
    if !f["sig"]["output"].is_null() {
        s.push_str(" -> ");
        s.push_str(&ty(&f["sig"]["output"]));
    }
    let wheres = where_clause(&f["generics"]);
    s.push_str(&wheres);
    s
}

fn generics(g: &Value) -> String {
    let params: Vec<String> = g["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p["name"].as_str()?;
            let k = &p["kind"];
            if let Some(l) = k.get("lifetime") {
                let outlives: Vec<&str> = l["outlives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                return Some(if outlives.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {}", outlives.join(" + "))
                });
            }
            if let Some(t) = k.get("type") {
                // `impl Trait` arguments appear as synthetic parameters: shown in place.
                if t["is_synthetic"] == true {
                    return None;
                }
                let b = bounds(&t["bounds"]);
                return Some(if b.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {b}")
                });
            }
            if let Some(c) = k.get("const") {
                return Some(format!("const {name}: {}", ty(&c["type"])));
            }
            None
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

fn where_clause(g: &Value) -> String {
    let preds: Vec<String> = g["where_predicates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let b = p.get("bound_predicate")?;
            Some(format!("{}: {}", ty(&b["type"]), bounds(&b["bounds"])))
        })
        .collect();
    if preds.is_empty() {
        String::new()
    } else {
        format!(" where {}", preds.join(", "))
    }
}

fn bounds(b: &Value) -> String {
    let parts: Vec<String> = b
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            if let Some(t) = x.get("trait_bound") {
                let m = if t["modifier"] == "maybe" { "?" } else { "" };
                format!("{m}{}", trait_path(&t["trait"]))
            } else if let Some(l) = x.get("outlives") {
                l.as_str().unwrap_or("'_").to_owned()
            } else {
                "…".to_owned()
            }
        })
        .collect();
    parts.join(" + ")
}

fn trait_path(p: &Value) -> String {
    format!("{}{}", p["path"].as_str().unwrap_or("?"), args(&p["args"]))
}

fn args(a: &Value) -> String {
    if let Some(ab) = a.get("angle_bracketed") {
        let mut parts: Vec<String> = ab["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                if let Some(t) = x.get("type") {
                    ty(t)
                } else if let Some(l) = x.get("lifetime") {
                    l.as_str().unwrap_or("'_").to_owned()
                } else if let Some(c) = x.get("const") {
                    c["expr"].as_str().unwrap_or("_").to_owned()
                } else {
                    "_".to_owned()
                }
            })
            .collect();
        for c in ab["constraints"].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("?");
            let b = &c["binding"];
            if let Some(eq) = b.get("equality") {
                let t = eq.get("type").map(ty).unwrap_or_else(|| "_".to_owned());
                parts.push(format!("{name} = {t}"));
            } else if let Some(cb) = b.get("constraint") {
                parts.push(format!("{name}: {}", bounds(cb)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    } else if let Some(p) = a.get("parenthesized") {
        let inputs: Vec<String> = p["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(ty)
            .collect();
        let out = if p["output"].is_null() {
            String::new()
        } else {
            format!(" -> {}", ty(&p["output"]))
        };
        format!("({}){out}", inputs.join(", "))
    } else {
        String::new()
    }
}

/// A type of rustdoc JSON, written as in source.
fn ty(t: &Value) -> String {
    let Some((k, v)) = t.as_object().and_then(|o| o.iter().next()) else {
        return t.as_str().unwrap_or("_").to_owned();
    };
    match k.as_str() {
        "resolved_path" => trait_path(v),
        "primitive" | "generic" => v.as_str().unwrap_or("?").to_owned(),
        "borrowed_ref" => {
            let l = v["lifetime"]
                .as_str()
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let m = if v["is_mutable"] == true { "mut " } else { "" };
            format!("&{l}{m}{}", ty(&v["type"]))
        }
        "raw_pointer" => {
            let m = if v["is_mutable"] == true {
                "mut"
            } else {
                "const"
            };
            format!("*{m} {}", ty(&v["type"]))
        }
        "slice" => format!("[{}]", ty(v)),
        "array" => format!("[{}; {}]", ty(&v["type"]), v["len"].as_str().unwrap_or("_")),
        "tuple" => {
            let parts: Vec<String> = v.as_array().into_iter().flatten().map(ty).collect();
            format!("({})", parts.join(", "))
        }
        "impl_trait" => format!("impl {}", bounds(v)),
        "dyn_trait" => {
            let parts: Vec<String> = v["traits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| trait_path(&p["trait"]))
                .collect();
            let l = v["lifetime"]
                .as_str()
                .map(|l| format!(" + {l}"))
                .unwrap_or_default();
            format!("dyn {}{l}", parts.join(" + "))
        }
        "qualified_path" => {
            let name = v["name"].as_str().unwrap_or("?");
            if v["trait"].is_null() || v["trait"]["path"] == "" {
                format!("{}::{name}", ty(&v["self_type"]))
            } else {
                format!(
                    "<{} as {}>::{name}",
                    ty(&v["self_type"]),
                    trait_path(&v["trait"])
                )
            }
        }
        "function_pointer" => {
            let inputs: Vec<String> = v["sig"]["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| ty(&p[1]))
                .collect();
            let out = if v["sig"]["output"].is_null() {
                String::new()
            } else {
                format!(" -> {}", ty(&v["sig"]["output"]))
            };
            format!("fn({}){out}", inputs.join(", "))
        }
        other => other.to_owned(),
    }
}
