//! GitLab CI: jobs and the checks specific to it.

use crate::checks::{Check, CheckCx, Hit};
use crate::policy::InputKind;
use crate::policy::condition::Tri;
use crate::yaml::{Node, NodeKind};

use super::{ci_file, dedup, hit, truthy};

macro_rules! check {
    ($id:ident, $name:literal, $desc:literal, $f:ident) => {
        pub const $id: Check = Check {
            name: $name,
            input: InputKind::GitlabCi,
            description: $desc,
            run: $f,
        };
    };
}

check!(
    REMOTE_INCLUDE_UNPINNED,
    "gitlab-include-unpinned",
    "An `include:` takes configuration from a URL without `integrity:`, or from another project without a commit SHA `ref`.",
    remote_include_unpinned
);
check!(
    DEBUG_TRACE,
    "gitlab-debug-trace",
    "`CI_DEBUG_TRACE` or `CI_DEBUG_SERVICES` is turned on.",
    debug_trace
);
check!(
    DIND_TLS_DISABLED,
    "gitlab-dind-tls-disabled",
    "Docker-in-Docker is used without TLS (`DOCKER_TLS_CERTDIR: \"\"`, `tcp://…:2375`).",
    dind_tls_disabled
);
check!(
    SECURITY_JOB_ALLOW_FAILURE,
    "gitlab-security-job-allow-failure",
    "A security scanning job is allowed to fail.",
    security_job_allow_failure
);

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
    "types",
];

/// The jobs of a pipeline (hidden `.template` jobs included): (name, job).
pub fn jobs(doc: &Node) -> impl Iterator<Item = (&str, &Node)> {
    doc.pairs().iter().filter_map(|p| {
        let name = p.key.as_str()?;
        (!RESERVED.contains(&name) && p.value.is_map()).then_some((name, &p.value))
    })
}

fn is_sha(r: &str) -> bool {
    r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit())
}

fn remote_include_unpinned(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    for doc in file.docs.iter().filter(|d| d.is_map()) {
        let Some(include) = doc.get("include") else { continue };
        let items: Vec<&Node> = match &include.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![include],
        };
        for item in items {
            if let Some(url) = item.as_str() {
                if url.starts_with("http://") || url.starts_with("https://") {
                    hits.push(hit(
                        Tri::True,
                        "include",
                        item.span,
                        "include",
                        format!("the pipeline includes `{url}` without an `integrity:` hash: whoever controls that server controls this pipeline"),
                    ));
                }
                continue;
            }
            if let Some(remote) = item.get("remote") {
                if item.get("integrity").is_none() {
                    let url = remote.as_str().unwrap_or("a remote file");
                    hits.push(hit(
                        Tri::True,
                        "include",
                        remote.span,
                        "include.remote",
                        format!("the pipeline includes `{url}` without an `integrity:` hash: whoever controls that server controls this pipeline"),
                    ));
                }
                continue;
            }
            if let Some(project) = item.get("project") {
                let name = project.as_str().unwrap_or("another project");
                match item.get("ref") {
                    None => hits.push(hit(
                        Tri::True,
                        "include",
                        project.span,
                        "include.ref",
                        format!("the pipeline includes files of `{name}` at its default branch: every push there changes this pipeline"),
                    )),
                    Some(r) => {
                        let Some(text) = r.as_str() else { continue };
                        if text.contains('$') {
                            hits.push(hit(
                                Tri::Unknown,
                                "include",
                                r.span,
                                "include.ref",
                                format!("the pipeline includes files of `{name}` at `{text}`, which comes from a variable"),
                            ));
                        } else if !is_sha(text.trim()) {
                            hits.push(hit(
                                Tri::True,
                                "include",
                                r.span,
                                "include.ref",
                                format!("the pipeline includes files of `{name}` at `{text}`, a branch or tag that can move; pin a commit SHA"),
                            ));
                        }
                    }
                }
            }
        }
    }
}

fn debug_trace(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    let from = hits.len();
    for var in &file.vars {
        if matches!(&*var.name, "CI_DEBUG_TRACE" | "CI_DEBUG_SERVICES") && truthy(&var.value) {
            push_variable_hit(hits, var, |owner| {
                format!(
                    "{owner} sets {}: every command and variable, secrets included, is printed to the job log",
                    var.name
                )
            });
        }
    }
    dedup(hits, from);
}

fn dind_tls_disabled(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    let from = hits.len();
    for var in &file.vars {
        let Some(value) = var.value.scalar().map(|s| s.text.trim().to_string()) else {
            // `DOCKER_TLS_CERTDIR:` with no value is null: TLS off too
            if &*var.name == "DOCKER_TLS_CERTDIR" && var.value.is_null() {
                push_dind(hits, var, "DOCKER_TLS_CERTDIR is empty");
            }
            continue;
        };
        let off = match &*var.name {
            "DOCKER_TLS_CERTDIR" => value.is_empty(),
            "DOCKER_HOST" => value.starts_with("tcp://") && value.ends_with(":2375"),
            _ => false,
        };
        if off {
            let why = if &*var.name == "DOCKER_HOST" {
                "DOCKER_HOST points at the plain-text port 2375"
            } else {
                "DOCKER_TLS_CERTDIR is empty"
            };
            push_dind(hits, var, why);
        }
    }
    dedup(hits, from);
}

fn push_dind(hits: &mut Vec<Hit>, var: &super::Var, why: &str) {
    push_variable_hit(hits, var, |owner| {
        format!(
            "{owner} talks to the Docker daemon without TLS ({why}): anything on the network can drive the daemon, which is root on its host"
        )
    });
}

/// A finding on a variable, addressed to the job that sets it (or the
/// whole pipeline for top-level `variables:`).
fn push_variable_hit(hits: &mut Vec<Hit>, var: &super::Var, message: impl FnOnce(&str) -> String) {
    let owner = if var.owner.is_empty() {
        "the pipeline".to_string()
    } else {
        var.owner.to_string()
    };
    let message = message(&owner);
    hits.push(hit(
        Tri::True,
        owner,
        var.span,
        &format!("variables.{}", var.name),
        message,
    ));
}

/// Names of GitLab's security templates' jobs and of common scanners.
const SECURITY_WORDS: &[&str] = &[
    "sast",
    "dast",
    "dependency_scanning",
    "dependency-scanning",
    "container_scanning",
    "container-scanning",
    "secret_detection",
    "secret-detection",
    "license_scanning",
    "gemnasium",
    "semgrep",
    "trivy",
    "grype",
    "snyk",
    "gitleaks",
    "trufflehog",
    "checkov",
    "tfsec",
    "kics",
    "bandit",
    "zizmor",
    "palisade",
    "security",
    "vulnerability",
];

fn security_job_allow_failure(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    let Some(doc) = file.root() else { return };
    for (name, job) in jobs(doc) {
        let Some(allow) = job.pair("allow_failure") else {
            continue;
        };
        if !truthy(&allow.value) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let extends = job
            .get("extends")
            .map(|e| e.strings().join(" ").to_ascii_lowercase())
            .unwrap_or_default();
        let is_security = SECURITY_WORDS.iter().any(|w| lower.contains(w) || extends.contains(w));
        if is_security {
            hits.push(hit(
                Tri::True,
                name,
                allow.span,
                "allow_failure",
                format!("{name} is a security scan allowed to fail: the pipeline passes whatever it finds"),
            ));
        }
    }
}
