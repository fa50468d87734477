//! Named checks implemented in Rust, for policies whose logic the condition
//! language cannot say. A policy selects one with `match.check = "name"`.
//! Each front end registers its checks in [`CHECKS`].

use crate::policy::condition::{EvalCx, Tri, Witness, witness_for};
use crate::policy::{InputKind, Policy};
use crate::source::{SourceMap, Span};
use crate::subject::{Subject, SubjectSet};
use crate::value::{Str, Val};

/// One result of a check: a failing (or inconclusive) place.
#[derive(Debug, Clone)]
pub struct Hit {
    /// `True`: a finding. `Unknown`: inconclusive.
    pub truth: Tri,
    /// The logical thing at fault (`aws_s3_bucket.logs`, `jobs.build.steps[2]`).
    pub address: Str,
    pub instance: Option<Str>,
    pub witness: Witness,
    /// Extra locations shown with the finding.
    pub context: Vec<(Span, Str)>,
    /// Replaces the policy's message template when set.
    pub message: Option<String>,
    /// Byte ranges whose text must never be shown in full (a secret).
    pub sensitive: Vec<Span>,
}

pub struct CheckCx<'a> {
    pub set: &'a SubjectSet,
    pub policy: &'a Policy,
    pub args: &'a toml::Table,
    pub sources: &'a SourceMap,
}

/// The top-level attribute `name` of `subject`, for [`CheckCx::subject_hit`],
/// when one is to blame: `name` is not empty and the check read its value.
pub fn top_attribute<'a>(
    subject: &'a Subject,
    name: &'a str,
    val: Option<&'a Val>,
) -> Option<(Span, &'a str, Option<&'a Val>)> {
    let val = val.filter(|_| !name.is_empty())?;
    let span = subject
        .value
        .entry(name)
        .and_then(|e| e.key_span)
        .unwrap_or(subject.header);
    Some((span, name, Some(val)))
}

impl CheckCx<'_> {
    /// A hit on a Terraform subject with the check's own message: at the
    /// attribute `(span, path, value)` when one is to blame (a value written
    /// in a module call is shown where it is written), else at the header.
    pub fn subject_hit(
        &self,
        subject: &Subject,
        attribute: Option<(Span, &str, Option<&Val>)>,
        truth: Tri,
        message: String,
    ) -> Hit {
        let witness = match attribute {
            Some((span, path, val)) => {
                let eval_cx = EvalCx { subject, set: self.set };
                witness_for(&eval_cx, span, path, val)
            }
            None => Witness {
                span: subject.header,
                path: String::new(),
                value: None,
                related: vec![],
            },
        };
        Hit {
            truth,
            address: subject.address.clone(),
            instance: subject.instance.clone(),
            witness,
            context: subject.context.clone(),
            message: Some(message),
            sensitive: Vec::new(),
        }
    }
}

pub struct Check {
    pub name: &'static str,
    pub input: InputKind,
    /// One line for the policy-writing docs.
    pub description: &'static str,
    pub run: fn(&CheckCx, &mut Vec<Hit>),
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every registered check: each front end keeps its own list.
pub fn all() -> impl Iterator<Item = &'static Check> {
    [
        crate::terraform::CHECKS,
        crate::docker::CHECKS,
        crate::ci::CHECKS,
        crate::secrets::CHECKS,
    ]
    .into_iter()
    .flatten()
}

pub fn lookup(name: &str) -> Option<&'static Check> {
    all().find(|c| c.name == name)
}

pub fn names() -> Vec<&'static str> {
    all().map(|c| c.name).collect()
}
