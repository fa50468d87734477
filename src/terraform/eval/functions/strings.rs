//! String functions.

use regex::Regex;

use super::{Args, FnResult, fail, strings_of};
use crate::terraform::eval::ops::scalar_text;
use crate::value::{Str, Unknown, Val, ValKind, format_number};

pub(super) const NAMES: &[&str] = &[
    "chomp",
    "endswith",
    "format",
    "formatlist",
    "indent",
    "join",
    "lower",
    "regex",
    "regexall",
    "replace",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "title",
    "trim",
    "trimprefix",
    "trimsuffix",
    "trimspace",
    "upper",
];

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        "chomp" => a.arity(1, 1).and_then(|_| {
            let s = a.string(0)?;
            a.str_val(s.trim_end_matches(['\n', '\r']))
        }),
        "endswith" => a
            .arity(2, 2)
            .and_then(|_| a.bool_val(a.string(0)?.ends_with(&a.string(1)?))),
        "startswith" => a
            .arity(2, 2)
            .and_then(|_| a.bool_val(a.string(0)?.starts_with(&a.string(1)?))),
        "strcontains" => a
            .arity(2, 2)
            .and_then(|_| a.bool_val(a.string(0)?.contains(&a.string(1)?))),
        "format" => a.arity(1, usize::MAX).and_then(|_| {
            let f = a.string(0)?;
            a.str_val(format(&f, &a.vals[1..])?)
        }),
        "formatlist" => a.arity(1, usize::MAX).and_then(|_| formatlist(a)),
        "indent" => a.arity(2, 2).and_then(|_| {
            let pad = " ".repeat(a.int(0)?.clamp(0, 1000) as usize);
            let s = a.string(1)?;
            a.str_val(s.replace('\n', &format!("\n{pad}")))
        }),
        "join" => a.arity(2, usize::MAX).and_then(|_| {
            let sep = a.string(0)?;
            let mut parts = Vec::new();
            for i in 1..a.len() {
                parts.extend(strings_of(a.list(i)?, "`join` lists")?);
            }
            a.str_val(parts.join(&sep))
        }),
        "lower" => a.arity(1, 1).and_then(|_| a.str_val(a.string(0)?.to_lowercase())),
        "upper" => a.arity(1, 1).and_then(|_| a.str_val(a.string(0)?.to_uppercase())),
        "title" => a.arity(1, 1).and_then(|_| a.str_val(title(&a.string(0)?))),
        "regex" => a.arity(2, 2).and_then(|_| {
            let re = compile(&a.string(0)?)?;
            let s = a.string(1)?;
            match re.captures(&s) {
                Some(c) => Ok(captures_value(&re, &c, a)),
                None => fail("`regex` found no match"),
            }
        }),
        "regexall" => a.arity(2, 2).and_then(|_| {
            let re = compile(&a.string(0)?)?;
            let s = a.string(1)?;
            let all = re.captures_iter(&s).map(|c| captures_value(&re, &c, a)).collect();
            a.list_val(all)
        }),
        "replace" => a.arity(3, 3).and_then(|_| {
            let s = a.string(0)?;
            let find = a.string(1)?;
            let with = a.string(2)?;
            match find.strip_prefix('/').and_then(|f| f.strip_suffix('/')) {
                Some(pattern) if find.len() > 1 => {
                    let re = compile(pattern)?;
                    a.str_val(re.replace_all(&s, with.as_str()).into_owned())
                }
                _ if find.is_empty() => a.str_val(s),
                _ => a.str_val(s.replace(&find, &with)),
            }
        }),
        "split" => a.arity(2, 2).and_then(|_| {
            let sep = a.string(0)?;
            let s = a.string(1)?;
            let parts: Vec<Val> = if sep.is_empty() {
                s.chars().map(|c| Val::string(c.to_string(), a.span)).collect()
            } else {
                s.split(sep.as_str()).map(|p| Val::string(p, a.span)).collect()
            };
            a.list_val(parts)
        }),
        "strrev" => a
            .arity(1, 1)
            .and_then(|_| a.str_val(a.string(0)?.chars().rev().collect::<String>())),
        "substr" => a.arity(3, 3).and_then(|_| {
            let chars: Vec<char> = a.string(0)?.chars().collect();
            let n = chars.len() as i64;
            let mut offset = a.int(1)?;
            let length = a.int(2)?;
            if offset < 0 {
                offset += n;
            }
            if offset < 0 || offset > n {
                return fail("`substr` offset out of range");
            }
            let end = if length < 0 { n } else { (offset + length).min(n) };
            a.str_val(chars[offset as usize..end as usize].iter().collect::<String>())
        }),
        "trim" => a.arity(2, 2).and_then(|_| {
            let cut: Vec<char> = a.string(1)?.chars().collect();
            a.str_val(a.string(0)?.trim_matches(|c| cut.contains(&c)))
        }),
        "trimprefix" => a.arity(2, 2).and_then(|_| {
            let s = a.string(0)?;
            let p = a.string(1)?;
            a.str_val(s.strip_prefix(p.as_str()).unwrap_or(&s))
        }),
        "trimsuffix" => a.arity(2, 2).and_then(|_| {
            let s = a.string(0)?;
            let p = a.string(1)?;
            a.str_val(s.strip_suffix(p.as_str()).unwrap_or(&s))
        }),
        "trimspace" => a.arity(1, 1).and_then(|_| a.str_val(a.string(0)?.trim())),
        _ => return None,
    })
}

/// The pattern compiled, once per thread: modules call `replace` and
/// `regex` with the same few patterns in every instance and every module
/// that copies them, and compiling a pattern costs far more than using it
/// (compiling them again was 0.5 % of a whole-corpus scan's instructions).
fn compile(pattern: &str) -> Result<Regex, Unknown> {
    /// Patterns kept per thread; the cache starts over when it is full.
    const KEPT: usize = 1024;
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Regex>> = Default::default();
    }
    if let Some(re) = COMPILED.with_borrow(|c| c.get(pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .or_else(|e| fail(format!("invalid regular expression: {e}")))?;
    COMPILED.with_borrow_mut(|c| {
        if c.len() >= KEPT {
            c.clear();
        }
        c.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// What `regex` returns for one match: the matched text without groups, a
/// list of groups, or a map of named groups.
fn captures_value(re: &Regex, c: &regex::Captures, a: &Args) -> Val {
    let text = |m: Option<regex::Match>| match m {
        Some(m) => Val::string(m.as_str(), a.span),
        None => Val::null(),
    };
    if re.captures_len() == 1 {
        return text(c.get(0));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) {
        let pairs = names
            .iter()
            .flatten()
            .map(|n| (Str::from(*n), text(c.name(n))))
            .collect::<Vec<_>>();
        return Val::map(pairs, a.span);
    }
    Val::list((1..re.captures_len()).map(|i| text(c.get(i))).collect(), a.span)
}

/// Terraform's `title`: the first letter of every word in upper case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

fn formatlist(a: &Args) -> FnResult {
    let f = a.string(0)?;
    let mut len: Option<usize> = None;
    for v in &a.vals[1..] {
        if let ValKind::List(items) = &v.kind {
            match len {
                Some(l) if l != items.len() => return fail("`formatlist` lists differ in length"),
                _ => len = Some(items.len()),
            }
        }
    }
    let n = len.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Val> = a.vals[1..]
            .iter()
            .map(|v| match &v.kind {
                ValKind::List(items) => items[i].clone(),
                _ => v.clone(),
            })
            .collect();
        out.push(Val::string(format(&f, &row)?, a.span));
    }
    a.list_val(out)
}

/// Terraform's `format`: `%s %d %f %v %q %t %x %X %o %b %e %%`, with flags
/// (`-`, `0`, `+`, ` `), width, precision and explicit `%[n]` indexes.
pub(super) fn format(spec: &str, args: &[Val]) -> Result<String, Unknown> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let (mut left, mut zero, mut plus, mut space) = (false, false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' => space = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
            match digits.parse::<usize>() {
                Ok(n) if n >= 1 => next = n - 1,
                _ => return fail("`format` has a bad argument index"),
            }
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars>| {
            let mut d = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_digit() {
                    d.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            d.parse::<usize>().ok().map(|n| n.min(1000))
        };
        let width = number(&mut chars);
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(number(&mut chars).unwrap_or(0))
        } else {
            None
        };
        let Some(verb) = chars.next() else {
            return fail("`format` ends inside a verb");
        };
        let Some(arg) = args.get(next) else {
            return fail("`format` has too few arguments");
        };
        next += 1;
        if let ValKind::Unknown(why) = &arg.kind {
            return Err(why.clone());
        }
        let num = || {
            arg.as_number()
                .ok_or_else(|| Unknown::Error("`format` needs a number".into()))
        };
        let sign = |n: f64, s: String| {
            if n >= 0.0 && plus {
                format!("+{s}")
            } else if n >= 0.0 && space {
                format!(" {s}")
            } else {
                s
            }
        };
        let text = match verb {
            's' => {
                let s = scalar_text(arg).ok_or_else(|| Unknown::Error("`%s` needs a string".into()))?;
                match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'v' => match &arg.kind {
                ValKind::List(_) | ValKind::Map(_) => json_text(arg)?,
                ValKind::Null => "null".into(),
                _ => scalar_text(arg).unwrap_or_default(),
            },
            'q' => match scalar_text(arg) {
                Some(s) => serde_json::Value::String(s).to_string(),
                None => return fail("`%q` needs a string"),
            },
            't' => match arg.as_bool() {
                Some(b) => b.to_string(),
                None => return fail("`%t` needs a bool"),
            },
            'd' => {
                let n = num()?;
                if n.fract() != 0.0 {
                    return fail("`%d` needs a whole number");
                }
                sign(n, format!("{}", n as i64))
            }
            'f' | 'F' => {
                let n = num()?;
                sign(n, format!("{:.*}", precision.unwrap_or(6), n))
            }
            'e' | 'E' => {
                let n = num()?;
                let s = format!("{:.*e}", precision.unwrap_or(6), n);
                // Go writes a signed two-digit exponent: 1.5e+00.
                let s = match s.split_once('e') {
                    Some((m, e)) => {
                        let e: i32 = e.parse().unwrap_or(0);
                        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
                    }
                    None => s,
                };
                sign(n, if verb == 'E' { s.to_uppercase() } else { s })
            }
            'g' | 'G' => sign(num()?, format_number(num()?)),
            'x' | 'X' | 'o' | 'b' => match &arg.kind {
                ValKind::String(s) if verb == 'x' || verb == 'X' => {
                    let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                    if verb == 'X' { h.to_uppercase() } else { h }
                }
                _ => {
                    let n = num()?;
                    if n.fract() != 0.0 {
                        return fail("integer verb needs a whole number");
                    }
                    let i = n as i64;
                    let body = match verb {
                        'x' => format!("{:x}", i.unsigned_abs()),
                        'X' => format!("{:X}", i.unsigned_abs()),
                        'o' => format!("{:o}", i.unsigned_abs()),
                        _ => format!("{:b}", i.unsigned_abs()),
                    };
                    sign(n, if i < 0 { format!("-{body}") } else { body })
                }
            },
            other => return fail(format!("`format` verb %{other} is not supported")),
        };
        let len = text.chars().count();
        match width {
            Some(w) if w > len => {
                let pad = w - len;
                if left {
                    out.push_str(&text);
                    out.push_str(&" ".repeat(pad));
                } else if zero && verb != 's' && verb != 'q' {
                    let (sign, digits) = match text.strip_prefix(['-', '+']) {
                        Some(rest) => (&text[..1], rest),
                        None => ("", text.as_str()),
                    };
                    out.push_str(sign);
                    out.push_str(&"0".repeat(pad));
                    out.push_str(digits);
                } else {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(&text);
                }
            }
            _ => out.push_str(&text),
        }
    }
    Ok(out)
}

/// A collection as compact JSON (as `%v` prints it); unknown parts make it unknown.
pub(super) fn json_text(v: &Val) -> Result<String, Unknown> {
    if let Some(why) = v.first_unknown() {
        return Err(why.cause().clone());
    }
    Ok(v.to_json().to_string())
}
