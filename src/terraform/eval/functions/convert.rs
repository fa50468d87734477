//! Type conversion functions, `try` and `can`.

use super::collections::set_of;
use super::{Args, FnResult, fail};
use crate::terraform::eval::ops::scalar_text;
use crate::value::{Unknown, Val, ValKind};

pub(super) const NAMES: &[&str] = &[
    "can",
    "nonsensitive",
    "sensitive",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "try",
];

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        // The first argument that evaluates without error. One that is not
        // known yet might still fail, so the result is unknown then.
        "try" => (|| {
            for v in a.vals {
                match v.first_unknown() {
                    Some(Unknown::Error(_)) => continue,
                    _ if v.is_unknown() => return Ok(v.clone()),
                    _ => return Ok(v.clone()),
                }
            }
            fail("`try`: no argument could be evaluated")
        })(),
        "can" => a.arity(1, 1).and_then(|_| match a.vals[0].first_unknown() {
            Some(Unknown::Error(_)) => a.bool_val(false),
            Some(why) if a.vals[0].is_unknown() => Err(why.cause().clone()),
            _ => a.bool_val(true),
        }),
        "sensitive" | "nonsensitive" => a.arity(1, 1).map(|_| a.vals[0].clone()),
        "tobool" => a.arity(1, 1).and_then(|_| {
            let v = a.value(0)?;
            match (&v.kind, v.as_bool()) {
                (ValKind::Null, _) => Ok(v.clone()),
                (_, Some(b)) => a.bool_val(b),
                _ => fail("`tobool`: not a bool"),
            }
        }),
        "tonumber" => a.arity(1, 1).and_then(|_| {
            let v = a.value(0)?;
            match (&v.kind, v.as_number()) {
                (ValKind::Null, _) => Ok(v.clone()),
                (ValKind::Bool(_), _) | (_, None) => fail("`tonumber`: not a number"),
                (_, Some(n)) => a.num_val(n),
            }
        }),
        "tostring" => a.arity(1, 1).and_then(|_| {
            let v = a.value(0)?;
            match (&v.kind, scalar_text(v)) {
                (ValKind::Null, _) => Ok(v.clone()),
                (_, Some(s)) => a.str_val(s),
                _ => fail("`tostring`: not a primitive value"),
            }
        }),
        "tolist" => a.arity(1, 1).and_then(|_| Ok(Val::list(a.list(0)?.to_vec(), a.span))),
        "toset" => a.arity(1, 1).and_then(|_| a.list_val(set_of(a.list(0)?.to_vec())?)),
        "tomap" => a.arity(1, 1).and_then(|_| {
            a.map(0)?;
            Ok(a.vals[0].clone())
        }),
        _ => return None,
    })
}
