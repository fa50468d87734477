//! SARIF 2.1.0 for GitHub code scanning (see `docs/sarif.md`): one run, every
//! rule with help and `security-severity`, repository-relative URIs, narrow
//! regions with snippets, and line-independent fingerprints.

use std::collections::BTreeMap;
use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, RunAutomationDetails, Sarif, Suppression, Tool, ToolComponent,
};

use super::{OutputCx, primary_lines, region};
use crate::docs::policy_text;
use crate::finding::{Finding, Status, SuppressionKind};
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

/// The SARIF document, written to `out`. Rules and results, nearly all of
/// its bytes, are built and serialized in parallel, each element apart, then
/// spliced into the rest of the document: the bytes are those serde_json's
/// pretty printer writes for the whole document at once. Results go out a
/// chunk at a time, so a large report is never held whole in memory (a
/// whole-corpus scan's is 22 MB).
pub fn write(cx: &OutputCx, out: &mut dyn Write) -> std::io::Result<()> {
    let report = cx.report;
    let policies = cx.registry.sorted();
    let index: BTreeMap<&str, usize> = policies.iter().enumerate().map(|(i, p)| (&*p.id, i)).collect();
    let rule_index = |f: &Finding| index.get(&*f.policy.id).copied();
    let mut skeleton = serde_json::to_string_pretty(&document(cx, Vec::new(), Vec::new()))?;
    skeleton.push('\n');
    let arrays = [RESULTS, RULES];
    let Some(places) = places(&skeleton, &arrays) else {
        // The document's shape is not the one the splice expects (a new
        // serde-sarif release): serialize it whole, slower but the same.
        let rules = policies.iter().map(|p| rule(p)).collect();
        let results = report
            .findings
            .iter()
            .filter_map(|f| Some(result(cx, f, rule_index(f)?)))
            .collect();
        serde_json::to_writer_pretty(&mut *out, &document(cx, rules, results))?;
        return out.write_all(b"\n");
    };
    splice(&skeleton, &arrays, places, out, |array, elements| {
        if arrays[array].key == RULES.key {
            let rules: Vec<String> = policies
                .par_iter()
                .map(|p| array_element(&rule(p), RULES.depth))
                .collect::<Result<_, _>>()?;
            return rules.iter().try_for_each(|r| elements.push(r));
        }
        for chunk in report.findings.chunks(RESULTS_PER_CHUNK) {
            let results: Vec<String> = chunk
                .par_iter()
                .filter_map(|f| Some(array_element(&result(cx, f, rule_index(f)?), RESULTS.depth)))
                .collect::<Result<_, _>>()?;
            results.iter().try_for_each(|r| elements.push(r))?;
        }
        Ok(())
    })
}

/// Results serialized at a time: enough to keep every thread busy, few
/// enough that the memory they take is reused from one chunk to the next.
const RESULTS_PER_CHUNK: usize = 1024;

/// The SARIF document as a string (tests and the other callers that want it whole).
pub fn render(cx: &OutputCx) -> String {
    let mut out = Vec::new();
    match write(cx, &mut out) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn result(cx: &OutputCx, f: &Finding, rule_index: usize) -> SarifResult {
    let report = cx.report;
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
    result
}

/// An array of the document whose elements are rendered apart: its key, and
/// its elements' depth (objects and arrays around them).
#[derive(Clone, Copy)]
struct Spliced {
    key: &'static str,
    depth: usize,
}

/// `runs[0].results`.
const RESULTS: Spliced = Spliced {
    key: "results",
    depth: 4,
};
/// `runs[0].tool.driver.rules`.
const RULES: Spliced = Spliced { key: "rules", depth: 6 };

/// serde_json's pretty printer indents each level by two spaces.
const INDENT: &str = "  ";

/// serde_json's pretty layout for a value that starts `depth` levels deep:
/// what `PrettyFormatter` writes there when it prints the whole document.
struct NestedPretty {
    depth: usize,
    has_value: bool,
}

impl NestedPretty {
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.depth)
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.depth)?;
        }
        w.write_all(bracket)
    }
}

fn indent<W: ?Sized + std::io::Write>(w: &mut W, depth: usize) -> std::io::Result<()> {
    for _ in 0..depth {
        w.write_all(INDENT.as_bytes())?;
    }
    Ok(())
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.line(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.line(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as an element of an array `depth` levels deep, indented as in
/// the whole document.
fn array_element<T: Serialize>(value: &T, depth: usize) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(2048);
    indent(&mut out, depth).map_err(serde_json::Error::io)?;
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out,
        NestedPretty {
            depth,
            has_value: false,
        },
    ))?;
    // serde_json writes UTF-8 only.
    String::from_utf8(out).map_err(|e| serde_json::Error::io(std::io::Error::other(e)))
}

/// Where each of `arrays` sits in `skeleton`, empty: the offset just
/// before its closing bracket and the array's index, in document order.
/// `None` when an array is not where its key and depth say.
fn places(skeleton: &str, arrays: &[Spliced]) -> Option<Vec<(usize, usize)>> {
    let mut places = Vec::with_capacity(arrays.len());
    for (i, array) in arrays.iter().enumerate() {
        // The key at its own depth, at the start of its line: a key inside a
        // string would have its quotes escaped.
        let needle = format!("\n{}\"{}\": []", INDENT.repeat(array.depth - 1), array.key);
        let at = skeleton.find(&needle)?;
        places.push((at + needle.len() - 1, i));
    }
    places.sort_unstable();
    Some(places)
}

/// The elements of one spliced array, written as they come.
struct Elements<'a> {
    out: &'a mut dyn Write,
    count: usize,
}

impl Elements<'_> {
    fn push(&mut self, element: &str) -> std::io::Result<()> {
        self.out.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        self.count += 1;
        self.out.write_all(element.as_bytes())
    }
}

/// Writes `skeleton` with the elements of each array filled in at its
/// [`places`] by `fill(array index, elements)`: the bytes of the document
/// serialized whole.
fn splice(
    skeleton: &str,
    arrays: &[Spliced],
    places: Vec<(usize, usize)>,
    out: &mut dyn Write,
    mut fill: impl FnMut(usize, &mut Elements) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut copied = 0;
    for (at, i) in places {
        out.write_all(&skeleton.as_bytes()[copied..at])?;
        copied = at;
        let mut elements = Elements { out, count: 0 };
        fill(i, &mut elements)?;
        if elements.count > 0 {
            out.write_all(b"\n")?;
            indent(out, arrays[i].depth - 1)?;
        }
    }
    out.write_all(&skeleton.as_bytes()[copied..])
}

/// Everything of the document but its rules and results.
fn document(cx: &OutputCx, rules: Vec<ReportingDescriptor>, results: Vec<SarifResult>) -> Sarif {
    let report = cx.report;
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
    Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real document's shape: results four levels deep, rules six.
    fn document_of(results: &[serde_json::Value], rules: &[serde_json::Value]) -> serde_json::Value {
        json!({"runs": [{"results": results, "tool": {"driver": {"name": "x", "rules": rules}}}], "version": "2.1.0"})
    }

    #[test]
    fn spliced_arrays_read_as_the_document_serialized_whole() {
        let element = |n: usize| json!({"id": n, "text": "two\nlines, \"results\": []", "nested": {"list": [1, {"a": []}], "empty": {}}});
        for (results, rules) in [(0, 0), (1, 3), (4, 0), (0, 2)] {
            let results: Vec<_> = (0..results).map(element).collect();
            let rules: Vec<_> = (0..rules).map(element).collect();
            let whole = serde_json::to_string_pretty(&document_of(&results, &rules)).unwrap() + "\n";
            let skeleton = serde_json::to_string_pretty(&document_of(&[], &[])).unwrap() + "\n";
            let rendered = |values: &[serde_json::Value], depth| {
                values
                    .iter()
                    .map(|v| array_element(v, depth).unwrap())
                    .collect::<Vec<_>>()
            };
            let filled = [rendered(&rules, RULES.depth), rendered(&results, RESULTS.depth)];
            let arrays = [RULES, RESULTS];
            let places = places(&skeleton, &arrays).expect("the arrays where the document has them");
            let mut spliced = Vec::new();
            splice(&skeleton, &arrays, places, &mut spliced, |i, elements| {
                filled[i].iter().try_for_each(|e| elements.push(e))
            })
            .unwrap();
            assert_eq!(String::from_utf8(spliced).unwrap(), whole);
        }
        // An array not at the depth its key is expected at: no splice (the
        // caller then serializes the document whole).
        let moved = serde_json::to_string_pretty(&json!({"results": [], "rules": []})).unwrap();
        assert_eq!(places(&moved, &[RESULTS, RULES]), None);
    }
}
