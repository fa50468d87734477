//! Shared helpers: the repository root, scanning with one policy, and the
//! inline expectation markers of fixtures.

use std::path::{Path, PathBuf};

use palisade::discover::{DiscoverOptions, FileKind};
use palisade::policy::{InputKind, Policy, Registry};
use palisade::scan::{ScanOptions, ScanReport, scan};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn builtin() -> Registry {
    Registry::builtin().unwrap_or_else(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("built-in policies are invalid:\n{}", lines.join("\n"))
    })
}

/// A registry holding only the policy with this id.
pub fn only(id: &str) -> Registry {
    let mut r = builtin();
    r.retain(|p| &*p.id == id);
    assert_eq!(r.policies.len(), 1, "no policy {id}");
    r
}

/// The file kind a fixture file of a policy's input is scanned as.
pub fn fixture_kind(policy: &Policy, path: &Path) -> Option<FileKind> {
    if path.is_dir() {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    match policy.input {
        InputKind::GithubActions if name.starts_with("action") => Some(FileKind::GithubAction),
        InputKind::GithubActions => Some(FileKind::GithubWorkflow),
        InputKind::GitlabCi => Some(FileKind::GitlabCi),
        InputKind::AzurePipelines => Some(FileKind::AzurePipelines),
        InputKind::Circleci => Some(FileKind::CircleCi),
        InputKind::BitbucketPipelines => Some(FileKind::BitbucketPipelines),
        InputKind::Dockerfile => Some(FileKind::Dockerfile),
        _ => None,
    }
}

pub fn scan_with(registry: &Registry, path: &Path, kind: Option<FileKind>) -> ScanReport {
    let options = ScanOptions {
        paths: vec![path.to_path_buf()],
        discover: DiscoverOptions {
            kind_override: kind,
            ..Default::default()
        },
        root: Some(repo()),
        ..Default::default()
    };
    scan(&options, registry).expect("scan runs")
}

/// What a fixture says must be found: `expect: ID[, ID…]` marks a line where
/// the policy must fail, `expect-inconclusive: ID` one where it must be
/// inconclusive (its inputs unknown). Where a comment cannot share the line
/// (Dockerfile comments must start a line; inside a YAML block scalar a
/// trailing comment is part of the script), `expect-next-line: ID` and
/// `expect-inconclusive-next-line: ID` on a comment line mark the line after.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// (file, line, id)
    pub fail: std::collections::BTreeSet<(String, u32, String)>,
    pub inconclusive: std::collections::BTreeSet<(String, u32, String)>,
}

pub fn expectations(path: &Path) -> Expected {
    let marker = regex::Regex::new(
        r"\bexpect(-inconclusive)?(-next-line)?:\s*([A-Z]{2,4}[0-9]{4}(?:\s*,\s*[A-Z]{2,4}[0-9]{4})*)",
    )
    .unwrap();
    let mut out = Expected::default();
    let files: Vec<PathBuf> = if path.is_dir() {
        walk(path)
    } else {
        vec![path.to_path_buf()]
    };
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let display = palisade::scan::display_path(&f, &repo());
        for (i, line) in text.lines().enumerate() {
            for cap in marker.captures_iter(line) {
                let set = if cap.get(1).is_some() {
                    &mut out.inconclusive
                } else {
                    &mut out.fail
                };
                let line = i as u32 + if cap.get(2).is_some() { 2 } else { 1 };
                for id in cap[3].split(',') {
                    set.insert((display.clone(), line, id.trim().to_string()));
                }
            }
        }
    }
    out
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
