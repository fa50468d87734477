//! Predicates for Azure policies: what an Azure role definition's
//! `permissions` blocks allow, with Azure's `*` wildcards and `not_actions`;
//! whether an allow-list attribute (IP ranges, filters) lists anything.

use super::condition::{Outcome, Tri, Witness, witness_for};
use super::path::{Focus, Path, resolve};
use super::predicates::{
    Predicate, PredicateCx, absent_witness, iam_glob, only_keys, some_value_at_path, unknown_witness,
};
use crate::source::Span;
use crate::value::{Unknown, Val, ValKind};

pub const ROLE_PERMITS: Predicate = Predicate {
    name: "azure-role-permits",
    description: "A `permissions` block at `path` of an Azure role definition allows one of `actions`: an entry of its `actions` matches the operation (Azure's `*` wildcards, case-insensitive) and no entry of its `not_actions` does.",
    arguments: &[(
        "actions",
        "operations, e.g. [\"Microsoft.Authorization/roleDefinitions/write\"]",
    )],
    needs_path: true,
    regex_argument: None,
    validate: validate_role_permits,
    eval: role_permits,
};

pub const EMPTY: Predicate = Predicate {
    name: "empty",
    description: "The attribute at `path` is absent, null, an empty or all-whitespace string, or an empty list (an allow-list that lists nothing). Unknown values are inconclusive.",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: empty,
};

pub const SUBSCRIPTION_SCOPE: Predicate = Predicate {
    name: "azure-subscription-scope",
    description: "The resource id at `path` names a whole Azure subscription (`/subscriptions/<id>`, nothing after it), as a diagnostic setting for the activity log targets: a literal of that shape, or the `id` of an `azurerm_subscription` data source. False for any other literal and for a value read from another resource; inconclusive for other unknown values, and for a template `/subscriptions/${…}` that ends in its unknown part (which may go on with a resource group).",
    arguments: &[],
    needs_path: true,
    regex_argument: None,
    validate: no_arguments,
    eval: subscription_scope,
};

pub const STORAGE_SERVICE: Predicate = Predicate {
    name: "azure-storage-service",
    description: "The resource id at `path` names the `service` sub-resource of a storage account (`…/blobServices/default` for `blob`), as the target of a diagnostic setting that logs that service's requests: a literal or template ending so (case-insensitive, a final `/` allowed). False for a literal or template whose known end is anything else (another service, the account itself) and for the `id` of a storage account; inconclusive when the unknown end of a template may still complete it (`${…}/${each.key}/default`) and for other unknown values.",
    arguments: &[("service", "the storage service: `blob`, `queue`, `table` or `file`")],
    needs_path: true,
    regex_argument: None,
    validate: validate_storage_service,
    eval: storage_service,
};

const STORAGE_SERVICES: [&str; 4] = ["blob", "queue", "table", "file"];

fn validate_storage_service(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["service"])?;
    match args.get("service").and_then(|v| v.as_str()) {
        Some(s) if STORAGE_SERVICES.contains(&s) => Ok(()),
        _ => Err(format!("`service` is required: one of {}", STORAGE_SERVICES.join(", "))),
    }
}

/// Whether a resource id names the `service` of a storage account:
/// `Some(true)` or `Some(false)` when the value tells, `None` when it may go
/// either way.
fn names_storage_service(v: &Val, service: &str) -> Option<bool> {
    let wanted = format!("/{service}services/default");
    // The known end, lower case, without a final `/`.
    let tail = |text: &str| {
        let lower = text.to_ascii_lowercase();
        lower.strip_suffix('/').map(str::to_string).unwrap_or(lower)
    };
    match &v.kind {
        ValKind::String(s) => Some(tail(s).ends_with(&wanted)),
        ValKind::Unknown(Unknown::PartialText { suffix, .. }) => {
            let known = tail(suffix);
            if known.ends_with(&wanted) {
                Some(true)
            } else if wanted.ends_with(&known) {
                // `${…}/default`, `${…}/`: the unknown part may supply the rest.
                None
            } else {
                Some(false)
            }
        }
        ValKind::Unknown(_) => match v.reference.as_deref() {
            // The account's own id: the account, not one of its services.
            Some(r)
                if r.starts_with("azurerm_storage_account.")
                    || r.starts_with("data.azurerm_storage_account.")
                    || r.contains(".azurerm_storage_account.") =>
            {
                Some(false)
            }
            _ => None,
        },
        _ => Some(false),
    }
}

fn storage_service(p: &PredicateCx) -> Outcome {
    let Some(service) = p.args.get("service").and_then(|v| v.as_str()) else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    some_value_at_path(p, |v| names_storage_service(v, service))
}

/// Whether a resource id names a subscription: `Some(true)` or `Some(false)`
/// when the value tells, `None` when it may go either way.
pub(crate) fn names_subscription(v: &Val) -> Option<bool> {
    const ROOT: &str = "/subscriptions/";
    // A known id: one segment after `/subscriptions/`, an optional final `/`.
    let whole = |text: &str| match (text.get(..ROOT.len()), text.get(ROOT.len()..)) {
        (Some(head), Some(rest)) if head.eq_ignore_ascii_case(ROOT) => {
            let rest = rest.strip_suffix('/').unwrap_or(rest);
            !rest.is_empty() && !rest.contains('/')
        }
        _ => false,
    };
    // Text that goes on past the subscription's segment (`/x/resourceGroups`).
    let goes_on = |suffix: &str| suffix.trim_end_matches('/').contains('/');
    let from_subscription = v
        .reference
        .as_deref()
        // Also inside a module: `module.logs.data.azurerm_subscription.current`.
        .is_some_and(|r| r.starts_with("data.azurerm_subscription.") || r.contains(".data.azurerm_subscription."));
    match &v.kind {
        ValKind::String(s) => Some(whole(s)),
        ValKind::Unknown(Unknown::PartialText { prefix, suffix, .. }) => {
            if from_subscription && prefix.is_empty() {
                // `"${data.azurerm_subscription.s.id}…"`: a subscription's id and what follows.
                return Some(suffix.is_empty() || &**suffix == "/");
            }
            if v.reference.is_some() && prefix.is_empty() {
                // Starts with a value read from another resource (a resource group's id).
                return Some(false);
            }
            let n = prefix.len().min(ROOT.len());
            let prefix_fits = match (prefix.get(..n), prefix.get(n..)) {
                (Some(head), Some(rest)) => head.eq_ignore_ascii_case(&ROOT[..n]) && !rest.contains('/'),
                _ => false,
            };
            if !prefix_fits || goes_on(suffix) {
                return Some(false);
            }
            None
        }
        ValKind::Unknown(_) => match v.reference.as_deref() {
            Some(_) if from_subscription => Some(true),
            // A module's output (`module.name`, perhaps inside another module) may be anything.
            Some(r) if r.rsplit('.').nth(1) == Some("module") => None,
            // An id computed by another resource or read from another data source.
            Some(_) => Some(false),
            None => None,
        },
        _ => Some(false),
    }
}

fn subscription_scope(p: &PredicateCx) -> Outcome {
    some_value_at_path(p, names_subscription)
}

fn no_arguments(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &[])
}

fn empty(p: &PredicateCx) -> Outcome {
    let Some(path) = p.path else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let r = resolve(p.focus, path);
    if r.found.is_empty() {
        let (truth, witness) = match unknown_witness(&r.unknown) {
            Some(w) => (Tri::Unknown, w),
            None => (Tri::True, absent_witness(p, path, &r)),
        };
        return Outcome {
            truth,
            witness: Some(witness),
        };
    }
    let mut unknown = None;
    for reached in &r.found {
        let v = reached.val;
        let hit = match &v.kind {
            ValKind::Null => true,
            ValKind::String(s) => s.trim().is_empty(),
            ValKind::List(items) => items.is_empty(),
            ValKind::Unknown(_) => {
                unknown.get_or_insert_with(|| witness_for(p.cx, reached.loc, &reached.path, Some(v)));
                false
            }
            _ => false,
        };
        if hit {
            return Outcome {
                truth: Tri::True,
                witness: Some(witness_for(p.cx, reached.loc, &reached.path, Some(v))),
            };
        }
    }
    Outcome {
        truth: if unknown.is_some() { Tri::Unknown } else { Tri::False },
        witness: unknown,
    }
}

fn validate_role_permits(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["actions"])?;
    let ok = args
        .get("actions")
        .and_then(|v| v.as_array())
        .is_some_and(|a| !a.is_empty() && a.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty())));
    if ok {
        Ok(())
    } else {
        Err("`actions` is required: a non-empty list of operations".into())
    }
}

/// The entries of a list attribute of `block`, each with its location.
/// `Err(witness)` when the list itself is unknown.
fn entries<'v>(block: Focus<'v, '_>, name: &str) -> Result<Vec<(&'v Val, Span, String)>, Witness> {
    let path = Path::parse(name).expect("a plain attribute name");
    let r = resolve(block, &path);
    if let Some((span, p, why)) = r.unknown {
        return Err(Witness {
            span,
            path: p,
            value: Some(format!("unknown ({why})")),
            related: vec![],
        });
    }
    let mut out = Vec::new();
    for reached in r.found {
        match reached.val.as_list() {
            Some(items) => {
                for (i, v) in items.iter().enumerate() {
                    let loc = v
                        .span
                        .filter(|s| {
                            s.file == block.bounds.file && s.start >= block.bounds.start && s.end <= block.bounds.end
                        })
                        .unwrap_or(reached.loc);
                    out.push((v, loc, format!("{}[{i}]", reached.path)));
                }
            }
            None => out.push((reached.val, reached.loc, reached.path.clone())),
        }
    }
    Ok(out)
}

/// Whether one `permissions` block allows `operation`: `True` with the
/// granting entry, `Unknown` when an entry that could decide is unknown.
fn block_permits(p: &PredicateCx, block: Focus, operation: &str) -> Outcome {
    let unknown = |w: Witness| Outcome {
        truth: Tri::Unknown,
        witness: Some(w),
    };
    let actions = match entries(block, "actions") {
        Ok(a) => a,
        Err(w) => return unknown(w),
    };
    let mut granted = None;
    let mut undecided = None;
    for (v, loc, at) in &actions {
        match v.as_str() {
            Some(pattern) if iam_glob(pattern, operation) => {
                granted = Some(witness_for(p.cx, *loc, at, Some(v)));
                break;
            }
            None if v.is_unknown() => {
                undecided.get_or_insert_with(|| witness_for(p.cx, *loc, at, Some(v)));
            }
            _ => {}
        }
    }
    let Some(grant) = granted else {
        return match undecided {
            Some(w) => unknown(w),
            None => Outcome {
                truth: Tri::False,
                witness: None,
            },
        };
    };
    let not_actions = match entries(block, "not_actions") {
        Ok(n) => n,
        Err(w) => return unknown(w),
    };
    let mut excluded_maybe = None;
    for (v, loc, at) in &not_actions {
        match v.as_str() {
            Some(pattern) if iam_glob(pattern, operation) => {
                return Outcome {
                    truth: Tri::False,
                    witness: None,
                };
            }
            None if v.is_unknown() => {
                excluded_maybe.get_or_insert_with(|| witness_for(p.cx, *loc, at, Some(v)));
            }
            _ => {}
        }
    }
    match excluded_maybe {
        Some(w) => unknown(w),
        None => Outcome {
            truth: Tri::True,
            witness: Some(grant),
        },
    }
}

fn role_permits(p: &PredicateCx) -> Outcome {
    let operations: Vec<&str> = p
        .args
        .get("actions")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let Some(path) = p.path else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let r = resolve(p.focus, path);
    let mut result = Outcome {
        truth: Tri::False,
        witness: None,
    };
    if let Some((span, at, why)) = &r.unknown {
        result = Outcome {
            truth: Tri::Unknown,
            witness: Some(Witness {
                span: *span,
                path: at.clone(),
                value: Some(format!("unknown ({why})")),
                related: vec![],
            }),
        };
    }
    for reached in &r.found {
        let block = Focus {
            val: reached.val,
            loc: reached.loc,
            path: &reached.path,
            bounds: p.focus.bounds,
        };
        if reached.val.is_unknown() {
            if result.truth == Tri::False {
                result = Outcome {
                    truth: Tri::Unknown,
                    witness: Some(witness_for(p.cx, reached.loc, &reached.path, Some(reached.val))),
                };
            }
            continue;
        }
        for operation in &operations {
            let o = block_permits(p, block, operation);
            match o.truth {
                Tri::True => return o,
                Tri::Unknown if result.truth == Tri::False => result = o,
                _ => {}
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::{iam_glob, names_storage_service, names_subscription};
    use crate::value::{Unknown, Val, ValKind};

    fn text(s: &str) -> Val {
        Val {
            kind: ValKind::String(s.into()),
            span: None,
            reference: None,
        }
    }

    fn unknown(prefix: Option<(&str, &str)>, reference: Option<&str>) -> Val {
        let kind = match prefix {
            Some((prefix, suffix)) => ValKind::Unknown(Unknown::PartialText {
                why: Box::new(Unknown::Computed),
                prefix: prefix.into(),
                suffix: suffix.into(),
            }),
            None => ValKind::Unknown(Unknown::DataSource),
        };
        Val {
            kind,
            span: None,
            reference: reference.map(Into::into),
        }
    }

    #[test]
    fn subscription_ids() {
        assert_eq!(names_subscription(&text("/subscriptions/0000")), Some(true));
        assert_eq!(names_subscription(&text("/Subscriptions/0000/")), Some(true));
        assert_eq!(
            names_subscription(&text("/subscriptions/0000/resourceGroups/rg")),
            Some(false)
        );
        assert_eq!(names_subscription(&text("/subscriptions/")), Some(false));
        assert_eq!(names_subscription(&text("0000")), Some(false));
        let sub = Some("data.azurerm_subscription.current");
        let nested = Some("module.logs.data.azurerm_subscription.current");
        assert_eq!(names_subscription(&unknown(None, sub)), Some(true));
        assert_eq!(names_subscription(&unknown(None, nested)), Some(true));
        assert_eq!(
            names_subscription(&unknown(Some(("", "/resourceGroups/rg")), sub)),
            Some(false)
        );
        assert_eq!(
            names_subscription(&unknown(None, Some("azurerm_subscription.alias"))),
            Some(false)
        );
        assert_eq!(
            names_subscription(&unknown(None, Some("azurerm_key_vault.kv"))),
            Some(false)
        );
        assert_eq!(names_subscription(&unknown(None, Some("module.sub"))), None);
        assert_eq!(names_subscription(&unknown(None, Some("module.a.module.sub"))), None);
        assert_eq!(
            names_subscription(&unknown(None, Some("module.a.azurerm_key_vault.kv"))),
            Some(false)
        );
        assert_eq!(names_subscription(&unknown(None, None)), None);
        // `"/subscriptions/${var.id}"` may be anything under the subscription.
        assert_eq!(names_subscription(&unknown(Some(("/subscriptions/", "")), None)), None);
        assert_eq!(
            names_subscription(&unknown(Some(("/subscriptions/", "/providers/x")), None)),
            Some(false)
        );
        assert_eq!(
            names_subscription(&unknown(Some(("/resourceGroups/", "")), None)),
            Some(false)
        );
        assert_eq!(
            names_subscription(&unknown(Some(("/subscriptions/a/b", "")), None)),
            Some(false)
        );
        assert_eq!(
            names_subscription(&unknown(
                Some(("", "/resourceGroups/rg")),
                Some("azurerm_resource_group.rg")
            )),
            Some(false)
        );
    }

    #[test]
    fn storage_service_ids() {
        let acct = Some("azurerm_storage_account.logs");
        let id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a";
        assert_eq!(
            names_storage_service(&text(&format!("{id}/blobServices/default")), "blob"),
            Some(true)
        );
        assert_eq!(
            names_storage_service(&text(&format!("{id}/BlobServices/default/")), "blob"),
            Some(true)
        );
        assert_eq!(
            names_storage_service(&text(&format!("{id}/queueServices/default")), "blob"),
            Some(false)
        );
        assert_eq!(names_storage_service(&text(id), "blob"), Some(false));
        assert_eq!(
            names_storage_service(&unknown(Some(("", "/tableServices/default")), acct), "table"),
            Some(true)
        );
        assert_eq!(
            names_storage_service(&unknown(Some(("", "/blobServices/default")), acct), "table"),
            Some(false)
        );
        // `"${azurerm_storage_account.logs.id}/${each.key}/default"`.
        assert_eq!(
            names_storage_service(&unknown(Some(("", "/default")), acct), "blob"),
            None
        );
        assert_eq!(names_storage_service(&unknown(Some(("", "")), acct), "blob"), None);
        assert_eq!(names_storage_service(&unknown(None, acct), "blob"), Some(false));
        assert_eq!(
            names_storage_service(&unknown(None, Some("module.m.azurerm_storage_account.a")), "blob"),
            Some(false)
        );
        assert_eq!(
            names_storage_service(&unknown(None, Some("module.storage")), "blob"),
            None
        );
        assert_eq!(names_storage_service(&unknown(None, None), "blob"), None);
    }

    #[test]
    fn azure_wildcards() {
        let op = "Microsoft.Authorization/roleDefinitions/write";
        assert!(iam_glob("*", op));
        assert!(iam_glob("Microsoft.Authorization/*", op));
        assert!(iam_glob("microsoft.authorization/*/Write", op));
        assert!(iam_glob("*/write", op));
        assert!(!iam_glob("Microsoft.Authorization/*/read", op));
        assert!(!iam_glob("Microsoft.Compute/*", op));
    }
}
