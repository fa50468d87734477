//! JSON forms of Terraform files (`*.tfvars.json`), read with
//! tree-sitter-json so that every value keeps its position, into the same
//! AST as HCL. Strings stay literal: in a variables file they are values,
//! not templates.

use std::time::Duration;

use tree_sitter::Node;

use super::*;
use crate::source::FileId;
use crate::syntax::{self, Grammar, ParseFailure};

/// Parse a JSON variables file: every key of the top-level object is an attribute.
pub fn parse_json_vars(file: FileId, text: &str, budget: Duration) -> Result<ParsedHcl, ParseFailure> {
    let tree = syntax::parse(Grammar::Json, text, budget)?;
    let root = tree.root_node();
    let mut error = syntax::first_error(root);
    let cx = JsonCx { file, src: text };
    let mut body = Body::default();
    let top = named_children(root).into_iter().find(|n| n.kind() != "comment");
    match top {
        Some(obj) if obj.kind() == "object" => {
            for pair in named_children(obj).into_iter().filter(|n| n.kind() == "pair") {
                let (Some(k), Some(v)) = (pair.child_by_field_name("key"), pair.child_by_field_name("value")) else {
                    continue;
                };
                let Some(name) = cx.string(k) else { continue };
                body.attributes.push(Attribute {
                    name: name.into(),
                    name_span: cx.span(k),
                    value: cx.expr(v, 0),
                    span: cx.span(pair),
                });
            }
        }
        Some(other) if error.is_none() => error = Some((other.start_byte(), "the file is not a JSON object")),
        _ => {}
    }
    Ok(ParsedHcl {
        body,
        comments: Vec::new(),
        error,
    })
}

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

struct JsonCx<'s> {
    file: FileId,
    src: &'s str,
}

impl JsonCx<'_> {
    fn span(&self, node: Node) -> Span {
        Span::new(self.file, node.start_byte(), node.end_byte())
    }

    /// A JSON string node's value, escapes resolved.
    fn string(&self, node: Node) -> Option<String> {
        serde_json::from_str::<String>(&self.src[node.byte_range()]).ok()
    }

    fn expr(&self, node: Node, depth: usize) -> Expr {
        let span = self.span(node);
        let kind = if depth > 64 {
            ExprKind::Invalid
        } else {
            match node.kind() {
                "string" => match self.string(node) {
                    Some(s) => ExprKind::Template(Template {
                        parts: vec![TemplatePart::Literal(s, span)],
                    }),
                    None => ExprKind::Invalid,
                },
                "number" => self.src[node.byte_range()]
                    .parse::<f64>()
                    .map(ExprKind::Number)
                    .unwrap_or(ExprKind::Invalid),
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                "array" => ExprKind::Tuple(
                    named_children(node)
                        .into_iter()
                        .filter(|n| n.kind() != "comment")
                        .map(|n| self.expr(n, depth + 1))
                        .collect(),
                ),
                "object" => ExprKind::Object(
                    named_children(node)
                        .into_iter()
                        .filter(|n| n.kind() == "pair")
                        .filter_map(|pair| {
                            let k = pair.child_by_field_name("key")?;
                            let v = pair.child_by_field_name("value")?;
                            let key = Expr {
                                kind: ExprKind::Template(Template {
                                    parts: vec![TemplatePart::Literal(self.string(k)?, self.span(k))],
                                }),
                                span: self.span(k),
                            };
                            Some((key, self.expr(v, depth + 1)))
                        })
                        .collect(),
                ),
                _ => ExprKind::Invalid,
            }
        };
        Expr { kind, span }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_keep_positions_and_types() {
        let text =
            "{\n  \"region\": \"eu-west-1\",\n  \"ports\": [22, 443],\n  \"tags\": {\"a\": true, \"b\": null}\n}\n";
        let p = parse_json_vars(FileId(0), text, Duration::from_secs(5)).unwrap();
        assert!(p.error.is_none());
        let names: Vec<&str> = p.body.attributes.iter().map(|a| &*a.name).collect();
        assert_eq!(names, ["region", "ports", "tags"]);
        let region = &p.body.attributes[0];
        assert_eq!(&text[region.value.span.range()], "\"eu-west-1\"");
        assert!(matches!(&p.body.attributes[1].value.kind, ExprKind::Tuple(items) if items.len() == 2));
        assert!(matches!(&p.body.attributes[2].value.kind, ExprKind::Object(items) if items.len() == 2));
    }

    #[test]
    fn a_non_object_is_an_error() {
        let p = parse_json_vars(FileId(0), "[1, 2]", Duration::from_secs(5)).unwrap();
        assert!(p.error.is_some());
        let p = parse_json_vars(FileId(0), "{\"a\": ", Duration::from_secs(5)).unwrap();
        assert!(p.error.is_some());
    }
}

/// Parse a Terraform JSON configuration (`*.tf.json`) into the same AST as
/// HCL: block types at the top level, their labels as nested object keys,
/// and strings parsed as templates (`"${var.name}-logs"`). An object (or a
/// list of objects) inside a block body is read as nested blocks: without
/// the provider's schema it cannot be told from a map attribute, and
/// policies read both the same way (a path follows a list into its elements).
pub fn parse_tf_json(file: FileId, text: &str, budget: Duration) -> Result<ParsedHcl, ParseFailure> {
    let tree = syntax::parse(Grammar::Json, text, budget)?;
    let root = tree.root_node();
    let mut error = syntax::first_error(root);
    let cx = JsonCx { file, src: text };
    let mut body = Body::default();
    match named_children(root).into_iter().find(|n| n.kind() != "comment") {
        Some(obj) if obj.kind() == "object" => {
            for (key, k, v, pair) in cx.pairs(obj) {
                cx.top_level(&key, k, v, pair, &mut body);
            }
        }
        Some(other) if error.is_none() => error = Some((other.start_byte(), "the file is not a JSON object")),
        _ => {}
    }
    Ok(ParsedHcl {
        body,
        comments: Vec::new(),
        error,
    })
}

/// How many labels each top-level block type has.
fn label_count(ty: &str) -> Option<usize> {
    Some(match ty {
        "resource" | "data" => 2,
        "variable" | "output" | "module" | "provider" => 1,
        "terraform" | "locals" => 0,
        _ => return None,
    })
}

impl<'t> JsonCx<'_> {
    /// The `(key, key node, value node, pair node)` of an object, `//` comments left out.
    fn pairs(&self, obj: Node<'t>) -> Vec<(String, Node<'t>, Node<'t>, Node<'t>)> {
        named_children(obj)
            .into_iter()
            .filter(|n| n.kind() == "pair")
            .filter_map(|pair| {
                let k = pair.child_by_field_name("key")?;
                let v = pair.child_by_field_name("value")?;
                let key = self.string(k)?;
                (key != "//").then_some((key, k, v, pair))
            })
            .collect()
    }

    /// Objects at a level where Terraform also accepts a list of objects.
    fn objects(&self, v: Node<'t>) -> Vec<Node<'t>> {
        match v.kind() {
            "object" => vec![v],
            "array" => named_children(v).into_iter().filter(|n| n.kind() == "object").collect(),
            _ => Vec::new(),
        }
    }

    fn top_level(&self, ty: &str, k: Node, v: Node, pair: Node, out: &mut Body) {
        let Some(labels) = label_count(ty) else { return };
        if ty == "locals" {
            for obj in self.objects(v) {
                let mut block = self.block(ty, Vec::new(), k, pair, Body::default());
                block.body.attributes = self
                    .pairs(obj)
                    .into_iter()
                    .map(|(name, k, v, pair)| self.attribute(name, k, v, pair, false))
                    .collect();
                out.blocks.push(block);
            }
            return;
        }
        self.labelled(ty, labels, Vec::new(), k, v, pair, out);
    }

    /// Descend through `labels` levels of object keys, then read the body.
    #[allow(clippy::too_many_arguments)]
    fn labelled(&self, ty: &str, labels: usize, got: Vec<Str>, k: Node, v: Node, pair: Node, out: &mut Body) {
        if labels == 0 {
            for obj in self.objects(v) {
                let body = self.body(obj, ty == "variable");
                out.blocks.push(self.block(ty, got.clone(), k, pair, body));
            }
            return;
        }
        for obj in self.objects(v) {
            for (label, lk, lv, lpair) in self.pairs(obj) {
                let mut next = got.clone();
                next.push(label.into());
                self.labelled(ty, labels - 1, next, lk, lv, lpair, out);
            }
        }
    }

    fn block(&self, ty: &str, labels: Vec<Str>, k: Node, pair: Node, body: Body) -> Block {
        Block {
            ty: ty.into(),
            labels,
            body,
            span: self.span(pair),
            header: self.span(k),
        }
    }

    /// A block body: objects are nested blocks (`dynamic` takes a label).
    fn body(&self, obj: Node, variable: bool) -> Body {
        let mut body = Body::default();
        for (key, k, v, pair) in self.pairs(obj) {
            let nested = matches!(v.kind(), "object")
                || (v.kind() == "array"
                    && named_children(v).first().is_some_and(|n| n.kind() == "object")
                    && !META_LISTS.contains(&key.as_str()));
            if key == "dynamic" {
                for o in self.objects(v) {
                    for (label, lk, lv, lpair) in self.pairs(o) {
                        for inner in self.objects(lv) {
                            let b = self.body(inner, false);
                            body.blocks
                                .push(self.block("dynamic", vec![label.as_str().into()], lk, lpair, b));
                        }
                    }
                }
            } else if nested && !variable {
                for o in self.objects(v) {
                    let b = self.body(o, false);
                    body.blocks.push(self.block(&key, Vec::new(), k, pair, b));
                }
            } else {
                // A variable's `type` is a type expression written as a string.
                let as_expression = variable && key == "type";
                body.attributes.push(self.attribute(key, k, v, pair, as_expression));
            }
        }
        body
    }

    fn attribute(&self, name: String, k: Node, v: Node, pair: Node, as_expression: bool) -> Attribute {
        Attribute {
            name: name.into(),
            name_span: self.span(k),
            value: if as_expression {
                self.expression_string(v)
            } else {
                self.template_expr(v, 0)
            },
            span: self.span(pair),
        }
    }

    /// A value whose strings are templates.
    fn template_expr(&self, node: Node, depth: usize) -> Expr {
        let span = self.span(node);
        match node.kind() {
            "string" if depth <= 64 => match self.string(node) {
                Some(s) if s.contains("${") || s.contains("%{") => {
                    let source = format!("v = <<{HEREDOC}\n{s}\n{HEREDOC}\n");
                    template_of(&source, span).unwrap_or(Expr {
                        kind: ExprKind::Invalid,
                        span,
                    })
                }
                _ => self.expr(node, depth),
            },
            "array" if depth <= 64 => Expr {
                kind: ExprKind::Tuple(
                    named_children(node)
                        .into_iter()
                        .filter(|n| n.kind() != "comment")
                        .map(|n| self.template_expr(n, depth + 1))
                        .collect(),
                ),
                span,
            },
            "object" if depth <= 64 => Expr {
                kind: ExprKind::Object(
                    self.pairs(node)
                        .into_iter()
                        .map(|(key, k, v, _)| {
                            let key = Expr {
                                kind: ExprKind::Template(Template {
                                    parts: vec![TemplatePart::Literal(key, self.span(k))],
                                }),
                                span: self.span(k),
                            };
                            (key, self.template_expr(v, depth + 1))
                        })
                        .collect(),
                ),
                span,
            },
            _ => self.expr(node, depth),
        }
    }

    /// A string holding an HCL expression (a variable's `type`).
    fn expression_string(&self, node: Node) -> Expr {
        let span = self.span(node);
        match self.string(node) {
            Some(s) => {
                let source = format!("v = {s}\n");
                match super::parse_hcl(FileId(u32::MAX), &source, Duration::from_secs(1)) {
                    Ok(p) if p.error.is_none() => p
                        .body
                        .attribute("v")
                        .map(|a| respan(a.value.clone(), span))
                        .unwrap_or(Expr {
                            kind: ExprKind::Invalid,
                            span,
                        }),
                    _ => Expr {
                        kind: ExprKind::Invalid,
                        span,
                    },
                }
            }
            None => self.expr(node, 0),
        }
    }
}

/// Meta-arguments whose lists hold objects but are not blocks.
const META_LISTS: &[&str] = &["depends_on", "ignore_changes"];

const HEREDOC: &str = "PALISADE_TF_JSON";

/// Parse a template string given as a heredoc, every span moved onto the
/// JSON string it came from (offsets inside the string are not kept).
fn template_of(source: &str, span: Span) -> Option<Expr> {
    let p = super::parse_hcl(FileId(u32::MAX), source, Duration::from_secs(1)).ok()?;
    if p.error.is_some() {
        return None;
    }
    let mut e = respan(p.body.attribute("v")?.value.clone(), span);
    // The heredoc ends with the newline before its closing marker.
    if let ExprKind::Template(t) = &mut e.kind
        && let Some(TemplatePart::Literal(last, _)) = t.parts.last_mut()
    {
        last.pop();
        if last.is_empty() {
            t.parts.pop();
        }
    }
    Some(e)
}

/// `e` with every span replaced by `span`.
fn respan(e: Expr, span: Span) -> Expr {
    let r = |x: Expr| respan(x, span);
    let rb = |x: Box<Expr>| Box::new(respan(*x, span));
    let kind = match e.kind {
        ExprKind::Template(t) => ExprKind::Template(respan_template(t, span)),
        ExprKind::GetAttr(x, n) => ExprKind::GetAttr(rb(x), n),
        ExprKind::Index(x, k) => ExprKind::Index(rb(x), rb(k)),
        ExprKind::Splat { target, each } => ExprKind::Splat {
            target: rb(target),
            each: each
                .into_iter()
                .map(|t| match t {
                    Traverser::Index(k) => Traverser::Index(r(k)),
                    other => other,
                })
                .collect(),
        },
        ExprKind::Call {
            name,
            args,
            expand_final,
        } => ExprKind::Call {
            name,
            args: args.into_iter().map(r).collect(),
            expand_final,
        },
        ExprKind::Tuple(items) => ExprKind::Tuple(items.into_iter().map(r).collect()),
        ExprKind::Object(items) => ExprKind::Object(items.into_iter().map(|(k, v)| (r(k), r(v))).collect()),
        ExprKind::Conditional(c, t, f) => ExprKind::Conditional(rb(c), rb(t), rb(f)),
        ExprKind::Unary(op, x) => ExprKind::Unary(op, rb(x)),
        ExprKind::Binary(op, a, b) => ExprKind::Binary(op, rb(a), rb(b)),
        ExprKind::For(f) => {
            let f = *f;
            ExprKind::For(Box::new(ForExpr {
                collection: r(f.collection),
                key: f.key.map(r),
                value: r(f.value),
                condition: f.condition.map(r),
                ..f
            }))
        }
        other => other,
    };
    Expr { kind, span }
}

fn respan_template(t: Template, span: Span) -> Template {
    Template {
        parts: t
            .parts
            .into_iter()
            .map(|p| match p {
                TemplatePart::Literal(s, _) => TemplatePart::Literal(s, span),
                TemplatePart::Interpolation(e) => TemplatePart::Interpolation(respan(e, span)),
                TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                } => TemplatePart::If {
                    condition: respan(condition, span),
                    then: respan_template(then, span),
                    otherwise: otherwise.map(|o| respan_template(o, span)),
                },
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => TemplatePart::For {
                    key_var,
                    value_var,
                    collection: respan(collection, span),
                    body: respan_template(body, span),
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tf_json_tests {
    use super::*;

    #[test]
    fn blocks_labels_templates_and_nested_blocks() {
        let text = r#"{
  "//": "a comment",
  "variable": { "env": { "type": "string", "default": "prod" } },
  "locals": { "name": "${var.env}-logs" },
  "resource": {
    "aws_s3_bucket": {
      "logs": {
        "bucket": "${local.name}",
        "acl": "private",
        "versioning": { "enabled": true },
        "dynamic": { "rule": { "for_each": "${var.rules}", "content": { "id": "${rule.key}" } } },
        "depends_on": ["aws_kms_key.k"]
      }
    }
  }
}"#;
        let p = parse_tf_json(FileId(0), text, Duration::from_secs(5)).unwrap();
        assert!(p.error.is_none());
        let types: Vec<&str> = p.body.blocks.iter().map(|b| &*b.ty).collect();
        assert_eq!(types, ["variable", "locals", "resource"]);
        let var = &p.body.blocks[0];
        assert!(matches!(
            var.body.attribute("type").unwrap().value.kind,
            ExprKind::Variable(_)
        ));
        let res = &p.body.blocks[2];
        assert_eq!(res.labels, vec![Str::from("aws_s3_bucket"), Str::from("logs")]);
        assert_eq!(&text[res.header.range()], "\"logs\"");
        let bucket = &res.body.attribute("bucket").unwrap().value;
        assert!(
            matches!(&bucket.kind, ExprKind::Template(t) if matches!(t.parts.as_slice(), [TemplatePart::Interpolation(_)]))
        );
        assert_eq!(&text[bucket.span.range()], "\"${local.name}\"");
        assert_eq!(res.body.blocks_of("versioning").count(), 1);
        let dynamic = res.body.blocks_of("dynamic").next().unwrap();
        assert_eq!(dynamic.labels, vec![Str::from("rule")]);
        assert!(dynamic.body.blocks_of("content").next().is_some());
        assert!(matches!(
            res.body.attribute("depends_on").unwrap().value.kind,
            ExprKind::Tuple(_)
        ));
        let locals = &p.body.blocks[1];
        let name = &locals.body.attribute("name").unwrap().value;
        assert!(matches!(&name.kind, ExprKind::Template(t) if t.parts.len() == 2));
    }
}
