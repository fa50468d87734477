//! Shell analysis of RUN bodies with tree-sitter-bash.
//!
//! The text given to bash is assembled from pieces of the Dockerfile
//! ([`ShellText`]): continuations are joined and comment lines dropped as
//! Docker does, and every byte keeps a map back to its place in the file, so
//! a finding can point at one flag of one command.

use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

use tree_sitter::Node;

use super::parse::Word;
use crate::source::{FileId, Span};
use crate::syntax::{self, Grammar};

/// Shell text with a map from its offsets to file offsets.
#[derive(Debug, Clone, Default)]
pub struct ShellText {
    pub text: String,
    /// (offset in `text`, file offset, whether the piece maps to one point).
    segments: Vec<(usize, usize, bool)>,
}

impl ShellText {
    /// Append `src[range]` verbatim.
    pub fn push(&mut self, src: &str, range: Range<usize>) {
        self.segments.push((self.text.len(), range.start, false));
        self.text.push_str(&src[range]);
    }

    /// Append text that maps to a single file offset (a decoded string).
    pub fn push_mapped(&mut self, s: &str, file_offset: usize) {
        self.segments.push((self.text.len(), file_offset, true));
        self.text.push_str(s);
    }

    /// Append text that is in no file (a joining space or newline); it maps
    /// to where the previous piece ended.
    pub fn push_synthetic(&mut self, s: &str) {
        let at = self.map(self.text.len());
        self.push_mapped(s, at);
    }

    /// Append a Dockerfile instruction's text the way Docker hands it to
    /// the shell: `escape` + newline joins lines, comment lines and blank
    /// lines inside the continuation are dropped.
    pub fn push_docker_lines(&mut self, src: &str, range: Range<usize>, escape: char) {
        let mut offset = range.start;
        let piece = &src[range.clone()];
        let mut lines = piece.split_inclusive('\n').peekable();
        let mut first = true;
        while let Some(line) = lines.next() {
            let start = offset;
            offset += line.len();
            let trimmed = line.trim();
            if !first && (trimmed.starts_with('#') || trimmed.is_empty()) {
                continue;
            }
            first = false;
            let body = line.trim_end_matches(['\n', '\r']);
            let kept = body.trim_end();
            if let Some(content) = kept.strip_suffix(escape) {
                self.push(src, start..start + content.len());
                self.push_synthetic(" ");
            } else {
                self.push(src, start..start + body.len());
                if lines.peek().is_some() {
                    self.push_synthetic("\n");
                }
            }
        }
    }

    /// The file offset of an offset of the text.
    pub fn map(&self, offset: usize) -> usize {
        let i = self.segments.partition_point(|s| s.0 <= offset);
        match i.checked_sub(1).map(|i| self.segments[i]) {
            Some((shell, file, false)) => file + (offset - shell),
            Some((_, file, true)) => file,
            None => 0,
        }
    }

    /// The file span of a range of the text.
    pub fn span(&self, file: FileId, range: Range<usize>) -> Span {
        let start = self.map(range.start);
        let end = if range.end > range.start {
            self.map(range.end - 1) + 1
        } else {
            start
        };
        Span::new(file, start, end.max(start))
    }
}

/// One simple command of a script: `DEBIAN_FRONTEND=x apt-get install -y curl`.
#[derive(Debug, Clone)]
pub struct ShCommand {
    /// The command name and its arguments.
    pub argv: Vec<Word>,
    /// `NAME=value` prefixes.
    pub assignments: Vec<Word>,
    pub span: Span,
    /// Index into [`Script::pipelines`] when the command is part of a pipeline.
    pub pipeline: Option<usize>,
    /// Where [`ShCommand::program`] starts in `argv`, and its
    /// [`ShCommand::name`]: found on first use and kept, as every Dockerfile
    /// check asks for them.
    program_start: OnceLock<usize>,
    name: OnceLock<String>,
}

/// Wrappers that run the next word as the program.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "nice", "nohup", "time", "exec", "command", "doas", "stdbuf",
];

impl ShCommand {
    /// The program and its arguments, past wrappers such as `sudo -E` or
    /// `env A=b`.
    pub fn program(&self) -> &[Word] {
        let start = *self.program_start.get_or_init(|| self.skip_wrappers());
        &self.argv[start..]
    }

    /// The index of the program's word in `argv`, past wrappers.
    fn skip_wrappers(&self) -> usize {
        let mut i = 0;
        while i < self.argv.len() {
            let name = base_name(&self.argv[i].text);
            if !WRAPPERS.contains(&name) {
                break;
            }
            i += 1;
            // Options of the wrapper (and their values) and env assignments.
            while i < self.argv.len() {
                let w = &self.argv[i].text;
                if w == "--" {
                    i += 1;
                    break;
                }
                if w.starts_with('-') {
                    i += 1;
                    if matches!(name, "sudo" | "doas") && matches!(w.as_str(), "-u" | "-g" | "-C" | "-p" | "-h")
                        || name == "nice" && w == "-n"
                        || name == "env" && w == "-u"
                    {
                        i += 1;
                    }
                    continue;
                }
                if name == "env" && w.contains('=') {
                    i += 1;
                    continue;
                }
                break;
            }
        }
        i.min(self.argv.len())
    }

    /// The program's base name (`/usr/bin/apt-get` → `apt-get`), lower case.
    pub fn name(&self) -> &str {
        self.name.get_or_init(|| {
            self.program()
                .first()
                .map_or(String::new(), |w| base_name(&w.text).to_ascii_lowercase())
        })
    }

    /// The arguments after the program.
    pub fn args(&self) -> &[Word] {
        let p = self.program();
        if p.is_empty() { p } else { &p[1..] }
    }
}

pub fn base_name(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Whether a program name is a POSIX-like shell.
pub fn is_shell_name(s: &str) -> bool {
    matches!(base_name(s), "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh")
}

/// The commands of a RUN body.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<ShCommand>,
    /// Commands (indexes) of each pipeline of two or more commands.
    pub pipelines: Vec<Vec<usize>>,
    /// Index of the first command that turns `pipefail` on.
    pub pipefail_from: Option<usize>,
    /// Where bash saw a syntax error (the analysis covers what was recovered).
    pub parse_error: Option<Span>,
}

impl Script {
    /// An exec-form argument vector: one command.
    pub fn from_argv(argv: Vec<Word>, span: Span) -> Self {
        Self {
            commands: vec![ShCommand {
                argv,
                assignments: Vec::new(),
                span,
                pipeline: None,
                program_start: OnceLock::new(),
                name: OnceLock::new(),
            }],
            ..Default::default()
        }
    }
}

/// Parse a shell text and collect its commands.
pub fn analyse(file: FileId, st: &ShellText, budget: Duration) -> Script {
    let mut script = Script::default();
    let tree = match syntax::parse(Grammar::Bash, &st.text, budget) {
        Ok(t) => t,
        Err(_) => {
            script.parse_error = Some(st.span(file, 0..st.text.len()));
            return script;
        }
    };
    let root = tree.root_node();
    if let Some((offset, _)) = syntax::first_error(root) {
        script.parse_error = Some(st.span(file, offset..offset + 1));
    }
    let mut w = Walker {
        file,
        st,
        script: &mut script,
    };
    w.visit(root, None);
    script
}

struct Walker<'a> {
    file: FileId,
    st: &'a ShellText,
    script: &'a mut Script,
}

impl Walker<'_> {
    fn raw(&self, node: Node) -> &str {
        &self.st.text[node.byte_range()]
    }

    fn span(&self, node: Node) -> Span {
        self.st.span(self.file, node.byte_range())
    }

    fn visit(&mut self, node: Node, pipeline: Option<usize>) {
        match node.kind() {
            "command" => {
                self.command(node, pipeline);
                // Commands inside arguments: `$(curl …)`.
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    if child.kind() != "command_name" {
                        self.visit_substitutions(child);
                    }
                }
            }
            "declaration_command" => {
                let mut c = node.walk();
                let mut argv = Vec::new();
                for (i, child) in node.children(&mut c).enumerate() {
                    if i == 0 || child.is_named() {
                        argv.push(self.word(child));
                    }
                }
                self.push(argv, Vec::new(), node, pipeline);
            }
            "pipeline" => {
                let id = self.script.pipelines.len();
                self.script.pipelines.push(Vec::new());
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.visit(child, Some(id));
                }
            }
            _ => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.visit(child, pipeline);
                }
            }
        }
    }

    fn visit_substitutions(&mut self, node: Node) {
        if matches!(node.kind(), "command_substitution" | "process_substitution") {
            self.visit(node, None);
            return;
        }
        let mut c = node.walk();
        for child in node.named_children(&mut c) {
            self.visit_substitutions(child);
        }
    }

    fn command(&mut self, node: Node, pipeline: Option<usize>) {
        let mut argv = Vec::new();
        let mut assignments = Vec::new();
        for i in 0..node.child_count() {
            let Some(child) = node.child(i) else { continue };
            match node.field_name_for_child(i) {
                Some("name") => {
                    let inner = child.named_child(0).unwrap_or(child);
                    argv.insert(0, self.word(inner));
                }
                Some("argument") => argv.push(self.word(child)),
                _ if child.kind() == "variable_assignment" => assignments.push(self.word(child)),
                _ => {}
            }
        }
        if argv.is_empty() {
            return;
        }
        self.push(argv, assignments, node, pipeline);
    }

    fn push(&mut self, argv: Vec<Word>, assignments: Vec<Word>, node: Node, pipeline: Option<usize>) {
        let index = self.script.commands.len();
        let cmd = ShCommand {
            argv,
            assignments,
            span: self.span(node),
            pipeline,
            program_start: OnceLock::new(),
            name: OnceLock::new(),
        };
        if self.script.pipefail_from.is_none() && sets_pipefail(&cmd) {
            self.script.pipefail_from = Some(index);
        }
        if let Some(p) = pipeline {
            self.script.pipelines[p].push(index);
        }
        self.script.commands.push(cmd);
    }

    fn word(&self, node: Node) -> Word {
        let (text, known) = self.unquote(node);
        Word {
            text,
            known,
            span: self.span(node),
        }
    }

    fn unquote(&self, node: Node) -> (String, bool) {
        let raw = self.raw(node);
        match node.kind() {
            "word" | "command_name" => (unescape(raw), true),
            "raw_string" => (raw.trim_start_matches('\'').trim_end_matches('\'').to_string(), true),
            "ansi_c_string" => (
                raw.strip_prefix("$'")
                    .and_then(|s| s.strip_suffix('\''))
                    .unwrap_or(raw)
                    .to_string(),
                true,
            ),
            "string" => {
                let mut c = node.walk();
                let known = !node
                    .named_children(&mut c)
                    .any(|n| !matches!(n.kind(), "string_content"));
                let inner = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(raw);
                (unescape_double(inner), known)
            }
            "concatenation" | "variable_assignment" => {
                let mut text = String::new();
                let mut known = true;
                let mut last = node.start_byte();
                let mut c = node.walk();
                for child in node.children(&mut c) {
                    // Keep what lies between children (`=` of an assignment).
                    text.push_str(&self.st.text[last..child.start_byte()]);
                    let (t, k) = self.unquote(child);
                    text.push_str(&t);
                    known &= k;
                    last = child.end_byte();
                }
                text.push_str(&self.st.text[last..node.end_byte()]);
                (text, known)
            }
            "simple_expansion"
            | "expansion"
            | "command_substitution"
            | "arithmetic_expansion"
            | "process_substitution" => (raw.to_string(), false),
            _ => (raw.to_string(), true),
        }
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
            && matches!(n, '"' | '\\' | '$' | '`')
        {
            out.push(n);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// `set -o pipefail`, `set -euxo pipefail`, `set -eo pipefail`.
fn sets_pipefail(cmd: &ShCommand) -> bool {
    // Not `name()`: that keeps a lowered copy, and this runs on every
    // command as it is parsed.
    let program = cmd.program().first().map_or("", |w| base_name(&w.text));
    if !program.eq_ignore_ascii_case("set") {
        return false;
    }
    let args = cmd.args();
    args.windows(2).any(|w| {
        w[0].text.starts_with('-')
            && !w[0].text.starts_with("--")
            && w[0].text.ends_with('o')
            && w[1].text == "pipefail"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(src: &str) -> Script {
        let mut st = ShellText::default();
        st.push_docker_lines(src, 0..src.len(), '\\');
        analyse(FileId(0), &st, Duration::from_secs(5))
    }

    #[test]
    fn continuation_and_comments_are_joined_with_positions_kept() {
        let src = "apt-get update \\\n# a comment\n\n    && apt-get install -y curl";
        let s = script(src);
        assert!(s.parse_error.is_none());
        assert_eq!(s.commands.len(), 2);
        let install = &s.commands[1];
        assert_eq!(install.name(), "apt-get");
        let y = &install.args()[1];
        assert_eq!(y.text, "-y");
        assert_eq!(&src[y.span.range()], "-y");
    }

    #[test]
    fn pipelines_wrappers_and_quotes() {
        let s = script("set -eux; sudo -E env A=1 curl -fsSL 'https://x' | bash -s -- \"a b\"");
        assert_eq!(s.pipelines, vec![vec![1, 2]]);
        assert_eq!(s.commands[1].name(), "curl");
        assert_eq!(s.commands[1].args()[1].text, "https://x");
        assert_eq!(s.commands[2].args()[2].text, "a b");
        assert_eq!(s.pipefail_from, None);
        let s = script("set -euxo pipefail; a | b");
        assert_eq!(s.pipefail_from, Some(0));
    }

    #[test]
    fn substitutions_are_visited() {
        let s = script("X=\"$(curl -k https://x)\" && echo $X");
        assert!(s.commands.iter().any(|c| c.name() == "curl"));
    }
}
