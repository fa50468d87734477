//! Terraform: modules (the `.tf` files of one directory), their evaluation,
//! and the subjects policies see (resources, data sources, providers,
//! variables, outputs, module calls).

pub mod eval;

use std::path::PathBuf;
use std::sync::Arc;

use crate::hcl::{Block, Body, Comment};
use crate::policy::InputKind;
use crate::source::{FileId, SourceMap, Span};
use crate::subject::{Native, Subject, SubjectSet};
use crate::value::{Entry, Str, Unknown, Val, ValKind};

use eval::{Evaluator, Scope};

/// Rust checks for Terraform policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[];

/// One parsed `.tf` (or `.tfvars`) file.
#[derive(Debug)]
pub struct TfFile {
    pub file: FileId,
    pub body: Body,
    pub comments: Vec<Comment>,
}

/// The configuration files of one directory.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<TfFile>,
    /// `terraform.tfvars` and `*.auto.tfvars` of the directory, in load order.
    pub var_files: Vec<TfFile>,
}

/// Options that change values: `--var-file`, `--var`.
#[derive(Debug, Clone, Default)]
pub struct TfOptions {
    /// `NAME=VALUE` pairs given on the command line (strings, as Terraform's `-var`).
    pub vars: Vec<(String, String)>,
}

impl Module {
    pub fn blocks(&self) -> impl Iterator<Item = (&TfFile, &Block)> {
        self.files
            .iter()
            .flat_map(|f| f.body.blocks.iter().map(move |b| (f, b)))
    }
}

/// Evaluate a module and present its blocks as subjects.
pub fn subjects(module: &Module, _sources: &SourceMap, options: &TfOptions) -> SubjectSet {
    let ev = Evaluator::new(module, options);
    let mut subjects = Vec::new();
    for (file, block) in module.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(|l| &**l).collect();
        let (class, kind, address): (&str, &str, String) = match (&*block.ty, labels.as_slice()) {
            ("resource", [ty, name]) => ("resource", ty, format!("{ty}.{name}")),
            ("data", [ty, name]) => ("data", ty, format!("data.{ty}.{name}")),
            ("provider", [name]) => {
                let alias = block
                    .body
                    .attribute("alias")
                    .and_then(|a| ev.eval(&a.value, &Scope::default()).as_str().map(str::to_string));
                let address = match alias {
                    Some(a) => format!("provider.{name}.{a}"),
                    None => format!("provider.{name}"),
                };
                ("provider", name, address)
            }
            ("variable", [name]) => ("variable", name, format!("var.{name}")),
            ("output", [name]) => ("output", name, format!("output.{name}")),
            ("module", [name]) => ("module", name, format!("module.{name}")),
            ("terraform", []) => ("terraform", "terraform", "terraform".to_string()),
            _ => continue,
        };
        // `count = 0` or an empty `for_each` creates nothing.
        if class == "resource" || class == "data" || class == "module" {
            if let Some(count) = block.body.attribute("count") {
                let v = ev.eval(&count.value, &Scope::default());
                if v.as_number() == Some(0.0) {
                    continue;
                }
            }
            if let Some(fe) = block.body.attribute("for_each") {
                let v = ev.eval(&fe.value, &Scope::default());
                let empty = match &v.kind {
                    ValKind::List(items) => items.is_empty(),
                    ValKind::Map(entries) => entries.is_empty(),
                    _ => false,
                };
                if empty {
                    continue;
                }
            }
        }
        let scope = Scope::for_block(block);
        subjects.push(Subject {
            class: class.into(),
            kind: kind.into(),
            address: address.into(),
            instance: None,
            file: file.file,
            header: block.header,
            span: block.span,
            value: body_value(&ev, &block.body, &scope, block.header),
            context: Vec::new(),
        });
    }
    SubjectSet::new(InputKind::Terraform, subjects, Native::None)
}

/// A block body as a map: attributes (evaluated) and nested blocks (a list of
/// maps per block type, each map's span being the block header).
pub fn body_value(ev: &Evaluator, body: &Body, scope: &Scope, header: Span) -> Val {
    let mut entries: Vec<Entry> = Vec::with_capacity(body.attributes.len() + body.blocks.len());
    for a in &body.attributes {
        let mut v = ev.eval(&a.value, scope);
        if v.span.is_none() {
            v.span = Some(a.value.span);
        }
        entries.push(Entry {
            key: a.name.clone(),
            key_span: Some(a.span),
            value: v,
        });
    }
    for b in &body.blocks {
        let (key, value): (Str, Val) = if &*b.ty == "dynamic" {
            // Expanded by the evaluator of the Terraform-evaluation work; until
            // then its content is not known.
            let Some(name) = b.labels.first() else { continue };
            (
                name.clone(),
                Val::unknown(Unknown::Unsupported(Arc::from("a dynamic block")), Some(b.header)),
            )
        } else {
            (b.ty.clone(), body_value(ev, &b.body, scope, b.header))
        };
        match entries.iter_mut().find(|e| e.key == key) {
            Some(e) => {
                if let ValKind::List(items) = &mut e.value.kind {
                    items.push(value);
                }
            }
            None => entries.push(Entry {
                key,
                key_span: Some(b.header),
                value: Val::new(ValKind::List(vec![value]), Some(b.header)),
            }),
        }
    }
    Val::new(ValKind::Map(entries), Some(header))
}
