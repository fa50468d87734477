//! Expression evaluation for Terraform.
//!
//! Values are known, unknown (with the reason), or partly known (collections
//! holding unknowns). Nothing is guessed: what Palisade cannot compute is
//! [`ValKind::Unknown`], and policies treat it as inconclusive.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::hcl::{BinaryOp, Block, Expr, ExprKind, Template, TemplatePart, Traverser, UnaryOp};
use crate::value::{Entry, Str, Unknown, Val, ValKind, format_number};

use super::{Module, TfOptions};

/// Names bound inside an expression: `each`, `count`, `for` variables, `self`.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    vars: Vec<(Str, Val)>,
}

impl Scope {
    /// The scope of a resource or module block: `each` and `count` are not
    /// known until instances are expanded.
    pub fn for_block(_block: &Block) -> Scope {
        Scope::default()
    }

    pub fn with(&self, name: Str, value: Val) -> Scope {
        let mut s = self.clone();
        s.vars.push((name, value));
        s
    }

    fn get(&self, name: &str) -> Option<&Val> {
        self.vars.iter().rev().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }
}

/// Evaluates expressions of one module.
pub struct Evaluator<'m> {
    module: &'m Module,
    variables: HashMap<Str, &'m Block>,
    /// Values given from outside (`*.tfvars`, `--var`).
    inputs: HashMap<Str, Val>,
    locals: HashMap<Str, &'m Expr>,
    local_cache: RefCell<HashMap<Str, Val>>,
    evaluating: RefCell<HashSet<Str>>,
    resources: HashMap<(Str, Str), &'m Block>,
}

const MAX_DEPTH: usize = 64;

impl<'m> Evaluator<'m> {
    pub fn new(module: &'m Module, options: &TfOptions) -> Self {
        let mut variables = HashMap::new();
        let mut locals = HashMap::new();
        let mut resources = HashMap::new();
        for (_, block) in module.blocks() {
            match (&*block.ty, block.labels.as_slice()) {
                ("variable", [name]) => {
                    variables.insert(name.clone(), block);
                }
                ("locals", []) => {
                    for a in &block.body.attributes {
                        locals.insert(a.name.clone(), &a.value);
                    }
                }
                ("resource", [ty, name]) => {
                    resources.insert((ty.clone(), name.clone()), block);
                }
                _ => {}
            }
        }
        let mut ev = Evaluator {
            module,
            variables,
            inputs: HashMap::new(),
            locals,
            local_cache: RefCell::new(HashMap::new()),
            evaluating: RefCell::new(HashSet::new()),
            resources,
        };
        // Later files override earlier ones, command-line values override files.
        let mut inputs = HashMap::new();
        for f in &module.var_files {
            for a in &f.body.attributes {
                let v = ev.eval(&a.value, &Scope::default());
                inputs.insert(a.name.clone(), v);
            }
        }
        for (name, value) in &options.vars {
            inputs.insert(Str::from(name.as_str()), Val::string(value.as_str(), None));
        }
        ev.inputs = inputs;
        ev
    }

    pub fn module(&self) -> &Module {
        self.module
    }

    pub fn eval(&self, e: &Expr, scope: &Scope) -> Val {
        self.eval_depth(e, scope, 0)
    }

    fn eval_depth(&self, e: &Expr, scope: &Scope, depth: usize) -> Val {
        if depth > MAX_DEPTH {
            return Val::unknown(Unknown::Other("expression nested too deeply".into()), Some(e.span));
        }
        let d = depth + 1;
        let span = Some(e.span);
        match &e.kind {
            ExprKind::Null => Val::new(ValKind::Null, span),
            ExprKind::Bool(b) => Val::new(ValKind::Bool(*b), span),
            ExprKind::Number(n) => Val::new(ValKind::Number(*n), span),
            ExprKind::Template(t) => self.template(t, scope, d, e),
            ExprKind::Tuple(items) => Val::new(
                ValKind::List(items.iter().map(|i| self.eval_depth(i, scope, d)).collect()),
                span,
            ),
            ExprKind::Object(items) => {
                let mut entries = Vec::new();
                for (k, v) in items {
                    let key = self.eval_depth(k, scope, d);
                    let Some(key) = scalar_text(&key) else {
                        return Val::unknown(Unknown::Other("an object key is not known".into()), span);
                    };
                    entries.push(Entry {
                        key: key.into(),
                        key_span: Some(k.span.to(v.span)),
                        value: self.eval_depth(v, scope, d),
                    });
                }
                Val::new(ValKind::Map(entries), span)
            }
            ExprKind::Variable(_) | ExprKind::GetAttr(..) | ExprKind::Index(..) => self.traversal(e, scope, d),
            ExprKind::Splat { target, each } => {
                let t = self.eval_depth(target, scope, d);
                match &t.kind {
                    ValKind::List(items) => {
                        let out = items
                            .iter()
                            .map(|item| {
                                each.iter().fold(item.clone(), |v, tr| match tr {
                                    Traverser::Attr(name) => get_attr(&v, name, span),
                                    Traverser::Index(k) => index(&v, &self.eval_depth(k, scope, d), span),
                                })
                            })
                            .collect();
                        Val::new(ValKind::List(out), span)
                    }
                    ValKind::Null => Val::new(ValKind::List(vec![]), span),
                    ValKind::Unknown(_) => t.clone(),
                    _ => {
                        let v = each.iter().fold(t.clone(), |v, tr| match tr {
                            Traverser::Attr(name) => get_attr(&v, name, span),
                            Traverser::Index(k) => index(&v, &self.eval_depth(k, scope, d), span),
                        });
                        Val::new(ValKind::List(vec![v]), span)
                    }
                }
            }
            ExprKind::Conditional(c, t, f) => {
                let cond = self.eval_depth(c, scope, d);
                match cond.as_bool() {
                    Some(true) => self.eval_depth(t, scope, d),
                    Some(false) => self.eval_depth(f, scope, d),
                    None => Val::unknown(Unknown::Other("a condition is not known".into()), span),
                }
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval_depth(x, scope, d);
                match (op, &v.kind) {
                    (UnaryOp::Neg, _) if v.as_number().is_some() => {
                        Val::new(ValKind::Number(-v.as_number().unwrap_or(0.0)), span)
                    }
                    (UnaryOp::Not, _) if v.as_bool().is_some() => {
                        Val::new(ValKind::Bool(!v.as_bool().unwrap_or(false)), span)
                    }
                    (_, ValKind::Unknown(_)) => v.clone(),
                    _ => Val::unknown(Unknown::Other("an invalid operand".into()), span),
                }
            }
            ExprKind::Binary(op, l, r) => {
                let a = self.eval_depth(l, scope, d);
                let b = self.eval_depth(r, scope, d);
                binary(*op, &a, &b, span)
            }
            ExprKind::For(f) => {
                let coll = self.eval_depth(&f.collection, scope, d);
                let pairs: Vec<(Val, Val)> = match &coll.kind {
                    ValKind::List(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Val::new(ValKind::Number(i as f64), None), v.clone()))
                        .collect(),
                    ValKind::Map(entries) => entries
                        .iter()
                        .map(|en| (Val::string(en.key.clone(), None), en.value.clone()))
                        .collect(),
                    ValKind::Unknown(_) => return coll.clone(),
                    _ => return Val::unknown(Unknown::Other("`for` over a non-collection".into()), span),
                };
                let mut list = Vec::new();
                let mut map: Vec<Entry> = Vec::new();
                for (k, v) in pairs {
                    let mut inner = scope.with(f.value_var.clone(), v);
                    if let Some(kv) = &f.key_var {
                        inner = inner.with(kv.clone(), k);
                    }
                    if let Some(c) = &f.condition {
                        match self.eval_depth(c, &inner, d).as_bool() {
                            Some(true) => {}
                            Some(false) => continue,
                            None => return Val::unknown(Unknown::Other("a `for` condition is not known".into()), span),
                        }
                    }
                    let value = self.eval_depth(&f.value, &inner, d);
                    match &f.key {
                        Some(ke) => {
                            let key = self.eval_depth(ke, &inner, d);
                            let Some(key) = scalar_text(&key) else {
                                return Val::unknown(Unknown::Other("a `for` key is not known".into()), span);
                            };
                            if f.grouping {
                                match map.iter_mut().find(|e| *e.key == *key) {
                                    Some(e) => {
                                        if let ValKind::List(items) = &mut e.value.kind {
                                            items.push(value);
                                        }
                                    }
                                    None => map.push(Entry {
                                        key: key.into(),
                                        key_span: None,
                                        value: Val::new(ValKind::List(vec![value]), None),
                                    }),
                                }
                            } else {
                                map.retain(|e| *e.key != *key);
                                map.push(Entry {
                                    key: key.into(),
                                    key_span: None,
                                    value,
                                });
                            }
                        }
                        None => list.push(value),
                    }
                }
                if f.key.is_some() {
                    Val::new(ValKind::Map(map), span)
                } else {
                    Val::new(ValKind::List(list), span)
                }
            }
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => {
                let mut values: Vec<Val> = args.iter().map(|a| self.eval_depth(a, scope, d)).collect();
                if *expand_final && let Some(last) = values.pop() {
                    match last.kind {
                        ValKind::List(items) => values.extend(items),
                        ValKind::Unknown(_) => return last,
                        _ => values.push(last),
                    }
                }
                call(name, &values, span)
            }
            ExprKind::Invalid => Val::unknown(Unknown::Other("an expression that did not parse".into()), span),
        }
    }

    fn template(&self, t: &Template, scope: &Scope, d: usize, e: &Expr) -> Val {
        if let Some(lit) = t.as_literal() {
            return Val::string(lit, Some(e.span));
        }
        // A template that is exactly one interpolation yields the value itself.
        if let [TemplatePart::Interpolation(x)] = t.parts.as_slice() {
            return self.eval_depth(x, scope, d);
        }
        let mut out = String::new();
        if let Some(why) = self.render(t, scope, d, &mut out) {
            return Val::unknown(why, Some(e.span));
        }
        Val::string(out, Some(e.span))
    }

    /// Render a template into `out`; `Some(reason)` when a part is unknown.
    fn render(&self, t: &Template, scope: &Scope, d: usize, out: &mut String) -> Option<Unknown> {
        for part in &t.parts {
            match part {
                TemplatePart::Literal(s, _) => out.push_str(s),
                TemplatePart::Interpolation(x) => {
                    let v = self.eval_depth(x, scope, d);
                    match &v.kind {
                        ValKind::Unknown(why) => return Some(why.clone()),
                        _ => match scalar_text(&v) {
                            Some(s) => out.push_str(&s),
                            None if v.is_null() => {}
                            None => return Some(Unknown::Other("a collection inside a string".into())),
                        },
                    }
                }
                TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                } => match self.eval_depth(condition, scope, d).as_bool() {
                    Some(true) => {
                        if let Some(w) = self.render(then, scope, d, out) {
                            return Some(w);
                        }
                    }
                    Some(false) => {
                        if let Some(o) = otherwise
                            && let Some(w) = self.render(o, scope, d, out)
                        {
                            return Some(w);
                        }
                    }
                    None => return Some(Unknown::Other("a template condition is not known".into())),
                },
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let coll = self.eval_depth(collection, scope, d);
                    let pairs: Vec<(Val, Val)> = match &coll.kind {
                        ValKind::List(items) => items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (Val::new(ValKind::Number(i as f64), None), v.clone()))
                            .collect(),
                        ValKind::Map(entries) => entries
                            .iter()
                            .map(|en| (Val::string(en.key.clone(), None), en.value.clone()))
                            .collect(),
                        ValKind::Unknown(why) => return Some(why.clone()),
                        _ => return Some(Unknown::Other("a template `for` over a non-collection".into())),
                    };
                    for (k, v) in pairs {
                        let mut inner = scope.with(value_var.clone(), v);
                        if let Some(kv) = key_var {
                            inner = inner.with(kv.clone(), k);
                        }
                        if let Some(w) = self.render(body, &inner, d, out) {
                            return Some(w);
                        }
                    }
                }
            }
        }
        None
    }

    /// A root name followed by attribute and index steps.
    fn traversal(&self, e: &Expr, scope: &Scope, d: usize) -> Val {
        // Flatten `a.b[c].d` into root + steps.
        let mut steps: Vec<&Expr> = Vec::new();
        let mut cur = e;
        while let ExprKind::GetAttr(inner, _) | ExprKind::Index(inner, _) = &cur.kind {
            steps.push(cur);
            cur = inner;
        }
        steps.reverse();
        let span = Some(e.span);
        let root = match &cur.kind {
            ExprKind::Variable(name) => name.clone(),
            _ => {
                let base = self.eval_depth(cur, scope, d);
                return self.apply_steps(base, &steps, scope, d, span);
            }
        };
        if let Some(v) = scope.get(&root) {
            return self.apply_steps(v.clone(), &steps, scope, d, span);
        }
        let attr_name = |i: usize| -> Option<&Str> {
            match steps.get(i).map(|s| &s.kind) {
                Some(ExprKind::GetAttr(_, n)) => Some(n),
                _ => None,
            }
        };
        match &*root {
            "var" => {
                let Some(name) = attr_name(0) else {
                    return Val::unknown(Unknown::Other("`var` used alone".into()), span);
                };
                let v = self.variable_at(name, d);
                self.apply_steps(v, &steps[1..], scope, d, span)
            }
            "local" => {
                let Some(name) = attr_name(0) else {
                    return Val::unknown(Unknown::Other("`local` used alone".into()), span);
                };
                let v = self.local(name, d);
                self.apply_steps(v, &steps[1..], scope, d, span)
            }
            "path" => match attr_name(0).map(|s| &**s) {
                Some("module") | Some("root") | Some("cwd") => Val::string(".", span),
                _ => Val::unknown(Unknown::Other("an unknown `path` attribute".into()), span),
            },
            "terraform" => match attr_name(0).map(|s| &**s) {
                Some("workspace") => Val::string("default", span),
                _ => Val::unknown(Unknown::Other("a `terraform` attribute".into()), span),
            },
            "each" | "count" | "self" => Val::unknown(Unknown::Other(format!("`{root}` is not expanded").into()), span),
            "data" => {
                let (Some(ty), Some(name)) = (attr_name(0), attr_name(1)) else {
                    return Val::unknown(Unknown::DataSource, span);
                };
                Val::unknown(Unknown::DataSource, span).with_reference(Some(format!("data.{ty}.{name}").into()))
            }
            "module" => {
                let reference = attr_name(0).map(|m| Str::from(format!("module.{m}")));
                Val::unknown(Unknown::Computed, span).with_reference(reference)
            }
            ty => {
                // A managed resource: `type.name.attribute…`.
                let Some(name) = attr_name(0) else {
                    return Val::unknown(Unknown::Other(format!("unknown name `{ty}`").into()), span);
                };
                let address: Str = format!("{ty}.{name}").into();
                let block = self.resources.get(&(Str::from(ty), name.clone()));
                let rest = &steps[1..];
                // Literal attributes of the resource are known; the rest is
                // computed by the provider when applied.
                if let (Some(block), Some(ExprKind::GetAttr(_, attr))) = (block, rest.first().map(|s| &s.kind))
                    && block.body.attribute("count").is_none()
                    && block.body.attribute("for_each").is_none()
                    && let Some(a) = block.body.attribute(attr)
                    && depth_ok(d)
                {
                    let v = self.eval_depth(&a.value, &Scope::default(), d);
                    return self
                        .apply_steps(v, &rest[1..], scope, d, span)
                        .with_reference(Some(address));
                }
                Val::unknown(Unknown::Computed, span).with_reference(Some(address))
            }
        }
    }

    fn apply_steps(
        &self,
        mut v: Val,
        steps: &[&Expr],
        scope: &Scope,
        d: usize,
        span: Option<crate::source::Span>,
    ) -> Val {
        for s in steps {
            v = match &s.kind {
                ExprKind::GetAttr(_, name) => get_attr(&v, name, span),
                ExprKind::Index(_, k) => index(&v, &self.eval_depth(k, scope, d), span),
                _ => v,
            };
        }
        v
    }

    /// A variable's value: given (tfvars, `--var`), else its default, else unknown.
    pub fn variable(&self, name: &str) -> Val {
        self.variable_at(name, 1)
    }

    /// `variable` reached at nesting `d`: a default that refers back to the
    /// variable (invalid Terraform, but recovered syntax can say it) must run
    /// out of depth instead of recursing forever.
    fn variable_at(&self, name: &str, d: usize) -> Val {
        if let Some(v) = self.inputs.get(name) {
            return v.clone();
        }
        match self.variables.get(name) {
            Some(block) => match block.body.attribute("default") {
                Some(def) => self.eval_depth(&def.value, &Scope::default(), d),
                None => Val::unknown(Unknown::UnsetVariable(name.into()), Some(block.header)),
            },
            None => Val::unknown(Unknown::UnsetVariable(name.into()), None),
        }
    }

    fn local(&self, name: &str, d: usize) -> Val {
        if let Some(v) = self.local_cache.borrow().get(name) {
            return v.clone();
        }
        let Some(expr) = self.locals.get(name) else {
            return Val::unknown(Unknown::Other(format!("local `{name}` is not defined").into()), None);
        };
        if !self.evaluating.borrow_mut().insert(name.into()) {
            return Val::unknown(Unknown::Other(format!("local `{name}` refers to itself").into()), None);
        }
        let v = self.eval_depth(expr, &Scope::default(), d);
        self.evaluating.borrow_mut().remove(name);
        self.local_cache.borrow_mut().insert(name.into(), v.clone());
        v
    }
}

fn depth_ok(d: usize) -> bool {
    d < MAX_DEPTH
}

fn scalar_text(v: &Val) -> Option<String> {
    match &v.kind {
        ValKind::String(s) => Some(s.to_string()),
        ValKind::Number(n) => Some(format_number(*n)),
        ValKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get_attr(v: &Val, name: &str, span: Option<crate::source::Span>) -> Val {
    match &v.kind {
        ValKind::Map(_) => v
            .get(name)
            .cloned()
            .unwrap_or_else(|| Val::unknown(Unknown::Other(format!("attribute `{name}` is not set").into()), span)),
        ValKind::Unknown(_) => v.clone(),
        _ => Val::unknown(
            Unknown::Other(format!("attribute `{name}` of a non-object").into()),
            span,
        ),
    }
    .with_reference_kept(v)
}

fn index(v: &Val, key: &Val, span: Option<crate::source::Span>) -> Val {
    match (&v.kind, &key.kind) {
        (ValKind::Unknown(_), _) => v.clone(),
        (_, ValKind::Unknown(_)) => {
            Val::unknown(Unknown::Other("an index is not known".into()), span).with_reference_kept(v)
        }
        (ValKind::List(items), _) => match key.as_number() {
            Some(n) if n >= 0.0 && (n as usize) < items.len() => items[n as usize].clone(),
            _ => Val::unknown(Unknown::Other("an index out of range".into()), span),
        },
        (ValKind::Map(_), _) => match scalar_text(key) {
            Some(k) => get_attr(v, &k, span),
            None => Val::unknown(Unknown::Other("an invalid key".into()), span),
        },
        _ => Val::unknown(Unknown::Other("an index into a non-collection".into()), span),
    }
}

impl Val {
    /// Keep the reference of the container a value was read from.
    fn with_reference_kept(mut self, from: &Val) -> Val {
        if self.reference.is_none() {
            self.reference = from.reference.clone();
        }
        self
    }
}

fn binary(op: BinaryOp, a: &Val, b: &Val, span: Option<crate::source::Span>) -> Val {
    if a.is_unknown() {
        return a.clone();
    }
    if b.is_unknown() {
        return b.clone();
    }
    let num = |f: fn(f64, f64) -> f64| match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => Val::new(ValKind::Number(f(x, y)), span),
        _ => Val::unknown(Unknown::Other("arithmetic on a non-number".into()), span),
    };
    let cmp = |f: fn(f64, f64) -> bool| match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => Val::new(ValKind::Bool(f(x, y)), span),
        _ => Val::unknown(Unknown::Other("comparison of non-numbers".into()), span),
    };
    let logic = |f: fn(bool, bool) -> bool| match (a.as_bool(), b.as_bool()) {
        (Some(x), Some(y)) => Val::new(ValKind::Bool(f(x, y)), span),
        _ => Val::unknown(Unknown::Other("logic on a non-boolean".into()), span),
    };
    match op {
        BinaryOp::Add => num(|x, y| x + y),
        BinaryOp::Sub => num(|x, y| x - y),
        BinaryOp::Mul => num(|x, y| x * y),
        BinaryOp::Div => num(|x, y| x / y),
        BinaryOp::Mod => num(|x, y| x % y),
        BinaryOp::Lt => cmp(|x, y| x < y),
        BinaryOp::Le => cmp(|x, y| x <= y),
        BinaryOp::Gt => cmp(|x, y| x > y),
        BinaryOp::Ge => cmp(|x, y| x >= y),
        BinaryOp::And => logic(|x, y| x && y),
        BinaryOp::Or => logic(|x, y| x || y),
        BinaryOp::Eq | BinaryOp::Ne => {
            if a.contains_unknown() || b.contains_unknown() {
                return Val::unknown(Unknown::Other("comparison with an unknown value".into()), span);
            }
            let eq = a.to_json() == b.to_json();
            Val::new(ValKind::Bool(if op == BinaryOp::Eq { eq } else { !eq }), span)
        }
    }
}

/// The built-in functions the evaluator knows. Anything else is unknown.
fn call(name: &str, args: &[Val], span: Option<crate::source::Span>) -> Val {
    let unknown = || Val::unknown(Unknown::Unsupported(Arc::from(format!("function `{name}`"))), span);
    if let Some(u) = args.iter().find(|a| a.is_unknown()) {
        // `try` and `coalesce` can succeed with unknown arguments in Terraform,
        // but not knowing which branch wins, we do not either.
        return u.clone();
    }
    match name {
        "jsonencode" => match args {
            [v] if !v.contains_unknown() => Val::string(v.to_json().to_string(), span),
            _ => unknown(),
        },
        "lower" | "upper" => match args.first().and_then(Val::as_str) {
            Some(s) => Val::string(
                if name == "lower" {
                    s.to_lowercase()
                } else {
                    s.to_uppercase()
                },
                span,
            ),
            None => unknown(),
        },
        "tostring" => match args.first().and_then(scalar_text) {
            Some(s) => Val::string(s, span),
            None => unknown(),
        },
        "tobool" => match args.first().and_then(Val::as_bool) {
            Some(b) => Val::new(ValKind::Bool(b), span),
            None => unknown(),
        },
        "tonumber" => match args.first().and_then(Val::as_number) {
            Some(n) => Val::new(ValKind::Number(n), span),
            None => unknown(),
        },
        "tolist" | "toset" => match args.first() {
            Some(v) if v.as_list().is_some() => v.clone(),
            _ => unknown(),
        },
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                match a.as_list() {
                    Some(items) => out.extend(items.iter().cloned()),
                    None => return unknown(),
                }
            }
            Val::new(ValKind::List(out), span)
        }
        "merge" => {
            let mut out: Vec<Entry> = Vec::new();
            for a in args {
                match &a.kind {
                    ValKind::Map(entries) => {
                        for e in entries {
                            out.retain(|o| o.key != e.key);
                            out.push(e.clone());
                        }
                    }
                    ValKind::Null => {}
                    _ => return unknown(),
                }
            }
            Val::new(ValKind::Map(out), span)
        }
        "lookup" => match args {
            [m, k] | [m, k, _] => match (&m.kind, scalar_text(k)) {
                (ValKind::Map(_), Some(key)) => match m.get(&key) {
                    Some(v) => v.clone(),
                    None => args.get(2).cloned().unwrap_or_else(unknown),
                },
                _ => unknown(),
            },
            _ => unknown(),
        },
        "coalesce" => args
            .iter()
            .find(|a| !a.is_null() && a.as_str() != Some(""))
            .cloned()
            .unwrap_or_else(unknown),
        _ => unknown(),
    }
}
