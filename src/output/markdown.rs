//! A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull request comment:
//! counts by severity and a table of findings.

use std::fmt::Write;

use super::{OutputCx, active, region};
use crate::finding::Finding;
use crate::notice::NoticeLevel;
use crate::policy::Severity;

/// Rows shown before the table is cut (comments have a size limit).
const MAX_ROWS: usize = 200;

/// Text safe in a table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let findings: Vec<&Finding> = active(report).collect();
    let mut out = String::new();
    let counts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = findings.iter().filter(|f| f.severity == *s).count();
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    if findings.is_empty() {
        out.push_str("## Palisade: no findings\n\n");
    } else {
        let _ = writeln!(
            out,
            "## Palisade: {} finding{} ({})\n",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            counts.join(", ")
        );
        out.push_str("| Severity | Rule | Location | Finding |\n|---|---|---|---|\n");
        for f in findings.iter().take(MAX_ROWS) {
            let file = report.sources.get(f.primary.file);
            let (start, _) = region(file, f.primary);
            let _ = writeln!(
                out,
                "| {} | `{}` {} | `{}:{}` | {} |",
                f.severity.as_str(),
                f.policy.id,
                cell(&f.policy.name),
                cell(&file.display),
                start.line,
                cell(&f.message)
            );
        }
        if findings.len() > MAX_ROWS {
            let _ = writeln!(out, "\n… and {} more.", findings.len() - MAX_ROWS);
        }
        out.push('\n');
    }
    let suppressed = report.findings.iter().filter(|f| f.suppression.is_some()).count();
    let errors = report.notices.iter().filter(|n| n.level == NoticeLevel::Error).count();
    let _ = write!(
        out,
        "{} file{} scanned",
        report.stats.files,
        if report.stats.files == 1 { "" } else { "s" }
    );
    if suppressed > 0 {
        let _ = write!(out, ", {suppressed} suppressed");
    }
    if errors > 0 {
        let _ = write!(
            out,
            ", **{errors} file{} could not be fully scanned**",
            if errors == 1 { "" } else { "s" }
        );
    }
    out.push_str(". `palisade explain <rule>` shows why each matters and how to fix it.\n");
    out
}
