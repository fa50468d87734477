//! Inline suppressions: `# palisade:ignore[ID, …] reason` comments, and the
//! suppression comments of other scanners (Checkov, tfsec, Trivy, KICS,
//! hadolint, zizmor), honoured through each policy's `equivalents` so that a
//! team moving to Palisade keeps its accepted risks.
//!
//! Comments are found line by line in the file text, so every file kind works
//! the same way: `#` and `//` (and `/*`) start a comment.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::notice::Notice;
use crate::policy::{Policy, Registry};
use crate::scan::ScanReport;
use crate::source::{FileId, SourceFile, Span};

/// Whose comment syntax a directive uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Syntax {
    Palisade,
    Checkov,
    Tfsec,
    Trivy,
    Kics,
    Hadolint,
    Zizmor,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Palisade => "palisade",
            Syntax::Checkov => "checkov",
            Syntax::Tfsec => "tfsec",
            Syntax::Trivy => "trivy",
            Syntax::Kics => "kics",
            Syntax::Hadolint => "hadolint",
            Syntax::Zizmor => "zizmor",
        }
    }

    /// Whether `key`, written in this syntax, names `policy`.
    fn names(self, key: &str, policy: &Policy) -> bool {
        let eq = |ids: &[String]| ids.iter().any(|id| id.eq_ignore_ascii_case(key));
        let e = &policy.equivalents;
        match self {
            Syntax::Palisade => policy.is_named(key) || policy.was_split_from(key),
            Syntax::Checkov => eq(&e.checkov),
            // Trivy reads tfsec's comments and tfsec (from 1.28) Trivy's ids.
            Syntax::Tfsec | Syntax::Trivy => eq(&e.tfsec) || eq(&e.trivy),
            Syntax::Kics => eq(&e.kics),
            Syntax::Hadolint => eq(&e.hadolint),
            Syntax::Zizmor => eq(&e.zizmor),
        }
    }
}

/// Which findings a directive can reach, relative to where it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The comment's own line, the line below it (through a run of comment
    /// lines), or the block that starts there.
    Standard,
    /// Only the line right below (`kics-scan ignore-line`).
    NextLine,
    /// Only a block that starts right below (`kics-scan ignore-block`).
    Block,
    /// Like `Standard`, and anywhere inside the block holding the comment
    /// (`checkov:skip` is written inside the resource).
    Inside,
    /// The whole file (`kics-scan ignore`, `hadolint global ignore=`).
    File,
}

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub syntax: Syntax,
    /// 1-based line.
    pub line: u32,
    /// Byte range of the directive in its line.
    pub columns: std::ops::Range<usize>,
    /// The rules named; `None`: every rule.
    pub rules: Option<Vec<String>>,
    pub reason: Option<String>,
    /// `YYYY-MM-DD`: the last day the suppression holds.
    pub expires: Option<String>,
    pub reach: Reach,
    /// Why the directive is not honoured (malformed); reported as a notice.
    pub problem: Option<String>,
}

/// How suppressions are applied.
#[derive(Debug, Clone)]
pub struct Options {
    /// Honour inline comments (`--no-inline-ignores` turns this off).
    pub inline: bool,
    /// A suppression without a reason is not honoured.
    pub require_reason: bool,
    /// Today, `YYYY-MM-DD`: suppressions that expired before it no longer hold.
    pub today: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            inline: true,
            require_reason: false,
            today: today(),
        }
    }
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    date_of_day(secs.div_euclid(86_400) as i64)
}

/// The proleptic Gregorian date of a day counted from 1970-01-01, by whole
/// 400-year eras (146,097 days each) starting on 1 March.
pub fn date_of_day(days: i64) -> String {
    let shifted = days + 719_468; // days from 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Whether `s` is a plausible `YYYY-MM-DD` date.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    matches!((num(0..4), num(5..7), num(8..10)), (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}

// Every directive sits in a comment: after `#`, `//` or `/*`.
static PALISADE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:#|//|/\*)\s*palisade:ignore(\[[^\]]*\]?)?(.*)$").unwrap());
static CHECKOV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:#|//|/\*)\s*checkov:skip=\s*([A-Za-z0-9_.\-]+)(?::([^#]*))?").unwrap());
static TFSEC_TRIVY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:#|//|/\*)\s*(tfsec|trivy):ignore:([A-Za-z0-9_\-*]+)(\[[^\]]*\])?((?::[a-z]+:[^\s:#]+)*)([^#]*)")
        .unwrap()
});
static KICS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:#|//|/\*)\s*kics-scan\s+(ignore-line|ignore-block|ignore|disable=\S+|enable=\S+)").unwrap()
});
static HADOLINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:#|//|/\*)\s*hadolint\s+(global\s+)?ignore=([A-Za-z0-9_,\s]+)").unwrap());
static ZIZMOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:#|//|/\*)\s*zizmor:\s*ignore\[([^\]]+)\](.*)$").unwrap());

/// Whether `text` (a line, or a whole file) may hold a suppression comment
/// of any syntax: a quick filter before the regexes. One SIMD search for
/// every marker at once where the CPU has one (over the corpus's 36 MB:
/// 8.7 ms, against 10.1 ms for a `str::contains` per marker and 31 ms for a
/// default `AhoCorasick`).
pub fn may_hold_directive(text: &str) -> bool {
    static ANY_MARKER: LazyLock<Option<aho_corasick::packed::Searcher>> =
        LazyLock::new(|| aho_corasick::packed::Searcher::new(MARKERS.iter()));
    match &*ANY_MARKER {
        Some(searcher) => searcher.find(text).is_some(),
        None => MARKERS.iter().any(|m| text.contains(m)),
    }
}

/// Words that must appear in a line for it to hold a directive.
const MARKERS: &[&str] = &[
    "palisade:",
    "checkov:",
    "tfsec:",
    "trivy:",
    "kics-scan",
    "hadolint",
    "zizmor:",
];

fn clean_reason(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches("*/").trim();
    let s = s.strip_prefix(':').unwrap_or(s).trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// The directives written on one line (1-based `line`).
pub fn parse_line(text: &str, line: u32) -> Vec<Directive> {
    let mut out = Vec::new();
    if !may_hold_directive(text) {
        return out;
    }
    let base = |syntax, columns, rules, reason, reach| Directive {
        syntax,
        line,
        columns,
        rules,
        reason,
        expires: None,
        reach,
        problem: None,
    };
    for c in PALISADE.captures_iter(text) {
        let all = c.get(0).unwrap();
        let mut d = base(Syntax::Palisade, all.range(), Some(Vec::new()), None, Reach::Standard);
        match c.get(1).map(|m| m.as_str()) {
            Some(b) if b.ends_with(']') => {
                let rules: Vec<String> = b[1..b.len() - 1].split(',').map(|k| k.trim().to_string()).collect();
                if rules.iter().any(String::is_empty) {
                    d.problem = Some("an empty rule name in `palisade:ignore[…]`".into());
                }
                d.rules = Some(rules);
            }
            _ => {
                d.problem =
                    Some("`palisade:ignore` must name the rules it suppresses: `palisade:ignore[ID, …] reason`".into())
            }
        }
        let mut words = Vec::new();
        for w in c.get(2).map_or("", |m| m.as_str()).split_whitespace() {
            match w.strip_prefix("exp:") {
                Some(date) if d.expires.is_none() => {
                    if !is_date(date) {
                        d.problem = Some(format!("`exp:{date}`: the expiry date must be YYYY-MM-DD"));
                    }
                    d.expires = Some(date.to_string());
                }
                _ => words.push(w),
            }
        }
        d.reason = clean_reason(&words.join(" "));
        out.push(d);
    }
    for c in CHECKOV.captures_iter(text) {
        out.push(base(
            Syntax::Checkov,
            c.get(0).unwrap().range(),
            Some(vec![c[1].to_string()]),
            c.get(2).and_then(|m| clean_reason(m.as_str())),
            Reach::Inside,
        ));
    }
    for c in TFSEC_TRIVY.captures_iter(text) {
        let syntax = if &c[1] == "tfsec" { Syntax::Tfsec } else { Syntax::Trivy };
        let mut d = base(
            syntax,
            c.get(0).unwrap().range(),
            Some(vec![c[2].to_string()]),
            c.get(5).and_then(|m| clean_reason(m.as_str())),
            Reach::Standard,
        );
        if c.get(3).is_some() {
            // Attribute selectors (`[from_port=3306]`) pick instances Palisade
            // cannot tell apart here: better a finding than a silent pass.
            d.problem = Some("attribute selectors in trivy:ignore are not supported".into());
        }
        if &c[2] == "*" {
            d.rules = None;
        }
        // Modifiers: `:exp:2025-01-02`, `:ws:workspace`.
        let modifiers: Vec<&str> = c[4].split(':').skip(1).collect();
        for pair in modifiers.chunks(2) {
            if let [key, value] = pair
                && *key == "exp"
            {
                d.expires = Some(value.to_string());
                if !is_date(value) {
                    d.problem = Some(format!("`exp:{value}`: the expiry date must be YYYY-MM-DD"));
                }
            }
        }
        out.push(d);
    }
    for c in KICS.captures_iter(text) {
        let what = &c[1];
        let columns = c.get(0).unwrap().range();
        let d = match what {
            "ignore-line" => base(Syntax::Kics, columns, None, None, Reach::NextLine),
            "ignore-block" => base(Syntax::Kics, columns, None, None, Reach::Block),
            "ignore" => base(Syntax::Kics, columns, None, None, Reach::File),
            _ => match what.strip_prefix("disable=") {
                Some(ids) => base(Syntax::Kics, columns, Some(list(ids)), None, Reach::File),
                // `enable=` narrows KICS's own run; it suppresses nothing.
                None => continue,
            },
        };
        out.push(d);
    }
    for c in HADOLINT.captures_iter(text) {
        let reach = if c.get(1).is_some() {
            Reach::File
        } else {
            Reach::Standard
        };
        out.push(base(
            Syntax::Hadolint,
            c.get(0).unwrap().range(),
            Some(list(&c[2])),
            None,
            reach,
        ));
    }
    for c in ZIZMOR.captures_iter(text) {
        out.push(base(
            Syntax::Zizmor,
            c.get(0).unwrap().range(),
            Some(list(&c[1])),
            clean_reason(&c[2]),
            Reach::Standard,
        ));
    }
    out
}

/// A line holding only a comment (or a comment after whitespace).
fn is_comment_line(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*')
}

/// The directives of one file, with what is needed to place them.
struct FileDirectives {
    directives: Vec<Directive>,
    /// Per 0-based line: holds only a comment.
    comment_only: Vec<bool>,
}

impl FileDirectives {
    fn of(file: &SourceFile) -> Self {
        let mut directives = Vec::new();
        let mut comment_only = Vec::with_capacity(file.line_count());
        for (i, text) in file.text.split('\n').enumerate() {
            comment_only.push(is_comment_line(text));
            directives.extend(parse_line(text.trim_end_matches('\r'), i as u32 + 1));
        }
        // Palisade's own comments first: they carry reasons and expiry.
        directives.sort_by_key(|d| (d.syntax, d.line));
        Self {
            directives,
            comment_only,
        }
    }

    /// Whether `line` lies in the run of comment lines right above `below`.
    fn in_comments_above(&self, line: u32, below: u32) -> bool {
        line < below && (line..below).all(|l| self.is_comment_only(l))
    }

    fn is_comment_only(&self, line: u32) -> bool {
        self.comment_only.get(line as usize - 1).copied().unwrap_or(false)
    }

    /// `blocks`: the lines of the blocks holding the finding, innermost
    /// first. Palisade's comments reach any of them (above a job reaches its
    /// steps); other tools' only the innermost, as those tools do.
    fn reaches(&self, d: &Directive, at: u32, blocks: &[(u32, u32)]) -> bool {
        let blocks = if d.syntax == Syntax::Palisade {
            blocks
        } else {
            &blocks[..blocks.len().min(1)]
        };
        let standard = || {
            d.line == at
                || self.in_comments_above(d.line, at)
                || blocks.iter().any(|&(start, _)| {
                    (d.line == start && !self.is_comment_only(start)) || self.in_comments_above(d.line, start)
                })
        };
        match d.reach {
            Reach::Standard => standard(),
            Reach::NextLine => d.line + 1 == at,
            Reach::Block => blocks.iter().any(|&(start, _)| self.in_comments_above(d.line, start)),
            Reach::Inside => standard() || blocks.iter().any(|&(start, end)| start <= d.line && d.line <= end),
            Reach::File => true,
        }
    }
}

/// Apply inline suppressions to the findings of `report`. `run` holds the
/// policies that ran; `known` every policy a comment may name (to tell a
/// typo from a policy that was not run). Problems and unused suppressions
/// become warning notices.
pub fn apply(report: &mut ScanReport, run: &Registry, known: &Registry, options: &Options) {
    if !options.inline {
        return;
    }
    let mut by_file: BTreeMap<FileId, Vec<usize>> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        by_file.entry(f.primary.file).or_default().push(i);
    }
    let files: Vec<FileId> = report.sources.iter().map(|(id, _)| id).collect();
    for id in files {
        let findings = by_file.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let text = &report.sources.get(id).text;
        if findings.is_empty() && !text.contains("palisade:ignore") {
            continue;
        }
        // A line holds a directive only if it holds a marker: most files
        // hold none, and are not read line by line.
        if !may_hold_directive(text) {
            continue;
        }
        let file = report.sources.get(id).clone();
        let fd = FileDirectives::of(&file);
        if fd.directives.is_empty() {
            continue;
        }
        let mut used: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut unreasoned: BTreeSet<usize> = BTreeSet::new();
        for &fi in findings {
            let finding = &mut report.findings[fi];
            if finding.suppression.is_some() {
                continue;
            }
            suppress_one(&fd, &file, finding, options, &mut used, &mut unreasoned);
        }
        report
            .notices
            .extend(notices_for(&fd, &file, run, known, &used, &unreasoned));
    }
    report.notices.sort();
    report.notices.dedup();
}

fn suppress_one(
    fd: &FileDirectives,
    file: &SourceFile,
    finding: &mut Finding,
    options: &Options,
    used: &mut BTreeSet<(usize, usize)>,
    unreasoned: &mut BTreeSet<usize>,
) {
    let at = file.position(finding.primary.start).line;
    let blocks: Vec<(u32, u32)> = finding
        .enclosing
        .iter()
        .map(|s| (file.position(s.start).line, file.position(s.end).line))
        .collect();
    let mut expired = Vec::new();
    for (di, d) in fd.directives.iter().enumerate() {
        if d.problem.is_some() || !fd.reaches(d, at, &blocks) {
            continue;
        }
        let named = match &d.rules {
            None => Some(usize::MAX),
            Some(rules) => rules.iter().position(|k| d.syntax.names(k, &finding.policy)),
        };
        let Some(ri) = named else { continue };
        used.insert((di, ri));
        if let Some(exp) = &d.expires
            && *exp < options.today
        {
            expired.push((d.line, exp.clone(), d.columns.clone()));
            continue;
        }
        if options.require_reason && d.reason.is_none() {
            unreasoned.insert(di);
            continue;
        }
        finding.suppression = Some(Suppression {
            kind: SuppressionKind::InSource,
            justification: d.reason.clone(),
        });
        return;
    }
    for (line, exp, columns) in expired {
        let start = file.line_start(line) as usize;
        finding
            .message
            .push_str(&format!(" (its suppression on line {line} expired on {exp})"));
        finding.related.push((
            Span::new(finding.primary.file, start + columns.start, start + columns.end),
            format!("suppression expired on {exp}"),
        ));
    }
}

fn notices_for(
    fd: &FileDirectives,
    file: &SourceFile,
    run: &Registry,
    known: &Registry,
    used: &BTreeSet<(usize, usize)>,
    unreasoned: &BTreeSet<usize>,
) -> Vec<Notice> {
    let mut out = Vec::new();
    let note = |line: u32, msg: String| Notice::warning(file.display.clone(), Some(line), msg);
    for (di, d) in fd.directives.iter().enumerate() {
        if unreasoned.contains(&di) {
            out.push(note(
                d.line,
                format!(
                    "{} suppression without a reason is not honoured (require-reason is on)",
                    d.syntax.as_str()
                ),
            ));
        }
        if d.syntax != Syntax::Palisade {
            continue;
        }
        if let Some(problem) = &d.problem {
            out.push(note(d.line, format!("{problem}; this suppression is not honoured")));
            continue;
        }
        for (ri, key) in d.rules.iter().flatten().enumerate() {
            if used.contains(&(di, ri)) {
                continue;
            }
            if known.get(key).is_none() {
                out.push(note(
                    d.line,
                    format!("palisade:ignore names `{key}`, which is no policy; `palisade rules` lists them"),
                ));
            } else if let Some(p) = run.get(key) {
                out.push(note(
                    d.line,
                    format!(
                        "unused suppression: no {} ({}) finding here to suppress; remove `{key}` from it",
                        p.id, p.name
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marker_lets_a_text_through_the_filter() {
        for marker in MARKERS {
            let text = format!("resource \"a\" \"b\" {{\n  # {marker} x\n}}\n");
            assert!(may_hold_directive(&text), "{marker}");
            assert!(!may_hold_directive(&text.replace(marker, "")), "{marker}");
        }
    }

    fn one(line: &str) -> Directive {
        let mut ds = parse_line(line, 1);
        assert_eq!(ds.len(), 1, "{line}: {ds:?}");
        ds.remove(0)
    }

    #[test]
    fn dates() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(19_782), "2024-02-29");
        assert_eq!(date_of_day(20_819), "2027-01-01");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert!(is_date("2026-12-31"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("26-12-31"));
    }

    #[test]
    fn palisade_syntax() {
        let d = one("  acl = \"public-read\" # palisade:ignore[TF0002, s3-bucket-public-acl] site is public");
        assert_eq!(d.syntax, Syntax::Palisade);
        assert_eq!(d.rules, Some(vec!["TF0002".into(), "s3-bucket-public-acl".into()]));
        assert_eq!(d.reason.as_deref(), Some("site is public"));
        assert_eq!(d.problem, None);

        let d = one("// palisade:ignore[TF0002] exp:2026-12-31 until the migration");
        assert_eq!(d.expires.as_deref(), Some("2026-12-31"));
        assert_eq!(d.reason.as_deref(), Some("until the migration"));

        assert_eq!(one("# palisade:ignore[TF0002]").reason, None);
        assert!(one("# palisade:ignore TF0002").problem.is_some());
        assert!(one("# palisade:ignore[]").problem.is_some());
        assert!(one("# palisade:ignore[TF0002] exp:31/12/2026").problem.is_some());
        // Not in a comment: nothing.
        assert!(parse_line("description = \"palisade:ignore[TF0002]\"", 1).is_empty());
    }

    #[test]
    fn peer_syntaxes() {
        let d = one("  #checkov:skip=CKV_AWS_20:The bucket is a public website");
        assert_eq!((d.syntax, d.reach), (Syntax::Checkov, Reach::Inside));
        assert_eq!(d.rules, Some(vec!["CKV_AWS_20".into()]));
        assert_eq!(d.reason.as_deref(), Some("The bucket is a public website"));

        let d = one("#tfsec:ignore:aws-s3-no-public-access-with-acl:exp:2025-01-02");
        assert_eq!(d.syntax, Syntax::Tfsec);
        assert_eq!(d.rules, Some(vec!["aws-s3-no-public-access-with-acl".into()]));
        assert_eq!(d.expires.as_deref(), Some("2025-01-02"));

        let d = one("# trivy:ignore:AVD-AWS-0092 public website");
        assert_eq!(d.syntax, Syntax::Trivy);
        assert_eq!(d.reason.as_deref(), Some("public website"));
        assert!(one("#trivy:ignore:AVD-AWS-0107[from_port=3306]").problem.is_some());

        assert_eq!(one("# kics-scan ignore-line").reach, Reach::NextLine);
        assert_eq!(one("# kics-scan ignore-block").reach, Reach::Block);
        assert_eq!(one("# kics-scan ignore").reach, Reach::File);
        let d = one("# kics-scan disable=38c5ee0d-7f22-4260-ab72-5073048df100,abc");
        assert_eq!(d.reach, Reach::File);
        assert_eq!(d.rules.unwrap().len(), 2);
        assert!(parse_line("# kics-scan enable=abc", 1).is_empty());

        let d = one("# hadolint ignore=DL3008,DL3009");
        assert_eq!((d.syntax, d.reach), (Syntax::Hadolint, Reach::Standard));
        assert_eq!(d.rules, Some(vec!["DL3008".into(), "DL3009".into()]));
        assert_eq!(one("# hadolint global ignore=DL3008").reach, Reach::File);

        let d = one("    uses: actions/checkout@v4 # zizmor: ignore[artipacked, unpinned-uses] reviewed");
        assert_eq!(d.syntax, Syntax::Zizmor);
        assert_eq!(d.rules, Some(vec!["artipacked".into(), "unpinned-uses".into()]));
        assert_eq!(d.reason.as_deref(), Some("reviewed"));
    }

    #[test]
    fn placement() {
        let text = "# palisade:ignore[X] a\n\
                    resource \"a\" \"b\" {\n\
                    \x20 # kics-scan ignore-line\n\
                    \x20 x = 1\n\
                    \n\
                    \x20 y = 2 # checkov:skip=C\n\
                    }\n";
        let file = SourceFile::new("t.tf".into(), "t.tf".into(), text);
        let fd = FileDirectives::of(&file);
        let find = |s: Syntax| fd.directives.iter().find(|d| d.syntax == s).unwrap();
        let block = [(2, 7)];
        // Above the block reaches everything in it, not past it.
        assert!(fd.reaches(find(Syntax::Palisade), 6, &block));
        assert!(!fd.reaches(find(Syntax::Palisade), 9, &[]));
        // ignore-line: only the next line.
        assert!(fd.reaches(find(Syntax::Kics), 4, &block));
        assert!(!fd.reaches(find(Syntax::Kics), 6, &block));
        // checkov: anywhere in the block.
        assert!(fd.reaches(find(Syntax::Checkov), 4, &block));
        assert!(!fd.reaches(find(Syntax::Checkov), 4, &[]));
        // Ours reach every enclosing block, others' only the innermost.
        let nested = [(4, 4), (2, 7)];
        assert!(fd.reaches(find(Syntax::Palisade), 4, &nested));
        let mut tfsec = find(Syntax::Palisade).clone();
        tfsec.syntax = Syntax::Tfsec;
        assert!(!fd.reaches(&tfsec, 4, &nested));
        // A block starting on a comment line is not reached from that line.
        assert!(!fd.reaches(find(Syntax::Palisade), 6, &[(1, 7)]));
    }
}
