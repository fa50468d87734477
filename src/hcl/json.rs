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
