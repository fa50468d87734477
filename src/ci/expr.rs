//! GitHub Actions expressions (`${{ … }}`): a small parser and the question
//! injection policies ask of it: which contexts can reach the expanded text,
//! and can an attacker choose them?
//!
//! Operators decide what flows into the result: a comparison or `contains()`
//! yields a boolean, so `${{ github.event.issue.title == 'x' }}` expands to
//! `true` or `false` and is safe; `a && b` yields `b` unless `a` is falsy (and
//! a falsy string is empty); `a || b` yields either.

use std::ops::Range;

/// One `${{ … }}` in a string: its byte range (delimiters included) and body.
pub fn expressions(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find("${{") {
        let start = from + p;
        let body_start = start + 3;
        // The closing `}}` outside string literals.
        let bytes = text.as_bytes();
        let mut i = body_start;
        let mut in_str = false;
        let mut end = None;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' => in_str = !in_str,
                b'}' if !in_str && bytes.get(i + 1) == Some(&b'}') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let Some(end) = end else { break };
        out.push((start..end + 2, &text[body_start..end]));
        from = end + 2;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str,
    Num,
    Dot,
    Star,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Not,
    And,
    Or,
    Cmp,
}

fn lex(s: &str) -> Option<Vec<(Tok, Option<String>)>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\'' => {
                let mut j = i + 1;
                let mut value = String::new();
                loop {
                    if j >= b.len() {
                        return None;
                    }
                    if b[j] == b'\'' {
                        if b.get(j + 1) == Some(&b'\'') {
                            value.push('\'');
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    let ch = s[j..].chars().next()?;
                    value.push(ch);
                    j += ch.len_utf8();
                }
                out.push((Tok::Str, Some(value)));
                i = j + 1;
            }
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                out.push((Tok::Dot, None));
                i += 1;
            }
            b'*' => {
                out.push((Tok::Star, None));
                i += 1;
            }
            b'[' => {
                out.push((Tok::LBracket, None));
                i += 1;
            }
            b']' => {
                out.push((Tok::RBracket, None));
                i += 1;
            }
            b'(' => {
                out.push((Tok::LParen, None));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, None));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, None));
                i += 1;
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push((Tok::Cmp, Some("!=".into())));
                i += 2;
            }
            b'!' => {
                out.push((Tok::Not, None));
                i += 1;
            }
            b'=' if b.get(i + 1) == Some(&b'=') => {
                out.push((Tok::Cmp, Some("==".into())));
                i += 2;
            }
            b'<' | b'>' => {
                let n = if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                out.push((Tok::Cmp, Some(s[i..i + n].to_string())));
                i += n;
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                out.push((Tok::And, None));
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                out.push((Tok::Or, None));
                i += 2;
            }
            c if c.is_ascii_digit() || c == b'-' || c == b'.' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                out.push((Tok::Num, Some(s[i..j].to_string())));
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
                    j += 1;
                }
                out.push((Tok::Ident(s[i..j].to_string()), None));
                i = j;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A parsed expression. Context paths are normalised as [`flows`] reports
/// them: lower case, `github.event['issue']` as `github.event.issue`, a
/// computed index (`commits[x]`) as `*`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    /// A number literal, as written (`1`, `0xff`, `-2.5`).
    Num(String),
    Bool(bool),
    Null,
    /// A context path: `github.event.comment.body`.
    Path(String),
    /// A function call, its name lower-cased: `contains(a, b)`.
    Call(String, Vec<Expr>),
    /// A property or index of something that is not a context path
    /// (`fromJSON(x).a`, `(a || b)[0]`); `*` for a computed index, empty
    /// for the parentheses themselves.
    Member(Box<Expr>, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Expr {
    /// Whether some context path of the expression satisfies `f`.
    pub fn any_path(&self, f: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expr::Path(p) => f(p),
            Expr::Call(_, args) => args.iter().any(|a| a.any_path(f)),
            Expr::Member(e, _) | Expr::Not(e) => e.any_path(f),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp(_, a, b) => a.any_path(f) || b.any_path(f),
            _ => false,
        }
    }

    /// The number of nodes of the expression.
    pub fn size(&self) -> usize {
        1 + match self {
            Expr::Call(_, args) => args.iter().map(Expr::size).sum(),
            Expr::Member(e, _) | Expr::Not(e) => e.size(),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp(_, a, b) => a.size() + b.size(),
            _ => 0,
        }
    }

    /// Whether the expression calls a function named (lower case) as `f` accepts.
    pub fn any_call(&self, f: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expr::Call(name, args) => f(name) || args.iter().any(|a| a.any_call(f)),
            Expr::Member(e, _) | Expr::Not(e) => e.any_call(f),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp(_, a, b) => a.any_call(f) || b.any_call(f),
            _ => false,
        }
    }
}

/// Parse the body of an expression (the text inside `${{ }}`, or an `if:`).
pub fn parse(body: &str) -> Option<Expr> {
    let toks = lex(body)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        chained: 0,
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return None;
    }
    Some(e)
}

/// What the expanded text of an expression may contain: the context paths
/// (normalised: lower case, indexes as `*`) that flow into it.
pub fn flows(body: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    flows_of(&parse(body)?, &mut out);
    Some(out)
}

fn flows_of(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Str(_) | Expr::Num(_) | Expr::Bool(_) | Expr::Null => {}
        Expr::Path(p) => out.push(p.clone()),
        Expr::Call(name, args) => match name.as_str() {
            // booleans, status checks and hashes
            "contains" | "startswith" | "endswith" | "success" | "always" | "failure" | "cancelled" | "hashfiles" => {}
            // format's first argument is the pattern; every other function
            // passes its arguments' text through
            _ => args.iter().for_each(|a| flows_of(a, out)),
        },
        Expr::Member(inner, _) => flows_of(inner, out),
        // a comparison or negation yields a boolean
        Expr::Not(_) | Expr::Cmp(..) => {}
        // `a && b` is `b`, or a falsy `a` (false, 0, '' or null): never text
        Expr::And(_, b) => flows_of(b, out),
        Expr::Or(a, b) => {
            flows_of(a, out);
            flows_of(b, out);
        }
    }
}

struct Parser {
    toks: Vec<(Tok, Option<String>)>,
    pos: usize,
    /// Nesting of parentheses, calls and negations.
    depth: usize,
    /// Operands joined by binary operators: each adds a level to the tree.
    chained: usize,
}

/// At most this many operands joined by `&&`, `||` or comparisons.
const MAX_CHAINED: usize = 256;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn chain(&mut self) -> Option<()> {
        self.chained += 1;
        (self.chained <= MAX_CHAINED).then_some(())
    }

    fn or(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let mut e = self.and()?;
        while self.eat(&Tok::Or) {
            self.chain()?;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        self.depth -= 1;
        Some(e)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut e = self.cmp()?;
        while self.eat(&Tok::And) {
            self.chain()?;
            e = Expr::And(Box::new(e), Box::new(self.cmp()?));
        }
        Some(e)
    }

    fn cmp(&mut self) -> Option<Expr> {
        let mut e = self.unary()?;
        while let Some((Tok::Cmp, op)) = self.toks.get(self.pos).cloned() {
            self.pos += 1;
            self.chain()?;
            let op = match op.as_deref() {
                Some("==") => CmpOp::Eq,
                Some("!=") => CmpOp::Ne,
                Some("<") => CmpOp::Lt,
                Some("<=") => CmpOp::Le,
                Some(">") => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            e = Expr::Cmp(op, Box::new(e), Box::new(self.unary()?));
        }
        Some(e)
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat(&Tok::Not) {
            self.depth += 1;
            if self.depth > 64 {
                return None;
            }
            let e = self.unary()?;
            self.depth -= 1;
            return Some(Expr::Not(Box::new(e)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Option<Expr> {
        let (tok, text) = self.toks.get(self.pos)?.clone();
        self.pos += 1;
        match tok {
            Tok::Str => Some(Expr::Str(text.unwrap_or_default())),
            Tok::Num => Some(Expr::Num(text.unwrap_or_default())),
            Tok::LParen => {
                let inner = self.or()?;
                if !self.eat(&Tok::RParen) {
                    return None;
                }
                // `(github.event).issue` reads a property of a value, not a
                // longer context path
                self.tail(Expr::Member(Box::new(inner), String::new()))
            }
            Tok::Ident(name) => {
                let lower = name.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Some(Expr::Bool(true)),
                    "false" => return Some(Expr::Bool(false)),
                    "null" => return Some(Expr::Null),
                    _ => {}
                }
                if self.eat(&Tok::LParen) {
                    let mut args = Vec::new();
                    if !self.eat(&Tok::RParen) {
                        loop {
                            args.push(self.or()?);
                            if self.eat(&Tok::RParen) {
                                break;
                            }
                            if !self.eat(&Tok::Comma) {
                                return None;
                            }
                        }
                    }
                    return self.tail(Expr::Call(lower, args));
                }
                self.tail(Expr::Path(lower))
            }
            _ => None,
        }
    }

    /// Property accesses and indexes after a primary: they extend a context
    /// path, and wrap anything else in [`Expr::Member`].
    fn tail(&mut self, mut e: Expr) -> Option<Expr> {
        loop {
            let seg = if self.eat(&Tok::Dot) {
                let seg = match self.toks.get(self.pos).cloned() {
                    Some((Tok::Ident(n), _)) => n.to_ascii_lowercase(),
                    Some((Tok::Star, _)) => "*".into(),
                    _ => return None,
                };
                self.pos += 1;
                seg
            } else if self.eat(&Tok::LBracket) {
                let seg = match self.toks.get(self.pos).cloned() {
                    Some((Tok::Str, Some(s))) if self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::RBracket) => {
                        self.pos += 1;
                        s.to_ascii_lowercase()
                    }
                    Some((Tok::Star, _)) if self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::RBracket) => {
                        self.pos += 1;
                        "*".into()
                    }
                    _ => {
                        // a computed index: its own flows do not reach the result
                        self.or()?;
                        "*".into()
                    }
                };
                if !self.eat(&Tok::RBracket) {
                    return None;
                }
                seg
            } else {
                break;
            };
            e = match e {
                Expr::Path(mut p) => {
                    p.push('.');
                    p.push_str(&seg);
                    Expr::Path(p)
                }
                other => Expr::Member(Box::new(other), seg),
            };
        }
        Some(e)
    }
}

/// Who controls a context's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Anyone who can open an issue, comment, or push a branch to a fork.
    Attacker,
    /// Not known: inputs, step outputs, fields not classified.
    Unknown,
    /// Numbers, SHAs, ids, the repository's own settings, secrets.
    Safe,
}

/// Event objects that hold attacker-controlled text somewhere inside, so
/// their JSON (`toJSON(github.event.issue)`) does too.
const ATTACKER_OBJECTS: &[&str] = &[
    "github.event",
    "github.event.issue",
    "github.event.pull_request",
    "github.event.pull_request.head",
    "github.event.pull_request.head.repo",
    "github.event.comment",
    "github.event.review",
    "github.event.review_comment",
    "github.event.discussion",
    "github.event.answer",
    "github.event.head_commit",
    "github.event.head_commit.author",
    "github.event.head_commit.committer",
    "github.event.commits",
    "github.event.commits.*",
    "github.event.commits.*.author",
    "github.event.commits.*.committer",
    "github.event.pages",
    "github.event.pages.*",
    "github.event.workflow_run",
    "github.event.workflow_run.head_commit",
    "github.event.workflow_run.pull_requests",
    "github.event.check_run",
    "github.event.check_suite",
    "github.event.merge_group",
    "github.event.merge_group.head_commit",
    "github.event.release",
    "github.event.workflow",
];

/// Fields that hold free text, names or refs that the author of an issue,
/// comment, pull request or commit chooses.
const ATTACKER_FIELDS: &[&str] = &[
    "title",
    "body",
    "message",
    "summary",
    "text",
    "page_name",
    "display_title",
    "head_branch",
];

/// Fields whose values cannot carry shell syntax: numbers, SHAs, ids,
/// booleans, timestamps, URLs and logins (restricted character sets).
const SAFE_FIELDS: &[&str] = &[
    "number",
    "id",
    "node_id",
    "sha",
    "before",
    "after",
    "additions",
    "deletions",
    "changed_files",
    "commits",
    "comments",
    "review_comments",
    "draft",
    "merged",
    "locked",
    "private",
    "fork",
    "state",
    "author_association",
    "type",
    "site_admin",
    "login",
    "url",
    "html_url",
    "full_name",
    "default",
    "run_number",
    "run_attempt",
    "conclusion",
    "status",
    "event",
    "action",
    "distinct",
    "forced",
    "created",
    "deleted",
    "visibility",
];

/// Classify a normalised context path.
pub fn control(path: &str) -> Control {
    if path == "github.head_ref" {
        return Control::Attacker;
    }
    let Some(event) = path.strip_prefix("github.event") else {
        let root = path.split('.').next().unwrap_or("");
        return match root {
            // set by whoever calls the action or dispatches the workflow, or
            // computed by earlier steps: not known here
            "inputs" | "steps" | "needs" | "jobs" => Control::Unknown,
            _ => Control::Safe,
        };
    };
    if !event.is_empty() && !event.starts_with('.') {
        return Control::Safe; // github.event_name, github.event_path
    }
    if path.starts_with("github.event.inputs") || path.starts_with("github.event.client_payload") {
        return Control::Unknown;
    }
    if ATTACKER_OBJECTS.contains(&path) {
        return Control::Attacker;
    }
    let segs: Vec<&str> = path.split('.').filter(|s| *s != "*").collect();
    let leaf = segs.last().copied().unwrap_or("");
    let parent = segs.len().checked_sub(2).map(|i| segs[i]).unwrap_or("");
    if ATTACKER_FIELDS.contains(&leaf) {
        return Control::Attacker;
    }
    // Git identities of commits, and the branch and label of a pull
    // request's head (in the fork, so chosen by its owner).
    if matches!(parent, "author" | "committer" | "pusher") && matches!(leaf, "name" | "email" | "username") {
        return Control::Attacker;
    }
    if parent == "head" && matches!(leaf, "ref" | "label") {
        return Control::Attacker;
    }
    if (path.contains(".head.repo.") || path.contains(".head_repository."))
        && matches!(leaf, "default_branch" | "description" | "homepage")
    {
        return Control::Attacker;
    }
    // `workflow_run`: the file of the workflow that ran, which a fork's pull
    // request can add under any file name (its name must still match
    // `workflows:`, so the name is left unknown)
    if matches!(path, "github.event.workflow.path" | "github.event.workflow_run.path") {
        return Control::Attacker;
    }
    // file names: a review comment's file, a pushed commit's changed files
    if path == "github.event.comment.path"
        || (matches!(parent, "head_commit" | "commits") && matches!(leaf, "added" | "removed" | "modified"))
    {
        return Control::Attacker;
    }
    if SAFE_FIELDS.contains(&leaf)
        || leaf.ends_with("_sha")
        || leaf.ends_with("_at")
        || leaf.ends_with("_count")
        || leaf.ends_with("_url")
        || leaf.ends_with("_id")
    {
        return Control::Safe;
    }
    // the base repository and its ref are the maintainers'
    if path.starts_with("github.event.repository.") || matches!(path, "github.event.ref" | "github.event.base_ref") {
        return Control::Safe;
    }
    Control::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl(expr: &str) -> Vec<(String, Control)> {
        flows(expr)
            .unwrap()
            .into_iter()
            .map(|p| {
                let c = control(&p);
                (p, c)
            })
            .collect()
    }

    #[test]
    fn finds_expressions() {
        let e = expressions("a ${{ x }} b ${{ '}}' }} c ${{ y");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, " x ");
        assert_eq!(e[1].1, " '}}' ");
    }

    #[test]
    fn attacker_contexts() {
        for p in [
            "github.event.issue.title",
            "github.event.issue.body",
            "github.event.pull_request.title",
            "github.event.pull_request.head.ref",
            "github.event.pull_request.head.label",
            "github.event.pull_request.head.repo.default_branch",
            "github.event.comment.body",
            "github.event.review.body",
            "github.event.review_comment.body",
            "github.event.discussion.title",
            "github.event.head_commit.message",
            "github.event.head_commit.author.email",
            "github.event.commits[0].message",
            "github.event.commits.*.author.name",
            "github.event.pages[0].page_name",
            "github.event.workflow_run.head_branch",
            "github.event.workflow_run.head_commit.message",
            "github.event.workflow_run.head_repository.description",
            "github.event.workflow.path",
            "github.event.workflow_run.path",
            "toJSON(github.event.workflow)",
            "github.event.comment.path",
            "github.event.head_commit.modified",
            "join(github.event.commits.*.added, ' ')",
            "github.head_ref",
            "toJSON(github.event)",
            "toJSON(github.event.issue)",
            "github.event['issue']['title']",
            "format('{0}', github.event.issue.title)",
            "github.event.issue.title || 'none'",
        ] {
            let c = ctl(p);
            assert!(c.iter().any(|(_, c)| *c == Control::Attacker), "{p}: {c:?}");
        }
    }

    #[test]
    fn safe_contexts() {
        for p in [
            "github.event.issue.number",
            "github.event.pull_request.head.sha",
            "github.event.pull_request.number",
            "github.event.workflow_run.id",
            "github.event.workflow_run.head_sha",
            "github.event.workflow.id",
            "github.event.workflow.state",
            "github.event_path",
            "github.action_path",
            "startsWith(github.event.workflow.path, '.github/')",
            "github.sha",
            "github.ref_name",
            "github.repository",
            "github.event.repository.name",
            "github.event.pull_request.user.login",
            "github.event.issue.created_at",
            "secrets.TOKEN",
            "github.event.issue.title == 'x'",
            "contains(github.event.issue.body, 'bug')",
            "!github.event.issue.title",
            "github.event.issue.title && 'yes'",
            "matrix.os",
            "runner.temp",
        ] {
            let c = ctl(p);
            assert!(c.iter().all(|(_, c)| *c == Control::Safe), "{p}: {c:?}");
        }
    }

    #[test]
    fn unknown_contexts() {
        for p in [
            "inputs.name",
            "steps.x.outputs.y",
            "github.event.inputs.tag",
            "github.event.label.name",
            "github.event.workflow.name",
            "github.event.workflow_run.name",
        ] {
            let c = ctl(p);
            assert!(c.iter().any(|(_, c)| *c == Control::Unknown), "{p}: {c:?}");
        }
    }

    #[test]
    fn parses_conditions() {
        use Expr::*;
        let e = parse("github.event['comment'].body == 'x' && !contains(a, 'b') || f(1)").unwrap();
        let want = Or(
            Box::new(And(
                Box::new(Cmp(
                    CmpOp::Eq,
                    Box::new(Path("github.event.comment.body".into())),
                    Box::new(Str("x".into())),
                )),
                Box::new(Not(Box::new(Call(
                    "contains".into(),
                    vec![Path("a".into()), Str("b".into())],
                )))),
            )),
            Box::new(Call("f".into(), vec![Num("1".into())])),
        );
        assert_eq!(e, want);
        assert!(e.any_path(&|p| p == "github.event.comment.body"));
        assert!(e.any_call(&|f| f == "contains"));
        assert_eq!(
            parse("fromJSON(x).a").unwrap(),
            Member(Box::new(Call("fromjson".into(), vec![Path("x".into())])), "a".into())
        );
        // a parenthesised context is a value: its property is not a longer path
        assert_eq!(flows("(github.event).issue").unwrap(), vec!["github.event".to_string()]);
        assert!(parse("a ==").is_none());
        let long = vec!["a"; MAX_CHAINED + 2].join(" && ");
        assert!(parse(&long).is_none());
        assert!(parse("a b").is_none());
    }
}
