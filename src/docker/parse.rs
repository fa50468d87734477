//! tree-sitter-containerfile → [`Dockerfile`]: instructions with spans,
//! stages, `ARG`/`ENV` expansion, the effective `USER` and `SHELL` of each
//! stage, and RUN bodies analysed as shell (see [`super::shell`]).

use std::collections::HashMap;
use std::time::Duration;

use tree_sitter::Node;

use super::shell::{self, Script, ShellText};
use crate::source::{FileId, Span};
use crate::syntax::{self, Grammar, ParseFailure};

/// One parsed Dockerfile.
#[derive(Debug)]
pub struct Dockerfile {
    pub file: FileId,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// The `# escape=` directive's character.
    pub escape: char,
    /// First syntax error outside RUN bodies: byte offset and what.
    pub error: Option<(usize, &'static str)>,
    /// RUN bodies that tree-sitter-bash could not parse cleanly (offset).
    pub shell_errors: Vec<usize>,
}

impl Dockerfile {
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The instructions of a stage.
    pub fn stage_instructions(&self, stage: &Stage) -> &[Instruction] {
        &self.instructions[stage.instructions.clone()]
    }

    /// Stages the final image is built from: the final stage and, through
    /// `FROM <earlier stage>`, its ancestors.
    pub fn final_lineage(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.stages.len().checked_sub(1);
        while let Some(i) = cur {
            if out.contains(&i) {
                break;
            }
            out.push(i);
            cur = self.stages[i].parent;
        }
        out
    }
}

/// A word of a Dockerfile instruction or of a shell command: its text with
/// quotes removed and variables expanded where they are known.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    /// False when the text holds something Palisade could not resolve (an
    /// unset variable, a command substitution): `text` is then the raw text.
    pub known: bool,
    pub span: Span,
}

/// `--name=value` flag of an instruction.
#[derive(Debug, Clone)]
pub struct Flag {
    pub name: String,
    pub value: Option<Word>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub key: Word,
    pub value: Option<Word>,
    pub span: Span,
}

/// Where a base image comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource {
    Registry,
    /// An earlier stage of this Dockerfile.
    Stage(usize),
    Scratch,
}

#[derive(Debug, Clone)]
pub struct ImageRef {
    pub word: Word,
    pub source: ImageSource,
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    fn new(word: Word, stages: &[Stage]) -> Self {
        let text = word.text.trim().to_string();
        if !word.known {
            return Self {
                source: ImageSource::Registry,
                name: text,
                tag: None,
                digest: None,
                word,
            };
        }
        if let Some(i) = stages
            .iter()
            .rposition(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&text)))
        {
            return Self {
                source: ImageSource::Stage(i),
                name: text,
                tag: None,
                digest: None,
                word,
            };
        }
        if text.eq_ignore_ascii_case("scratch") {
            return Self {
                source: ImageSource::Scratch,
                name: text,
                tag: None,
                digest: None,
                word,
            };
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r.to_string(), Some(d.to_string())),
            None => (text.clone(), None),
        };
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                rest[..last_slash + i].to_string(),
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest.clone(), None),
        };
        Self {
            source: ImageSource::Registry,
            name,
            tag,
            digest,
            word,
        }
    }

    /// A Windows base image (whose default shell is `cmd`).
    pub fn is_windows(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.contains("windows/servercore")
            || n.contains("windows/nanoserver")
            || n.contains("/windows/")
            || n.ends_with("/windows")
            || n.contains("dotnet/framework")
            || n.contains("powershell") && self.tag.as_deref().is_some_and(|t| t.contains("windows"))
    }
}

/// The shell that runs shell-form RUN instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellKind {
    /// `/bin/sh -c` or another POSIX-like shell; `pipefail` when the SHELL
    /// instruction sets `-o pipefail`.
    Posix { name: String, pipefail: bool },
    /// PowerShell or `cmd`: RUN bodies are not analysed.
    Windows,
}

impl Default for ShellKind {
    fn default() -> Self {
        ShellKind::Posix {
            name: "/bin/sh".into(),
            pipefail: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    pub name: Option<String>,
    /// Index of the FROM instruction.
    pub from: usize,
    pub base: ImageRef,
    /// The earlier stage this one is built on.
    pub parent: Option<usize>,
    /// Instructions of the stage, FROM included.
    pub instructions: std::ops::Range<usize>,
    /// The last USER of the stage or, failing that, of its parent stages:
    /// the user word and the instruction index.
    pub user: Option<(Word, usize)>,
    /// A HEALTHCHECK of the stage or its parent stages (instruction index).
    pub healthcheck: Option<usize>,
    /// The shell at the end of the stage.
    pub shell: ShellKind,
}

impl Stage {
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("stage-{}", self.index),
        }
    }
}

/// What an instruction says, by keyword.
#[derive(Debug, Clone)]
pub enum Body {
    From {
        image: ImageRef,
        alias: Option<Word>,
    },
    /// ENV, ARG, LABEL.
    Pairs(Vec<Pair>),
    User {
        user: Word,
        group: Option<Word>,
    },
    Expose(Vec<Word>),
    /// COPY, ADD.
    Files {
        sources: Vec<Word>,
        dest: Option<Word>,
        /// Inline files given as heredocs.
        heredocs: usize,
    },
    /// RUN, CMD, ENTRYPOINT.
    Command(Command),
    Healthcheck {
        none: bool,
        command: Option<Command>,
    },
    Shell(Vec<Word>),
    Other(Vec<Word>),
}

/// The command of a RUN, CMD or ENTRYPOINT.
#[derive(Debug, Clone)]
pub struct Command {
    /// Exec form (`["a", "b"]`): its argument vector.
    pub exec: Option<Vec<Word>>,
    /// The command text: the shell form's text, or the exec form's.
    pub text: Word,
    /// The shell analysis; `None` when the body is not POSIX shell
    /// (PowerShell, a Python heredoc) or is a CMD/ENTRYPOINT.
    pub script: Option<Script>,
}

#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-case keyword: `FROM`, `RUN`…
    pub keyword: String,
    pub keyword_span: Span,
    pub span: Span,
    /// `None` for ARGs before the first FROM.
    pub stage: Option<usize>,
    /// Inside `ONBUILD`.
    pub onbuild: bool,
    pub flags: Vec<Flag>,
    pub body: Body,
    /// The ordinal of this keyword within its stage, from 1 (for addresses).
    pub ordinal: usize,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn command(&self) -> Option<&Command> {
        match &self.body {
            Body::Command(c) => Some(c),
            Body::Healthcheck { command, .. } => command.as_ref(),
            _ => None,
        }
    }

    pub fn script(&self) -> Option<&Script> {
        match (&self.body, self.keyword.as_str()) {
            (Body::Command(c), "RUN") => c.script.as_ref(),
            _ => None,
        }
    }
}

/// Variables visible at a point of the Dockerfile: `None` values are
/// declared but unknown (an ARG without default, set at build time).
#[derive(Debug, Clone, Default)]
struct Env {
    vars: HashMap<String, Option<String>>,
}

impl Env {
    /// Expand `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}` as the
    /// Dockerfile frontend does. `None` when a variable is unknown.
    fn expand(&self, text: &str, escape: char) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            if c == escape {
                if let Some(&(_, '$')) = chars.peek() {
                    out.push('$');
                    chars.next();
                    continue;
                }
                out.push(c);
                continue;
            }
            if c != '$' {
                out.push(c);
                continue;
            }
            match chars.peek().map(|&(_, n)| n) {
                Some('{') => {
                    chars.next();
                    let mut inner = String::new();
                    let mut depth = 1;
                    for (_, n) in chars.by_ref() {
                        match n {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        inner.push(n);
                    }
                    out.push_str(&self.expand_braced(&inner, escape)?);
                }
                Some(n) if n.is_ascii_alphanumeric() || n == '_' => {
                    let mut name = String::new();
                    while let Some(&(_, n)) = chars.peek() {
                        if n.is_ascii_alphanumeric() || n == '_' {
                            name.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    out.push_str(&self.lookup(&name)?);
                }
                _ => out.push('$'),
            }
        }
        Some(out)
    }

    fn expand_braced(&self, inner: &str, escape: char) -> Option<String> {
        let name_end = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let (name, rest) = inner.split_at(name_end);
        let value = self.vars.get(name);
        let (op, word) = if let Some(w) = rest.strip_prefix(":-") {
            (":-", w)
        } else if let Some(w) = rest.strip_prefix(":+") {
            (":+", w)
        } else if let Some(w) = rest.strip_prefix('-') {
            ("-", w)
        } else if let Some(w) = rest.strip_prefix('+') {
            ("+", w)
        } else if rest.is_empty() {
            ("", "")
        } else {
            // `${X#pattern}`, `${X%pattern}`…: not evaluated.
            return None;
        };
        match (op, value) {
            ("", _) => self.lookup(name),
            (_, Some(None)) => None,
            (":-", Some(Some(v))) if !v.is_empty() => Some(v.clone()),
            ("-", Some(Some(v))) => Some(v.clone()),
            (":-" | "-", _) => self.expand(word, escape),
            (":+", Some(Some(v))) if !v.is_empty() => self.expand(word, escape),
            ("+", Some(Some(_))) => self.expand(word, escape),
            _ => Some(String::new()),
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        match self.vars.get(name) {
            Some(Some(v)) => Some(v.clone()),
            Some(None) => None,
            // Undeclared: Docker substitutes an empty string, but builders
            // often rely on predefined args (TARGETARCH…) or the base
            // image's ENV, which Palisade does not see.
            None => None,
        }
    }
}

/// Parse a Dockerfile.
pub fn parse(file: FileId, text: &str, budget: Duration) -> Result<Dockerfile, ParseFailure> {
    let tree = syntax::parse(Grammar::Dockerfile, text, budget)?;
    let root = tree.root_node();
    let escape = escape_directive(text);
    let mut b = Builder {
        file,
        text,
        escape,
        df: Dockerfile {
            file,
            instructions: Vec::new(),
            stages: Vec::new(),
            escape,
            error: None,
            shell_errors: Vec::new(),
        },
        global: Env::default(),
        env: Env::default(),
        shell: ShellKind::default(),
        ordinals: HashMap::new(),
        budget,
        run_ranges: Vec::new(),
    };
    let mut cursor = root.walk();
    for node in root.named_children(&mut cursor) {
        if node.kind().ends_with("_instruction") {
            b.instruction(node, false);
        }
    }
    b.close_stage();
    b.df.error = instruction_level_error(root, &b.run_ranges);
    Ok(b.df)
}

/// The `# escape=` parser directive (only at the very top of the file).
fn escape_directive(text: &str) -> char {
    for line in text.lines() {
        let l = line.trim();
        let Some(directive) = l.strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = directive.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        if key == "escape" {
            if let Some(c) = value.trim().chars().next() {
                return c;
            }
        } else if key != "syntax" && key != "check" {
            break;
        }
    }
    '\\'
}

/// The first ERROR or MISSING node that is not inside a RUN's shell text
/// (tree-sitter-containerfile mis-parses continuation lines starting with
/// `[`, even splitting the RUN, but the RUN text is taken raw by Docker's
/// line rules, so those errors do not matter).
fn instruction_level_error(root: Node, run_ranges: &[std::ops::Range<usize>]) -> Option<(usize, &'static str)> {
    if !root.has_error() {
        return None;
    }
    let in_run = |n: Node| {
        run_ranges
            .iter()
            .any(|r| n.start_byte() >= r.start && n.end_byte() <= r.end + 2)
    };
    fn visit(node: Node, in_run: &dyn Fn(Node) -> bool) -> Option<(usize, &'static str)> {
        if node.kind() == "shell_command" || ((node.is_error() || node.is_missing()) && in_run(node)) {
            return None;
        }
        if node.is_missing() {
            return Some((node.start_byte(), "missing token"));
        }
        if node.is_error() {
            // Report the narrowest place inside it.
            return syntax::first_error(node).or(Some((node.start_byte(), "unexpected syntax")));
        }
        if !node.has_error() {
            return None;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if let Some(e) = visit(child, in_run) {
                return Some(e);
            }
        }
        None
    }
    visit(root, &in_run)
}

/// Where an instruction that starts at `start` ends by Docker's line rules:
/// a line ending with the escape character continues it; comment and blank
/// lines inside the continuation are skipped.
fn logical_end(text: &str, start: usize, escape: char) -> usize {
    let mut pos = start;
    let mut first = true;
    loop {
        let line_end = text[pos..].find('\n').map(|i| pos + i).unwrap_or(text.len());
        let line = &text[pos..line_end];
        let trimmed = line.trim();
        let skipped = !first && (trimmed.starts_with('#') || trimmed.is_empty());
        first = false;
        if !skipped && !line.trim_end().ends_with(escape) {
            return pos + line.trim_end_matches('\r').len();
        }
        if line_end >= text.len() {
            return text.len();
        }
        pos = line_end + 1;
    }
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    escape: char,
    df: Dockerfile,
    /// ARGs declared before the first FROM.
    global: Env,
    /// Variables of the current stage.
    env: Env,
    shell: ShellKind,
    ordinals: HashMap<String, usize>,
    budget: Duration,
    /// The text of every shell-form RUN without heredocs, by Docker's rules.
    run_ranges: Vec<std::ops::Range<usize>>,
}

impl<'t> Builder<'t> {
    fn span(&self, node: Node) -> Span {
        Span::new(self.file, node.start_byte(), node.end_byte())
    }

    fn raw(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    /// A word from a node: quotes removed, continuations dropped, variables
    /// expanded with the current environment.
    fn word(&self, node: Node) -> Word {
        self.word_with(node, &self.env)
    }

    fn word_with(&self, node: Node, env: &Env) -> Word {
        let raw = self.raw(node);
        let unquoted = self.unquote(node, raw);
        let (text, known) = if node.kind() == "single_quoted_string" {
            (unquoted, true)
        } else {
            match env.expand(&unquoted, self.escape) {
                Some(t) => (t, true),
                None => (unquoted, false),
            }
        };
        Word {
            text,
            known,
            span: self.span(node),
        }
    }

    fn unquote(&self, node: Node, raw: &str) -> String {
        let joined = strip_continuations(raw, self.escape);
        match node.kind() {
            "double_quoted_string" | "single_quoted_string" | "json_string" => {
                if node.kind() == "json_string"
                    && let Ok(s) = serde_json::from_str::<String>(raw)
                {
                    return s;
                }
                let inner = joined
                    .strip_prefix(['"', '\''])
                    .and_then(|s| s.strip_suffix(['"', '\'']))
                    .unwrap_or(&joined);
                if node.kind() == "double_quoted_string" {
                    unescape(inner, self.escape, true)
                } else {
                    inner.to_string()
                }
            }
            _ => unescape_unquoted(&joined, self.escape),
        }
    }

    fn close_stage(&mut self) {
        let end = self.df.instructions.len();
        let Some(stage) = self.df.stages.last_mut() else {
            return;
        };
        stage.instructions.end = end;
        stage.shell = self.shell.clone();
        let mut user = None;
        let mut healthcheck = None;
        for (i, ins) in self.df.instructions[stage.instructions.clone()].iter().enumerate() {
            if ins.onbuild {
                continue;
            }
            match &ins.body {
                Body::User { user: u, .. } => user = Some((u.clone(), stage.instructions.start + i)),
                Body::Healthcheck { .. } => healthcheck = Some(stage.instructions.start + i),
                _ => {}
            }
        }
        let parent = stage.parent;
        let (pu, ph) = match parent.and_then(|p| self.df.stages.get(p)) {
            Some(p) => (p.user.clone(), p.healthcheck),
            None => (None, None),
        };
        let stage = self.df.stages.last_mut().expect("a stage");
        stage.user = user.or(pu);
        stage.healthcheck = healthcheck.or(ph);
    }

    fn instruction(&mut self, node: Node, onbuild: bool) {
        let kind = node.kind().trim_end_matches("_instruction");
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        let Some(kw) = children.first() else { return };
        if kind == "onbuild" {
            // The keyword, then the wrapped instruction.
            if let Some(inner) = children.iter().find(|c| c.kind().ends_with("_instruction")) {
                self.instruction(*inner, true);
            }
            return;
        }
        let keyword = self.raw(*kw).to_ascii_uppercase();
        let keyword_span = self.span(*kw);
        let mut flags = Vec::new();
        for c in &children {
            if c.kind() == "param" || c.kind() == "mount_param" {
                flags.push(self.flag(*c));
            }
        }
        if kind == "from" && !onbuild {
            self.from(node, &children, keyword, keyword_span, flags);
            return;
        }
        let body = match kind {
            "arg" => self.arg(&children),
            "env" => self.env_pairs(&children),
            "label" => Body::Pairs(
                children
                    .iter()
                    .filter(|c| c.kind() == "label_pair")
                    .map(|c| self.pair(*c, "key", "value"))
                    .collect(),
            ),
            "user" => {
                let user = node.child_by_field_name("user").map(|u| self.word(u));
                let group = node.child_by_field_name("group").map(|g| self.word(g));
                match user {
                    Some(user) => Body::User { user, group },
                    None => Body::Other(Vec::new()),
                }
            }
            "expose" => Body::Expose(
                children
                    .iter()
                    .filter(|c| c.kind() == "expose_port")
                    .map(|c| self.word(*c))
                    .collect(),
            ),
            "copy" | "add" => {
                let mut paths: Vec<Word> = Vec::new();
                let mut heredocs = 0;
                for c in &children {
                    match c.kind() {
                        "path" => {
                            let mut pc = c.walk();
                            if c.named_children(&mut pc).any(|n| n.kind() == "heredoc_marker") {
                                heredocs += 1;
                            } else {
                                paths.push(self.word(*c));
                            }
                        }
                        "json_string_array" => {
                            let mut ac = c.walk();
                            paths.extend(
                                c.named_children(&mut ac)
                                    .filter(|s| s.kind() == "json_string")
                                    .map(|s| self.word(s)),
                            );
                        }
                        _ => {}
                    }
                }
                // The last path is the destination (with heredoc sources, even alone).
                let dest = if (heredocs > 0 && !paths.is_empty()) || paths.len() >= 2 {
                    paths.pop()
                } else {
                    None
                };
                Body::Files {
                    sources: paths,
                    dest,
                    heredocs,
                }
            }
            "run" | "cmd" | "entrypoint" => Body::Command(self.command(node, &children, kind == "run")),
            "healthcheck" => {
                let cmd = children.iter().find(|c| c.kind() == "cmd_instruction");
                let none = cmd.is_none()
                    && children
                        .iter()
                        .skip(1)
                        .any(|c| self.raw(*c).eq_ignore_ascii_case("none"));
                let command = cmd.map(|c| {
                    let mut cc = c.walk();
                    let cch: Vec<Node> = c.children(&mut cc).collect();
                    self.command(*c, &cch, false)
                });
                Body::Healthcheck { none, command }
            }
            "shell" => {
                let words: Vec<Word> = json_words(self, &children);
                if !onbuild {
                    self.shell = shell_kind(&words);
                }
                Body::Shell(words)
            }
            _ => Body::Other(
                children
                    .iter()
                    .skip(1)
                    .filter(|c| c.is_named() && c.kind() != "param" && c.kind() != "comment")
                    .map(|c| self.word(*c))
                    .collect(),
            ),
        };
        self.push(keyword, keyword_span, self.span(node), onbuild, flags, body);
    }

    fn push(&mut self, keyword: String, keyword_span: Span, span: Span, onbuild: bool, flags: Vec<Flag>, body: Body) {
        let stage = self.df.stages.len().checked_sub(1);
        let ordinal = self.ordinals.entry(keyword.clone()).or_default();
        *ordinal += 1;
        let ordinal = *ordinal;
        self.df.instructions.push(Instruction {
            keyword,
            keyword_span,
            span,
            stage,
            onbuild,
            flags,
            body,
            ordinal,
        });
    }

    fn flag(&self, node: Node) -> Flag {
        let raw = self.raw(node);
        let after = raw.trim_start_matches('-');
        let name = after.split('=').next().unwrap_or("").to_ascii_lowercase();
        let value = raw.find('=').map(|eq| {
            let start = node.start_byte() + eq + 1;
            let vtext = &raw[eq + 1..];
            let text = match self.env.expand(vtext, self.escape) {
                Some(t) => (t, true),
                None => (vtext.to_string(), false),
            };
            Word {
                text: text.0,
                known: text.1,
                span: Span::new(self.file, start, node.end_byte()),
            }
        });
        Flag {
            name,
            value,
            span: self.span(node),
        }
    }

    fn pair(&self, node: Node, key: &str, value: &str) -> Pair {
        // Keys are never expanded.
        let key = match node.child_by_field_name(key) {
            Some(k) => Word {
                text: self.unquote(k, self.raw(k)),
                known: true,
                span: self.span(k),
            },
            None => Word {
                text: String::new(),
                known: false,
                span: self.span(node),
            },
        };
        Pair {
            key,
            value: node.child_by_field_name(value).map(|v| self.word(v)),
            span: self.span(node),
        }
    }

    fn arg(&mut self, children: &[Node]) -> Body {
        let mut pairs = Vec::new();
        for c in children.iter().filter(|c| c.kind() == "arg_pair") {
            let p = self.pair(*c, "name", "default");
            let name = p.key.text.clone();
            let value = match &p.value {
                Some(v) if v.known => Some(v.text.clone()),
                Some(_) => None,
                None if !self.df.stages.is_empty() => {
                    // `ARG X` in a stage imports the global default.
                    self.global.vars.get(&name).cloned().flatten()
                }
                None => None,
            };
            if self.df.stages.is_empty() {
                self.global.vars.insert(name.clone(), value.clone());
            }
            // An ENV of the same name wins over an ARG.
            if !matches!(self.env.vars.get(&name), Some(Some(_))) || self.df.stages.is_empty() {
                self.env.vars.insert(name, value);
            }
            pairs.push(p);
        }
        Body::Pairs(pairs)
    }

    fn env_pairs(&mut self, children: &[Node]) -> Body {
        let mut pairs = Vec::new();
        for c in children.iter().filter(|c| c.kind() == "env_pair") {
            let p = self.pair(*c, "name", "value");
            pairs.push(p);
        }
        // Every value of one ENV is expanded with the variables before it.
        for p in &pairs {
            let v = p.value.as_ref().filter(|v| v.known).map(|v| v.text.clone());
            self.env
                .vars
                .insert(p.key.text.clone(), v.or_else(|| p.value.is_none().then(String::new)));
        }
        Body::Pairs(pairs)
    }

    fn from(&mut self, node: Node, children: &[Node], keyword: String, keyword_span: Span, flags: Vec<Flag>) {
        self.close_stage();
        let spec = children.iter().find(|c| c.kind() == "image_spec");
        let word = match spec {
            Some(s) => self.word_with(*s, &self.global),
            None => Word {
                text: String::new(),
                known: false,
                span: self.span(node),
            },
        };
        let image = ImageRef::new(word, &self.df.stages);
        let alias = node
            .child_by_field_name("as")
            .map(|a| self.word_with(a, &Env::default()));
        let index = self.df.stages.len();
        let parent = match image.source {
            ImageSource::Stage(i) => Some(i),
            _ => None,
        };
        // A stage starts with the global ARGs declared but not imported,
        // and its parent stage's ENV and shell.
        self.env = match parent {
            Some(_) => self.env_after_stage(parent),
            None => Env::default(),
        };
        self.shell = match parent.and_then(|p| self.df.stages.get(p)) {
            Some(p) => p.shell.clone(),
            None if image.is_windows() || self.escape == '`' => ShellKind::Windows,
            None => ShellKind::default(),
        };
        self.ordinals.clear();
        let from_index = self.df.instructions.len();
        self.df.stages.push(Stage {
            index,
            name: alias.as_ref().map(|a| a.text.clone()),
            from: from_index,
            base: image.clone(),
            parent,
            instructions: from_index..from_index,
            user: None,
            healthcheck: None,
            shell: ShellKind::default(),
        });
        let span = self.span(node);
        self.push(keyword, keyword_span, span, false, flags, Body::From { image, alias });
    }

    /// The ENV of a finished stage, rebuilt from its instructions.
    fn env_after_stage(&self, stage: Option<usize>) -> Env {
        let mut env = Env::default();
        let mut chain = Vec::new();
        let mut cur = stage;
        while let Some(i) = cur {
            if chain.contains(&i) {
                break;
            }
            chain.push(i);
            cur = self.df.stages[i].parent;
        }
        for i in chain.into_iter().rev() {
            let s = &self.df.stages[i];
            for ins in &self.df.instructions[s.instructions.clone()] {
                if ins.keyword == "ENV"
                    && let Body::Pairs(pairs) = &ins.body
                {
                    for p in pairs {
                        env.vars.insert(
                            p.key.text.clone(),
                            p.value.as_ref().filter(|v| v.known).map(|v| v.text.clone()),
                        );
                    }
                }
            }
        }
        env
    }

    fn command(&mut self, node: Node, children: &[Node], is_run: bool) -> Command {
        let span = self.span(node);
        if let Some(arr) = children.iter().find(|c| c.kind() == "json_string_array") {
            let mut ac = arr.walk();
            let argv: Vec<Word> = arr
                .named_children(&mut ac)
                .filter(|s| s.kind() == "json_string")
                .map(|s| self.word_with(s, &Env::default()))
                .collect();
            let script = if is_run && !matches!(self.shell, ShellKind::Windows) {
                Some(self.exec_script(&argv, *arr))
            } else {
                None
            };
            return Command {
                text: Word {
                    text: self.raw(*arr).to_string(),
                    known: true,
                    span: self.span(*arr),
                },
                exec: Some(argv),
                script,
            };
        }
        let shell_node = children.iter().find(|c| c.kind() == "shell_command");
        let heredocs: Vec<Node> = children
            .iter()
            .copied()
            .filter(|c| c.kind() == "heredoc_block")
            .collect();
        // Without heredocs, the body runs from the first node after the
        // keyword and flags to the end of the logical line, whatever
        // tree-sitter made of it (an ERROR node may hold part of it).
        let body_start = children
            .iter()
            .skip(1)
            .find(|c| !matches!(c.kind(), "param" | "mount_param" | "comment" | "line_continuation"))
            .map(|c| c.start_byte());
        let body = match (shell_node, heredocs.last(), body_start) {
            (Some(s), Some(_), _) => Some(s.byte_range()),
            (s, None, Some(start)) if is_run => {
                let end = logical_end(self.text, start, self.escape).max(s.map_or(start, |s| s.end_byte()));
                self.run_ranges.push(start..end);
                Some(start..end)
            }
            (Some(s), None, _) => Some(s.byte_range()),
            _ => None,
        };
        let text_span = match (&body, heredocs.last()) {
            (Some(b), Some(h)) => Span::new(self.file, b.start, h.end_byte()),
            (Some(b), None) => Span::new(self.file, b.start, b.end),
            (None, _) => Span::new(self.file, span.end as usize, span.end as usize),
        };
        let text = Word {
            text: self.text[text_span.range()].to_string(),
            known: true,
            span: text_span,
        };
        let script = match (is_run, &self.shell, body) {
            (true, ShellKind::Posix { .. }, Some(b)) => self.shell_script(b, &heredocs),
            _ => None,
        };
        Command {
            exec: None,
            text,
            script,
        }
    }

    /// The shell text of a shell-form RUN, with heredoc bodies that are
    /// scripts, parsed with tree-sitter-bash.
    fn shell_script(&mut self, body: std::ops::Range<usize>, heredocs: &[Node]) -> Option<Script> {
        let mut st = ShellText::default();
        let body_start = body.start;
        st.push_docker_lines(self.text, body, self.escape);
        if !heredocs.is_empty() {
            // `RUN <<EOT` or `RUN bash <<EOT`: the heredoc is the script.
            // Otherwise (`RUN python3 <<EOF`, `RUN cat <<EOF > f`) it is data
            // for the command and the whole text is the shell's.
            let words: Vec<&str> = st
                .text
                .split_whitespace()
                .filter(|w| !w.starts_with("<<") && !w.starts_with('-'))
                .collect();
            let runs_shell = words.is_empty() || (words.len() == 1 && shell::is_shell_name(words[0]));
            if runs_shell {
                let mut body = ShellText::default();
                for h in heredocs {
                    let mut hc = h.walk();
                    if let Some(content) = h.named_children(&mut hc).find(|c| c.kind() == "heredoc_content") {
                        let raw = self.raw(content);
                        if let Some(first) = raw.lines().next()
                            && first.starts_with("#!")
                            && !first.split(['/', ' ']).any(shell::is_shell_name)
                        {
                            // A script for another interpreter.
                            return None;
                        }
                        body.push(self.text, content.byte_range());
                        body.push_synthetic("\n");
                    }
                }
                st = body;
            } else {
                st.push_synthetic("\n");
                let first = heredocs[0].start_byte();
                let last = heredocs[heredocs.len() - 1].end_byte();
                // Skip the newline that ends the command line.
                let first = if self.text[first..].starts_with("\r\n") {
                    first + 2
                } else if self.text[first..].starts_with('\n') {
                    first + 1
                } else {
                    first
                };
                st.push(self.text, first..last);
                st.push_synthetic("\n");
            }
        }
        let script = shell::analyse(self.file, &st, self.budget);
        if script.parse_error.is_some() {
            self.df.shell_errors.push(body_start);
        }
        Some(script)
    }

    /// Exec form: the argument vector is one command, unless it runs a
    /// shell with `-c`, whose script is analysed.
    fn exec_script(&mut self, argv: &[Word], arr: Node) -> Script {
        if argv.len() >= 3
            && shell::is_shell_name(&argv[0].text)
            && argv[1].text.starts_with('-')
            && argv[1].text.contains('c')
        {
            let node = {
                let mut ac = arr.walk();
                arr.named_children(&mut ac).filter(|s| s.kind() == "json_string").nth(2)
            };
            if let Some(node) = node {
                let mut st = ShellText::default();
                let raw = self.raw(node);
                if raw.contains('\\') {
                    // Escapes shift offsets: map the whole script to the string.
                    st.push_mapped(&argv[2].text, node.start_byte());
                } else {
                    st.push(self.text, node.start_byte() + 1..node.end_byte().saturating_sub(1));
                }
                return shell::analyse(self.file, &st, self.budget);
            }
        }
        Script::from_argv(argv.to_vec(), Span::new(self.file, arr.start_byte(), arr.end_byte()))
    }
}

fn json_words(b: &Builder, children: &[Node]) -> Vec<Word> {
    children
        .iter()
        .filter(|c| c.kind() == "json_string_array")
        .flat_map(|arr| {
            let mut ac = arr.walk();
            arr.named_children(&mut ac)
                .filter(|s| s.kind() == "json_string")
                .map(|s| b.word_with(s, &Env::default()))
                .collect::<Vec<_>>()
        })
        .collect()
}

pub(crate) fn shell_kind(words: &[Word]) -> ShellKind {
    let Some(first) = words.first() else {
        return ShellKind::default();
    };
    let prog = first.text.rsplit(['/', '\\']).next().unwrap_or("").to_ascii_lowercase();
    let prog = prog.trim_end_matches(".exe");
    if prog == "powershell" || prog == "pwsh" || prog == "cmd" {
        return ShellKind::Windows;
    }
    let pipefail = words.windows(2).any(|w| w[0].text == "-o" && w[1].text == "pipefail")
        || words
            .iter()
            .any(|w| w.text.starts_with('-') && w.text.contains("o pipefail"));
    ShellKind::Posix {
        name: first.text.clone(),
        pipefail,
    }
}

/// Remove line continuations (escape + newline) and the comment lines
/// Docker drops inside a continued instruction.
fn strip_continuations(raw: &str, escape: char) -> String {
    if !raw.contains('\n') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    for (i, line) in raw.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if i > 0 && (trimmed.starts_with('#') || trimmed.trim().is_empty()) {
            continue;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        match body.trim_end().strip_suffix(escape) {
            Some(b) => out.push_str(b),
            None => out.push_str(body),
        }
    }
    out
}

/// Remove the escape character from an unquoted word (`a\ b` → `a b`).
fn unescape_unquoted(s: &str, escape: char) -> String {
    unescape(s, escape, false)
}

fn unescape(s: &str, escape: char, in_double_quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == escape && chars.peek().is_none() {
            // An escape at the very end of the file continues the line into nothing.
            break;
        }
        if c == escape
            && let Some(&n) = chars.peek()
        {
            // In double quotes only `"`, `$` and the escape are escaped.
            if !in_double_quotes || n == '"' || n == escape {
                out.push(n);
                chars.next();
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Dockerfile {
        parse(FileId(0), text, Duration::from_secs(5)).expect("parses")
    }

    #[test]
    fn stages_users_and_images() {
        let df = parse_str(
            "ARG BASE=golang:1.22\nFROM ${BASE} AS build\nUSER root\nRUN make\n\
             FROM build AS test\nFROM alpine@sha256:abc\nUSER 1000:1000\n",
        );
        assert_eq!(df.stages.len(), 3);
        let b = &df.stages[0];
        assert_eq!(b.name.as_deref(), Some("build"));
        assert_eq!(b.base.name, "golang");
        assert_eq!(b.base.tag.as_deref(), Some("1.22"));
        assert_eq!(b.user.as_ref().map(|u| u.0.text.as_str()), Some("root"));
        assert_eq!(df.stages[1].parent, Some(0));
        assert_eq!(df.stages[1].user.as_ref().map(|u| u.0.text.as_str()), Some("root"));
        let f = &df.stages[2];
        assert_eq!(f.base.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(f.base.tag, None);
        assert_eq!(f.user.as_ref().map(|u| u.0.text.as_str()), Some("1000"));
        assert_eq!(df.final_lineage(), vec![2]);
    }

    #[test]
    fn registry_ports_are_not_tags() {
        let df = parse_str("FROM localhost:5000/team/app\n");
        assert_eq!(df.stages[0].base.name, "localhost:5000/team/app");
        assert_eq!(df.stages[0].base.tag, None);
    }

    #[test]
    fn expansion() {
        let mut env = Env::default();
        env.vars.insert("A".into(), Some("x".into()));
        env.vars.insert("U".into(), None);
        assert_eq!(env.expand("$A-${A}:${B:-d}", '\\').as_deref(), Some("x-x:d"));
        assert_eq!(env.expand("${A:+set}", '\\').as_deref(), Some("set"));
        assert_eq!(env.expand("$U", '\\'), None);
        assert_eq!(env.expand("\\$A", '\\').as_deref(), Some("$A"));
    }

    #[test]
    fn env_values_and_legacy_form() {
        // Values of one ENV see the variables as they were before it.
        let df = parse_str("FROM a:1\nENV A=1 B=\"two words\" \\\n  C=$A\nENV LEGACY value with spaces\nENV D=$A\n");
        let Body::Pairs(p) = &df.instructions[1].body else {
            panic!()
        };
        assert_eq!(p[1].value.as_ref().unwrap().text, "two words");
        assert!(!p[2].value.as_ref().unwrap().known);
        let Body::Pairs(p) = &df.instructions[2].body else {
            panic!()
        };
        assert_eq!(p[0].value.as_ref().unwrap().text, "value with spaces");
        let Body::Pairs(p) = &df.instructions[3].body else {
            panic!()
        };
        assert_eq!(p[0].value.as_ref().unwrap().text, "1");
    }

    #[test]
    fn windows_files_are_not_analysed_as_bash() {
        let df = parse_str("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN Write-Host `\n  hi\n");
        assert!(df.instructions[1].script().is_none());
        let df = parse_str("FROM alpine:3\nSHELL [\"pwsh\", \"-c\"]\nRUN Get-ChildItem | Where-Object x\n");
        assert!(df.instructions[2].script().is_none());
        assert_eq!(df.stages[0].shell, ShellKind::Windows);
    }

    #[test]
    fn run_split_by_the_bracket_bug_is_taken_whole() {
        let df = parse_str(
            "FROM a:1\nRUN set -eux; \\\n\tfor s in a b; do \\\n\t\td=\"$(echo \"$s\")\"; \\\n\t\t[ -s \"$s\" ]; \\\n\t\t[ ! -e \"$d\" ]; \\\n\t\tsudo ln -s \"$s\" \"$d\"; \\\n\tdone\nUSER app\n",
        );
        assert_eq!(df.error, None);
        assert!(df.shell_errors.is_empty());
        let run = df.instructions.iter().find(|i| i.keyword == "RUN").unwrap();
        let names: Vec<String> = run
            .script()
            .unwrap()
            .commands
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        assert!(
            names.contains(&"sudo".to_string()) || names.contains(&"ln".to_string()),
            "{names:?}"
        );
        assert_eq!(df.instructions.last().unwrap().keyword, "USER");
    }

    #[test]
    fn bracket_continuation_is_recovered() {
        let df = parse_str("FROM a:1\nRUN set -eux; \\\n\tif [ 1 ]; then \\\n\t\t[ -n \"$x\" ]; \\\n\tfi\nUSER app\n");
        assert_eq!(df.error, None);
        assert!(df.shell_errors.is_empty(), "{:?}", df.shell_errors);
        assert_eq!(df.instructions.len(), 3);
    }
}
