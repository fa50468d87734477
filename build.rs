//! Embeds every `policies/**/*.toml` file in the binary, and the compliance
//! framework data in `policies/frameworks/` (which are not policies).

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

/// Append `pub static NAME: &[(path, text)]` embedding `files`.
fn embed(code: &mut String, name: &str, root: &Path, mut files: Vec<PathBuf>) {
    files.sort();
    code.push_str(&format!("pub static {name}: &[(&str, &str)] = &[\n"));
    for f in files {
        let rel = f.strip_prefix(root).expect("under the manifest dir");
        let rel = rel.to_string_lossy().replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
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
    embed(&mut code, "POLICIES", &root, files);
    let mut frameworks = Vec::new();
    collect(&policies.join(FRAMEWORKS_DIR), &mut frameworks);
    embed(&mut code, "FRAMEWORKS", &root, frameworks);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_policies.rs");
    std::fs::write(out, code).expect("write embedded_policies.rs");
}
