//! SARIF 2.1.0 for GitHub code scanning (see `docs/sarif.md`): one run, every
//! rule with help and `security-severity`, repository-relative URIs, narrow
//! regions with snippets, and line-independent fingerprints.

use std::collections::BTreeMap;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, RunAutomationDetails, Sarif, Suppression, Tool, ToolComponent,
};

use super::{OutputCx, primary_lines, region};
use crate::docs::policy_text;
use crate::finding::{Status, SuppressionKind};
use crate::policy::Policy;
use crate::source::Span;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/palisade-scanner/palisade";

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

fn rule(p: &Policy) -> ReportingDescriptor {
    let mut tags = vec![
        "security".to_string(),
        p.category.as_str().to_string(),
        p.input.as_str().to_string(),
    ];
    tags.extend(p.cwe.iter().map(|c| format!("external/cwe/{}", c.to_ascii_lowercase())));
    tags.truncate(20);
    let mut props: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    if let Some(s) = p.severity.security_severity() {
        props.insert("security-severity".into(), json!(s));
    }
    props.insert("precision".into(), json!(p.confidence.as_str()));
    props.insert("severity".into(), json!(p.severity.as_str()));
    props.insert("category".into(), json!(p.category.as_str()));
    if !p.equivalents.is_empty() {
        props.insert(
            "equivalents".into(),
            serde_json::to_value(&p.equivalents).unwrap_or_default(),
        );
    }
    if !p.compliance.is_empty() {
        let c: BTreeMap<&str, &Vec<String>> = p.compliance.iter().map(|(k, v)| (k.key(), v)).collect();
        props.insert("compliance".into(), json!(c));
    }
    let markdown = p.markdown();
    ReportingDescriptor::builder()
        .id(p.id.to_string())
        .name(p.name.to_string())
        .short_description(
            MultiformatMessageString::builder()
                .text(truncate(&p.title, 1024))
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(truncate(&p.docs().description, 1024))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(policy_text(p))
                .markdown(markdown)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(p.severity.sarif_level()))
                .build(),
        )
        .properties(PropertyBag::builder().tags(tags).additional_properties(props).build())
        .build()
}

fn physical(cx: &OutputCx, span: Span, snippet: Option<String>) -> PhysicalLocation {
    let file = cx.report.sources.get(span.file);
    let (s, e) = region(file, span);
    let region = match snippet {
        Some(snip) => Region::builder()
            .start_line(s.line as i64)
            .start_column(s.column as i64)
            .end_line(e.line as i64)
            .end_column(e.column as i64)
            .snippet(serde_sarif::sarif::ArtifactContent::builder().text(snip).build())
            .build(),
        None => Region::builder()
            .start_line(s.line as i64)
            .start_column(s.column as i64)
            .end_line(e.line as i64)
            .end_column(e.column as i64)
            .build(),
    };
    PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(file.display.clone())
                .uri_base_id("%SRCROOT%")
                .build(),
        )
        .region(region)
        .build()
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let policies = cx.registry.sorted();
    let index: BTreeMap<&str, usize> = policies.iter().enumerate().map(|(i, p)| (&*p.id, i)).collect();
    let rules: Vec<ReportingDescriptor> = policies.iter().map(|p| rule(p)).collect();
    let mut results = Vec::new();
    for f in &report.findings {
        let Some(&rule_index) = index.get(&*f.policy.id) else {
            continue;
        };
        let (_, snippet) = primary_lines(report, f);
        let location = Location::builder()
            .physical_location(physical(cx, f.primary, Some(snippet)))
            .logical_locations(vec![
                LogicalLocation::builder()
                    .fully_qualified_name(if f.path.is_empty() {
                        f.address.clone()
                    } else {
                        format!("{}.{}", f.address, f.path)
                    })
                    .kind("resource")
                    .build(),
            ])
            .build();
        let related: Vec<Location> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, (span, msg))| {
                Location::builder()
                    .id(i as i64 + 1)
                    .physical_location(physical(cx, *span, None))
                    .message(text(msg.clone()))
                    .build()
            })
            .collect();
        let mut props: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        if !f.instances.is_empty() {
            props.insert("instances".into(), json!(f.instances));
        }
        if f.status == Status::Inconclusive {
            props.insert("inconclusive".into(), json!(true));
        }
        let level = if f.status == Status::Inconclusive {
            "note"
        } else {
            f.severity.sarif_level()
        };
        let level = match level {
            "error" => ResultLevel::Error,
            "warning" => ResultLevel::Warning,
            _ => ResultLevel::Note,
        };
        let mut fp = BTreeMap::new();
        fp.insert("primaryLocationLineHash".to_string(), f.fingerprint(&report.sources));
        let base = SarifResult::builder()
            .rule_id(f.policy.id.to_string())
            .rule_index(rule_index as i64)
            .level(level)
            .message(text(f.message.clone()))
            .locations(vec![location])
            .partial_fingerprints(fp);
        let mut result = if related.is_empty() {
            base.build()
        } else {
            base.related_locations(related).build()
        };
        if !props.is_empty() {
            result.properties = Some(PropertyBag::builder().additional_properties(props).build());
        }
        if let Some(s) = &f.suppression {
            let kind = match s.kind {
                SuppressionKind::InSource => "inSource",
                SuppressionKind::External => "external",
            };
            let sup = match &s.justification {
                Some(j) => Suppression::builder()
                    .kind(json!(kind))
                    .justification(j.clone())
                    .build(),
                None => Suppression::builder().kind(json!(kind)).build(),
            };
            result.suppressions = Some(vec![sup]);
        }
        results.push(result);
    }
    let notifications: Vec<Notification> = report
        .notices
        .iter()
        .map(|n| {
            let mut b = Notification::builder()
                .message(text(n.message.clone()))
                .level(json!(match n.level {
                    crate::notice::NoticeLevel::Error => "error",
                    crate::notice::NoticeLevel::Warning => "warning",
                    crate::notice::NoticeLevel::Note => "note",
                }));
            let _ = &mut b;
            if n.file.is_empty() {
                b.build()
            } else {
                let mut pl = PhysicalLocation::builder()
                    .artifact_location(
                        ArtifactLocation::builder()
                            .uri(n.file.clone())
                            .uri_base_id("%SRCROOT%")
                            .build(),
                    )
                    .build();
                if let Some(line) = n.line {
                    pl.region = Some(Region::builder().start_line(line as i64).build());
                }
                let mut note = b.build();
                note.locations = Some(vec![Location::builder().physical_location(pl).build()]);
                note
            }
        })
        .collect();
    let invocation = Invocation::builder()
        .execution_successful(!report.had_errors())
        .tool_execution_notifications(notifications)
        .build();
    let driver = ToolComponent::builder()
        .name("Palisade")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .automation_details(RunAutomationDetails::builder().id("palisade/").build())
        .column_kind(json!("utf16CodeUnits"))
        .build();
    let sarif = Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    s.push('\n');
    s
}
