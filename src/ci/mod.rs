//! CI configuration: GitHub Actions workflows and actions, GitLab CI, Azure
//! Pipelines, CircleCI and Bitbucket Pipelines.
//!
//! Every file is parsed with [`crate::yaml`] and presented twice:
//! - as subjects with values, for policies written in TOML (`workflow`,
//!   `job`, `step` for GitHub; `pipeline` and `job` for the others);
//! - as a [`CiFile`] (the scope's native data) for the Rust checks: the YAML
//!   documents, and the facts every CI system shares, extracted once by one
//!   walker ([`facts`]): shell scripts, container images and variables. The
//!   universal policies (`input = "ci"`) run on those facts, so curl-pipe-shell
//!   or an unpinned image means the same thing on every system.

mod advisories;
mod comment_commands;
pub mod expr;
mod facts;
mod github;
mod gitlab;
mod shell;
mod universal;

use std::sync::Arc;

use crate::checks::Hit;
use crate::discover::FileKind;
use crate::notice::Notice;
use crate::policy::InputKind;
use crate::policy::condition::{Tri, Witness};
use crate::scan::ScanOptions;
use crate::source::{FileId, SourceFile, Span};
use crate::subject::{Native, Subject, SubjectSet};
use crate::value::Str;
use crate::yaml::{self, Node};

pub use facts::{Fact, Var};

/// Rust checks for CI policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[
    github::TEMPLATE_INJECTION,
    github::UNPINNED_USES,
    github::UNPINNED_DOCKER_USES,
    github::PERMISSIONS_WRITE_ALL,
    github::PERMISSIONS_MISSING,
    github::PERMISSIONS_WORKFLOW_WRITE,
    github::UNTRUSTED_CHECKOUT,
    github::SECRETS_INHERIT,
    github::PRIVILEGED_CHECKOUT_PERSISTS_TOKEN,
    github::INSECURE_COMMANDS,
    github::SELF_HOSTED_ON_FORKS,
    github::ARTIPACKED,
    github::ARTIFACT_POISONING,
    github::KNOWN_VULNERABLE_ACTION,
    github::SPOOFABLE_BOT_ACTOR,
    github::COMMENT_COMMAND_UNCHECKED,
    gitlab::REMOTE_INCLUDE_UNPINNED,
    gitlab::DEBUG_TRACE,
    gitlab::DIND_TLS_DISABLED,
    gitlab::SECURITY_JOB_ALLOW_FAILURE,
    universal::PIPE_TO_SHELL,
    universal::TLS_VERIFY_DISABLED,
    universal::UNPINNED_IMAGE,
    universal::HARDCODED_CREDENTIAL,
    universal::UNPINNED_ORB,
];

/// What the Rust checks of a CI scope see.
#[derive(Debug)]
pub struct CiFile {
    pub kind: FileKind,
    /// The display path, for messages about the file as a whole.
    pub display: String,
    pub docs: Vec<Node>,
    /// Shell scripts (`run:`, `script:`, …), each a scalar.
    pub scripts: Vec<Fact>,
    /// Container image references (`image:`, `container:`, `services:`).
    pub images: Vec<Fact>,
    /// Variables and inputs given literal values (`env:`, `variables:`, `with:`).
    pub vars: Vec<Var>,
}

impl CiFile {
    /// The first document (CI files have one).
    pub fn root(&self) -> Option<&Node> {
        self.docs.iter().find(|d| d.is_map())
    }
}

fn input_of(kind: FileKind) -> Option<InputKind> {
    Some(match kind {
        FileKind::GithubWorkflow | FileKind::GithubAction => InputKind::GithubActions,
        FileKind::GitlabCi => InputKind::GitlabCi,
        FileKind::AzurePipelines => InputKind::AzurePipelines,
        FileKind::CircleCi => InputKind::Circleci,
        FileKind::BitbucketPipelines => InputKind::BitbucketPipelines,
        _ => return None,
    })
}

/// Parse one CI file into its scope. `None` when nothing can be scanned.
pub fn load(
    id: FileId,
    kind: FileKind,
    source: &SourceFile,
    options: &ScanOptions,
) -> (Option<SubjectSet>, Vec<Notice>) {
    let display = source.display.clone();
    let Some(input) = input_of(kind) else {
        return (None, Vec::new());
    };
    let stream = match yaml::parse(id, &source.text, options.parse_budget) {
        Ok(s) => s,
        Err(e) => return (None, vec![Notice::error(display, None, e.to_string())]),
    };
    let notices: Vec<Notice> = stream
        .warnings
        .iter()
        .map(|(offset, msg)| Notice::warning(display.clone(), Some(source.position(*offset as u32).line), msg.clone()))
        .collect();
    let docs = stream.docs;
    let mut subjects = Vec::new();
    let mut facts = facts::Facts::default();
    for doc in docs.iter().filter(|d| d.is_map()) {
        facts::collect(kind, doc, &mut facts);
        subjects.extend(subjects_of(kind, id, &display, doc));
    }
    let file = CiFile {
        kind,
        display,
        docs,
        scripts: facts.scripts,
        images: facts.images,
        vars: facts.vars,
    };
    let set = SubjectSet::new(input, subjects, Native::Any(Arc::new(file)));
    (Some(set), notices)
}

fn subject(class: &str, kind: &str, address: String, file: FileId, header: Span, node: &Node) -> Subject {
    Subject {
        class: class.into(),
        kind: kind.into(),
        address: address.into(),
        instance: None,
        file,
        header,
        span: node.span,
        value: node.to_val(),
        context: Vec::new(),
    }
}

/// The subjects TOML policies select.
fn subjects_of(kind: FileKind, file: FileId, display: &str, doc: &Node) -> Vec<Subject> {
    let first_key = doc.pairs().first().map(|p| p.key.span).unwrap_or(doc.span);
    let mut out = Vec::new();
    match kind {
        FileKind::GithubWorkflow => {
            out.push(subject(
                "workflow",
                "workflow",
                display.to_string(),
                file,
                first_key,
                doc,
            ));
            for (job_id, job) in github::jobs(doc) {
                let address = format!("jobs.{}", job_id.as_str().unwrap_or(""));
                let kind = if job.get("uses").is_some() { "reusable" } else { "job" };
                out.push(subject("job", kind, address.clone(), file, job_id.span, job));
                for (i, step) in job.get("steps").map(Node::items).unwrap_or(&[]).iter().enumerate() {
                    let kind = if step.get("uses").is_some() { "uses" } else { "run" };
                    out.push(subject(
                        "step",
                        kind,
                        format!("{address}.steps[{i}]"),
                        file,
                        step.span,
                        step,
                    ));
                }
            }
        }
        FileKind::GithubAction => {
            let using = doc
                .get("runs")
                .and_then(|r| r.get("using"))
                .and_then(Node::as_str)
                .unwrap_or("");
            out.push(subject("action", using, display.to_string(), file, first_key, doc));
            let steps = doc
                .get("runs")
                .and_then(|r| r.get("steps"))
                .map(Node::items)
                .unwrap_or(&[]);
            for (i, step) in steps.iter().enumerate() {
                let kind = if step.get("uses").is_some() { "uses" } else { "run" };
                out.push(subject("step", kind, format!("runs.steps[{i}]"), file, step.span, step));
            }
        }
        FileKind::GitlabCi => {
            out.push(subject(
                "pipeline",
                "gitlab-ci",
                display.to_string(),
                file,
                first_key,
                doc,
            ));
            for (name, job) in gitlab::jobs(doc) {
                let kind = if name.starts_with('.') { "template" } else { "job" };
                out.push(subject("job", kind, name.to_string(), file, job.span, job));
            }
        }
        _ => out.push(subject(
            "pipeline",
            kind.name(),
            display.to_string(),
            file,
            first_key,
            doc,
        )),
    }
    out
}

/// A YAML scalar that CI runners read as "on": `true`, `1`, `yes`, any case.
pub(crate) fn truthy(n: &crate::yaml::Node) -> bool {
    n.scalar()
        .is_some_and(|s| matches!(s.text.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// A finding (or an inconclusive result) of a CI check.
pub(crate) fn hit(truth: Tri, address: impl Into<Str>, span: Span, path: &str, message: String) -> Hit {
    Hit {
        truth,
        address: address.into(),
        instance: None,
        witness: Witness {
            span,
            path: path.to_string(),
            value: None,
            related: Vec::new(),
        },
        context: Vec::new(),
        message: Some(message),
        sensitive: Vec::new(),
    }
}

/// The CI file of a check's scope.
pub(crate) fn ci_file<'a>(cx: &'a crate::checks::CheckCx) -> Option<&'a CiFile> {
    cx.set.native.get::<CiFile>()
}

/// Hits at the same place and with the same message, reached through
/// several paths (an anchor merged into many jobs), are reported once.
pub(crate) fn dedup(hits: &mut Vec<Hit>, from: usize) {
    let mut seen = std::collections::HashSet::new();
    let mut i = from;
    while i < hits.len() {
        let key = (hits[i].witness.span, hits[i].truth == Tri::True);
        if seen.insert(key) {
            i += 1;
        } else {
            hits.remove(i);
        }
    }
}
