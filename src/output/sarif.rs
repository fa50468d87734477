//! SARIF 2.1.0 for GitHub code scanning (see `docs/sarif.md`): one run, every
//! rule with help and `security-severity`, repository-relative URIs, narrow
//! regions with snippets, and line-independent fingerprints.

use std::collections::BTreeMap;

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

/// The SARIF document. Rules and results, nearly all of its bytes, are
/// built and serialized in parallel, each element apart, then spliced into
/// the rest of the document: the bytes are those serde_json's pretty
/// printer writes for the whole document at once.
pub fn render(cx: &OutputCx) -> String {
    let report = cx.report;
    let policies = cx.registry.sorted();
    let index: BTreeMap<&str, usize> = policies.iter().enumerate().map(|(i, p)| (&*p.id, i)).collect();
    let rules: Result<Vec<String>, serde_json::Error> = policies
        .par_iter()
        .map(|p| array_element(&rule(p), RULES.depth))
        .collect();
    let results: Result<Vec<String>, serde_json::Error> = report
        .findings
        .par_iter()
        .filter_map(|f| {
            let &rule_index = index.get(&*f.policy.id)?;
            Some(array_element(&result(cx, f, rule_index), RESULTS.depth))
        })
        .collect();
    let (Ok(rules), Ok(results)) = (rules, results) else {
        return String::new();
    };
    let Ok(mut skeleton) = serde_json::to_string_pretty(&document(cx, Vec::new(), Vec::new())) else {
        return String::new();
    };
    skeleton.push('\n');
    splice(&skeleton, &mut [(RESULTS, results), (RULES, rules)]).unwrap_or_else(|| {
        // The document's shape is not the one the splice expects (a new
        // serde-sarif release): serialize it whole, slower but the same.
        let rules = policies.iter().map(|p| rule(p)).collect();
        let results = report
            .findings
            .iter()
            .filter_map(|f| Some(result(cx, f, *index.get(&*f.policy.id)?)))
            .collect();
        let mut whole = serde_json::to_string_pretty(&document(cx, rules, results)).unwrap_or_default();
        whole.push('\n');
        whole
    })
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

/// `skeleton` with the elements of each array filled in where it holds the
/// array empty: the bytes of the document serialized whole. `None` when an
/// array is not where its key and depth say.
fn splice(skeleton: &str, arrays: &mut [(Spliced, Vec<String>)]) -> Option<String> {
    let mut places: Vec<(usize, usize)> = Vec::with_capacity(arrays.len());
    for (i, (array, _)) in arrays.iter().enumerate() {
        // The key at its own depth, at the start of its line: a key inside a
        // string would have its quotes escaped.
        let needle = format!("\n{}\"{}\": []", INDENT.repeat(array.depth - 1), array.key);
        match skeleton.find(&needle) {
            // Just before the closing bracket.
            Some(at) => places.push((at + needle.len() - 1, i)),
            None => return None,
        }
    }
    places.sort_unstable();
    // Each element and its separator, and each array's closing line.
    let size: usize = arrays
        .iter()
        .map(|(array, elements)| elements.iter().map(|e| e.len() + 2).sum::<usize>() + 1 + array.depth * INDENT.len())
        .sum();
    let mut out = String::with_capacity(skeleton.len() + size);
    let mut copied = 0;
    for (at, i) in places {
        let (array, elements) = &mut arrays[i];
        out.push_str(&skeleton[copied..at]);
        copied = at;
        if elements.is_empty() {
            continue;
        }
        for (n, element) in elements.drain(..).enumerate() {
            out.push_str(if n == 0 { "\n" } else { ",\n" });
            out.push_str(&element);
        }
        out.push('\n');
        for _ in 1..array.depth {
            out.push_str(INDENT);
        }
    }
    out.push_str(&skeleton[copied..]);
    Some(out)
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
            let spliced = splice(
                &skeleton,
                &mut [
                    (RULES, rendered(&rules, RULES.depth)),
                    (RESULTS, rendered(&results, RESULTS.depth)),
                ],
            );
            assert_eq!(spliced.as_deref(), Some(whole.as_str()));
        }
        // An array not at the depth its key is expected at: no splice (the
        // caller then serializes the document whole).
        let moved = serde_json::to_string_pretty(&json!({"results": [], "rules": []})).unwrap();
        assert_eq!(splice(&moved, &mut [(RESULTS, vec![]), (RULES, vec![])]), None);
    }
}
