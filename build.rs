//! Embeds every `policies/**/*.toml` file in the binary, and the compliance
//! framework data in `policies/frameworks/` (which are not policies), and the
//! known-module models in `models/`.
//!
//! Each policy is parsed here, at build time (a file that is not TOML
//! fails the build, naming its line), and embedded twice: as written (its
//! errors are reported from it, with lines) and in the packed form of
//! `src/policy/packed_format.rs`, which start-up deserialises without
//! parsing any TOML: the policy without its `[docs]` table and the
//! condition or arguments of its `[match]`; those two are packed apart and
//! read on first use (explanations and reports; scopes holding what the
//! policy looks at).

use std::path::{Path, PathBuf};

#[path = "src/policy/packed_format.rs"]
#[allow(dead_code)] // the decoding half is the binary's
mod packed_format;

/// The folder of framework metadata, kept apart from the policies.
const FRAMEWORKS_DIR: &str = "frameworks";

/// The file the packed policies are written to, in `OUT_DIR`.
const PACKED_FILE: &str = "policies.packed";

/// The files under `dir` whose extension is one of `extensions`, leaving
/// out the folder `skip` (and everything in it).
fn collect(dir: &Path, extensions: &[&str], skip: Option<&Path>, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if skip != Some(p.as_path()) {
                collect(&p, extensions, skip, out);
            }
        } else if p.extension().is_some_and(|x| extensions.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

/// The files under `root` sorted, each as (path relative to `root`, text).
fn read_sorted(root: &Path, mut files: Vec<PathBuf>) -> Vec<(String, String)> {
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(root).expect("under the manifest dir");
            let rel = rel.to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (rel, text)
        })
        .collect()
}

/// Byte ranges in the packed policies.
type Range = (usize, usize);

/// The packed form of one policy file, appended to `packed`: the byte
/// ranges of the policy without its docs and rule, of its docs table, and
/// of its rule (the `fail-if`, `define` and `args` of its `[match]`).
fn pack(file: &str, text: &str, packed: &mut Vec<u8>) -> (Range, Range, Range) {
    let mut table: toml::Table = toml::from_str(text).unwrap_or_else(|e| {
        let line = e.span().map_or(1, |s| text[..s.start].matches('\n').count() + 1);
        panic!("{file}:{line}: {}", e.message())
    });
    let docs = match table.remove("docs") {
        Some(toml::Value::Table(docs)) => docs,
        // Not a table: left in place, so loading the policy reports it.
        Some(other) => {
            table.insert("docs".into(), other);
            toml::Table::new()
        }
        None => toml::Table::new(),
    };
    let mut rule = toml::Table::new();
    if let Some(toml::Value::Table(matcher)) = table.get_mut("match") {
        for key in ["fail-if", "define", "args"] {
            if let Some(value) = matcher.remove(key) {
                rule.insert(key.into(), value);
            }
        }
    }
    let mut put = |t: &toml::Table| {
        let start = packed.len();
        packed_format::encode_table(t, packed).unwrap_or_else(|e| panic!("{file}: {e}"));
        (start, packed.len())
    };
    (put(&table), put(&docs), put(&rule))
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed=policies");
    println!("cargo:rerun-if-changed=src/policy/packed_format.rs");
    let mut files = Vec::new();
    collect(&policies, &["toml"], Some(&policies.join(FRAMEWORKS_DIR)), &mut files);
    // The texts themselves, not `include_str!(absolute path)`: a target
    // directory shared with another checkout (the pre-commit test does this)
    // must not keep paths into a tree that may be gone. The packed form is
    // `include_str!` of `OUT_DIR`, which belongs to the target directory.
    let mut code = format!("pub static PACKED: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/{PACKED_FILE}\"));\n");
    code.push_str("pub static POLICIES: &[EmbeddedPolicy] = &[\n");
    let mut packed = Vec::new();
    for (file, text) in read_sorted(&root, files) {
        let (head, docs, rule) = pack(&file, &text, &mut packed);
        code.push_str(&format!(
            "    EmbeddedPolicy {{ file: {file:?}, text: {text:?}, head: {}..{}, docs: {}..{}, rule: {}..{} }},\n",
            head.0, head.1, docs.0, docs.1, rule.0, rule.1
        ));
    }
    code.push_str("];\n");
    let mut frameworks = Vec::new();
    collect(&policies.join(FRAMEWORKS_DIR), &["toml"], None, &mut frameworks);
    embed_texts(&mut code, "FRAMEWORKS", &root, frameworks);
    std::fs::write(out_dir.join(PACKED_FILE), packed).expect("write the packed policies");
    std::fs::write(out_dir.join("embedded_policies.rs"), code).expect("write embedded_policies.rs");

    // Known-module models (`models/<namespace>/<name>/<provider>/`): their
    // `model.toml` index and `.tf` files, as text.
    println!("cargo:rerun-if-changed=models");
    let mut models = Vec::new();
    collect(&root.join("models"), &["tf", "toml"], None, &mut models);
    let mut code = String::new();
    embed_texts(&mut code, "MODELS", &root, models);
    std::fs::write(out_dir.join("embedded_models.rs"), code).expect("write embedded_models.rs");
}

/// Append `pub static NAME: &[(path, text)]` embedding `files`.
fn embed_texts(code: &mut String, name: &str, root: &Path, files: Vec<PathBuf>) {
    code.push_str(&format!("pub static {name}: &[(&str, &str)] = &[\n"));
    for (file, text) in read_sorted(root, files) {
        code.push_str(&format!("    ({file:?}, {text:?}),\n"));
    }
    code.push_str("];\n");
}
