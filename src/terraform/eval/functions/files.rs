//! Filesystem, hash and time functions.
//!
//! Files are read only inside the scanned tree ([`super::FileAccess`]) and
//! only up to a size limit; functions whose result changes on every run
//! (`uuid`, `timestamp`, `bcrypt`) are unknown.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest;

use super::{Args, FnResult, fail};
use crate::value::Unknown;

pub(super) const NAMES: &[&str] = &[
    "abspath",
    "basename",
    "base64sha256",
    "base64sha512",
    "bcrypt",
    "dirname",
    "file",
    "filebase64",
    "fileexists",
    "pathexpand",
    "sha256",
    "sha512",
    "templatefile",
    "timestamp",
    "uuid",
];

/// Largest file `file()` reads.
const MAX_FILE: u64 = 1024 * 1024;

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        "basename" => a.arity(1, 1).and_then(|_| {
            let p = a.string(0)?;
            let trimmed = p.trim_end_matches('/');
            a.str_val(match trimmed.rsplit_once('/') {
                Some((_, last)) => last,
                None if trimmed.is_empty() && !p.is_empty() => "/",
                None => trimmed,
            })
        }),
        "dirname" => a.arity(1, 1).and_then(|_| {
            let p = a.string(0)?;
            a.str_val(match p.trim_end_matches('/').rsplit_once('/') {
                Some(("", _)) => "/",
                Some((dir, _)) => dir,
                None => ".",
            })
        }),
        "file" => a.arity(1, 1).and_then(|_| {
            let bytes = read(a, &a.string(0)?)?;
            match String::from_utf8(bytes) {
                Ok(s) => a.str_val(s),
                Err(_) => fail("`file`: not UTF-8 text (use `filebase64`)"),
            }
        }),
        "filebase64" => a
            .arity(1, 1)
            .and_then(|_| a.str_val(STANDARD.encode(read(a, &a.string(0)?)?))),
        "fileexists" => a.arity(1, 1).and_then(|_| {
            let path = resolve(a, &a.string(0)?)?;
            a.bool_val(path.is_file())
        }),
        "sha256" => a
            .arity(1, 1)
            .and_then(|_| a.str_val(hex(&sha2::Sha256::digest(a.string(0)?)))),
        "sha512" => a
            .arity(1, 1)
            .and_then(|_| a.str_val(hex(&sha2::Sha512::digest(a.string(0)?)))),
        "base64sha256" => a
            .arity(1, 1)
            .and_then(|_| a.str_val(STANDARD.encode(sha2::Sha256::digest(a.string(0)?)))),
        "base64sha512" => a
            .arity(1, 1)
            .and_then(|_| a.str_val(STANDARD.encode(sha2::Sha512::digest(a.string(0)?)))),
        // Answers that depend on the machine running Terraform.
        "abspath" | "pathexpand" => a
            .arity(1, 1)
            .and_then(|_| Err(Unknown::Other(format!("`{}` depends on the machine", a.name).into()))),
        // Evaluated by the evaluator, which binds the template's variables.
        "templatefile" => Err(Unknown::Unsupported("`templatefile` here".into())),
        "uuid" | "timestamp" | "bcrypt" => Err(Unknown::Other(
            format!("`{}()` gives a new value on every run", a.name).into(),
        )),
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The path a file function names, if reading it is allowed.
fn resolve(a: &Args, path: &str) -> Result<PathBuf, Unknown> {
    let Some(access) = a.files else {
        return Err(Unknown::Unsupported("reading files here".into()));
    };
    let p = Path::new(path);
    let full = if p.is_absolute() {
        p.to_path_buf()
    } else {
        access.base.join(p)
    };
    let within = std::fs::canonicalize(access.within()).unwrap_or_else(|_| access.within().to_path_buf());
    match std::fs::canonicalize(&full) {
        Ok(real) if real.starts_with(&within) => Ok(real),
        Ok(_) => Err(Unknown::Other(
            format!("`{}` outside the scanned directory is not read", a.name).into(),
        )),
        // A file that does not exist: `fileexists` says false, `file` fails.
        Err(_) => Ok(full),
    }
}

pub(crate) fn read(a: &Args, path: &str) -> Result<Vec<u8>, Unknown> {
    let full = resolve(a, path)?;
    let meta = std::fs::metadata(&full).or_else(|_| fail(format!("`{}`: no file {path:?}", a.name)))?;
    if !meta.is_file() {
        return fail(format!("`{}`: {path:?} is not a file", a.name));
    }
    if meta.len() > MAX_FILE {
        return Err(Unknown::Other(format!("{path:?} is too large to read").into()));
    }
    std::fs::read(&full).or_else(|e| fail(format!("`{}`: {e}", a.name)))
}
