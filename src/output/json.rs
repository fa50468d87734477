//! JSON output. The shape is documented in `docs/usage.md` and versioned by
//! `"schema"`: fields are added, never renamed or removed, within a version.

use serde::Serialize;

use super::{OutputCx, primary_lines, region};
use crate::finding::{Status, Suppression};
use crate::notice::Notice;

#[derive(Serialize)]
struct Report<'a> {
    schema: u32,
    tool: Tool,
    findings: Vec<JFinding<'a>>,
    notices: &'a [Notice],
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JLocation {
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct JRelated {
    #[serde(flatten)]
    location: JLocation,
    message: String,
}

#[derive(Serialize)]
struct JFinding<'a> {
    rule: &'a str,
    name: &'a str,
    title: &'a str,
    severity: &'static str,
    category: &'static str,
    status: Status,
    message: &'a str,
    #[serde(flatten)]
    location: JLocation,
    snippet: String,
    address: &'a str,
    path: &'a str,
    instances: &'a [String],
    related: Vec<JRelated>,
    fingerprint: String,
    suppression: Option<&'a Suppression>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    findings: usize,
    suppressed: usize,
    inconclusive: usize,
    errors: usize,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
}

fn location(cx: &OutputCx, span: crate::source::Span) -> JLocation {
    let file = cx.report.sources.get(span.file);
    let (s, e) = region(file, span);
    JLocation {
        file: file.display.clone(),
        line: s.line,
        column: s.column,
        end_line: e.line,
        end_column: e.column,
    }
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let findings: Vec<JFinding> = report
        .findings
        .iter()
        .map(|f| JFinding {
            rule: &f.policy.id,
            name: &f.policy.name,
            title: &f.policy.title,
            severity: f.severity.as_str(),
            category: f.policy.category.as_str(),
            status: f.status,
            message: &f.message,
            location: location(cx, f.primary),
            snippet: primary_lines(report, f).1,
            address: &f.address,
            path: &f.path,
            instances: &f.instances,
            related: f
                .related
                .iter()
                .map(|(s, m)| JRelated {
                    location: location(cx, *s),
                    message: m.clone(),
                })
                .collect(),
            fingerprint: f.fingerprint(&report.sources),
            suppression: f.suppression.as_ref(),
        })
        .collect();
    let mut by_severity = std::collections::BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none() && f.status == Status::Fail)
    {
        *by_severity.entry(f.severity.as_str()).or_insert(0) += 1;
    }
    let summary = Summary {
        files: report.stats.files,
        findings: report
            .findings
            .iter()
            .filter(|f| f.suppression.is_none() && f.status == Status::Fail)
            .count(),
        suppressed: report.findings.iter().filter(|f| f.suppression.is_some()).count(),
        inconclusive: report
            .findings
            .iter()
            .filter(|f| f.status == Status::Inconclusive)
            .count(),
        errors: report
            .notices
            .iter()
            .filter(|n| n.level == crate::notice::NoticeLevel::Error)
            .count(),
        by_severity,
    };
    let out = Report {
        schema: 1,
        tool: Tool {
            name: "palisade",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings,
        notices: &report.notices,
        summary,
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
