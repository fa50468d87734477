//! `gcp-log-metric-alert`: the CIS Google Cloud Platform Foundation
//! monitoring controls (2.4–2.11): a logs-based metric whose filter catches
//! one class of audit log entries, and an alert policy on that metric.
//!
//! These are project-level controls, so a configuration is judged only when
//! it sets up audit-log monitoring itself: when it has at least one
//! `google_logging_metric` whose filter reads audit log entries
//! (`protoPayload…` fields, the `cloudaudit.googleapis.com` logs). One
//! without any leaves the project's alerting to another one and passes; so
//! does one with metrics but no alert policy at all (a building block whose
//! alerts are made elsewhere), unless a metric meant for the control has a
//! filter that misses some of its events.
//! Where it has some, each control (`args.control`) needs one filter that
//! catches at least every entry the CIS filter catches (see [`Control`]),
//! on a metric that an enabled `google_monitoring_alert_policy` watches
//! (a threshold, MQL or PromQL condition naming
//! `logging.googleapis.com/user/<metric>`), or in a log-match condition
//! (`condition_matched_log`) of an enabled policy.
//!
//! Filters are compared by what they match, through sample entries
//! ([`super::logging_query`]), so spacing, quoting, parentheses, the order
//! of `OR` terms and extra conditions on other fields do not matter; a
//! filter that does not parse, or a value that is not known, is
//! inconclusive, never a finding.

use super::monitoring::{Candidates, Verdict};
use crate::checks::{CheckCx, Hit, top_attribute};
use crate::policy::condition::Tri;
use crate::subject::Subject;
use crate::value::{Str, Unknown, Val, ValKind};

use super::logging_query::{self as query, Expr, LogEntry, Op};

/// One audit log entry of a control's class: `(field, value)` pairs, `"?"`
/// for a value that is not known; `text`: words that appear in some field
/// not named (the CIS ownership filter's `ProjectOwnership`).
pub struct Sample {
    pub label: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
    pub text: &'static [&'static str],
}

pub struct Control {
    /// The value of the policy's `args.control`.
    pub key: &'static str,
    /// The entries, for messages: "custom role changes".
    pub what: &'static str,
    /// The CIS Google Cloud Platform Foundation 2.0.0 recommendation.
    pub cis: &'static str,
    /// The CIS filter, for messages and tests.
    pub filter: &'static str,
    pub events: Events,
}

pub enum Events {
    /// Calls of `methods` on `resource_type`, served by `service`.
    Calls {
        resource_type: &'static str,
        service: &'static str,
        methods: &'static [&'static str],
    },
    Listed(&'static [Sample]),
}

const RESOURCE_TYPE: &str = "resource.type";
const SERVICE: &str = "protoPayload.serviceName";
const METHOD: &str = "protoPayload.methodName";
const BINDING_ACTION: &str = "protoPayload.serviceData.policyDelta.bindingDeltas.action";
const BINDING_ROLE: &str = "protoPayload.serviceData.policyDelta.bindingDeltas.role";
const AUDIT_CONFIG_DELTAS: &str = "protoPayload.serviceData.policyDelta.auditConfigDeltas";
const AUDIT_CONFIG_ACTION: &str = "protoPayload.serviceData.policyDelta.auditConfigDeltas.action";

/// The fields entries are told apart by: a comparison on any other field
/// (severity, the caller, labels) is taken as satisfied.
const JUDGED: &[&str] = &[
    RESOURCE_TYPE,
    SERVICE,
    METHOD,
    BINDING_ACTION,
    BINDING_ROLE,
    AUDIT_CONFIG_DELTAS,
    AUDIT_CONFIG_ACTION,
];

const CRM: &str = "cloudresourcemanager.googleapis.com";

/// Text every Admin Activity audit entry holds besides the fields a sample
/// names: its log name and payload type.
const AUDIT_TEXT: &[&str] = &[
    "projects/PROJECT/logs/cloudaudit.googleapis.com%2Factivity",
    "type.googleapis.com/google.cloud.audit.AuditLog",
];

pub static CONTROLS: &[Control] = &[
    Control {
        key: "project-ownership-changes",
        what: "project ownership assignments and changes",
        cis: "2.4",
        filter: r#"(protoPayload.serviceName="cloudresourcemanager.googleapis.com") AND (ProjectOwnership OR projectOwnerInvitee) OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE" AND protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner") OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner")"#,
        events: Events::Listed(&[
            Sample {
                label: "grants of roles/owner",
                fields: &[
                    (RESOURCE_TYPE, "project"),
                    (SERVICE, CRM),
                    (METHOD, "SetIamPolicy"),
                    (BINDING_ACTION, "ADD"),
                    (BINDING_ROLE, "roles/owner"),
                ],
                text: &[],
            },
            Sample {
                label: "removals of roles/owner",
                fields: &[
                    (RESOURCE_TYPE, "project"),
                    (SERVICE, CRM),
                    (METHOD, "SetIamPolicy"),
                    (BINDING_ACTION, "REMOVE"),
                    (BINDING_ROLE, "roles/owner"),
                ],
                text: &[],
            },
            Sample {
                label: "ownership invitations (ProjectOwnership)",
                fields: &[
                    (RESOURCE_TYPE, "?"),
                    (SERVICE, CRM),
                    (METHOD, "?"),
                    (BINDING_ACTION, "?"),
                    (BINDING_ROLE, "?"),
                ],
                text: &["ProjectOwnership"],
            },
            Sample {
                label: "ownership invitations (projectOwnerInvitee)",
                fields: &[
                    (RESOURCE_TYPE, "?"),
                    (SERVICE, CRM),
                    (METHOD, "?"),
                    (BINDING_ACTION, "?"),
                    (BINDING_ROLE, "?"),
                ],
                text: &["projectOwnerInvitee"],
            },
        ]),
    },
    Control {
        key: "audit-config-changes",
        what: "audit configuration changes",
        cis: "2.5",
        filter: r#"protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*"#,
        events: Events::Listed(&[
            Sample {
                label: "audit configurations added",
                fields: &[
                    (RESOURCE_TYPE, "project"),
                    (SERVICE, CRM),
                    (METHOD, "SetIamPolicy"),
                    (AUDIT_CONFIG_ACTION, "ADD"),
                ],
                text: &[],
            },
            Sample {
                label: "audit configurations removed",
                fields: &[
                    (RESOURCE_TYPE, "project"),
                    (SERVICE, CRM),
                    (METHOD, "SetIamPolicy"),
                    (AUDIT_CONFIG_ACTION, "REMOVE"),
                ],
                text: &[],
            },
        ]),
    },
    Control {
        key: "custom-role-changes",
        what: "custom role changes",
        cis: "2.6",
        filter: r#"resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR protoPayload.methodName="google.iam.admin.v1.UpdateRole")"#,
        events: Events::Calls {
            resource_type: "iam_role",
            service: "iam.googleapis.com",
            methods: &[
                "google.iam.admin.v1.CreateRole",
                "google.iam.admin.v1.DeleteRole",
                "google.iam.admin.v1.UpdateRole",
            ],
        },
    },
    Control {
        key: "firewall-rule-changes",
        what: "VPC firewall rule changes",
        cis: "2.7",
        filter: r#"resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR protoPayload.methodName:"compute.firewalls.insert" OR protoPayload.methodName:"compute.firewalls.delete")"#,
        events: Events::Calls {
            resource_type: "gce_firewall_rule",
            service: "compute.googleapis.com",
            methods: &[
                "v1.compute.firewalls.patch",
                "v1.compute.firewalls.insert",
                "v1.compute.firewalls.delete",
                "beta.compute.firewalls.patch",
                "beta.compute.firewalls.insert",
                "beta.compute.firewalls.delete",
            ],
        },
    },
    Control {
        key: "route-changes",
        what: "VPC route changes",
        cis: "2.8",
        filter: r#"resource.type="gce_route" AND (protoPayload.methodName:"compute.routes.delete" OR protoPayload.methodName:"compute.routes.insert")"#,
        events: Events::Calls {
            resource_type: "gce_route",
            service: "compute.googleapis.com",
            methods: &[
                "v1.compute.routes.delete",
                "v1.compute.routes.insert",
                "beta.compute.routes.delete",
                "beta.compute.routes.insert",
            ],
        },
    },
    Control {
        key: "network-changes",
        what: "VPC network changes",
        cis: "2.9",
        filter: r#"resource.type="gce_network" AND (protoPayload.methodName:"compute.networks.insert" OR protoPayload.methodName:"compute.networks.patch" OR protoPayload.methodName:"compute.networks.delete" OR protoPayload.methodName:"compute.networks.removePeering" OR protoPayload.methodName:"compute.networks.addPeering")"#,
        events: Events::Calls {
            resource_type: "gce_network",
            service: "compute.googleapis.com",
            methods: &[
                "v1.compute.networks.insert",
                "v1.compute.networks.patch",
                "v1.compute.networks.delete",
                "v1.compute.networks.removePeering",
                "v1.compute.networks.addPeering",
                "beta.compute.networks.insert",
                "beta.compute.networks.patch",
                "beta.compute.networks.delete",
                "beta.compute.networks.removePeering",
                "beta.compute.networks.addPeering",
            ],
        },
    },
    Control {
        key: "storage-iam-changes",
        what: "Cloud Storage IAM permission changes",
        cis: "2.10",
        filter: r#"resource.type="gcs_bucket" AND protoPayload.methodName="storage.setIamPermissions""#,
        events: Events::Calls {
            resource_type: "gcs_bucket",
            service: "storage.googleapis.com",
            methods: &["storage.setIamPermissions"],
        },
    },
    Control {
        key: "sql-instance-changes",
        what: "Cloud SQL instance configuration changes",
        cis: "2.11",
        filter: r#"protoPayload.methodName="cloudsql.instances.update""#,
        events: Events::Calls {
            resource_type: "cloudsql_database",
            service: "cloudsql.googleapis.com",
            methods: &["cloudsql.instances.update"],
        },
    },
];

/// A sample entry, owned.
struct Entry {
    label: String,
    fields: Vec<(&'static str, &'static str)>,
    text: &'static [&'static str],
}

impl Control {
    fn samples(&self) -> Vec<Entry> {
        match &self.events {
            Events::Listed(samples) => samples
                .iter()
                .map(|s| Entry {
                    label: s.label.to_string(),
                    fields: s.fields.to_vec(),
                    text: s.text,
                })
                .collect(),
            Events::Calls {
                resource_type,
                service,
                methods,
            } => methods
                .iter()
                .map(|m| Entry {
                    label: format!("{m} calls"),
                    fields: vec![(RESOURCE_TYPE, *resource_type), (SERVICE, *service), (METHOD, *m)],
                    text: &[],
                })
                .collect(),
        }
    }
}

fn under(field: &str, prefix: &str) -> bool {
    field == prefix || field.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.'))
}

impl LogEntry for Entry {
    fn compare(&self, field: &str, op: Op, value: Option<&str>) -> Option<Tri> {
        if field == "logName" {
            return Some(value.map_or(Tri::True, |v| log_name(op, v)));
        }
        // Audit log entries carry their payload in protoPayload only.
        if under(field, "jsonPayload") || under(field, "textPayload") {
            return Some(match op {
                Op::Ne | Op::NotRegex => Tri::Unknown,
                _ => Tri::False,
            });
        }
        let Some(want) = value else {
            // `:*`: present when some field of the entry lies under it.
            if self.fields.iter().any(|(f, _)| under(f, field)) {
                return Some(Tri::True);
            }
            let judged = JUDGED.iter().any(|j| under(j, field) || under(field, j));
            return judged.then_some(Tri::False);
        };
        if JUDGED.contains(&field) {
            let have = self.fields.iter().find(|(f, _)| *f == field).map(|(_, v)| *v);
            return Some(match have {
                None => match op {
                    Op::Ne | Op::NotRegex => Tri::Unknown,
                    _ => Tri::False,
                },
                Some("?") => Tri::Unknown,
                Some(have) => query::compare_text(have, op, want),
            });
        }
        // A whole message compared with a value (`protoPayload.serviceData = x`).
        JUDGED.iter().any(|j| under(j, field)).then_some(Tri::Unknown)
    }

    fn global(&self, text: &str) -> Tri {
        let mut known = self
            .fields
            .iter()
            .map(|(_, v)| *v)
            .filter(|v| *v != "?")
            .chain(self.text.iter().copied())
            .chain(AUDIT_TEXT.iter().copied());
        let lower = text.to_ascii_lowercase();
        if known.clone().any(|v| v.contains(text)) {
            Tri::True
        } else if known.any(|v| v.to_ascii_lowercase().contains(&lower)) || self.fields.iter().any(|(_, v)| *v == "?") {
            // Case, or a field whose value is not known.
            Tri::Unknown
        } else {
            // The text is in none of the fields the class shares: a filter
            // that needs it catches only some of the class.
            Tri::False
        }
    }

    fn function(&self, name: &str, args: &[String]) -> Option<Tri> {
        Some(match (name.to_ascii_lowercase().as_str(), args) {
            ("log_id", [id]) => Tri::from_bool(normal_log(id) == "cloudaudit.googleapis.com/activity"),
            ("search", [text]) => self.global(text),
            _ => Tri::Unknown,
        })
    }
}

/// A log id with `%2F` written as `/`, lower case.
fn normal_log(id: &str) -> String {
    id.to_ascii_lowercase().replace("%2f", "/")
}

/// A comparison on `logName`: the entries are Admin Activity audit logs
/// (`…/logs/cloudaudit.googleapis.com%2Factivity`) of some project.
fn log_name(op: Op, value: &str) -> Tri {
    const ACTIVITY: &str = "cloudaudit.googleapis.com/activity";
    let v = normal_log(value);
    let tail = v.rsplit_once("/logs/").map(|(_, t)| t.to_string());
    let scope = ["projects/", "organizations/", "folders/", "billingaccounts/"]
        .iter()
        .any(|p| v.starts_with(p));
    match op {
        Op::Eq | Op::Ne => {
            let eq = Tri::from_bool(tail.as_deref() == Some(ACTIVITY));
            if op == Op::Eq { eq } else { eq.negate() }
        }
        Op::Has => match tail {
            Some(t) => Tri::from_bool(ACTIVITY.contains(t.as_str())),
            None if scope => Tri::Unknown,
            None => Tri::from_bool(!v.is_empty() && ACTIVITY.contains(v.as_str())),
        },
        _ => Tri::Unknown,
    }
}

/// How a filter fits a control.
struct Fit {
    /// Catches every sample entry of the class.
    covers: Tri,
    /// Meant for the control (it catches some of its entries) without
    /// covering it: what it misses.
    flaw: Option<String>,
}

fn fit(expr: &Expr, control: &Control) -> Fit {
    let samples = control.samples();
    let caught: Vec<Tri> = samples.iter().map(|s| expr.matches(s)).collect();
    let covers = caught.iter().copied().min().unwrap_or(Tri::False);
    if covers != Tri::False {
        return Fit { covers, flaw: None };
    }
    let meant = caught.contains(&Tri::True);
    let flaw = meant.then(|| {
        let missed: Vec<&Entry> = samples
            .iter()
            .zip(&caught)
            .filter(|(_, t)| **t == Tri::False)
            .map(|(s, _)| s)
            .collect();
        let more = if missed.len() > 1 {
            format!(" and {} other kind(s) of entry", missed.len() - 1)
        } else {
            String::new()
        };
        format!("misses {}{more}", missed[0].label)
    });
    Fit { covers, flaw }
}

/// What a filter is.
enum Parsed {
    Expr(Expr),
    /// Known text this module does not read.
    Unreadable(String),
    /// A value that is not known (or no filter at all).
    Unknown(Option<String>),
}

/// A filter that may satisfy a control: a logs-based metric's, or a
/// log-match alert condition's.
struct Filter<'a> {
    subject: &'a Subject,
    value: Option<&'a Val>,
    parsed: Parsed,
    /// For a log-match condition: whether its policy is enabled.
    matched_log: Option<Tri>,
}

impl Filter<'_> {
    fn new<'a>(subject: &'a Subject, value: Option<&'a Val>, matched_log: Option<Tri>) -> Filter<'a> {
        let parsed = match value.map(|v| &v.kind) {
            Some(ValKind::String(s)) => match query::parse(s) {
                Some(e) => Parsed::Expr(e),
                None => Parsed::Unreadable(s.to_string()),
            },
            Some(ValKind::Unknown(Unknown::PartialText { prefix, suffix, .. })) => {
                Parsed::Unknown(Some(format!("{prefix} {suffix}")))
            }
            _ => Parsed::Unknown(None),
        };
        Filter {
            subject,
            value,
            parsed,
            matched_log,
        }
    }

    fn fit(&self, control: &Control) -> Fit {
        match &self.parsed {
            Parsed::Expr(e) => fit(e, control),
            Parsed::Unreadable(_) | Parsed::Unknown(_) => Fit {
                covers: Tri::Unknown,
                flaw: None,
            },
        }
    }

    /// Whether the filter reads audit log entries.
    fn reads_audit_logs(&self) -> bool {
        let text_says = |t: &str| t.contains("protoPayload") || t.contains("cloudaudit");
        match &self.parsed {
            Parsed::Expr(e) => e.fields().iter().any(|f| under(f, "protoPayload")) || e.mentions("cloudaudit"),
            Parsed::Unreadable(t) | Parsed::Unknown(Some(t)) => text_says(t),
            Parsed::Unknown(None) => false,
        }
    }
}

/// Whether an alert policy is enabled (`enabled` defaults to true).
fn enabled(policy: &Subject) -> Tri {
    match policy.value.get("enabled") {
        None => Tri::True,
        Some(v) if v.is_null() => Tri::True,
        Some(v) => match v.as_bool() {
            Some(b) => Tri::from_bool(b),
            None => Tri::Unknown,
        },
    }
}

const USER_METRIC: &str = "logging.googleapis.com/user/";
const PROM_USER_METRIC: &str = "logging_googleapis_com:user_";

/// Whether `text` (a monitoring filter, MQL or PromQL query) names the user
/// metric `name`.
fn names_in_text(text: &str, name: &str) -> bool {
    let found = |needle: &str, boundary: &dyn Fn(char) -> bool| {
        text.match_indices(needle)
            .any(|(i, _)| text[i + needle.len()..].chars().next().is_none_or(boundary))
    };
    let quoted = format!("{USER_METRIC}{name}");
    let prom: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    found(&quoted, &|c| c.is_whitespace() || "\"'|`{}".contains(c))
        || found(&format!("{PROM_USER_METRIC}{prom}"), &|c| {
            !(c.is_ascii_alphanumeric() || c == '_' || c == ':')
        })
}

/// Whether the text may pick user metrics by pattern rather than by name.
fn by_pattern(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    (t.contains(USER_METRIC) || t.contains(PROM_USER_METRIC) || t.contains("__name__"))
        && ["starts_with", "ends_with", "has_substring", "regex", "=~", "one_of"]
            .iter()
            .any(|f| t.contains(f))
}

/// Whether a condition's filter or query names the metric.
fn names_metric(text: Option<&Val>, metric: &Subject) -> Tri {
    let Some(text) = text else { return Tri::False };
    let name = metric.value.get("name");
    match (&text.kind, name.map(|n| &n.kind)) {
        (ValKind::String(t), Some(ValKind::String(n))) => {
            if names_in_text(t, n) {
                Tri::True
            } else if by_pattern(t) {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        (ValKind::String(t), _) => {
            if t.contains(USER_METRIC) || t.contains(PROM_USER_METRIC) {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        (ValKind::Unknown(Unknown::PartialText { prefix, suffix, .. }), Some(ValKind::String(n))) => {
            if names_in_text(prefix, n) || names_in_text(suffix, n) {
                Tri::True
            } else {
                Tri::Unknown
            }
        }
        (ValKind::Unknown(_), _) => Tri::Unknown,
        _ => Tri::False,
    }
}

/// Whether some enabled alert policy watches the metric.
fn alerted(metric: &Subject, policies: &[&Subject]) -> Tri {
    let mut best = Tri::False;
    for policy in policies {
        let on = enabled(policy);
        if on == Tri::False {
            continue;
        }
        let mut here = Tri::False;
        match policy.value.blocks("conditions") {
            None => here = Tri::Unknown,
            Some(conditions) => {
                for condition in conditions {
                    if condition.is_unknown() {
                        here = here.max(Tri::Unknown);
                        continue;
                    }
                    for (key, attr) in [
                        ("condition_threshold", "filter"),
                        ("condition_monitoring_query_language", "query"),
                        ("condition_prometheus_query_language", "query"),
                    ] {
                        match condition.blocks(key) {
                            None => here = here.max(Tri::Unknown),
                            Some(bs) => {
                                for b in bs {
                                    here = here.max(names_metric(b.get(attr), metric));
                                }
                            }
                        }
                    }
                }
            }
        }
        best = best.max(here.min(on));
        if best == Tri::True {
            break;
        }
    }
    best
}

pub fn gcp_log_metric_alert(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let wanted = cx.args.get("control").and_then(|v| v.as_str());
    let Some(control) = CONTROLS.iter().find(|c| Some(c.key) == wanted) else {
        return;
    };
    let metric_kinds = [Str::from("google_logging_metric")];
    let metrics: Vec<Filter> = cx
        .set
        .select("resource", &metric_kinds)
        .map(|s| Filter::new(s, s.value.get("filter"), None))
        .collect();
    let Some(anchor) = metrics.iter().find(|f| f.reads_audit_logs()) else {
        return;
    };
    let policy_kinds = [Str::from("google_monitoring_alert_policy")];
    let policies: Vec<&Subject> = cx.set.select("resource", &policy_kinds).collect();
    let mut matched_logs = Vec::new();
    for policy in &policies {
        let on = enabled(policy);
        if on == Tri::False {
            continue;
        }
        for condition in policy.value.blocks("conditions").unwrap_or_default() {
            for b in condition.blocks("condition_matched_log").unwrap_or_default() {
                matched_logs.push(Filter::new(policy, b.get("filter"), Some(on)));
            }
        }
    }

    let mut unknown: Option<&Filter> = None;
    let mut unalerted: Option<&Filter> = None;
    let mut flawed: Option<(&Filter, String)> = None;
    let mut switched_off: Option<&Filter> = None;
    for f in metrics.iter().chain(&matched_logs) {
        let disabled = match f.matched_log {
            Some(_) => Tri::False,
            None => f
                .subject
                .value
                .get("disabled")
                .map_or(Tri::False, |d| match d.as_bool() {
                    Some(b) => Tri::from_bool(b),
                    None if d.is_null() => Tri::False,
                    None => Tri::Unknown,
                }),
        };
        let fit = f.fit(control);
        if fit.covers == Tri::False {
            if let Some(flaw) = fit.flaw
                && flawed.is_none()
                && f.matched_log.is_none()
                && !covers_another(f, control)
            {
                flawed = Some((f, flaw));
            }
            continue;
        }
        let watched = match f.matched_log {
            Some(on) => on,
            None => alerted(f.subject, &policies),
        };
        match fit.covers.min(watched).min(disabled.negate()) {
            Tri::True => return,
            Tri::Unknown => {
                unknown.get_or_insert(f);
            }
            Tri::False => {
                if disabled == Tri::False {
                    unalerted.get_or_insert(f);
                } else if fit.covers == Tri::True {
                    switched_off.get_or_insert(f);
                }
            }
        }
    }
    let candidates = Candidates {
        unknown,
        unwatched: unalerted,
        switched_off,
        flawed,
    };
    let Some(verdict) = candidates.verdict(!policies.is_empty()) else {
        return;
    };
    let cis = format!("CIS GCP {}", control.cis);
    let (truth, at, path, message) = match verdict {
        Verdict::Unknown(f) => {
            let what = if f.matched_log.is_some() {
                "log-match alert condition"
            } else {
                "logs-based metric with an alert"
            };
            (
                Tri::Unknown,
                f,
                if f.matched_log.is_some() { "" } else { "filter" },
                if matches!(f.parsed, Parsed::Expr(_)) && f.fit(control).covers == Tri::Unknown {
                    format!(
                        "{} may be the {what} for {} ({cis}); whether its filter catches every such entry cannot be decided (letter case, a pattern, or fields Palisade does not know)",
                        f.subject.address, control.what
                    )
                } else {
                    format!(
                        "{} may be the {what} for {} ({cis}); its filter, or what alerts on it, is not known",
                        f.subject.address, control.what
                    )
                },
            )
        }
        Verdict::Unwatched(f) => {
            let metric = f
                .subject
                .value
                .get("name")
                .and_then(Val::as_str)
                .map(|n| format!("{USER_METRIC}{n}"))
                .unwrap_or_else(|| "its metric".to_string());
            (
                Tri::True,
                f,
                "",
                format!(
                    "{} catches {} ({cis}), but no enabled google_monitoring_alert_policy watches {metric}",
                    f.subject.address, control.what
                ),
            )
        }
        Verdict::SwitchedOff(f) => (
            Tri::True,
            f,
            "",
            format!(
                "{} catches {} ({cis}), but the metric is disabled (disabled = true)",
                f.subject.address, control.what
            ),
        ),
        Verdict::Flawed(f, flaw) => (
            Tri::True,
            f,
            "filter",
            format!(
                "{} counts {} ({cis}) but its filter {flaw} that the CIS filter catches",
                f.subject.address, control.what
            ),
        ),
        Verdict::Missing => (
            Tri::True,
            anchor,
            "",
            format!(
                "This configuration counts audit log entries with logs-based metrics (such as {}) but none with an alert policy catches {} ({cis})",
                anchor.subject.address, control.what
            ),
        ),
    };
    let filter = top_attribute(at.subject, path, at.value);
    hits.push(cx.subject_hit(at.subject, filter, truth, message));
}

/// Whether the filter is another control's complete filter.
fn covers_another(f: &Filter, control: &Control) -> bool {
    CONTROLS
        .iter()
        .filter(|c| c.key != control.key)
        .any(|c| f.fit(c).covers == Tri::True)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(key: &str) -> &'static Control {
        CONTROLS.iter().find(|c| c.key == key).unwrap()
    }

    fn covers(filter: &str, key: &str) -> Tri {
        fit(&query::parse(filter).unwrap(), control(key)).covers
    }

    #[test]
    fn cis_filters_cover_their_control_only() {
        for c in CONTROLS {
            for other in CONTROLS {
                let expected = Tri::from_bool(other.key == c.key);
                let got = covers(c.filter, other.key);
                assert_eq!(got, expected, "{} for {}", c.key, other.key);
            }
        }
    }

    #[test]
    fn spelling_and_extra_conditions_do_not_matter() {
        let cases = [
            (
                "firewall-rule-changes",
                "(protoPayload.methodName:compute.firewalls.delete OR protoPayload.methodName : \"compute.firewalls.insert\" OR protoPayload.methodName:\"compute.firewalls.patch\")\nresource.type = gce_firewall_rule\nseverity >= NOTICE",
            ),
            (
                "network-changes",
                r#"logName:"cloudaudit.googleapis.com%2Factivity" AND resource.type="gce_network" AND protoPayload.methodName:("networks.insert" OR "networks.patch" OR "networks.delete" OR "networks.removePeering" OR "networks.addPeering")"#,
            ),
            (
                "custom-role-changes",
                r#"resource.type="iam_role" protoPayload.methodName=("google.iam.admin.v1.UpdateRole" OR "google.iam.admin.v1.DeleteRole" OR "google.iam.admin.v1.CreateRole" OR "google.iam.admin.v1.UndeleteRole")"#,
            ),
            (
                "sql-instance-changes",
                r#"protoPayload.methodName="cloudsql.instances.update" AND protoPayload.authenticationInfo.principalEmail!="ci@example.iam.gserviceaccount.com""#,
            ),
            (
                "storage-iam-changes",
                r#"protoPayload.methodName="storage.setIamPermissions" -- any resource type"#,
            ),
            (
                "audit-config-changes",
                r#"protoPayload.serviceData.policyDelta.auditConfigDeltas:* AND protoPayload.methodName="SetIamPolicy" AND NOT jsonPayload:*"#,
            ),
            (
                "project-ownership-changes",
                r#"protoPayload.serviceName="cloudresourcemanager.googleapis.com" AND (projectOwnerInvitee OR ProjectOwnership OR (protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner" AND protoPayload.serviceData.policyDelta.bindingDeltas.action=("ADD" OR "REMOVE")))"#,
            ),
            (
                "route-changes",
                r#"log_id("cloudaudit.googleapis.com/activity") resource.type=gce_route"#,
            ),
        ];
        for (key, filter) in cases {
            assert_eq!(covers(filter, key), Tri::True, "{key}: {filter}");
        }
    }

    #[test]
    fn narrower_filters() {
        let c = control("custom-role-changes");
        let two = query::parse(
            r#"resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR protoPayload.methodName="google.iam.admin.v1.DeleteRole")"#,
        )
        .unwrap();
        let f = fit(&two, c);
        assert_eq!(f.covers, Tri::False);
        assert!(f.flaw.unwrap().contains("UpdateRole"));
        let v1_only = query::parse(
            r#"resource.type="gce_route" AND (protoPayload.methodName="v1.compute.routes.delete" OR protoPayload.methodName="v1.compute.routes.insert")"#,
        )
        .unwrap();
        let f = fit(&v1_only, control("route-changes"));
        assert!(f.flaw.unwrap().contains("beta.compute.routes.delete"));
        let removals = query::parse(
            r#"protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas.action="REMOVE""#,
        )
        .unwrap();
        let f = fit(&removals, control("audit-config-changes"));
        assert!(f.flaw.unwrap().contains("audit configurations added"));
        // Application logs are not audit logs.
        assert_eq!(
            covers(
                r#"jsonPayload.method="cloudsql.instances.update""#,
                "sql-instance-changes"
            ),
            Tri::False
        );
        assert_eq!(
            covers(
                r#"logName:"data_access" protoPayload.methodName="cloudsql.instances.update""#,
                "sql-instance-changes"
            ),
            Tri::False
        );
        // Unrelated filters are no flawed attempt.
        let unrelated = query::parse(r#"resource.type="k8s_container" severity>=ERROR"#).unwrap();
        assert!(fit(&unrelated, c).flaw.is_none());
    }

    #[test]
    fn unknown_rather_than_wrong() {
        // Case differences, regular expressions, sampling and exclusions by
        // free text are not decided.
        assert_eq!(
            covers(
                r#"protoPayload.methodName="CloudSQL.Instances.Update""#,
                "sql-instance-changes"
            ),
            Tri::Unknown
        );
        assert_eq!(
            covers(
                r#"protoPayload.methodName=~"cloudsql\.instances\..*""#,
                "sql-instance-changes"
            ),
            Tri::Unknown
        );
        assert_eq!(
            covers(
                r#"protoPayload.methodName="cloudsql.instances.update" sample(insertId, 0.5)"#,
                "sql-instance-changes"
            ),
            Tri::Unknown
        );
        // An exclusion by free text is taken as leaving the class whole.
        assert_eq!(
            covers(
                r#"protoPayload.methodName="cloudsql.instances.update" NOT "terraform""#,
                "sql-instance-changes"
            ),
            Tri::True
        );
        // Free text the class's entries need not hold narrows the filter.
        assert_eq!(
            covers(
                r#"protoPayload.methodName="cloudsql.instances.update" "prod-db""#,
                "sql-instance-changes"
            ),
            Tri::False
        );
        assert_eq!(
            covers(
                r#"cloudaudit protoPayload.methodName="cloudsql.instances.update""#,
                "sql-instance-changes"
            ),
            Tri::True
        );
        // Owner grants and removals only: the invitations may not be caught.
        assert_eq!(
            covers(
                r#"protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner""#,
                "project-ownership-changes"
            ),
            Tri::Unknown
        );
        assert_eq!(log_name(Op::Has, "projects/my-project"), Tri::Unknown);
        assert_eq!(
            log_name(Op::Eq, "projects/p/logs/cloudaudit.googleapis.com%2Factivity"),
            Tri::True
        );
        assert_eq!(log_name(Op::Eq, "projects/p/logs/stdout"), Tri::False);
    }

    #[test]
    fn metric_names_in_conditions() {
        assert!(names_in_text(
            r#"metric.type="logging.googleapis.com/user/role-changes" AND resource.type="global""#,
            "role-changes"
        ));
        assert!(!names_in_text(
            r#"metric.type="logging.googleapis.com/user/role-changes-old""#,
            "role-changes"
        ));
        assert!(names_in_text(
            "fetch global::logging.googleapis.com/user/role-changes | align rate(1m)",
            "role-changes"
        ));
        assert!(names_in_text(
            "sum(rate(logging_googleapis_com:user_role_changes[5m])) > 0",
            "role-changes"
        ));
        assert!(!names_in_text(
            "logging_googleapis_com:user_role_changes_v2",
            "role-changes"
        ));
        assert!(by_pattern(r#"metric.type=starts_with("logging.googleapis.com/user/")"#));
    }

    #[test]
    fn every_control_has_samples() {
        for c in CONTROLS {
            assert!(!c.samples().is_empty(), "{}", c.key);
        }
    }
}
