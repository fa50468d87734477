//! Dockerfiles (and Containerfiles): parsing and the subjects Dockerfile
//! policies see.

use crate::notice::Notice;
use crate::scan::ScanOptions;
use crate::source::{FileId, SourceFile};
use crate::subject::SubjectSet;

/// Rust checks for Dockerfile policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[];

/// Parse one Dockerfile into its scope. `None` when nothing can be scanned.
pub fn load(_id: FileId, _source: &SourceFile, _options: &ScanOptions) -> (Option<SubjectSet>, Vec<Notice>) {
    (None, Vec::new())
}
