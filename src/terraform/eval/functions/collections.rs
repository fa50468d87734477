//! Collection functions. Terraform sets are lists here, without duplicates
//! and (for strings) in lexical order, as Terraform orders them.

use super::{Args, FnResult, fail, strings_of};
use crate::terraform::eval::ops::equal;
use crate::value::{Entry, Str, Unknown, Val, ValKind};

pub(super) const NAMES: &[&str] = &[
    "alltrue",
    "anytrue",
    "chunklist",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "distinct",
    "element",
    "flatten",
    "index",
    "keys",
    "length",
    "lookup",
    "matchkeys",
    "merge",
    "one",
    "range",
    "reverse",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "slice",
    "sort",
    "sum",
    "transpose",
    "values",
    "zipmap",
];

/// Largest collection a function may build (`range`, `setproduct`).
const MAX_BUILT: usize = 100_000;

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        "alltrue" | "anytrue" => a.arity(1, 1).and_then(|_| {
            let decisive = a.name == "anytrue";
            let mut unknown = None;
            for v in a.list(0)? {
                match v.as_bool() {
                    Some(b) if b == decisive => return a.bool_val(decisive),
                    Some(_) => {}
                    None if v.is_unknown() => unknown = v.unknown_reason().cloned(),
                    None => return fail(format!("`{}` needs a list of bools", a.name)),
                }
            }
            match unknown {
                Some(why) => Err(why),
                None => a.bool_val(!decisive),
            }
        }),
        "chunklist" => a.arity(2, 2).and_then(|_| {
            let items = a.list(0)?;
            let size = a.int(1)?;
            if size < 0 {
                return fail("`chunklist` size must not be negative");
            }
            if size == 0 {
                return a.list_val(vec![Val::list(items.to_vec(), a.span)]);
            }
            a.list_val(
                items
                    .chunks(size as usize)
                    .map(|c| Val::list(c.to_vec(), a.span))
                    .collect(),
            )
        }),
        "coalesce" => {
            for v in a.vals {
                match &v.kind {
                    // Text known to start or end with something is not
                    // empty: it is the result, partly known as it is.
                    ValKind::Unknown(Unknown::PartialText { prefix, suffix, .. })
                        if !prefix.is_empty() || !suffix.is_empty() =>
                    {
                        return Some(Ok(v.clone()));
                    }
                    ValKind::Unknown(why) => return Some(Err(why.cause().clone())),
                    ValKind::Null => {}
                    ValKind::String(s) if s.is_empty() => {}
                    _ => return Some(Ok(v.clone())),
                }
            }
            fail("`coalesce`: every argument is null or empty")
        }
        "coalescelist" => (|| {
            for i in 0..a.len() {
                let items = a.list(i)?;
                if !items.is_empty() {
                    return Ok(a.vals[i].clone());
                }
            }
            fail("`coalescelist`: every list is empty")
        })(),
        "compact" => a.arity(1, 1).and_then(|_| {
            let kept = a
                .list(0)?
                .iter()
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
                .cloned()
                .collect();
            a.list_val(kept)
        }),
        "concat" => (|| {
            let mut out = Vec::new();
            for i in 0..a.len() {
                out.extend_from_slice(a.list(i)?);
            }
            a.list_val(out)
        })(),
        "contains" => a.arity(2, 2).and_then(|_| {
            let needle = a.value(1)?;
            let mut unknown = None;
            for v in a.list(0)? {
                match equal(v, needle) {
                    Some(true) => return a.bool_val(true),
                    Some(false) => {}
                    None => unknown = Some(Unknown::Other("a list element is not known".into())),
                }
            }
            match unknown {
                Some(why) => Err(why),
                None => a.bool_val(false),
            }
        }),
        "distinct" => a.arity(1, 1).and_then(|_| a.list_val(distinct(a.list(0)?)?)),
        "element" => a.arity(2, 2).and_then(|_| {
            let items = a.list(0)?;
            let i = a.int(1)?;
            if items.is_empty() {
                return fail("`element` of an empty list");
            }
            if i < 0 {
                return fail("`element` index must not be negative");
            }
            Ok(items[i as usize % items.len()].clone())
        }),
        "flatten" => a.arity(1, 1).and_then(|_| {
            let mut out = Vec::new();
            flatten(a.list(0)?, &mut out, 0)?;
            a.list_val(out)
        }),
        "index" => a.arity(2, 2).and_then(|_| {
            let needle = a.value(1)?;
            for (i, v) in a.list(0)?.iter().enumerate() {
                match equal(v, needle) {
                    Some(true) => return a.num_val(i as f64),
                    Some(false) => {}
                    None => return Err(Unknown::Other("a list element is not known".into())),
                }
            }
            fail("`index`: the value is not in the list")
        }),
        "keys" => a.arity(1, 1).and_then(|_| {
            let keys = sorted(a.map(0)?)
                .into_iter()
                .map(|e| Val::string(e.key.clone(), e.key_span))
                .collect();
            a.list_val(keys)
        }),
        "values" => a.arity(1, 1).and_then(|_| {
            let values = sorted(a.map(0)?).into_iter().map(|e| e.value.clone()).collect();
            a.list_val(values)
        }),
        "length" => a.arity(1, 1).and_then(|_| {
            let v = a.value(0)?;
            let n = match &v.kind {
                ValKind::List(items) => items.len(),
                ValKind::Map(entries) => entries.len(),
                ValKind::String(s) => s.chars().count(),
                _ => return fail("`length` of a non-collection"),
            };
            a.num_val(n as f64)
        }),
        "lookup" => a.arity(2, 3).and_then(|_| {
            let map = a.value(0)?;
            let key = a.string(1)?;
            a.map(0)?;
            match map.get(&key) {
                Some(v) => Ok(v.clone()),
                None if a.len() == 3 => Ok(a.vals[2].clone()),
                None => fail(format!("`lookup`: no key {key:?}")),
            }
        }),
        "matchkeys" => a.arity(3, 3).and_then(|_| {
            let values = a.list(0)?;
            let keys = a.list(1)?;
            let search = a.list(2)?;
            if values.len() != keys.len() {
                return fail("`matchkeys` lists differ in length");
            }
            let mut out = Vec::new();
            for (v, k) in values.iter().zip(keys) {
                let mut hit = false;
                for s in search {
                    match equal(k, s) {
                        Some(true) => hit = true,
                        Some(false) => {}
                        None => return Err(Unknown::Other("a key is not known".into())),
                    }
                }
                if hit {
                    out.push(v.clone());
                }
            }
            a.list_val(out)
        }),
        "merge" => (|| {
            let mut out: Vec<Entry> = Vec::new();
            for v in a.vals {
                match &v.kind {
                    ValKind::Map(entries) => {
                        for e in entries {
                            out.retain(|o| o.key != e.key);
                            out.push(e.clone());
                        }
                    }
                    ValKind::Null => {}
                    _ => return fail("`merge` needs maps or objects"),
                }
            }
            Ok(Val::new(ValKind::Map(out.into()), a.span))
        })(),
        "one" => a.arity(1, 1).and_then(|_| match a.list(0)? {
            [] => Ok(Val::null()),
            [only] => Ok(only.clone()),
            _ => fail("`one` of a list with more than one element"),
        }),
        "range" => a.arity(1, 3).and_then(|_| {
            let (start, limit, step) = match a.len() {
                1 => (0.0, a.number(0)?, 1.0),
                2 => {
                    let (s, l) = (a.number(0)?, a.number(1)?);
                    (s, l, if l >= s { 1.0 } else { -1.0 })
                }
                _ => (a.number(0)?, a.number(1)?, a.number(2)?),
            };
            if step == 0.0 {
                return fail("`range` step must not be zero");
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < limit) || (step < 0.0 && x > limit) {
                if out.len() >= MAX_BUILT {
                    return fail("`range` is too long");
                }
                out.push(Val::number(x, a.span));
                x += step;
            }
            a.list_val(out)
        }),
        "reverse" => a
            .arity(1, 1)
            .and_then(|_| a.list_val(a.list(0)?.iter().rev().cloned().collect())),
        "setunion" => (|| {
            let mut all = Vec::new();
            for i in 0..a.len() {
                all.extend_from_slice(a.list(i)?);
            }
            a.list_val(set_of(all)?)
        })(),
        "setintersection" | "setsubtract" => a.arity(2, usize::MAX).and_then(|_| {
            let mut acc = set_of(a.list(0)?.to_vec())?;
            for i in 1..a.len() {
                let other = a.list(i)?;
                let mut kept = Vec::new();
                for v in acc {
                    let found = member(other, &v)?;
                    if found == (a.name == "setintersection") {
                        kept.push(v);
                    }
                }
                acc = kept;
            }
            a.list_val(acc)
        }),
        "setproduct" => (|| {
            let mut rows: Vec<Vec<Val>> = vec![Vec::new()];
            for i in 0..a.len() {
                let items = a.list(i)?;
                if rows.len().saturating_mul(items.len()) > MAX_BUILT {
                    return fail("`setproduct` is too large");
                }
                rows = rows
                    .iter()
                    .flat_map(|r| {
                        items.iter().map(move |v| {
                            let mut r = r.clone();
                            r.push(v.clone());
                            r
                        })
                    })
                    .collect();
            }
            if a.len() == 0 {
                return a.list_val(Vec::new());
            }
            a.list_val(rows.into_iter().map(|r| Val::list(r, a.span)).collect())
        })(),
        "slice" => a.arity(3, 3).and_then(|_| {
            let items = a.list(0)?;
            let (s, e) = (a.int(1)?, a.int(2)?);
            if s < 0 || e < s || e as usize > items.len() {
                return fail("`slice` indexes out of range");
            }
            a.list_val(items[s as usize..e as usize].to_vec())
        }),
        "sort" => a.arity(1, 1).and_then(|_| {
            let mut texts = strings_of(a.list(0)?, "`sort` list")?;
            texts.sort();
            a.list_val(texts.into_iter().map(|s| Val::string(s, a.span)).collect())
        }),
        "sum" => a.arity(1, 1).and_then(|_| {
            let items = a.list(0)?;
            if items.is_empty() {
                return fail("`sum` of an empty list");
            }
            let mut total = 0.0;
            for v in items {
                if let Some(why) = v.unknown_reason() {
                    return Err(why.clone());
                }
                total += v
                    .as_number()
                    .ok_or_else(|| Unknown::Error("`sum` needs numbers".into()))?;
            }
            a.num_val(total)
        }),
        "transpose" => a.arity(1, 1).and_then(|_| {
            let mut out: Vec<(Str, Vec<Val>)> = Vec::new();
            for e in sorted(a.map(0)?) {
                let items = match &e.value.kind {
                    ValKind::List(items) => items,
                    ValKind::Unknown(why) => return Err(why.clone()),
                    _ => return fail("`transpose` needs a map of lists"),
                };
                for k in strings_of(items, "`transpose` lists")? {
                    let key = Str::from(k);
                    let v = Val::string(e.key.clone(), a.span);
                    match out.iter_mut().find(|(o, _)| *o == key) {
                        Some((_, list)) => list.push(v),
                        None => out.push((key, vec![v])),
                    }
                }
            }
            Ok(Val::map(
                out.into_iter().map(|(k, v)| (k, Val::list(v, a.span))),
                a.span,
            ))
        }),
        "zipmap" => a.arity(2, 2).and_then(|_| {
            let keys = strings_of(a.list(0)?, "`zipmap` keys")?;
            let values = a.list(1)?;
            if keys.len() != values.len() {
                return fail("`zipmap` lists differ in length");
            }
            let mut out: Vec<(Str, Val)> = Vec::new();
            for (k, v) in keys.into_iter().zip(values) {
                let k = Str::from(k);
                out.retain(|(o, _)| *o != k);
                out.push((k, v.clone()));
            }
            Ok(Val::map(out, a.span))
        }),
        _ => return None,
    })
}

/// Map entries in Terraform's order: by key.
pub(crate) fn sorted(entries: &[Entry]) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    v.sort_by(|x, y| x.key.cmp(&y.key));
    v
}

fn member(items: &[Val], v: &Val) -> Result<bool, Unknown> {
    for x in items {
        match equal(x, v) {
            Some(true) => return Ok(true),
            Some(false) => {}
            None => return Err(Unknown::Other("a set element is not known".into())),
        }
    }
    Ok(false)
}

pub(crate) fn distinct(items: &[Val]) -> Result<Vec<Val>, Unknown> {
    let mut out: Vec<Val> = Vec::new();
    for v in items {
        if !member(&out, v)? {
            out.push(v.clone());
        }
    }
    Ok(out)
}

/// A set: duplicates removed, strings in lexical order.
pub(crate) fn set_of(items: Vec<Val>) -> Result<Vec<Val>, Unknown> {
    let mut out = distinct(&items)?;
    if out.iter().all(|v| matches!(v.kind, ValKind::String(_))) {
        out.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
    } else if out.iter().all(|v| matches!(v.kind, ValKind::Number(_))) {
        out.sort_by(|x, y| {
            x.as_number()
                .partial_cmp(&y.as_number())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    Ok(out)
}

fn flatten(items: &[Val], out: &mut Vec<Val>, depth: usize) -> Result<(), Unknown> {
    if depth > 64 {
        return fail("`flatten` nested too deeply");
    }
    for v in items {
        match &v.kind {
            ValKind::List(inner) => flatten(inner, out, depth + 1)?,
            // An unknown element might be a list: the flat shape is unknown.
            ValKind::Unknown(why) => return Err(why.clone()),
            _ => out.push(v.clone()),
        }
    }
    Ok(())
}
