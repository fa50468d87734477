//! Terraform's built-in functions.
//!
//! Each family lives in its own file and answers for the names it knows.
//! A function Palisade does not implement gives [`Unknown::Unsupported`]; a
//! function whose result is only decided at apply time (`uuid`,
//! `timestamp`) gives an unknown; a bad argument gives [`Unknown::Error`].

mod collections;
mod convert;
mod encoding;
mod files;
mod network;
mod numeric;
mod strings;

#[cfg(test)]
mod tests;

use std::path::Path;

use crate::source::Span;
use crate::value::{Entry, Str, Unknown, Val, ValKind};

use super::ops::scalar_text;
pub(crate) use encoding::{hole_for, is_hole, known_json_of_holed_text};
pub use network::{IpRange, rfc1918_block};

/// What a function's result is: a value, or why there is none.
pub(crate) type FnResult = Result<Val, Unknown>;

/// Where file functions may read from.
#[derive(Debug, Clone, Copy)]
pub struct FileAccess<'a> {
    /// Relative paths are resolved against this directory (the root module's).
    pub base: &'a Path,
    /// Files outside this directory are never read: scanned code must not
    /// make the scanner print files of the machine it runs on. Found on
    /// first use ([`FileAccess::within`]): most evaluations read no file,
    /// and finding it walks the file system.
    pub within: &'a std::cell::OnceCell<std::path::PathBuf>,
}

impl FileAccess<'_> {
    /// The directory files are read within: the git top level of `base`,
    /// else `base` itself.
    pub fn within(&self) -> &Path {
        self.within
            .get_or_init(|| crate::scan::git_root(self.base).unwrap_or_else(|| self.base.to_path_buf()))
    }
}

/// The arguments of one call, with typed accessors that fail with an error.
pub(crate) struct Args<'a> {
    pub name: &'a str,
    pub vals: &'a [Val],
    pub span: Option<Span>,
    pub files: Option<FileAccess<'a>>,
}

pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, Unknown> {
    Err(Unknown::Error(Str::from(msg.into())))
}

impl<'a> Args<'a> {
    fn get(&self, i: usize) -> Result<&'a Val, Unknown> {
        match self.vals.get(i) {
            Some(v) => match &v.kind {
                // What is known of a partly known argument says nothing of
                // what a function makes of it.
                ValKind::Unknown(why) => Err(why.cause().clone()),
                _ => Ok(v),
            },
            None => fail(format!("`{}` needs at least {} arguments", self.name, i + 1)),
        }
    }

    pub fn arity(&self, min: usize, max: usize) -> Result<(), Unknown> {
        let n = self.vals.len();
        if n < min || n > max {
            return fail(format!("`{}` takes {min} to {max} arguments, not {n}", self.name));
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.vals.len()
    }

    /// A string argument; numbers and bools convert as in Terraform.
    pub fn string(&self, i: usize) -> Result<String, Unknown> {
        let v = self.get(i)?;
        scalar_text(v)
            .ok_or_else(|| Unknown::Error(format!("`{}` argument {} must be a string", self.name, i + 1).into()))
    }

    pub fn number(&self, i: usize) -> Result<f64, Unknown> {
        let v = self.get(i)?;
        v.as_number()
            .ok_or_else(|| Unknown::Error(format!("`{}` argument {} must be a number", self.name, i + 1).into()))
    }

    /// A whole number.
    pub fn int(&self, i: usize) -> Result<i64, Unknown> {
        let n = self.number(i)?;
        if n.fract() != 0.0 {
            return fail(format!("`{}` argument {} must be a whole number", self.name, i + 1));
        }
        Ok(n as i64)
    }

    pub fn list(&self, i: usize) -> Result<&'a [Val], Unknown> {
        let v = self.get(i)?;
        match &v.kind {
            ValKind::List(items) => Ok(items),
            _ => fail(format!("`{}` argument {} must be a list", self.name, i + 1)),
        }
    }

    pub fn map(&self, i: usize) -> Result<&'a [Entry], Unknown> {
        let v = self.get(i)?;
        match &v.kind {
            ValKind::Map(entries) => Ok(entries),
            _ => fail(format!("`{}` argument {} must be a map or object", self.name, i + 1)),
        }
    }

    pub fn value(&self, i: usize) -> Result<&'a Val, Unknown> {
        self.get(i)
    }

    pub fn str_val(&self, s: impl Into<Str>) -> FnResult {
        Ok(Val::string(s, self.span))
    }

    pub fn num_val(&self, n: f64) -> FnResult {
        if n.is_finite() {
            Ok(Val::number(n, self.span))
        } else {
            fail(format!("`{}` gives a number out of range", self.name))
        }
    }

    pub fn bool_val(&self, b: bool) -> FnResult {
        Ok(Val::bool(b, self.span))
    }

    pub fn list_val(&self, items: Vec<Val>) -> FnResult {
        Ok(Val::list(items, self.span))
    }
}

/// The text of every element of a list of strings (numbers and bools
/// convert); an unknown element makes the whole unknown.
pub(crate) fn strings_of(items: &[Val], what: &str) -> Result<Vec<String>, Unknown> {
    items
        .iter()
        .map(|v| match &v.kind {
            ValKind::Unknown(why) => Err(why.clone()),
            _ => scalar_text(v).ok_or_else(|| Unknown::Error(format!("{what} must hold strings").into())),
        })
        .collect()
}

/// Every function name Palisade evaluates, by family.
pub const FAMILIES: &[(&str, &[&str])] = &[
    ("string", strings::NAMES),
    ("numeric", numeric::NAMES),
    ("collection", collections::NAMES),
    ("encoding", encoding::NAMES),
    ("type conversion", convert::NAMES),
    ("network", network::NAMES),
    ("filesystem, hash and time", files::NAMES),
];

/// Functions whose unknown or invalid arguments they handle themselves.
const SEES_UNKNOWNS: &[&str] = &["try", "can", "coalesce", "alltrue", "anytrue", "contains"];

/// `templatefile(path, vars)`: the file read under the same rules as
/// `file`, then rendered by `render` with `vars` bound.
pub(crate) fn template_source(
    vals: &[Val],
    span: Option<Span>,
    files: Option<FileAccess>,
) -> Result<(String, Val), Unknown> {
    if let Some(u) = vals.iter().find(|a| a.is_unknown()) {
        return Err(u.unknown_reason().cloned().unwrap_or(Unknown::Computed));
    }
    let args = Args {
        name: "templatefile",
        vals,
        span,
        files,
    };
    args.arity(2, 2)?;
    args.map(1)?;
    let text =
        String::from_utf8(files::read(&args, &args.string(0)?)?).or_else(|_| fail("`templatefile`: not UTF-8 text"))?;
    Ok((text, vals[1].clone()))
}

/// Call `name` with evaluated arguments.
pub fn call(name: &str, vals: &[Val], span: Option<Span>, files: Option<FileAccess>) -> Val {
    // `provider::aws::arn_parse` and the `core::` prefix.
    let name = name.strip_prefix("core::").unwrap_or(name);
    if !SEES_UNKNOWNS.contains(&name)
        && let Some(u) = vals.iter().find(|a| a.is_unknown())
    {
        // The result keeps where the value came from, but not what is known
        // of a partly known argument: `split` or `upper` of a template is not
        // text with the template's known ends.
        let mut result = u.clone();
        if let ValKind::Unknown(why) = &result.kind {
            result.kind = ValKind::Unknown(why.cause().clone());
        }
        return result.with_span_if_none(span);
    }
    let args = Args {
        name,
        vals,
        span,
        files,
    };
    let result = strings::call(&args)
        .or_else(|| numeric::call(&args))
        .or_else(|| collections::call(&args))
        .or_else(|| encoding::call(&args))
        .or_else(|| convert::call(&args))
        .or_else(|| network::call(&args))
        .or_else(|| files::call(&args))
        .unwrap_or_else(|| Err(Unknown::Unsupported(Str::from(format!("function `{name}`")))));
    match result {
        Ok(v) => v,
        Err(why) => Val::unknown(why, span),
    }
}

impl Val {
    fn with_span_if_none(mut self, span: Option<Span>) -> Val {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }
}

/// A set built from values: duplicates removed, strings sorted.
pub(crate) fn set_of_values(items: Vec<Val>) -> Result<Vec<Val>, Unknown> {
    collections::set_of(items)
}
