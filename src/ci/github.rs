//! GitHub Actions: the checks that need more than the values.

use crate::checks::{Check, CheckCx, Hit};
use crate::discover::FileKind;
use crate::policy::InputKind;
use crate::policy::condition::Tri;
use crate::source::Span;
use crate::value::Str;
use crate::yaml::{Node, NodeKind};

use super::advisories;
use super::comment_commands::comment_command_unchecked;
use super::expr::{self, Control};
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

pub(super) fn docs<'a>(cx: &'a CheckCx) -> Option<(&'a CiFile, &'a Node)> {
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
pub(super) fn step_uses(step: &Node) -> String {
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
pub(super) fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
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
pub(super) fn names_pr_head(text: &str) -> bool {
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

/// Where a step fetches the pull request's code: the `repository` (the fork)
/// or `ref` of `actions/checkout`, or a `run` line that checks the pull
/// request out or fetches what `names_head` says is its head.
pub(super) fn pr_code_fetch(step: &Node, names_head: impl Fn(&str) -> bool) -> Option<Span> {
    if step_uses(step).starts_with("actions/checkout@") {
        let with = step.get("with")?;
        let fork = with.get("repository").filter(|r| {
            r.as_str()
                .is_some_and(|s| s.contains("head.repo.full_name") || s.contains("head_repository.full_name"))
        });
        let head = with.get("ref").filter(|r| r.as_str().is_some_and(&names_head));
        return fork.or(head).map(|n| n.span);
    }
    let run = step.get("run").and_then(Node::scalar)?;
    let fetches = run.text.lines().any(|l| {
        let l = l.trim();
        !l.starts_with('#')
            && (l.contains("gh pr checkout")
                || l.contains("hub pr checkout")
                || ((l.contains("git fetch") || l.contains("git checkout") || l.contains("git pull")) && names_head(l)))
    });
    fetches.then_some(run.span)
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
        if let Some(span) = pr_code_fetch(step, names_pr_head) {
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
        if let Some(label) = self_hosted_label(job) {
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

/// The `self-hosted` label of a job's `runs-on` (a label, a list of them, or
/// a group's `labels`), if it has one.
pub(super) fn self_hosted_label(job: &Node) -> Option<&Node> {
    let runs_on = job.get("runs-on")?;
    let labels = runs_on.get("labels").unwrap_or(runs_on);
    let is_self_hosted = |label: &&Node| {
        label
            .as_str()
            .is_some_and(|l| l.trim().eq_ignore_ascii_case("self-hosted"))
    };
    match &labels.kind {
        NodeKind::Seq(items) => items.iter().find(is_self_hosted),
        _ => Some(labels).filter(is_self_hosted),
    }
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
}
