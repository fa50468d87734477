//! Policy examples ("fixtures"): files whose inline markers say what a policy
//! must report, and the runner that checks them. Built-in fixtures
//! (`fixtures/<ID>/`) and users' examples (`palisade policy test`) share it.
//!
//! Markers, in a comment: `expect: ID[, ID…]` — the policy fails on this line;
//! `expect-inconclusive: ID` — it is inconclusive here (its inputs unknown).
//! Where a comment cannot share the line (Dockerfile comments must start a
//! line; inside a YAML block scalar a trailing comment is part of the
//! script), `expect-next-line: ID` and `expect-inconclusive-next-line: ID` mark
//! the line after. Entries named `bad*` must expect at least one failure,
//! entries named `good*` none. An entry may be a directory (one module).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{InputKind, Policy, Registry};
use crate::discover::{DiscoverOptions, FileKind};
use crate::finding::Status;
use crate::scan::{ScanError, ScanOptions, display_path, scan};

/// (file as displayed, line, policy id)
pub type Mark = (String, u32, String);

/// What examples say must be found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub fail: BTreeSet<Mark>,
    pub inconclusive: BTreeSet<Mark>,
}

/// The markers of a file, or of every file under a directory; file names are
/// shown relative to `root`.
pub fn expectations(path: &Path, root: &Path) -> Expected {
    let marker = regex::Regex::new(
        r"\bexpect(-inconclusive)?(-next-line)?:\s*([A-Z]{2,4}[0-9]{4}(?:\s*,\s*[A-Z]{2,4}[0-9]{4})*)",
    )
    .expect("valid marker pattern");
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
        let display = display_path(&f, root);
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

/// Every file under `dir`, sorted.
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

/// The file kind an example file of a policy's input is scanned as, whatever
/// its name (`bad.yml` is a GitHub workflow for a GitHub Actions policy).
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

/// The outcome of checking a policy against its examples.
#[derive(Debug, Default)]
pub struct ExampleReport {
    /// Entries (files or directories) checked.
    pub entries: usize,
    /// What did not match, one line each (`file:line: expected fail ID not reported`).
    pub problems: Vec<String>,
}

impl ExampleReport {
    pub fn passed(&self) -> bool {
        self.entries > 0 && self.problems.is_empty()
    }
}

/// A registry holding only `policy`.
pub fn registry_of(policy: &Arc<Policy>) -> Registry {
    let mut r = Registry::default();
    r.insert_shared(policy.clone());
    r
}

/// Scan each entry of `dir` with only `policy` enabled and compare the
/// findings with the entry's markers. Paths are shown relative to `root`.
pub fn check_examples(policy: &Arc<Policy>, dir: &Path, root: &Path) -> Result<ExampleReport, ScanError> {
    let mut report = ExampleReport::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        report
            .problems
            .push(format!("{}: no examples folder", display_path(dir, root)));
        return Ok(report);
    };
    let single = registry_of(policy);
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        report.entries += 1;
        let shown = display_path(&entry, root);
        let options = ScanOptions {
            paths: vec![entry.clone()],
            discover: DiscoverOptions {
                kind_override: fixture_kind(policy, &entry),
                ..Default::default()
            },
            root: Some(root.to_path_buf()),
            show_inconclusive: true,
            ..Default::default()
        };
        let scanned = scan(&options, &single)?;
        let errors: Vec<String> = scanned
            .notices
            .iter()
            .filter(|n| n.level == crate::notice::NoticeLevel::Error)
            .map(|n| n.to_string())
            .collect();
        if !errors.is_empty() && !name.contains("invalid") {
            report.problems.push(format!("{shown}: scan errors: {errors:?}"));
        }
        let found = |status: Status| -> BTreeSet<Mark> {
            scanned
                .findings
                .iter()
                .filter(|f| f.status == status)
                .map(|f| {
                    let file = scanned.sources.get(f.primary.file);
                    (
                        file.display.clone(),
                        file.position(f.primary.start).line,
                        f.policy.id.to_string(),
                    )
                })
                .collect()
        };
        let mut expected = expectations(&entry, root);
        expected.fail.retain(|(_, _, id)| id == &*policy.id);
        expected.inconclusive.retain(|(_, _, id)| id == &*policy.id);
        if name.starts_with("bad") && expected.fail.is_empty() {
            report.problems.push(format!(
                "{shown}: a bad example without any `expect: {}` marker",
                policy.id
            ));
        }
        if name.starts_with("good") && !expected.fail.is_empty() {
            report
                .problems
                .push(format!("{shown}: a good example must not expect failures"));
        }
        let (fail, inconclusive) = (found(Status::Fail), found(Status::Inconclusive));
        for (what, want, got) in [
            ("fail", &expected.fail, &fail),
            ("inconclusive", &expected.inconclusive, &inconclusive),
        ] {
            for missing in want.difference(got) {
                report.problems.push(format!(
                    "{}:{}: expected {what} {} not reported",
                    missing.0, missing.1, missing.2
                ));
            }
            for extra in got.difference(want) {
                report
                    .problems
                    .push(format!("{}:{}: unexpected {what} {}", extra.0, extra.1, extra.2));
            }
        }
    }
    if report.entries == 0 {
        report
            .problems
            .push(format!("{}: no examples", display_path(dir, root)));
    }
    Ok(report)
}
