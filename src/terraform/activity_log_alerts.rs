//! `azure-activity-log-alert`: the CIS Microsoft Azure Foundations
//! monitoring controls of section 5.2: an activity log alert on one
//! administrative operation (`args.operation`, such as
//! `Microsoft.Network/networkSecurityGroups/write`) that notifies someone.
//!
//! These are subscription-level controls, so a configuration is judged only
//! when it sets up alerting on administrative operations itself: when it has
//! at least one `azurerm_monitor_activity_log_alert` whose category is
//! `Administrative` (or not known). A configuration without one leaves the
//! subscription's alerts to another one and passes.
//!
//! Where it has some, one alert must catch every event of the operation
//! across the subscription and notify an action group (see [`judge`]).

use crate::checks::{CheckCx, Hit};
use crate::policy::condition::Tri;
use crate::policy::predicates_azure::names_subscription;
use crate::source::Span;
use crate::subject::Subject;
use crate::value::{Str, Val, ValKind};

/// One CIS control: the operation an alert must catch.
pub struct Operation {
    /// The value of the policy's `args.operation`, as Azure names it.
    pub name: &'static str,
    /// The events, for messages: "network security groups being deleted".
    pub what: &'static str,
    /// The CIS Microsoft Azure Foundations 2.0.0 recommendation.
    pub cis: &'static str,
}

pub static OPERATIONS: &[Operation] = &[
    Operation {
        name: "Microsoft.Authorization/policyAssignments/write",
        what: "policy assignments being created or updated",
        cis: "5.2.1",
    },
    Operation {
        name: "Microsoft.Authorization/policyAssignments/delete",
        what: "policy assignments being deleted",
        cis: "5.2.2",
    },
    Operation {
        name: "Microsoft.Network/networkSecurityGroups/write",
        what: "network security groups being created or updated",
        cis: "5.2.3",
    },
    Operation {
        name: "Microsoft.Network/networkSecurityGroups/delete",
        what: "network security groups being deleted",
        cis: "5.2.4",
    },
    Operation {
        name: "Microsoft.Security/securitySolutions/write",
        what: "security solutions being created or updated",
        cis: "5.2.5",
    },
    Operation {
        name: "Microsoft.Security/securitySolutions/delete",
        what: "security solutions being deleted",
        cis: "5.2.6",
    },
    Operation {
        name: "Microsoft.Sql/servers/firewallRules/write",
        what: "SQL Server firewall rules being created or updated",
        cis: "5.2.7",
    },
    Operation {
        name: "Microsoft.Sql/servers/firewallRules/delete",
        what: "SQL Server firewall rules being deleted",
        cis: "5.2.8",
    },
    Operation {
        name: "Microsoft.Network/publicIPAddresses/write",
        what: "public IP addresses being created or updated",
        cis: "5.2.9",
    },
    Operation {
        name: "Microsoft.Network/publicIPAddresses/delete",
        what: "public IP addresses being deleted",
        cis: "5.2.10",
    },
];

impl Operation {
    /// The resource provider namespace: `Microsoft.Network`.
    fn provider(&self) -> &'static str {
        self.name.split('/').next().unwrap_or(self.name)
    }

    /// The resource type: `Microsoft.Network/networkSecurityGroups`.
    fn resource_type(&self) -> &'static str {
        self.name.rsplit_once('/').map_or(self.name, |(t, _)| t)
    }
}

const KIND: &str = "azurerm_monitor_activity_log_alert";

/// Every event level of the activity log: a `levels` list naming them all
/// filters nothing out.
const LEVELS: [&str; 5] = ["Verbose", "Informational", "Warning", "Error", "Critical"];

/// Criteria that narrow an alert to some callers, levels, outcomes, resource
/// groups or resources: with one of them set, events of the operation slip
/// through unnoticed.
const NARROWING: [&str; 11] = [
    "caller",
    "level",
    "levels",
    "status",
    "statuses",
    "sub_status",
    "sub_statuses",
    "resource_group",
    "resource_groups",
    "resource_id",
    "resource_ids",
];

/// Where something about an alert is written.
#[derive(Clone, Copy)]
struct Place<'a> {
    path: &'static str,
    span: Span,
    val: Option<&'a Val>,
}

/// One test of an alert: its outcome, where, and what is wrong when false.
struct Test<'a> {
    truth: Tri,
    at: Place<'a>,
    flaw: String,
}

/// What an alert is worth for an operation.
struct Judgement<'a> {
    /// It catches every event of the operation and notifies someone.
    covers: Tri,
    /// Its criteria name the operation: a failing alert was meant for it.
    meant: bool,
    /// The first test that failed (or, when none did, was not known).
    at: Option<Place<'a>>,
    /// What is wrong, when it does not cover the operation.
    flaws: Vec<String>,
}

/// Whether a value is set: not absent, null, empty or all blank.
fn set(v: Option<&Val>) -> Tri {
    match v.map(|v| &v.kind) {
        None | Some(ValKind::Null) => Tri::False,
        Some(ValKind::String(s)) => Tri::from_bool(!s.trim().is_empty()),
        Some(ValKind::List(items)) => Tri::from_bool(!items.is_empty()),
        Some(ValKind::Unknown(_)) => Tri::Unknown,
        Some(_) => Tri::True,
    }
}

/// Whether a value is the text `want`, ignoring case (Azure compares
/// categories, provider namespaces, resource types and operation names so).
fn is_text(v: &Val, want: &str) -> Tri {
    match &v.kind {
        ValKind::String(s) => Tri::from_bool(s.eq_ignore_ascii_case(want)),
        ValKind::Unknown(why) if why.may_be_text(want, true) => Tri::Unknown,
        _ => Tri::False,
    }
}

/// Whether a value, or some element of a list value, is the text `want`.
fn has_text(v: &Val, want: &str) -> Tri {
    match &v.kind {
        ValKind::List(items) => items.iter().map(|i| is_text(i, want)).max().unwrap_or(Tri::False),
        _ => is_text(v, want),
    }
}

/// A `levels` list that names every level does not narrow the alert.
fn all_levels(v: &Val) -> bool {
    v.as_list()
        .is_some_and(|items| LEVELS.iter().all(|l| items.iter().any(|i| is_text(i, l) == Tri::True)))
}

/// The place of `key` in `block` (a map), else of the block itself.
fn place<'a>(block: &'a Val, key: &'static str, fallback: Place<'a>) -> Place<'a> {
    match block.entry(key) {
        Some(e) => Place {
            path: key,
            span: e.key_span.or(e.value.span).unwrap_or(fallback.span),
            val: Some(&e.value),
        },
        None => fallback,
    }
}

/// The alert's single `criteria` block, where it is, or `Err` with the place
/// when it is not known.
fn criteria(alert: &Subject) -> Result<Option<(&Val, Place<'_>)>, Place<'_>> {
    let header = Place {
        path: "",
        span: alert.header,
        val: None,
    };
    let at = place(&alert.value, "criteria", header);
    match alert.value.blocks("criteria") {
        None => Err(at),
        Some(list) => match list.first() {
            Some(c) if c.is_unknown() => Err(at),
            Some(c) => Ok(Some((c, at))),
            None => Ok(None),
        },
    }
}

/// Whether the alert is on the Administrative category (inconclusive when
/// its criteria or category are not known).
fn administrative(alert: &Subject) -> Tri {
    match criteria(alert) {
        Err(_) => Tri::Unknown,
        Ok(None) => Tri::False,
        Ok(Some((c, _))) => c.get("category").map_or(Tri::False, |v| is_text(v, "Administrative")),
    }
}

/// Judges one alert: it covers the operation when it is enabled; its
/// criteria are on the Administrative category, name the operation (or no
/// operation at all, so every administrative event), with any resource
/// provider or type filter the operation's own, and no filter on callers,
/// levels, statuses, resource groups or resources; one of its `scopes` is
/// a whole subscription; and an `action` block names an action group.
fn judge<'a>(alert: &'a Subject, op: &Operation) -> Judgement<'a> {
    let header = Place {
        path: "",
        span: alert.header,
        val: None,
    };
    let mut tests: Vec<Test<'a>> = Vec::new();
    let mut meant = false;

    match criteria(alert) {
        Err(at) => tests.push(Test {
            truth: Tri::Unknown,
            at,
            flaw: String::new(),
        }),
        Ok(None) => tests.push(Test {
            truth: Tri::False,
            at: header,
            flaw: "it has no criteria block".into(),
        }),
        Ok(Some((c, c_at))) => {
            let category = place(c, "category", c_at);
            let cat_truth = c.get("category").map_or(Tri::False, |v| is_text(v, "Administrative"));
            tests.push(Test {
                truth: cat_truth,
                at: category,
                flaw: format!(
                    "its category is {}, not Administrative",
                    c.get("category").map_or("not set".into(), Val::describe)
                ),
            });
            let operation = place(c, "operation_name", c_at);
            let op_truth = match c.get("operation_name") {
                // No operation: every administrative event.
                None => Tri::True,
                Some(v) if v.is_null() => Tri::True,
                Some(v) => is_text(v, op.name),
            };
            meant = cat_truth != Tri::False
                && c.get("operation_name")
                    .and_then(Val::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(op.name));
            tests.push(Test {
                truth: op_truth,
                at: operation,
                flaw: format!(
                    "its operation is {}",
                    c.get("operation_name").map_or(String::new(), Val::describe)
                ),
            });
            for (key, want) in [
                ("resource_provider", op.provider()),
                ("resource_providers", op.provider()),
                ("resource_type", op.resource_type()),
                ("resource_types", op.resource_type()),
            ] {
                let v = c.get(key);
                let truth = match set(v) {
                    Tri::False => Tri::True,
                    Tri::Unknown => Tri::Unknown,
                    Tri::True => v.map_or(Tri::True, |v| has_text(v, want)),
                };
                tests.push(Test {
                    truth,
                    at: place(c, key, c_at),
                    flaw: format!(
                        "its {key} {} never matches the operation's {want}",
                        v.map_or(String::new(), Val::describe)
                    ),
                });
            }
            for key in NARROWING {
                let v = c.get(key);
                let truth = match set(v) {
                    Tri::True if key == "levels" && v.is_some_and(all_levels) => Tri::True,
                    other => other.negate(),
                };
                tests.push(Test {
                    truth,
                    at: place(c, key, c_at),
                    flaw: format!(
                        "it filters on {key} ({}), so other events of the operation raise no alert",
                        v.map_or(String::new(), Val::describe)
                    ),
                });
            }
        }
    }

    let enabled = alert.value.get("enabled");
    tests.push(Test {
        truth: match enabled.map(|v| &v.kind) {
            Some(ValKind::Unknown(_)) => Tri::Unknown,
            _ => Tri::from_bool(enabled.and_then(Val::as_bool) != Some(false)),
        },
        at: place(&alert.value, "enabled", header),
        flaw: "it is disabled (enabled = false)".into(),
    });

    let scopes_at = place(&alert.value, "scopes", header);
    let scopes = match alert.value.get("scopes").map(|v| &v.kind) {
        Some(ValKind::List(items)) => items
            .iter()
            .map(|s| match names_subscription(s) {
                Some(true) => Tri::True,
                Some(false) => Tri::False,
                None => Tri::Unknown,
            })
            .max()
            .unwrap_or(Tri::False),
        Some(ValKind::Unknown(_)) => Tri::Unknown,
        _ => Tri::False,
    };
    tests.push(Test {
        truth: scopes,
        at: scopes_at,
        flaw: "none of its scopes is a whole subscription (a resource group or resource scope misses the rest of the subscription)".into(),
    });

    let action_at = place(&alert.value, "action", header);
    let actions = match alert.value.blocks("action") {
        None => Tri::Unknown,
        Some(list) => list
            .iter()
            .map(|a| {
                if a.is_unknown() {
                    Tri::Unknown
                } else {
                    // Required in the block: an unknown id is still an action group.
                    set(a.get("action_group_id"))
                        .max(Tri::from_bool(a.get("action_group_id").is_some_and(Val::is_unknown)))
                }
            })
            .max()
            .unwrap_or(Tri::False),
    };
    tests.push(Test {
        truth: actions,
        at: action_at,
        flaw: "it has no action block with an action group, so nobody is notified".into(),
    });

    let covers = tests.iter().map(|t| t.truth).min().unwrap_or(Tri::False);
    let at = tests
        .iter()
        .find(|t| t.truth == Tri::False)
        .or_else(|| tests.iter().find(|t| t.truth == Tri::Unknown))
        .map(|t| t.at);
    let flaws = tests
        .into_iter()
        .filter(|t| t.truth == Tri::False)
        .map(|t| t.flaw)
        .collect();
    Judgement {
        covers,
        meant,
        at,
        flaws,
    }
}

pub fn azure_activity_log_alert(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let wanted = cx.args.get("operation").and_then(|v| v.as_str());
    let Some(op) = OPERATIONS.iter().find(|o| Some(o.name) == wanted) else {
        return;
    };
    let kinds = [Str::from(KIND)];
    let alerts: Vec<&Subject> = cx
        .set
        .select("resource", &kinds)
        .filter(|a| administrative(a) != Tri::False)
        .collect();
    let Some(first) = alerts.first().copied() else {
        return;
    };
    let cis = format!("CIS Azure Foundations {}", op.cis);
    let mut unknown: Option<(&Subject, Judgement)> = None;
    let mut flawed: Option<(&Subject, Judgement)> = None;
    for alert in &alerts {
        let j = judge(alert, op);
        match j.covers {
            Tri::True => return,
            Tri::Unknown => {
                if unknown.is_none() {
                    unknown = Some((alert, j));
                }
            }
            Tri::False => {
                if j.meant && flawed.is_none() {
                    flawed = Some((alert, j));
                }
            }
        }
    }
    let (truth, subject, at, message) = if let Some((alert, j)) = unknown {
        let what = j.at.map_or("", |p| p.path);
        let why = if what.is_empty() {
            "its settings are not known".to_string()
        } else {
            format!("the value of its {what} is not known")
        };
        (
            Tri::Unknown,
            alert,
            j.at,
            format!(
                "{} may be the activity log alert on {} ({}, {cis}); {why}",
                alert.address, op.what, op.name
            ),
        )
    } else if let Some((alert, j)) = flawed {
        (
            Tri::True,
            alert,
            j.at,
            format!(
                "{} alerts on {} ({}, {cis}) but {}",
                alert.address,
                op.what,
                op.name,
                j.flaws.join("; ")
            ),
        )
    } else {
        (
            Tri::True,
            first,
            None,
            format!(
                "This configuration has activity log alerts on administrative operations (such as {}) but none that notifies an action group of {} ({}) across the subscription ({cis})",
                first.address, op.what, op.name
            ),
        )
    };
    let attribute = at.filter(|p| !p.path.is_empty()).map(|p| (p.span, p.path, p.val));
    hits.push(cx.subject_hit(subject, attribute, truth, message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Unknown;

    fn s(text: &str) -> Val {
        Val::string(text, None)
    }

    fn alert(criteria: Vec<(&str, Val)>, rest: Vec<(&str, Val)>) -> Subject {
        let mut subject = Subject::bare("resource", KIND);
        let criteria = Val::map(criteria.into_iter().map(|(k, v)| (Str::from(k), v)), None);
        let mut pairs: Vec<(Str, Val)> = vec![
            ("criteria".into(), Val::list(vec![criteria], None)),
            ("scopes".into(), Val::list(vec![s("/subscriptions/0000")], None)),
            (
                "action".into(),
                Val::list(
                    vec![Val::map(
                        [(Str::from("action_group_id"), s("/subscriptions/0000/x"))],
                        None,
                    )],
                    None,
                ),
            ),
        ];
        for (k, v) in rest {
            pairs.retain(|(key, _)| &**key != k);
            pairs.push((k.into(), v));
        }
        subject.value = Val::map(pairs, None);
        subject
    }

    fn op(name: &str) -> &'static Operation {
        OPERATIONS.iter().find(|o| o.name == name).unwrap()
    }

    const NSG_WRITE: &str = "Microsoft.Network/networkSecurityGroups/write";

    fn covers(a: &Subject) -> Tri {
        judge(a, op(NSG_WRITE)).covers
    }

    fn admin(extra: Vec<(&str, Val)>) -> Vec<(&'static str, Val)> {
        let mut c: Vec<(&'static str, Val)> = vec![("category", s("Administrative")), ("operation_name", s(NSG_WRITE))];
        for (k, v) in extra {
            let k: &'static str = Box::leak(k.to_string().into_boxed_str());
            c.retain(|(key, _)| *key != k);
            c.push((k, v));
        }
        c
    }

    #[test]
    fn the_cis_alert_covers_its_operation_only() {
        let a = alert(admin(vec![]), vec![]);
        assert_eq!(covers(&a), Tri::True);
        for other in OPERATIONS.iter().filter(|o| o.name != NSG_WRITE) {
            assert_eq!(judge(&a, other).covers, Tri::False, "{}", other.name);
        }
    }

    #[test]
    fn names_are_compared_without_case() {
        let a = alert(
            admin(vec![
                ("category", s("administrative")),
                ("operation_name", s("microsoft.network/NETWORKSECURITYGROUPS/write")),
                ("resource_provider", s("microsoft.network")),
            ]),
            vec![],
        );
        assert_eq!(covers(&a), Tri::True);
    }

    #[test]
    fn narrowing_filters_and_wrong_settings_fail() {
        for (key, v) in [
            ("caller", s("admin@example.com")),
            ("level", s("Error")),
            ("status", s("Succeeded")),
            ("resource_group", s("rg")),
            ("resource_type", s("Microsoft.Network/publicIPAddresses")),
            ("levels", Val::list(vec![s("Error"), s("Critical")], None)),
        ] {
            let a = alert(admin(vec![(key, v)]), vec![]);
            let j = judge(&a, op(NSG_WRITE));
            assert_eq!(j.covers, Tri::False, "{key}");
            assert!(j.meant);
            assert_eq!(j.at.unwrap().path, key);
        }
        let every_level = Val::list(LEVELS.iter().map(|l| s(l)).collect(), None);
        assert_eq!(covers(&alert(admin(vec![("levels", every_level)]), vec![])), Tri::True);
        let disabled = alert(admin(vec![]), vec![("enabled", Val::bool(false, None))]);
        assert_eq!(covers(&disabled), Tri::False);
        let group = alert(
            admin(vec![]),
            vec![(
                "scopes",
                Val::list(vec![s("/subscriptions/0000/resourceGroups/rg")], None),
            )],
        );
        assert_eq!(covers(&group), Tri::False);
        let silent = alert(admin(vec![]), vec![("action", Val::list(vec![], None))]);
        assert_eq!(covers(&silent), Tri::False);
    }

    #[test]
    fn every_administrative_event_covers() {
        let a = alert(vec![("category", s("Administrative"))], vec![]);
        assert_eq!(covers(&a), Tri::True);
        assert!(!judge(&a, op(NSG_WRITE)).meant);
    }

    #[test]
    fn unknown_values_are_inconclusive() {
        let var = || Val::unknown(Unknown::UnsetVariable("x".into()), None);
        assert_eq!(
            covers(&alert(admin(vec![("operation_name", var())]), vec![])),
            Tri::Unknown
        );
        assert_eq!(covers(&alert(admin(vec![]), vec![("enabled", var())])), Tri::Unknown);
        assert_eq!(
            covers(&alert(admin(vec![]), vec![("scopes", Val::list(vec![var()], None))])),
            Tri::Unknown
        );
        assert_eq!(covers(&alert(admin(vec![]), vec![("criteria", var())])), Tri::Unknown);
        // A template that cannot be the operation.
        let other = Val::unknown(
            Unknown::PartialText {
                why: Box::new(Unknown::UnsetVariable("x".into())),
                prefix: "Microsoft.Sql/".into(),
                suffix: "".into(),
            },
            None,
        );
        assert_eq!(
            covers(&alert(admin(vec![("operation_name", other)]), vec![])),
            Tri::False
        );
        // An action group a resource computes is an action group.
        let computed = Val::unknown(Unknown::Computed, None);
        let a = alert(
            admin(vec![]),
            vec![(
                "action",
                Val::list(vec![Val::map([(Str::from("action_group_id"), computed)], None)], None),
            )],
        );
        assert_eq!(covers(&a), Tri::True);
    }

    #[test]
    fn operation_parts() {
        let o = op("Microsoft.Sql/servers/firewallRules/delete");
        assert_eq!(o.provider(), "Microsoft.Sql");
        assert_eq!(o.resource_type(), "Microsoft.Sql/servers/firewallRules");
    }
}
