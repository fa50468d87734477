//! Encoding functions.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::strings::json_text;
use super::{Args, FnResult, fail};
use crate::value::{Str, Unknown, Val, ValKind};

pub(super) const NAMES: &[&str] = &[
    "base64decode",
    "base64encode",
    "csvdecode",
    "jsondecode",
    "jsonencode",
    "textdecodebase64",
    "textencodebase64",
    "urlencode",
];

/// What a resource computes when applied, in the JSON of a partly unknown
/// `jsonencode`: never `null` or `*`, so it is not mistaken for either.
const COMPUTED_PLACEHOLDER: &str = "(known after apply)";

/// The JSON of `v` with its unknown parts `null`, except values a managed
/// resource computes (an ARN, an id), which are `COMPUTED_PLACEHOLDER`.
fn known_json(v: &Val) -> serde_json::Value {
    match &v.kind {
        _ if v.computed_by_resource() => COMPUTED_PLACEHOLDER.into(),
        ValKind::List(items) => items.iter().map(known_json).collect(),
        ValKind::Map(entries) => entries
            .iter()
            .map(|e| (e.key.to_string(), known_json(&e.value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        _ => v.to_json(),
    }
}

/// Marks, in a template rendered in part, where an interpolation a resource
/// computes stands; [`UNKNOWN_HOLE`] marks any other unknown one. Both are
/// private-use characters, which real templates do not hold.
const COMPUTED_HOLE: char = '\u{E000}';
const UNKNOWN_HOLE: char = '\u{E001}';

/// Whether `c` marks an unknown value in a rendered template.
pub(crate) fn is_hole(c: char) -> bool {
    c == COMPUTED_HOLE || c == UNKNOWN_HOLE
}

/// The mark to write in place of the unknown interpolated value `v`.
pub(crate) fn hole_for(v: &Val) -> char {
    if v.computed_by_resource() {
        COMPUTED_HOLE
    } else {
        UNKNOWN_HOLE
    }
}

/// The known JSON of a template rendered with holes (a heredoc policy that
/// interpolates `${aws_s3_bucket.b.arn}`), read as a partly unknown
/// `jsonencode` is: a hole standing for a whole JSON value is `null`, or
/// `COMPUTED_PLACEHOLDER` when a resource computes it; a string holding a
/// hole keeps its text with the placeholder in the hole when a resource
/// computes every hole (`"(known after apply)/*"` is never `*`), and is
/// `null` otherwise. `None` when the text is not a JSON object or list.
pub(crate) fn known_json_of_holed_text(text: &str) -> Option<String> {
    // Holes between JSON tokens become JSON values first, so the text parses.
    let mut json = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            COMPUTED_HOLE if !in_string => json.push_str(&serde_json::Value::from(COMPUTED_PLACEHOLDER).to_string()),
            UNKNOWN_HOLE if !in_string => json.push_str("null"),
            _ => {
                if c == '"' && !escaped {
                    in_string = !in_string;
                }
                escaped = in_string && !escaped && c == '\\';
                json.push(c);
            }
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(&json).ok()?;
    if !(value.is_object() || value.is_array()) {
        return None;
    }
    fill_holes(&mut value).then(|| value.to_string())
}

/// Resolves the holes left inside strings; false when a key holds one.
fn fill_holes(v: &mut serde_json::Value) -> bool {
    let holed = |s: &str| s.contains([COMPUTED_HOLE, UNKNOWN_HOLE]);
    match v {
        serde_json::Value::String(s) if s.contains(UNKNOWN_HOLE) => *v = serde_json::Value::Null,
        serde_json::Value::String(s) if s.contains(COMPUTED_HOLE) => {
            *s = s.replace(COMPUTED_HOLE, COMPUTED_PLACEHOLDER);
        }
        serde_json::Value::Array(items) => return items.iter_mut().all(fill_holes),
        serde_json::Value::Object(entries) => {
            return !entries.keys().any(|k| holed(k)) && entries.values_mut().all(fill_holes);
        }
        _ => {}
    }
    true
}

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        "base64encode" => a.arity(1, 1).and_then(|_| a.str_val(STANDARD.encode(a.string(0)?))),
        "base64decode" => a.arity(1, 1).and_then(|_| {
            let bytes = STANDARD
                .decode(a.string(0)?.trim())
                .or_else(|e| fail(format!("`base64decode`: {e}")))?;
            match String::from_utf8(bytes) {
                Ok(s) => a.str_val(s),
                Err(_) => fail("`base64decode`: the result is not UTF-8"),
            }
        }),
        // Only UTF-8 is supported; other encodings are unknown, not guessed.
        "textencodebase64" | "textdecodebase64" => a.arity(2, 2).and_then(|_| {
            let encoding = a.string(1)?;
            if !matches!(encoding.to_ascii_uppercase().as_str(), "UTF-8" | "UTF8") {
                return Err(Unknown::Unsupported(format!("the {encoding} encoding").into()));
            }
            let name = if a.name == "textencodebase64" {
                "base64encode"
            } else {
                "base64decode"
            };
            let single = Args {
                name,
                vals: &a.vals[..1],
                span: a.span,
                files: a.files,
            };
            call(&single).unwrap_or_else(|| fail("unreachable"))
        }),
        "jsonencode" => a.arity(1, 1).and_then(|_| {
            let v = a.value(0)?;
            match json_text(v) {
                Ok(text) => a.str_val(text),
                Err(Unknown::Error(why)) => Err(Unknown::Error(why)),
                Err(why) => Err(Unknown::PartialJson {
                    why: Box::new(why.cause().clone()),
                    known: known_json(v).to_string().into(),
                }),
            }
        }),
        "jsondecode" => a.arity(1, 1).and_then(|_| {
            let text = a.string(0)?;
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(json) => Ok(Val::from_json(&json, a.span)),
                Err(e) => fail(format!("`jsondecode`: {e}")),
            }
        }),
        "urlencode" => a.arity(1, 1).and_then(|_| {
            let mut out = String::new();
            for b in a.string(0)?.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
            a.str_val(out)
        }),
        "csvdecode" => a.arity(1, 1).and_then(|_| {
            let rows = parse_csv(&a.string(0)?)?;
            let Some((header, records)) = rows.split_first() else {
                return fail("`csvdecode`: no header row");
            };
            let mut out = Vec::with_capacity(records.len());
            for r in records {
                if r.len() != header.len() {
                    return fail("`csvdecode`: a row has the wrong number of fields");
                }
                let pairs = header
                    .iter()
                    .zip(r)
                    .map(|(k, v)| (Str::from(k.as_str()), Val::string(v.as_str(), a.span)));
                out.push(Val::map(pairs, a.span));
            }
            a.list_val(out)
        }),
        _ => return None,
    })
}

/// RFC 4180 CSV: quoted fields with `""` escapes; blank lines skipped.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, Unknown> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return fail("`csvdecode`: an unterminated quote");
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}
