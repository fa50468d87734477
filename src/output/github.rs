//! GitHub Actions workflow commands: each finding becomes an annotation
//! (`::error file=…,line=…::message`) shown on the run and on the pull
//! request's changed lines.

use std::fmt::Write;

use super::{OutputCx, active, region};
use crate::notice::NoticeLevel;
use crate::policy::Severity;

/// A command's message: `%`, CR and LF are escaped.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A command's property value: also `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let mut out = String::new();
    for f in active(report) {
        let file = report.sources.get(f.primary.file);
        let (s, e) = region(file, f.primary);
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            level(f.severity),
            property(&file.display),
            s.line,
            s.column,
            e.line,
            e.column,
            property(&format!("{} {} ({})", f.policy.id, f.policy.name, f.severity.as_str())),
            data(&f.message)
        );
    }
    for n in &report.notices {
        let level = match n.level {
            NoticeLevel::Error => "error",
            NoticeLevel::Warning => "warning",
            NoticeLevel::Note => "notice",
        };
        let mut props = Vec::new();
        if !n.file.is_empty() {
            props.push(format!("file={}", property(&n.file)));
        }
        if let Some(l) = n.line {
            props.push(format!("line={l}"));
        }
        props.push("title=palisade".into());
        let _ = writeln!(out, "::{level} {}::{}", props.join(","), data(&n.message));
    }
    out
}
