//! Compliance reports: for one framework (CIS benchmarks, SOC 2, PCI DSS,
//! HIPAA, NIST 800-53), every control with the policies mapped to it and
//! what a scan found for them. Fully offline: the controls come from
//! `policies/frameworks/*.toml`, embedded in the binary, and the mappings
//! from each policy's `[compliance]` table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::finding::Status;
use crate::policy::def::Framework;
use crate::policy::{Policy, Registry};
use crate::scan::ScanReport;

/// One control of a framework.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    /// Palisade's own short summary of the control.
    pub title: String,
}

/// A framework's metadata and the controls Palisade knows of.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkData {
    pub framework: Framework,
    pub title: String,
    pub version: String,
    pub url: String,
    /// Which part of the framework the control list covers.
    pub scope: String,
    #[serde(rename = "control")]
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ComplianceError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("no framework data for `{0}` in policies/frameworks")]
    Missing(String),
}

/// Parse and validate one framework file.
pub fn parse_framework(file: &str, text: &str) -> Result<FrameworkData, ComplianceError> {
    let invalid = |message: String| ComplianceError::Invalid {
        file: file.to_string(),
        message,
    };
    let data: FrameworkData = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem != data.framework.key() {
        return Err(invalid(format!(
            "framework `{}` must be in a file named {}.toml",
            data.framework.key(),
            data.framework.key()
        )));
    }
    let mut seen = BTreeSet::new();
    for c in &data.controls {
        if c.id.trim().is_empty() || c.title.trim().is_empty() || c.title.ends_with('.') {
            return Err(invalid(format!(
                "control `{}`: id and title must be non-empty, the title without a final period",
                c.id
            )));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(invalid(format!("control `{}` is listed twice", c.id)));
        }
    }
    Ok(data)
}

/// Every embedded framework, validated.
pub fn frameworks() -> Result<Vec<FrameworkData>, ComplianceError> {
    crate::policy::embedded_frameworks()
        .iter()
        .map(|(file, text)| parse_framework(file, text))
        .collect()
}

/// The embedded data of one framework.
pub fn framework(fw: Framework) -> Result<FrameworkData, ComplianceError> {
    frameworks()?
        .into_iter()
        .find(|d| d.framework == fw)
        .ok_or_else(|| ComplianceError::Missing(fw.key().to_string()))
}

/// Control ids named by policies that their framework's data does not list,
/// as readable problems (the policy file, the framework and the id).
pub fn unknown_controls(registry: &Registry, data: &[FrameworkData]) -> Vec<String> {
    let mut problems = Vec::new();
    for p in registry.sorted() {
        for (fw, ids) in &p.compliance {
            let known = data.iter().find(|d| d.framework == *fw);
            for id in ids {
                if !known.is_some_and(|d| d.controls.iter().any(|c| c.id == *id)) {
                    problems.push(format!(
                        "{}: {} control `{id}` is not in policies/frameworks/{}.toml",
                        p.source,
                        fw.key(),
                        fw.key()
                    ));
                }
            }
        }
    }
    problems
}

/// The policies mapped to each control of `data`, in id order; controls
/// named only by policies (not in the data) are added after the others.
fn mapped<'r>(data: &FrameworkData, registry: &'r Registry) -> Vec<(Control, Vec<&'r Policy>)> {
    let mut by_control: BTreeMap<&str, Vec<&Policy>> = BTreeMap::new();
    for p in registry.sorted() {
        for id in p.compliance.get(&data.framework).into_iter().flatten() {
            by_control.entry(id.as_str()).or_default().push(p);
        }
    }
    let mut out: Vec<(Control, Vec<&Policy>)> = data
        .controls
        .iter()
        .map(|c| (c.clone(), by_control.remove(c.id.as_str()).unwrap_or_default()))
        .collect();
    for (id, policies) in by_control {
        out.push((
            Control {
                id: id.to_string(),
                title: "(not described in the framework data)".to_string(),
            },
            policies,
        ));
    }
    out
}

/// Where a control stands after a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    /// A mapped policy failed on some resource.
    Fail,
    /// Nothing failed, but some result depends on unknown values.
    Inconclusive,
    /// Mapped policies checked resources and all passed.
    Pass,
    /// Mapped policies exist, but the scan held nothing they look at.
    NotApplicable,
    /// No policy checks this control.
    NotCovered,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 5] = [
        ControlStatus::Fail,
        ControlStatus::Inconclusive,
        ControlStatus::Pass,
        ControlStatus::NotApplicable,
        ControlStatus::NotCovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Fail => "fail",
            ControlStatus::Inconclusive => "inconclusive",
            ControlStatus::Pass => "pass",
            ControlStatus::NotApplicable => "not-applicable",
            ControlStatus::NotCovered => "not-covered",
        }
    }
}

/// One policy's results within a control.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub id: String,
    pub title: String,
    /// Resources (or other subjects) the policy looked at.
    pub checked: usize,
    pub passed: usize,
    pub failed: usize,
    pub inconclusive: usize,
    /// Failures accepted by a suppression or baseline, not counted as failed.
    pub accepted: usize,
}

/// A failing or inconclusive result, located.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRef {
    pub policy: String,
    pub status: &'static str,
    pub file: String,
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    pub policies: Vec<PolicyResult>,
    pub results: Vec<ResultRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComplianceReport {
    pub framework: &'static str,
    pub title: String,
    pub version: String,
    pub url: String,
    /// Number of controls in each status.
    pub summary: BTreeMap<&'static str, usize>,
    pub controls: Vec<ControlResult>,
}

impl ComplianceReport {
    pub fn count(&self, status: ControlStatus) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }
}

/// The report of `scan` against the framework `data`.
pub fn report(data: &FrameworkData, registry: &Registry, scan: &ScanReport) -> ComplianceReport {
    let mut controls = Vec::new();
    for (control, policies) in mapped(data, registry) {
        let mut results = Vec::new();
        let mut policy_results = Vec::new();
        for p in &policies {
            let mut r = PolicyResult {
                id: p.id.to_string(),
                title: p.title.clone(),
                checked: scan.checked.get(&p.id).copied().unwrap_or(0),
                passed: 0,
                failed: 0,
                inconclusive: 0,
                accepted: 0,
            };
            for f in scan.findings.iter().filter(|f| f.policy.id == p.id) {
                let status = match (f.suppression.is_some(), f.status) {
                    (true, _) => {
                        r.accepted += 1;
                        continue;
                    }
                    (false, Status::Fail) => {
                        r.failed += 1;
                        "fail"
                    }
                    (false, Status::Inconclusive) => {
                        r.inconclusive += 1;
                        "inconclusive"
                    }
                };
                let file = scan.sources.get(f.primary.file);
                results.push(ResultRef {
                    policy: p.id.to_string(),
                    status,
                    file: file.display.clone(),
                    line: file.position(f.primary.start).line,
                    message: f.message.clone(),
                });
            }
            r.passed = r.checked.saturating_sub(r.failed + r.inconclusive + r.accepted);
            policy_results.push(r);
        }
        let status = if policies.is_empty() {
            ControlStatus::NotCovered
        } else if policy_results.iter().any(|r| r.failed > 0) {
            ControlStatus::Fail
        } else if policy_results.iter().any(|r| r.inconclusive > 0) {
            ControlStatus::Inconclusive
        } else if policy_results.iter().any(|r| r.checked > 0) {
            ControlStatus::Pass
        } else {
            ControlStatus::NotApplicable
        };
        controls.push(ControlResult {
            id: control.id,
            title: control.title,
            status,
            policies: policy_results,
            results,
        });
    }
    let mut report = ComplianceReport {
        framework: data.framework.key(),
        title: data.title.clone(),
        version: data.version.clone(),
        url: data.url.clone(),
        summary: BTreeMap::new(),
        controls,
    };
    for s in ControlStatus::ALL {
        let n = report.count(s);
        report.summary.insert(s.as_str(), n);
    }
    report
}

fn summary_line(r: &ComplianceReport) -> String {
    ControlStatus::ALL
        .iter()
        .map(|s| format!("{} {}", r.count(*s), s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn policy_counts(p: &PolicyResult) -> String {
    let mut s = format!("{}: {} checked, {} failed", p.id, p.checked, p.failed);
    if p.inconclusive > 0 {
        let _ = write!(s, ", {} inconclusive", p.inconclusive);
    }
    if p.accepted > 0 {
        let _ = write!(s, ", {} accepted", p.accepted);
    }
    s
}

/// The report for a terminal.
pub fn render_text(r: &ComplianceReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {} ({} controls)", r.title, r.version, r.controls.len());
    let _ = writeln!(s, "{}\n", summary_line(r));
    for c in &r.controls {
        let _ = writeln!(s, "{:<14} {:<10} {}", c.status.as_str(), c.id, c.title);
        for p in &c.policies {
            let _ = writeln!(s, "{:25}{}", "", policy_counts(p));
        }
        for res in &c.results {
            let _ = writeln!(
                s,
                "{:25}{} {}:{} {}: {}",
                "", res.status, res.file, res.line, res.policy, res.message
            );
        }
    }
    s
}

/// The report as JSON.
pub fn render_json(r: &ComplianceReport) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("a compliance report serialises");
    s.push('\n');
    s
}

/// Escape text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report in Markdown (a CI step summary, an audit attachment).
pub fn render_markdown(r: &ComplianceReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} {}\n", r.title, r.version);
    let _ = writeln!(s, "{}.\n", summary_line(r));
    let _ = writeln!(s, "| Control | Title | Status | Policies (checked / failed) |");
    let _ = writeln!(s, "|---|---|---|---|");
    for c in &r.controls {
        let policies: Vec<String> = c
            .policies
            .iter()
            .map(|p| format!("{} ({} / {})", p.id, p.checked, p.failed))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            cell(&c.id),
            cell(&c.title),
            c.status.as_str(),
            if policies.is_empty() {
                "none".to_string()
            } else {
                policies.join(", ")
            }
        );
    }
    let failing: Vec<&ControlResult> = r.controls.iter().filter(|c| !c.results.is_empty()).collect();
    if !failing.is_empty() {
        let _ = writeln!(s, "\n## Findings");
        for c in failing {
            let _ = writeln!(s, "\n### {} {}\n", c.id, c.title);
            for res in &c.results {
                let _ = writeln!(
                    s,
                    "- {} `{}:{}` {}: {}",
                    res.status,
                    res.file,
                    res.line,
                    res.policy,
                    res.message.replace('\n', " ")
                );
            }
        }
    }
    s
}

/// The documentation page of a framework: its controls and the policies
/// that check them.
pub fn framework_markdown(data: &FrameworkData, registry: &Registry) -> String {
    let rows = mapped(data, registry);
    let covered = rows.iter().filter(|(_, p)| !p.is_empty()).count();
    let mut s = String::new();
    let _ = writeln!(s, "# {} {}\n", data.title, data.version);
    let _ = writeln!(
        s,
        "Generated from `policies/frameworks/{}.toml` and the policies' `[compliance]` tables by \
         `cargo run -- docs`; do not edit by hand. Control ids are the framework's; titles are \
         Palisade's own summaries. Source: <{}>\n",
        data.framework.key(),
        data.url
    );
    let _ = writeln!(s, "{}\n", data.scope);
    let _ = writeln!(
        s,
        "{covered} of {} controls are checked by at least one policy. Report on a \
         repository with `palisade compliance --framework {} PATH`.\n",
        rows.len(),
        data.framework.key()
    );
    let _ = writeln!(s, "| Control | Title | Policies |");
    let _ = writeln!(s, "|---|---|---|");
    for (c, policies) in &rows {
        let links: Vec<String> = policies
            .iter()
            .map(|p| format!("[{}](../policies/{}.md)", p.id, p.id))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            cell(&c.id),
            cell(&c.title),
            if links.is_empty() {
                "not covered".to_string()
            } else {
                links.join(", ")
            }
        );
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

/// The index of framework pages.
pub fn index_markdown(data: &[FrameworkData], registry: &Registry) -> String {
    let mut s = String::from(
        "# Compliance frameworks\n\nGenerated by `cargo run -- docs`; do not edit by hand. \
         `palisade compliance --framework <id> [PATH]` reports, per control, the policies mapped \
         to it and what they found, offline.\n\n| Id | Framework | Controls | Covered |\n|---|---|---|---|\n",
    );
    for d in data {
        let rows = mapped(d, registry);
        let covered = rows.iter().filter(|(_, p)| !p.is_empty()).count();
        let _ = writeln!(
            s,
            "| [{}]({}.md) | {} {} | {} | {} |",
            d.framework.key(),
            d.framework.key(),
            d.title,
            d.version,
            rows.len(),
            covered
        );
    }
    while s.ends_with('\n') {
        s.pop();
    }
    s
}

/// Generated compliance documentation: (path relative to the repository, content).
pub fn generated_files(registry: &Registry) -> Result<Vec<(String, String)>, ComplianceError> {
    let data = frameworks()?;
    let mut out = vec![("docs/compliance/README.md".to_string(), index_markdown(&data, registry))];
    for d in &data {
        out.push((
            format!("docs/compliance/{}.md", d.framework.key()),
            framework_markdown(d, registry),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
framework = "soc2"
title = "SOC 2"
version = "2017"
url = "https://example.com"
scope = "All"

[[control]]
id = "CC6.1"
title = "Logical access"
"#;

    #[test]
    fn parses_and_validates_framework_files() {
        let d = parse_framework("policies/frameworks/soc2.toml", SAMPLE).unwrap();
        assert_eq!(d.controls.len(), 1);
        let wrong_file = parse_framework("policies/frameworks/hipaa.toml", SAMPLE).unwrap_err();
        assert!(wrong_file.to_string().contains("soc2.toml"), "{wrong_file}");
        let twice = format!("{SAMPLE}\n[[control]]\nid = \"CC6.1\"\ntitle = \"Again\"\n");
        let e = parse_framework("soc2.toml", &twice).unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        let unknown = SAMPLE.replace("scope", "colour");
        assert!(parse_framework("soc2.toml", &unknown).is_err());
    }

    #[test]
    fn every_framework_is_embedded_and_valid() {
        let data = frameworks().unwrap();
        for fw in Framework::ALL {
            assert!(data.iter().any(|d| d.framework == fw), "no data for {}", fw.key());
        }
    }
}
