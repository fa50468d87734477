//! Named predicates: logic the policy format cannot say in data (IAM policy
//! documents, port ranges), callable from a policy as
//! `{ predicate = "name", path = "…", args = { … } }`.

use super::condition::{EvalCx, Outcome, Tri, Witness, witness_for};
use super::path::{Focus, Path, Resolution, resolve};
use crate::value::{Str, Unknown, Val, ValKind};

pub struct PredicateCx<'a, 'b> {
    pub cx: &'a EvalCx<'b>,
    pub focus: Focus<'b, 'a>,
    pub path: Option<&'a Path>,
    pub args: &'a toml::Table,
    /// The compiled `regex_argument`, when the predicate has one and it is given.
    pub regex: Option<&'a regex::Regex>,
}

pub struct Predicate {
    pub name: &'static str,
    /// One line for `docs/writing-policies.md`.
    pub description: &'static str,
    /// Arguments, documented: (name, meaning).
    pub arguments: &'static [(&'static str, &'static str)],
    pub needs_path: bool,
    /// The argument holding a regular expression, compiled once with the
    /// condition (a predicate runs once per subject) and given to `eval` as
    /// [`PredicateCx::regex`].
    pub regex_argument: Option<&'static str>,
    pub validate: fn(&toml::Table) -> Result<(), String>,
    pub eval: fn(&PredicateCx) -> Outcome,
}

impl std::fmt::Debug for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

pub static PREDICATES: &[Predicate] = &[
    Predicate {
        name: "iam-policy-grants",
        description: "The IAM policy document at `path` (JSON text, an object, or `data.aws_iam_policy_document.x.json`, whose `statement` blocks are followed) has an `Allow` statement whose actions match one of `actions` and whose resources match one of `resources`. A document with unknown values is read in part (a value a resource computes, an ARN, is never `*`): inconclusive only when its unknown effect, actions or resources could make a statement match.",
        arguments: &[
            (
                "actions",
                "action patterns that count, e.g. [\"*\"] or [\"iam:PassRole\"]; a statement's `*` and `service:*` wildcards are expanded",
            ),
            (
                "resources",
                "resource patterns that count, default [\"*\"]; use [] to accept any resource",
            ),
        ],
        needs_path: true,
        regex_argument: None,
        validate: validate_iam,
        eval: iam_policy_grants,
    },
    Predicate {
        name: "port-open",
        description: "A rule whose port range (`from`/`to` attributes) or protocol (`protocol` attribute, `-1`/`all` meaning every port) includes one of `ports` (or of `port-set`; for a UDP rule only the set's services that listen on UDP); without either, whether it allows every port. ICMP rules (`icmp`, `icmpv6`, `1`, `58`) open no port.",
        arguments: &[
            ("ports", "port numbers, e.g. [22]; omit for all ports"),
            PORT_SET_ARGUMENT,
            ("from", "attribute holding the first port, default `from_port`"),
            ("to", "attribute holding the last port, default `to_port`"),
            ("protocol", "attribute holding the protocol, default `protocol`"),
        ],
        needs_path: false,
        regex_argument: None,
        validate: validate_ports,
        eval: port_open,
    },
    super::predicates_aws::UNSET,
    super::predicates_aws::POLICY_ALLOWS_ANYONE,
    super::predicates_cloud::PORT_SPEC_INCLUDES,
    super::predicates_cloud::DURATION_EXCEEDS,
    super::predicates_cloud::RESOURCE_TYPE_IS,
    super::predicates_cloud::ARGUMENTS_KNOWN,
    super::predicates_cloud::HANDED_TO_CALLERS,
    super::predicates_cloud::MANAGED_RESOURCE,
    super::predicates_cloud::IP_RANGE_ADDRESSES,
    super::predicates_cloud::CIDR_RANGE,
    super::predicates_cloud::TEXT_MATCHES,
    super::predicates_azure::ROLE_PERMITS,
    super::predicates_azure::EMPTY,
    super::predicates_azure::SUBSCRIPTION_SCOPE,
    super::predicates_azure::STORAGE_SERVICE,
    super::predicates_aws::JSON_FIELD,
    super::predicates_aws::POLICY_ACCEPTS_HTTP,
    super::predicates_aws::ALLOWS_NOT_ACTION,
    super::predicates_aws::PRINCIPAL_GRANTS,
    super::predicates_aws::TRUST_WITHOUT_GUARD,
    super::predicates_aws::TRUST_ALLOWS_SERVICE,
    super::predicates_gcp::IAM_GRANTS,
    super::predicates_gcp::MEMBER_HOLDS_BOTH,
    super::predicates_gcp::DEFAULT_SERVICE_ACCOUNT,
];

pub fn lookup(name: &str) -> Option<&'static Predicate> {
    PREDICATES.iter().find(|p| p.name == name)
}

pub fn names() -> Vec<&'static str> {
    PREDICATES.iter().map(|p| p.name).collect()
}

pub(super) fn only_keys(args: &toml::Table, allowed: &[&str]) -> Result<(), String> {
    for k in args.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(format!(
                "unknown argument `{k}`; expected one of: {}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

pub(super) fn string_list(args: &toml::Table, key: &str) -> Result<Option<Vec<String>>, String> {
    match args.get(key) {
        None => Ok(None),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{key}` must be a list of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("`{key}` must be a list of strings")),
    }
}

fn validate_iam(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["actions", "resources"])?;
    if string_list(args, "actions")?.is_none_or(|a| a.is_empty()) {
        return Err("`actions` is required: a non-empty list of action patterns".into());
    }
    string_list(args, "resources")?;
    Ok(())
}

/// The services behind these ports are reached by administrators, other
/// servers or internal clients, never by the public: remote shells and
/// desktops, databases, caches, search engines, directory, file sharing,
/// configuration management, container and cluster APIs. The list is the
/// one KICS calls sensitive, less the public web ports 80 and 443.
pub const WELL_KNOWN_SERVICE_PORTS: &[u32] = &[
    20, 21, 22, 23, 25, 53, 110, 135, 137, 138, 139, 161, 389, 445, 636, 1433, 1434, 1521, 1522, 2375, 2376, 2382,
    2383, 2483, 2484, 3000, 3020, 3306, 3389, 4333, 4505, 4506, 5432, 5500, 5601, 5900, 5985, 6379, 7000, 7001, 7199,
    8000, 8020, 8080, 8140, 8888, 9000, 9042, 9090, 9160, 9200, 9300, 11211, 11214, 11215, 27017, 27018, 50070, 50470,
    61620, 61621,
];

/// The members of [`WELL_KNOWN_SERVICE_PORTS`] whose services also listen on
/// UDP (DNS, NetBIOS name and datagram, SNMP, connectionless LDAP, the SQL
/// Server browser, RDP's UDP transport, Memcached). A UDP rule on any other
/// port of the list reaches no such service: Docker, Oracle or Analysis
/// Services listen on TCP only.
const WELL_KNOWN_UDP_SERVICE_PORTS: &[u32] = &[53, 137, 138, 161, 389, 1434, 3389, 11211];

pub(super) const PORT_SET_ARGUMENT: (&str, &str) = (
    "port-set",
    "a named list of ports instead of `ports`: `well-known-services` (remote access, databases, caches, file sharing and other services never meant for the public; not 80 or 443)",
);

/// Checks `ports` (a list of port numbers) and `port-set` (a list's name).
pub(super) fn validate_port_arguments(args: &toml::Table, ports_required: bool) -> Result<(), String> {
    if let Some(p) = args.get("ports") {
        let ok = p.as_array().is_some_and(|a| {
            (!ports_required || !a.is_empty())
                && a.iter()
                    .all(|v| v.as_integer().is_some_and(|n| (0..=65535).contains(&n)))
        });
        if !ok {
            return Err("`ports` must be a list of port numbers (0-65535)".into());
        }
    }
    match args.get("port-set") {
        None => Ok(()),
        Some(_) if args.contains_key("ports") => Err("give `ports` or `port-set`, not both".into()),
        Some(toml::Value::String(name)) if name == "well-known-services" => Ok(()),
        Some(_) => Err("`port-set` must be \"well-known-services\"".into()),
    }
}

/// The ports a predicate asks about: `ports`, or the list `port-set` names
/// (for a UDP rule, only its services that listen on UDP); empty for "every
/// port".
pub(super) fn port_arguments(args: &toml::Table, udp: bool) -> Vec<u32> {
    if args.contains_key("port-set") {
        let set = if udp {
            WELL_KNOWN_UDP_SERVICE_PORTS
        } else {
            WELL_KNOWN_SERVICE_PORTS
        };
        return set.to_vec();
    }
    args.get("ports")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_integer()).map(|n| n as u32).collect())
        .unwrap_or_default()
}

fn validate_ports(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["ports", "port-set", "from", "to", "protocol"])?;
    validate_port_arguments(args, false)?;
    for k in ["from", "to", "protocol"] {
        if let Some(v) = args.get(k) {
            let s = v.as_str().ok_or_else(|| format!("`{k}` must be an attribute path"))?;
            Path::parse(s)?;
        }
    }
    Ok(())
}

/// IAM wildcard match: `*` matches any run of characters, `?` one character;
/// case-insensitive, as IAM compares action names.
pub(super) fn iam_glob(pattern: &str, text: &str) -> bool {
    // Action names are ASCII: compared byte by byte, nothing is allocated
    // (policies call this for every action of every statement).
    if pattern.is_ascii() && text.is_ascii() {
        return glob(
            pattern.as_bytes(),
            text.as_bytes(),
            b'?',
            b'*',
            u8::eq_ignore_ascii_case,
        );
    }
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    glob(&p, &t, '?', '*', |a, b| a == b)
}

/// Wildcard match of `text` by `pattern`, with `one` and `any` standing for
/// one element and any run of elements.
fn glob<T: Copy + PartialEq>(p: &[T], t: &[T], one: T, any: T, same: impl Fn(&T, &T) -> bool) -> bool {
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || same(&p[pi], &t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == any {
        pi += 1;
    }
    pi == p.len()
}

/// Values of a statement field that may be a string or a list of strings.
pub(super) fn strings_of(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => vec![],
    }
}

/// Whether a policy document grants one of `actions` on one of `resources`.
pub fn document_grants(doc: &serde_json::Value, actions: &[String], resources: &[String]) -> bool {
    document_grants_on(doc, actions, |st| {
        let res = strings_of(st.get("Resource"));
        resources.is_empty() || resources.iter().any(|r| res.iter().any(|g| g == r))
    })
}

/// Whether a policy document grants one of `actions` in an `Allow` statement
/// that `statement_ok` accepts (its resources, its conditions).
pub(super) fn document_grants_on(
    doc: &serde_json::Value,
    actions: &[String],
    statement_ok: impl Fn(&serde_json::Value) -> bool,
) -> bool {
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(s @ serde_json::Value::Object(_)) => vec![s],
        _ => vec![],
    };
    statements.into_iter().any(|st| {
        let effect = st.get("Effect").and_then(|e| e.as_str()).unwrap_or("");
        if !effect.eq_ignore_ascii_case("allow") {
            return false;
        }
        // A statement's own pattern (e.g. `*` or `iam:*`) grants an action we
        // care about when it matches it.
        let granted: Vec<String> = strings_of(st.get("Action"))
            .into_iter()
            .map(|g| if g == "*:*" { "*".to_string() } else { g })
            .collect();
        let action_hit = actions.iter().any(|a| granted.iter().any(|g| iam_glob(g, a)));
        action_hit && statement_ok(st)
    })
}

fn iam_policy_grants(p: &PredicateCx) -> Outcome {
    let actions = string_list(p.args, "actions").ok().flatten().unwrap_or_default();
    let resources = string_list(p.args, "resources")
        .ok()
        .flatten()
        .unwrap_or_else(|| vec!["*".to_string()]);
    let Some(path) = p.path else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let r = resolve(p.focus, path);
    // A partly known document's known statements may grant already
    // (unknown values are `null` in them, never `*`).
    let (docs, _) = super::predicates_aws::documents(p, &r.found);
    if let Some(doc) = docs.iter().find(|d| document_grants(&d.json, &actions, &resources)) {
        let reached = doc.reached;
        return Outcome {
            truth: Tri::True,
            witness: Some(witness_for(p.cx, reached.loc, &reached.path, Some(reached.val))),
        };
    }
    let mut unknown = super::predicates_aws::undecided_grant(p, &r.found, &docs, &actions, &resources);
    if let Some((span, path, why)) = &r.unknown {
        unknown.get_or_insert(Witness {
            span: *span,
            path: path.clone(),
            value: Some(format!("unknown ({why})")),
            related: vec![],
        });
    }
    match unknown {
        Some(w) => Outcome {
            truth: Tri::Unknown,
            witness: Some(w),
        },
        None => Outcome {
            truth: Tri::False,
            witness: None,
        },
    }
}

/// The policy document held by `v` (JSON text, an object, or an
/// `aws_iam_policy_document` data source), and whether all of it is known;
/// `None` when it cannot be read at all.
pub(super) fn document_of(cx: &EvalCx, v: &Val) -> Option<(serde_json::Value, bool)> {
    document_at(cx, v, 0)
}

/// How deep documents merging documents are followed; Terraform rejects a
/// cycle, the limit only keeps a broken configuration from looping.
const MERGE_DEPTH: usize = 8;

/// [`document_of`], `depth` documents deep in merged documents.
fn document_at(cx: &EvalCx, v: &Val, depth: usize) -> Option<(serde_json::Value, bool)> {
    match &v.kind {
        ValKind::String(s) => serde_json::from_str(s).ok().map(|json| (json, true)),
        ValKind::Map(_) => Some((v.to_json(), !v.contains_unknown())),
        ValKind::Unknown(Unknown::PartialJson { known, .. }) => {
            serde_json::from_str(known).ok().map(|json| (json, false))
        }
        ValKind::Unknown(_) if depth <= MERGE_DEPTH => policy_document_data(cx, v, depth),
        _ => None,
    }
}

/// The document of an `aws_iam_policy_document` data source that `v` was read
/// from (`data.aws_iam_policy_document.x.json`), rebuilt from its `statement`
/// blocks and the documents it merges, and whether that is all of it (no
/// unknown values, no `dynamic` statements, no merged document it cannot
/// read). `None` when `v` does not come from one.
fn policy_document_data(cx: &EvalCx, v: &Val, depth: usize) -> Option<(serde_json::Value, bool)> {
    let address = v.reference.as_deref()?;
    // Inside a module call the address is `module.NAME.data.aws_iam_policy_document.x`.
    if !address.starts_with("data.aws_iam_policy_document.") && !address.contains(".data.aws_iam_policy_document.") {
        return None;
    }
    let kinds = [Str::from("aws_iam_policy_document")];
    let data = cx.set.select("data", &kinds).find(|s| &*s.address == address)?;
    let merges = MERGE_KEYS
        .iter()
        .any(|k| data.value.get(k).is_some_and(|v| !v.is_null()));
    let mut doc = MergedDocument {
        complete: true,
        merges,
        ..MergedDocument::default()
    };
    // The provider's order: source documents, then the document's own
    // statements, then the overrides; a statement replaces an earlier one
    // with the same `sid`.
    for key in &MERGE_KEYS[..2] {
        doc.merge(cx, data.value.get(key), depth);
    }
    if let Some(blocks) = data.value.get("statement") {
        let items = match &blocks.kind {
            ValKind::List(items) => items.as_slice(),
            _ => std::slice::from_ref(blocks),
        };
        for st in items {
            if !matches!(st.kind, ValKind::Map(_)) {
                // A `statement` that is itself unknown (a `dynamic` block over a variable).
                doc.complete = false;
                doc.opaque |= !st.is_null();
                continue;
            }
            let field = |key: &str| st.get(key).map(Val::to_json).unwrap_or(serde_json::Value::Null);
            let effect = match st.get("effect").and_then(Val::as_str) {
                Some(e) => e.to_string(),
                None => "Allow".to_string(),
            };
            let mut statement = serde_json::json!({
                "Effect": effect,
                "Action": field("actions"),
                "NotAction": field("not_actions"),
                "Resource": field("resources"),
                "NotResource": field("not_resources"),
                "Principal": principals_json(st.get("principals")),
                "NotPrincipal": principals_json(st.get("not_principals")),
                "Condition": conditions_json(st.get("condition")),
            });
            if let Some(sid) = st.get("sid").filter(|v| !v.is_null()) {
                statement["Sid"] = sid.to_json();
            }
            let unknown: Vec<&str> = STATEMENT_FIELDS
                .iter()
                .filter(|(block_key, _)| st.get(block_key).is_some_and(Val::contains_unknown))
                .map(|(_, json_key)| *json_key)
                .collect();
            if !unknown.is_empty() {
                doc.complete = false;
                statement[UNKNOWN_FIELDS] = unknown.into();
            }
            doc.put(statement);
        }
    }
    for key in &MERGE_KEYS[2..] {
        doc.merge(cx, data.value.get(key), depth);
    }
    Some(doc.finish())
}

/// The arguments of `aws_iam_policy_document` naming documents to merge:
/// sources first, overrides after.
const MERGE_KEYS: [&str; 4] = [
    "source_json",
    "source_policy_documents",
    "override_json",
    "override_policy_documents",
];

/// A policy document being put together from statements and merged documents.
#[derive(Default)]
struct MergedDocument {
    statements: Vec<serde_json::Value>,
    complete: bool,
    /// Whether its statements cannot be read one by one: a merged document
    /// that cannot be read, an unknown `statement`, an unknown `sid` that may
    /// replace another statement.
    opaque: bool,
    /// Whether it merges other documents, so `sid`s matter.
    merges: bool,
}

impl MergedDocument {
    /// Adds a statement, in place of an earlier one with the same `sid`.
    fn put(&mut self, statement: serde_json::Value) {
        if self.merges && statement.get("Sid").is_some_and(|s| s.is_null()) {
            self.opaque = true;
        }
        let sid = statement.get("Sid").and_then(|s| s.as_str()).filter(|s| !s.is_empty());
        let earlier = sid.and_then(|sid| {
            self.statements
                .iter()
                .position(|o| o.get("Sid").and_then(|s| s.as_str()) == Some(sid))
        });
        match earlier {
            Some(i) => self.statements[i] = statement,
            None => self.statements.push(statement),
        }
    }

    /// Adds the statements of the documents in `v` (one JSON text or a list).
    fn merge(&mut self, cx: &EvalCx, v: Option<&Val>, depth: usize) {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return;
        };
        let items = match &v.kind {
            ValKind::List(items) => items.as_slice(),
            _ => std::slice::from_ref(v),
        };
        for item in items {
            if item.is_null() {
                continue;
            }
            let read = document_at(cx, item, depth + 1).map(|(mut json, complete)| {
                // Marked as a data source's statements are, to be read one by one.
                if matches!(item.kind, ValKind::Unknown(Unknown::PartialJson { .. })) {
                    super::predicates_aws::mark_unknown_fields(&mut json);
                }
                (json, complete)
            });
            let Some((json, complete)) = read else {
                self.complete = false;
                self.opaque = true;
                continue;
            };
            self.complete &= complete;
            self.opaque |= json.get(OPAQUE).is_some_and(|o| o == &serde_json::Value::Bool(true));
            for st in super::predicates_aws::statements(&json) {
                self.put(st.clone());
            }
        }
    }

    fn finish(self) -> (serde_json::Value, bool) {
        let mut doc = serde_json::json!({ "Version": "2012-10-17", "Statement": self.statements });
        if self.opaque {
            doc[OPAQUE] = true.into();
        }
        (doc, self.complete && !self.opaque)
    }
}

/// The fields of an `aws_iam_policy_document` statement block and of the
/// policy statement rebuilt from it.
const STATEMENT_FIELDS: &[(&str, &str)] = &[
    ("effect", "Effect"),
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
    ("principals", "Principal"),
    ("not_principals", "NotPrincipal"),
    ("condition", "Condition"),
];

/// In a statement rebuilt by [`policy_document_data`], the fields (JSON
/// names) whose values are not fully known: their known parts are kept, the
/// unknown ones are null.
pub(super) const UNKNOWN_FIELDS: &str = "Palisade:unknown";

/// Set on a document rebuilt by [`policy_document_data`] whose statements
/// cannot be read one by one (a merged document it cannot read, a `dynamic`
/// statement).
pub(super) const OPAQUE: &str = "Palisade:opaque";

/// The blocks of a nested block type: a list of maps, or one map.
pub(super) fn blocks(v: Option<&Val>) -> &[Val] {
    match v {
        Some(Val {
            kind: ValKind::List(items),
            ..
        }) => items.as_slice(),
        Some(
            one @ Val {
                kind: ValKind::Map(_), ..
            },
        ) => std::slice::from_ref(one),
        _ => &[],
    }
}

/// `principals { type, identifiers }` blocks as a policy's `Principal`:
/// type `"*"` with identifier `"*"` is everyone, written `"*"`.
fn principals_json(v: Option<&Val>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for block in blocks(v) {
        let kind = block.get("type").and_then(Val::as_str).unwrap_or_default().to_string();
        let ids = block
            .get("identifiers")
            .map(Val::to_json)
            .unwrap_or(serde_json::Value::Null);
        if kind == "*" {
            return serde_json::Value::String("*".into());
        }
        match out.get_mut(&kind) {
            Some(serde_json::Value::Array(existing)) => match ids {
                serde_json::Value::Array(more) => existing.extend(more),
                other => existing.push(other),
            },
            _ => {
                out.insert(kind, ids);
            }
        }
    }
    if out.is_empty() {
        serde_json::Value::Null
    } else {
        out.into()
    }
}

/// `condition { test, variable, values }` blocks as a policy's `Condition`
/// (`{ "Bool": { "aws:SecureTransport": ["false"] } }`).
fn conditions_json(v: Option<&Val>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for block in blocks(v) {
        let test = block.get("test").and_then(Val::as_str).unwrap_or_default().to_string();
        let variable = block
            .get("variable")
            .and_then(Val::as_str)
            .unwrap_or_default()
            .to_string();
        let values = block.get("values").map(Val::to_json).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(keys) = out.entry(test).or_insert_with(|| serde_json::json!({})) {
            keys.insert(variable, values);
        }
    }
    if out.is_empty() {
        serde_json::Value::Null
    } else {
        out.into()
    }
}

fn attr<'v>(focus: Focus<'v, '_>, name: &str) -> Option<&'v Val> {
    let path = Path::parse(name).ok()?;
    resolve(focus, &path).found.first().map(|r| r.val)
}

fn port_open(p: &PredicateCx) -> Outcome {
    let name = |k: &str, default: &'static str| p.args.get(k).and_then(|v| v.as_str()).unwrap_or(default).to_string();
    let protocol = attr(p.focus, &name("protocol", "protocol"));
    let from = attr(p.focus, &name("from", "from_port"));
    let to = attr(p.focus, &name("to", "to_port"));
    let here = Witness {
        span: p.focus.loc,
        path: p.focus.path.to_string(),
        value: None,
        related: vec![],
    };
    let protocol_name = match protocol {
        Some(v) if v.is_unknown() => {
            return Outcome {
                truth: Tri::Unknown,
                witness: Some(here),
            };
        }
        Some(v) => v
            .as_str()
            .map(str::to_ascii_lowercase)
            .or_else(|| v.as_number().map(crate::value::format_number)),
        None => None,
    };
    // ICMP has types and codes where other protocols have ports.
    if matches!(protocol_name.as_deref(), Some("icmp" | "icmpv6" | "1" | "58")) {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    }
    if matches!(protocol_name.as_deref(), Some("-1" | "all")) {
        return Outcome {
            truth: Tri::True,
            witness: Some(here),
        };
    }
    let udp = matches!(protocol_name.as_deref(), Some("udp" | "17"));
    let ports: Vec<f64> = port_arguments(p.args, udp).into_iter().map(f64::from).collect();
    let (Some(from), Some(to)) = (from, to) else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let (Some(lo), Some(hi)) = (from.as_number(), to.as_number()) else {
        let truth = if from.is_unknown() || to.is_unknown() {
            Tri::Unknown
        } else {
            Tri::False
        };
        return Outcome {
            truth,
            witness: Some(here),
        };
    };
    let open = if ports.is_empty() {
        lo <= 1.0 && hi >= 65535.0
    } else {
        ports.iter().any(|port| lo <= *port && *port <= hi)
    };
    Outcome {
        truth: Tri::from_bool(open),
        witness: Some(here),
    }
}

/// Whether some value at the predicate's path passes `decide` (`Some(true)`
/// or `Some(false)` when the value tells, `None` when it may go either way):
/// true at the first that does, unknown when one (or the path) cannot tell.
pub(super) fn some_value_at_path(p: &PredicateCx, decide: impl Fn(&Val) -> Option<bool>) -> Outcome {
    let Some(path) = p.path else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let r = resolve(p.focus, path);
    let mut unknown = unknown_witness(&r.unknown);
    for reached in &r.found {
        let v = reached.val;
        match decide(v) {
            Some(true) => {
                return Outcome {
                    truth: Tri::True,
                    witness: Some(witness_for(p.cx, reached.loc, &reached.path, Some(v))),
                };
            }
            None => {
                unknown.get_or_insert_with(|| witness_for(p.cx, reached.loc, &reached.path, Some(v)));
            }
            Some(false) => {}
        }
    }
    Outcome {
        truth: if unknown.is_some() { Tri::Unknown } else { Tri::False },
        witness: unknown,
    }
}

/// The witness for an unknown met while resolving a path.
pub(super) fn unknown_witness(
    unknown: &Option<(crate::source::Span, String, crate::value::Unknown)>,
) -> Option<Witness> {
    unknown.as_ref().map(|(span, path, why)| Witness {
        span: *span,
        path: path.clone(),
        value: Some(format!("unknown ({why})")),
        related: vec![],
    })
}

/// The witness for an attribute `path` that `resolution` found absent: where
/// it would be written, else the subject itself.
pub(super) fn absent_witness(p: &PredicateCx, path: &Path, resolution: &Resolution) -> Witness {
    Witness {
        span: resolution.absent_at.as_ref().map(|a| a.0).unwrap_or(p.focus.loc),
        path: super::condition::join_path(p.focus.path, &path.text),
        value: None,
        related: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_globs() {
        assert!(iam_glob("*", "iam:PassRole"));
        assert!(iam_glob("iam:*", "iam:PassRole"));
        assert!(iam_glob("IAM:pass*", "iam:PassRole"));
        assert!(!iam_glob("s3:*", "iam:PassRole"));
        assert!(iam_glob("s3:Get*Acl", "s3:GetObjectAcl"));
        assert!(!iam_glob("s3:Get?", "s3:GetAcl"));
        // Outside ASCII: the same rules, letters compared as written.
        assert!(iam_glob("é:*", "é:Read"));
        assert!(!iam_glob("É:*", "é:Read"));
        assert!(iam_glob("?:read", "é:READ"));
    }

    #[test]
    fn documents() {
        let doc: serde_json::Value =
            serde_json::from_str(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#).unwrap();
        assert!(document_grants(&doc, &["*".into()], &["*".into()]));
        let doc: serde_json::Value =
            serde_json::from_str(r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}}"#)
                .unwrap();
        assert!(!document_grants(&doc, &["*".into()], &["*".into()]));
        let deny: serde_json::Value =
            serde_json::from_str(r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#).unwrap();
        assert!(!document_grants(&deny, &["*".into()], &["*".into()]));
    }
}
