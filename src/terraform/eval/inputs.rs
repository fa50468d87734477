//! Input variables: values from tfvars files and the command line, and the
//! conversion of any value to the variable's declared `type`.
//!
//! Precedence, lowest first, as Terraform applies it: the default,
//! `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in
//! lexical order, `--var-file` files, then `--var` flags.

use foldhash::HashMap;
use std::time::Duration;

use crate::hcl::{Block, Expr, ExprKind};
use crate::source::FileId;
use crate::value::{Entry, Str, Unknown, Val, ValKind};

use super::ops::{error, scalar_text};
use super::{Evaluator, Module, Project, Scope, TfOptions};

pub(super) fn root_inputs(
    ev: &Evaluator,
    project: &Project,
    module: &Module,
    options: &TfOptions,
) -> HashMap<Str, Val> {
    let mut inputs = HashMap::default();
    for f in module.var_files.iter().chain(&project.cli_var_files) {
        for a in &f.body.attributes {
            let mut v = ev.eval(&a.value, &Scope::default());
            if v.span.is_none() {
                v.span = Some(a.value.span);
            }
            inputs.insert(a.name.clone(), v);
        }
    }
    for (name, value) in &options.vars {
        let declared = module
            .blocks()
            .find(|(_, b)| &*b.ty == "variable" && b.labels.first().is_some_and(|l| **l == **name))
            .map(|(_, b)| b);
        inputs.insert(Str::from(name.as_str()), command_line_value(ev, declared, value));
    }
    inputs
}

/// A `--var` value: a plain string for a primitive (or untyped) variable,
/// an HCL expression for a collection-typed one, as Terraform reads `-var`.
fn command_line_value(ev: &Evaluator, declared: Option<&Block>, text: &str) -> Val {
    let complex = declared
        .and_then(|b| b.body.attribute("type"))
        .is_some_and(|t| matches!(t.value.kind, ExprKind::Call { .. }));
    if !complex {
        return Val::string(text, None);
    }
    let source = format!("v = {text}\n");
    match crate::hcl::parse_hcl(FileId(u32::MAX), &source, Duration::from_secs(1)) {
        Ok(p) if p.error.is_none() => match p.body.attribute("v") {
            Some(a) => without_spans(ev.eval(&a.value, &Scope::default())),
            None => error("`--var` value is not an expression", None),
        },
        _ => error("`--var` value is not a valid expression", None),
    }
}

/// Spans that point into no scanned file are dropped.
fn without_spans(mut v: Val) -> Val {
    v.span = None;
    v.kind = match v.kind {
        ValKind::List(items) => ValKind::List(items.into_iter().map(without_spans).collect()),
        ValKind::Map(entries) => ValKind::Map(
            entries
                .into_iter()
                .map(|e| Entry {
                    key: e.key,
                    key_span: None,
                    value: without_spans(e.value),
                })
                .collect(),
        ),
        other => other,
    };
    v
}

/// Convert `v` to the variable's declared type (`type = …`), as Terraform
/// does when it receives a value: `"8080"` for a number becomes 8080, an
/// object gets the defaults of its `optional(…)` attributes.
pub(super) fn convert_to_declared(ev: &Evaluator, block: &Block, v: Val) -> Val {
    match block.body.attribute("type") {
        Some(t) => convert(ev, &t.value, v, 0),
        None => v,
    }
}

fn convert(ev: &Evaluator, ty: &Expr, v: Val, depth: usize) -> Val {
    if depth > 16 || v.is_unknown() || v.is_null() {
        return v;
    }
    let span = v.span;
    match &ty.kind {
        ExprKind::Variable(name) => match &**name {
            "string" => match (&v.kind, scalar_text(&v)) {
                (ValKind::String(_), _) => v,
                (_, Some(s)) => Val {
                    kind: ValKind::String(s.into()),
                    ..v
                },
                _ => error("a value of the wrong type for a string variable", span),
            },
            "number" => match v.as_number() {
                Some(n) if !matches!(v.kind, ValKind::Bool(_)) => Val {
                    kind: ValKind::Number(n),
                    ..v
                },
                _ => error("a value of the wrong type for a number variable", span),
            },
            "bool" => match v.as_bool() {
                Some(b) => Val {
                    kind: ValKind::Bool(b),
                    ..v
                },
                _ => error("a value of the wrong type for a bool variable", span),
            },
            _ => v,
        },
        ExprKind::Call { name, args, .. } => {
            let Some(inner) = args.first() else { return v };
            match (&**name, v.kind) {
                ("list" | "set", ValKind::List(items)) => {
                    let items = items.into_iter().map(|i| convert(ev, inner, i, depth + 1)).collect();
                    let mut out = Val::list(items, span);
                    out.reference = v.reference;
                    if &**name == "set"
                        && let ValKind::List(items) = &out.kind
                        && let Ok(set) = super::functions::set_of_values(items.to_vec())
                    {
                        out.kind = ValKind::List(set.into());
                    }
                    out
                }
                ("map", ValKind::Map(entries)) => Val {
                    kind: ValKind::Map(
                        entries
                            .into_iter()
                            .map(|e| Entry {
                                value: convert(ev, inner, e.value, depth + 1),
                                ..e
                            })
                            .collect(),
                    ),
                    span,
                    reference: v.reference,
                },
                ("object", ValKind::Map(entries)) => {
                    let ExprKind::Object(attrs) = &inner.kind else {
                        return Val {
                            kind: ValKind::Map(entries),
                            span,
                            reference: v.reference,
                        };
                    };
                    object(ev, attrs, &entries, span, v.reference, depth)
                }
                ("tuple", ValKind::List(items)) => {
                    let ExprKind::Tuple(types) = &inner.kind else {
                        return Val::list(items.into_vec(), span);
                    };
                    let items = items
                        .into_iter()
                        .zip(types)
                        .map(|(i, t)| convert(ev, t, i, depth + 1))
                        .collect();
                    Val::list(items, span)
                }
                ("list" | "set" | "map" | "object" | "tuple", _) => {
                    error(format!("a value of the wrong type for a {name} variable"), span)
                }
                (_, kind) => Val {
                    kind,
                    span,
                    reference: v.reference,
                },
            }
        }
        _ => v,
    }
}

/// An object type: declared attributes only, `optional(type, default)`
/// filled in when missing, a missing required attribute is an error.
fn object(
    ev: &Evaluator,
    attrs: &[(Expr, Expr)],
    entries: &[Entry],
    span: Option<crate::source::Span>,
    reference: Option<Str>,
    depth: usize,
) -> Val {
    let mut out = Vec::with_capacity(attrs.len());
    for (k, t) in attrs {
        let Some(key) = ev.eval(k, &Scope::default()).as_str().map(Str::from) else {
            continue;
        };
        let (ty, optional, default) = match &t.kind {
            ExprKind::Call { name, args, .. } if &**name == "optional" => (args.first(), true, args.get(1)),
            _ => (Some(t), false, None),
        };
        let given = entries.iter().find(|e| e.key == key);
        let value = match (given, default) {
            (Some(e), _) if !e.value.is_null() => Some((e.value.clone(), e.key_span)),
            (_, Some(d)) => Some((ev.eval(d, &Scope::default()), None)),
            (Some(e), None) => Some((e.value.clone(), e.key_span)),
            (None, None) if optional => Some((Val::null(), None)),
            (None, None) => {
                return Val::unknown(
                    Unknown::Error(format!("the object lacks the required attribute `{key}`").into()),
                    span,
                );
            }
        };
        if let Some((value, key_span)) = value {
            let value = match ty {
                Some(ty) => convert(ev, ty, value, depth + 1),
                None => value,
            };
            out.push(Entry { key, key_span, value });
        }
    }
    Val {
        kind: ValKind::Map(out.into()),
        span,
        reference,
    }
}
