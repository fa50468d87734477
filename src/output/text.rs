//! Human output: `path:line:col severity id message`, a code frame, and a
//! summary by severity.

use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::{OutputCx, primary_lines, region};
use crate::finding::{Finding, Status};
use crate::policy::Severity;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "1;33",
        Severity::Low => "1;36",
        Severity::Info => "1;34",
    }
}

fn frame(cx: &OutputCx, f: &Finding) -> String {
    let report = cx.report;
    let file = report.sources.get(f.primary.file);
    let (line_no, text) = primary_lines(report, f);
    if text.is_empty() {
        return String::new();
    }
    let line_start = file.line_start(line_no) as usize;
    let masked_differs = text.len() != file.line_text(line_no).len();
    let span = if masked_differs {
        0..text.len()
    } else {
        let a = (f.primary.start as usize).saturating_sub(line_start).min(text.len());
        let mut b = (f.primary.end as usize).saturating_sub(line_start).clamp(a, text.len());
        if b == a && a < text.len() {
            b = a + 1;
        }
        a..b
    };
    let renderer = if cx.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let report_group = &[Group::with_level(Level::NOTE).element(
        Snippet::source(text.as_str())
            .line_start(line_no as usize)
            .fold(false)
            .annotation(AnnotationKind::Primary.span(span).label(&*f.policy.name)),
    )];
    renderer.render(report_group)
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let mut out = String::new();
    for f in &report.findings {
        if f.suppression.is_some() {
            continue;
        }
        let file = report.sources.get(f.primary.file);
        let (start, _) = region(file, f.primary);
        let sev = if f.status == Status::Inconclusive {
            paint(cx.color, "2", "inconclusive")
        } else {
            paint(cx.color, severity_color(f.severity), f.severity.as_str())
        };
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {} {}",
            file.display,
            start.line,
            start.column,
            sev,
            paint(cx.color, "1", &f.policy.id),
            f.message
        );
        let fr = frame(cx, f);
        if !fr.is_empty() {
            out.push_str(&fr);
            out.push('\n');
        }
        for (span, msg) in &f.related {
            let rf = report.sources.get(span.file);
            let (p, _) = region(rf, *span);
            let _ = writeln!(out, "   = note: {msg} at {}:{}:{}", rf.display, p.line, p.column);
        }
        let _ = writeln!(
            out,
            "   = help: `palisade explain {}` shows why and how to fix it\n",
            f.policy.id
        );
    }
    out.push_str(&summary(cx));
    out
}

/// One line: counts by severity, suppressed, files scanned, errors.
pub fn summary(cx: &OutputCx) -> String {
    let report = cx.report;
    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none() && f.status == Status::Fail)
        .collect();
    let mut parts = Vec::new();
    for s in Severity::ALL {
        let n = active.iter().filter(|f| f.severity == s).count();
        if n > 0 {
            parts.push(format!("{n} {}", s.as_str()));
        }
    }
    let mut line = if active.is_empty() {
        "no findings".to_string()
    } else {
        format!(
            "{} finding{} ({})",
            active.len(),
            if active.len() == 1 { "" } else { "s" },
            parts.join(", ")
        )
    };
    let inconclusive = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Inconclusive)
        .count();
    if inconclusive > 0 {
        let _ = write!(line, ", {inconclusive} inconclusive");
    }
    let suppressed = report.findings.iter().filter(|f| f.suppression.is_some()).count();
    if suppressed > 0 {
        let _ = write!(line, ", {suppressed} suppressed");
    }
    let _ = write!(
        line,
        " in {} file{}",
        report.stats.files,
        if report.stats.files == 1 { "" } else { "s" }
    );
    let errors = report
        .notices
        .iter()
        .filter(|n| n.level == crate::notice::NoticeLevel::Error)
        .count();
    if errors > 0 {
        let _ = write!(
            line,
            "; {errors} file{} could not be fully scanned",
            if errors == 1 { "" } else { "s" }
        );
    }
    line.push('\n');
    line
}
