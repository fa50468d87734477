//! Output formats. Every format goes through the helpers here for locations
//! and snippets, so that redaction of sensitive text happens in one place.

pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use crate::finding::Finding;
use crate::scan::ScanReport;
use crate::source::{Position, SourceFile, Span};

/// The formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// JUnit XML: a test suite per file, a failing test case per finding.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…::…`): annotations.
    Github,
    /// GitLab code quality report (Code Climate JSON).
    Gitlab,
    /// A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull request comment.
    Markdown,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Markdown => "markdown",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        <Format as clap::ValueEnum>::value_variants()
            .iter()
            .copied()
            .find(|f| f.name() == name)
    }
}

/// Everything an output writer needs.
pub struct OutputCx<'a> {
    pub report: &'a ScanReport,
    pub registry: &'a crate::policy::Registry,
    /// Colour codes in text output.
    pub color: bool,
}

/// Write a report in a format to `out`: SARIF as it is rendered, a chunk
/// at a time; the other formats whole.
pub fn write(format: Format, cx: &OutputCx, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        Format::Sarif => sarif::write(cx, out),
        other => out.write_all(render(other, cx).as_bytes()),
    }
}

/// Render a report in a format.
pub fn render(format: Format, cx: &OutputCx) -> String {
    match format {
        Format::Text => text::render(cx),
        Format::Json => json::render(cx),
        Format::Sarif => sarif::render(cx),
        Format::Junit => junit::render(cx),
        Format::Github => github::render(cx),
        Format::Gitlab => gitlab::render(cx),
        Format::Markdown => markdown::render(cx),
    }
}

/// A region in 1-based positions. Spans over several lines are cut to their
/// first line: GitHub only annotates a pull request when every line of the
/// region is in the diff, so narrow regions are shown more often.
pub fn region(file: &SourceFile, span: Span) -> (Position, Position) {
    let start = file.position(span.start);
    let mut end = file.position(span.end.max(span.start));
    if end.line != start.line {
        let line = file.line_text(start.line);
        end = Position {
            line: start.line,
            column: line.encode_utf16().count() as u32 + 1,
        };
    }
    if end.column <= start.column {
        end.column = start.column + 1;
    }
    (start, end)
}

/// Show at most a short prefix of a secret and its length.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}…[redacted, {n} chars]")
}

/// The source text of `range` (byte offsets) in `file` with every sensitive
/// span of `finding` inside it redacted, and any other credential the text
/// shows (one that another finding reports, or no enabled policy does).
pub fn masked(file: &SourceFile, finding: &Finding, range: std::ops::Range<usize>) -> String {
    let text = &file.text;
    let range = range.start.min(text.len())..range.end.min(text.len());
    let mut out = String::new();
    let mut pos = range.start;
    let mut spans: Vec<(usize, usize)> = finding
        .sensitive
        .iter()
        .filter(|s| s.file == finding.primary.file && (s.start as usize) < range.end && (s.end as usize) > range.start)
        .map(|s| (s.start as usize, s.end as usize))
        .collect();
    let shown = safe_slice(text, range.start, range.end);
    let base = shown.as_ptr() as usize - text.as_ptr() as usize;
    spans.extend(
        crate::secrets::sensitive_ranges(shown)
            .into_iter()
            .map(|r| (base + r.start, base + r.end)),
    );
    spans.sort();
    for (start, end) in spans {
        let (a, b) = (start.max(pos), end.min(range.end));
        if a > pos {
            out.push_str(safe_slice(text, pos, a));
        }
        if b > a {
            out.push_str(&redact(safe_slice(text, start, end)));
        }
        pos = pos.max(b);
    }
    if range.end > pos {
        out.push_str(safe_slice(text, pos, range.end));
    }
    out
}

fn safe_slice(text: &str, a: usize, b: usize) -> &str {
    let mut a = a.min(text.len());
    let mut b = b.min(text.len()).max(a);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    while !text.is_char_boundary(b) {
        b += 1;
    }
    &text[a..b]
}

/// The full lines of the primary region, masked: the SARIF snippet and the
/// code frame's text.
pub fn primary_lines(report: &ScanReport, f: &Finding) -> (u32, String) {
    let file = report.sources.get(f.primary.file);
    let (start, _) = region(file, f.primary);
    let a = file.line_start(start.line) as usize;
    let b = file.line_start(start.line + 1) as usize;
    let text = masked(file, f, a..b);
    (start.line, text.trim_end_matches(['\n', '\r']).to_string())
}

/// The findings to act on: failing and not suppressed.
pub fn active(report: &ScanReport) -> impl Iterator<Item = &Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none() && f.status == crate::finding::Status::Fail)
}
