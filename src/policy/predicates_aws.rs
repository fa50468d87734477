//! Predicates for AWS policies: resource policy documents open to everyone,
//! and blank values that a provider treats as "not set".

use std::collections::HashMap;

use super::condition::{EvalCx, Outcome, Tri, Witness, refers_to, witness_for};
use super::path::{Reached, resolve};
use super::predicates::{
    OPAQUE, Predicate, PredicateCx, UNKNOWN_FIELDS, absent_witness, blocks, document_grants, document_grants_on,
    document_of, iam_glob, only_keys, string_list, strings_of, unknown_witness,
};
use crate::source::Span;
use crate::subject::Subject;
use crate::value::{Str, Unknown, Val, ValKind};

/// The attribute at `path` is not set: absent, null, or an empty string,
/// which AWS providers read as "not set".
pub const UNSET: Predicate = Predicate {
    name: "unset",
    description: "The attribute at `path` is absent, null, or an empty or all-whitespace string. An attribute computed by a managed resource (`aws_kms_key.k.arn`) is always set; other unknown values (a variable without a value, a data source) are inconclusive.",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: unset,
};

/// A resource policy (bucket, queue, topic, key, repository…) lets anyone in.
pub const POLICY_ALLOWS_ANYONE: Predicate = Predicate {
    name: "policy-allows-anyone",
    description: "The policy document at `path` (JSON text, an object, or an `aws_iam_policy_document`) has an `Allow` statement for everyone (`\"*\"` or `{\"AWS\": \"*\"}`) that no condition confines, as IAM Access Analyzer reads it: a fixed value of a key naming accounts, organisations, networks or services (`aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOwner`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:userid`, `kms:CallerAccount`…) under a positive operator, or a `Deny` for everyone outside such values covering its actions and resources. `aws:SourceIp`, transport, time and tag conditions confine nothing; an unlisted key makes it inconclusive.",
    arguments: &[
        (
            "actions",
            "action patterns that count, e.g. [\"s3:GetObject\"]; omit to count any action",
        ),
        (
            "even-if-confined",
            "`true`: count a statement for everyone whatever its conditions and the document's `Deny` statements say (for grants too broad for any caller, such as every action of a service)",
        ),
    ],
    needs_path: true,
    regex_argument: None,
    validate: validate_anyone,
    eval: policy_allows_anyone,
};

/// A role's trust policy lets named accounts assume it with nothing asked of
/// the caller (the confused deputy problem of cross-account roles).
pub const TRUST_WITHOUT_GUARD: Predicate = Predicate {
    name: "trust-allows-account-unguarded",
    description: "The trust policy at `path` has an `Allow` statement that lets an AWS account or a principal of one named by ARN (`123456789012`, `arn:aws:iam::123456789012:root`, a role or user ARN) call `sts:AssumeRole` with no condition asking for an external ID (`sts:ExternalId`), multi-factor authentication (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`) or membership of an organisation (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`); an empty value asks for nothing. Inconclusive when the principal, the action or the condition of such a statement is unknown.",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: trust_allows_account_unguarded,
};

/// A role's trust policy lets an AWS service assume it: what the role is for
/// (a Lambda@Edge function's role trusts `edgelambda.amazonaws.com`).
pub const TRUST_ALLOWS_SERVICE: Predicate = Predicate {
    name: "trust-allows-service",
    description: "The trust policy at `path` has an `Allow` statement whose `Principal.Service` names one of `services` (case-insensitive). Inconclusive when the effect or the principal of a statement is unknown.",
    arguments: &[("services", "service principals, e.g. [\"edgelambda.amazonaws.com\"]")],
    needs_path: true,
    regex_argument: None,
    validate: validate_services,
    eval: trust_allows_service,
};

/// A resource policy does not insist on TLS.
pub const POLICY_ACCEPTS_HTTP: Predicate = Predicate {
    name: "policy-accepts-http",
    description: "The policy document at `path` neither denies requests sent without TLS (a `Deny` statement with `aws:SecureTransport` false under `Bool` or `BoolIfExists`) nor limits every one of its `Allow` statements to TLS (`aws:SecureTransport` true). Inconclusive when the document is not fully known and no such `Deny` is seen.",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: policy_accepts_http,
};

/// A statement that allows everything except what it lists.
pub const ALLOWS_NOT_ACTION: Predicate = Predicate {
    name: "policy-allows-not-action",
    description: "The policy document at `path` has an `Allow` statement written with `NotAction`: it grants every action of every service except those listed, including actions AWS adds later. Inconclusive when such a statement's effect, or whether it has `NotAction`, is unknown.",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: policy_allows_not_action,
};

/// A field inside a JSON document held as text (ECS container definitions,
/// Batch container properties).
pub const JSON_FIELD: Predicate = Predicate {
    name: "json-field",
    description: "The JSON document at `path` (text, as `jsonencode` or a heredoc writes it, or an object) has a field at `pointer` (dotted keys, `*` for every array element or object entry) that equals `equals` or matches the regex `matches`; with `exists = false`, has no such field (or only null or empty ones), and text that is not JSON is then inconclusive.",
    arguments: &[
        (
            "pointer",
            "where in the document, e.g. `privileged` or `*.environment.*.name`",
        ),
        ("equals", "the value that fails (JSON `true`, a number or a string)"),
        ("matches", "a regular expression the field's text matches to fail"),
        ("exists", "`false`: fail when the document has no field at `pointer`"),
    ],
    needs_path: true,
    regex_argument: Some("matches"),
    validate: validate_json_field,
    eval: json_field,
};

fn validate_json_field(args: &toml::Table) -> Result<(), String> {
    for k in args.keys() {
        if !["pointer", "equals", "matches", "exists"].contains(&k.as_str()) {
            return Err(format!(
                "unknown argument `{k}`; expected: pointer, equals, matches, exists"
            ));
        }
    }
    if args.get("pointer").is_none_or(|p| p.as_str().is_none_or(str::is_empty)) {
        return Err("`pointer` is required: a dotted path into the document".into());
    }
    match (args.get("equals"), args.get("matches"), args.get("exists")) {
        (Some(_), None, None) => Ok(()),
        // Compiled with the condition (`regex_argument`).
        (None, Some(m), None) => m
            .as_str()
            .map(|_| ())
            .ok_or_else(|| "`matches` must be a string".into()),
        (None, None, Some(toml::Value::Boolean(false))) => Ok(()),
        (None, None, Some(_)) => {
            Err("`exists` can only be `false` (use `matches` to test a field that is there)".into())
        }
        _ => Err("give exactly one of `equals`, `matches` or `exists`".into()),
    }
}

/// Every value at a dotted pointer (`*` fans out over arrays and objects).
fn json_at<'j>(doc: &'j serde_json::Value, pointer: &str) -> Vec<&'j serde_json::Value> {
    let mut frontier = vec![doc];
    for seg in pointer.split('.') {
        frontier = frontier
            .into_iter()
            .flat_map(|v| -> Vec<&serde_json::Value> {
                match (seg, v) {
                    ("*", serde_json::Value::Array(a)) => a.iter().collect(),
                    ("*", serde_json::Value::Object(o)) => o.values().collect(),
                    (key, serde_json::Value::Object(o)) => o.get(key).into_iter().collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    frontier
}

/// Terraform-style loose equality between a JSON field and a policy value:
/// `"true"` equals `true`, `"1"` equals `1`.
fn json_equals(field: &serde_json::Value, want: &toml::Value) -> bool {
    let text = match field {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return false,
    };
    match want {
        toml::Value::Boolean(b) => text.eq_ignore_ascii_case(&b.to_string()),
        toml::Value::Integer(i) => text.parse::<f64>().is_ok_and(|x| x == *i as f64),
        toml::Value::Float(f) => text.parse::<f64>().is_ok_and(|x| x == *f),
        toml::Value::String(s) => text == *s,
        _ => false,
    }
}

fn json_field(p: &PredicateCx) -> Outcome {
    let pointer = p.args.get("pointer").and_then(|v| v.as_str()).unwrap_or_default();
    let hit = |field: &serde_json::Value| match (p.regex, p.args.get("equals")) {
        (Some(re), _) => field.as_str().is_some_and(|s| re.is_match(s)),
        (None, Some(want)) => json_equals(field, want),
        (None, None) => false,
    };
    let Some(path) = p.path else {
        return outcome(Tri::False, None);
    };
    let r = resolve(p.focus, path);
    if p.args.contains_key("exists") {
        return json_field_missing(p, &r, pointer);
    }
    let (docs, unknown) = documents(p, &r.found);
    for Document { json, reached, .. } in &docs {
        if json_at(json, pointer).into_iter().any(hit) {
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

/// `json-field` with `exists = false`: the document lacks the field.
fn json_field_missing(p: &PredicateCx, r: &super::path::Resolution, pointer: &str) -> Outcome {
    let present = |field: &&serde_json::Value| match field {
        serde_json::Value::Null => false,
        serde_json::Value::String(s) => !s.trim().is_empty(),
        _ => true,
    };
    let mut unknown = unknown_witness(&r.unknown);
    for reached in &r.found {
        let witness = || witness_for(p.cx, reached.loc, &reached.path, Some(reached.val));
        let json = match &reached.val.kind {
            ValKind::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
                Ok(json) => json,
                // YAML, or text Palisade cannot read: the field may be there.
                Err(_) => {
                    unknown.get_or_insert_with(witness);
                    continue;
                }
            },
            ValKind::Map(_) | ValKind::List(_) => reached.val.to_json(),
            ValKind::Unknown(_) => {
                unknown.get_or_insert_with(witness);
                continue;
            }
            _ => continue,
        };
        if !json_at(&json, pointer).iter().any(present) {
            // An unknown part of an object may be the field.
            if reached.val.contains_unknown() {
                unknown.get_or_insert_with(witness);
            } else {
                return outcome(Tri::True, Some(witness()));
            }
        }
    }
    match unknown {
        Some(w) => outcome(Tri::Unknown, Some(w)),
        None => outcome(Tri::False, None),
    }
}

pub(super) fn no_arguments(args: &toml::Table) -> Result<(), String> {
    match args.keys().next() {
        Some(k) => Err(format!("unknown argument `{k}`; this predicate takes none")),
        None => Ok(()),
    }
}

fn validate_anyone(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["actions", "even-if-confined"])?;
    if let Some(v) = args.get("actions") {
        let ok = v
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|x| x.is_str()));
        if !ok {
            return Err("`actions` must be a non-empty list of action patterns".into());
        }
    }
    if args.get("even-if-confined").is_some_and(|v| !v.is_bool()) {
        return Err("`even-if-confined` must be true or false".into());
    }
    Ok(())
}

fn outcome(truth: Tri, witness: Option<Witness>) -> Outcome {
    Outcome { truth, witness }
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
        return outcome(Tri::True, Some(absent_witness(p, path, &r)));
    }
    let mut unknown = None;
    for reached in &r.found {
        let v = reached.val;
        if v.computed_by_resource() {
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

/// Condition keys that confine a statement to principals or networks the
/// owner names, as IAM Access Analyzer reads them: with a fixed value under a
/// positive operator, a `Principal: "*"` grant is no longer public.
const BOUNDING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalservicename",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "kms:calleraccount",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
];

/// Condition keys known not to confine who calls: transport, time, region,
/// caller-chosen headers and tags, request parameters, and the source IP
/// (an address range admits anonymous callers from it: a shared NAT, a cloud
/// provider's range), and `sts:ExternalId` (not a secret). Keys in neither
/// list make a verdict inconclusive.
const NON_BOUNDING_KEYS: &[&str] = &[
    "aws:securetransport",
    "aws:referer",
    "aws:useragent",
    "aws:sourceip",
    "aws:vpcsourceip",
    "aws:currenttime",
    "aws:epochtime",
    "aws:requestedregion",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:viaawsservice",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
    "aws:principaltype",
    "aws:tagkeys",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "sts:externalid",
    "s3:prefix",
    "s3:delimiter",
    "s3:max-keys",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-content-sha256",
    "s3:signatureversion",
    "s3:signatureage",
    "s3:tlsversion",
    "s3:authtype",
    "s3:versionid",
];

/// Key prefixes (tags, encryption context) that never confine who calls:
/// a caller sets them on its own requests and principals.
const NON_BOUNDING_PREFIXES: &[&str] = &[
    "aws:requesttag/",
    "aws:resourcetag/",
    "aws:principaltag/",
    "s3:existingobjecttag/",
    "s3:requestobjecttag/",
    "kms:encryptioncontext:",
];

/// Operators under which a bounding key confines the statement: it must be
/// present and equal (or match) one of the values. `IfExists` forms and
/// `ForAllValues` pass requests without the key, negated forms pass everyone
/// else, so none of them confine.
fn confining_operator(operator: &str) -> Option<bool> {
    let op = operator.to_ascii_lowercase();
    let op = op.strip_prefix("foranyvalue:").unwrap_or(&op);
    match op {
        "stringequals" | "stringequalsignorecase" => Some(false),
        "stringlike" | "arnequals" | "arnlike" => Some(true),
        _ => None,
    }
}

/// Whether a condition value names one thing: no wildcard where the operator
/// expands them, no policy variable.
fn fixed_value(value: &str, wildcards: bool) -> bool {
    !value.is_empty() && !value.contains("${") && !(wildcards && (value.contains('*') || value.contains('?')))
}

/// Whether every value of a condition key is fixed. A value Palisade cannot
/// read (null in the document: `aws_sns_topic.t.arn`, a variable) is taken to
/// be one, as such references almost always are: the doubt goes to silence.
fn fixed_values(value: &serde_json::Value, wildcards: bool) -> bool {
    let fixed = |v: &serde_json::Value| match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => fixed_value(s, wildcards),
        _ => false,
    };
    match value {
        serde_json::Value::Array(items) => !items.is_empty() && items.iter().all(fixed),
        other => fixed(other),
    }
}

/// Whether a statement's `Condition` confines it to named accounts,
/// organisations, networks or services: `True` when one key does (conditions
/// are all required), `False` when every key is known not to, `Unknown` when
/// a key is neither.
fn condition_confines(condition: Option<&serde_json::Value>) -> Tri {
    let Some(operators) = condition.and_then(|c| c.as_object()) else {
        return Tri::False;
    };
    let mut verdict = Tri::False;
    for (operator, keys) in operators {
        let Some(keys) = keys.as_object() else {
            verdict = Tri::Unknown;
            continue;
        };
        for (key, value) in keys {
            let key = key.to_ascii_lowercase();
            if BOUNDING_KEYS.contains(&key.as_str()) {
                let confines = confining_operator(operator).is_some_and(|wildcards| fixed_values(value, wildcards));
                if confines {
                    return Tri::True;
                }
            } else if key == "aws:principalisawsservice" {
                let only_services = operator.eq_ignore_ascii_case("bool")
                    && bool_values(value).iter().all(|b| *b)
                    && !bool_values(value).is_empty();
                if only_services {
                    return Tri::True;
                }
            } else if !NON_BOUNDING_KEYS.contains(&key.as_str())
                && !NON_BOUNDING_PREFIXES.iter().any(|p| key.starts_with(p))
            {
                verdict = Tri::Unknown;
            }
        }
    }
    verdict
}

/// The values of a `Bool` condition: JSON booleans or their text.
fn bool_values(value: &serde_json::Value) -> Vec<bool> {
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => s.parse::<bool>().ok(),
        _ => None,
    };
    match value {
        serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// The negated operators under which a `Deny` on a bounding key refuses
/// everyone outside the named values (`IfExists` refuses requests without
/// the key too), and whether they expand wildcards.
fn refusing_operator(operator: &str) -> Option<bool> {
    let op = operator.to_ascii_lowercase();
    let op = op.strip_suffix("ifexists").unwrap_or(&op);
    match op {
        "stringnotequals" | "stringnotequalsignorecase" => Some(false),
        "stringnotlike" | "arnnotequals" | "arnnotlike" => Some(true),
        _ => None,
    }
}

/// Whether every value in `inner` is matched by one of the patterns `outer`.
fn patterns_cover(outer: &[String], inner: &[String]) -> bool {
    !inner.is_empty() && inner.iter().all(|i| outer.iter().any(|o| iam_glob(o, i)))
}

/// Whether `deny` refuses, to everyone outside named accounts, organisations
/// or networks, every action of `allow` on every one of its resources: the
/// usual way to confine a public grant (`Deny` unless `aws:SourceVpce` is the
/// endpoint). Its condition may hold nothing but such negated keys, or it
/// would refuse less.
fn deny_confines(deny: &serde_json::Value, allow: &serde_json::Value) -> bool {
    if !effect_is(deny, "deny")
        || !principal_is_anyone(deny.get("Principal"))
        || deny.get("NotAction").is_some_and(|v| !v.is_null())
        || deny.get("NotResource").is_some_and(|v| !v.is_null())
    {
        return false;
    }
    let Some(operators) = deny.get("Condition").and_then(|c| c.as_object()) else {
        return false;
    };
    let mut refuses = false;
    for (operator, keys) in operators {
        let Some(keys) = keys.as_object() else {
            return false;
        };
        for (key, value) in keys {
            let ok = BOUNDING_KEYS.contains(&key.to_ascii_lowercase().as_str())
                && refusing_operator(operator).is_some_and(|wildcards| fixed_values(value, wildcards));
            if !ok {
                return false;
            }
            refuses = true;
        }
    }
    refuses
        && patterns_cover(&strings_of(deny.get("Action")), &strings_of(allow.get("Action")))
        && patterns_cover(&strings_of(deny.get("Resource")), &strings_of(allow.get("Resource")))
}

/// Whether a policy document lets everyone use one of `actions` (any action
/// when empty): an `Allow` for the principal `*` that no condition confines
/// to named accounts, organisations, networks or services, and no `Deny` of
/// the document confines either. `Unknown` when a condition key is one whose
/// effect on callers is not known.
pub fn document_allows_anyone(doc: &serde_json::Value, actions: &[String]) -> Tri {
    document_grants_anyone(doc, actions, false)
}

/// [`document_allows_anyone`], or with `even_if_confined` whether any `Allow`
/// for the principal `*` grants one of `actions`, whatever confines it.
fn document_grants_anyone(doc: &serde_json::Value, actions: &[String], even_if_confined: bool) -> Tri {
    let statements = statements(doc);
    // A `Deny` not fully known may confine what the known parts leave open.
    let unknown_deny = statements
        .iter()
        .any(|st| !unknown_fields(st).is_empty() && !effect_is(st, "allow"));
    let mut verdict = Tri::False;
    for st in &statements {
        let unknown = unknown_fields(st);
        // What an unknown field might add turns a "no" into "perhaps".
        let mut perhaps = false;
        if !effect_is(st, "allow") {
            if !unknown.contains(&"Effect") {
                continue;
            }
            perhaps = true;
        }
        if !principal_is_anyone(st.get("Principal")) {
            if !unknown.contains(&"Principal") {
                continue;
            }
            perhaps = true;
        }
        if !actions.is_empty() {
            let granted = strings_of(st.get("Action"));
            if !actions.iter().any(|a| granted.iter().any(|g| iam_glob(g, a))) {
                if !unknown.contains(&"Action") {
                    continue;
                }
                perhaps = true;
            }
        }
        let open = if even_if_confined {
            Tri::True
        } else {
            let open = match condition_confines(st.get("Condition")) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            };
            if open == Tri::False || statements.iter().any(|d| deny_confines(d, st)) {
                continue;
            }
            if unknown.contains(&"Condition") || ((unknown_deny || !unknown.is_empty()) && has_deny(&statements)) {
                Tri::Unknown
            } else {
                open
            }
        };
        verdict = verdict.max(if perhaps { open.min(Tri::Unknown) } else { open });
        if verdict == Tri::True {
            break;
        }
    }
    verdict
}

/// The fields of a statement rebuilt from a data source that are not fully
/// known (see [`UNKNOWN_FIELDS`]).
fn unknown_fields(st: &serde_json::Value) -> Vec<&str> {
    st.get(UNKNOWN_FIELDS)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default()
}

/// Whether some statement is (or, with an unknown effect, may be) a `Deny`.
fn has_deny(statements: &[&serde_json::Value]) -> bool {
    statements
        .iter()
        .any(|st| effect_is(st, "deny") || unknown_fields(st).contains(&"Effect"))
}

/// A policy document found at a path, and whether all of it is known.
pub(super) struct Document<'v> {
    pub(super) json: serde_json::Value,
    pub(super) reached: &'v Reached<'v>,
    complete: bool,
}

impl Document<'_> {
    /// Whether every unknown part is marked on its statement, so the known
    /// statements can still be read (a data source's document).
    fn readable_by_statement(&self) -> bool {
        self.complete
            || (matches!(self.reached.val.kind, ValKind::Unknown(_))
                && self
                    .json
                    .get(OPAQUE)
                    .is_none_or(|v| v != &serde_json::Value::Bool(true)))
    }
}

/// The policy documents at a path (see [`document_of`]), with the witness
/// of the first one not fully known. A partly known `jsonencode` has its
/// unknown fields marked on each statement ([`mark_unknown_fields`]).
pub(super) fn documents<'v>(
    p: &PredicateCx<'_, 'v>,
    reached: &'v [Reached<'v>],
) -> (Vec<Document<'v>>, Option<Witness>) {
    let mut docs = Vec::new();
    let mut unknown = None;
    for r in reached {
        let witness = || witness_for(p.cx, r.loc, &r.path, Some(r.val));
        match document_of(p.cx, r.val) {
            Some((mut json, complete)) => {
                if matches!(r.val.kind, ValKind::Unknown(Unknown::PartialJson { .. })) {
                    mark_unknown_fields(&mut json);
                }
                if !complete {
                    unknown.get_or_insert_with(witness);
                }
                docs.push(Document {
                    json,
                    reached: r,
                    complete,
                });
            }
            None if matches!(r.val.kind, ValKind::Unknown(_)) => {
                unknown.get_or_insert_with(witness);
            }
            // Not JSON text or not a document: nothing to read.
            None => {}
        }
    }
    (docs, unknown)
}

/// Marks, in a document read in part (a `jsonencode` whose unknown values
/// are `null`), the fields of each statement holding a `null`, as
/// `policy_document_data` marks a data source's; a statement, or the list of
/// them, that is itself unknown makes the document [`OPAQUE`].
pub(super) fn mark_unknown_fields(doc: &mut serde_json::Value) {
    fn mark(st: &mut serde_json::Value) -> bool {
        let Some(fields) = st.as_object_mut() else {
            return false;
        };
        let unknown: Vec<serde_json::Value> = fields
            .iter()
            .filter(|(_, v)| holds_null(v))
            .map(|(k, _)| k.as_str().into())
            .collect();
        if !unknown.is_empty() {
            fields.insert(UNKNOWN_FIELDS.into(), unknown.into());
        }
        true
    }
    let readable = match doc.get_mut("Statement") {
        // Every statement is marked, so no short-circuit.
        Some(serde_json::Value::Array(items)) => items.iter_mut().map(mark).filter(|readable| !readable).count() == 0,
        Some(st @ serde_json::Value::Object(_)) => mark(st),
        _ => false,
    };
    if !readable {
        match doc.as_object_mut() {
            Some(fields) => {
                fields.insert(OPAQUE.into(), true.into());
            }
            // Not a document (a list, a string): nothing of it can be read.
            None => *doc = serde_json::Value::Object([(OPAQUE.to_string(), true.into())].into_iter().collect()),
        }
    }
}

/// Whether a value read in part holds an unknown (`null`) anywhere inside.
fn holds_null(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.iter().any(holds_null),
        serde_json::Value::Object(entries) => entries.values().any(holds_null),
        _ => false,
    }
}

/// The statements of a policy document (one object or a list).
pub(super) fn statements(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(s @ serde_json::Value::Object(_)) => vec![s],
        _ => vec![],
    }
}

fn effect_is(st: &serde_json::Value, effect: &str) -> bool {
    st.get("Effect")
        .and_then(|e| e.as_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(effect))
}

/// Whether a statement's `Condition` requires `aws:SecureTransport` to be
/// `secure` (under `Bool` or `BoolIfExists`).
fn requires_secure_transport(st: &serde_json::Value, secure: bool) -> bool {
    let Some(operators) = st.get("Condition").and_then(|c| c.as_object()) else {
        return false;
    };
    operators
        .iter()
        .filter(|(op, _)| op.eq_ignore_ascii_case("bool") || op.eq_ignore_ascii_case("boolifexists"))
        .filter_map(|(_, keys)| keys.as_object())
        .flat_map(|keys| keys.iter())
        .any(|(key, value)| {
            let values: Vec<String> = match value {
                serde_json::Value::Bool(b) => vec![b.to_string()],
                other => strings_of(Some(other)),
            };
            key.eq_ignore_ascii_case("aws:securetransport")
                && !values.is_empty()
                && values.iter().all(|v| v.eq_ignore_ascii_case(&secure.to_string()))
        })
}

/// Whether a document denies plain-HTTP requests.
fn denies_http(doc: &serde_json::Value) -> bool {
    statements(doc)
        .into_iter()
        .any(|st| effect_is(st, "deny") && requires_secure_transport(st, false))
}

/// Whether every `Allow` of a document (there is at least one) needs TLS.
fn allows_only_tls(doc: &serde_json::Value) -> bool {
    let allows: Vec<_> = statements(doc)
        .into_iter()
        .filter(|st| effect_is(st, "allow"))
        .collect();
    !allows.is_empty() && allows.into_iter().all(|st| requires_secure_transport(st, true))
}

/// An account principal as a trust policy names one: an account id, or an
/// IAM or STS ARN that carries one (`arn:aws:iam::123456789012:root`).
fn names_account(principal: &str) -> bool {
    let account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if account(principal) {
        return true;
    }
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && matches!(parts[2], "iam" | "sts")
        && account(parts[4])
}

/// Condition keys that ask something of whoever assumes a role from another
/// account: a shared secret, a second factor, or the caller's organisation.
const TRUST_GUARD_KEYS: &[&str] = &[
    "sts:externalid",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:principalorgid",
    "aws:principalorgpaths",
];

/// Whether a statement's condition holds a guard key with a non-empty value.
fn trust_guarded(condition: Option<&serde_json::Value>) -> bool {
    condition.and_then(|c| c.as_object()).is_some_and(|operators| {
        operators.values().filter_map(|keys| keys.as_object()).any(|keys| {
            keys.iter().any(|(key, value)| {
                let key = key.to_ascii_lowercase();
                let asks = match value {
                    // MFA must be present, not absent.
                    _ if key == "aws:multifactorauthpresent" => {
                        let present = bool_values(value);
                        !present.is_empty() && present.iter().all(|b| *b)
                    }
                    serde_json::Value::Bool(_) | serde_json::Value::Number(_) => true,
                    other => strings_of(Some(other)).iter().any(|v| !v.is_empty()),
                };
                TRUST_GUARD_KEYS.contains(&key.as_str()) && asks
            })
        })
    })
}

/// Whether a trust policy lets a named account assume the role unguarded.
fn document_trusts_account_unguarded(doc: &serde_json::Value) -> Tri {
    let mut verdict = Tri::False;
    for st in statements(doc) {
        let unknown = unknown_fields(st);
        let mut perhaps = false;
        // A test that fails on a field not fully known only makes it "perhaps".
        let mut holds = |test: bool, field: &str| {
            if test {
                return true;
            }
            perhaps |= unknown.contains(&field);
            unknown.contains(&field)
        };
        let aws = st.get("Principal").and_then(|p| p.get("AWS"));
        let candidate = holds(effect_is(st, "allow"), "Effect")
            && holds(strings_of(aws).iter().any(|p| names_account(p)), "Principal")
            && holds(
                strings_of(st.get("Action"))
                    .iter()
                    .any(|a| iam_glob(a, "sts:AssumeRole")),
                "Action",
            );
        if !candidate || trust_guarded(st.get("Condition")) {
            continue;
        }
        let sure = !perhaps && !unknown.contains(&"Condition");
        verdict = verdict.max(if sure { Tri::True } else { Tri::Unknown });
    }
    verdict
}

fn validate_services(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["services"])?;
    if string_list(args, "services")?.is_none_or(|s| s.is_empty()) {
        return Err("`services` is required: a non-empty list of service principals".into());
    }
    Ok(())
}

fn trust_allows_service(p: &PredicateCx) -> Outcome {
    let services = string_list(p.args, "services").ok().flatten().unwrap_or_default();
    decide_each_document(p, |doc| document_trusts_service(doc, &services))
}

/// Whether a trust policy lets one of `services` assume the role.
fn document_trusts_service(doc: &serde_json::Value, services: &[String]) -> Tri {
    statements(doc)
        .iter()
        .map(|st| {
            let unknown = unknown_fields(st);
            let allow = if unknown.contains(&"Effect") {
                Tri::Unknown
            } else {
                Tri::from_bool(effect_is(st, "allow"))
            };
            let named = strings_of(st.get("Principal").and_then(|p| p.get("Service")))
                .iter()
                .any(|s| services.iter().any(|w| w.eq_ignore_ascii_case(s)));
            let principal = match named {
                true => Tri::True,
                false if unknown.contains(&"Principal") && may_name_service(st.get("Principal")) => Tri::Unknown,
                false => Tri::False,
            };
            allow.min(principal)
        })
        .max()
        .unwrap_or(Tri::False)
}

/// Whether a partly known `Principal` may still name a service: it is not
/// known as a map of principal types, or its `Service` entry (or one whose
/// type is unknown, written `""`) holds an unknown identifier. Unknown
/// account ARNs under `AWS` name no service.
fn may_name_service(principal: Option<&serde_json::Value>) -> bool {
    match principal {
        Some(serde_json::Value::Object(types)) => types
            .iter()
            .any(|(kind, ids)| (kind.is_empty() || kind.eq_ignore_ascii_case("service")) && holds_null(ids)),
        _ => true,
    }
}

fn trust_allows_account_unguarded(p: &PredicateCx) -> Outcome {
    decide_each_document(p, document_trusts_account_unguarded)
}

/// The outcome of `decide` on the documents at the predicate's path: true at
/// the first document it holds true for; unknown when it is unknown for one,
/// or a value could not be read as a document.
fn decide_each_document(p: &PredicateCx, decide: impl Fn(&serde_json::Value) -> Tri) -> Outcome {
    let Some(path) = p.path else {
        return outcome(Tri::False, None);
    };
    let r = resolve(p.focus, path);
    let (docs, _) = documents(p, &r.found);
    let mut unknown = unreadable_witness(p, &r.found, &docs);
    for doc in &docs {
        let reached = doc.reached;
        let witness = || witness_for(p.cx, reached.loc, &reached.path, Some(reached.val));
        match decide(&doc.json) {
            Tri::True => return outcome(Tri::True, Some(witness())),
            Tri::Unknown => {
                unknown.get_or_insert_with(witness);
            }
            Tri::False => {}
        }
    }
    match unknown.or_else(|| unknown_witness(&r.unknown)) {
        Some(w) => outcome(Tri::Unknown, Some(w)),
        None => outcome(Tri::False, None),
    }
}

/// The witness of the first value at a path that could not be read as a
/// document, or only as a whole (not statement by statement).
fn unreadable_witness(p: &PredicateCx, found: &[Reached], docs: &[Document]) -> Option<Witness> {
    let unread = found
        .iter()
        .filter(|f| matches!(f.val.kind, ValKind::Unknown(_)) && !docs.iter().any(|d| std::ptr::eq(d.reached, *f)));
    unread
        .chain(docs.iter().filter(|d| !d.readable_by_statement()).map(|d| d.reached))
        .map(|f| witness_for(p.cx, f.loc, &f.path, Some(f.val)))
        .next()
}

/// The witness of the first value at a path that may still grant one of
/// `actions` on one of `resources` (any resource when empty) once its unknown
/// parts are known: one not readable statement by statement, or a partly
/// known document with a statement whose unknown effect, actions or
/// resources may match. Specific actions on a computed ARN settle nothing.
pub(super) fn undecided_grant(
    p: &PredicateCx,
    found: &[Reached],
    docs: &[Document],
    actions: &[String],
    resources: &[String],
) -> Option<Witness> {
    let covers = |res: &str| resources.is_empty() || resources.iter().any(|r| r == res);
    unreadable_witness(p, found, docs).or_else(|| {
        docs.iter()
            .filter(|d| !d.complete && actions.iter().any(|a| document_may_grant(&d.json, a, covers)))
            .map(|d| witness_for(p.cx, d.reached.loc, &d.reached.path, Some(d.reached.val)))
            .next()
    })
}

fn policy_accepts_http(p: &PredicateCx) -> Outcome {
    let Some(path) = p.path else {
        return outcome(Tri::False, None);
    };
    let r = resolve(p.focus, path);
    let (docs, _) = documents(p, &r.found);
    // Only effects and conditions are read here: a statement whose resources
    // or principals are computed (a bucket's ARN) still decides.
    let decided = |d: &Document| {
        d.complete
            || (d.readable_by_statement()
                && statements(&d.json).iter().all(|st| {
                    let unknown = unknown_fields(st);
                    !unknown.contains(&"Effect") && !unknown.contains(&"Condition")
                }))
    };
    // A known `Deny` settles it even when other parts are unknown.
    if docs
        .iter()
        .any(|d| denies_http(&d.json) || (decided(d) && allows_only_tls(&d.json)))
    {
        return outcome(Tri::False, None);
    }
    let undecided = docs.iter().find(|d| !decided(d)).map(|d| {
        let reached = d.reached;
        witness_for(p.cx, reached.loc, &reached.path, Some(reached.val))
    });
    let unknown = unreadable_witness(p, &r.found, &docs)
        .or(undecided)
        .or_else(|| unknown_witness(&r.unknown));
    if let Some(w) = unknown {
        return outcome(Tri::Unknown, Some(w));
    }
    match docs.first() {
        Some(doc) => {
            let reached = doc.reached;
            outcome(
                Tri::True,
                Some(witness_for(p.cx, reached.loc, &reached.path, Some(reached.val))),
            )
        }
        None => outcome(Tri::False, None),
    }
}

fn policy_allows_not_action(p: &PredicateCx) -> Outcome {
    decide_each_document(p, document_allows_not_action)
}

fn document_allows_not_action(doc: &serde_json::Value) -> Tri {
    statements(doc)
        .iter()
        .map(|st| {
            let unknown = unknown_fields(st);
            let not_action = if unknown.contains(&"NotAction") {
                Tri::Unknown
            } else {
                Tri::from_bool(st.get("NotAction").is_some_and(|v| !v.is_null()))
            };
            let allow = if unknown.contains(&"Effect") {
                Tri::Unknown
            } else {
                Tri::from_bool(effect_is(st, "allow"))
            };
            not_action.min(allow)
        })
        .max()
        .unwrap_or(Tri::False)
}

fn policy_allows_anyone(p: &PredicateCx) -> Outcome {
    let actions: Vec<String> = p
        .args
        .get("actions")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let even_if_confined = p.args.get("even-if-confined").and_then(|v| v.as_bool()) == Some(true);
    decide_each_document(p, |doc| document_grants_anyone(doc, &actions, even_if_confined))
}

/// An IAM principal whose policies, taken together, grant a combination of
/// actions (privilege escalation through `iam:PassRole`).
pub const PRINCIPAL_GRANTS: Predicate = Predicate {
    name: "iam-principal-grants",
    description: "The subject, an `aws_iam_role`, `aws_iam_user` or `aws_iam_group`, is granted every action of one of `combinations` by its policies in the scope taken together: inline (`inline_policy`, `aws_iam_role_policy`, `aws_iam_user_policy`, `aws_iam_group_policy`) and attached `aws_iam_policy` documents (`managed_policy_arns`, `aws_iam_*_policy_attachment`, `aws_iam_policy_attachment`). Actions in `on-every-resource` count only when granted on `*` (or, with `resource-types`, every resource of their type), and under a condition that may confine their targets (`iam:PermissionsBoundary`, a resource tag; not MFA or the caller's network) only as inconclusive. A `jsonencode` document with unknown values is read in part: a value a resource computes (an ARN) is never `*`. Inconclusive when unknown values in the documents (actions or resources from a variable) may complete a combination, or when the known documents grant part of it and a policy that could grant the rest cannot be read (an AWS managed policy, a variable, a data source).",
    arguments: &[
        (
            "combinations",
            "lists of actions that together give a principal more than it has, e.g. [[\"iam:PassRole\", \"ec2:RunInstances\"]]",
        ),
        (
            "on-every-resource",
            "actions that count only when granted on `*`, e.g. [\"iam:PassRole\"]",
        ),
        (
            "resource-types",
            "for actions of `on-every-resource`, the \"service:type\" of the resources they act on, e.g. { \"iam:PassRole\" = \"iam:role\" }: an ARN naming every resource of that type (`arn:aws:iam::*:role/*`) then counts as `*`",
        ),
        (
            "skip-administrators",
            "true: a principal allowed every action on every resource, with no `Deny`, is not reported (it has nothing left to gain)",
        ),
    ],
    needs_path: false,
    regex_argument: None,
    validate: validate_combinations,
    eval: principal_grants,
};

fn validate_combinations(args: &toml::Table) -> Result<(), String> {
    only_keys(
        args,
        &[
            "combinations",
            "on-every-resource",
            "resource-types",
            "skip-administrators",
        ],
    )?;
    if args.get("resource-types").is_some_and(|v| {
        !v.as_table()
            .is_some_and(|t| t.values().all(|k| k.as_str().is_some_and(|k| k.contains(':'))))
    }) {
        return Err(
            "`resource-types` must map actions to \"service:type\" strings, e.g. { \"iam:PassRole\" = \"iam:role\" }"
                .into(),
        );
    }
    if args.get("skip-administrators").is_some_and(|v| !v.is_bool()) {
        return Err("`skip-administrators` must be true or false".into());
    }
    let ok = args
        .get("combinations")
        .and_then(|v| v.as_array())
        .is_some_and(|combos| {
            !combos.is_empty()
                && combos.iter().all(|c| {
                    c.as_array()
                        .is_some_and(|a| !a.is_empty() && a.iter().all(|x| x.is_str()))
                })
        });
    if !ok {
        return Err("`combinations` must be a non-empty list of non-empty lists of actions".into());
    }
    string_list(args, "on-every-resource")?;
    Ok(())
}

/// How policies reach a principal of one kind: inline policy resources and
/// single attachments (resource type, attribute naming the principal), and
/// `aws_iam_policy_attachment`'s list attribute.
struct PrincipalLinks {
    inline: &'static str,
    attachment: &'static str,
    attribute: &'static str,
    shared_attachment_list: &'static str,
}

fn principal_links(kind: &str) -> Option<PrincipalLinks> {
    let (inline, attachment, attribute, list) = match kind {
        "aws_iam_role" => ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "role", "roles"),
        "aws_iam_user" => ("aws_iam_user_policy", "aws_iam_user_policy_attachment", "user", "users"),
        "aws_iam_group" => (
            "aws_iam_group_policy",
            "aws_iam_group_policy_attachment",
            "group",
            "groups",
        ),
        _ => return None,
    };
    Some(PrincipalLinks {
        inline,
        attachment,
        attribute,
        shared_attachment_list: list,
    })
}

/// A policy document that applies to the principal, where it is written,
/// and whether all of it is known.
struct Granting {
    json: serde_json::Value,
    complete: bool,
    at: Span,
}

/// Whether one of `values` (an attribute: a value or a list) names `subject`.
fn names_subject(values: Option<&Val>, subject: &Subject) -> Tri {
    let Some(v) = values else {
        return Tri::False;
    };
    match &v.kind {
        ValKind::List(items) => items.iter().map(|i| refers_to(i, subject)).max().unwrap_or(Tri::False),
        _ => refers_to(v, subject),
    }
}

/// The documents that apply to a principal, and whether some policy that
/// applies (or may apply) could not be read.
#[derive(Default)]
struct PrincipalPolicies {
    docs: Vec<Granting>,
    unreadable: bool,
}

impl PrincipalPolicies {
    fn add(&mut self, cx: &EvalCx, v: Option<&Val>, at: Span) {
        match v.and_then(|v| document_of(cx, v)) {
            // Unknown parts of a document read in part are weighed statement
            // by statement (`document_may_grant`).
            Some((json, complete)) => self.docs.push(Granting { json, complete, at }),
            None => self.unreadable |= v.is_some_and(|v| !v.is_null()),
        }
    }
}

/// The policies of the principal `cx.subject`: its `inline_policy` blocks,
/// inline policy resources naming it, and the `aws_iam_policy` resources
/// its attachments and `managed_policy_arns` name.
fn principal_policies(cx: &EvalCx, links: &PrincipalLinks) -> PrincipalPolicies {
    let subject = cx.subject;
    let mut found = PrincipalPolicies::default();
    for block in blocks(subject.value.get("inline_policy")) {
        found.add(cx, block.get("policy"), block.span.unwrap_or(subject.header));
    }
    let kinds = [Str::from(links.inline)];
    for other in cx.set.select("resource", &kinds) {
        match names_subject(other.value.get(links.attribute), subject) {
            Tri::True => found.add(cx, other.value.get("policy"), other.header),
            Tri::Unknown => found.unreadable = true,
            Tri::False => {}
        }
    }
    let mut arns: Vec<&Val> = Vec::new();
    if let Some(v) = subject.value.get("managed_policy_arns") {
        match &v.kind {
            ValKind::List(items) => arns.extend(items.iter()),
            ValKind::Null => {}
            _ => found.unreadable = true,
        }
    }
    let single = [Str::from(links.attachment)];
    let shared = [Str::from("aws_iam_policy_attachment")];
    let attachments = cx.set.select("resource", &single).map(|a| (a, links.attribute)).chain(
        cx.set
            .select("resource", &shared)
            .map(|a| (a, links.shared_attachment_list)),
    );
    for (attachment, attribute) in attachments {
        match names_subject(attachment.value.get(attribute), subject) {
            Tri::True => arns.extend(attachment.value.get("policy_arn")),
            Tri::Unknown => found.unreadable = true,
            Tri::False => {}
        }
    }
    let policies = [Str::from("aws_iam_policy")];
    for arn in arns {
        let policy = cx
            .set
            .select("resource", &policies)
            .find(|p| refers_to(arn, p) == Tri::True);
        match policy {
            Some(policy) => found.add(cx, policy.value.get("policy"), policy.header),
            // An AWS managed policy, or one defined elsewhere.
            None => found.unreadable = true,
        }
    }
    found
}

/// Whether a document denies `action` on every resource, whatever the
/// request: a `Deny` without condition whose actions match it.
fn denies_everywhere(doc: &serde_json::Value, action: &str) -> bool {
    statements(doc).into_iter().any(|st| {
        effect_is(st, "deny")
            && st.get("Condition").is_none_or(|c| c.is_null())
            && strings_of(st.get("Action")).iter().any(|g| iam_glob(g, action))
            && strings_of(st.get("Resource")).iter().any(|r| r == "*")
    })
}

/// `a`, `a and b`, `a, b and c`.
fn joined(items: &[String]) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Whether an `Allow` statement of a partly unknown document (unknown values
/// read as `null`) may grant `action` on resources `covers` accepts: its
/// actions and resources match or are unknown.
fn document_may_grant(doc: &serde_json::Value, action: &str, covers: impl Fn(&str) -> bool) -> bool {
    has_unseen_statements(doc)
        || statements(doc).into_iter().any(|st| {
            let allow = st.get("Effect").is_none_or(|e| e.is_null()) || effect_is(st, "allow");
            allow
                && may_hold(st, "Action", "NotAction", |g| {
                    iam_glob(if g == "*:*" { "*" } else { g }, action)
                })
                && may_hold(st, "Resource", "NotResource", &covers)
        })
}

/// Whether a statement's `key` (a string or a list) holds a value `test`
/// accepts, or an unknown one: `null` in the list, or `null` itself when the
/// `negated` form (`NotAction`) is not used instead.
fn may_hold(st: &serde_json::Value, key: &str, negated: &str, test: impl Fn(&str) -> bool) -> bool {
    match st.get(key) {
        None | Some(serde_json::Value::Null) => st.get(negated).is_none_or(|n| n.is_null()),
        Some(serde_json::Value::String(s)) => test(s),
        Some(serde_json::Value::Array(items)) => items.iter().any(|i| i.as_str().is_none_or(&test)),
        Some(_) => false,
    }
}

/// Whether some statements of a partly unknown document cannot be seen: the
/// whole list or one statement unknown (`null`), or a data source's document
/// marked [`OPAQUE`] (a merged document it cannot read, a `dynamic` statement).
fn has_unseen_statements(doc: &serde_json::Value) -> bool {
    doc.get(OPAQUE).is_some_and(|v| v == &serde_json::Value::Bool(true))
        || match doc.get("Statement") {
            None | Some(serde_json::Value::Null) => true,
            Some(serde_json::Value::Array(items)) => items.iter().any(serde_json::Value::is_null),
            Some(_) => false,
        }
}

/// Whether a principal's documents allow every action on every resource and
/// surely deny nothing: an administrator, with nothing left to escalate to.
fn is_administrator(docs: &[Granting]) -> bool {
    let everything = ["*".to_string()];
    docs.iter().any(|d| document_grants(&d.json, &everything, &everything))
        && !docs.iter().any(|d| {
            let statements = statements(&d.json);
            has_unseen_statements(&d.json)
                || has_deny(&statements)
                || statements.iter().any(|st| !effect_is(st, "allow"))
        })
}

/// Whether a `Resource` pattern reaches every resource an action acts on: `*`,
/// or, for resources of `kind` (`"iam:role"`), an ARN of that service whose
/// account is any or one account and whose resource is `*` or every resource
/// of the type (`arn:aws:iam::*:role/*`, `arn:aws:lambda:*:123456789012:function:*`).
fn covers_every_resource(pattern: &str, kind: Option<&str>) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some((service, kind)) = kind.and_then(|k| k.split_once(':')) else {
        return false;
    };
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [arn, _partition, arn_service, _region, account, resource] = parts[..] else {
        return false;
    };
    let any_account =
        matches!(account, "" | "*") || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let every_of_kind = resource == "*"
        || [format!("{kind}/*"), format!("{kind}:*")]
            .iter()
            .any(|whole| resource.eq_ignore_ascii_case(whole));
    arn == "arn" && (arn_service == "*" || arn_service.eq_ignore_ascii_case(service)) && any_account && every_of_kind
}

/// Condition keys that say nothing of the resources acted on: the caller,
/// its network, its MFA, the time, the region, the service a role is passed
/// to. Any other key (`iam:PermissionsBoundary`, `iam:PolicyARN`,
/// `aws:ResourceTag/…`) may confine a grant on every resource to a few.
const TARGET_NEUTRAL_CONDITION_KEYS: &[&str] = &[
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:securetransport",
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:viaawsservice",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
    "aws:currenttime",
    "aws:epochtime",
    "aws:requestedregion",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principaltag/",
    "aws:userid",
    "aws:username",
    "iam:passedtoservice",
];

/// Whether a statement's `Condition` has a key that may confine the
/// resources it applies to.
fn may_confine_targets(st: &serde_json::Value) -> bool {
    let Some(operators) = st.get("Condition").filter(|c| !c.is_null()) else {
        return false;
    };
    let Some(operators) = operators.as_object() else {
        return true;
    };
    operators.values().any(|keys| match keys.as_object() {
        Some(keys) => keys.keys().any(|key| {
            let key = key.to_ascii_lowercase();
            !TARGET_NEUTRAL_CONDITION_KEYS.iter().any(|k| {
                if k.ends_with('/') {
                    key.starts_with(k)
                } else {
                    key == *k
                }
            })
        }),
        None => true,
    })
}

/// How a principal's policies give one action.
enum Grant<'a> {
    By(&'a Granting),
    Maybe,
    No,
}

fn principal_grants(p: &PredicateCx) -> Outcome {
    let Some(links) = principal_links(&p.cx.subject.kind) else {
        return outcome(Tri::False, None);
    };
    let every_resource = string_list(p.args, "on-every-resource")
        .ok()
        .flatten()
        .unwrap_or_default();
    let combinations: Vec<Vec<String>> = p
        .args
        .get("combinations")
        .and_then(|v| v.as_array())
        .map(|combos| {
            combos
                .iter()
                .filter_map(|c| c.as_array())
                .map(|c| c.iter().filter_map(|a| a.as_str().map(str::to_string)).collect())
                .collect()
        })
        .unwrap_or_default();
    // Action (lower case) -> "service:type" of the resources it acts on.
    let resource_types: HashMap<String, String> = p
        .args
        .get("resource-types")
        .and_then(|v| v.as_table())
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let PrincipalPolicies { docs, unreadable } = principal_policies(p.cx, &links);
    let skip_administrators = p.args.get("skip-administrators").and_then(|v| v.as_bool()) == Some(true);
    if skip_administrators && is_administrator(&docs) {
        return outcome(Tri::False, None);
    }
    let subject = p.cx.subject;
    let mut unknown = None;
    for combination in &combinations {
        let grants: Vec<Grant> = combination
            .iter()
            .map(|action| {
                let on_every = every_resource.iter().any(|a| a.eq_ignore_ascii_case(action));
                let kind = resource_types.get(&action.to_ascii_lowercase()).map(String::as_str);
                let covers = |r: &str| !on_every || covers_every_resource(r, kind);
                if docs.iter().any(|d| denies_everywhere(&d.json, action)) {
                    return Grant::No;
                }
                let action_list = std::slice::from_ref(action);
                let reaches = |st: &serde_json::Value| strings_of(st.get("Resource")).iter().any(|r| covers(r));
                let granting = docs.iter().find(|d| {
                    document_grants_on(&d.json, action_list, |st| {
                        reaches(st) && !(on_every && may_confine_targets(st))
                    })
                });
                match granting {
                    Some(d) => Grant::By(d),
                    // Granted only under a condition that may confine it to some
                    // resources, or perhaps granted by unknown values.
                    None if docs.iter().any(|d| {
                        document_grants_on(&d.json, action_list, reaches)
                            || (!d.complete && document_may_grant(&d.json, action, covers))
                    }) =>
                    {
                        Grant::Maybe
                    }
                    None => Grant::No,
                }
            })
            .collect();
        let witness = |related: Vec<(Span, String)>| Witness {
            span: subject.header,
            path: String::new(),
            value: Some(joined(combination)),
            related,
        };
        if grants.iter().all(|g| matches!(g, Grant::By(_))) {
            let related = combination
                .iter()
                .zip(&grants)
                .filter_map(|(action, g)| match g {
                    Grant::By(d) => Some((d.at, format!("{action} is granted here"))),
                    _ => None,
                })
                .collect();
            return outcome(Tri::True, Some(witness(related)));
        }
        // Inconclusive when unknown values may complete the combination, or
        // when part of it is granted and a policy could not be read at all.
        let possible = grants.iter().all(|g| !matches!(g, Grant::No));
        let partly = grants.iter().any(|g| matches!(g, Grant::By(_)));
        if possible || (partly && unreadable) {
            unknown.get_or_insert_with(|| witness(vec![]));
        }
    }
    match unknown {
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
    fn json_pointers() {
        let d = doc(r#"[{"name":"app","privileged":true,"environment":[{"name":"DB_PASSWORD","value":"x"}]}]"#);
        assert_eq!(json_at(&d, "*.privileged"), vec![&serde_json::Value::Bool(true)]);
        assert_eq!(json_at(&d, "*.environment.*.name").len(), 1);
        assert!(json_at(&d, "privileged").is_empty());
        assert!(json_equals(&serde_json::json!("true"), &toml::Value::Boolean(true)));
        assert!(!json_equals(&serde_json::json!(false), &toml::Value::Boolean(true)));
    }

    #[test]
    fn an_unknown_account_in_a_trust_policy_names_no_service() {
        let edge = ["edgelambda.amazonaws.com".to_string()];
        let trust = |principal: &str| {
            doc(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{principal},"{UNKNOWN_FIELDS}":["Principal"]}}]}}"#
            ))
        };
        assert_eq!(document_trusts_service(&trust(r#"{"AWS":[null]}"#), &edge), Tri::False);
        assert_eq!(
            document_trusts_service(&trust(r#"{"Service":[null]}"#), &edge),
            Tri::Unknown
        );
        assert_eq!(document_trusts_service(&trust(r#"{"":[null]}"#), &edge), Tri::Unknown);
        assert_eq!(document_trusts_service(&trust("null"), &edge), Tri::Unknown);
        let named = trust(r#"{"Service":["edgelambda.amazonaws.com"],"AWS":[null]}"#);
        assert_eq!(document_trusts_service(&named, &edge), Tri::True);
    }

    #[test]
    fn a_partly_unknown_value_that_is_not_a_document_reads_as_opaque() {
        for mut not_a_document in [doc(r#"[{"name":"app","value":null}]"#), doc(r#""text""#)] {
            mark_unknown_fields(&mut not_a_document);
            assert!(has_unseen_statements(&not_a_document));
            assert!(statements(&not_a_document).is_empty());
        }
    }

    #[test]
    fn secure_transport() {
        let deny = doc(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        );
        assert!(denies_http(&deny));
        assert!(!allows_only_tls(&deny));
        let bool_value = doc(
            r#"{"Statement":{"Effect":"Deny","Action":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":false}}}}"#,
        );
        assert!(denies_http(&bool_value));
        let ip_only = doc(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"IpAddress":{"aws:SourceIp":"8.8.8.8/32"}}}]}"#,
        );
        assert!(!denies_http(&ip_only) && !allows_only_tls(&ip_only));
        let tls_allow = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"Bool":{"aws:SecureTransport":["true"]}}}]}"#,
        );
        assert!(allows_only_tls(&tls_allow));
        let http_allow = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        );
        assert!(!denies_http(&http_allow) && !allows_only_tls(&http_allow));
    }

    #[test]
    fn unknown_parts_may_grant() {
        let on_all = |r: &str| r == "*";
        // A statement rebuilt from a data source: unknown values read as null.
        let unknown_actions =
            doc(r#"{"Statement":[{"Effect":"Allow","Action":null,"NotAction":null,"Resource":["*"]}]}"#);
        assert!(document_may_grant(&unknown_actions, "iam:PutRolePolicy", on_all));
        let not_action =
            doc(r#"{"Statement":[{"Effect":"Allow","Action":null,"NotAction":["iam:*"],"Resource":"*"}]}"#);
        assert!(!document_may_grant(&not_action, "iam:PutRolePolicy", on_all));
        let unknown_resource = doc(r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":[null]}]}"#);
        assert!(document_may_grant(&unknown_resource, "iam:PutRolePolicy", on_all));
        let named_resource =
            doc(r#"{"Statement":[{"Effect":"Allow","Action":[null],"Resource":"arn:aws:iam::1:role/a"}]}"#);
        assert!(!document_may_grant(&named_resource, "iam:PutRolePolicy", on_all));
        assert!(document_may_grant(&named_resource, "ec2:RunInstances", |_| true));
        let other_action = doc(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[null]}]}"#);
        assert!(!document_may_grant(&other_action, "iam:PutRolePolicy", on_all));
        assert!(document_may_grant(
            &doc(r#"{"Statement":null}"#),
            "iam:PutRolePolicy",
            on_all
        ));
    }

    #[test]
    fn conditions_that_confine_targets() {
        let st = |c: &str| {
            doc(&format!(
                r#"{{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{c}}}"#
            ))
        };
        assert!(!may_confine_targets(&doc(
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#
        )));
        assert!(!may_confine_targets(&st(
            r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#
        )));
        assert!(!may_confine_targets(&st(
            r#"{"StringEquals":{"aws:PrincipalTag/team":"ops"}}"#
        )));
        assert!(may_confine_targets(&st(
            r#"{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::1:policy/b"}}"#
        )));
        assert!(may_confine_targets(&st(
            r#"{"StringEquals":{"aws:ResourceTag/team":"ops"}}"#
        )));
    }

    #[test]
    fn every_resource_patterns() {
        let role = Some("iam:role");
        assert!(covers_every_resource("*", None));
        assert!(!covers_every_resource("arn:aws:iam::*:role/*", None));
        assert!(covers_every_resource("arn:aws:iam::*:role/*", role));
        assert!(covers_every_resource("arn:aws:iam::123456789012:role/*", role));
        assert!(covers_every_resource("arn:aws-us-gov:iam::*:*", role));
        assert!(!covers_every_resource("arn:aws:iam::123456789012:role/app/*", role));
        assert!(!covers_every_resource("arn:aws:iam::123456789012:user/*", role));
        assert!(!covers_every_resource("arn:aws:s3:::bucket/*", Some("s3:role")));
        assert!(!covers_every_resource("arn:aws:s3:::role/*", role));
        let function = Some("lambda:function");
        assert!(covers_every_resource(
            "arn:aws:lambda:eu-west-1:123456789012:function:*",
            function
        ));
        assert!(!covers_every_resource(
            "arn:aws:lambda:eu-west-1:123456789012:function:orders-*",
            function
        ));
    }

    #[test]
    fn anyone_principals() {
        let open = doc(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}"#);
        assert_eq!(document_allows_anyone(&open, &[]), Tri::True);
        assert_eq!(document_allows_anyone(&open, &["sqs:SendMessage".into()]), Tri::True);
        assert_eq!(document_allows_anyone(&open, &["sqs:DeleteQueue".into()]), Tri::False);
        let aws = doc(r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"*"}}"#);
        assert_eq!(document_allows_anyone(&aws, &["s3:GetObject".into()]), Tri::True);
        let account = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"*"}]}"#,
        );
        assert_eq!(document_allows_anyone(&account, &[]), Tri::False);
        let service = doc(r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"*"}]}"#);
        assert_eq!(document_allows_anyone(&service, &[]), Tri::False);
        let deny = doc(r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*"}]}"#);
        assert_eq!(document_allows_anyone(&deny, &[]), Tri::False);
    }

    #[test]
    fn anyone_even_if_confined() {
        let all = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:eu-west-1:123456789012:t"}}}]}"#,
        );
        let every_sqs_action = ["sqs:*".to_string()];
        assert_eq!(document_allows_anyone(&all, &every_sqs_action), Tri::False);
        assert_eq!(document_grants_anyone(&all, &every_sqs_action, true), Tri::True);
        let send = doc(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}"#);
        assert_eq!(document_grants_anyone(&send, &every_sqs_action, true), Tri::False);
        let account = doc(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"*"}]}"#);
        assert_eq!(document_grants_anyone(&account, &every_sqs_action, true), Tri::False);
    }

    fn with_condition(condition: &str) -> Tri {
        let d = doc(&format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{condition}}}]}}"#
        ));
        document_allows_anyone(&d, &[])
    }

    #[test]
    fn confining_conditions() {
        // Keys naming accounts, organisations, networks: no longer public.
        assert_eq!(
            with_condition(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:eu-west-1:123456789012:t"}}"#),
            Tri::False
        );
        assert_eq!(
            with_condition(r#"{"StringEquals":{"aws:SourceVpce":"vpce-1a2b"}}"#),
            Tri::False
        );
        assert_eq!(
            with_condition(r#"{"StringEquals":{"AWS:SourceOwner":"123456789012"}}"#),
            Tri::False
        );
        assert_eq!(
            with_condition(r#"{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["o-a/r-b/ou-c/"]}}"#),
            Tri::False
        );
        assert_eq!(
            with_condition(r#"{"Bool":{"aws:PrincipalIsAWSService":"true"}}"#),
            Tri::False
        );
        // A source IP range admits anonymous callers from it.
        assert_eq!(
            with_condition(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#),
            Tri::True
        );
        assert_eq!(
            with_condition(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"},"Bool":{"aws:SecureTransport":"true"}}"#),
            Tri::True
        );
        // Negated, IfExists, wildcard or variable values confine nothing.
        assert_eq!(
            with_condition(r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2"}}"#),
            Tri::True
        );
        assert_eq!(
            with_condition(r#"{"StringEqualsIfExists":{"aws:SourceAccount":"123456789012"}}"#),
            Tri::True
        );
        assert_eq!(with_condition(r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#), Tri::True);
        assert_eq!(
            with_condition(r#"{"StringEquals":{"aws:userid":"${aws:userid}"}}"#),
            Tri::True
        );
        // A key whose effect on callers is not known: inconclusive.
        assert_eq!(
            with_condition(r#"{"StringEquals":{"elasticfilesystem:AccessedViaMountTarget":"true"}}"#),
            Tri::Unknown
        );
    }

    #[test]
    fn confining_deny() {
        let confined = doc(r#"{"Statement":[
              {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
              {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
               "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b"}}}]}"#);
        assert_eq!(document_allows_anyone(&confined, &[]), Tri::False);
        let by_ip = doc(r#"{"Statement":[
              {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
              {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
               "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#);
        assert_eq!(document_allows_anyone(&by_ip, &[]), Tri::True);
        let narrower_deny = doc(r#"{"Statement":[
              {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
              {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
               "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2"}}}]}"#);
        assert_eq!(document_allows_anyone(&narrower_deny, &[]), Tri::True);
    }
}
