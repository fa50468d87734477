//! Terraform plan JSON (`terraform show -json plan.out`): the planned
//! resources become the same `resource` / `data` subjects the evaluator
//! produces, so every Terraform policy runs on plans. References are
//! already resolved to values in a plan; what Terraform itself does not know
//! yet (`after_unknown`) is unknown here, and values the plan marks
//! sensitive (`after_sensitive`) are withheld from policies and output.

use std::collections::HashMap;
use std::time::Duration;

use crate::hcl::{Expr, ExprKind, TemplatePart, parse_json_vars};
use crate::notice::Notice;
use crate::policy::InputKind;
use crate::source::{FileId, SourceFile, Span};
use crate::subject::{Native, Subject, SubjectSet};
use crate::value::{Entry, Unknown, Val, ValKind};

/// Load one plan file as a scope of its own.
pub fn load(file: FileId, source: &SourceFile, budget: Duration) -> (Option<SubjectSet>, Vec<Notice>) {
    let display = source.display.clone();
    let parsed = match parse_json_vars(file, &source.text, budget) {
        Ok(p) => p,
        Err(e) => return (None, vec![Notice::error(display, None, e.to_string())]),
    };
    let mut notices = Vec::new();
    if let Some((offset, what)) = parsed.error {
        let line = source.position(offset as u32).line;
        notices.push(Notice::error(
            display.clone(),
            Some(line),
            format!("{what}: the plan is not valid JSON; what could be recovered was scanned"),
        ));
    }
    let top: HashMap<&str, Val> = parsed
        .body
        .attributes
        .iter()
        .map(|a| (&*a.name, literal(&a.value, 0)))
        .collect();
    let Some(root) = top.get("planned_values").and_then(|p| p.get("root_module")) else {
        // A file already reported as broken JSON needs no second notice.
        if !notices.is_empty() {
            return (None, notices);
        }
        notices.push(Notice::error(
            display,
            None,
            "no `planned_values.root_module`: not a Terraform plan (produce one with `terraform show -json plan.out`)"
                .to_string(),
        ));
        return (None, notices);
    };
    let changes = changes_by_address(top.get("resource_changes"));
    let mut subjects = Vec::new();
    collect(root, file, &changes, &mut subjects, 0);
    (
        Some(SubjectSet::new(InputKind::Terraform, subjects, Native::None)),
        notices,
    )
}

/// `after_unknown` and `after_sensitive` of each planned resource, by address.
fn changes_by_address(changes: Option<&Val>) -> HashMap<String, (Option<&Val>, Option<&Val>)> {
    let mut out = HashMap::new();
    for change in changes.and_then(Val::as_list).unwrap_or(&[]) {
        let Some(address) = change.get("address").and_then(Val::as_str) else {
            continue;
        };
        let after = change.get("change");
        out.insert(
            address.to_string(),
            (
                after.and_then(|c| c.get("after_unknown")),
                after.and_then(|c| c.get("after_sensitive")),
            ),
        );
    }
    out
}

fn collect(
    module: &Val,
    file: FileId,
    changes: &HashMap<String, (Option<&Val>, Option<&Val>)>,
    out: &mut Vec<Subject>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for resource in module.get("resources").and_then(Val::as_list).unwrap_or(&[]) {
        if let Some(subject) = subject(resource, file, changes) {
            out.push(subject);
        }
    }
    for child in module.get("child_modules").and_then(Val::as_list).unwrap_or(&[]) {
        collect(child, file, changes, out, depth + 1);
    }
}

fn subject(resource: &Val, file: FileId, changes: &HashMap<String, (Option<&Val>, Option<&Val>)>) -> Option<Subject> {
    let address = resource.get("address")?.as_str()?;
    let kind = resource.get("type")?.as_str()?;
    let class = match resource.get("mode").and_then(Val::as_str) {
        Some("data") => "data",
        _ => "resource",
    };
    let span = resource.span?;
    let header = resource.entry("address").and_then(|e| e.key_span).unwrap_or(span);
    let instance = resource.get("index").and_then(|index| {
        let suffix = match &index.kind {
            ValKind::Number(_) => format!("[{}]", crate::value::format_number(index.as_number()?)),
            ValKind::String(s) => format!("[{}]", serde_json::to_string(&**s).ok()?),
            _ => return None,
        };
        address.ends_with(&suffix).then_some(suffix)
    });
    let mut value = resource
        .get("values")
        .cloned()
        .unwrap_or_else(|| Val::new(ValKind::Map(Vec::new()), Some(span)));
    if let Some((unknown, sensitive)) = changes.get(address) {
        if let Some(marks) = unknown {
            mark(&mut value, marks, &|v| Val::unknown(Unknown::Computed, v.span), 0);
        }
        if let Some(marks) = sensitive {
            let withheld = |v: &Val| Val::unknown(Unknown::Other("sensitive in the plan".into()), v.span);
            mark(&mut value, marks, &withheld, 0);
        }
    }
    Some(Subject {
        class: class.into(),
        kind: kind.into(),
        address: address.into(),
        instance: instance.map(Into::into),
        file,
        header,
        span,
        value,
        context: Vec::new(),
    })
}

/// Replace every value that `marks` (a tree of the same shape, `true` at the
/// marked places) marks. A marked map key absent from the values is added:
/// plans leave unknown attributes out of `values`.
fn mark(value: &mut Val, marks: &Val, replace: &dyn Fn(&Val) -> Val, depth: usize) {
    if depth > 64 {
        return;
    }
    if marks.as_bool() == Some(true) {
        *value = replace(value);
        return;
    }
    match (&mut value.kind, &marks.kind) {
        (ValKind::Map(entries), ValKind::Map(marked)) => {
            for m in marked {
                match entries.iter_mut().find(|e| e.key == m.key) {
                    Some(e) => mark(&mut e.value, &m.value, replace, depth + 1),
                    None if m.value.as_bool() == Some(true) => {
                        entries.push(Entry {
                            key: m.key.clone(),
                            key_span: None,
                            value: replace(&Val::new(ValKind::Null, value.span)),
                        });
                    }
                    None => {}
                }
            }
        }
        (ValKind::List(items), ValKind::List(marked)) => {
            for (item, m) in items.iter_mut().zip(marked) {
                mark(item, m, replace, depth + 1);
            }
        }
        _ => {}
    }
}

/// A JSON value parsed with positions, as a value tree.
fn literal(expr: &Expr, depth: usize) -> Val {
    let span = Some(expr.span);
    if depth > 128 {
        return Val::unknown(Unknown::Other("nested too deeply".into()), span);
    }
    match &expr.kind {
        ExprKind::Null => Val::new(ValKind::Null, span),
        ExprKind::Bool(b) => Val::bool(*b, span),
        ExprKind::Number(n) => Val::number(*n, span),
        ExprKind::Template(t) => match t.parts.as_slice() {
            [TemplatePart::Literal(s, _)] => Val::string(s.as_str(), span),
            _ => Val::unknown(Unknown::Other("not a JSON string".into()), span),
        },
        ExprKind::Tuple(items) => Val::list(items.iter().map(|i| literal(i, depth + 1)).collect(), span),
        ExprKind::Object(pairs) => {
            let entries = pairs
                .iter()
                .filter_map(|(k, v)| {
                    let ExprKind::Template(t) = &k.kind else { return None };
                    let [TemplatePart::Literal(key, _)] = t.parts.as_slice() else {
                        return None;
                    };
                    Some(Entry {
                        key: key.as_str().into(),
                        key_span: Some(Span::new(k.span.file, k.span.start as usize, v.span.end as usize)),
                        value: literal(v, depth + 1),
                    })
                })
                .collect();
            Val::new(ValKind::Map(entries), span)
        }
        _ => Val::unknown(Unknown::Other("not a JSON value".into()), span),
    }
}
