//! The Rust checks of the secret policies: provider formats and committed
//! state files on every file, hard-coded credentials in Terraform and in
//! variable files, and credential variables not marked sensitive.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::{Confidence, credential_name, hardcoded_credential, mentions_credential_word};
use crate::checks::{Check, CheckCx, Hit};
use crate::discover::FileKind;
use crate::output::redact;
use crate::policy::InputKind;
use crate::policy::condition::{Tri, Witness};
use crate::scan::FileScope;
use crate::source::Span;
use crate::subject::Subject;
use crate::value::{Val, ValKind};

pub static CHECKS: &[Check] = &[
    Check {
        name: "secret-format",
        input: InputKind::Any,
        description: "Credentials of the provider formats named in `args.rules` (see `src/secrets/rules.rs`) anywhere in the file's text",
        run: secret_format,
    },
    Check {
        name: "terraform-state-file",
        input: InputKind::Any,
        description: "The file is a Terraform state file (`*.tfstate`, `*.tfstate.backup`)",
        run: terraform_state_file,
    },
    Check {
        name: "credential-assignment",
        input: InputKind::Any,
        description: "A literal credential assigned to a credential-like name in a variable file (`*.tfvars`, `*.tfvars.json`) or a file scanned only for secrets (`.env`, `--secrets-in`)",
        run: credential_assignment,
    },
    Check {
        name: "hardcoded-credential",
        input: InputKind::Terraform,
        description: "A literal credential in a Terraform attribute, provider argument or variable default",
        run: terraform_hardcoded_credential,
    },
    Check {
        name: "credential-not-sensitive",
        input: InputKind::Terraform,
        description: "A variable or output named like a credential without `sensitive = true`",
        run: credential_not_sensitive,
    },
];

fn file_scope<'a>(cx: &'a CheckCx) -> Option<(&'a FileScope, &'a Subject)> {
    Some((cx.set.native.get::<FileScope>()?, cx.set.subjects.first()?))
}

fn span(fs: &FileScope, r: &std::ops::Range<usize>) -> Span {
    Span::new(fs.file, r.start, r.end)
}

fn hit(address: &Arc<str>, primary: Span, path: String, message: String, secret: Span) -> Hit {
    Hit {
        truth: Tri::True,
        address: address.clone(),
        instance: None,
        witness: Witness {
            span: primary,
            path,
            value: None,
            related: Vec::new(),
        },
        context: Vec::new(),
        message: Some(message),
        sensitive: vec![secret],
    }
}

/// `args.rules`: the rule ids a policy reports.
fn rules_arg(cx: &CheckCx) -> Vec<String> {
    cx.args
        .get("rules")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn secret_format(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((fs, subject)) = file_scope(cx) else { return };
    // Most files hold no credential: nothing to read the arguments for.
    if fs.secrets().is_empty() {
        return;
    }
    let wanted = rules_arg(cx);
    let mut nth = std::collections::HashMap::<&str, usize>::new();
    for d in fs.secrets().iter().filter(|d| wanted.iter().any(|w| w == d.rule)) {
        // The path names the rule and its rank in the file: fingerprints stay
        // stable when lines move and never depend on the secret.
        let n = nth.entry(d.rule).or_default();
        let path = format!("{}[{}]", d.rule, n);
        *n += 1;
        let message = format!(
            "{} contains a {} ({})",
            subject.address,
            d.label,
            redact(&fs.text[d.secret.clone()])
        );
        hits.push(hit(
            &subject.address,
            span(fs, &d.primary),
            path,
            message,
            span(fs, &d.secret),
        ));
    }
}

fn terraform_state_file(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((fs, subject)) = file_scope(cx) else { return };
    // A file named like state that holds state (not an empty placeholder).
    if fs.kind != FileKind::TerraformState
        || !(fs.text.contains("\"lineage\"") || fs.text.contains("\"terraform_version\""))
    {
        return;
    }
    hits.push(Hit {
        truth: Tri::True,
        address: subject.address.clone(),
        instance: None,
        witness: Witness {
            span: subject.header,
            path: String::new(),
            value: None,
            related: Vec::new(),
        },
        context: Vec::new(),
        message: None,
        sensitive: Vec::new(),
    });
}

/// `name = "value"` lines of an HCL variable file.
static HCL_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^[ \t]*"?([A-Za-z_][A-Za-z0-9_.-]*)"?[ \t]*=[ \t]*"((?:[^"\\\n]|\\.)*)"[ \t]*,?[ \t]*(?:(?:#|//).*)?\r?$"#)
        .expect("valid regex")
});

/// `"name": "value"` members of a JSON variable file.
static JSON_MEMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"\\\n]+)"\s*:\s*"((?:[^"\\\n]|\\.)*)""#).expect("valid regex"));

/// `NAME=value`, `export NAME="value"`, `name: value` lines of environment
/// and properties files.
static ENV_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*[=:][ \t]*["']?([^"'\s#]+)["']?[ \t]*(?:#.*)?\r?$"#)
        .expect("valid regex")
});

fn credential_assignment(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((fs, subject)) = file_scope(cx) else { return };
    let json = subject.address.ends_with(".json");
    let (re, by_line) = match fs.kind {
        FileKind::TerraformVars | FileKind::SecretsOnly if json => (&*JSON_MEMBER, false),
        FileKind::TerraformVars => (&*HCL_ASSIGNMENT, true),
        FileKind::SecretsOnly => (&*ENV_ASSIGNMENT, true),
        _ => return,
    };
    for (name, range) in assignments(re, by_line, &fs.text) {
        let (name, value) = (&fs.text[name], &fs.text[range.clone()]);
        if hardcoded_credential(name, value).is_none_or(|c| c < Confidence::Medium) {
            continue;
        }
        let message = format!(
            "{} assigns a hard-coded credential to `{}` ({})",
            subject.address,
            name,
            redact(value)
        );
        hits.push(hit(
            &subject.address,
            span(fs, &range),
            name.to_string(),
            message,
            span(fs, &range),
        ));
    }
}

/// The (name, value) ranges of the assignments in `text` whose text
/// mentions a credential word: capture groups cost far more than a match,
/// and only such an assignment can have a credential name.
fn assignments(re: &Regex, by_line: bool, text: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let groups = |at: usize, caps: regex::Captures| {
        let (name, value) = (caps.get(1)?, caps.get(2)?);
        Some((at + name.start()..at + name.end(), at + value.start()..at + value.end()))
    };
    if !by_line {
        return re
            .find_iter(text)
            .filter(|m| mentions_credential_word(m.as_str()))
            .filter_map(|m| groups(0, re.captures_at(text, m.start())?))
            .collect();
    }
    // A line pattern matches a whole line (`^…$`, nothing in it crosses a
    // newline) or nothing: a line that mentions no credential word is
    // passed over before any regex runs on it.
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split('\n') {
        if mentions_credential_word(line)
            && let Some(found) = re.captures(line).and_then(|caps| groups(at, caps))
        {
            out.push(found);
        }
        at += line.len() + 1;
    }
    out
}

/// The inside of a string literal written in place (`"…"`, or a heredoc),
/// without interpolation: `None` for references, computed values and
/// values that come from elsewhere (a variable default, a tfvars file).
fn literal_in_place(cx: &CheckCx, subject: &Subject, v: &Val) -> Option<Span> {
    let s = v.span?;
    v.as_str()?;
    if s.file != subject.file || s.start < subject.span.start || s.end > subject.span.end {
        return None;
    }
    let text = cx.sources.get(s.file).slice(s);
    if text.contains("${") || text.contains("%{") {
        return None;
    }
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        Some(Span::new(s.file, s.start as usize + 1, s.end as usize - 1))
    } else if text.starts_with("<<") {
        Some(s)
    } else {
        None
    }
}

/// One step of the path to a value: a key, or an index in a list.
#[derive(Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// The path of `steps` as findings show it: `a.b[0].c`.
fn path_of(steps: &[Step]) -> String {
    use std::fmt::Write;
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Step::Index(i) => {
                let _ = write!(path, "[{i}]");
            }
        }
    }
    path
}

/// Walk a subject's value: attributes, nested blocks and maps, and the
/// `{ name = "X", value = "…" }` pairs of environment lists. `visit` gets
/// the name a string is assigned to, the steps to it and the string; the
/// steps are one stack, pushed and popped on the way, made into a path
/// ([`path_of`]) only for the few values reported.
fn walk<'v>(v: &'v Val, steps: &mut Vec<Step<'v>>, visit: &mut dyn FnMut(&str, &[Step<'v>], &'v Val)) {
    match &v.kind {
        ValKind::Map(entries) => {
            let name = v.get("name").and_then(Val::as_str);
            if let (Some(name), Some(value)) = (name, v.get("value"))
                && value.as_str().is_some()
            {
                steps.push(Step::Key("value"));
                visit(name, steps, value);
                steps.pop();
            }
            for e in entries {
                steps.push(Step::Key(&e.key));
                if e.value.as_str().is_some() {
                    visit(&e.key, steps, &e.value);
                }
                walk(&e.value, steps, visit);
                steps.pop();
            }
        }
        ValKind::List(items) => {
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Index(i));
                walk(item, steps, visit);
                steps.pop();
            }
        }
        _ => {}
    }
}

fn terraform_hardcoded_credential(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let mut seen: Vec<Span> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    for subject in &cx.set.subjects {
        let mut candidate = |name: &str, steps: &[Step], value: &Val| {
            // Most names rule a credential out: test them before the source.
            if !mentions_credential_word(name) {
                return;
            }
            let Some(inner) = literal_in_place(cx, subject, value) else {
                return;
            };
            let text = value.as_str().unwrap_or_default();
            if seen.contains(&inner) || hardcoded_credential(name, text).is_none_or(|c| c < Confidence::Medium) {
                return;
            }
            seen.push(inner);
            let path = path_of(steps);
            let message = format!(
                "{} sets `{}` to a hard-coded credential ({})",
                subject.address,
                path,
                redact(text)
            );
            hits.push(hit(&subject.address, inner, path, message, inner));
        };
        steps.clear();
        match &*subject.class {
            "variable" => {
                if let Some(default) = subject.value.get("default") {
                    steps.push(Step::Key("default"));
                    if default.as_str().is_some() {
                        candidate(&subject.kind, &steps, default);
                    }
                    walk(default, &mut steps, &mut candidate);
                }
            }
            "resource" | "data" | "provider" | "module" | "output" => walk(&subject.value, &mut steps, &mut candidate),
            _ => {}
        }
    }
}

fn credential_not_sensitive(cx: &CheckCx, hits: &mut Vec<Hit>) {
    for subject in &cx.set.subjects {
        if !matches!(&*subject.class, "variable" | "output")
            || !credential_name(&subject.kind)
            || holds_a_pointer(subject, cx)
        {
            continue;
        }
        let flag = |key: &str| subject.value.get(key).map(|v| v.as_bool());
        let truth = match (flag("sensitive"), flag("ephemeral")) {
            (Some(Some(true)), _) | (_, Some(Some(true))) => continue,
            (Some(None), _) | (_, Some(None)) => Tri::Unknown,
            _ => Tri::True,
        };
        let at = subject.value.entry("sensitive");
        hits.push(Hit {
            truth,
            address: subject.address.clone(),
            instance: None,
            witness: Witness {
                span: at.and_then(|e| e.key_span).unwrap_or(subject.header),
                path: "sensitive".into(),
                value: None,
                related: Vec::new(),
            },
            context: Vec::new(),
            message: None,
            sensitive: Vec::new(),
        });
    }
}

/// A description saying the block holds the name, path or ARN of a
/// credential, not the credential: "The name of the Datadog API secret",
/// "Kube Secret Name for tailscale", "Chamber parameter name".
static DESCRIBES_A_POINTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(?:name|path|arn|identifier)\s+(?:of|for)\s+(?:[\w-]+\s+){0,4}?",
        r"(?:secret|token|password|key|credential)s?\b",
        r"|\b(?:secret|token|password|key|credential|parameter)s?\s+(?:name|path|arn)\b",
    ))
    .expect("valid regex")
});

/// An output's value written as a reference to an identifier
/// (`module.secret.secrets[var.name].id`, `aws_secretsmanager_secret.db.arn`).
static IDENTIFIER_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*\.(?:id|arn|name|self_link|secret_id|versionless_id)$",
    )
    .expect("valid regex")
});

/// Whether a credential-named variable or output says it holds something
/// that points at a credential rather than the credential itself: its
/// description says so, or (an output) its value is a resource's identifier.
fn holds_a_pointer(subject: &Subject, cx: &CheckCx) -> bool {
    let described = subject
        .value
        .get("description")
        .and_then(Val::as_str)
        .is_some_and(|d| DESCRIBES_A_POINTER.is_match(d));
    let identifier = &*subject.class == "output"
        && subject
            .value
            .get("value")
            .and_then(|v| v.span)
            .is_some_and(|span| IDENTIFIER_REFERENCE.is_match(cx.sources.get(span.file).slice(span).trim()));
    described || identifier
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `assignments` gave when it ran the pattern over the whole text.
    fn over_whole_text(re: &Regex, text: &str) -> Vec<(Range<usize>, Range<usize>)> {
        re.find_iter(text)
            .filter(|m| mentions_credential_word(m.as_str()))
            .filter_map(|m| re.captures_at(text, m.start()))
            .filter_map(|caps| Some((caps.get(1)?.range(), caps.get(2)?.range())))
            .collect()
    }

    #[test]
    fn line_patterns_find_by_line_what_they_find_in_the_whole_text() {
        let text = concat!(
            "db_password = \"Zq8kP2vWx7LmN4\"\n",
            "  \"api_key\" = \"k\\\"ey\\\\\" , # token\r\n",
            "region = \"eu-west-1\"\n",
            "\n",
            "\r\n",
            "token=\"a\" // secret\n",
            "export GITHUB_TOKEN=\"ghp_x\"\n",
            "secret_key: 'abc' # note\r\n",
            "SECRET_KEY = abc def\n",
            "Пароль_pwd = \"é\"\n",
            "password = \"unterminated\n",
            "tags = { token = \"x\" }\n",
            "client_secret = \"last line, no newline\""
        );
        for re in [&*HCL_ASSIGNMENT, &*ENV_ASSIGNMENT] {
            let whole = over_whole_text(re, text);
            assert!(!whole.is_empty());
            assert_eq!(assignments(re, true, text), whole, "{}", re.as_str());
            for cut in 0..text.len() {
                if text.is_char_boundary(cut) {
                    assert_eq!(assignments(re, true, &text[cut..]), over_whole_text(re, &text[cut..]));
                }
            }
        }
    }
}
