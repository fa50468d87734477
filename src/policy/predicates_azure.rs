//! Predicates for Azure policies: what an Azure role definition's
//! `permissions` blocks allow, with Azure's `*` wildcards and `not_actions`;
//! whether an allow-list attribute (IP ranges, filters) lists anything.

use super::condition::{Outcome, Tri, Witness, witness_for};
use super::path::{Focus, Path, resolve};
use super::predicates::{Predicate, PredicateCx, absent_witness, iam_glob, only_keys, unknown_witness};
use crate::source::Span;
use crate::value::{Val, ValKind};

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
    use super::iam_glob;

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
