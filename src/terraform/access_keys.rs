//! `iam-user-several-access-keys`: one IAM user holding more than one active
//! access key created in the same module. A Rust check because it counts
//! resources per user, which the condition language cannot.

use std::collections::BTreeMap;

use crate::checks::{CheckCx, Hit};
use crate::policy::condition::{Tri, Witness};
use crate::subject::Subject;
use crate::value::{Str, ValKind};

/// Which user an access key belongs to: the user's name when it is known
/// (a literal, or `aws_iam_user.x.name` with a known name), otherwise the
/// address of the `aws_iam_user` it refers to. `None` when it cannot be told:
/// a variable, or a reference to a user created with `count` or `for_each`
/// whose names are unknown.
fn owner(key: &Subject) -> Option<Str> {
    let user = key.value.get("user")?;
    match (&user.kind, &user.reference) {
        (ValKind::String(name), _) => Some(Str::from(format!("name:{name}"))),
        (ValKind::Unknown(_), Some(address)) if address.starts_with("aws_iam_user.") && key.instance.is_none() => {
            Some(address.clone())
        }
        _ => None,
    }
}

/// Whether the key is active: `status` defaults to `Active`; `Inactive` keys
/// cannot sign requests. Unknown when the status is.
fn active(key: &Subject) -> Tri {
    match key.value.get("status").map(|s| &s.kind) {
        None | Some(ValKind::Null) => Tri::True,
        Some(ValKind::String(s)) => Tri::from_bool(!s.eq_ignore_ascii_case("Inactive")),
        Some(_) => Tri::Unknown,
    }
}

pub fn iam_user_several_access_keys(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let kinds: [Str; 1] = [Str::from("aws_iam_access_key")];
    let mut by_user: BTreeMap<Str, Vec<(&Subject, Tri)>> = BTreeMap::new();
    for key in cx.set.select("resource", &kinds) {
        let Some(user) = owner(key) else { continue };
        let state = active(key);
        if state != Tri::False {
            by_user.entry(user).or_default().push((key, state));
        }
    }
    for keys in by_user.values().filter(|keys| keys.len() > 1) {
        let sure = keys.iter().filter(|(_, s)| *s == Tri::True).count();
        for (key, state) in keys {
            // Two keys known to be active make a finding; a key whose status
            // is unknown could make the second one.
            let truth = if sure > 1 && *state == Tri::True {
                Tri::True
            } else {
                Tri::Unknown
            };
            let entry = key.value.entry("user");
            let others: Vec<&Subject> = keys
                .iter()
                .map(|(other, _)| *other)
                .filter(|other| !std::ptr::eq(*other, *key))
                .collect();
            hits.push(Hit {
                truth,
                address: key.address.clone(),
                instance: key.instance.clone(),
                witness: Witness {
                    span: entry.and_then(|e| e.key_span).unwrap_or(key.header),
                    path: "user".to_string(),
                    value: None,
                    related: others
                        .iter()
                        .map(|other| (other.header, format!("{} is another key of the same user", other.address)))
                        .collect(),
                },
                context: key.context.clone(),
                message: Some(format!(
                    "{} is one of {} active access keys of the same IAM user (with {}): each long-lived key is one more secret to rotate and leak",
                    key.address,
                    keys.len(),
                    others.iter().map(|o| &*o.address).collect::<Vec<_>>().join(", ")
                )),
                sensitive: vec![],
            });
        }
    }
}
