//! Operators, attribute access and indexing on [`Val`]s.
//!
//! Unknown operands give unknown results; invalid operations give
//! [`Unknown::Error`] (Terraform would refuse the configuration), which `try`
//! and `can` can catch.

use crate::hcl::{BinaryOp, UnaryOp};
use crate::source::Span;
use crate::value::{Str, Unknown, Val, ValKind, format_number};

pub(crate) fn error(msg: impl Into<String>, span: Option<Span>) -> Val {
    Val::unknown(Unknown::Error(Str::from(msg.into())), span)
}

/// A string, number or bool as Terraform converts it to a string.
pub(crate) fn scalar_text(v: &Val) -> Option<String> {
    match &v.kind {
        ValKind::String(s) => Some(s.to_string()),
        ValKind::Number(n) => Some(format_number(*n)),
        ValKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `v.name`. A value read from a resource that lacks the attribute is
/// computed by the provider; anywhere else a missing attribute is an error.
pub(crate) fn get_attr(v: &Val, name: &str, span: Option<Span>) -> Val {
    match &v.kind {
        ValKind::Map(_) => match v.get(name) {
            Some(found) => found.clone(),
            None if v.reference.is_some() => Val::unknown(Unknown::Computed, span),
            None => error(format!("no attribute `{name}`"), span),
        },
        ValKind::Unknown(_) => v.clone(),
        ValKind::Null => error(format!("attribute `{name}` of null"), span),
        _ => error(format!("attribute `{name}` of a non-object"), span),
    }
    .with_reference_kept(v)
}

/// `v[key]`.
pub(crate) fn index(v: &Val, key: &Val, span: Option<Span>) -> Val {
    match (&v.kind, &key.kind) {
        (ValKind::Unknown(_), _) => v.clone(),
        (_, ValKind::Unknown(_)) => {
            Val::unknown(Unknown::Other("an index is not known".into()), span).with_reference_kept(v)
        }
        (ValKind::List(items), _) => match key.as_number() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && (n as usize) < items.len() => {
                items[n as usize].clone().with_reference_kept(v)
            }
            _ => error("index out of range", span),
        },
        (ValKind::Map(_), _) => match scalar_text(key) {
            Some(k) => get_attr(v, &k, span),
            None => error("invalid key", span),
        },
        _ => error("index into a non-collection", span),
    }
}

impl Val {
    /// Keep the reference of the container a value was read from, unless
    /// the value came from elsewhere (an argument set from another
    /// resource). A value the random provider made names nothing of its
    /// own: `azurerm_storage_account.x.name` set from `random_string.n`
    /// still stands for the account.
    pub(crate) fn with_reference_kept(mut self, from: &Val) -> Val {
        if self.reference.as_deref().is_none_or(made_by_random_provider) {
            self.reference = from.reference.clone();
        }
        self
    }
}

/// Whether `address` (`random_string.n`, `module.m.random_pet.p[0]`) is a
/// resource of the random provider.
fn made_by_random_provider(address: &str) -> bool {
    crate::terraform::local_address(address).is_some_and(|a| a.starts_with("random_"))
}

pub(crate) fn unary(op: UnaryOp, v: &Val, span: Option<Span>) -> Val {
    if v.is_unknown() {
        return v.clone();
    }
    match op {
        UnaryOp::Neg => match v.as_number() {
            Some(n) => Val::number(-n, span),
            None => error("`-` on a non-number", span),
        },
        UnaryOp::Not => match v.as_bool() {
            Some(b) => Val::bool(!b, span),
            None => error("`!` on a non-boolean", span),
        },
    }
}

pub(crate) fn binary(op: BinaryOp, a: &Val, b: &Val, span: Option<Span>) -> Val {
    // Kleene logic: `false && x` and `true || x` are known whatever `x` is.
    match op {
        BinaryOp::And if a.as_bool() == Some(false) || b.as_bool() == Some(false) => {
            return Val::bool(false, span);
        }
        BinaryOp::Or if a.as_bool() == Some(true) || b.as_bool() == Some(true) => {
            return Val::bool(true, span);
        }
        _ => {}
    }
    if a.is_unknown() {
        return a.clone();
    }
    if b.is_unknown() {
        return b.clone();
    }
    let num = |f: fn(f64, f64) -> f64| match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => {
            let r = f(x, y);
            if r.is_finite() {
                Val::number(r, span)
            } else {
                error("division by zero", span)
            }
        }
        _ => error("arithmetic on a non-number", span),
    };
    let cmp = |f: fn(f64, f64) -> bool| match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => Val::bool(f(x, y), span),
        _ => error("comparison of non-numbers", span),
    };
    let logic = |f: fn(bool, bool) -> bool| match (a.as_bool(), b.as_bool()) {
        (Some(x), Some(y)) => Val::bool(f(x, y), span),
        _ => error("logic on a non-boolean", span),
    };
    match op {
        BinaryOp::Add => num(|x, y| x + y),
        BinaryOp::Sub => num(|x, y| x - y),
        BinaryOp::Mul => num(|x, y| x * y),
        BinaryOp::Div => num(|x, y| x / y),
        BinaryOp::Mod => num(|x, y| x % y),
        BinaryOp::Lt => cmp(|x, y| x < y),
        BinaryOp::Le => cmp(|x, y| x <= y),
        BinaryOp::Gt => cmp(|x, y| x > y),
        BinaryOp::Ge => cmp(|x, y| x >= y),
        BinaryOp::And => logic(|x, y| x && y),
        BinaryOp::Or => logic(|x, y| x || y),
        BinaryOp::Eq | BinaryOp::Ne => match equal(a, b) {
            Some(eq) => Val::bool(eq == (op == BinaryOp::Eq), span),
            None => Val::unknown(Unknown::Other("a comparison with an unknown value".into()), span),
        },
    }
}

/// Terraform's `==`: no conversion between types (`"1" != 1`); unknown
/// when an unknown part could decide it.
pub(crate) fn equal(a: &Val, b: &Val) -> Option<bool> {
    match (&a.kind, &b.kind) {
        (ValKind::Unknown(_), _) | (_, ValKind::Unknown(_)) => None,
        (ValKind::List(x), ValKind::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y))
        }
        (ValKind::Map(x), ValKind::Map(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut pairs = Vec::with_capacity(x.len());
            for e in x {
                match b.get(&e.key) {
                    Some(other) => pairs.push((&e.value, other)),
                    None => return Some(false),
                }
            }
            all_equal(pairs.into_iter())
        }
        (ValKind::Number(x), ValKind::Number(y)) => Some(x == y),
        _ => Some(a.kind == b.kind),
    }
}

fn all_equal<'a>(pairs: impl Iterator<Item = (&'a Val, &'a Val)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match equal(x, y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// The `(key, value)` pairs a `for` or `for_each` iterates: list indexes or
/// map keys. `Err` holds the unknown (or error) value that stops iteration.
pub(crate) fn iteration_pairs(coll: &Val, span: Option<Span>) -> Result<Vec<(Val, Val)>, Val> {
    match &coll.kind {
        ValKind::List(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (Val::number(i as f64, None), v.clone()))
            .collect()),
        ValKind::Map(entries) => Ok(entries
            .iter()
            .map(|en| (Val::string(en.key.clone(), en.key_span), en.value.clone()))
            .collect()),
        ValKind::Unknown(_) => Err(coll.clone()),
        ValKind::Null => Err(error("iteration over null", span)),
        _ => Err(error("iteration over a non-collection", span)),
    }
}
