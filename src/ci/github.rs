//! GitHub Actions: the checks that need more than the values.

use crate::checks::{Check, CheckCx, Hit};
use crate::discover::FileKind;
use crate::policy::InputKind;
use crate::policy::condition::Tri;
use crate::source::Span;
use crate::value::Str;
use crate::yaml::{Node, NodeKind};

use super::advisories;
use super::expr::{self, CmpOp, Control, Expr};
use super::universal::{Pin, image_pin};
use super::{CiFile, ci_file, dedup, hit, truthy};

macro_rules! check {
    ($id:ident, $name:literal, $desc:literal, $f:ident) => {
        pub const $id: Check = Check {
            name: $name,
            input: InputKind::GithubActions,
            description: $desc,
            run: $f,
        };
    };
}

check!(
    TEMPLATE_INJECTION,
    "gha-template-injection",
    "An attacker-controllable context is expanded with `${{ }}` inside a `run:` script or an `actions/github-script` script.",
    template_injection
);
check!(
    UNPINNED_USES,
    "gha-unpinned-uses",
    "An action is referenced by a tag or branch instead of a full commit SHA; `args.first-party` selects actions published by GitHub (`actions/`, `github/`) or everyone else.",
    unpinned_uses
);
check!(
    UNPINNED_DOCKER_USES,
    "gha-unpinned-docker-uses",
    "A `docker://` action has no tag or the `latest` tag.",
    unpinned_docker_uses
);
check!(
    PERMISSIONS_WRITE_ALL,
    "gha-permissions-write-all",
    "A workflow or job grants `permissions: write-all`.",
    permissions_write_all
);
check!(
    PERMISSIONS_MISSING,
    "gha-permissions-missing",
    "A workflow has no top-level `permissions` and some job sets none either.",
    permissions_missing
);
check!(
    PERMISSIONS_WORKFLOW_WRITE,
    "gha-permissions-workflow-write",
    "A workflow grants a write scope (or `id-token: write`) to every job at the top level.",
    permissions_workflow_write
);
check!(
    UNTRUSTED_CHECKOUT,
    "gha-untrusted-checkout",
    "A `pull_request_target` or `workflow_run` workflow checks out the pull request's code.",
    untrusted_checkout
);
check!(
    SECRETS_INHERIT,
    "gha-secrets-inherit",
    "A reusable workflow call passes every secret with `secrets: inherit`.",
    secrets_inherit
);
check!(
    PRIVILEGED_CHECKOUT_PERSISTS_TOKEN,
    "gha-privileged-checkout-persists-token",
    "`actions/checkout` without `persist-credentials: false` in a `pull_request_target` workflow (checkouts a workspace upload follows are `gha-artipacked`'s).",
    privileged_checkout_persists_token
);
check!(
    INSECURE_COMMANDS,
    "gha-insecure-commands",
    "`ACTIONS_ALLOW_UNSECURE_COMMANDS` re-enables the `set-env` and `add-path` workflow commands.",
    insecure_commands
);
check!(
    SELF_HOSTED_ON_FORKS,
    "gha-self-hosted-on-forks",
    "A job runs on a self-hosted runner in a workflow that pull requests from forks or outside users can trigger.",
    self_hosted_on_forks
);
check!(
    ARTIPACKED,
    "gha-artipacked",
    "`actions/checkout` persists the token in `.git/config` in a job that uploads the workspace as an artifact.",
    artipacked
);
check!(
    KNOWN_VULNERABLE_ACTION,
    "gha-known-vulnerable-action",
    "An action is used at a version that a published security advisory covers (an embedded list; tags that follow a release line are judged by that line).",
    known_vulnerable_action
);
check!(
    SPOOFABLE_BOT_ACTOR,
    "gha-spoofable-bot-actor",
    "A `pull_request_target` or `workflow_run` job or step condition trusts a bot by `github.actor` (or `triggering_actor`, `event.sender.login`) without checking the pull request's author.",
    spoofable_bot_actor
);
check!(
    COMMENT_COMMAND_UNCHECKED,
    "gha-comment-command-unchecked",
    "A job or step of a workflow that comments trigger (`issue_comment`, `pull_request_review_comment`, `discussion_comment`, `pull_request_review`) runs on a command in the comment's text while nothing checks who wrote it: no `author_association` or login test in its condition or its job's, no permission check before it.",
    comment_command_unchecked
);
check!(
    ARTIFACT_POISONING,
    "gha-workflow-run-artifact-poisoning",
    "A `workflow_run` workflow downloads the triggering run's artifacts into the workspace.",
    artifact_poisoning
);

/// The jobs of a workflow: (id node, job).
pub fn jobs(doc: &Node) -> impl Iterator<Item = (&Node, &Node)> {
    doc.get("jobs")
        .map(Node::pairs)
        .unwrap_or(&[])
        .iter()
        .filter(|p| p.value.is_map())
        .map(|p| (&p.key, &p.value))
}

/// Every step of a workflow or composite action: (address, step, job).
fn steps<'a>(file: &'a CiFile, doc: &'a Node) -> Vec<(String, &'a Node, Option<&'a Node>)> {
    let mut out = Vec::new();
    if file.kind == FileKind::GithubAction {
        for (i, s) in doc
            .get("runs")
            .and_then(|r| r.get("steps"))
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            out.push((format!("runs.steps[{i}]"), s, None));
        }
        return out;
    }
    for (id, job) in jobs(doc) {
        let jid = id.key_text();
        for (i, s) in job.get("steps").map(Node::items).unwrap_or(&[]).iter().enumerate() {
            out.push((format!("jobs.{jid}.steps[{i}]"), s, Some(job)));
        }
    }
    out
}

fn docs<'a>(cx: &'a CheckCx) -> Option<(&'a CiFile, &'a Node)> {
    let file = ci_file(cx)?;
    Some((file, file.root()?))
}

/// The events that trigger a workflow.
pub fn triggers(doc: &Node) -> Vec<String> {
    let Some(on) = doc.get("on") else { return Vec::new() };
    match &on.kind {
        crate::yaml::NodeKind::Map(pairs) => pairs.iter().map(|p| p.key.key_text().to_string()).collect(),
        _ => on.strings().into_iter().map(str::to_string).collect(),
    }
}

/// The `uses:` of a step, lower-cased (empty when it has none): what it is
/// compared with (`actions/checkout@`).
fn step_uses(step: &Node) -> String {
    step.get("uses")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `owner/repo[/path]@ref` of a `uses:`.
fn action_of(uses: &str) -> Option<(&str, &str)> {
    if uses.starts_with("./") || uses.starts_with("docker://") {
        return None;
    }
    uses.rsplit_once('@')
}

fn is_full_sha(r: &str) -> bool {
    r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit())
}

fn first_party(action: &str) -> bool {
    let owner = action.split('/').next().unwrap_or("").to_ascii_lowercase();
    matches!(owner.as_str(), "actions" | "github")
}

// ---------------------------------------------------------------- injection

/// Where a step's text is evaluated as code.
fn sinks(step: &Node) -> Vec<(&Node, &'static str)> {
    let mut out = Vec::new();
    if let Some(run) = step.get("run").filter(|r| r.scalar().is_some()) {
        out.push((run, "`run:`"));
    }
    if let Some(uses) = step.get("uses").and_then(Node::as_str)
        && uses.to_ascii_lowercase().starts_with("actions/github-script@")
        && let Some(script) = step
            .get("with")
            .and_then(|w| w.get("script"))
            .filter(|s| s.scalar().is_some())
    {
        out.push((script, "github-script"));
    }
    out
}

/// The attacker context, if any, that the expressions in a text expand.
fn attacker_flow(text: &str) -> Option<String> {
    expr::expressions(text)
        .into_iter()
        .flat_map(|(_, body)| expr::flows(body).unwrap_or_default())
        .find(|path| expr::control(path) == Control::Attacker)
}

/// Look `env.NAME` up through step, job and workflow `env:`; the attacker
/// context its value expands, if any.
fn env_source(name: &str, step: &Node, job: Option<&Node>, doc: &Node) -> Option<String> {
    let scopes = [Some(step), job, Some(doc)];
    for scope in scopes.into_iter().flatten() {
        let Some(env) = scope.get("env") else { continue };
        let Some(value) = env
            .pairs()
            .iter()
            .find(|p| p.key.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
        else {
            continue;
        };
        return attacker_flow(value.value.as_str()?);
    }
    None
}

/// Every scalar under a node.
fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    match &node.kind {
        NodeKind::Scalar(s) => out.push(&s.text),
        NodeKind::Seq(items) => items.iter().for_each(|i| scalars(i, out)),
        NodeKind::Map(pairs) => pairs.iter().for_each(|p| scalars(&p.value, out)),
        _ => {}
    }
}

/// Look `matrix.NAME` (or the whole `matrix` when `name` is `None`) up in
/// the job's `strategy.matrix`; the attacker context its values expand, if
/// any (`label: ${{ fromJSON(github.event.issue.body) }}`). Literal values
/// are the workflow author's.
fn matrix_source(name: Option<&str>, job: Option<&Node>) -> Option<String> {
    let matrix = job?.get("strategy")?.get("matrix")?;
    let mut texts = Vec::new();
    match name {
        Some(name) if matrix.is_map() => {
            for pair in matrix.pairs() {
                let key = pair.key.as_str().unwrap_or("");
                if key.eq_ignore_ascii_case(name) {
                    scalars(&pair.value, &mut texts);
                } else if key == "include" {
                    match &pair.value.kind {
                        NodeKind::Seq(items) => {
                            for item in items {
                                match item
                                    .pairs()
                                    .iter()
                                    .find(|p| p.key.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
                                {
                                    Some(p) => scalars(&p.value, &mut texts),
                                    None => texts.extend(item.as_str()),
                                }
                            }
                        }
                        _ => scalars(&pair.value, &mut texts),
                    }
                }
            }
        }
        // the whole matrix, or a matrix computed by one expression, which
        // feeds every entry
        _ => scalars(matrix, &mut texts),
    }
    texts.into_iter().find_map(attacker_flow)
}

fn template_injection(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    let from = hits.len();
    for (address, step, job) in steps(file, doc) {
        for (sink, what) in sinks(step) {
            let Some(scalar) = sink.scalar() else { continue };
            for (range, body) in expr::expressions(&scalar.text) {
                let Some(paths) = expr::flows(body) else { continue };
                let span = scalar.source_span(range.clone());
                let shown = scalar.text[range].trim().to_string();
                let mut worst: Option<(Control, String)> = None;
                for path in paths {
                    let mut control = expr::control(&path);
                    let mut via = path.clone();
                    let source = if let Some(var) = path.strip_prefix("env.") {
                        env_source(var, step, job, doc)
                    } else if path == "matrix" {
                        matrix_source(None, job)
                    } else if let Some(entry) = path.strip_prefix("matrix.") {
                        matrix_source(entry.split('.').next(), job)
                    } else {
                        None
                    };
                    if let Some(source) = source {
                        control = Control::Attacker;
                        via = format!("{path} (set from {source})");
                    }
                    let rank = |c: Control| match c {
                        Control::Attacker => 2,
                        Control::Unknown => 1,
                        Control::Safe => 0,
                    };
                    if rank(control) > worst.as_ref().map(|w| rank(w.0)).unwrap_or(0) {
                        worst = Some((control, via));
                    }
                }
                match worst {
                    Some((Control::Attacker, via)) => hits.push(hit(
                        Tri::True,
                        address.clone(),
                        span,
                        "",
                        format!(
                            "{address} expands `{shown}` into its {what} script: {via} is chosen by whoever opens the issue, comment or pull request, and can inject commands"
                        ),
                    )),
                    Some((Control::Unknown, via)) => hits.push(hit(
                        Tri::Unknown,
                        address.clone(),
                        span,
                        "",
                        format!("{address} expands `{shown}` into its {what} script; who controls {via} is not known"),
                    )),
                    _ => {}
                }
            }
        }
    }
    dedup(hits, from);
}

// ---------------------------------------------------------------- pinning

/// Every `uses:` of steps and of jobs calling reusable workflows: (address, node).
fn uses_nodes<'a>(file: &'a CiFile, doc: &'a Node) -> Vec<(String, &'a Node)> {
    let mut uses: Vec<(String, &Node)> = steps(file, doc)
        .into_iter()
        .filter_map(|(a, s, _)| s.get("uses").map(|u| (a, u)))
        .collect();
    for (id, job) in jobs(doc) {
        if let Some(u) = job.get("uses") {
            uses.push((format!("jobs.{}", id.key_text()), u));
        }
    }
    uses
}

fn unpinned_uses(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    let want_first_party = cx.args.get("first-party").and_then(|v| v.as_bool()).unwrap_or(false);
    for (address, node) in uses_nodes(file, doc) {
        let Some(text) = node.as_str() else { continue };
        let Some((action, reference)) = action_of(text.trim()) else {
            continue;
        };
        if first_party(action) != want_first_party || is_full_sha(reference) {
            continue;
        }
        if reference.contains("${{") {
            continue;
        }
        hits.push(hit(
            Tri::True,
            address.clone(),
            node.span,
            "uses",
            format!(
                "{address} uses `{action}@{reference}`: a tag or branch can be moved to different code; pin a full commit SHA"
            ),
        ));
    }
}

fn known_vulnerable_action(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    for (address, node) in uses_nodes(file, doc) {
        let Some((action, reference)) = node.as_str().and_then(|t| action_of(t.trim())) else {
            continue;
        };
        let Some((advisory, truth)) = advisories::matching(action, reference) else {
            continue;
        };
        let (id, cve, impact, upgrade) = (advisory.id, advisory.cve, advisory.impact, advisory.upgrade_to);
        let message = if truth == Tri::True {
            format!(
                "{address} uses `{action}@{reference}`, a version covered by {id} ({cve}): {impact}; use {upgrade} or later, pinned by commit SHA"
            )
        } else {
            format!(
                "{address} uses `{action}@{reference}`, a tag that follows releases up to and past those covered by {id} ({cve}); which one it names now is not known here"
            )
        };
        hits.push(hit(truth, address.clone(), node.span, "uses", message));
    }
}

fn unpinned_docker_uses(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    let mut refs: Vec<(String, &Node)> = steps(file, doc)
        .into_iter()
        .filter_map(|(a, s, _)| s.get("uses").map(|u| (a, u)))
        .collect();
    if file.kind == FileKind::GithubAction
        && let Some(image) = doc.get("runs").and_then(|r| r.get("image"))
    {
        refs.push(("runs".into(), image));
    }
    for (address, node) in refs {
        let Some(image) = node.as_str().and_then(|s| s.trim().strip_prefix("docker://")) else {
            continue;
        };
        if image_pin(image) == Pin::Floating {
            hits.push(hit(
                Tri::True,
                address.clone(),
                node.span,
                "uses",
                format!(
                    "{address} runs the container `{image}` without a version: each run may pull a different image"
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------- permissions

fn permissions_write_all(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((_, doc)) = docs(cx) else { return };
    let mut places: Vec<(String, &Node)> = Vec::new();
    if let Some(p) = doc.get("permissions") {
        places.push(("workflow".into(), p));
    }
    for (id, job) in jobs(doc) {
        if let Some(p) = job.get("permissions") {
            places.push((format!("jobs.{}", id.key_text()), p));
        }
    }
    for (address, p) in places {
        if p.as_str().map(str::trim) == Some("write-all") {
            hits.push(hit(
                Tri::True,
                address.clone(),
                p.span,
                "permissions",
                format!("{address} grants `permissions: write-all`: the token can push code, publish releases and change settings"),
            ));
        }
    }
}

fn permissions_missing(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    if file.kind != FileKind::GithubWorkflow || doc.get("permissions").is_some() {
        return;
    }
    // Reusable-workflow calls take the caller's permissions.
    let open: Vec<&Node> = jobs(doc)
        .filter(|(_, j)| j.get("permissions").is_none() && j.get("uses").is_none())
        .map(|(id, _)| id)
        .collect();
    if open.is_empty() {
        return;
    }
    let names: Vec<String> = open.iter().map(|n| n.key_text().to_string()).collect();
    let anchor = doc.pair("on").map(|p| p.key.span).unwrap_or(open[0].span);
    hits.push(hit(
        Tri::True,
        "workflow",
        anchor,
        "permissions",
        format!(
            "the workflow sets no `permissions`, so job(s) {} run with the repository's default token permissions, which may include write access",
            names.join(", ")
        ),
    ));
}

/// Scopes whose write access at workflow level every job inherits.
/// `args.pull-request-target`: `true` keeps `contents` and `pull-requests` in
/// a `pull_request_target` workflow, `false` the others; absent, all.
fn permissions_workflow_write(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((_, doc)) = docs(cx) else { return };
    let Some(perms) = doc.get("permissions") else { return };
    let want = cx.args.get("pull-request-target").and_then(|v| v.as_bool());
    let prt = triggers(doc).iter().any(|t| t == "pull_request_target");
    for p in perms.pairs() {
        let scope = p.key.key_text();
        if p.value.as_str().map(str::trim) != Some("write") {
            continue;
        }
        let privileged = prt && matches!(&*scope, "contents" | "pull-requests");
        if want.is_some_and(|w| w != privileged) {
            continue;
        }
        let message = if privileged {
            format!(
                "the `pull_request_target` workflow grants `{scope}: write` to every job, including those that handle the pull request's content; grant it only to the job that needs it"
            )
        } else {
            format!("the workflow grants `{scope}: write` to every job; grant it only to the job that needs it")
        };
        hits.push(hit(
            Tri::True,
            "workflow",
            p.span,
            &format!("permissions.{scope}"),
            message,
        ));
    }
}

// ---------------------------------------------------------------- triggers

/// Expressions that name the pull request's head (the untrusted code).
fn names_pr_head(text: &str) -> bool {
    let t = text.to_ascii_lowercase().replace(' ', "");
    [
        "github.event.pull_request.head.sha",
        "github.event.pull_request.head.ref",
        "github.head_ref",
        "github.event.workflow_run.head_sha",
        "github.event.workflow_run.head_branch",
        "github.event.workflow_run.head_commit.id",
        "github.event.pull_request.merge_commit_sha",
        "refs/pull/",
    ]
    .iter()
    .any(|p| t.contains(p))
}

/// A job condition that keeps forks out (same-repository pull requests only).
fn same_repo_guard(job: &Node) -> bool {
    let Some(cond) = job.get("if").and_then(Node::as_str) else {
        return false;
    };
    let c = cond.to_ascii_lowercase().replace(' ', "");
    c.contains("head.repo.full_name==github.repository")
        || c.contains("github.repository==github.event.pull_request.head.repo.full_name")
        || c.contains("head.repo.fork==false")
        || c.contains("!github.event.pull_request.head.repo.fork")
        || c.contains("head_repository.full_name==github.repository")
}

fn untrusted_checkout(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    let t = triggers(doc);
    // issue_comment too: a comment on a fork's pull request runs the base
    // repository's workflow, with its secrets and token
    let Some(trigger) = ["pull_request_target", "workflow_run", "issue_comment"]
        .into_iter()
        .find(|p| t.iter().any(|e| e == p))
    else {
        return;
    };
    for (address, step, job) in steps(file, doc) {
        if job.is_some_and(same_repo_guard) {
            continue;
        }
        let uses = step_uses(step);
        let mut at: Option<Span> = None;
        if uses.starts_with("actions/checkout@") {
            if let Some(r) = step.get("with").and_then(|w| w.get("ref"))
                && r.as_str().is_some_and(names_pr_head)
            {
                at = Some(r.span);
            }
            if let Some(r) = step.get("with").and_then(|w| w.get("repository"))
                && r.as_str()
                    .is_some_and(|s| s.contains("head.repo.full_name") || s.contains("head_repository.full_name"))
            {
                at = Some(r.span);
            }
        } else if let Some(run) = step.get("run").and_then(Node::scalar) {
            let text = run.text.as_str();
            let fetches = text.lines().any(|l| {
                let l = l.trim();
                !l.starts_with('#')
                    && (l.contains("gh pr checkout")
                        || ((l.contains("git fetch") || l.contains("git checkout") || l.contains("git pull"))
                            && names_pr_head(l)))
            });
            if fetches {
                at = Some(run.span);
            }
        }
        if let Some(span) = at {
            hits.push(hit(
                Tri::True,
                address.clone(),
                span,
                "with.ref",
                format!(
                    "{address} checks out the pull request's code in a `{trigger}` workflow, which runs with the base repository's secrets and a write token: code from a fork can steal them"
                ),
            ));
        }
    }
}

/// `args.callee`: `"external"` keeps the calls of another repository's
/// workflow (`owner/repo/.github/workflows/x.yml@ref`), `"local"` the others
/// (`uses: ./…`, or a reference of neither form); absent, both.
fn secrets_inherit(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((_, doc)) = docs(cx) else { return };
    let want = cx.args.get("callee").and_then(|v| v.as_str());
    for (id, job) in jobs(doc) {
        if let Some(s) = job.get("secrets")
            && s.as_str().map(str::trim) == Some("inherit")
        {
            let uses = job.get("uses").and_then(Node::as_str);
            let external = uses.is_some_and(|u| !u.trim_start().starts_with("./") && u.contains('@'));
            match want {
                Some("local") if external => continue,
                Some("external") if !external => continue,
                _ => {}
            }
            let address = format!("jobs.{}", id.key_text());
            let callee = uses.unwrap_or("a reusable workflow");
            let whose = if external {
                ", a workflow of another repository,"
            } else {
                ""
            };
            hits.push(hit(
                Tri::True,
                address.clone(),
                s.span,
                "secrets",
                format!("{address} passes every secret of the repository to `{callee}`{whose} with `secrets: inherit`"),
            ));
        }
    }
}

/// Checkouts that leave the token in `.git/config` in a workflow that a
/// fork's pull request starts with the base repository's token and secrets.
fn privileged_checkout_persists_token(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((_, doc)) = docs(cx) else { return };
    if !triggers(doc).iter().any(|t| t == "pull_request_target") {
        return;
    }
    for (id, job) in jobs(doc) {
        let steps = job.get("steps").map(Node::items).unwrap_or(&[]);
        // the checkouts a workspace upload follows are GH0012's
        let upload = steps.iter().position(uploads_workspace);
        for (i, step) in steps.iter().enumerate() {
            if upload.is_some_and(|u| i < u) {
                continue;
            }
            let uses = step_uses(step);
            if !uses.starts_with("actions/checkout@") {
                continue;
            }
            let persist = step.get("with").and_then(|w| w.get("persist-credentials"));
            let truth = match persist.map(|p| p.as_str().map(str::trim)) {
                None => Tri::True,
                Some(Some(v)) if v.eq_ignore_ascii_case("false") => continue,
                Some(Some(v)) if v.contains("${{") => Tri::Unknown,
                Some(_) => Tri::True,
            };
            let address = format!("jobs.{}.steps[{i}]", id.key_text());
            let span = persist
                .or_else(|| step.get("uses"))
                .map(|n| n.span)
                .unwrap_or(step.span);
            hits.push(hit(
                truth,
                address.clone(),
                span,
                "with.persist-credentials",
                format!(
                    "{address} leaves the token of this `pull_request_target` run in .git/config, where every later step of the job can read it"
                ),
            ));
        }
    }
}

fn insecure_commands(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    for var in &file.vars {
        if &*var.name != "ACTIONS_ALLOW_UNSECURE_COMMANDS" {
            continue;
        }
        if truthy(&var.value) {
            let owner = if var.owner.is_empty() {
                Str::from("workflow")
            } else {
                var.owner.clone()
            };
            hits.push(hit(
                Tri::True,
                owner.clone(),
                var.span,
                "env.ACTIONS_ALLOW_UNSECURE_COMMANDS",
                format!(
                    "{owner} sets ACTIONS_ALLOW_UNSECURE_COMMANDS, so any output line can set environment variables and PATH (`::set-env`), which log-injection turns into code execution"
                ),
            ));
        }
    }
}

/// Events that people outside the repository can cause.
const FORK_TRIGGERS: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
    "fork",
    "watch",
];

fn self_hosted_on_forks(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((_, doc)) = docs(cx) else { return };
    let t = triggers(doc);
    let Some(trigger) = t.iter().find(|e| FORK_TRIGGERS.contains(&e.as_str())) else {
        return;
    };
    for (id, job) in jobs(doc) {
        let Some(runs_on) = job.get("runs-on") else { continue };
        let labels = runs_on.get("labels").unwrap_or(runs_on);
        let self_hosted = match &labels.kind {
            crate::yaml::NodeKind::Seq(items) => items.iter().find(|l| is_self_hosted(l)),
            _ => Some(labels).filter(|l| is_self_hosted(l)),
        };
        if let Some(label) = self_hosted {
            let address = format!("jobs.{}", id.key_text());
            hits.push(hit(
                Tri::True,
                address.clone(),
                label.span,
                "runs-on",
                format!(
                    "{address} runs on a self-hosted runner in a workflow triggered by `{trigger}`: outside contributors can run code on that machine and persist on it"
                ),
            ));
        }
    }
}

fn is_self_hosted(label: &Node) -> bool {
    label
        .as_str()
        .is_some_and(|l| l.trim().eq_ignore_ascii_case("self-hosted"))
}

/// `upload-artifact` paths that take the whole checkout (and its `.git`).
fn uploads_workspace(step: &Node) -> bool {
    let uses = step_uses(step);
    if !uses.starts_with("actions/upload-artifact@") {
        return false;
    }
    let Some(path) = step.get("with").and_then(|w| w.get("path")).and_then(Node::as_str) else {
        return false;
    };
    path.lines().map(str::trim).any(|p| {
        matches!(
            p,
            "." | "./" | "*" | "**" | "./*" | "./**" | "${{ github.workspace }}" | "${{github.workspace}}"
        ) || p.contains(".git/")
            || p.ends_with(".git")
    })
}

fn artipacked(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((_, doc)) = docs(cx) else { return };
    for (id, job) in jobs(doc) {
        let steps = job.get("steps").map(Node::items).unwrap_or(&[]);
        let Some(upload) = steps.iter().position(uploads_workspace) else {
            continue;
        };
        for (i, step) in steps[..upload].iter().enumerate() {
            let uses = step_uses(step);
            if !uses.starts_with("actions/checkout@") {
                continue;
            }
            let persist = step
                .get("with")
                .and_then(|w| w.get("persist-credentials"))
                .and_then(Node::as_str);
            if persist.map(|p| p.trim().eq_ignore_ascii_case("false")).unwrap_or(false) {
                continue;
            }
            let address = format!("jobs.{}.steps[{i}]", id.key_text());
            let span = step.get("uses").map(|u| u.span).unwrap_or(step.span);
            hits.push(hit(
                Tri::True,
                address.clone(),
                span,
                "with.persist-credentials",
                format!(
                    "{address} leaves the job's token in .git/config, and steps[{upload}] uploads the workspace as an artifact that anyone with read access can download"
                ),
            ));
        }
    }
}

/// `actor == '…[bot]'` (either order) or `contains`/`endsWith(actor, '[bot]')`
/// in a condition with its spaces removed and lower-cased.
static BOT_ACTOR_TEST: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    let actor = r"github\.(?:actor|triggering_actor|event\.sender\.login)";
    regex::Regex::new(&format!(
        r"{actor}=='[^']*\[bot\]'|'[^']*\[bot\]'=={actor}|(?:contains|endswith)\({actor},'[^']*\[bot\]'\)"
    ))
    .expect("valid regex")
});

fn spoofable_bot_actor(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    let t = triggers(doc);
    let Some(trigger) = ["pull_request_target", "workflow_run"]
        .into_iter()
        .find(|p| t.iter().any(|e| e == p))
    else {
        return;
    };
    let mut conditions: Vec<(String, &Node)> = jobs(doc)
        .filter_map(|(id, job)| job.get("if").map(|c| (format!("jobs.{}", id.key_text()), c)))
        .collect();
    conditions.extend(
        steps(file, doc)
            .into_iter()
            .filter_map(|(a, s, _)| s.get("if").map(|c| (a, c))),
    );
    for (address, cond) in conditions {
        let Some(text) = cond.as_str() else { continue };
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        // the author of the pull request is what a bot's own pull request carries
        if !BOT_ACTOR_TEST.is_match(&compact) || compact.contains("github.event.pull_request.user.login") {
            continue;
        }
        // with another way in (`a || actor == 'x[bot]'`), what passing the
        // check adds depends on the other branch
        let (truth, message) = if compact.contains("||") {
            (
                Tri::Unknown,
                format!(
                    "{address} lets a bot in by checking who triggered the `{trigger}` event, beside other conditions; whether that admits more than they do is not known"
                ),
            )
        } else {
            (
                Tri::True,
                format!(
                    "{address} runs for a bot by checking who triggered the `{trigger}` event, not who wrote the pull request: an attacker can get the bot to act on their own pull request and pass the check"
                ),
            )
        };
        hits.push(hit(truth, address.clone(), cond.span, "if", message));
    }
}

fn artifact_poisoning(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    if !triggers(doc).iter().any(|e| e == "workflow_run") {
        return;
    }
    for (address, step, _) in steps(file, doc) {
        let uses = step_uses(step);
        let with = step.get("with");
        let from_trigger = if uses.starts_with("dawidd6/action-download-artifact@") {
            true
        } else if uses.starts_with("actions/download-artifact@") {
            with.and_then(|w| w.get("run-id"))
                .and_then(Node::as_str)
                .is_some_and(|r| r.contains("workflow_run"))
        } else {
            false
        };
        if !from_trigger {
            continue;
        }
        // Extracted outside the workspace, the files cannot replace code.
        let path = with.and_then(|w| w.get("path")).and_then(Node::as_str).unwrap_or("");
        if path.contains("runner.temp") || path.starts_with("/tmp") {
            continue;
        }
        hits.push(hit(
            Tri::True,
            address.clone(),
            step.get("uses").map(|u| u.span).unwrap_or(step.span),
            "uses",
            format!(
                "{address} extracts artifacts of the triggering run, which a fork's pull request can fill, into the workspace of a privileged `workflow_run` job"
            ),
        ));
    }
}

// ---------------------------------------------------------------- comment commands

/// Events that anyone who can comment on (or review) a public repository's
/// issues, pull requests or discussions causes.
const COMMENT_EVENTS: &[&str] = &[
    "issue_comment",
    "pull_request_review_comment",
    "discussion_comment",
    "pull_request_review",
];

/// Other events outsiders cause that run with the repository's secrets: a job
/// they can start this way is open to them whatever a comment says.
const OUTSIDER_EVENTS: &[&str] = &["pull_request_target", "issues", "discussion"];

/// What a commenter may be, as `author_association` says: anyone at all, and
/// (last) someone who once had a commit merged, whose trust is the project's call.
const OUTSIDER_ASSOCIATIONS: &[&str] = &["NONE", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR"];
const PAST_CONTRIBUTOR: &str = "CONTRIBUTOR";

/// The text of a comment or review: what a command is read from.
fn is_comment_text(path: &str) -> bool {
    matches!(path, "github.event.comment.body" | "github.event.review.body")
}

/// A value of an `if:` as an outsider who comments sees it.
#[derive(Debug, Clone, PartialEq)]
enum Av {
    Bool(bool),
    Str(String),
    Num(f64),
    Null,
    List(Vec<Av>),
    /// An object or anything else that is truthy and equals no literal.
    Obj,
    /// The commenter's login or id: they cannot take a name someone else has.
    Login,
    /// The comment's (or review's) text.
    Body,
    /// What the commenter picks by choosing the issue, pull request or
    /// discussion to comment on (or opening their own).
    Chosen,
    /// The repository's own name or owner, which a condition names to keep
    /// forks from running the job.
    Repo,
    Unknown,
}

/// A free choice of the commenter: a test of what they write or pick.
struct Atom {
    key: String,
    /// A test of the comment's text: a command.
    command: bool,
    /// The literal the text is compared with (`/deploy`).
    literal: Option<String>,
}

/// One evaluation of a condition for an outsider's comment: the event, their
/// association, and the truth of each atom (bit i of `mask`).
struct Attack<'a> {
    event: &'a str,
    assoc: &'a str,
    mask: u32,
    atoms: Vec<Atom>,
}

/// At most this many independent choices are tried (2^n evaluations), on
/// conditions of at most this many nodes.
const MAX_ATOMS: usize = 12;
const MAX_CONDITION_SIZE: usize = 2000;
/// Node evaluations allowed for one file; past them, conditions are not judged.
const FILE_BUDGET: usize = 50_000_000;

fn loginish(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn as_number(v: &Av) -> f64 {
    match v {
        Av::Num(n) => *n,
        Av::Bool(b) => f64::from(u8::from(*b)),
        Av::Null => 0.0,
        Av::Str(s) if s.trim().is_empty() => 0.0,
        Av::Str(s) => parse_number(s.trim()),
        _ => f64::NAN,
    }
}

fn parse_number(s: &str) -> f64 {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).map(|n| n as f64).unwrap_or(f64::NAN);
    }
    s.parse().unwrap_or(f64::NAN)
}

fn from_json(v: &serde_json::Value) -> Av {
    match v {
        serde_json::Value::Null => Av::Null,
        serde_json::Value::Bool(b) => Av::Bool(*b),
        serde_json::Value::Number(n) => Av::Num(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Av::Str(s.clone()),
        serde_json::Value::Array(items) => Av::List(items.iter().map(from_json).collect()),
        serde_json::Value::Object(_) => Av::Obj,
    }
}

fn text_of(v: &Av) -> Option<String> {
    match v {
        Av::Str(s) => Some(s.clone()),
        Av::Num(n) => Some(n.to_string()),
        Av::Bool(b) => Some(b.to_string()),
        Av::Null => Some(String::new()),
        _ => None,
    }
}

impl Attack<'_> {
    fn atom(&mut self, key: String, command: bool, literal: Option<String>) -> Av {
        let i = match self.atoms.iter().position(|a| a.key == key) {
            Some(i) => i,
            None => {
                self.atoms.push(Atom { key, command, literal });
                self.atoms.len() - 1
            }
        };
        if i >= MAX_ATOMS {
            return Av::Unknown;
        }
        Av::Bool(self.mask >> i & 1 == 1)
    }

    fn truth(v: &Av) -> Tri {
        match v {
            Av::Bool(b) => Tri::from_bool(*b),
            Av::Str(s) => Tri::from_bool(!s.is_empty()),
            Av::Num(n) => Tri::from_bool(*n != 0.0 && !n.is_nan()),
            Av::Null => Tri::False,
            Av::List(_) | Av::Obj | Av::Login | Av::Body | Av::Repo => Tri::True,
            Av::Chosen | Av::Unknown => Tri::Unknown,
        }
    }

    fn tri(t: Tri) -> Av {
        match t {
            Tri::True => Av::Bool(true),
            Tri::False => Av::Bool(false),
            Tri::Unknown => Av::Unknown,
        }
    }

    /// The truth of `e`; a value the commenter chooses is one of their choices.
    fn truthy(&mut self, e: &Expr) -> Tri {
        let v = self.eval(e);
        if v == Av::Chosen {
            return Self::truth(&self.atom(format!("truthy {e:?}"), false, None));
        }
        Self::truth(&v)
    }

    fn path(&self, p: &str) -> Av {
        match p {
            "github.event_name" => return Av::Str(self.event.to_string()),
            "github.actor"
            | "github.actor_id"
            | "github.triggering_actor"
            | "github.event.sender.login"
            | "github.event.sender.id" => return Av::Login,
            "github.event.sender.type" => return Av::Str("User".into()),
            "github.repository"
            | "github.repository_owner"
            | "github.event.repository.full_name"
            | "github.event.repository.name"
            | "github.event.repository.owner.login" => return Av::Repo,
            _ => {}
        }
        let Some(rest) = p.strip_prefix("github.event.") else {
            return Av::Unknown;
        };
        let (root, field) = rest.split_once('.').unwrap_or((rest, ""));
        let comment_events = ["issue_comment", "pull_request_review_comment", "discussion_comment"];
        let present = match root {
            "comment" => comment_events.contains(&self.event),
            "review" => self.event == "pull_request_review",
            "issue" => matches!(self.event, "issue_comment" | "issues"),
            "pull_request" => matches!(
                self.event,
                "pull_request_review_comment" | "pull_request_review" | "pull_request_target"
            ),
            "discussion" => matches!(self.event, "discussion_comment" | "discussion"),
            "action" | "changes" => return Av::Chosen,
            _ => return Av::Unknown,
        };
        if !present {
            return Av::Null;
        }
        if field.is_empty() {
            return Av::Obj;
        }
        // an opened pull request, issue or discussion is the outsider's own,
        // from their fork
        if OUTSIDER_EVENTS.contains(&self.event) && matches!(root, "pull_request" | "issue" | "discussion") {
            match field {
                "author_association" => return Av::Str(self.assoc.to_string()),
                "user.login" | "user.id" | "head.repo.full_name" | "head.repo.owner.login" | "head.label" => {
                    return Av::Login;
                }
                "head.repo.fork" => return Av::Bool(true),
                _ => {}
            }
        }
        if matches!(root, "comment" | "review") {
            match field {
                "body" => return Av::Body,
                "author_association" => return Av::Str(self.assoc.to_string()),
                "user.login" | "user.id" | "user.node_id" => return Av::Login,
                "user.type" => return Av::Str("User".into()),
                _ => {}
            }
        }
        // set by the maintainers, not by whoever comments
        let first = field.split('.').next().unwrap_or("");
        if matches!(
            first,
            "labels" | "assignee" | "assignees" | "milestone" | "requested_reviewers" | "requested_teams"
        ) {
            return Av::Unknown;
        }
        Av::Chosen
    }

    fn eval(&mut self, e: &Expr) -> Av {
        match e {
            Expr::Str(s) => Av::Str(s.clone()),
            Expr::Num(n) => Av::Num(parse_number(n)),
            Expr::Bool(b) => Av::Bool(*b),
            Expr::Null => Av::Null,
            Expr::Path(p) => self.path(p),
            Expr::Member(inner, seg) => {
                let v = self.eval(inner);
                match v {
                    _ if seg.is_empty() => v,
                    Av::Body | Av::Chosen => v,
                    _ => Av::Unknown,
                }
            }
            Expr::Not(x) => Self::tri(self.truthy(x).negate()),
            Expr::And(a, b) => {
                let (a, b) = (self.truthy(a), self.truthy(b));
                Self::tri(a.min(b))
            }
            Expr::Or(a, b) => {
                let (a, b) = (self.truthy(a), self.truthy(b));
                Self::tri(a.max(b))
            }
            Expr::Cmp(op, a, b) => {
                let (l, r) = (self.eval(a), self.eval(b));
                match op {
                    CmpOp::Eq | CmpOp::Ne => {
                        let eq = self.equal(&l, &r, format!("eq {a:?} {b:?}"));
                        if *op == CmpOp::Ne {
                            Self::tri(Self::truth(&eq).negate())
                        } else {
                            eq
                        }
                    }
                    _ => {
                        if [&l, &r].iter().any(|v| matches!(v, Av::Body | Av::Chosen)) {
                            let command = l == Av::Body || r == Av::Body;
                            return self.atom(format!("{e:?}"), command, None);
                        }
                        let (x, y) = (as_number(&l), as_number(&r));
                        if [&l, &r].iter().any(|v| matches!(v, Av::Unknown | Av::Login | Av::Repo)) {
                            return Av::Unknown;
                        }
                        Av::Bool(match op {
                            CmpOp::Lt => x < y,
                            CmpOp::Le => x <= y,
                            CmpOp::Gt => x > y,
                            _ => x >= y,
                        })
                    }
                }
            }
            Expr::Call(name, args) => {
                let vals: Vec<Av> = args.iter().map(|a| self.eval(a)).collect();
                self.call(name, &vals, e)
            }
        }
    }

    /// `l == r` (GitHub's loose equality, strings without regard to case).
    fn equal(&mut self, l: &Av, r: &Av, key: String) -> Av {
        let literal = |v: &Av| match v {
            Av::Str(s) => Some(s.clone()),
            _ => None,
        };
        match (l, r) {
            (Av::Unknown, _) | (_, Av::Unknown) => Av::Unknown,
            (Av::Body, o) | (o, Av::Body) => {
                let lit = literal(o);
                self.atom(key, true, lit)
            }
            (Av::Chosen, _) | (_, Av::Chosen) => self.atom(key, false, None),
            (Av::Login, Av::Login) => Av::Bool(true),
            (Av::Login, _) | (_, Av::Login) => Av::Bool(false),
            (Av::Repo, Av::Str(_)) | (Av::Str(_), Av::Repo) => Av::Bool(true),
            (Av::Repo, _) | (_, Av::Repo) => Av::Unknown,
            (Av::Str(a), Av::Str(b)) => Av::Bool(a.eq_ignore_ascii_case(b)),
            (Av::Null, Av::Null) => Av::Bool(true),
            (Av::List(_) | Av::Obj, _) | (_, Av::List(_) | Av::Obj) => Av::Bool(false),
            (a, b) => {
                let (x, y) = (as_number(a), as_number(b));
                Av::Bool(x == y)
            }
        }
    }

    fn call(&mut self, name: &str, vals: &[Av], e: &Expr) -> Av {
        let key = format!("{e:?}");
        let arg = |i: usize| vals.get(i).cloned().unwrap_or(Av::Null);
        match name {
            "contains" | "startswith" | "endswith" => {
                let (hay, needle) = (arg(0), arg(1));
                if hay == Av::Unknown || needle == Av::Unknown {
                    return Av::Unknown;
                }
                if hay == Av::Body || needle == Av::Body {
                    let other = if hay == Av::Body { &needle } else { &hay };
                    let lit = match other {
                        Av::Str(s) => Some(s.clone()),
                        Av::List(items) => items.iter().find_map(|i| match i {
                            Av::Str(s) => Some(s.clone()),
                            _ => None,
                        }),
                        _ => None,
                    };
                    return self.atom(key, true, lit);
                }
                if hay == Av::Chosen || needle == Av::Chosen {
                    return self.atom(key, false, None);
                }
                if let Av::List(items) = &hay {
                    if name != "contains" {
                        return Av::Unknown;
                    }
                    let mut any = Tri::False;
                    for item in items {
                        let eq = self.equal(item, &needle, String::new());
                        any = any.max(Self::truth(&eq));
                    }
                    return Self::tri(any);
                }
                match (&hay, &needle) {
                    // the commenter can take a login that holds these letters
                    (Av::Login, Av::Str(s)) => {
                        if loginish(s) {
                            self.atom(key, false, None)
                        } else {
                            Av::Bool(false)
                        }
                    }
                    // a list of names written as text: a login is not made up
                    // to match part of it
                    (_, Av::Login) => Av::Bool(false),
                    (Av::Repo, _) | (_, Av::Repo) | (Av::Obj, _) | (_, Av::Obj) | (_, Av::List(_)) => Av::Unknown,
                    _ => {
                        let (Some(h), Some(n)) = (text_of(&hay), text_of(&needle)) else {
                            return Av::Unknown;
                        };
                        let (h, n) = (h.to_lowercase(), n.to_lowercase());
                        Av::Bool(match name {
                            "contains" => h.contains(&n),
                            "startswith" => h.starts_with(&n),
                            _ => h.ends_with(&n),
                        })
                    }
                }
            }
            "fromjson" => match arg(0) {
                Av::Str(s) => serde_json::from_str(&s).map(|v| from_json(&v)).unwrap_or(Av::Unknown),
                v @ (Av::Body | Av::Chosen) => v,
                _ => Av::Unknown,
            },
            "tojson" | "format" | "join" => {
                if vals.contains(&Av::Body) {
                    Av::Body
                } else if vals.contains(&Av::Chosen) {
                    Av::Chosen
                } else {
                    Av::Unknown
                }
            }
            "success" | "always" => Av::Bool(true),
            "cancelled" => Av::Bool(false),
            _ => Av::Unknown,
        }
    }
}

/// How an outsider's comment fares against a condition in one situation:
/// whether some choice of theirs makes it true (`reach`), and whether one
/// that writes no command does (`base`).
struct Reach {
    reach: Tri,
    base: Tri,
    command: bool,
    literal: Option<String>,
}

fn attack(cond: &Expr, event: &str, assoc: &str, budget: &std::cell::Cell<usize>) -> Reach {
    let mut a = Attack {
        event,
        assoc,
        mask: 0,
        atoms: Vec::new(),
    };
    // a condition too large to try every choice on is not judged
    if cond.size() > MAX_CONDITION_SIZE {
        return Reach {
            reach: Tri::Unknown,
            base: Tri::Unknown,
            command: true,
            literal: None,
        };
    }
    a.truthy(cond);
    let n = a.atoms.len();
    let cost = (cond.size() << n.min(MAX_ATOMS)).min(FILE_BUDGET + 1);
    if n > MAX_ATOMS || cost > budget.get() {
        return Reach {
            reach: Tri::Unknown,
            base: Tri::Unknown,
            command: true,
            literal: None,
        };
    }
    budget.set(budget.get() - cost);
    let command = a.atoms.iter().any(|x| x.command);
    let literal = a.atoms.iter().find_map(|x| x.literal.clone().filter(|_| x.command));
    let commands: u32 = a
        .atoms
        .iter()
        .enumerate()
        .filter(|(_, x)| x.command)
        .fold(0, |m, (i, _)| m | 1 << i);
    let (mut reach, mut base) = (Tri::False, Tri::False);
    for mask in 0..1u32 << n {
        a.mask = mask;
        let t = a.truthy(cond);
        reach = reach.max(t);
        if mask & commands == 0 {
            base = base.max(t);
        }
    }
    Reach {
        reach,
        base,
        command,
        literal,
    }
}

/// What a condition does with a comment command.
enum Gate {
    /// It does not hold a job back until a comment asks: no command in it,
    /// every comment runs it, or outsiders reach it through another event.
    NotCommand,
    /// Only trusted commenters get through.
    Closed,
    /// An outsider's command gets through (`True`), or may (`Unknown`;
    /// `contributors` when only a past contributor gets through), with the
    /// command's text when it is written out.
    Open {
        truth: Tri,
        contributors: bool,
        literal: Option<String>,
    },
}

fn gate(cond: &Expr, triggers: &[String], budget: &std::cell::Cell<usize>) -> Gate {
    if !cond.any_path(&is_comment_text) {
        return Gate::NotCommand;
    }
    for event in OUTSIDER_EVENTS.iter().filter(|e| triggers.iter().any(|t| t == *e)) {
        if attack(cond, event, "NONE", budget).reach == Tri::True {
            return Gate::NotCommand;
        }
    }
    let (mut result, mut literal, mut command, mut contributors) = (Tri::False, None, false, false);
    for event in COMMENT_EVENTS.iter().filter(|e| triggers.iter().any(|t| t == *e)) {
        for assoc in OUTSIDER_ASSOCIATIONS {
            let o = attack(cond, event, assoc, budget);
            if o.base == Tri::True {
                return Gate::NotCommand;
            }
            command |= o.command;
            literal = literal.or(o.literal);
            result = result.max(o.reach);
        }
        if result != Tri::True && attack(cond, event, PAST_CONTRIBUTOR, budget).reach == Tri::True {
            result = Tri::Unknown;
            contributors = true;
        }
    }
    match result {
        _ if !command => Gate::NotCommand,
        Tri::False => Gate::Closed,
        truth => Gate::Open {
            truth,
            contributors,
            literal,
        },
    }
}

/// An `if:` as an expression: `${{ … }}` around it or not. `None` when it
/// cannot be read.
fn if_expr(node: &Node) -> Option<Expr> {
    let text = node.as_str()?.trim();
    if !text.contains("${{") {
        return expr::parse(text);
    }
    match expr::expressions(text).as_slice() {
        [(range, body)] if range.start == 0 && range.end == text.len() => expr::parse(body),
        _ => None,
    }
}

/// Whether an `if:` reads the text of the comment (or, when it cannot be
/// read, seems to).
fn mentions_comment_text(node: &Node) -> bool {
    match if_expr(node) {
        Some(e) => e.any_path(&is_comment_text),
        None => node.as_str().is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("comment.body") || t.contains("review.body")
        }),
    }
}

/// The job ids a job `needs`.
fn needs_of(job: &Node) -> Vec<String> {
    job.get("needs")
        .map(|n| n.strings().into_iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

fn job_by_id<'a>(doc: &'a Node, id: &str) -> Option<&'a Node> {
    jobs(doc).find(|(k, _)| &*k.key_text() == id).map(|(_, j)| j)
}

/// A condition that cannot be read: unknown wherever it is evaluated.
fn unreadable() -> Expr {
    Expr::Path("<unreadable condition>".into())
}

/// At most this many jobs' conditions are joined to a job's.
const MAX_NEEDED: usize = 32;

/// The condition a job runs under: its own `if:` and, unless that asks for
/// `always()`, `failure()` or `cancelled()`, those of the jobs it needs,
/// directly or not (a skipped job skips the jobs that need it). Each job's
/// condition is taken once.
fn job_condition(doc: &Node, job: &Node) -> Expr {
    let own_if = |j: &Node| match j.get("if") {
        None => Expr::Bool(true),
        Some(n) => if_expr(n).unwrap_or_else(unreadable),
    };
    let skips_with_needs = |e: &Expr| !e.any_call(&|f| matches!(f, "always" | "failure" | "cancelled"));
    let mut cond = own_if(job);
    if !skips_with_needs(&cond) {
        return cond;
    }
    let mut seen: Vec<&Node> = vec![job];
    let mut todo = vec![job];
    while let Some(j) = todo.pop() {
        for id in needs_of(j) {
            let Some(n) = job_by_id(doc, &id) else { continue };
            if seen.iter().any(|s| std::ptr::eq(*s, n)) {
                continue;
            }
            seen.push(n);
            // past this many, what the others ask is not followed
            if seen.len() > MAX_NEEDED {
                return Expr::And(Box::new(cond), Box::new(unreadable()));
            }
            let c = own_if(n);
            if skips_with_needs(&c) {
                todo.push(n);
            }
            cond = Expr::And(Box::new(cond), Box::new(c));
        }
    }
    cond
}

/// The jobs a job needs, directly or not.
fn needed_jobs<'a>(doc: &'a Node, job: &'a Node) -> Vec<&'a Node> {
    let mut out: Vec<&Node> = Vec::new();
    let mut todo = vec![job];
    while let Some(j) = todo.pop() {
        for id in needs_of(j) {
            if let Some(n) = job_by_id(doc, &id)
                && !out.iter().any(|o| std::ptr::eq(*o, n))
                && !std::ptr::eq(n, job)
            {
                out.push(n);
                todo.push(n);
            }
        }
    }
    out
}

/// Actions that check the commenter's permission or membership, and the
/// input that sets the level they ask for (`none` or `read` lets anyone in).
const PERMISSION_ACTIONS: &[(&str, &str)] = &[
    ("xt0rted/slash-command-action", "permission-level"),
    ("actions-cool/check-user-permission", "require"),
    ("sushichop/action-repository-permission", "required-permission"),
    ("prince-chrismc/check-actor-permissions-action", "permission"),
    ("themoddinginquisition/actions-team-membership", ""),
    ("tspascoal/get-user-teams-membership", ""),
    ("lannonbr/repo-permission-check-action", "permission"),
    ("peter-evans/slash-command-dispatch", "permission"),
    ("github/command", "permissions"),
    ("github/branch-deploy", "permissions"),
];

/// Actions known to check nobody: toolchains, checkouts, caches, comments
/// and reactions, credentials, releases. Any other action may look at the
/// commenter itself.
const PLAIN_ACTIONS: &[&str] = &[
    "actions/checkout",
    "actions/cache",
    "actions/upload-artifact",
    "actions/download-artifact",
    "actions/create-github-app-token",
    "actions/labeler",
    "actions/stale",
    "actions/upload-pages-artifact",
    "actions/deploy-pages",
    "actions/configure-pages",
    "actions/attest-build-provenance",
    "actions/add-to-project",
    "github/codeql-action/",
    "docker/",
    "aws-actions/",
    "azure/login",
    "google-github-actions/",
    "peter-evans/create-or-update-comment",
    "peter-evans/find-comment",
    "peter-evans/create-pull-request",
    "peter-evans/repository-dispatch",
    "peter-evans/enable-pull-request-automerge",
    "xt0rted/pull-request-comment-branch",
    "khan/pull-request-comment-trigger",
    "actions-ecosystem/",
    "tibdex/github-app-token",
    "dawidd6/action-download-artifact",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "marocchino/sticky-pull-request-comment",
    "thollander/actions-comment-pull-request",
    "mshick/add-pr-comment",
    "swatinem/rust-cache",
    "actions-rs/",
    "gradle/",
    "codecov/codecov-action",
    "stefanzweifel/git-auto-commit-action",
    "endbug/add-and-commit",
    "ad-m/github-push-action",
    "webfactory/ssh-agent",
    "cachix/",
    "jwalton/gh-find-current-pr",
];

fn plain_action(action: &str) -> bool {
    let repo = action.split('/').nth(1).unwrap_or("");
    PLAIN_ACTIONS.iter().any(|p| {
        if p.ends_with('/') {
            action.starts_with(p)
        } else {
            action == *p || action.starts_with(&format!("{p}/"))
        }
    }) || repo.starts_with("setup-")
        || repo.ends_with("-setup")
        || repo.contains("toolchain")
}

/// A lookup of someone's permission on, or membership of, the repository or
/// its organisation.
static PERMISSION_LOOKUP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)getCollaboratorPermissionLevel|checkCollaborator|checkMembership|getMembershipForUser|collaborators/[^\s'`]+|/orgs/[^\s'`]+/members/|/teams/[^\s'`]+/memberships/",
    )
    .expect("valid regex")
});

/// A script that reads who commented (or the whole event, which says so).
static READS_COMMENTER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)github_actor\b|github\.(?:actor|triggering_actor)\b|context\.actor\b|\.sender\b|(?:comment|review)\.user\b|author_association|github_event_path|tojson\(\s*github\.event(?:\.comment|\.review)?\s*\)",
    )
    .expect("valid regex")
});

/// Whether something stands between a commenter and the job.
#[derive(PartialEq, PartialOrd)]
enum Guard {
    None,
    /// It may: an action or script that could check, not known here.
    Maybe(String),
    /// It does: a known permission or membership check.
    Checks,
}

fn step_text(step: &Node, keys: &[&str]) -> String {
    let mut texts = Vec::new();
    for k in keys {
        if let Some(n) = step.get(k) {
            scalars(n, &mut texts);
        }
    }
    texts.join("\n")
}

/// A script that compares the commenter's association with the trusted ones.
static ASSOCIATION_TEST: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?s)(?i:author_association).*\b(?:OWNER|MEMBER|COLLABORATOR)\b|\b(?:OWNER|MEMBER|COLLABORATOR)\b.*(?i:author_association)")
        .expect("valid regex")
});

fn script_guard(text: &str, what: &str) -> Guard {
    if PERMISSION_LOOKUP.is_match(text) || ASSOCIATION_TEST.is_match(text) {
        Guard::Checks
    } else if READS_COMMENTER.is_match(text) {
        Guard::Maybe(format!("{what}, which reads who commented,"))
    } else {
        Guard::None
    }
}

fn step_guard(step: &Node, label: &str) -> Guard {
    let uses = step_uses(step);
    if uses.is_empty() {
        return match step.get("run") {
            Some(_) => script_guard(&step_text(step, &["run", "env"]), &format!("the script of {label}")),
            None => Guard::None,
        };
    }
    let action = uses.split('@').next().unwrap_or("").trim();
    if action == "actions/github-script" {
        return script_guard(
            &step_text(step, &["with", "env"]),
            &format!("the github-script of {label}"),
        );
    }
    if let Some((_, input)) = PERMISSION_ACTIONS
        .iter()
        .find(|(a, _)| action == *a || action.starts_with(&format!("{a}/")))
    {
        let level = step
            .get("with")
            .and_then(|w| w.get(input))
            .and_then(Node::as_str)
            .map(str::to_ascii_lowercase);
        return match level {
            Some(l) if l.contains("${{") => {
                Guard::Maybe(format!("`{action}` in {label}, at a level set by an expression,"))
            }
            Some(l) if l.split([',', ' ', '\n']).any(|p| matches!(p.trim(), "none" | "read")) => Guard::None,
            _ => Guard::Checks,
        };
    }
    if plain_action(action) {
        return Guard::None;
    }
    Guard::Maybe(format!("`{action}` in {label}"))
}

/// The strongest guard among steps (and reusable workflow calls, which may
/// check in the workflow they call).
fn guard_of<'a>(steps: impl IntoIterator<Item = (String, &'a Node)>, calls: &[(String, &'a Node)]) -> Guard {
    let mut best = Guard::None;
    for (label, step) in steps {
        let g = step_guard(step, &label);
        if g > best {
            best = g;
        }
        if best == Guard::Checks {
            return best;
        }
    }
    if best == Guard::None
        && let Some((label, uses)) = calls.first()
    {
        let callee = uses.as_str().unwrap_or("").trim();
        best = Guard::Maybe(format!("the reusable workflow `{callee}` that {label} calls"));
    }
    best
}

/// Names of the secrets read in a node (`GITHUB_TOKEN` is the token, counted
/// with the permissions).
fn secrets_read(node: &Node, out: &mut Vec<String>) {
    static SECRET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\bsecrets\s*\.\s*([a-z_][a-z0-9_]*)").expect("valid regex")
    });
    let mut texts = Vec::new();
    scalars(node, &mut texts);
    for t in texts {
        for c in SECRET.captures_iter(t) {
            let name = c[1].to_string();
            if !name.eq_ignore_ascii_case("github_token") && !out.contains(&name) {
                out.push(name);
            }
        }
    }
}

/// What the token of a job may do beyond talking on issues, pull requests
/// and discussions; `None` when that is all.
fn token_reach(doc: &Node, job: &Node) -> Option<String> {
    let Some(perms) = job.get("permissions").or_else(|| doc.get("permissions")) else {
        return Some("the repository's default token, which may have write access".into());
    };
    if let Some(s) = perms.as_str() {
        return match s.trim() {
            "write-all" => Some("a token that may write everywhere (`write-all`)".into()),
            _ => None,
        };
    }
    let writes: Vec<String> = perms
        .pairs()
        .iter()
        .filter(|p| p.value.as_str().map(str::trim) == Some("write"))
        .map(|p| p.key.key_text().to_string())
        .filter(|k| !matches!(k.as_str(), "issues" | "pull-requests" | "discussions"))
        .collect();
    if writes.is_empty() {
        return None;
    }
    let scopes: Vec<String> = writes.iter().map(|k| format!("`{k}: write`")).collect();
    Some(format!("a token with {}", scopes.join(", ")))
}

/// A step that fetches the pull request's code.
fn checks_out_pr(step: &Node) -> bool {
    let uses = step_uses(step);
    let names_head = |t: &str| {
        let l = t.to_ascii_lowercase();
        names_pr_head(t) || l.contains("head_ref") || l.contains("head_sha") || l.contains("pull/")
    };
    if uses.starts_with("actions/checkout@") {
        let with = step.get("with");
        return ["ref", "repository"]
            .iter()
            .filter_map(|k| with.and_then(|w| w.get(k)).and_then(Node::as_str))
            .any(names_head);
    }
    step.get("run").and_then(Node::as_str).is_some_and(|run| {
        run.lines().any(|l| {
            let l = l.trim();
            !l.starts_with('#')
                && (l.contains("gh pr checkout")
                    || l.contains("hub pr checkout")
                    || ((l.contains("git fetch") || l.contains("git checkout") || l.contains("git pull"))
                        && names_head(l)))
        })
    })
}

fn runs_self_hosted(job: &Node) -> bool {
    job.get("runs-on").is_some_and(|r| {
        let labels = r.get("labels").unwrap_or(r);
        match &labels.kind {
            NodeKind::Seq(items) => items.iter().any(is_self_hosted),
            _ => is_self_hosted(labels),
        }
    })
}

/// What running these jobs (each whole, or only some of its steps) gives
/// whoever starts them.
fn privileges(doc: &Node, parts: &[(&Node, Vec<&Node>, bool)]) -> Vec<String> {
    let (mut secrets, mut inherit, mut tokens) = (Vec::new(), false, Vec::new());
    let (mut pr_code, mut self_hosted) = (false, false);
    for (job, steps, whole_job) in parts {
        if *whole_job {
            secrets_read(job, &mut secrets);
            inherit |= job.get("secrets").and_then(Node::as_str).map(str::trim) == Some("inherit");
        } else {
            steps.iter().for_each(|s| secrets_read(s, &mut secrets));
        }
        if let Some(token) = token_reach(doc, job)
            && !tokens.contains(&token)
        {
            tokens.push(token);
        }
        pr_code |= steps.iter().any(|s| checks_out_pr(s));
        self_hosted |= runs_self_hosted(job);
    }
    let mut out = Vec::new();
    if inherit {
        out.push("every secret of the repository (`secrets: inherit`)".to_string());
    }
    if !secrets.is_empty() {
        let names: Vec<String> = secrets.iter().take(3).map(|s| format!("`{s}`")).collect();
        let more = if secrets.len() > 3 { ", …" } else { "" };
        let noun = if secrets.len() == 1 { "secret" } else { "secrets" };
        out.push(format!("the {noun} {}{more}", names.join(", ")));
    }
    out.extend(tokens);
    if pr_code {
        out.push("the pull request's code checked out".into());
    }
    if self_hosted {
        out.push("a self-hosted runner".into());
    }
    out
}

/// A condition that may let a comment command in, and what it guards.
struct Place<'a> {
    address: String,
    node: &'a Node,
    cond: Expr,
    /// The steps that run when it is true.
    run: Vec<&'a Node>,
    /// The steps that run before or with them and may check the commenter.
    guards: Vec<(String, &'a Node)>,
    /// The whole job (its secrets and token), or only `run`.
    whole_job: bool,
    /// The jobs that need this one (and run after it).
    dependents: Vec<&'a Node>,
}

fn comment_command_unchecked(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some((file, doc)) = docs(cx) else { return };
    if file.kind != FileKind::GithubWorkflow {
        return;
    }
    let triggers = triggers(doc);
    if !COMMENT_EVENTS.iter().any(|e| triggers.iter().any(|t| t == e)) {
        return;
    }
    let from = hits.len();
    let budget = std::cell::Cell::new(FILE_BUDGET);
    let all_jobs: Vec<(&Node, &Node)> = jobs(doc).collect();
    for &(id, job) in &all_jobs {
        let jid = id.key_text();
        let steps = job.get("steps").map(Node::items).unwrap_or(&[]);
        let condition = job_condition(doc, job);
        // the steps of the jobs it needs, and their reusable workflow calls
        let mut before: Vec<(String, &Node)> = Vec::new();
        let mut calls: Vec<(String, &Node)> = Vec::new();
        for n in needed_jobs(doc, job) {
            let nid = all_jobs
                .iter()
                .find(|(_, j)| std::ptr::eq(*j, n))
                .map(|(k, _)| k.key_text().to_string())
                .unwrap_or_default();
            for (i, s) in n.get("steps").map(Node::items).unwrap_or(&[]).iter().enumerate() {
                before.push((format!("jobs.{nid}.steps[{i}]"), s));
            }
            if let Some(u) = n.get("uses") {
                calls.push((format!("jobs.{nid}"), u));
            }
        }
        if let Some(u) = job.get("uses") {
            calls.push((format!("jobs.{jid}"), u));
        }
        let mut places: Vec<Place> = Vec::new();
        let job_if = job.get("if");
        if let Some(n) = job_if.filter(|n| mentions_comment_text(n)) {
            let mut guards = before.clone();
            guards.extend(
                steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (format!("jobs.{jid}.steps[{i}]"), s)),
            );
            // the jobs that need this one run only after it, with what they hold
            let dependents: Vec<&Node> = all_jobs
                .iter()
                .map(|&(_, other)| other)
                .filter(|&other| {
                    !std::ptr::eq(other, job) && needed_jobs(doc, other).iter().any(|n| std::ptr::eq(*n, job))
                })
                .collect();
            places.push(Place {
                address: format!("jobs.{jid}"),
                node: n,
                cond: condition.clone(),
                run: steps.iter().collect(),
                guards,
                whole_job: true,
                dependents,
            });
        }
        {
            for (i, step) in steps.iter().enumerate() {
                let Some(n) = step.get("if").filter(|n| mentions_comment_text(n)) else {
                    continue;
                };
                let own = if_expr(n);
                let mut guards = before.clone();
                guards.extend(
                    steps[..=i]
                        .iter()
                        .enumerate()
                        .map(|(k, s)| (format!("jobs.{jid}.steps[{k}]"), s)),
                );
                places.push(Place {
                    address: format!("jobs.{jid}.steps[{i}]"),
                    node: n,
                    cond: Expr::And(Box::new(condition.clone()), Box::new(own.unwrap_or_else(unreadable))),
                    run: vec![step],
                    guards,
                    whole_job: false,
                    dependents: Vec::new(),
                });
            }
        }
        // a job's condition that decides on the command decides for its steps
        let mut job_decided = false;
        for place in places {
            if job_decided {
                break;
            }
            let address = place.address;
            let unread = if_expr(place.node).is_none();
            let verdict = gate(&place.cond, &triggers, &budget);
            job_decided = place.whole_job && (unread || !matches!(verdict, Gate::NotCommand));
            let (truth, contributors, literal) = match verdict {
                Gate::NotCommand if !unread => continue,
                Gate::Closed => continue,
                Gate::NotCommand => (Tri::Unknown, false, None),
                Gate::Open {
                    truth,
                    contributors,
                    literal,
                } => (truth, contributors, literal),
            };
            let guard = guard_of(place.guards, &calls);
            if guard == Guard::Checks {
                continue;
            }
            let mut parts = vec![(job, place.run, place.whole_job)];
            for d in place.dependents {
                parts.push((d, d.get("steps").map(Node::items).unwrap_or(&[]).iter().collect(), true));
            }
            let reasons = privileges(doc, &parts);
            // a reusable workflow gets no more than the token and the secrets passed to it
            if reasons.is_empty() {
                continue;
            }
            let command = literal
                .map(|l| format!("`{}`", l.trim()))
                .unwrap_or_else(|| "a command".into());
            let with = reasons.join(", ");
            let (truth, message) = match (truth, guard) {
                (_, Guard::Maybe(what)) => (
                    Tri::Unknown,
                    format!(
                        "{address} runs when a comment says {command}, with {with}, and its condition does not check who commented; {what} may check the commenter, which is not known here"
                    ),
                ),
                (Tri::True, _) => (
                    Tri::True,
                    format!(
                        "{address} runs when a comment says {command}, and nothing checks who wrote it: anyone with a GitHub account can start it, with {with}"
                    ),
                ),
                _ if contributors => (
                    Tri::Unknown,
                    format!(
                        "{address} runs when a comment says {command}, with {with}, for anyone whose association is `CONTRIBUTOR` (one merged commit); whether they are trusted is the project's call"
                    ),
                ),
                _ if unread => (
                    Tri::Unknown,
                    format!("{address} runs on a comment, with {with}, under a condition that cannot be read here"),
                ),
                _ => (
                    Tri::Unknown,
                    format!(
                        "{address} runs when a comment says {command}, with {with}; whether its condition lets any commenter through depends on values not known here"
                    ),
                ),
            };
            hits.push(hit(truth, address.clone(), place.node.span, "if", message));
        }
    }
    dedup(hits, from);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_refs() {
        assert_eq!(action_of("actions/checkout@v4"), Some(("actions/checkout", "v4")));
        assert_eq!(action_of("./local"), None);
        assert!(is_full_sha("b07c7f86be67002023e6cb13f57df3f21cdd3411"));
        assert!(!is_full_sha("b07c7f8"));
        assert!(first_party("actions/checkout"));
        assert!(first_party("github/codeql-action/init"));
        assert!(!first_party("actions-rs/toolchain"));
    }

    fn verdict(cond: &str, triggers: &[&str]) -> String {
        let t: Vec<String> = triggers.iter().map(|s| s.to_string()).collect();
        match gate(
            &expr::parse(cond).expect("parses"),
            &t,
            &std::cell::Cell::new(FILE_BUDGET),
        ) {
            Gate::NotCommand => "not a command".into(),
            Gate::Closed => "closed".into(),
            Gate::Open {
                truth, contributors, ..
            } => format!("open {truth:?}{}", if contributors { " (contributors)" } else { "" }),
        }
    }

    #[test]
    fn comment_command_gates() {
        let ic = &["issue_comment"];
        for (cond, want) in [
            ("startsWith(github.event.comment.body, '/deploy')", "open True"),
            (
                "github.event.comment.body == '/x' && github.event.issue.pull_request",
                "open True",
            ),
            (
                "contains(fromJSON('[\"/a\", \"/b\"]'), github.event.comment.body)",
                "open True",
            ),
            (
                "contains(github.event.comment.body, '/x') && github.repository == 'a/b'",
                "open True",
            ),
            // the commenter on their own issue
            (
                "contains(github.event.comment.body, '/x') && github.actor == github.event.issue.user.login",
                "open True",
            ),
            (
                "contains(github.event.comment.body, '/x') && github.actor != 'octocat'",
                "open True",
            ),
            (
                "contains(github.event.comment.body, '/x') && startsWith(github.actor, 'acme-')",
                "open True",
            ),
            (
                "contains(github.event.comment.body, '/x') && endsWith(github.actor, '[bot]')",
                "closed",
            ),
            (
                "contains(github.event.comment.body, '/x') && github.actor == 'octocat'",
                "closed",
            ),
            (
                "contains(github.event.comment.body, '/x') && github.event.comment.user.login == github.repository_owner",
                "closed",
            ),
            (
                "contains(github.event.comment.body, '/x') && contains(fromJSON('[\"alice\"]'), github.actor)",
                "closed",
            ),
            (
                "contains(github.event.comment.body, '/x') && github.event.comment.author_association == 'member'",
                "closed",
            ),
            (
                "contains(github.event.comment.body, '/x') && contains('OWNER,MEMBER,COLLABORATOR', github.event.comment.author_association)",
                "closed",
            ),
            (
                "contains(github.event.comment.body, '/x') && github.event.comment.author_association != 'NONE'",
                "open True",
            ),
            (
                "contains(github.event.comment.body, '/x') && contains(fromJSON('[\"MEMBER\", \"CONTRIBUTOR\"]'), github.event.comment.author_association)",
                "open Unknown (contributors)",
            ),
            (
                "contains(github.event.comment.body, '/x') && needs.check.outputs.ok == 'true'",
                "open Unknown",
            ),
            (
                "contains(github.event.comment.body, '/x') && contains(github.event.issue.labels.*.name, 'ok')",
                "open Unknown",
            ),
            // a way in besides the command
            (
                "contains(github.event.comment.body, '/x') || needs.a.outputs.b",
                "open True",
            ),
            // every comment
            ("!contains(github.event.comment.body, '[skip]')", "not a command"),
            ("github.event.comment.body", "not a command"),
            ("github.event.issue.pull_request", "not a command"),
            (
                "github.event_name == 'issue_comment' || contains(github.event.comment.body, '/x')",
                "not a command",
            ),
            // the review's text is not in an issue comment
            ("contains(github.event.review.body, '/x')", "not a command"),
        ] {
            assert_eq!(verdict(cond, ic), want, "{cond}");
        }
        // a pull request opened from a fork runs the job anyway
        let both = &["issue_comment", "pull_request_target"];
        assert_eq!(
            verdict(
                "github.event_name == 'pull_request_target' || github.event.comment.body == 'recheck'",
                both
            ),
            "not a command"
        );
        // unless only the repository's own branches get in that way
        assert_eq!(
            verdict(
                "(github.event_name == 'pull_request_target' && github.event.pull_request.head.repo.full_name == github.repository) || github.event.comment.body == 'recheck'",
                both
            ),
            "open True"
        );
        assert_eq!(
            verdict("contains(github.event.review.body, '/x')", &["pull_request_review"]),
            "open True"
        );
        assert_eq!(
            verdict("contains(github.event.comment.body, '/x')", &["discussion_comment"]),
            "open True"
        );
    }
}
