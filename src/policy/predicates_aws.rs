//! Predicates for AWS policies: resource policy documents open to everyone,
//! and blank values that a provider treats as "not set".

use super::condition::{Outcome, Tri, Witness, join_path, witness_for};
use super::path::{Reached, resolve};
use super::predicates::{Predicate, PredicateCx, iam_glob, strings_of};
use crate::value::{Unknown, Val, ValKind};

/// The attribute at `path` is not set: absent, null, or an empty string,
/// which AWS providers read as "not set".
pub const UNSET: Predicate = Predicate {
    name: "unset",
    description: "The attribute at `path` is absent, null, or an empty or all-whitespace string. An attribute computed by a managed resource (`aws_kms_key.k.arn`) is always set; other unknown values (a variable without a value, a data source) are inconclusive.",
    arguments: &[],
    needs_path: true,
    validate: no_arguments,
    eval: unset,
};

/// A resource policy (bucket, queue, topic, key, repository…) lets anyone in.
pub const POLICY_ALLOWS_ANYONE: Predicate = Predicate {
    name: "policy-allows-anyone",
    description: "The policy document at `path` (JSON text or an object) has an `Allow` statement whose principal is everyone (`\"*\"` or `{\"AWS\": \"*\"}`) and which has no `Condition` narrowing who may use it.",
    arguments: &[(
        "actions",
        "action patterns that count, e.g. [\"s3:GetObject\"]; omit to count any action",
    )],
    needs_path: true,
    validate: validate_actions,
    eval: policy_allows_anyone,
};

fn no_arguments(args: &toml::Table) -> Result<(), String> {
    match args.keys().next() {
        Some(k) => Err(format!("unknown argument `{k}`; this predicate takes none")),
        None => Ok(()),
    }
}

fn validate_actions(args: &toml::Table) -> Result<(), String> {
    for (k, v) in args {
        if k != "actions" {
            return Err(format!("unknown argument `{k}`; expected: actions"));
        }
        let ok = v
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|x| x.is_str()));
        if !ok {
            return Err("`actions` must be a non-empty list of action patterns".into());
        }
    }
    Ok(())
}

fn outcome(truth: Tri, witness: Option<Witness>) -> Outcome {
    Outcome { truth, witness }
}

/// The witness for an unknown met while resolving a path.
fn unknown_witness(unknown: &Option<(crate::source::Span, String, Unknown)>) -> Option<Witness> {
    unknown.as_ref().map(|(span, path, why)| Witness {
        span: *span,
        path: path.clone(),
        value: Some(format!("unknown ({why})")),
        related: vec![],
    })
}

/// A value computed by a managed resource when applied (an id, an ARN): the
/// provider never leaves those empty.
fn computed_by_resource(v: &Val) -> bool {
    matches!(v.kind, ValKind::Unknown(Unknown::Computed))
        && v.reference
            .as_deref()
            .is_some_and(|r| !r.starts_with("data.") && !r.starts_with("module."))
}

fn unset(p: &PredicateCx) -> Outcome {
    let Some(path) = p.path else {
        return outcome(Tri::False, None);
    };
    let r = resolve(p.focus, path);
    if r.found.is_empty() {
        if let Some(w) = unknown_witness(&r.unknown) {
            return outcome(Tri::Unknown, Some(w));
        }
        let span = r.absent_at.as_ref().map(|a| a.0).unwrap_or(p.focus.loc);
        return outcome(
            Tri::True,
            Some(Witness {
                span,
                path: join_path(p.focus.path, &path.text),
                value: None,
                related: vec![],
            }),
        );
    }
    let mut unknown = None;
    for reached in &r.found {
        let v = reached.val;
        if computed_by_resource(v) {
            continue;
        }
        let w = || witness_for(p.cx, reached.loc, &reached.path, Some(v));
        match &v.kind {
            ValKind::String(s) if s.trim().is_empty() => return outcome(Tri::True, Some(w())),
            ValKind::Unknown(_) => {
                unknown.get_or_insert_with(w);
            }
            _ => {}
        }
    }
    match unknown {
        Some(w) => outcome(Tri::Unknown, Some(w)),
        None => outcome(Tri::False, None),
    }
}

/// Whether a statement's principal is everyone.
fn principal_is_anyone(principal: Option<&serde_json::Value>) -> bool {
    match principal {
        Some(serde_json::Value::String(s)) => s == "*",
        Some(serde_json::Value::Object(m)) => m
            .get("AWS")
            .is_some_and(|aws| strings_of(Some(aws)).iter().any(|s| s == "*")),
        _ => false,
    }
}

/// Whether a policy document has an unconditional `Allow` for everyone that
/// grants one of `actions` (any action when `actions` is empty).
pub fn document_allows_anyone(doc: &serde_json::Value, actions: &[String]) -> bool {
    let statements: Vec<&serde_json::Value> = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(s @ serde_json::Value::Object(_)) => vec![s],
        _ => vec![],
    };
    statements.into_iter().any(|st| {
        let allow = st
            .get("Effect")
            .and_then(|e| e.as_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        let conditioned = st
            .get("Condition")
            .is_some_and(|c| c.as_object().is_some_and(|m| !m.is_empty()));
        if !allow || conditioned || !principal_is_anyone(st.get("Principal")) {
            return false;
        }
        if actions.is_empty() {
            return true;
        }
        let granted = strings_of(st.get("Action"));
        actions.iter().any(|a| granted.iter().any(|g| iam_glob(g, a)))
    })
}

/// The policy documents at a path: parsed JSON text or objects, with the
/// witness of the first unknown one.
fn documents<'v>(
    p: &PredicateCx<'_, 'v>,
    reached: &'v [Reached<'v>],
) -> (Vec<(serde_json::Value, &'v Reached<'v>)>, Option<Witness>) {
    let mut docs = Vec::new();
    let mut unknown = None;
    for r in reached {
        match &r.val.kind {
            ValKind::String(s) => {
                if let Ok(d) = serde_json::from_str::<serde_json::Value>(s) {
                    docs.push((d, r));
                }
            }
            ValKind::Map(_) => {
                if r.val.contains_unknown() {
                    unknown.get_or_insert_with(|| witness_for(p.cx, r.loc, &r.path, Some(r.val)));
                }
                docs.push((r.val.to_json(), r));
            }
            ValKind::Unknown(_) => {
                unknown.get_or_insert_with(|| witness_for(p.cx, r.loc, &r.path, Some(r.val)));
            }
            _ => {}
        }
    }
    (docs, unknown)
}

fn policy_allows_anyone(p: &PredicateCx) -> Outcome {
    let actions: Vec<String> = p
        .args
        .get("actions")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let Some(path) = p.path else {
        return outcome(Tri::False, None);
    };
    let r = resolve(p.focus, path);
    let (docs, unknown) = documents(p, &r.found);
    for (doc, reached) in &docs {
        if document_allows_anyone(doc, &actions) {
            return outcome(
                Tri::True,
                Some(witness_for(p.cx, reached.loc, &reached.path, Some(reached.val))),
            );
        }
    }
    match unknown.or_else(|| unknown_witness(&r.unknown)) {
        Some(w) => outcome(Tri::Unknown, Some(w)),
        None => outcome(Tri::False, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn anyone_principals() {
        let open = doc(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}"#);
        assert!(document_allows_anyone(&open, &[]));
        assert!(document_allows_anyone(&open, &["sqs:SendMessage".into()]));
        assert!(!document_allows_anyone(&open, &["sqs:DeleteQueue".into()]));
        let aws = doc(r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"*"}}"#);
        assert!(document_allows_anyone(&aws, &["s3:GetObject".into()]));
        let account = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"*"}]}"#,
        );
        assert!(!document_allows_anyone(&account, &[]));
        let conditioned = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}}]}"#,
        );
        assert!(!document_allows_anyone(&conditioned, &[]));
        let service = doc(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"*"}]}"#);
        assert!(!document_allows_anyone(&service, &[]));
        let deny = doc(r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*"}]}"#);
        assert!(!document_allows_anyone(&deny, &[]));
    }
}
