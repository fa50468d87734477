//! Runs policies over subject sets and turns their outcomes into findings.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::checks::{CheckCx, Hit};
use crate::finding::{Finding, Status};
use crate::policy::condition::{EvalCx, Tri, eval};
use crate::policy::{Policy, Registry, Rule};
use crate::source::{SourceMap, Span};
use crate::subject::SubjectSet;
use crate::value::Str;

/// Evaluate every applicable policy of `registry` on `set`.
pub fn run(registry: &Registry, set: &SubjectSet, sources: &SourceMap) -> Vec<Finding> {
    let Some(input) = set.input else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let selected = registry.selected_in(set);
    for policy in registry.applying_in(input, &selected) {
        let hits = hits_of(policy, set, sources);
        findings.extend(group(policy, hits));
    }
    if !findings.is_empty() {
        let blocks = Blocks::of(set);
        for f in &mut findings {
            f.enclosing = blocks.around(f.primary);
        }
    }
    findings
}

/// How many subjects of `set` each applicable policy with selectors looks at:
/// the denominator of a compliance report ("checked", of which some failed).
pub fn subject_counts(registry: &Registry, set: &SubjectSet) -> Vec<(Str, usize)> {
    let Some(input) = set.input else {
        return Vec::new();
    };
    registry
        .applying_to(input)
        .filter_map(|p| {
            let n: usize = p.selectors.iter().map(|sel| set.count(&sel.class, &sel.kinds)).sum();
            (n > 0).then(|| (p.id.clone(), n))
        })
        .collect()
}

/// The spans of a scope's subjects, to tell which blocks hold a finding. A
/// block runs from its header (a job's key) or its span, whichever is first.
/// Whole-document subjects (the file, a Dockerfile, a workflow: one that
/// holds every other subject of its file) are left out: a comment at the top
/// of a file must not reach everything in it.
struct Blocks {
    spans: Vec<Span>,
}

impl Blocks {
    fn of(set: &SubjectSet) -> Self {
        let mut spans: Vec<Span> = set
            .subjects
            .iter()
            .filter(|s| &*s.class != "file")
            .map(|s| s.header.to(s.span))
            .collect();
        spans.sort();
        spans.dedup();
        // Per file: how many blocks, and the extent of all of them.
        let mut extent: BTreeMap<u32, (usize, u32, u32)> = BTreeMap::new();
        for s in &spans {
            let e = extent.entry(s.file.0).or_insert((0, u32::MAX, 0));
            *e = (e.0 + 1, e.1.min(s.start), e.2.max(s.end));
        }
        spans.retain(|s| {
            let (count, start, end) = extent[&s.file.0];
            count < 2 || !(s.start <= start && s.end >= end)
        });
        Self { spans }
    }

    /// The spans holding `at`, innermost first.
    fn around(&self, at: Span) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .spans
            .iter()
            .filter(|s| s.file == at.file && s.start <= at.start && at.end <= s.end)
            .copied()
            .collect();
        out.sort_by_key(|s| s.end - s.start);
        out
    }
}

/// The raw hits of one policy on one set.
pub fn hits_of(policy: &Policy, set: &SubjectSet, sources: &SourceMap) -> Vec<Hit> {
    let mut hits = Vec::new();
    match &policy.rule {
        Rule::Condition(cond) => {
            for selector in &policy.selectors {
                for subject in set.select(&selector.class, &selector.kinds) {
                    let cx = EvalCx { subject, set };
                    let outcome = eval(cond, &cx, cx.root());
                    if outcome.truth == Tri::False {
                        continue;
                    }
                    let witness = outcome.witness.unwrap_or(crate::policy::condition::Witness {
                        span: subject.header,
                        path: String::new(),
                        value: None,
                        related: vec![],
                    });
                    hits.push(Hit {
                        truth: outcome.truth,
                        address: subject.address.clone(),
                        instance: subject.instance.clone(),
                        witness,
                        context: subject.context.clone(),
                        message: None,
                        sensitive: Vec::new(),
                    });
                }
            }
        }
        Rule::Check { check, args, .. } => {
            if let Some(check) = check {
                let cx = CheckCx {
                    set,
                    policy,
                    args,
                    sources,
                };
                (check.run)(&cx, &mut hits);
            }
        }
    }
    hits
}

fn fill(template: &str, resource: &str, path: &str, value: Option<&str>) -> String {
    template
        .replace("{resource}", resource)
        .replace("{path}", if path.is_empty() { "the configuration" } else { path })
        .replace("{value}", value.unwrap_or("unset"))
}

/// Status (inconclusive or not), primary location, base address, path.
type GroupKey = (u8, u32, u32, u32, String, String);

/// Turn hits into findings, grouping the instances of one `count` /
/// `for_each` resource that fail at the same place into one finding.
fn group(policy: &Arc<Policy>, hits: Vec<Hit>) -> Vec<Finding> {
    // Key: status, primary location, base address, path.
    let mut groups: BTreeMap<GroupKey, Vec<Hit>> = BTreeMap::new();
    for hit in hits {
        let base = match &hit.instance {
            Some(k) => hit.address.strip_suffix(&**k).unwrap_or(&hit.address).to_string(),
            None => hit.address.to_string(),
        };
        let key = (
            (hit.truth == Tri::Unknown) as u8,
            hit.witness.span.file.0,
            hit.witness.span.start,
            hit.witness.span.end,
            base,
            hit.witness.path.clone(),
        );
        groups.entry(key).or_default().push(hit);
    }
    let mut out = Vec::new();
    for ((unknown, _, _, _, base, path), hits) in groups {
        let first = &hits[0];
        let instances: Vec<String> = hits
            .iter()
            .filter_map(|h| h.instance.as_ref().map(|k| k.to_string()))
            .collect();
        let shown = if hits.len() == 1 {
            first.address.to_string()
        } else {
            base.clone()
        };
        let mut message = match &first.message {
            Some(m) => m.clone(),
            None => fill(
                &policy.message,
                &shown,
                &first.witness.path,
                first.witness.value.as_deref(),
            ),
        };
        if hits.len() > 1 && !instances.is_empty() {
            message.push_str(&format!(" (instances {})", instances.join(", ")));
        }
        let mut related = first.witness.related.clone();
        related.extend(first.context.iter().map(|(s, m)| (*s, m.to_string())));
        // Messages are free text built from values: never let a credential
        // through, whichever policy built it.
        let message = crate::secrets::redact_text(&message);
        for (_, m) in &mut related {
            *m = crate::secrets::redact_text(m);
        }
        out.push(Finding {
            policy: policy.clone(),
            severity: policy.severity,
            status: if unknown == 1 {
                Status::Inconclusive
            } else {
                Status::Fail
            },
            message,
            address: base,
            path,
            primary: first.witness.span,
            enclosing: Vec::new(),
            related,
            instances,
            suppression: None,
            sensitive: hits.iter().flat_map(|h| h.sensitive.iter().copied()).collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::subject::{Native, Subject};
    use crate::value::{Val, ValKind};

    fn subject(class: &str, start: usize, end: usize) -> Subject {
        let span = Span::new(FileId(0), start, end);
        Subject {
            class: class.into(),
            kind: class.into(),
            address: class.into(),
            instance: None,
            file: FileId(0),
            header: span,
            span,
            value: Val::new(ValKind::Map(Vec::new().into()), Some(span)),
            context: Vec::new(),
        }
    }

    #[test]
    fn enclosing_blocks_leave_out_whole_documents() {
        let set = SubjectSet::new(
            crate::policy::InputKind::Dockerfile,
            vec![
                subject("dockerfile", 0, 100),
                subject("stage", 10, 100),
                subject("instruction", 10, 20),
                subject("instruction", 30, 60),
            ],
            Native::None,
        );
        let blocks = Blocks::of(&set);
        let at = Span::new(FileId(0), 40, 45);
        assert_eq!(
            blocks.around(at),
            vec![Span::new(FileId(0), 30, 60), Span::new(FileId(0), 10, 100)]
        );
        // A lone subject is a block.
        let set = SubjectSet::new(
            crate::policy::InputKind::Terraform,
            vec![subject("resource", 0, 50)],
            Native::None,
        );
        assert_eq!(Blocks::of(&set).around(at), vec![Span::new(FileId(0), 0, 50)]);
    }
}
