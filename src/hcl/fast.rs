//! The fast front end: hcl-edit → [`Body`], the same model with the same
//! spans as the tree-sitter path in `parse.rs`.
//!
//! hcl-edit parses several times faster than tree-sitter-hcl but rejects a
//! whole file on any error (and on duplicate keys, which Terraform accepts),
//! so it is only a fast path: [`parse_fast`] returns `None` whenever hcl-edit
//! fails or the file holds something whose tree-sitter reading it cannot
//! reproduce exactly, and the caller parses with tree-sitter instead.
//! Template literals are sliced from the source by the helpers the
//! tree-sitter path uses, so their text cannot drift apart.

use hcl_edit::Ident;
use hcl_edit::expr::{self as he, Expression, TraversalOperator};
use hcl_edit::structure::{self as hs, BlockLabel};
use hcl_edit::template::{self as ht, Directive, Element};

use super::parse::{TemplateMode, heredoc_content, literal_part, unescape_quoted};
use super::*;
use crate::source::FileId;

/// Why the fast path gave the file back to tree-sitter.
struct GiveUp;

type Result<T> = std::result::Result<T, GiveUp>;

/// Parse `text` with hcl-edit into a [`Body`], or `None` when tree-sitter
/// must parse it.
pub fn parse_fast(file: FileId, text: &str) -> Option<Body> {
    let body = hcl_edit::parser::parse_body(text).ok()?;
    Cx { file, src: text }.body(&body).ok()
}

struct Cx<'s> {
    file: FileId,
    src: &'s str,
}

fn range(spanned: &impl hcl_edit::Span) -> Result<std::ops::Range<usize>> {
    spanned.span().ok_or(GiveUp)
}

impl Cx<'_> {
    fn span(&self, r: std::ops::Range<usize>) -> Span {
        Span::new(self.file, r.start, r.end)
    }

    fn body(&self, body: &hs::Body) -> Result<Body> {
        let mut out = Body::default();
        for structure in body.iter() {
            match structure {
                hs::Structure::Attribute(a) => out.attributes.push(self.attribute(a)?),
                hs::Structure::Block(b) => out.blocks.push(self.block(b)?),
            }
        }
        Ok(out)
    }

    fn attribute(&self, a: &hs::Attribute) -> Result<Attribute> {
        Ok(Attribute {
            name: ident(&a.key),
            name_span: self.span(range(&a.key)?),
            value: self.expr(&a.value)?,
            span: self.span(range(a)?),
        })
    }

    fn block(&self, b: &hs::Block) -> Result<Block> {
        let whole = range(b)?;
        let mut labels = Vec::with_capacity(b.labels.len());
        for label in &b.labels {
            labels.push(match label {
                BlockLabel::Ident(i) => ident(i),
                BlockLabel::String(s) => {
                    // tree-sitter's labels are unescaped from the source; a
                    // label with escapes is left to it.
                    if s.value().contains(['\\', '"', '$', '%']) {
                        return Err(GiveUp);
                    }
                    Str::from(s.value().as_str())
                }
            });
        }
        let ty_end = range(&b.ident)?.end;
        let brace = header_brace(self.src, ty_end, whole.end).ok_or(GiveUp)?;
        let header_end = self.src[..brace].trim_end().len().max(ty_end);
        Ok(Block {
            ty: ident(&b.ident),
            labels,
            body: self.body(&b.body)?,
            span: self.span(whole.clone()),
            header: Span::new(self.file, whole.start, header_end),
        })
    }

    fn expr(&self, e: &Expression) -> Result<Expr> {
        let r = range(e)?;
        let span = self.span(r.clone());
        if matches!(
            e,
            Expression::String(_) | Expression::StringTemplate(_) | Expression::HeredocTemplate(_)
        ) && ["$$$", "%%%"].iter().any(|run| self.src[r.clone()].contains(run))
        {
            // `$$${`: hcl-edit reads `$` and an escaped `$${`, tree-sitter an
            // escaped `$$` and an interpolation. Leave it to tree-sitter.
            return Err(GiveUp);
        }
        let kind = match e {
            Expression::Null(_) => ExprKind::Null,
            Expression::Bool(b) => ExprKind::Bool(*b.value()),
            Expression::Number(_) => return self.number(r),
            Expression::String(_) => {
                let (start, end) = (r.start + 1, r.end - 1);
                ExprKind::Template(Template {
                    parts: vec![TemplatePart::Literal(
                        unescape_quoted(&self.src[start..end]),
                        Span::new(self.file, start, end),
                    )],
                })
            }
            Expression::StringTemplate(t) => ExprKind::Template(self.template(
                t.iter(),
                r.start + 1,
                r.end - 1,
                TemplateMode::Quoted,
                (false, false),
            )?),
            Expression::HeredocTemplate(h) => ExprKind::Template(self.heredoc(h, r)?),
            Expression::Array(items) => ExprKind::Tuple(items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?),
            Expression::Object(o) => {
                let mut items = Vec::with_capacity(o.len());
                for (k, v) in o.iter() {
                    items.push((self.object_key(k)?, self.expr(v.expr())?));
                }
                ExprKind::Object(items)
            }
            Expression::Parenthesis(p) => {
                let inner = self.expr(p.inner())?;
                return Ok(Expr { kind: inner.kind, span });
            }
            Expression::Variable(v) => ExprKind::Variable(ident(v)),
            Expression::Conditional(c) => ExprKind::Conditional(
                Box::new(self.expr(&c.cond_expr)?),
                Box::new(self.expr(&c.true_expr)?),
                Box::new(self.expr(&c.false_expr)?),
            ),
            Expression::FuncCall(f) => {
                let mut name = String::new();
                for part in &f.name.namespace {
                    name.push_str(part.value().as_str());
                    name.push_str("::");
                }
                name.push_str(f.name.name.value().as_str());
                ExprKind::Call {
                    name: name.into(),
                    args: f.args.iter().map(|a| self.expr(a)).collect::<Result<_>>()?,
                    expand_final: f.args.expand_final(),
                }
            }
            Expression::Traversal(t) => return self.traversal(t, r.start),
            Expression::UnaryOp(u) => {
                let op = match u.operator.value() {
                    he::UnaryOperator::Neg => UnaryOp::Neg,
                    he::UnaryOperator::Not => UnaryOp::Not,
                };
                ExprKind::Unary(op, Box::new(self.expr(&u.expr)?))
            }
            Expression::BinaryOp(b) => {
                let lhs = self.expr(&b.lhs_expr)?;
                let rhs = self.expr(&b.rhs_expr)?;
                let span = lhs.span.to(rhs.span);
                let op = binary_op(*b.operator.value());
                return Ok(Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                });
            }
            Expression::ForExpr(f) => ExprKind::For(Box::new(ForExpr {
                key_var: f.intro.key_var.as_ref().map(ident),
                value_var: ident(&f.intro.value_var),
                collection: self.expr(&f.intro.collection_expr)?,
                key: f.key_expr.as_ref().map(|k| self.expr(k)).transpose()?,
                value: self.expr(&f.value_expr)?,
                condition: f.cond.as_ref().map(|c| self.expr(&c.expr)).transpose()?,
                grouping: f.grouping,
            })),
        };
        Ok(Expr { kind, span })
    }

    /// A number literal. hcl-edit folds a leading `-` into the number, where
    /// tree-sitter sees a negation; and tree-sitter-hcl rejects an exponent
    /// without a fraction (`1e5`), so such a file is left to it.
    fn number(&self, r: std::ops::Range<usize>) -> Result<Expr> {
        let text = &self.src[r.clone()];
        let digits = text.trim_start_matches(['-', ' ', '\t']);
        let digits_start = r.end - digits.len();
        if digits.contains(['e', 'E']) && !digits.contains('.') {
            return Err(GiveUp);
        }
        let literal = Expr {
            kind: digits.parse::<f64>().map(ExprKind::Number).unwrap_or(ExprKind::Invalid),
            span: Span::new(self.file, digits_start, r.end),
        };
        if digits_start == r.start {
            return Ok(literal);
        }
        if !text.starts_with('-') || text[1..].trim_start().len() != digits.len() {
            return Err(GiveUp);
        }
        Ok(Expr {
            kind: ExprKind::Unary(UnaryOp::Neg, Box::new(literal)),
            span: self.span(r),
        })
    }

    /// Object keys: a bare name is a string.
    fn object_key(&self, key: &he::ObjectKey) -> Result<Expr> {
        match key {
            he::ObjectKey::Ident(i) => {
                let span = self.span(range(i)?);
                let name = i.value().as_str();
                let kind = match name {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    _ => ExprKind::Template(Template {
                        parts: vec![TemplatePart::Literal(name.to_string(), span)],
                    }),
                };
                Ok(Expr { kind, span })
            }
            he::ObjectKey::Expression(e) => self.expr(e),
        }
    }

    /// A traversal, folded the way tree-sitter-hcl nests it: a splat takes
    /// every attribute access and index that follows it, up to the next splat.
    fn traversal(&self, t: &he::Traversal, start: usize) -> Result<Expr> {
        let mut current = self.expr(&t.expr)?;
        let mut ops = t.operators.iter().peekable();
        while let Some(op) = ops.next() {
            let op_range = range(op)?;
            match op.value() {
                TraversalOperator::GetAttr(name) => {
                    current = Expr {
                        kind: ExprKind::GetAttr(Box::new(current), ident(name)),
                        span: Span::new(self.file, start, op_range.end),
                    };
                }
                TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => {
                    let key = self.index_key(op)?;
                    current = Expr {
                        kind: ExprKind::Index(Box::new(current), Box::new(key)),
                        span: Span::new(self.file, start, op_range.end),
                    };
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let mut each = Vec::new();
                    let mut end = op_range.end;
                    while let Some(next) = ops.next_if(|o| {
                        !matches!(
                            o.value(),
                            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)
                        )
                    }) {
                        end = range(next)?.end;
                        each.push(match next.value() {
                            TraversalOperator::GetAttr(name) => Traverser::Attr(ident(name)),
                            _ => Traverser::Index(self.index_key(next)?),
                        });
                    }
                    current = Expr {
                        kind: ExprKind::Splat {
                            target: Box::new(current),
                            each,
                        },
                        span: Span::new(self.file, start, end),
                    };
                }
            }
        }
        Ok(current)
    }

    fn index_key(&self, op: &hcl_edit::Decorated<TraversalOperator>) -> Result<Expr> {
        match op.value() {
            TraversalOperator::Index(e) => self.expr(e),
            TraversalOperator::LegacyIndex(i) => {
                // `.0`: tree-sitter's span starts at the dot.
                let r = range(op)?;
                Ok(Expr {
                    kind: ExprKind::Number(*i.value() as f64),
                    span: self.span(r),
                })
            }
            _ => Err(GiveUp),
        }
    }

    fn heredoc(&self, h: &ht::HeredocTemplate, r: std::ops::Range<usize>) -> Result<Template> {
        let indented = self.src[r.start..].starts_with("<<-");
        let open_end = r.start + if indented { 3 } else { 2 } + h.delimiter.len();
        let close_start = r.end - h.delimiter.len();
        let (start, end, mode) = heredoc_content(self.src, open_end, close_start, indented);
        self.template(h.template.iter(), start, end, mode, (false, false))
    }

    /// A template's parts: interpolations and directives, and the source
    /// text between them as literals.
    fn template<'t>(
        &self,
        elements: impl Iterator<Item = &'t Element>,
        start: usize,
        end: usize,
        mode: TemplateMode,
        strip: (bool, bool),
    ) -> Result<Template> {
        let mut parts = Vec::new();
        let mut pos = start;
        let mut strip_next = strip.0;
        for element in elements {
            let (part, (strip_before, strip_after)) = match element {
                Element::Literal(_) => continue,
                Element::Interpolation(i) => (
                    TemplatePart::Interpolation(self.expr(&i.expr)?),
                    (i.strip.strip_start(), i.strip.strip_end()),
                ),
                Element::Directive(d) => self.directive(d, mode)?,
            };
            let r = range(element)?;
            parts.extend(literal_part(
                self.src,
                self.file,
                pos,
                r.start,
                mode,
                (strip_next, strip_before),
            ));
            strip_next = strip_after;
            pos = r.end;
            parts.push(part);
        }
        parts.extend(literal_part(self.src, self.file, pos, end, mode, (strip_next, strip.1)));
        Ok(Template { parts })
    }

    /// A directive, and whether it strips the whitespace before and after it.
    fn directive(&self, d: &Directive, mode: TemplateMode) -> Result<(TemplatePart, (bool, bool))> {
        match d {
            Directive::If(d) => {
                let then_range = range(&d.if_expr.template)?;
                let next_opens = d
                    .else_expr
                    .as_ref()
                    .map_or(d.endif_expr.strip, |e| e.strip)
                    .strip_start();
                let then = self.template(
                    d.if_expr.template.iter(),
                    then_range.start,
                    then_range.end,
                    mode,
                    (d.if_expr.strip.strip_end(), next_opens),
                )?;
                let otherwise = match &d.else_expr {
                    Some(e) => {
                        let r = range(&e.template)?;
                        Some(self.template(
                            e.template.iter(),
                            r.start,
                            r.end,
                            mode,
                            (e.strip.strip_end(), d.endif_expr.strip.strip_start()),
                        )?)
                    }
                    None => None,
                };
                Ok((
                    TemplatePart::If {
                        condition: self.expr(&d.if_expr.cond_expr)?,
                        then,
                        otherwise,
                    },
                    (d.if_expr.strip.strip_start(), d.endif_expr.strip.strip_end()),
                ))
            }
            Directive::For(d) => {
                let f = &d.for_expr;
                let r = range(&f.template)?;
                let body = self.template(
                    f.template.iter(),
                    r.start,
                    r.end,
                    mode,
                    (f.strip.strip_end(), d.endfor_expr.strip.strip_start()),
                )?;
                Ok((
                    TemplatePart::For {
                        key_var: f.key_var.as_ref().map(ident),
                        value_var: ident(&f.value_var),
                        collection: self.expr(&f.collection_expr)?,
                        body,
                    },
                    (f.strip.strip_start(), d.endfor_expr.strip.strip_end()),
                ))
            }
        }
    }
}

fn ident(i: &hcl_edit::Decorated<Ident>) -> Str {
    Str::from(i.value().as_str())
}

fn binary_op(op: he::BinaryOperator) -> BinaryOp {
    use he::BinaryOperator as B;
    match op {
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::Ne,
        B::LessEq => BinaryOp::Le,
        B::GreaterEq => BinaryOp::Ge,
        B::Less => BinaryOp::Lt,
        B::Greater => BinaryOp::Gt,
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Mul => BinaryOp::Mul,
        B::Div => BinaryOp::Div,
        B::Mod => BinaryOp::Mod,
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
    }
}

/// The offset of the `{` opening a block body, searching from the end of
/// the block type and skipping quoted labels.
fn header_brace(src: &str, from: usize, to: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'{' => return Some(i),
            b'"' => {
                i += 1;
                while i < to && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::super::{parse_hcl_fast, parse_hcl_tree_sitter};
    use super::*;

    /// The fast path's model, checked against tree-sitter's; `None` when
    /// the fast path leaves the file to tree-sitter.
    fn fast_matches_tree_sitter(text: &str) -> Option<bool> {
        let fast = parse_hcl_fast(FileId(0), text)?;
        let slow = parse_hcl_tree_sitter(FileId(0), text, Duration::from_secs(10)).expect("parsed");
        Some(slow.error.is_none() && fast.body == slow.body && fast.comments == slow.comments)
    }

    #[test]
    fn tricky_constructs_give_the_tree_sitter_model() {
        let cases = [
            "a = x ? 1 : y ? 2 : z ? 3 : 4\nb = (x ? 1 : y) ? 2 : 3\nc = x ? y ? 1 : 2 : 3\n",
            "a = -1\nb = - 2.5\nc = 1 - -x.y\nd = !a.b[0] && c || -d * 2 % 3 >= 4\n",
            "a = x[*].b.c[0]\nb = x.*.b[1]\nc = x.0.y\nd = x[*][*].y\ne = (x).y[\"k\"]\n",
            "a = \"p ${x} q %{ if y ~} r %{~ else } s %{ endif } t\"\nb = \"\"\nc = \"\\\"\\u00e9 $${x}\"\n",
            "a = <<-EOT\n    one ${x}\n      %{ for k, v in m ~}\n    ${k}=${v}\n    %{~ endfor }\n    EOT\nb = <<EOT\nEOT\n",
            "a = { k = 1, \"s\" = 2, (var.x) = 3, true = 4 }\nb = [for k, v in m : v if k != \"\"]\nc = { for x in l : x.k => x... }\n",
            "resource \"a\" \"b\" { x = 1 }\nblock label \"q\" {\n  # c\n  nested {}\n}\n",
            "a = provider::aws::arn_parse(x).region\nb = f(x, y...)\nc = f()\n",
        ];
        for case in cases {
            assert_eq!(fast_matches_tree_sitter(case), Some(true), "{case}");
        }
    }

    #[test]
    fn what_tree_sitter_reads_differently_is_left_to_it() {
        for case in ["a = 1\nb = = 2\n", "a = 1\na = 2\n", "a = 1e5\n", "a = \"$$${x}\"\n"] {
            assert_eq!(fast_matches_tree_sitter(case), None, "{case}");
        }
    }

    /// Every HCL file of the repository's fixtures.
    #[test]
    fn both_front_ends_agree_on_every_fixture() {
        let mut files = Vec::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["fixtures", "tests"] {
            for entry in ignore::WalkBuilder::new(root.join(dir)).hidden(false).build().flatten() {
                let path = entry.into_path();
                if path
                    .extension()
                    .is_some_and(|e| e == "tf" || e == "tfvars" || e == "hcl")
                {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 100, "fixtures found: {}", files.len());
        let mut fast = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).expect("readable fixture");
            if let Some(same) = fast_matches_tree_sitter(&text) {
                assert!(same, "{}: the front ends disagree", path.display());
                fast += 1;
            }
        }
        assert!(
            fast * 10 >= files.len() * 9,
            "only {fast} of {} on the fast path",
            files.len()
        );
    }
}
