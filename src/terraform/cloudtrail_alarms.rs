//! `cloudtrail-metric-alarm`: the CIS AWS Foundations monitoring controls
//! (section 4): a CloudWatch Logs metric filter on the CloudTrail log group
//! that catches one class of events, and an alarm on its metric.
//!
//! These are account-level controls, so a configuration is judged only when
//! it sets up CloudTrail monitoring itself: when it has at least one metric
//! filter whose pattern reads CloudTrail event fields. A configuration
//! without any leaves the account's monitoring to another one and passes;
//! so does one with filters but no alarm at all (a building block whose
//! alarms are made elsewhere), unless a filter meant for the control has a
//! wrong pattern.
//! Where it has some, each control (`args.control`) needs one filter that
//! catches every event of the control's CIS filter and nothing outside the
//! class (see [`Control`]), and an alarm on that filter's metric.
//!
//! Filters are compared by what they match, through sample events
//! ([`super::metric_filter_pattern`]), so spacing, quoting, parentheses,
//! the order of alternatives and extra conditions on other fields (CIS's
//! later exclusions of service calls, SSO sign-ins) do not matter.

use super::monitoring::{Candidates, Verdict};
use crate::checks::{CheckCx, Hit, top_attribute};
use crate::policy::condition::Tri;
use crate::subject::Subject;
use crate::value::{Str, Val, ValKind};

use super::metric_filter_pattern::{self as pattern, Event, Expr, Op};

/// The events one control is about.
pub enum Events {
    /// Calls named in `names`, from `source` when the CIS filter names one.
    Named {
        source: Option<&'static str>,
        names: &'static [&'static str],
    },
    /// Events written out: those the filter must catch, and those of the
    /// same fields it must not (so a filter that drops a condition fails).
    Listed {
        catch: &'static [Event<'static>],
        skip: &'static [Event<'static>],
    },
}

pub struct Control {
    /// The value of the policy's `args.control`.
    pub key: &'static str,
    /// The events, for messages: "console sign-ins without MFA".
    pub what: &'static str,
    /// The CIS AWS Foundations 3.0 recommendation.
    pub cis: &'static str,
    pub events: Events,
}

/// An API call no control is about, to catch filters that match too much.
const UNRELATED_CALL: &str = "DescribeRegions";

pub static CONTROLS: &[Control] = &[
    Control {
        key: "unauthorized-api-calls",
        what: "unauthorized API calls",
        cis: "4.1",
        events: Events::Listed {
            catch: &[
                &[("errorCode", "Client.UnauthorizedOperation")],
                &[("errorCode", "AccessDenied")],
            ],
            skip: &[&[("errorCode", "ThrottlingException")]],
        },
    },
    Control {
        key: "console-sign-in-without-mfa",
        what: "console sign-ins without MFA",
        cis: "4.2",
        events: Events::Listed {
            catch: &[&[("eventName", "ConsoleLogin"), ("additionalEventData.MFAUsed", "No")]],
            skip: &[
                &[("eventName", "ConsoleLogin"), ("additionalEventData.MFAUsed", "Yes")],
                &[("eventName", UNRELATED_CALL), ("additionalEventData.MFAUsed", "No")],
            ],
        },
    },
    Control {
        key: "root-account-use",
        what: "uses of the root user",
        cis: "4.3",
        events: Events::Listed {
            catch: &[
                &[("userIdentity.type", "Root"), ("eventType", "AwsApiCall")],
                &[("userIdentity.type", "Root"), ("eventType", "AwsConsoleSignIn")],
            ],
            skip: &[
                &[("userIdentity.type", "IAMUser"), ("eventType", "AwsApiCall")],
                &[("userIdentity.type", "Root"), ("eventType", "AwsServiceEvent")],
                &[
                    ("userIdentity.type", "Root"),
                    ("userIdentity.invokedBy", "support.amazonaws.com"),
                    ("eventType", "AwsApiCall"),
                ],
            ],
        },
    },
    Control {
        key: "iam-policy-changes",
        what: "IAM policy changes",
        cis: "4.4",
        events: Events::Named {
            source: None,
            names: &[
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ],
        },
    },
    Control {
        key: "cloudtrail-changes",
        what: "CloudTrail configuration changes",
        cis: "4.5",
        events: Events::Named {
            source: None,
            names: &[
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging",
                "StopLogging",
            ],
        },
    },
    Control {
        key: "console-authentication-failures",
        what: "failed console sign-ins",
        cis: "4.6",
        events: Events::Listed {
            catch: &[&[("eventName", "ConsoleLogin"), ("errorMessage", "Failed authentication")]],
            skip: &[
                &[("eventName", "ConsoleLogin")],
                &[("eventName", UNRELATED_CALL), ("errorMessage", "Failed authentication")],
            ],
        },
    },
    Control {
        key: "cmk-disabled-or-deleted",
        what: "customer managed KMS keys being disabled or scheduled for deletion",
        cis: "4.7",
        events: Events::Named {
            source: Some("kms.amazonaws.com"),
            names: &["DisableKey", "ScheduleKeyDeletion"],
        },
    },
    Control {
        key: "s3-bucket-policy-changes",
        what: "S3 bucket policy, ACL, CORS, lifecycle and replication changes",
        cis: "4.8",
        events: Events::Named {
            source: Some("s3.amazonaws.com"),
            names: &[
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ],
        },
    },
    Control {
        key: "config-changes",
        what: "AWS Config configuration changes",
        cis: "4.9",
        events: Events::Named {
            source: Some("config.amazonaws.com"),
            names: &[
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ],
        },
    },
    Control {
        key: "security-group-changes",
        what: "security group changes",
        cis: "4.10",
        events: Events::Named {
            source: None,
            names: &[
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ],
        },
    },
    Control {
        key: "nacl-changes",
        what: "network ACL changes",
        cis: "4.11",
        events: Events::Named {
            source: None,
            names: &[
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ],
        },
    },
    Control {
        key: "network-gateway-changes",
        what: "network gateway changes",
        cis: "4.12",
        events: Events::Named {
            source: None,
            names: &[
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            ],
        },
    },
    Control {
        key: "route-table-changes",
        what: "route table changes",
        cis: "4.13",
        events: Events::Named {
            source: None,
            names: &[
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ],
        },
    },
    Control {
        key: "vpc-changes",
        what: "VPC changes",
        cis: "4.14",
        events: Events::Named {
            source: None,
            names: &[
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ],
        },
    },
    Control {
        key: "organizations-changes",
        what: "AWS Organizations changes",
        cis: "4.15",
        events: Events::Named {
            source: Some("organizations.amazonaws.com"),
            names: &[
                "AcceptHandshake",
                "AttachPolicy",
                "CreateAccount",
                "CreateOrganizationalUnit",
                "CreatePolicy",
                "DeclineHandshake",
                "DeleteOrganization",
                "DeleteOrganizationalUnit",
                "DeletePolicy",
                "DetachPolicy",
                "DisablePolicyType",
                "EnablePolicyType",
                "InviteAccountToOrganization",
                "LeaveOrganization",
                "MoveAccount",
                "RemoveAccountFromOrganization",
                "UpdatePolicy",
                "UpdateOrganizationalUnit",
            ],
        },
    },
];

/// A sample event, owned.
type Sample = Vec<(&'static str, &'static str)>;

impl Control {
    /// The events a filter for this control must catch, and those it must not.
    fn samples(&self) -> (Vec<Sample>, Vec<Sample>) {
        match &self.events {
            Events::Listed { catch, skip } => (
                catch.iter().map(|e| e.to_vec()).collect(),
                skip.iter().map(|e| e.to_vec()).collect(),
            ),
            Events::Named { source, names } => {
                let event = |name: &'static str| {
                    let mut e = vec![("eventName", name)];
                    e.extend(source.map(|s| ("eventSource", s)));
                    e
                };
                (names.iter().map(|n| event(n)).collect(), vec![event(UNRELATED_CALL)])
            }
        }
    }

    /// Whether a selector's field is one this control's events are told apart by.
    fn judges(&self, field: &str) -> bool {
        match &self.events {
            Events::Named { source, .. } => field == "eventName" || (source.is_some() && field == "eventSource"),
            Events::Listed { catch, skip } => catch
                .iter()
                .chain(skip.iter())
                .flat_map(|e| e.iter())
                .any(|(f, _)| *f == field),
        }
    }
}

/// How a filter pattern fits a control.
struct Fit {
    /// Catches every event of the class and nothing the samples exclude.
    covers: Tri,
    /// Meant for the control (it tests the control's fields and catches
    /// some of its events) without covering it: what is wrong with it.
    flaw: Option<String>,
}

fn describe(event: &[(&str, &str)]) -> String {
    event
        .iter()
        .map(|(f, v)| format!("{f} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fit(expr: &Expr, control: &Control) -> Fit {
    let judged = |f: &str| control.judges(f);
    let (catch, skip) = control.samples();
    let caught: Vec<Tri> = catch.iter().map(|e| expr.matches(e, &judged)).collect();
    let skipped: Vec<Tri> = skip.iter().map(|e| expr.matches(e, &judged).negate()).collect();
    let covers = caught.iter().chain(skipped.iter()).copied().min().unwrap_or(Tri::False);
    if covers != Tri::False {
        return Fit { covers, flaw: None };
    }
    let meant = expr.tests().iter().any(|t| judged(&t.field)) && caught.iter().any(|t| *t != Tri::False);
    let flaw = meant.then(|| {
        let missed: Vec<&Sample> = catch
            .iter()
            .zip(&caught)
            .filter(|(_, t)| **t == Tri::False)
            .map(|(e, _)| e)
            .collect();
        match missed.first() {
            Some(first) => {
                let more = if missed.len() > 1 {
                    format!(" and {} other event(s) of the class", missed.len() - 1)
                } else {
                    String::new()
                };
                format!("misses {}{more}", describe(first))
            }
            None => {
                let extra = skip
                    .iter()
                    .zip(&skipped)
                    .find(|(_, t)| **t == Tri::False)
                    .map(|(e, _)| describe(e));
                format!("also matches events outside the class ({})", extra.unwrap_or_default())
            }
        }
    });
    Fit { covers, flaw }
}

/// Fields only CloudTrail events have: a filter testing one reads a trail's log group.
fn reads_cloudtrail(expr: &Expr) -> bool {
    expr.tests().iter().any(|t| {
        let f = t.field.as_str();
        matches!(f, "eventName" | "eventSource" | "eventType")
            || f.starts_with("userIdentity.")
            || f.starts_with("additionalEventData.")
            || (f == "errorCode"
                && matches!(&t.op, Op::Equals(v) if v.contains("UnauthorizedOperation") || v.contains("AccessDenied")))
    })
}

/// A metric filter and what its pattern is.
struct Filter<'a> {
    subject: &'a Subject,
    pattern: Option<&'a Val>,
    /// `Ok(None)`: a known pattern that is not a JSON one.
    expr: Result<Option<Expr>, ()>,
}

impl Filter<'_> {
    fn fit(&self, control: &Control) -> Fit {
        match &self.expr {
            Ok(Some(e)) => fit(e, control),
            Ok(None) => {
                // A term pattern naming the control's events may catch them.
                let text = self.pattern.and_then(Val::as_str).unwrap_or("");
                let (catch, _) = control.samples();
                let named = catch.iter().flatten().any(|(_, v)| v.len() > 5 && text.contains(v));
                Fit {
                    covers: if named { Tri::Unknown } else { Tri::False },
                    flaw: None,
                }
            }
            Err(()) => Fit {
                covers: Tri::Unknown,
                flaw: None,
            },
        }
    }
}

fn filters<'a>(cx: &CheckCx<'a>) -> Vec<Filter<'a>> {
    cx.set
        .subjects
        .iter()
        .filter(|s| &*s.class == "resource" && &*s.kind == "aws_cloudwatch_log_metric_filter")
        .map(|subject| {
            let pattern = subject.value.get("pattern");
            let expr = match pattern.map(|p| &p.kind) {
                Some(ValKind::String(s)) => Ok(pattern::parse(s)),
                Some(ValKind::Unknown(_)) => Err(()),
                _ => Ok(None),
            };
            Filter { subject, pattern, expr }
        })
        .collect()
}

/// The metric a filter publishes: its `metric_transformation` name and namespace.
fn metric_of(filter: &Subject) -> (Option<&Val>, Option<&Val>) {
    let transformation = filter
        .value
        .get("metric_transformation")
        .and_then(|t| t.as_list().and_then(|l| l.first()).or(Some(t)));
    (
        transformation.and_then(|t| t.get("name")),
        transformation.and_then(|t| t.get("namespace")),
    )
}

/// Whether two strings are the same, when both are known.
fn same_text(a: Option<&Val>, b: Option<&Val>) -> Tri {
    match (a.map(|v| &v.kind), b.map(|v| &v.kind)) {
        (Some(ValKind::String(x)), Some(ValKind::String(y))) => Tri::from_bool(x == y),
        (Some(ValKind::Unknown(_)), _) | (_, Some(ValKind::Unknown(_))) => Tri::Unknown,
        _ => Tri::False,
    }
}

/// Whether an alarm's `metric_name` (with its namespace) names the filter's
/// metric: by a reference to the filter (`aws_cloudwatch_log_metric_filter.x.id`)
/// or by the metric's name.
fn names_metric(metric_name: &Val, namespace: Option<&Val>, filter: &Subject) -> Tri {
    let (name, filter_namespace) = metric_of(filter);
    let by_name = match &metric_name.reference {
        Some(r) if **r == *filter.address => Tri::True,
        Some(r) if filter.instance.is_some() && **r == *filter.base_address() => Tri::Unknown,
        // Read from another resource: only its value can still name the metric.
        Some(_) if metric_name.is_unknown() => Tri::False,
        _ => same_text(Some(metric_name), name),
    };
    by_name.min(same_text(namespace, filter_namespace))
}

/// Whether some alarm watches the filter's metric.
fn alarmed(filter: &Subject, alarms: &[&Subject]) -> Tri {
    let mut best = Tri::False;
    for alarm in alarms {
        if let Some(name) = alarm.value.get("metric_name").filter(|v| !v.is_null()) {
            best = best.max(names_metric(name, alarm.value.get("namespace"), filter));
        }
        // Metric math alarms name their metrics in `metric_query.metric`.
        for query in alarm.value.get("metric_query").and_then(Val::as_list).unwrap_or(&[]) {
            for metric in query.get("metric").and_then(Val::as_list).unwrap_or(&[]) {
                if let Some(name) = metric.get("metric_name") {
                    best = best.max(names_metric(name, metric.get("namespace"), filter));
                }
            }
        }
        if alarm.value.is_unknown() {
            best = best.max(Tri::Unknown);
        }
        if best == Tri::True {
            break;
        }
    }
    best
}

pub fn cloudtrail_metric_alarm(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let wanted = cx.args.get("control").and_then(|v| v.as_str());
    let Some(control) = CONTROLS.iter().find(|c| Some(c.key) == wanted) else {
        return;
    };
    let filters = filters(cx);
    let Some(anchor) = filters
        .iter()
        .find(|f| matches!(&f.expr, Ok(Some(e)) if reads_cloudtrail(e)))
    else {
        return;
    };
    let alarm_kinds = [Str::from("aws_cloudwatch_metric_alarm")];
    let alarms: Vec<&Subject> = cx.set.select("resource", &alarm_kinds).collect();

    let mut unknown: Option<&Filter> = None;
    let mut unalarmed: Option<&Filter> = None;
    let mut flawed: Option<(&Filter, String)> = None;
    for f in &filters {
        let fit = f.fit(control);
        if fit.covers == Tri::False {
            if let Some(flaw) = fit.flaw
                && flawed.is_none()
                && !covers_another(f, control)
            {
                flawed = Some((f, flaw));
            }
            continue;
        }
        match fit.covers.min(alarmed(f.subject, &alarms)) {
            Tri::True => return,
            Tri::Unknown => {
                unknown.get_or_insert(f);
            }
            Tri::False => {
                unalarmed.get_or_insert(f);
            }
        }
    }
    let candidates = Candidates {
        unknown,
        unwatched: unalarmed,
        switched_off: None,
        flawed,
    };
    let Some(verdict) = candidates.verdict(!alarms.is_empty()) else {
        return;
    };
    let cis = format!("CIS AWS Foundations {}", control.cis);
    let (truth, at, path, message) = match verdict {
        Verdict::Unknown(f) => (
            Tri::Unknown,
            f,
            "pattern",
            format!(
                "{} may be the metric filter with an alarm for {} ({cis}); its pattern or alarm is not known",
                f.subject.address, control.what
            ),
        ),
        // A metric filter cannot be switched off: only `Unwatched` comes here.
        Verdict::Unwatched(f) | Verdict::SwitchedOff(f) => {
            let metric = metric_of(f.subject)
                .0
                .and_then(Val::as_str)
                .unwrap_or("its metric")
                .to_string();
            (
                Tri::True,
                f,
                "",
                format!(
                    "{} catches {} ({cis}), but no aws_cloudwatch_metric_alarm watches its metric {metric}",
                    f.subject.address, control.what
                ),
            )
        }
        Verdict::Flawed(f, flaw) => (
            Tri::True,
            f,
            "pattern",
            format!(
                "{} filters for {} ({cis}) but its pattern {flaw}",
                f.subject.address, control.what
            ),
        ),
        Verdict::Missing => (
            Tri::True,
            anchor,
            "",
            format!(
                "This configuration monitors CloudTrail with metric filters (such as {}) but none with an alarm catches {} ({cis})",
                anchor.subject.address, control.what
            ),
        ),
    };
    let pattern = top_attribute(at.subject, path, at.pattern);
    hits.push(cx.subject_hit(at.subject, pattern, truth, message));
}

/// Whether the filter is another control's complete filter (the MFA filter
/// also tests `ConsoleLogin`, but is no flawed sign-in failure filter).
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

    fn covers(p: &str, key: &str) -> Tri {
        fit(&pattern::parse(p).unwrap(), control(key)).covers
    }

    #[test]
    fn cis_filters_cover_their_control_only() {
        let cis = [
            (
                "unauthorized-api-calls",
                r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#,
            ),
            (
                "console-sign-in-without-mfa",
                r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#,
            ),
            (
                "root-account-use",
                r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
            ),
            (
                "console-authentication-failures",
                r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
            ),
            (
                "cmk-disabled-or-deleted",
                "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}",
            ),
            (
                "cloudtrail-changes",
                "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
            ),
        ];
        for (key, p) in cis {
            for other in CONTROLS {
                let expected = Tri::from_bool(other.key == key);
                assert_eq!(covers(p, other.key), expected, "{p} for {}", other.key);
            }
        }
    }

    #[test]
    fn later_cis_refinements_still_cover() {
        // CIS 3.0 narrows 4.1 and 4.2 with conditions on other fields.
        let unauthorized = r#"{($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket")}"#;
        assert_eq!(covers(unauthorized, "unauthorized-api-calls"), Tri::True);
        let sso = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;
        assert_eq!(covers(sso, "console-sign-in-without-mfa"), Tri::True);
        let routes = "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }";
        assert_eq!(covers(routes, "route-table-changes"), Tri::True);
    }

    #[test]
    fn flawed_filters() {
        let c = control("s3-bucket-policy-changes");
        let too_broad = pattern::parse(r#"{ $.eventSource = "s3.amazonaws.com" }"#).unwrap();
        let f = fit(&too_broad, c);
        assert_eq!(f.covers, Tri::False);
        assert!(f.flaw.unwrap().contains("outside the class"));
        let missing =
            pattern::parse("{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketPolicy)) }").unwrap();
        assert!(
            fit(&missing, c)
                .flaw
                .unwrap()
                .contains("misses eventName = PutBucketAcl")
        );
        let unrelated = pattern::parse("{ $.eventName = CreateUser }").unwrap();
        assert!(fit(&unrelated, control("root-account-use")).flaw.is_none());
        let mfa_only = pattern::parse(r#"{ $.additionalEventData.MFAUsed != "Yes" }"#).unwrap();
        assert_eq!(
            fit(&mfa_only, control("console-sign-in-without-mfa")).covers,
            Tri::False
        );
    }

    #[test]
    fn every_control_has_samples() {
        for c in CONTROLS {
            let (catch, skip) = c.samples();
            assert!(!catch.is_empty() && !skip.is_empty(), "{}", c.key);
        }
    }
}
