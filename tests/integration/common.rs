//! Shared helpers: the repository root, scanning with one policy, and the
//! inline expectation markers of fixtures.

use std::path::{Path, PathBuf};

use palisade::discover::{DiscoverOptions, FileKind};
use palisade::policy::Registry;
use palisade::scan::{ScanOptions, ScanReport, scan};

pub use palisade::policy::testing::{Expected, walk};

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

/// The markers of a fixture file or directory (paths relative to the repository).
pub fn expectations(path: &Path) -> Expected {
    palisade::policy::testing::expectations(path, &repo())
}

/// Runs the `palisade` binary in `dir`, checks its exit code and returns its output.
pub fn palisade_run<I, S>(dir: &Path, args: I, code: i32) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    assert_cmd::Command::cargo_bin("palisade")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone()
}
