//! Subjects: the things policies judge (a Terraform resource instance, a
//! provider block, a Dockerfile instruction, a CI job…), grouped in sets that
//! share a scope (one Terraform module, one file).

use std::sync::Arc;

use foldhash::HashMap;

use crate::policy::InputKind;
use crate::source::{FileId, Span};
use crate::value::{Str, Val};

#[derive(Debug, Clone)]
pub struct Subject {
    /// What sort of thing: `resource`, `data`, `provider`, `variable`,
    /// `output`, `module`, `instruction`, `job`, `step`…
    pub class: Str,
    /// Its type within the class: `aws_s3_bucket`, `aws`, `FROM`…
    pub kind: Str,
    /// Readable unique address: `aws_s3_bucket.logs`, `module.m.aws_s3_bucket.x["a"]`.
    pub address: Str,
    /// Instance key of a `count` / `for_each` instance, as written in the
    /// address (`["logs"]`, `[0]`); findings that differ only by it are grouped.
    pub instance: Option<Str>,
    pub file: FileId,
    /// Where an absence finding points: the block header, the instruction.
    pub header: Span,
    /// The whole subject.
    pub span: Span,
    /// Its content.
    pub value: Val,
    /// Extra locations shown with every finding on this subject, e.g. the
    /// `module` call that instantiated it.
    pub context: Vec<(Span, Str)>,
}

impl Subject {
    /// An empty subject of `class` and `kind` at the start of file 0, for tests.
    #[cfg(test)]
    pub fn bare(class: &str, kind: &str) -> Subject {
        let span = Span::new(FileId(0), 0, 1);
        Subject {
            class: class.into(),
            kind: kind.into(),
            address: format!("{class}.{kind}").into(),
            instance: None,
            file: FileId(0),
            header: span,
            span,
            value: Val::new(crate::value::ValKind::Map(Vec::new().into()), Some(span)),
            context: Vec::new(),
        }
    }

    /// The address without the instance key.
    pub fn base_address(&self) -> &str {
        match &self.instance {
            Some(key) => self.address.strip_suffix(&**key).unwrap_or(&self.address),
            None => &self.address,
        }
    }

    /// Whether the subject is inside the module call at `call`
    /// (`module.app`, `module.app["a"]`), at any depth.
    pub fn is_inside_call(&self, call: &str) -> bool {
        call.starts_with("module.")
            && self
                .address
                .strip_prefix(call)
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

/// Front-end specific data some Rust checks need beyond the value tree
/// (a parsed Dockerfile, a YAML document, a file's text). Each front end
/// stores its own type and its checks downcast it.
#[derive(Clone, Default)]
pub enum Native {
    #[default]
    None,
    Any(Arc<dyn std::any::Any + Send + Sync>),
}

impl Native {
    /// The front end's own data, if it is of type `T`.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        match self {
            Native::Any(a) => a.downcast_ref::<T>(),
            Native::None => None,
        }
    }
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Native::None => f.write_str("None"),
            Native::Any(_) => f.write_str("Any(..)"),
        }
    }
}

/// The subjects of one scope, indexed by class and kind.
#[derive(Debug, Default)]
pub struct SubjectSet {
    pub input: Option<InputKind>,
    pub subjects: Vec<Subject>,
    pub native: Native,
    /// Class, then kind: the subjects' indices. Built once per scope, so
    /// each policy looks only at the kinds it selects.
    index: HashMap<Str, ClassIndex>,
}

#[derive(Debug, Default)]
struct ClassIndex {
    all: Vec<usize>,
    by_kind: HashMap<Str, Vec<usize>>,
}

impl SubjectSet {
    pub fn new(input: InputKind, subjects: Vec<Subject>, native: Native) -> Self {
        let mut index: HashMap<Str, ClassIndex> = HashMap::default();
        for (i, s) in subjects.iter().enumerate() {
            let class = index.entry(s.class.clone()).or_default();
            class.all.push(i);
            class.by_kind.entry(s.kind.clone()).or_default().push(i);
        }
        Self {
            input: Some(input),
            subjects,
            native,
            index,
        }
    }

    /// Subjects of a class, optionally restricted to kinds (empty: all kinds).
    /// Called for every policy on every scope: it allocates nothing.
    pub fn select<'a>(&'a self, class: &str, kinds: &'a [Str]) -> impl Iterator<Item = &'a Subject> + 'a {
        let class = self.index.get(class);
        let all: &[usize] = match class {
            Some(c) if kinds.is_empty() => &c.all,
            _ => &[],
        };
        let of_kinds = kinds.iter().filter_map(move |k| class?.by_kind.get(k)).flatten();
        all.iter().chain(of_kinds).map(move |&i| &self.subjects[i])
    }

    /// Each class of subjects the set holds, with the kinds of that class.
    pub fn classes(&self) -> impl Iterator<Item = (&Str, impl Iterator<Item = &Str>)> {
        self.index.iter().map(|(class, index)| (class, index.by_kind.keys()))
    }

    /// How many subjects [`select`](Self::select) gives, from the index's
    /// lengths, without visiting them.
    pub fn count(&self, class: &str, kinds: &[Str]) -> usize {
        let Some(class) = self.index.get(class) else {
            return 0;
        };
        if kinds.is_empty() {
            class.all.len()
        } else {
            kinds.iter().filter_map(|k| class.by_kind.get(k)).map(Vec::len).sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_the_number_of_subjects_selected() {
        let set = SubjectSet::new(
            InputKind::Terraform,
            vec![
                Subject::bare("resource", "aws_s3_bucket"),
                Subject::bare("resource", "aws_s3_bucket"),
                Subject::bare("resource", "aws_instance"),
                Subject::bare("variable", "name"),
            ],
            Native::None,
        );
        let kinds = |k: &[&str]| -> Vec<Str> { k.iter().map(|&k| k.into()).collect() };
        for (class, kinds) in [
            ("resource", kinds(&[])),
            ("resource", kinds(&["aws_s3_bucket"])),
            ("resource", kinds(&["aws_s3_bucket", "aws_instance", "aws_vpc"])),
            ("resource", kinds(&["aws_vpc"])),
            ("variable", kinds(&[])),
            ("output", kinds(&[])),
            ("output", kinds(&["x"])),
        ] {
            assert_eq!(
                set.count(class, &kinds),
                set.select(class, &kinds).count(),
                "{class} {kinds:?}"
            );
        }
    }
}
