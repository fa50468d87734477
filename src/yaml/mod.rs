//! YAML with positions, built on tree-sitter-yaml.
//!
//! The grammar is purely syntactic, so this layer adds what a scanner needs:
//! anchors and aliases resolved per document, `<<` merge keys applied,
//! multi-document streams, and scalar values decoded (quotes, escapes, block
//! scalars dedented and folded) with an offset map from every byte of the
//! value back to the source, so a finding inside a `run:` script points at its
//! exact line and column.
//!
//! Bad input never panics: syntax errors are reported as warnings and what
//! was recovered is kept; nesting deeper than [`MAX_DEPTH`] and alias
//! expansion beyond a budget (a "billion laughs" file) are cut off with a
//! warning.

mod scalar;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tree_sitter::Node as TsNode;

use crate::source::{FileId, Span};
use crate::syntax::{self, Grammar, ParseFailure};
use crate::value::{Entry, Str, Unknown, Val, ValKind};

pub use scalar::{Scalar, Style};

/// Nesting deeper than this is not converted (bounded recursion).
pub const MAX_DEPTH: usize = 128;

/// tree-sitter-yaml's scanner keeps a stack of block indentations and aborts
/// the process (a C assertion) when it holds more than about 250 entries, so
/// files that could get there are refused before parsing. Half of it, since
/// [`block_depth`] is an estimate.
const MAX_BLOCK_DEPTH: usize = 120;

/// Nodes that alias expansion may create per file before it gives up.
const ALIAS_BUDGET: usize = 200_000;

/// A YAML node with its position.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    /// The node's content (after any anchor or tag).
    pub span: Span,
    /// `!reference`, `!!binary`…
    pub tag: Option<Str>,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// An empty value, `~` or `null`.
    Null,
    Scalar(Arc<Scalar>),
    Seq(Vec<Node>),
    Map(Vec<Pair>),
    /// Something that could not be converted: a syntax error, nesting too
    /// deep, an unknown alias. Its value is unknown.
    Invalid(Str),
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub key: Node,
    pub value: Node,
    /// From the key to the end of the value.
    pub span: Span,
}

/// A parsed file: its documents and what went wrong on the way.
#[derive(Debug, Default)]
pub struct Stream {
    pub docs: Vec<Node>,
    /// (byte offset, message) of syntax errors and cut-offs; the rest of the
    /// file was still converted.
    pub warnings: Vec<(usize, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error(transparent)]
    Parse(#[from] ParseFailure),
    #[error("templated YAML ({0}) is not scanned: render the template first and scan the output")]
    Templated(&'static str),
    #[error("block nesting deeper than {0} levels is not parsed (the YAML grammar cannot hold it)")]
    TooDeep(usize),
}

impl Node {
    fn new(kind: NodeKind, span: Span) -> Self {
        Self { kind, span, tag: None }
    }

    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn scalar(&self) -> Option<&Arc<Scalar>> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn pairs(&self) -> &[Pair] {
        match &self.kind {
            NodeKind::Map(p) => p,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(i) => i,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// The pair whose key is `key`.
    pub fn pair(&self, key: &str) -> Option<&Pair> {
        self.pairs().iter().find(|p| p.key.as_str() == Some(key))
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.pair(key).map(|p| &p.value)
    }

    /// A scalar, or every scalar of a sequence (`runs-on: [a, b]`).
    pub fn strings(&self) -> Vec<&str> {
        match &self.kind {
            NodeKind::Scalar(s) => vec![&s.text],
            NodeKind::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The value tree policies see.
    pub fn to_val(&self) -> Val {
        let span = Some(self.span);
        let kind = match &self.kind {
            NodeKind::Null => ValKind::Null,
            NodeKind::Scalar(s) => s.typed(),
            NodeKind::Seq(items) => ValKind::List(items.iter().map(Node::to_val).collect()),
            NodeKind::Map(pairs) => ValKind::Map(
                pairs
                    .iter()
                    .map(|p| Entry {
                        key: p.key.key_text(),
                        key_span: Some(p.span),
                        value: p.value.to_val(),
                    })
                    .collect(),
            ),
            NodeKind::Invalid(why) => ValKind::Unknown(Unknown::Other(why.clone())),
        };
        Val::new(kind, span)
    }

    /// A mapping key as text (non-scalar keys are rare; they get a marker).
    pub fn key_text(&self) -> Str {
        match &self.kind {
            NodeKind::Scalar(s) => Str::from(s.text.as_str()),
            NodeKind::Null => Str::from(""),
            _ => Str::from("<complex key>"),
        }
    }
}

/// Template syntaxes that make a file something other than YAML until it is
/// rendered; checked only when the file does not parse.
fn template_marker(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices("{{") {
        // `${{ … }}` is a GitHub Actions expression, which is plain YAML text.
        if i > 0 && bytes[i - 1] == b'$' {
            continue;
        }
        return Some("Helm or Go template `{{ }}`");
    }
    for (i, _) in text.match_indices("%{") {
        let rest = text[i + 2..].trim_start_matches(['~', ' ']);
        if ["if ", "for ", "endif", "endfor", "else"]
            .iter()
            .any(|k| rest.starts_with(k))
        {
            return Some("Terraform template directive `%{ }`");
        }
    }
    None
}

/// Parse a YAML file.
pub fn parse(file: FileId, text: &str, budget: Duration) -> Result<Stream, YamlError> {
    if block_depth(text) > MAX_BLOCK_DEPTH {
        return Err(YamlError::TooDeep(MAX_BLOCK_DEPTH));
    }
    let tree = syntax::parse(Grammar::Yaml, text, budget)?;
    let root = tree.root_node();
    let mut cx = Builder {
        file,
        text,
        anchors: HashMap::new(),
        stream: Stream::default(),
        alias_budget: ALIAS_BUDGET,
        deep_warned: false,
    };
    if root.has_error() {
        if let Some(what) = template_marker(text) {
            return Err(YamlError::Templated(what));
        }
        if let Some((offset, what)) = syntax::first_error(root) {
            cx.stream.warnings.push((
                offset,
                format!("{what}: the file is not valid YAML; what could be recovered was scanned"),
            ));
        }
    }
    let mut cursor = root.walk();
    let documents: Vec<TsNode> = if root.kind() == "stream" {
        root.named_children(&mut cursor).collect()
    } else {
        vec![root]
    };
    for doc in documents {
        match doc.kind() {
            "document" => {
                cx.anchors.clear();
                let mut c = doc.walk();
                let content = doc
                    .named_children(&mut c)
                    .find(|n| matches!(n.kind(), "block_node" | "flow_node"));
                let node = match content {
                    Some(n) => cx.node(n, 0),
                    None => Node::new(NodeKind::Null, cx.span(doc)),
                };
                cx.stream.docs.push(node);
            }
            "ERROR" => {
                // A top-level error: keep the mappings found inside it.
                let node = cx.recover(doc, 0);
                if !node.pairs().is_empty() || !node.items().is_empty() {
                    cx.stream.docs.push(node);
                }
            }
            _ => {}
        }
    }
    Ok(cx.stream)
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    anchors: HashMap<String, Node>,
    stream: Stream,
    alias_budget: usize,
    deep_warned: bool,
}

impl<'t> Builder<'t> {
    fn span(&self, n: TsNode) -> Span {
        Span::new(self.file, n.start_byte(), n.end_byte())
    }

    fn src(&self, n: TsNode) -> &'t str {
        &self.text[n.start_byte()..n.end_byte()]
    }

    fn invalid(&self, n: TsNode, why: &str) -> Node {
        Node::new(NodeKind::Invalid(Str::from(why)), self.span(n))
    }

    /// Convert a `block_node`, `flow_node` or their content.
    fn node(&mut self, n: TsNode, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            if !self.deep_warned {
                self.deep_warned = true;
                self.stream.warnings.push((
                    n.start_byte(),
                    format!("nesting deeper than {MAX_DEPTH} levels is not scanned"),
                ));
            }
            return self.invalid(n, "nested too deeply to scan");
        }
        match n.kind() {
            "block_node" | "flow_node" => {
                let mut anchor = None;
                let mut tag = None;
                let mut content = None;
                let mut c = n.walk();
                for child in n.named_children(&mut c) {
                    match child.kind() {
                        "anchor" => anchor = Some(self.src(child).trim_start_matches('&').to_string()),
                        "tag" => tag = Some(Str::from(self.src(child))),
                        "comment" => {}
                        _ if content.is_none() => content = Some(child),
                        _ => {}
                    }
                }
                let mut node = match content {
                    // only collections count towards the depth
                    Some(c) => self.node(c, depth),
                    None => Node::new(NodeKind::Null, Span::new(self.file, n.end_byte(), n.end_byte())),
                };
                if tag.is_some() {
                    node.tag = tag;
                }
                if let Some(name) = anchor {
                    self.anchors.insert(name, node.clone());
                }
                node
            }
            "alias" => {
                let name = self.src(n).trim_start_matches('*');
                match self.anchors.get(name) {
                    Some(target) => {
                        let size = count_nodes(target, self.alias_budget + 1);
                        if size > self.alias_budget {
                            self.stream.warnings.push((
                                n.start_byte(),
                                "alias expansion is too large to scan (a recursive or exponential alias)".into(),
                            ));
                            self.alias_budget = 0;
                            return self.invalid(n, "alias expansion too large");
                        }
                        self.alias_budget -= size;
                        target.clone()
                    }
                    None => {
                        self.stream
                            .warnings
                            .push((n.start_byte(), format!("alias `*{name}` refers to no anchor")));
                        self.invalid(n, "alias to an unknown anchor")
                    }
                }
            }
            "plain_scalar" | "single_quote_scalar" | "double_quote_scalar" | "block_scalar" => {
                let span = self.span(n);
                let scalar = scalar::decode(self.text, n, span);
                if scalar.style == Style::Plain && matches!(scalar.text.as_str(), "~" | "null" | "Null" | "NULL") {
                    return Node::new(NodeKind::Null, span);
                }
                Node::new(NodeKind::Scalar(Arc::new(scalar)), span)
            }
            "block_mapping" | "flow_mapping" => {
                let mut pairs = Vec::new();
                let mut c = n.walk();
                let children: Vec<TsNode> = n.named_children(&mut c).collect();
                for child in children {
                    match child.kind() {
                        "block_mapping_pair" | "flow_pair" => pairs.push(self.pair(child, depth + 1)),
                        // `{a, b}`: keys with null values
                        "flow_node" => {
                            let key = self.node(child, depth + 1);
                            let end = key.span;
                            pairs.push(Pair {
                                key,
                                value: Node::new(NodeKind::Null, end),
                                span: end,
                            });
                        }
                        "ERROR" => {
                            let r = self.recover(child, depth + 1);
                            if let NodeKind::Map(more) = r.kind {
                                pairs.extend(more);
                            }
                        }
                        _ => {}
                    }
                }
                Node::new(NodeKind::Map(merge_keys(pairs)), self.span(n))
            }
            "block_sequence" | "flow_sequence" => {
                let mut items = Vec::new();
                let mut c = n.walk();
                let children: Vec<TsNode> = n.named_children(&mut c).collect();
                for child in children {
                    match child.kind() {
                        "block_sequence_item" => {
                            let mut c2 = child.walk();
                            let inner = child
                                .named_children(&mut c2)
                                .find(|x| matches!(x.kind(), "block_node" | "flow_node"));
                            items.push(match inner {
                                Some(i) => self.node(i, depth + 1),
                                None => Node::new(NodeKind::Null, self.span(child)),
                            });
                        }
                        "flow_node" => items.push(self.node(child, depth + 1)),
                        // `[a: b]`: a single-pair mapping
                        "flow_pair" => {
                            let p = self.pair(child, depth + 1);
                            let span = p.span;
                            items.push(Node::new(NodeKind::Map(vec![p]), span));
                        }
                        _ => {}
                    }
                }
                Node::new(NodeKind::Seq(items), self.span(n))
            }
            "ERROR" => self.recover(n, depth),
            _ => self.invalid(n, "unsupported YAML syntax"),
        }
    }

    fn pair(&mut self, n: TsNode, depth: usize) -> Pair {
        let key = n.child_by_field_name("key");
        let value = n.child_by_field_name("value");
        let key = match key {
            Some(k) => self.node(k, depth),
            None => Node::new(NodeKind::Null, Span::new(self.file, n.start_byte(), n.start_byte())),
        };
        let value = match value {
            Some(v) => self.node(v, depth),
            None => Node::new(NodeKind::Null, Span::new(self.file, n.end_byte(), n.end_byte())),
        };
        Pair {
            key,
            value,
            span: self.span(n),
        }
    }

    /// Keep the mapping pairs (or sequence items) found inside an ERROR node.
    fn recover(&mut self, n: TsNode, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            return self.invalid(n, "nested too deeply to scan");
        }
        let mut pairs = Vec::new();
        let mut items = Vec::new();
        let mut c = n.walk();
        let children: Vec<TsNode> = n.named_children(&mut c).collect();
        for child in children {
            match child.kind() {
                "block_mapping_pair" | "flow_pair" => pairs.push(self.pair(child, depth + 1)),
                "block_node" | "flow_node" => {
                    let node = self.node(child, depth + 1);
                    match node.kind {
                        NodeKind::Map(more) => pairs.extend(more),
                        _ => items.push(node),
                    }
                }
                "block_sequence_item" => {
                    let mut c2 = child.walk();
                    if let Some(i) = child
                        .named_children(&mut c2)
                        .find(|x| matches!(x.kind(), "block_node" | "flow_node"))
                    {
                        items.push(self.node(i, depth + 1));
                    }
                }
                "ERROR" => {
                    let r = self.recover(child, depth + 1);
                    match r.kind {
                        NodeKind::Map(more) => pairs.extend(more),
                        NodeKind::Seq(more) => items.extend(more),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if !pairs.is_empty() {
            Node::new(NodeKind::Map(merge_keys(pairs)), self.span(n))
        } else if !items.is_empty() {
            Node::new(NodeKind::Seq(items), self.span(n))
        } else {
            self.invalid(n, "a YAML syntax error")
        }
    }
}

/// An over-estimate of the block indentation stack the grammar's scanner
/// builds: the distinct increasing indentations along the current nesting,
/// plus compact nested sequences (`- - - a`) on one line.
fn block_depth(text: &str) -> usize {
    let mut stack: Vec<usize> = Vec::new();
    let mut deepest = 0;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let rest = &line[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        while stack.last().is_some_and(|&top| top > indent) {
            stack.pop();
        }
        if stack.last() != Some(&indent) {
            stack.push(indent);
        }
        let mut col = indent;
        let mut r = rest;
        while let Some(after) = r.strip_prefix("- ").or_else(|| r.strip_prefix("? ")) {
            let trimmed = after.trim_start_matches(' ');
            col += r.len() - trimmed.len();
            r = trimmed;
            stack.push(col);
        }
        deepest = deepest.max(stack.len());
        // compact entries live only on their line
        while stack.last().is_some_and(|&top| top > indent) {
            stack.pop();
        }
    }
    deepest
}

/// Count nodes up to `limit` (iteratively: a deep tree must not overflow the stack).
fn count_nodes(node: &Node, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        if count > limit {
            break;
        }
        match &n.kind {
            NodeKind::Seq(items) => stack.extend(items),
            NodeKind::Map(pairs) => stack.extend(pairs.iter().flat_map(|p| [&p.key, &p.value])),
            _ => {}
        }
    }
    count
}

/// Apply `<<` merge keys: the pairs of the merged mapping(s) are added where
/// the mapping does not set the key itself; with a list, earlier mappings win.
fn merge_keys(pairs: Vec<Pair>) -> Vec<Pair> {
    let is_merge = |p: &Pair| p.key.as_str() == Some("<<") && p.key.scalar().is_some_and(|s| s.style == Style::Plain);
    if !pairs.iter().any(is_merge) {
        return pairs;
    }
    let (merges, mut own): (Vec<Pair>, Vec<Pair>) = pairs.into_iter().partition(is_merge);
    for m in merges {
        let sources: Vec<Node> = match m.value.kind {
            NodeKind::Map(_) => vec![m.value],
            NodeKind::Seq(items) => items,
            _ => Vec::new(),
        };
        for source in sources {
            if let NodeKind::Map(inherited) = source.kind {
                for p in inherited {
                    let key = p.key.as_str().map(str::to_string);
                    if !own.iter().any(|o| o.key.as_str().map(str::to_string) == key) {
                        own.push(p);
                    }
                }
            }
        }
    }
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Stream {
        parse(FileId(0), text, Duration::from_secs(10)).expect("parses")
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn mappings_sequences_and_positions() {
        let text = "on: push\njobs:\n  build:\n    runs-on: [ubuntu-latest, self-hosted]\n";
        let s = parse_str(text);
        assert!(s.warnings.is_empty());
        let doc = &s.docs[0];
        assert_eq!(doc.get("on").unwrap().as_str(), Some("push"));
        let runs_on = doc.get("jobs").unwrap().get("build").unwrap().get("runs-on").unwrap();
        assert_eq!(runs_on.strings(), vec!["ubuntu-latest", "self-hosted"]);
        assert_eq!(slice(text, runs_on.items()[1].span), "self-hosted");
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "\
.base: &base
  image: alpine:3
  script: [echo base]
job:
  <<: *base
  script: [echo job]
other: *base
";
        let s = parse_str(text);
        let doc = &s.docs[0];
        let job = doc.get("job").unwrap();
        assert_eq!(job.get("image").unwrap().as_str(), Some("alpine:3"));
        assert_eq!(job.get("script").unwrap().strings(), vec!["echo job"]);
        assert!(job.get("<<").is_none());
        // merged values point where they are written
        assert_eq!(slice(text, job.get("image").unwrap().span), "alpine:3");
        assert_eq!(
            doc.get("other").unwrap().get("image").unwrap().as_str(),
            Some("alpine:3")
        );
    }

    #[test]
    fn merge_key_list_earlier_wins() {
        let text = "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n";
        let doc = &parse_str(text).docs[0];
        let c = doc.get("c").unwrap();
        assert_eq!(c.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(c.get("y").unwrap().as_str(), Some("2"));
    }

    #[test]
    fn multi_document_streams_have_their_own_anchors() {
        let text = "a: &x 1\n---\nb: *x\n...\n---\nc: 3\n";
        let s = parse_str(text);
        assert_eq!(s.docs.len(), 3);
        assert!(matches!(s.docs[1].get("b").unwrap().kind, NodeKind::Invalid(_)));
        assert_eq!(s.docs[2].get("c").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn block_scalar_positions_map_back_to_the_source() {
        let text = "steps:\n  - run: |\n      echo one\n      echo \"${{ github.event.issue.title }}\"\n";
        let s = parse_str(text);
        let run = s.docs[0].get("steps").unwrap().items()[0].get("run").unwrap();
        let scalar = run.scalar().unwrap();
        assert_eq!(scalar.text, "echo one\necho \"${{ github.event.issue.title }}\"\n");
        let at = scalar.text.find("${{").unwrap();
        let span = scalar.source_span(at..at + 3);
        assert_eq!(&text[span.range()], "${{");
        let line_start = text[..span.start as usize].rfind('\n').unwrap() + 1;
        assert_eq!(span.start as usize - line_start, 12);
    }

    #[test]
    fn quoted_and_folded_scalars() {
        let text =
            "a: \"x\\ty \\\"q\\\" \\u00e9\"\nb: 'it''s'\nc: >-\n  one\n  two\n\n  three\nd: plain\n  continued\n";
        let doc = &parse_str(text).docs[0];
        assert_eq!(doc.get("a").unwrap().as_str(), Some("x\ty \"q\" é"));
        assert_eq!(doc.get("b").unwrap().as_str(), Some("it's"));
        assert_eq!(doc.get("c").unwrap().as_str(), Some("one two\nthree"));
        assert_eq!(doc.get("d").unwrap().as_str(), Some("plain continued"));
        let a = doc.get("a").unwrap().scalar().unwrap();
        let q = a.text.find('q').unwrap();
        assert_eq!(&text[a.source_span(q..q + 1).range()], "q");
    }

    #[test]
    fn typed_scalars() {
        let doc = &parse_str("a: true\nb: 3\nc: '3'\nd: ~\ne:\nf: on\n").docs[0];
        let v = doc.to_val();
        assert_eq!(v.get("a").unwrap().kind, ValKind::Bool(true));
        assert_eq!(v.get("b").unwrap().kind, ValKind::Number(3.0));
        assert_eq!(v.get("c").unwrap().as_str(), Some("3"));
        assert!(v.get("d").unwrap().is_null());
        assert!(v.get("e").unwrap().is_null());
        assert_eq!(v.get("f").unwrap().as_str(), Some("on"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        for text in [
            "[".repeat(10_000),
            format!("a: {}1{}", "[".repeat(10_000), "]".repeat(10_000)),
        ] {
            let s = parse(FileId(0), &text, Duration::from_secs(30)).expect("parses");
            drop(s);
        }
        let mut text = String::new();
        for i in 0..2_000 {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        assert!(matches!(
            parse(FileId(0), &text, Duration::from_secs(5)),
            Err(YamlError::TooDeep(_))
        ));
        let compact = "- ".repeat(300) + "a\n";
        assert!(matches!(
            parse(FileId(0), &compact, Duration::from_secs(5)),
            Err(YamlError::TooDeep(_))
        ));
        // deep, but within what the grammar holds: converted up to MAX_DEPTH
        let mut text = String::new();
        for i in 0..100 {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        assert!(parse_str(&text).warnings.is_empty());
        let flow = format!("a: {}1{}", "[".repeat(300), "]".repeat(300));
        let s = parse_str(&flow);
        assert!(s.warnings.iter().any(|(_, w)| w.contains("nesting")));
    }

    #[test]
    fn billion_laughs_is_cut_off() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            text.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        let s = parse_str(&text);
        assert!(s.warnings.iter().any(|(_, w)| w.contains("too large")));
    }

    #[test]
    fn templated_yaml_is_detected() {
        let helm = "apiVersion: v1\n{{- if .Values.x }}\nkind: {{ .Values.kind }}\n{{- end }}\n";
        assert!(matches!(
            parse(FileId(0), helm, Duration::from_secs(5)),
            Err(YamlError::Templated(_))
        ));
        // GitHub expressions are not templates
        let gh = "run: echo ${{ github.sha }}\n";
        assert!(parse(FileId(0), gh, Duration::from_secs(5)).is_ok());
    }

    #[test]
    fn syntax_errors_keep_what_was_recovered() {
        let text = "a: 1\nb: [1, 2\nc: 3\n";
        let s = parse_str(text);
        assert!(!s.warnings.is_empty());
    }
}
