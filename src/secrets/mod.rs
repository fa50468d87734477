//! Secrets: credentials in any scanned file. Policies with `input = "any"`
//! run on a file-level scope: one `file` subject per scanned file, whose
//! native data is the file's text.

/// Rust checks for secret policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[];
