//! CI configuration: GitHub Actions workflows and actions, GitLab CI, Azure
//! Pipelines, CircleCI and Bitbucket Pipelines.

use crate::discover::FileKind;
use crate::notice::Notice;
use crate::scan::ScanOptions;
use crate::source::{FileId, SourceFile};
use crate::subject::SubjectSet;

/// Rust checks for CI policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[];

/// Parse one CI file into its scope. `None` when nothing can be scanned.
pub fn load(
    _id: FileId,
    _kind: FileKind,
    _source: &SourceFile,
    _options: &ScanOptions,
) -> (Option<SubjectSet>, Vec<Notice>) {
    (None, Vec::new())
}
