//! tree-sitter-hcl concrete syntax tree → [`Body`].
//!
//! Two grammar quirks shape this file (see `design/rust-deps.md`): whitespace
//! next to `${…}` / `%{…}` belongs to no node, so template literals are sliced
//! from the source between nodes; and `<<-` heredocs are not dedented by the
//! grammar, so the common indentation is removed here.

use std::sync::Arc;
use std::time::Duration;

use tree_sitter::Node;

use super::comments::scan_comments;
use super::*;
use crate::source::FileId;
use crate::syntax::{self, Grammar, ParseFailure};

/// The result of parsing one HCL file.
#[derive(Debug)]
pub struct ParsedHcl {
    pub body: Body,
    pub comments: Vec<Comment>,
    /// First syntax error: byte offset and a short description.
    pub error: Option<(usize, &'static str)>,
}

/// Parse HCL source into a [`Body`]. Syntax errors are recovered locally and
/// the first one is reported in [`ParsedHcl::error`].
///
/// The fast front end (hcl-edit) reads most files; tree-sitter reads the
/// rest (any syntax error, duplicate keys, constructs the fast path leaves
/// to it), and both give the same model.
pub fn parse_hcl(file: FileId, text: &str, budget: Duration) -> Result<ParsedHcl, ParseFailure> {
    match parse_hcl_fast(file, text) {
        Some(parsed) => Ok(parsed),
        None => parse_hcl_tree_sitter(file, text, budget),
    }
}

/// The fast front end alone: `None` when it leaves the file to tree-sitter.
pub fn parse_hcl_fast(file: FileId, text: &str) -> Option<ParsedHcl> {
    Some(ParsedHcl {
        body: super::fast::parse_fast(file, text)?,
        comments: scan_comments(file, text),
        error: None,
    })
}

/// The tree-sitter front end alone, which recovers from syntax errors.
pub fn parse_hcl_tree_sitter(file: FileId, text: &str, budget: Duration) -> Result<ParsedHcl, ParseFailure> {
    let tree = syntax::parse(Grammar::Hcl, text, budget)?;
    let root = tree.root_node();
    let mut cx = Cx { file, src: text };
    let mut body = Body::default();
    let mut cursor = root.walk();
    for child in root.named_children(&mut cursor) {
        if child.kind() == "body" {
            body = cx.body(child);
        }
    }
    Ok(ParsedHcl {
        body,
        comments: scan_comments(file, text),
        error: syntax::first_error(root),
    })
}

struct Cx<'s> {
    file: FileId,
    src: &'s str,
}

fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

impl<'s> Cx<'s> {
    fn span(&self, node: Node) -> Span {
        Span::new(self.file, node.start_byte(), node.end_byte())
    }

    fn text(&self, node: Node) -> &'s str {
        &self.src[node.byte_range()]
    }

    fn body(&mut self, node: Node) -> Body {
        let mut body = Body::default();
        for child in children(node) {
            match child.kind() {
                "attribute" => {
                    if let Some(a) = self.attribute(child) {
                        body.attributes.push(a);
                    }
                }
                "block" => {
                    if let Some(b) = self.block(child) {
                        body.blocks.push(b);
                    }
                }
                _ => {}
            }
        }
        body
    }

    fn attribute(&mut self, node: Node) -> Option<Attribute> {
        let kids = children(node);
        let name = kids.iter().find(|n| n.kind() == "identifier")?;
        let value = kids
            .iter()
            .find(|n| n.kind() == "expression")
            .map(|e| self.expr(*e))
            .unwrap_or_else(|| Expr {
                kind: ExprKind::Invalid,
                span: self.span(node),
            });
        Some(Attribute {
            name: self.text(*name).into(),
            name_span: self.span(*name),
            value,
            span: self.span(node),
        })
    }

    fn block(&mut self, node: Node) -> Option<Block> {
        let kids = children(node);
        let ty = kids.first().filter(|n| n.kind() == "identifier")?;
        let mut labels = Vec::new();
        let mut body = Body::default();
        let mut header_end = node.end_byte();
        for k in &kids[1..] {
            match k.kind() {
                "string_lit" => labels.push(self.string_lit(*k).into()),
                "identifier" => labels.push(self.text(*k).into()),
                "block_start" => header_end = k.start_byte(),
                "body" => body = self.body(*k),
                _ => {}
            }
        }
        let header_end = self.src[..header_end].trim_end().len().max(ty.end_byte());
        Some(Block {
            ty: self.text(*ty).into(),
            labels,
            body,
            span: self.span(node),
            header: Span::new(self.file, node.start_byte(), header_end),
        })
    }

    /// A `string_lit`: a quoted string without interpolation.
    fn string_lit(&self, node: Node) -> String {
        let (start, end) = quoted_content(node);
        unescape_quoted(&self.src[start..end])
    }

    fn invalid(&self, node: Node) -> Expr {
        Expr {
            kind: ExprKind::Invalid,
            span: self.span(node),
        }
    }

    fn expr(&mut self, node: Node) -> Expr {
        match node.kind() {
            "expression" => {
                let kids = children(node);
                self.expr_seq(&kids, self.span(node))
            }
            _ => {
                let span = self.span(node);
                self.expr_seq(&[node], span)
            }
        }
    }

    /// An expression written as a sequence of sibling nodes: a primary
    /// expression followed by attribute accesses, indexes and splats.
    fn expr_seq(&mut self, nodes: &[Node], span: Span) -> Expr {
        let mut nodes: Vec<Node> = nodes.iter().copied().filter(|n| n.kind() != "comment").collect();
        if nodes.is_empty() {
            return Expr {
                kind: ExprKind::Invalid,
                span,
            };
        }
        if nodes.iter().any(|n| n.kind() == "operation") {
            return self.operations(&nodes, span);
        }
        // `( expression )` as the primary.
        let (mut current, rest) = if nodes[0].kind() == "(" {
            let close = nodes.iter().position(|n| n.kind() == ")").unwrap_or(nodes.len());
            let inner = nodes[1..close.max(1)].to_vec();
            let inner_span = Span::new(
                self.file,
                nodes[0].start_byte(),
                nodes.get(close).map(|n| n.end_byte()).unwrap_or(span.end as usize),
            );
            let e = self.expr_seq(&inner, inner_span);
            let rest = nodes.split_off((close + 1).min(nodes.len()));
            (
                Expr {
                    kind: e.kind,
                    span: inner_span,
                },
                rest,
            )
        } else {
            let first = nodes[0];
            (self.primary(first), nodes.split_off(1))
        };
        for post in rest {
            current = self.postfix(current, post);
        }
        current
    }

    /// `current` followed by one `get_attr`, `index` or `splat` node.
    fn postfix(&mut self, current: Expr, post: Node) -> Expr {
        let whole = Span::new(self.file, current.span.start as usize, post.end_byte());
        match post.kind() {
            "get_attr" => {
                let name = children(post)
                    .into_iter()
                    .find(|n| n.kind() == "identifier")
                    .map(|n| self.text(n))
                    .unwrap_or("");
                Expr {
                    kind: ExprKind::GetAttr(Box::new(current), name.into()),
                    span: whole,
                }
            }
            "index" => {
                let key = self.index_key(post);
                Expr {
                    kind: ExprKind::Index(Box::new(current), Box::new(key)),
                    span: whole,
                }
            }
            "splat" => {
                let mut each = Vec::new();
                for s in children(post) {
                    for t in children(s) {
                        match t.kind() {
                            "get_attr" => {
                                let name = children(t)
                                    .into_iter()
                                    .find(|n| n.kind() == "identifier")
                                    .map(|n| self.text(n))
                                    .unwrap_or("");
                                each.push(Traverser::Attr(name.into()));
                            }
                            "index" => each.push(Traverser::Index(self.index_key(t))),
                            _ => {}
                        }
                    }
                }
                Expr {
                    kind: ExprKind::Splat {
                        target: Box::new(current),
                        each,
                    },
                    span: whole,
                }
            }
            _ => Expr {
                kind: ExprKind::Invalid,
                span: whole,
            },
        }
    }

    fn index_key(&mut self, index: Node) -> Expr {
        let Some(inner) = index.named_child(0) else {
            return self.invalid(index);
        };
        match inner.kind() {
            "new_index" => children(inner)
                .into_iter()
                .find(|n| n.kind() == "expression")
                .map(|e| self.expr(e))
                .unwrap_or_else(|| self.invalid(inner)),
            "legacy_index" => {
                // `.0`: the digits follow the dot.
                let digits = self.text(inner).trim_start_matches('.');
                Expr {
                    kind: digits.parse::<f64>().map(ExprKind::Number).unwrap_or(ExprKind::Invalid),
                    span: self.span(inner),
                }
            }
            _ => self.invalid(inner),
        }
    }

    fn primary(&mut self, node: Node) -> Expr {
        let span = self.span(node);
        let kind = match node.kind() {
            "expression" => return self.expr(node),
            "literal_value" => match node.named_child(0) {
                Some(lit) => match lit.kind() {
                    "numeric_lit" => self
                        .text(lit)
                        .parse::<f64>()
                        .map(ExprKind::Number)
                        .unwrap_or(ExprKind::Invalid),
                    "bool_lit" => ExprKind::Bool(self.text(lit) == "true"),
                    "null_lit" => ExprKind::Null,
                    "string_lit" => {
                        let (start, end) = quoted_content(lit);
                        ExprKind::Template(Template {
                            parts: vec![TemplatePart::Literal(
                                unescape_quoted(&self.src[start..end]),
                                Span::new(self.file, start, end),
                            )],
                        })
                    }
                    _ => ExprKind::Invalid,
                },
                None => ExprKind::Invalid,
            },
            "variable_expr" => ExprKind::Variable(self.text(node).into()),
            "template_expr" => match node.named_child(0) {
                Some(t) if t.kind() == "quoted_template" => {
                    let (start, end) = quoted_content(t);
                    let kids = children(t);
                    ExprKind::Template(self.template(&kids, start, end, TemplateMode::Quoted))
                }
                Some(t) if t.kind() == "heredoc_template" => ExprKind::Template(self.heredoc(t)),
                _ => ExprKind::Invalid,
            },
            "function_call" => {
                let kids = children(node);
                let name = kids
                    .iter()
                    .take_while(|n| n.kind() != "(")
                    .map(|n| self.text(*n))
                    .collect::<String>();
                let mut args = Vec::new();
                let mut expand_final = false;
                if let Some(fa) = kids.iter().find(|n| n.kind() == "function_arguments") {
                    for a in children(*fa) {
                        match a.kind() {
                            "expression" => args.push(self.expr(a)),
                            "ellipsis" => expand_final = true,
                            _ => {}
                        }
                    }
                }
                ExprKind::Call {
                    name: name.into(),
                    args,
                    expand_final,
                }
            }
            "collection_value" => match node.named_child(0) {
                Some(t) if t.kind() == "tuple" => {
                    let items = children(t)
                        .into_iter()
                        .filter(|c| c.kind() == "expression")
                        .map(|c| self.expr(c))
                        .collect();
                    ExprKind::Tuple(items)
                }
                Some(o) if o.kind() == "object" => {
                    let mut items = Vec::new();
                    for c in children(o).into_iter().filter(|c| c.kind() == "object_elem") {
                        let (Some(k), Some(v)) = (c.child_by_field_name("key"), c.child_by_field_name("val")) else {
                            continue;
                        };
                        let key = self.object_key(k);
                        let val = self.expr(v);
                        items.push((key, val));
                    }
                    ExprKind::Object(items)
                }
                _ => ExprKind::Invalid,
            },
            "conditional" => {
                let mut operands = Vec::new();
                if !conditional_operands(node, &mut operands) {
                    ExprKind::Invalid
                } else {
                    // `a ? b : c ? d : e` chains to the right.
                    let exprs: Vec<Expr> = operands.into_iter().map(|n| self.expr(n)).collect();
                    let mut operands = exprs.into_iter().rev();
                    let mut chain = operands.next().unwrap_or_else(|| self.invalid(node));
                    while let (Some(t), Some(c)) = (operands.next(), operands.next()) {
                        let span = c.span.to(chain.span);
                        chain = Expr {
                            kind: ExprKind::Conditional(Box::new(c), Box::new(t), Box::new(chain)),
                            span,
                        };
                    }
                    chain.kind
                }
            }
            "operation" => return self.operations(&[node], span),
            "for_expr" => match node.named_child(0) {
                Some(f) => self.for_expr(f),
                None => ExprKind::Invalid,
            },
            "comment" => ExprKind::Invalid,
            _ => ExprKind::Invalid,
        };
        Expr { kind, span }
    }

    /// Object keys: a bare name is a string, `(expr)` or anything else is evaluated.
    fn object_key(&mut self, key: Node) -> Expr {
        let kids = children(key);
        if let [only] = kids.as_slice()
            && only.kind() == "variable_expr"
        {
            return Expr {
                kind: ExprKind::Template(Template {
                    parts: vec![TemplatePart::Literal(self.text(*only).to_string(), self.span(*only))],
                }),
                span: self.span(*only),
            };
        }
        self.expr(key)
    }

    /// Operators and their operands, parsed again by precedence.
    ///
    /// tree-sitter-hcl gets precedence wrong when an operand has a
    /// traversal: `1 + var.m * 2` comes as `((1 + var).m) * 2`, and
    /// `a || b.c` as `(a || b).c`. So operation nodes are flattened back
    /// into source order and parsed here: unary `!` `-`, then `* / %`,
    /// `+ -`, comparisons, `== !=`, `&&`, `||`, all left-associative.
    fn operations<'t>(&mut self, nodes: &[Node<'t>], span: Span) -> Expr {
        let mut flat: Vec<Node<'t>> = Vec::new();
        for n in nodes {
            self.flatten_operation(*n, &mut flat);
        }
        let mut pos = 0;
        let e = self.binary_level(&flat, &mut pos, 0);
        if pos < flat.len() {
            return Expr {
                kind: ExprKind::Invalid,
                span,
            };
        }
        e
    }

    fn flatten_operation<'t>(&mut self, n: Node<'t>, out: &mut Vec<Node<'t>>) {
        match n.kind() {
            "operation" | "binary_operation" | "unary_operation" => {
                for c in children(n) {
                    self.flatten_operation(c, out);
                }
            }
            "comment" => {}
            _ => out.push(n),
        }
    }

    fn binary_level(&mut self, flat: &[Node], pos: &mut usize, min: u8) -> Expr {
        let mut lhs = self.unary_level(flat, pos);
        while let Some(op) = flat
            .get(*pos)
            .filter(|n| !n.is_named())
            .and_then(|n| binary_op(n.kind()))
        {
            let prec = precedence(op);
            if prec < min {
                break;
            }
            *pos += 1;
            let rhs = self.binary_level(flat, pos, prec + 1);
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }

    fn unary_level(&mut self, flat: &[Node], pos: &mut usize) -> Expr {
        let Some(first) = flat.get(*pos) else {
            let span = flat
                .last()
                .map(|n| Span::new(self.file, n.end_byte(), n.end_byte()))
                .unwrap_or(Span::new(self.file, 0, 0));
            return Expr {
                kind: ExprKind::Invalid,
                span,
            };
        };
        if !first.is_named() && matches!(first.kind(), "!" | "-") {
            let op = if first.kind() == "!" {
                UnaryOp::Not
            } else {
                UnaryOp::Neg
            };
            let start = first.start_byte();
            *pos += 1;
            let operand = self.unary_level(flat, pos);
            let span = Span::new(self.file, start, operand.span.end as usize);
            return Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span,
            };
        }
        // An operand: a primary (or a parenthesised group) and its traversals.
        let start = *pos;
        while let Some(n) = flat.get(*pos) {
            if *pos > start && !n.is_named() && binary_op(n.kind()).is_some() {
                break;
            }
            *pos += 1;
        }
        let run = &flat[start..*pos];
        let span = Span::new(
            self.file,
            run[0].start_byte(),
            run.last().map(|n| n.end_byte()).unwrap_or(run[0].end_byte()),
        );
        self.expr_seq(run, span)
    }

    fn for_expr(&mut self, f: Node) -> ExprKind {
        let kids = children(f);
        let Some(intro) = kids.iter().find(|n| n.kind() == "for_intro") else {
            return ExprKind::Invalid;
        };
        let intro_kids = children(*intro);
        let idents: Vec<Str> = intro_kids
            .iter()
            .filter(|n| n.kind() == "identifier")
            .map(|n| Str::from(self.text(*n)))
            .collect();
        let Some(coll) = intro_kids.iter().find(|n| n.kind() == "expression") else {
            return ExprKind::Invalid;
        };
        let (key_var, value_var) = match idents.as_slice() {
            [v] => (None, v.clone()),
            [k, v] => (Some(k.clone()), v.clone()),
            _ => return ExprKind::Invalid,
        };
        let collection = self.expr(*coll);
        let exprs: Vec<Node> = kids.iter().copied().filter(|n| n.kind() == "expression").collect();
        let condition = kids
            .iter()
            .find(|n| n.kind() == "for_cond")
            .and_then(|c| children(*c).into_iter().find(|n| n.kind() == "expression"))
            .map(|e| self.expr(e));
        let grouping = kids.iter().any(|n| n.kind() == "ellipsis");
        let (key, value) = if f.kind() == "for_object_expr" {
            match exprs.as_slice() {
                [k, v] => (Some(self.expr(*k)), self.expr(*v)),
                _ => return ExprKind::Invalid,
            }
        } else {
            match exprs.as_slice() {
                [v] => (None, self.expr(*v)),
                _ => return ExprKind::Invalid,
            }
        };
        ExprKind::For(Box::new(ForExpr {
            key_var,
            value_var,
            collection,
            key,
            value,
            condition,
            grouping,
        }))
    }

    fn heredoc(&mut self, node: Node) -> Template {
        let kids = children(node);
        let strip = kids
            .iter()
            .find(|n| n.kind() == "heredoc_start")
            .is_some_and(|n| self.text(*n) == "<<-");
        let idents: Vec<&Node> = kids.iter().filter(|n| n.kind() == "heredoc_identifier").collect();
        let (Some(open), Some(close)) = (idents.first(), idents.get(1)) else {
            return Template::default();
        };
        // Content starts on the line after the opening marker and ends where
        // the closing marker's line starts.
        let (start, end, mode) = heredoc_content(self.src, open.end_byte(), close.start_byte(), strip);
        self.template(&kids, start, end, mode)
    }

    /// Build a template from the nodes of a quoted string, heredoc or
    /// directive body lying in `start..end`; literal text is sliced from the
    /// source gaps between interpolations and directives.
    fn template(&mut self, nodes: &[Node], start: usize, end: usize, mode: TemplateMode) -> Template {
        self.template_stripped(nodes, start, end, mode, (false, false))
    }

    /// [`Self::template`] for a directive body: `strip.0` when the opening
    /// tag ends with `~}`, `strip.1` when the closing one starts with `%{~`.
    fn template_stripped(
        &mut self,
        nodes: &[Node],
        start: usize,
        end: usize,
        mode: TemplateMode,
        strip: (bool, bool),
    ) -> Template {
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut pos = start;
        let mut strip_next = strip.0;
        for n in nodes {
            if n.start_byte() < start || n.end_byte() > end {
                continue;
            }
            match n.kind() {
                "template_interpolation" | "template_directive" => {}
                _ => continue,
            }
            let (strip_before, strip_after) = self.strip_markers(*n);
            parts.extend(literal_part(
                self.src,
                self.file,
                pos,
                n.start_byte(),
                mode,
                (strip_next, strip_before),
            ));
            strip_next = strip_after;
            pos = n.end_byte();
            match n.kind() {
                "template_interpolation" => {
                    let e = children(*n)
                        .into_iter()
                        .find(|c| c.kind() == "expression")
                        .map(|c| self.expr(c))
                        .unwrap_or_else(|| self.invalid(*n));
                    parts.push(TemplatePart::Interpolation(e));
                }
                _ => {
                    if let Some(p) = n.named_child(0).and_then(|d| self.directive(d, mode)) {
                        parts.push(p);
                    }
                }
            }
        }
        parts.extend(literal_part(self.src, self.file, pos, end, mode, (strip_next, strip.1)));
        Template { parts }
    }

    /// Whether a template node strips whitespace before it (`${~`) and after it (`~}`).
    fn strip_markers(&self, n: Node) -> (bool, bool) {
        let text = self.text(n);
        (text.starts_with("${~") || text.starts_with("%{~"), text.ends_with("~}"))
    }

    fn directive(&mut self, d: Node, mode: TemplateMode) -> Option<TemplatePart> {
        let kids = children(d);
        match d.kind() {
            "template_if" => {
                let intro = kids.iter().find(|n| n.kind() == "template_if_intro")?;
                let condition = children(*intro)
                    .into_iter()
                    .find(|n| n.kind() == "expression")
                    .map(|e| self.expr(e))?;
                let else_intro = kids.iter().find(|n| n.kind() == "template_else_intro");
                let end_node = kids.iter().find(|n| n.kind() == "template_if_end");
                let end = end_node.map(|n| n.start_byte()).unwrap_or(d.end_byte());
                let then_end = else_intro.map(|n| n.start_byte()).unwrap_or(end);
                let opens = |n: Option<&Node>| n.is_some_and(|n| self.text(*n).starts_with("%{~"));
                let closes = |n: &Node| self.text(*n).ends_with("~}");
                let then_strip = (closes(intro), opens(else_intro.or(end_node)));
                let else_strip = (else_intro.is_some_and(closes), opens(end_node));
                let then = self.template_stripped(&kids, intro.end_byte(), then_end, mode, then_strip);
                let otherwise = else_intro.map(|e| self.template_stripped(&kids, e.end_byte(), end, mode, else_strip));
                Some(TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                })
            }
            "template_for" => {
                let start = kids.iter().find(|n| n.kind() == "template_for_start")?;
                let sk = children(*start);
                let idents: Vec<Str> = sk
                    .iter()
                    .filter(|n| n.kind() == "identifier")
                    .map(|n| Str::from(self.text(*n)))
                    .collect();
                let collection = sk.iter().find(|n| n.kind() == "expression").map(|e| self.expr(*e))?;
                let (key_var, value_var) = match idents.as_slice() {
                    [v] => (None, v.clone()),
                    [k, v] => (Some(k.clone()), v.clone()),
                    _ => return None,
                };
                let end_node = kids.iter().find(|n| n.kind() == "template_for_end");
                let end = end_node.map(|n| n.start_byte()).unwrap_or(d.end_byte());
                let strip = (
                    self.text(*start).ends_with("~}"),
                    end_node.is_some_and(|n| self.text(*n).starts_with("%{~")),
                );
                let body = self.template_stripped(&kids, start.end_byte(), end, mode, strip);
                Some(TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                })
            }
            _ => None,
        }
    }
}

/// A heredoc's content, from the line after the opening marker (which ends
/// at `after_open`) to the start of the closing marker's line (which starts
/// at `close`), and how its literals are read: `<<-` removes the common
/// indentation.
pub(super) fn heredoc_content(
    src: &str,
    after_open: usize,
    close: usize,
    indented: bool,
) -> (usize, usize, TemplateMode) {
    let start = src[after_open..]
        .find('\n')
        .map(|i| after_open + i + 1)
        .unwrap_or(after_open)
        .min(close);
    let end = src[..close].rfind('\n').map(|i| i + 1).unwrap_or(close).max(start);
    let indent = if indented { min_indent(&src[start..end]) } else { 0 };
    (start, end, TemplateMode::Heredoc { indent })
}

/// The template literal for the source text `from..to`, unescaped as `mode`
/// says and trimmed at either end as `trim` says; none when empty.
pub(super) fn literal_part(
    src: &str,
    file: FileId,
    from: usize,
    to: usize,
    mode: TemplateMode,
    trim: (bool, bool),
) -> Option<TemplatePart> {
    if from >= to {
        return None;
    }
    let raw = &src[from..to];
    let mut text = match mode {
        TemplateMode::Quoted => unescape_quoted(raw),
        TemplateMode::Heredoc { indent } => {
            let raw = if indent > 0 {
                dedent(src, from, to, indent)
            } else {
                raw.to_string()
            };
            unescape_template_markers(&raw)
        }
    };
    if trim.0 {
        text = text.trim_start().to_string();
    }
    if trim.1 {
        text = text.trim_end().to_string();
    }
    (!text.is_empty()).then(|| TemplatePart::Literal(text, Span::new(file, from, to)))
}

#[derive(Debug, Clone, Copy)]
pub(super) enum TemplateMode {
    Quoted,
    Heredoc { indent: usize },
}

/// The operands of a chain of conditionals, in source order (condition,
/// then, condition, then, …, else). tree-sitter-hcl nests a chain to the
/// left, `(a ? b : c) ? d : e`, where HCL reads `a ? b : (c ? d : e)`; an
/// unparenthesised conditional as a condition is such a chain. False when a
/// conditional lacks an operand.
fn conditional_operands<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) -> bool {
    let exprs: Vec<Node> = children(node)
        .into_iter()
        .filter(|n| n.kind() == "expression")
        .collect();
    let [condition, then, otherwise] = exprs.as_slice() else {
        return false;
    };
    let inner: Vec<Node> = children(*condition)
        .into_iter()
        .filter(|n| n.kind() != "comment")
        .collect();
    match inner.as_slice() {
        [chained] if chained.kind() == "conditional" => {
            if !conditional_operands(*chained, out) {
                return false;
            }
        }
        _ => out.push(*condition),
    }
    out.extend([*then, *otherwise]);
    true
}

/// Binding strength of a binary operator: higher binds tighter.
fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne => 3,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
    }
}

fn binary_op(token: &str) -> Option<BinaryOp> {
    Some(match token {
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Mod,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "&&" => BinaryOp::And,
        "||" => BinaryOp::Or,
        _ => return None,
    })
}

/// Byte range between the quotes of a quoted template or string literal.
fn quoted_content(node: Node) -> (usize, usize) {
    let mut start = node.start_byte();
    let mut end = node.end_byte();
    let mut cursor = node.walk();
    for c in node.children(&mut cursor) {
        match c.kind() {
            "quoted_template_start" => start = c.end_byte(),
            "quoted_template_end" => end = c.start_byte(),
            _ => {}
        }
    }
    (start, end.max(start))
}

/// HCL quoted-string escapes, plus `$${` and `%%{`.
pub(crate) fn unescape_quoted(raw: &str) -> String {
    if !raw.contains(['\\', '$', '%']) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(u @ ('u' | 'U')) => {
                    let n = if u == 'u' { 4 } else { 8 };
                    let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => out.push(ch),
                        None => {
                            out.push('\\');
                            out.push(u);
                            out.push_str(&hex);
                        }
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                // `$${` → `${`, `%%{` → `%{`
                let mut look = chars.clone();
                look.next();
                if look.peek() == Some(&'{') {
                    chars.next();
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn unescape_template_markers(raw: &str) -> String {
    if raw.contains("$${") || raw.contains("%%{") {
        raw.replace("$${", "${").replace("%%{", "%{")
    } else {
        raw.to_string()
    }
}

/// Smallest leading-whitespace width over the non-blank lines of `content`.
fn min_indent(content: &str) -> usize {
    content
        .split('\n')
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0)
}

/// Remove up to `indent` whitespace characters at the start of every source
/// line inside `from..to`.
fn dedent(src: &str, from: usize, to: usize, indent: usize) -> String {
    let mut out = String::with_capacity(to - from);
    let mut i = from;
    while i < to {
        let at_line_start = i == 0 || src.as_bytes()[i - 1] == b'\n';
        if at_line_start {
            let mut skipped = 0;
            while skipped < indent && i < to && matches!(src.as_bytes()[i], b' ' | b'\t') {
                i += 1;
                skipped += 1;
            }
        }
        let line_end = src[i..to].find('\n').map(|p| i + p + 1).unwrap_or(to);
        out.push_str(&src[i..line_end]);
        i = line_end;
    }
    out
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send + Sync>() {}
    is_send::<Body>();
    is_send::<Arc<str>>();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> ParsedHcl {
        parse_hcl(FileId(0), src, Duration::from_secs(5)).unwrap()
    }

    fn lit(e: &Expr) -> &str {
        match &e.kind {
            ExprKind::Template(t) => t.as_literal().expect("literal"),
            other => panic!("not a template: {other:?}"),
        }
    }

    #[test]
    fn blocks_labels_and_attributes() {
        let p = parse("resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n  acl = \"private\"\n}\n");
        assert!(p.error.is_none());
        let b = &p.body.blocks[0];
        assert_eq!(&*b.ty, "resource");
        assert_eq!(b.labels, vec![Str::from("aws_s3_bucket"), Str::from("b")]);
        assert_eq!(lit(&b.body.attribute("bucket").unwrap().value), "x");
        assert_eq!(b.header.start, 0);
        assert_eq!(b.header.end as usize, "resource \"aws_s3_bucket\" \"b\"".len());
    }

    #[test]
    fn template_keeps_whitespace_next_to_interpolation() {
        let p = parse("a = \"x  ${var.y}  z\"\n");
        let ExprKind::Template(t) = &p.body.attributes[0].value.kind else {
            panic!()
        };
        let lits: Vec<&str> = t
            .parts
            .iter()
            .filter_map(|p| match p {
                TemplatePart::Literal(s, _) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(lits, vec!["x  ", "  z"]);
    }

    #[test]
    fn escapes_are_processed() {
        let p = parse("a = \"$${x} \\n \\\"q\\\" \\u00e9\"\n");
        assert_eq!(lit(&p.body.attributes[0].value), "${x} \n \"q\" \u{e9}");
    }

    #[test]
    fn indented_heredoc_is_dedented() {
        let p = parse("a = <<-EOT\n    one\n      two\n    EOT\n");
        assert_eq!(lit(&p.body.attributes[0].value), "one\n  two\n");
        let p = parse("a = <<EOT\n  raw \\n\nEOT\n");
        assert_eq!(lit(&p.body.attributes[0].value), "  raw \\n\n");
    }

    #[test]
    fn traversals_splats_calls_and_for() {
        let p = parse(
            "a = aws_instance.web[*].id\nb = merge(var.a, var.b...)\nc = [for k, v in var.m : v if v != \"\"]\nd = (1 + 2) * 3\ne = x.0\n",
        );
        assert!(p.error.is_none());
        assert!(matches!(p.body.attributes[0].value.kind, ExprKind::Splat { .. }));
        assert!(matches!(
            p.body.attributes[1].value.kind,
            ExprKind::Call { expand_final: true, .. }
        ));
        assert!(matches!(p.body.attributes[2].value.kind, ExprKind::For(_)));
        let ExprKind::Binary(BinaryOp::Mul, l, _) = &p.body.attributes[3].value.kind else {
            panic!("{:?}", p.body.attributes[3].value.kind)
        };
        assert!(matches!(l.kind, ExprKind::Binary(BinaryOp::Add, _, _)));
        let ExprKind::Index(_, k) = &p.body.attributes[4].value.kind else {
            panic!()
        };
        assert!(matches!(k.kind, ExprKind::Number(n) if n == 0.0));
    }

    #[test]
    fn traversals_after_an_operator_bind_to_the_operand() {
        let p = parse("a = true || var.x\nb = !var.enabled\nc = 1 + var.m[\"k\"].n * 2\nd = -local.n\n");
        let shape = |i: usize| format!("{:?}", p.body.attributes[i].value.kind);
        let a = &p.body.attributes[0].value;
        let ExprKind::Binary(BinaryOp::Or, _, r) = &a.kind else {
            panic!("{}", shape(0))
        };
        assert!(matches!(&r.kind, ExprKind::GetAttr(v, n) if &**n == "x" && matches!(&v.kind, ExprKind::Variable(_))));
        assert!(
            matches!(&p.body.attributes[1].value.kind, ExprKind::Unary(UnaryOp::Not, x) if matches!(x.kind, ExprKind::GetAttr(..))),
            "{}",
            shape(1)
        );
        let ExprKind::Binary(BinaryOp::Add, _, r) = &p.body.attributes[2].value.kind else {
            panic!("{}", shape(2))
        };
        assert!(
            matches!(&r.kind, ExprKind::Binary(BinaryOp::Mul, l, _) if matches!(l.kind, ExprKind::GetAttr(..))),
            "{}",
            shape(2)
        );
        assert!(
            matches!(&p.body.attributes[3].value.kind, ExprKind::Unary(UnaryOp::Neg, x) if matches!(x.kind, ExprKind::GetAttr(..))),
            "{}",
            shape(3)
        );
    }

    #[test]
    fn precedence_is_right_whatever_the_operands() {
        let shape = |src: &str| {
            let p = parse(&format!("a = {src}\n"));
            assert!(p.error.is_none(), "{src}");
            sexp(&p.body.attributes[0].value)
        };
        assert_eq!(shape("a.b || c.d && e.f"), "(|| a.b (&& c.d e.f))");
        assert_eq!(shape("x.y * 2 + 1"), "(+ (* x.y 2) 1)");
        assert_eq!(shape("1 - 2 - x[0]"), "(- (- 1 2) x[])");
        assert_eq!(shape("!a.b && -c.d < 3"), "(&& (! a.b) (< (- c.d) 3))");
        assert_eq!(shape("(a + b).c * 2"), "(* (+ a b).c 2)");
        assert_eq!(shape("f(x) == y.z ? 1 : 2"), "(?: (== f() y.z) 1 2)");
        assert_eq!(shape("a.b[*].c != []"), "(!= a.b[*] [])");
    }

    /// A compact form of an expression's structure.
    fn sexp(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Binary(op, l, r) => {
                let op = match op {
                    BinaryOp::Mul => "*",
                    BinaryOp::Div => "/",
                    BinaryOp::Mod => "%",
                    BinaryOp::Add => "+",
                    BinaryOp::Sub => "-",
                    BinaryOp::Lt => "<",
                    BinaryOp::Le => "<=",
                    BinaryOp::Gt => ">",
                    BinaryOp::Ge => ">=",
                    BinaryOp::Eq => "==",
                    BinaryOp::Ne => "!=",
                    BinaryOp::And => "&&",
                    BinaryOp::Or => "||",
                };
                format!("({op} {} {})", sexp(l), sexp(r))
            }
            ExprKind::Unary(op, x) => format!("({} {})", if *op == UnaryOp::Not { "!" } else { "-" }, sexp(x)),
            ExprKind::Variable(v) => v.to_string(),
            ExprKind::GetAttr(x, n) => format!("{}.{n}", sexp(x)),
            ExprKind::Index(x, _) => format!("{}[]", sexp(x)),
            ExprKind::Splat { target, .. } => format!("{}[*]", sexp(target)),
            ExprKind::Number(n) => n.to_string(),
            ExprKind::Call { .. } => "f()".into(),
            ExprKind::Tuple(_) => "[]".into(),
            ExprKind::Conditional(c, t, f) => format!("(?: {} {} {})", sexp(c), sexp(t), sexp(f)),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn comments_are_collected() {
        let p = parse("# one\nresource \"a\" \"b\" {\n  x = 1 # two\n}\n");
        let texts: Vec<&str> = p.comments.iter().map(|c| &*c.text).collect();
        assert!(texts.contains(&"# one") && texts.contains(&"# two"), "{texts:?}");
    }

    #[test]
    fn errors_are_reported_not_fatal() {
        let p = parse("resource \"a\" \"b\" {\n  x = \n}\nresource \"c\" \"d\" {}\n");
        assert!(p.error.is_some());
    }
}
