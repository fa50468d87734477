//! JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure
//! DevOps): one test suite per scanned file, one failing test case per
//! finding, suppressed findings as skipped, files that could not be scanned
//! as errors. Follows the Jenkins `junit-10.xsd` shape.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{OutputCx, region};
use crate::finding::{Finding, Status};
use crate::notice::{Notice, NoticeLevel};

/// Text escaped for XML attributes and content; characters XML 1.0 cannot
/// hold are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Suite<'a> {
    findings: Vec<&'a Finding>,
    errors: Vec<&'a Notice>,
}

pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let mut suites: BTreeMap<String, Suite> = BTreeMap::new();
    for (_, file) in report.sources.iter() {
        suites.entry(file.display.clone()).or_default();
    }
    for f in &report.findings {
        let file = &report.sources.get(f.primary.file).display;
        suites.entry(file.clone()).or_default().findings.push(f);
    }
    for n in report.notices.iter().filter(|n| n.level == NoticeLevel::Error) {
        suites.entry(n.file.clone()).or_default().errors.push(n);
    }
    let timestamp = timestamp();
    let mut body = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for (i, (name, suite)) in suites.iter().enumerate() {
        let name = if name.is_empty() { "palisade" } else { name.as_str() };
        let mut cases = String::new();
        let (mut t, mut fl, mut er, mut sk) = (0, 0, 0, 0);
        for f in &suite.findings {
            t += 1;
            let file = report.sources.get(f.primary.file);
            let (start, _) = region(file, f.primary);
            let _ = write!(
                cases,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">",
                escape(&format!(
                    "{} {}: {} (line {})",
                    f.policy.id, f.policy.name, f.address, start.line
                )),
                escape(name)
            );
            if let Some(s) = &f.suppression {
                sk += 1;
                let why = s.justification.as_deref().unwrap_or("no reason given");
                let _ = write!(
                    cases,
                    "<skipped message=\"{}\"/>",
                    escape(&format!("suppressed: {why}"))
                );
            } else if f.status == Status::Inconclusive {
                sk += 1;
                let _ = write!(
                    cases,
                    "<skipped message=\"{}\"/>",
                    escape(&format!("inconclusive: {}", f.message))
                );
            } else {
                fl += 1;
                let _ = write!(
                    cases,
                    "<failure message=\"{}\" type=\"{}\">{}</failure>",
                    escape(&f.message),
                    f.severity.as_str(),
                    escape(&format!(
                        "{}:{}:{}: {} {} {}\n{}\n`palisade explain {}` shows why and how to fix it",
                        file.display,
                        start.line,
                        start.column,
                        f.severity.as_str(),
                        f.policy.id,
                        f.message,
                        f.policy.title,
                        f.policy.id
                    ))
                );
            }
            cases.push_str("</testcase>\n");
        }
        for n in &suite.errors {
            t += 1;
            er += 1;
            let _ = writeln!(
                cases,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"><error message=\"{}\" type=\"scan\"/></testcase>",
                escape(&format!("scan {name}")),
                escape(name),
                escape(&n.to_string())
            );
        }
        if t == 0 {
            t = 1;
            let _ = writeln!(
                cases,
                "    <testcase name=\"no findings\" classname=\"{}\" time=\"0\"/>",
                escape(name)
            );
        }
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" id=\"{i}\" package=\"palisade\" hostname=\"localhost\" timestamp=\"{timestamp}\" \
             tests=\"{t}\" failures=\"{fl}\" errors=\"{er}\" skipped=\"{sk}\" time=\"0\">\n    <properties/>\n{cases}    \
             <system-out/>\n    <system-err/>\n  </testsuite>",
            escape(name)
        );
        tests += t;
        failures += fl;
        errors += er;
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"palisade\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">"
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}

/// Now, as `YYYY-MM-DDTHH:MM:SS` (UTC, no zone: what the JUnit schemas accept).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let day = crate::suppress::date_of_day((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{day}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
