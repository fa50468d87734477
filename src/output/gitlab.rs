//! GitLab code quality report: the Code Climate JSON subset GitLab reads
//! (`artifacts: reports: codequality`), shown in merge request widgets.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{OutputCx, active, region};
use crate::policy::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    categories: [&'static str; 1],
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let mut seen = BTreeSet::new();
    let issues: Vec<Issue> = active(report)
        .map(|f| {
            let file = report.sources.get(f.primary.file);
            let (start, _) = region(file, f.primary);
            // GitLab wants each fingerprint once; two findings may share one
            // (the same rule on the same attribute): tell them apart by line.
            let mut fingerprint = f.fingerprint(&report.sources);
            if !seen.insert(fingerprint.clone()) {
                fingerprint = format!("{fingerprint}-{}", start.line);
                seen.insert(fingerprint.clone());
            }
            Issue {
                description: format!("{} {}: {}", f.policy.id, f.policy.name, f.message),
                check_name: &f.policy.id,
                fingerprint,
                severity: severity(f.severity),
                categories: ["Security"],
                location: Location {
                    path: file.display.clone(),
                    lines: Lines { begin: start.line },
                },
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
