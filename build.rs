//! Embeds every `policies/**/*.toml` file in the binary, and the compliance
//! framework data in `policies/frameworks/` (which are not policies), and the
//! known-module models in `models/`.
//!
//! Each policy is embedded twice: as written, and with its `[docs]` strings
//! emptied (line breaks kept, so errors name the file's lines). A scan parses
//! only the second at start-up: the documentation is half of every file and
//! only explanations and reports need it, so it is parsed on first use.

use std::path::{Path, PathBuf};

/// The folder of framework metadata, kept apart from the policies.
const FRAMEWORKS_DIR: &str = "frameworks";

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if dir.file_name().is_some_and(|n| n == "policies") && p.file_name().is_some_and(|n| n == FRAMEWORKS_DIR) {
                continue;
            }
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// `text` with every string of its `docs` table replaced by `""` followed by
/// the string's line breaks: line numbers stay those of the file. A file
/// that does not parse is returned as is (loading it reports the error).
fn without_docs(text: &str) -> String {
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return text.to_string();
    };
    let docs = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "docs");
    let Some(toml::de::DeValue::Table(table)) = docs.map(|(_, v)| v.get_ref()) else {
        return text.to_string();
    };
    let mut strings: Vec<std::ops::Range<usize>> = table
        .iter()
        .filter(|(_, v)| matches!(v.get_ref(), toml::de::DeValue::String(_)))
        .map(|(_, v)| v.span())
        .collect();
    strings.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in strings {
        if !text[span.clone()].starts_with(['"', '\'']) {
            return text.to_string();
        }
        out.push_str(&text[at..span.start]);
        out.push_str("\"\"");
        out.extend(text[span.clone()].chars().filter(|&c| c == '\n'));
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Append `pub static NAME: &[(path, text)]` embedding `files`, or with
/// `fast`, `&[(path, text, text without docs)]`.
fn embed(code: &mut String, name: &str, root: &Path, mut files: Vec<PathBuf>, fast: bool) {
    files.sort();
    let row = if fast { "(&str, &str, &str)" } else { "(&str, &str)" };
    code.push_str(&format!("pub static {name}: &[{row}] = &[\n"));
    for f in files {
        let rel = f.strip_prefix(root).expect("under the manifest dir");
        let rel = rel.to_string_lossy().replace('\\', "/");
        // The text itself, not `include_str!(absolute path)`: a target directory
        // shared with another checkout (the pre-commit test does this) must not
        // keep paths into a tree that may be gone.
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if fast {
            code.push_str(&format!("    ({rel:?}, {text:?}, {:?}),\n", without_docs(&text)));
        } else {
            code.push_str(&format!("    ({rel:?}, {text:?}),\n"));
        }
    }
    code.push_str("];\n");
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut code = String::new();
    let mut files = Vec::new();
    collect(&policies, &mut files);
    embed(&mut code, "POLICIES", &root, files, true);
    let mut frameworks = Vec::new();
    collect(&policies.join(FRAMEWORKS_DIR), &mut frameworks);
    embed(&mut code, "FRAMEWORKS", &root, frameworks, false);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("embedded_policies.rs"), code).expect("write embedded_policies.rs");

    // Known-module models (`models/<namespace>/<name>/<provider>/`): their
    // `model.toml` index and `.tf` files, as text.
    println!("cargo:rerun-if-changed=models");
    let mut models = Vec::new();
    collect_model_files(&root.join("models"), &mut models);
    let mut code = String::new();
    embed(&mut code, "MODELS", &root, models, false);
    std::fs::write(out_dir.join("embedded_models.rs"), code).expect("write embedded_models.rs");
}

fn collect_model_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_model_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "tf" || x == "toml") {
            out.push(p);
        }
    }
}
