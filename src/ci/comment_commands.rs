//! GitHub Actions: comment commands (GH0019). A workflow that comments
//! start runs a job on a command in the comment's text; whether nothing checks
//! who wrote it is decided by evaluating the job's condition as an outsider
//! sees it, then looking for a permission check among the steps and needed
//! jobs, and for what the job holds that an outsider should not reach.

use crate::checks::{CheckCx, Hit};
use crate::discover::FileKind;
use crate::policy::condition::Tri;
use crate::yaml::Node;

use super::expr::{self, CmpOp, Expr};
use super::github::{docs, jobs, names_pr_head, pr_code_fetch, scalars, self_hosted_label, step_uses, triggers};
use super::{dedup, hit};

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

/// The pull request's head as a comment-triggered workflow names it: it has
/// no pull request in its event and looks the head up in a step
/// (`steps.pr.outputs.head_sha`), so names ending `head_ref`/`head_sha` and
/// `pull/` paths count beside [`names_pr_head`].
fn names_pr_head_or_lookup(text: &str) -> bool {
    let l = text.to_ascii_lowercase();
    names_pr_head(text) || l.contains("head_ref") || l.contains("head_sha") || l.contains("pull/")
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
        pr_code |= steps
            .iter()
            .any(|s| pr_code_fetch(s, names_pr_head_or_lookup).is_some());
        self_hosted |= self_hosted_label(job).is_some();
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

pub(super) fn comment_command_unchecked(cx: &CheckCx, hits: &mut Vec<Hit>) {
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
