//! Only what changed: keep the findings of files a change touched. A
//! Terraform module is evaluated whole, so a changed `.tf` or `.tfvars` file
//! keeps the findings of every file of its module (a changed variable value
//! surfaces the finding it causes in another file).
//!
//! Git is read with the `git` binary (`diff --name-only`, `ls-files`): it
//! reads the repository, it never runs anything from the scanned tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scan::ScanReport;
use crate::source::FileId;

#[derive(Debug, thiserror::Error)]
pub enum ChangedError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("git {args}: {message}")]
    Git { args: String, message: String },
}

fn git(dir: &Path, args: &[&str]) -> Result<String, ChangedError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(ChangedError::Spawn)?;
    if !out.status.success() {
        return Err(ChangedError::Git {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The files changed since `reference` in the repository holding `dir`: the
/// difference between the working tree and the merge base of `reference` and
/// `HEAD` (what a pull request from this branch changes), plus untracked
/// files. Deleted files are left out. Paths are absolute.
pub fn since(dir: &Path, reference: &str) -> Result<BTreeSet<PathBuf>, ChangedError> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim_end());
    let diff = git(
        &top,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=d",
            "--merge-base",
            reference,
            "--",
        ],
    )?;
    let untracked = git(&top, &["ls-files", "-z", "--others", "--exclude-standard"])?;
    Ok(diff
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|p| !p.is_empty())
        .map(|p| top.join(p))
        .collect())
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn is_terraform(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "tf" || e == "tfvars")
}

/// The Terraform files beside each Terraform file of `paths` (its module),
/// to scan with it so that its module is evaluated whole.
pub fn module_siblings(paths: &[PathBuf]) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = paths
        .iter()
        .filter(|p| is_terraform(p) && p.is_file())
        .map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default())
        .collect();
    let given: BTreeSet<PathBuf> = paths.iter().map(|p| canonical(p)).collect();
    let mut out = Vec::new();
    for dir in dirs {
        let shown = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.clone()
        };
        let Ok(entries) = std::fs::read_dir(&shown) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_terraform(p) && p.is_file() && !given.contains(&canonical(p)))
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// Keep only the findings (and notices) of changed files; see the module
/// documentation for Terraform modules.
pub fn keep_changed(report: &mut ScanReport, changed: &BTreeSet<PathBuf>) {
    let changed: BTreeSet<PathBuf> = changed.iter().map(|p| canonical(p)).collect();
    let module_dirs: BTreeSet<PathBuf> = changed
        .iter()
        .filter(|p| is_terraform(p))
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    let touched: BTreeSet<FileId> = report
        .sources
        .iter()
        .filter(|(_, f)| {
            let p = canonical(&f.path);
            changed.contains(&p) || (is_terraform(&p) && p.parent().is_some_and(|d| module_dirs.contains(d)))
        })
        .map(|(id, _)| id)
        .collect();
    let shown: BTreeSet<String> = touched
        .iter()
        .map(|id| report.sources.get(*id).display.clone())
        .collect();
    report
        .findings
        .retain(|f| touched.contains(&f.primary.file) || f.related.iter().any(|(s, _)| touched.contains(&s.file)));
    report.notices.retain(|n| n.file.is_empty() || shown.contains(&n.file));
}
