//! Predicates for Google Cloud policies: which roles an IAM grant gives to
//! which members, whichever of the `*_iam_member`, `*_iam_binding` and
//! `*_iam_policy` resources (and `google_iam_policy` data) writes it.

use super::condition::{Outcome, Tri, Witness, witness_for};
use super::path::{Focus, Path, Reached, resolve};
use super::predicates::{Predicate, PredicateCx, iam_glob, only_keys, string_list, strings_of};
use super::predicates_cloud::each_value;
use crate::source::Span;
use crate::value::{Val, ValKind};

pub const IAM_GRANTS: Predicate = Predicate {
    name: "gcp-iam-grants",
    description: "The subject grants a role matching `roles` to a member matching `members`: through `role` with `member` or `members` (the `*_iam_member` and `*_iam_binding` resources), or through `policy_data` (JSON text, `jsonencode(…)`, or `data.google_iam_policy.x.policy_data`, rebuilt from that data source's `binding` blocks). Patterns compare case-insensitively, `*` matching any run of characters. Unknown roles or members are inconclusive.",
    arguments: &[
        (
            "roles",
            "role patterns, e.g. [\"roles/owner\", \"*admin*\"]; omit for any role",
        ),
        (
            "members",
            "member patterns, e.g. [\"allUsers\", \"serviceAccount:*\"]; omit for any member",
        ),
    ],
    needs_path: false,
    regex_argument: None,
    validate: validate_grants,
    eval: iam_grants,
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
        let reference = val.reference.as_deref().unwrap_or("");
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
    only_keys(args, &["roles", "members"])?;
    for key in ["roles", "members"] {
        if string_list(args, key)?.is_some_and(|l| l.is_empty()) {
            return Err(format!("`{key}` must not be empty; omit it to accept any"));
        }
    }
    if args.is_empty() {
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
    members: &[(&Val, Span, String)],
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
        if member.is_unknown() {
            v.unknown.get_or_insert_with(witness);
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
fn members_of<'v>(focus: Focus<'v, '_>, keys: &[&str]) -> Vec<(&'v Val, Span, String)> {
    keys.iter()
        .flat_map(|key| each_value(&resolve(focus, &attr_path(key))))
        .collect()
}

fn iam_grants(p: &PredicateCx) -> Outcome {
    let pat = Patterns {
        roles: string_list(p.args, "roles").ok().flatten().unwrap_or_default(),
        members: string_list(p.args, "members").ok().flatten().unwrap_or_default(),
    };
    let mut v = Verdict::default();
    // `*_iam_member` and `*_iam_binding`: one role, its members.
    let role = resolve(p.focus, &attr_path("role"));
    if let Some(r) = role.found.first() {
        let members = members_of(p.focus, &["member", "members"]);
        judge_grant(p, &pat, Some(r.val), &members, &At::Member, &mut v);
    }
    if v.hit.is_none() {
        let data = resolve(p.focus, &attr_path("policy_data"));
        for reached in &data.found {
            policy_data(p, &pat, reached, &mut v);
            if v.hit.is_some() {
                break;
            }
        }
    }
    v.outcome()
}

/// A `policy_data` value: JSON text, or a reference to a
/// `google_iam_policy` data source.
fn policy_data(p: &PredicateCx, pat: &Patterns, reached: &Reached, v: &mut Verdict) {
    let at = At::Fixed(reached.loc, &reached.path);
    let unknown = |v: &mut Verdict| {
        v.unknown
            .get_or_insert_with(|| witness_for(p.cx, reached.loc, &reached.path, Some(reached.val)));
    };
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
                let role = b.get("role").and_then(|r| r.as_str()).map(|r| Val::string(r, None));
                let members: Vec<Val> = strings_of(b.get("members"))
                    .into_iter()
                    .map(|m| Val::string(m, None))
                    .collect();
                let listed: Vec<(&Val, Span, String)> =
                    members.iter().map(|m| (m, reached.loc, reached.path.clone())).collect();
                judge_grant(p, pat, role.as_ref(), &listed, &at, v);
                if v.hit.is_some() {
                    return;
                }
            }
        }
        ValKind::Unknown(_) => match policy_data_source(p, reached.val) {
            Some(data) => {
                let bindings = data.value.get("binding");
                if bindings.is_some_and(Val::is_unknown) {
                    unknown(v);
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
                    let members = members_of(focus, &["members"]);
                    judge_grant(p, pat, binding.get("role"), &members, &at, v);
                    if v.hit.is_some() {
                        return;
                    }
                }
            }
            None => unknown(v),
        },
        _ => {}
    }
}

/// The `google_iam_policy` data source a value was read from.
fn policy_data_source<'s>(p: &PredicateCx<'_, 's>, v: &Val) -> Option<&'s crate::subject::Subject> {
    let address = v.reference.as_deref()?;
    if !address.starts_with("data.google_iam_policy.") {
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
