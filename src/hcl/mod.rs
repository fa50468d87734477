//! HCL syntax: a span-preserving AST built from tree-sitter-hcl.
//!
//! The AST keeps every expression, not just literals, so that the Terraform
//! evaluator can compute values and every value can point back to its source.

mod comments;
mod fast;
mod json;
mod parse;

use std::sync::Arc;

use crate::source::Span;

pub use comments::scan_comments;
pub use json::{parse_json_vars, parse_tf_json};
pub use parse::{ParsedHcl, parse_hcl, parse_hcl_fast, parse_hcl_tree_sitter};

/// Interned-ish string shared between AST and values.
pub type Str = Arc<str>;

/// A sequence of attributes and blocks (a file, or the inside of a block).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| &*a.name == name)
    }

    pub fn blocks_of<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| &*b.ty == ty)
    }
}

/// `name = expression`
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: Str,
    pub name_span: Span,
    pub value: Expr,
    /// From the name to the end of the value.
    pub span: Span,
}

/// `type "label" "label" { body }`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub ty: Str,
    pub labels: Vec<Str>,
    pub body: Body,
    /// The whole block, header to closing brace.
    pub span: Span,
    /// The header: block type and labels, up to the opening brace.
    pub header: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    /// A quoted string or heredoc. A template that is one literal is a plain string.
    Template(Template),
    /// A root name: `var`, `local`, `aws_s3_bucket`, `each`, a `for` variable…
    Variable(Str),
    GetAttr(Box<Expr>, Str),
    Index(Box<Expr>, Box<Expr>),
    /// `x[*].a.b` or `x.*.a`: `each` applies to every element of `target`.
    Splat {
        target: Box<Expr>,
        each: Vec<Traverser>,
    },
    Call {
        name: Str,
        args: Vec<Expr>,
        /// The last argument ends with `...`.
        expand_final: bool,
    },
    Tuple(Vec<Expr>),
    /// Keys are expressions; a bare identifier key is already a string literal.
    Object(Vec<(Expr, Expr)>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    For(Box<ForExpr>),
    /// A piece the parser could not make sense of.
    Invalid,
}

/// A step after a splat.
#[derive(Debug, Clone, PartialEq)]
pub enum Traverser {
    Attr(Str),
    Index(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForExpr {
    pub key_var: Option<Str>,
    pub value_var: Str,
    pub collection: Expr,
    /// Present for `{ for … : k => v }`.
    pub key: Option<Expr>,
    pub value: Expr,
    pub condition: Option<Expr>,
    /// `v...` in an object `for`: values with the same key are grouped.
    pub grouping: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

impl Template {
    /// The template's text when it holds no interpolation or directive.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [TemplatePart::Literal(s, _)] => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Unescaped text, with the span it came from.
    Literal(String, Span),
    Interpolation(Expr),
    If {
        condition: Expr,
        then: Template,
        otherwise: Option<Template>,
    },
    For {
        key_var: Option<Str>,
        value_var: Str,
        collection: Expr,
        body: Template,
    },
}

/// A comment and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub text: Str,
    pub span: Span,
}
