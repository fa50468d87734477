//! Terraform plan JSON (`terraform show -json plan.out`): the planned
//! resources become the same `resource` / `data` subjects the evaluator
//! produces, so every Terraform policy runs on plans. References are
//! already resolved to values in a plan; what Terraform itself does not know
//! yet (`after_unknown`) is unknown here, and values the plan marks
//! sensitive (`after_sensitive`) are withheld from policies and output.
//!
//! A plan is recognised by its content ([`is_plan_json`]). When the
//! configuration it was planned from is part of the scan, its subjects
//! point back into it ([`map_to_configuration`]).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::{Module, Project};
use crate::hcl::{Block, Body, Expr, ExprKind, TemplatePart, parse_json_vars};
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
        .unwrap_or_else(|| Val::new(ValKind::Map(Vec::new().into()), Some(span)));
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

/// Whether `path` is `terraform show -json` output of a plan, whatever its
/// name: a `.json` file whose beginning has `format_version` and that holds
/// `planned_values` or `resource_changes`. Only the first megabyte is read.
pub fn is_plan_json(path: &Path) -> bool {
    use std::io::Read;
    let json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    // Never open anything but a regular file (a FIFO would block).
    if !json || !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(4096);
    let mut reader = file.take(1 << 20);
    if (&mut reader).take(4096).read_to_end(&mut head).is_err() || !has(&head, b"\"format_version\"") {
        return false;
    }
    if reader.read_to_end(&mut head).is_err() {
        return false;
    }
    has(&head, b"\"planned_values\"") || has(&head, b"\"resource_changes\"")
}

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Where a planned resource is written in the configuration.
enum Written<'p> {
    /// Its `resource` / `data` block.
    Block(FileId, &'p Block),
    /// The `module` block, in a module of the scan, of a module that is not
    /// (a remote module, or one installed under `.terraform`).
    Call(FileId, &'p Block),
}

/// Point the subjects of a plan at the configuration it was planned from,
/// the root module in `dir` (when the scan has it): each resource at its
/// block, each value at its attribute or nested block, what the
/// configuration does not write (a provider default) at the block header;
/// resources of modules that are not part of the scan at their `module`
/// block. The plan's own place stays a related location. Resources the
/// configuration does not have keep pointing into the plan.
pub fn map_to_configuration(set: &mut SubjectSet, project: &Project, dir: &Path) {
    let Some(root) = project.module_at(dir) else { return };
    for subject in &mut set.subjects {
        let Some(written) = written_at(project, root, dir, &subject.address) else {
            continue;
        };
        let planned = subject.header;
        let (file, block) = match written {
            Written::Block(file, block) => {
                respan(&mut subject.value, &block.body, block.header);
                (file, block)
            }
            Written::Call(file, call) => {
                respan_all(&mut subject.value, call.header);
                (file, call)
            }
        };
        subject.file = file;
        subject.header = block.header;
        subject.span = block.span;
        subject
            .context
            .push((planned, format!("planned as {} in the plan", subject.address).into()));
    }
}

fn written_at<'p>(project: &'p Project, root: &'p Module, dir: &Path, address: &str) -> Option<Written<'p>> {
    let (calls, data, ty, name) = split_address(address)?;
    let mut module = root;
    let mut prefix = String::new();
    for call_name in calls {
        let (file, call) = module
            .blocks()
            .find(|(_, b)| &*b.ty == "module" && b.labels.first().is_some_and(|l| **l == *call_name))?;
        match project.called_module(dir, module, call_name, call, &prefix) {
            Some(m) if m.files.first().is_some_and(|f| !project.is_installed(f.file)) => {
                module = m;
                prefix.push_str(&format!("module.{call_name}."));
            }
            _ => return Some(Written::Call(file.file, call)),
        }
    }
    let kind = if data { "data" } else { "resource" };
    module
        .blocks()
        .find(|(_, b)| &*b.ty == kind && b.labels.len() == 2 && *b.labels[0] == *ty && *b.labels[1] == *name)
        .map(|(file, block)| Written::Block(file.file, block))
}

/// `module.a["x"].module.b.data.t.n[0]` → (`["a", "b"]`, data, `t`, `n`).
fn split_address(address: &str) -> Option<(Vec<&str>, bool, &str, &str)> {
    let mut rest = address;
    let mut calls = Vec::new();
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '['])?;
        calls.push(&after[..end]);
        rest = skip_index(&after[end..])?.strip_prefix('.')?;
    }
    let (data, rest) = match rest.strip_prefix("data.") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (ty, rest) = rest.split_once('.')?;
    let name = &rest[..rest.find('[').unwrap_or(rest.len())];
    (!ty.is_empty() && !name.is_empty()).then_some((calls, data, ty, name))
}

/// Past an instance key (`[0]`, `["a.b"]`) at the start of `s`, if any.
fn skip_index(s: &str) -> Option<&str> {
    let Some(inner) = s.strip_prefix('[') else {
        return Some(s);
    };
    if let Some(quoted) = inner.strip_prefix('"') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => return quoted[i + 1..].strip_prefix(']'),
                _ => {}
            }
        }
        return None;
    }
    inner.find(']').map(|i| &inner[i + 1..])
}

/// Give a planned value the places of the configuration `body` that wrote
/// it: attributes, nested blocks in order; `fallback` for the rest.
fn respan(val: &mut Val, body: &Body, fallback: Span) {
    val.span = Some(fallback);
    let ValKind::Map(entries) = &mut val.kind else {
        respan_all(val, fallback);
        return;
    };
    for e in entries {
        if let Some(a) = body.attribute(&e.key) {
            e.key_span = Some(a.span);
            respan_expr(&mut e.value, &a.value);
            continue;
        }
        let blocks: Vec<&Block> = body.blocks_of(&e.key).collect();
        let dynamic = body
            .blocks_of("dynamic")
            .find(|b| b.labels.first().is_some_and(|l| **l == *e.key));
        let Some(first) = blocks.first().map(|b| b.header).or(dynamic.map(|d| d.header)) else {
            e.key_span = Some(fallback);
            respan_all(&mut e.value, fallback);
            continue;
        };
        e.key_span = Some(first);
        match (&mut e.value.kind, dynamic) {
            // Static blocks only: the plan lists them in the same order.
            (ValKind::List(items), None) if items.len() == blocks.len() => {
                e.value.span = Some(first);
                for (item, b) in items.iter_mut().zip(&blocks) {
                    respan(item, &b.body, b.header);
                }
            }
            _ => respan_all(&mut e.value, first),
        }
    }
}

/// Give a planned value the places inside the expression that computed it,
/// as far as the expression is a literal of the same shape.
fn respan_expr(val: &mut Val, expr: &Expr) {
    val.span = Some(expr.span);
    match (&mut val.kind, &expr.kind) {
        (ValKind::List(items), ExprKind::Tuple(exprs)) if items.len() == exprs.len() => {
            for (item, x) in items.iter_mut().zip(exprs) {
                respan_expr(item, x);
            }
        }
        (ValKind::Map(entries), ExprKind::Object(pairs)) => {
            for e in entries {
                let written = pairs.iter().find(|(k, _)| match &k.kind {
                    ExprKind::Template(t) => t.as_literal() == Some(&*e.key),
                    ExprKind::Variable(name) => **name == *e.key,
                    _ => false,
                });
                match written {
                    Some((k, v)) => {
                        e.key_span = Some(k.span.to(v.span));
                        respan_expr(&mut e.value, v);
                    }
                    None => {
                        e.key_span = Some(expr.span);
                        respan_all(&mut e.value, expr.span);
                    }
                }
            }
        }
        _ => respan_all(val, expr.span),
    }
}

/// Place a whole value (and everything in it) at `span`.
fn respan_all(val: &mut Val, span: Span) {
    val.span = Some(span);
    match &mut val.kind {
        ValKind::List(items) => items.iter_mut().for_each(|i| respan_all(i, span)),
        ValKind::Map(entries) => {
            for e in entries {
                e.key_span = Some(span);
                respan_all(&mut e.value, span);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_recognised_by_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let plan = r#"{"format_version":"1.2","terraform_version":"1.6.6","planned_values":{"root_module":{}}}"#;
        assert!(is_plan_json(&write("out.json", plan)));
        assert!(is_plan_json(&write(
            "changes.JSON",
            r#"{"format_version":"1.2","resource_changes":[]}"#
        )));
        // State output, other JSON, other extensions: not plans.
        assert!(!is_plan_json(&write(
            "state.json",
            r#"{"format_version":"1.0","values":{}}"#
        )));
        assert!(!is_plan_json(&write(
            "package.json",
            r#"{"name":"x","resource_changes":1}"#
        )));
        assert!(!is_plan_json(&write("plan.txt", plan)));
        assert!(!is_plan_json(dir.path()));
    }

    #[test]
    fn addresses_split_into_calls_and_resource() {
        assert_eq!(
            split_address(r#"module.a["x.y]"].module.b.data.aws_iam_policy_document.p[0]"#),
            Some((vec!["a", "b"], true, "aws_iam_policy_document", "p"))
        );
        assert_eq!(
            split_address("aws_s3_bucket.b"),
            Some((vec![], false, "aws_s3_bucket", "b"))
        );
        assert_eq!(split_address("module.a"), None);
    }
}
