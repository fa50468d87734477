//! Predicates for Google Cloud policies: which roles an IAM grant gives to
//! which members, whichever of the `*_iam_member`, `*_iam_binding` and
//! `*_iam_policy` resources (and `google_iam_policy` data) writes it.

use super::condition::{Outcome, Tri, Witness, witness_for};
use super::path::{Focus, Path, Reached, resolve};
use super::predicates::{Predicate, PredicateCx, iam_glob, only_keys, string_list, strings_of};
use super::predicates_cloud::each_value;
use crate::source::Span;
use crate::value::{Unknown, Val, ValKind};

pub const IAM_GRANTS: Predicate = Predicate {
    name: "gcp-iam-grants",
    description: "The subject grants a role matching `roles` to a member matching `members`: through `role` with `member` or `members` (the `*_iam_member` and `*_iam_binding` resources), or through `policy_data` (JSON text, `jsonencode(…)`, or `data.google_iam_policy.x.policy_data`, rebuilt from that data source's `binding` blocks). Patterns compare case-insensitively, `*` matching any run of characters. Unknown roles or members are inconclusive, unless a member written as a template has a known beginning or end that no pattern allows (`\"serviceAccount:${…}\"` is never `user:*`).",
    arguments: &[
        (
            "roles",
            "role patterns, e.g. [\"roles/owner\", \"*admin*\"]; omit for any role",
        ),
        (
            "members",
            "member patterns, e.g. [\"allUsers\", \"serviceAccount:*\"]; omit for any member",
        ),
        (
            "skip-data-bindings",
            "true when the policy also judges `google_iam_policy` data sources' `binding` blocks itself: a `policy_data` read from such a data source in the scope then adds nothing, so one grant is reported once, where it is written",
        ),
    ],
    needs_path: false,
    regex_argument: None,
    validate: validate_grants,
    eval: iam_grants,
};

pub const MEMBER_HOLDS_BOTH: Predicate = Predicate {
    name: "gcp-iam-member-holds-both",
    description: "The subject grants a role matching `roles` to a member who is also granted a role matching `with` on the same resource: within the subject's `policy_data` (JSON text, `jsonencode(…)`, or a `google_iam_policy` data source), or, for a `*_iam_member` or `*_iam_binding`, by another member or binding resource of the scope naming the same `project`, `folder` or `org_id`. Reported at the member of the `roles` grant. Unknown roles or members that could complete the pair are inconclusive.",
    arguments: &[
        (
            "roles",
            "role patterns of the grant reported, e.g. [\"roles/cloudkms.admin\"]",
        ),
        (
            "with",
            "role patterns the same member must not also hold, e.g. [\"roles/cloudkms.cryptoKey*\"]",
        ),
    ],
    needs_path: false,
    regex_argument: None,
    validate: validate_both,
    eval: member_holds_both,
};

pub const DEFAULT_SERVICE_ACCOUNT: Predicate = Predicate {
    name: "gcp-default-service-account",
    description: "The service account at `path` is the Compute Engine default one: absent or empty (where the API then attaches it), `default`, an address in `developer.gserviceaccount.com` (`…-compute@developer.gserviceaccount.com`), or read from `data.google_compute_default_service_account`. The address of a `google_service_account` the configuration creates is never the default; other unknown values are inconclusive.",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: default_service_account,
};

fn no_arguments(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &[])
}

/// Whether a service account address is the Compute Engine default one.
fn is_default_account(email: &str) -> bool {
    let email = email.trim();
    email.is_empty()
        || email.eq_ignore_ascii_case("default")
        // Only Compute Engine's default identities live in this domain;
        // accounts a project creates are `…@PROJECT.iam.gserviceaccount.com`.
        || email.to_ascii_lowercase().ends_with("@developer.gserviceaccount.com")
}

fn default_service_account(p: &PredicateCx) -> Outcome {
    let Some(path) = p.path else {
        return Verdict::default().outcome();
    };
    let r = resolve(p.focus, path);
    let mut v = Verdict::default();
    if r.found.is_empty() {
        match &r.unknown {
            Some((span, at, why)) => {
                v.unknown = Some(Witness {
                    span: *span,
                    path: at.clone(),
                    value: Some(format!("unknown ({why})")),
                    related: vec![],
                })
            }
            None => {
                let (span, at) = r.absent_at.clone().unwrap_or((p.focus.loc, p.focus.path.to_string()));
                v.hit = Some(Witness {
                    span,
                    path: at,
                    value: None,
                    related: vec![],
                });
            }
        }
        return v.outcome();
    }
    for reached in &r.found {
        let val = reached.val;
        let witness = || witness_for(p.cx, reached.loc, &reached.path, Some(val));
        // Inside a module as well: `module.gke.google_service_account.nodes`.
        let reference = val
            .reference
            .as_deref()
            .and_then(crate::terraform::local_address)
            .unwrap_or("");
        match &val.kind {
            ValKind::String(s) if is_default_account(s) => v.hit = Some(witness()),
            ValKind::Unknown(_) if reference.starts_with("data.google_compute_default_service_account.") => {
                v.hit = Some(witness())
            }
            ValKind::Unknown(_) if reference.starts_with("google_service_account.") => {}
            ValKind::Unknown(_) => {
                v.unknown.get_or_insert_with(witness);
            }
            _ => {}
        }
        if v.hit.is_some() {
            break;
        }
    }
    v.outcome()
}

fn validate_grants(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["roles", "members", "skip-data-bindings"])?;
    if args.get("skip-data-bindings").is_some_and(|v| !v.is_bool()) {
        return Err("`skip-data-bindings` must be true or false".into());
    }
    for key in ["roles", "members"] {
        if string_list(args, key)?.is_some_and(|l| l.is_empty()) {
            return Err(format!("`{key}` must not be empty; omit it to accept any"));
        }
    }
    if !args.contains_key("roles") && !args.contains_key("members") {
        return Err("give `roles`, `members` or both".into());
    }
    Ok(())
}

/// The role and member patterns of one evaluation.
struct Patterns {
    roles: Vec<String>,
    members: Vec<String>,
}

impl Patterns {
    fn role(&self, role: &str) -> bool {
        self.roles.is_empty() || self.roles.iter().any(|p| iam_glob(p, role))
    }

    fn member(&self, member: &str) -> bool {
        self.members.is_empty() || self.members.iter().any(|p| iam_glob(p, member))
    }
}

/// What the grants seen so far add up to: the first matching grant wins;
/// otherwise the first grant that might match, for lack of a known value.
#[derive(Default)]
struct Verdict {
    hit: Option<Witness>,
    unknown: Option<Witness>,
}

impl Verdict {
    fn outcome(self) -> Outcome {
        match (self.hit, self.unknown) {
            (Some(w), _) => Outcome {
                truth: Tri::True,
                witness: Some(w),
            },
            (None, Some(w)) => Outcome {
                truth: Tri::Unknown,
                witness: Some(w),
            },
            (None, None) => Outcome {
                truth: Tri::False,
                witness: None,
            },
        }
    }
}

/// Where a grant is reported: the member itself, or (for a grant read
/// from a data source) the attribute that refers to it.
enum At<'a> {
    Member,
    Fixed(Span, &'a str),
}

/// One role given to some members: record a match (or a possible one).
fn judge_grant(
    p: &PredicateCx,
    pat: &Patterns,
    role: Option<&Val>,
    members: &[(Val, Span, String)],
    at: &At,
    v: &mut Verdict,
) {
    let role_matches = match role {
        None => return,
        Some(r) if r.is_unknown() => None,
        Some(r) => match r.as_str() {
            Some(text) if pat.role(text) => Some(true),
            _ => return,
        },
    };
    for (member, loc, path) in members {
        let witness = || match at {
            At::Member => witness_for(p.cx, *loc, path, Some(member)),
            At::Fixed(span, path) => witness_for(p.cx, *span, path, Some(member)),
        };
        if let ValKind::Unknown(why) = &member.kind {
            // `"serviceAccount:${…}"` is a service account whatever its name.
            let certain = matches!(why, Unknown::PartialText { .. })
                && (pat.members.is_empty() || pat.members.iter().any(|m| why.must_match_glob(m)));
            if certain && role_matches == Some(true) {
                v.hit = Some(witness());
                return;
            }
            // It may also still be ruled out.
            if pat.members.is_empty() || pat.members.iter().any(|m| why.may_match_glob(m)) {
                v.unknown.get_or_insert_with(witness);
            }
            continue;
        }
        if member.as_str().is_some_and(|m| pat.member(m)) {
            if role_matches == Some(true) {
                v.hit = Some(witness());
                return;
            }
            v.unknown.get_or_insert_with(witness);
        }
    }
}

fn attr_path(name: &str) -> Path {
    Path::parse(name).expect("a literal attribute path")
}

/// The members written at `keys` under a focus, lists flattened; unknown
/// ones included, for the caller to judge.
fn members_of(focus: Focus, keys: &[&str]) -> Vec<(Val, Span, String)> {
    keys.iter()
        .flat_map(|key| each_value(&resolve(focus, &attr_path(key))))
        .map(|(v, loc, path)| (v.clone(), loc, path))
        .collect()
}

/// One role given to members, as the subject writes it (values rebuilt from
/// JSON have no span), and where a finding about it points.
struct Grant<'a> {
    role: Option<Val>,
    members: Vec<(Val, Span, String)>,
    at: At<'a>,
}

/// What a subject grants, in order: its `role` with `member`/`members`, then
/// the bindings of its `policy_data`. A `policy_data` that cannot be read
/// (unknown, or from a data source not in the scope) is an `Err` entry, the
/// witness of the inconclusive result it makes.
fn grants_of<'a>(
    p: &PredicateCx<'a, '_>,
    focus: Focus<'_, 'a>,
    data: &'a [Reached],
    skip_data_bindings: bool,
) -> Vec<Result<Grant<'a>, Witness>> {
    let mut out = Vec::new();
    let role = resolve(focus, &attr_path("role"));
    if let Some(r) = role.found.first() {
        out.push(Ok(Grant {
            role: Some(r.val.clone()),
            members: members_of(focus, &["member", "members"]),
            at: At::Member,
        }));
    }
    for reached in data {
        policy_data_grants(p, reached, skip_data_bindings, &mut out);
    }
    out
}

/// The bindings of a `policy_data` value: JSON text, or a reference to a
/// `google_iam_policy` data source.
fn policy_data_grants<'a>(
    p: &PredicateCx,
    reached: &'a Reached,
    skip_data_bindings: bool,
    out: &mut Vec<Result<Grant<'a>, Witness>>,
) {
    let at = || At::Fixed(reached.loc, &reached.path);
    let unreadable = || Err(witness_for(p.cx, reached.loc, &reached.path, Some(reached.val)));
    match &reached.val.kind {
        ValKind::String(text) => {
            let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
                return;
            };
            let bindings = doc
                .get("bindings")
                .and_then(|b| b.as_array())
                .cloned()
                .unwrap_or_default();
            for b in bindings {
                out.push(Ok(Grant {
                    role: b.get("role").and_then(|r| r.as_str()).map(|r| Val::string(r, None)),
                    members: strings_of(b.get("members"))
                        .into_iter()
                        .map(|m| (Val::string(m, None), reached.loc, reached.path.clone()))
                        .collect(),
                    at: at(),
                }));
            }
        }
        ValKind::Unknown(_) => match policy_data_source(p, reached.val) {
            Some(_) if skip_data_bindings => {}
            Some(data) => {
                let bindings = data.value.get("binding");
                if bindings.is_some_and(Val::is_unknown) {
                    out.push(unreadable());
                }
                let items = match bindings.map(|b| &b.kind) {
                    Some(ValKind::List(items)) => items.as_slice(),
                    Some(ValKind::Map(_)) => std::slice::from_ref(bindings.expect("matched")),
                    _ => &[],
                };
                for binding in items {
                    let focus = Focus {
                        val: binding,
                        loc: reached.loc,
                        path: &reached.path,
                        bounds: p.focus.bounds,
                    };
                    // A `binding` block has `members` only.
                    out.push(Ok(Grant {
                        role: binding.get("role").cloned(),
                        members: members_of(focus, &["members"]),
                        at: at(),
                    }));
                }
            }
            None => out.push(unreadable()),
        },
        _ => {}
    }
}

fn iam_grants(p: &PredicateCx) -> Outcome {
    let pat = Patterns {
        roles: string_list(p.args, "roles").ok().flatten().unwrap_or_default(),
        members: string_list(p.args, "members").ok().flatten().unwrap_or_default(),
    };
    let skip_data_bindings = p.args.get("skip-data-bindings").and_then(toml::Value::as_bool) == Some(true);
    let data = resolve(p.focus, &attr_path("policy_data"));
    let mut v = Verdict::default();
    for grant in grants_of(p, p.focus, &data.found, skip_data_bindings) {
        match grant {
            Ok(g) => judge_grant(p, &pat, g.role.as_ref(), &g.members, &g.at, &mut v),
            Err(w) => {
                v.unknown.get_or_insert(w);
            }
        }
        if v.hit.is_some() {
            break;
        }
    }
    v.outcome()
}

fn validate_both(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["roles", "with"])?;
    for key in ["roles", "with"] {
        if string_list(args, key)?.is_none_or(|l| l.is_empty()) {
            return Err(format!("`{key}` is required and must not be empty"));
        }
    }
    Ok(())
}

/// The attributes naming what a `*_iam_member` or `*_iam_binding` grants on.
const GRANT_TARGETS: &[&str] = &["project", "folder", "org_id"];

/// The roles and members granted by the other member and binding resources
/// of the subject's family (`google_project_iam_*`…) on the same target.
fn sibling_grants(p: &PredicateCx) -> Vec<(Option<String>, Vec<Option<String>>)> {
    let subject = p.cx.subject;
    let Some(family) = subject
        .kind
        .strip_suffix("_member")
        .or_else(|| subject.kind.strip_suffix("_binding"))
    else {
        return Vec::new();
    };
    let target = |value: &Val| {
        GRANT_TARGETS
            .iter()
            .find_map(|t| value.get(t).and_then(Val::as_str).map(|v| (*t, v.to_string())))
    };
    let Some(own_target) = target(&subject.value) else {
        return Vec::new();
    };
    let known = |v: &Val| (!v.is_unknown()).then(|| v.as_str().map(str::to_string)).flatten();
    p.cx.set
        .subjects
        .iter()
        .filter(|s| {
            &*s.class == "resource"
                && s.address != subject.address
                && (*s.kind == *format!("{family}_member") || *s.kind == *format!("{family}_binding"))
                && target(&s.value).as_ref() == Some(&own_target)
        })
        .map(|s| {
            let members = ["member", "members"]
                .iter()
                .filter_map(|k| s.value.get(k))
                .flat_map(|m| match &m.kind {
                    ValKind::List(items) => items.iter().map(known).collect::<Vec<_>>(),
                    _ => vec![known(m)],
                })
                .collect();
            (s.value.get("role").and_then(known), members)
        })
        .collect()
}

fn member_holds_both(p: &PredicateCx) -> Outcome {
    let patterns = |key| Patterns {
        roles: string_list(p.args, key).ok().flatten().unwrap_or_default(),
        members: Vec::new(),
    };
    let (first, second) = (patterns("roles"), patterns("with"));
    let data = resolve(p.focus, &attr_path("policy_data"));
    let mut v = Verdict::default();
    let mut grants = Vec::new();
    for grant in grants_of(p, p.focus, &data.found, false) {
        match grant {
            Ok(g) => grants.push(g),
            Err(w) => {
                v.unknown.get_or_insert(w);
            }
        }
    }
    // Who holds a `with` role, and whether an unknown role or member might.
    let mut holders: Vec<String> = Vec::new();
    let mut holders_unknown = false;
    let mut note = |role: Option<&str>, members: &mut dyn Iterator<Item = Option<String>>| match role {
        Some(r) if second.role(r) => {
            for m in members {
                match m {
                    Some(m) => holders.push(m.to_ascii_lowercase()),
                    None => holders_unknown = true,
                }
            }
        }
        Some(_) => {}
        None => holders_unknown = true,
    };
    for g in &grants {
        let role = g.role.as_ref().filter(|r| !r.is_unknown()).and_then(Val::as_str);
        note(
            role,
            &mut g
                .members
                .iter()
                .map(|(m, ..)| (!m.is_unknown()).then(|| m.as_str().map(str::to_string)).flatten()),
        );
    }
    for (role, members) in sibling_grants(p) {
        note(role.as_deref(), &mut members.into_iter());
    }
    for g in &grants {
        let witness = |(member, loc, path): &(Val, Span, String)| match g.at {
            At::Member => witness_for(p.cx, *loc, path, Some(member)),
            At::Fixed(span, path) => witness_for(p.cx, span, path, Some(member)),
        };
        let role_matches = match &g.role {
            Some(r) if r.is_unknown() => None,
            Some(r) => Some(r.as_str().is_some_and(|t| first.role(t))),
            None => Some(false),
        };
        if role_matches == Some(false) {
            continue;
        }
        for member in &g.members {
            let name = member.0.as_str().filter(|_| !member.0.is_unknown());
            match name {
                Some(m) if role_matches == Some(true) && holders.contains(&m.to_ascii_lowercase()) => {
                    v.hit = Some(witness(member));
                    return v.outcome();
                }
                Some(_) if role_matches == Some(true) && !holders_unknown => {}
                _ => {
                    v.unknown.get_or_insert_with(|| witness(member));
                }
            }
        }
    }
    v.outcome()
}

/// The `google_iam_policy` data source a value was read from.
fn policy_data_source<'s>(p: &PredicateCx<'_, 's>, v: &Val) -> Option<&'s crate::subject::Subject> {
    let address = v.reference.as_deref()?;
    // Inside a module call the address is `module.NAME.data.google_iam_policy.x`.
    if !address.starts_with("data.google_iam_policy.") && !address.contains(".data.google_iam_policy.") {
        return None;
    }
    p.cx.set
        .subjects
        .iter()
        .find(|s| &*s.class == "data" && &*s.kind == "google_iam_policy" && &*s.address == address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let pat = Patterns {
            roles: vec!["roles/owner".into(), "*admin*".into()],
            members: vec!["serviceAccount:*".into()],
        };
        assert!(pat.role("roles/iam.serviceAccountAdmin"));
        assert!(pat.role("roles/Owner"));
        assert!(!pat.role("roles/viewer"));
        assert!(pat.member("serviceAccount:app@p.iam.gserviceaccount.com"));
        assert!(!pat.member("user:jane@example.com"));
        let any = Patterns {
            roles: vec![],
            members: vec!["allUsers".into()],
        };
        assert!(any.role("roles/cloudkms.cryptoKeyEncrypter"));
    }

    #[test]
    fn default_accounts() {
        assert!(is_default_account(""));
        assert!(is_default_account("default"));
        assert!(is_default_account("123456789012-compute@developer.gserviceaccount.com"));
        assert!(!is_default_account("app@my-project.iam.gserviceaccount.com"));
        assert!(!is_default_account("my-project@appspot.gserviceaccount.com"));
    }
}
