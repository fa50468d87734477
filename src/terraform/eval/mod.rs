//! Expression evaluation for Terraform.
//!
//! Values are known, unknown (with the reason), or partly known (collections
//! holding unknowns). Nothing is guessed: what Palisade cannot compute is
//! [`ValKind::Unknown`], and policies treat it as inconclusive.
//!
//! Evaluation is demand-driven: a reference (`local.x`, `var.y`,
//! `aws_s3_bucket.b.bucket`, `module.m.out`) evaluates what it names when it
//! is first needed and remembers the result, so the order of files and
//! blocks never matters: this walks the dependency graph depth first. A
//! reference back to something still being evaluated is a cycle: its value
//! is unknown and a notice names it, instead of looping.

pub mod functions;
mod inputs;
mod instances;
mod ops;

#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use foldhash::{HashMap, HashSet};
use std::rc::{Rc, Weak};

use crate::hcl::{Block, Body, Expr, ExprKind, ForExpr, Template, TemplatePart, Traverser};
use crate::source::Span;
use crate::value::{Entry, Str, Unknown, Val, ValKind};

use super::{Module, Project, TfOptions};
pub use functions::FileAccess;
pub use instances::{Instance, Instances, MAX_INSTANCES};
use ops::{error, get_attr, index, iteration_pairs, scalar_text};

/// Names bound inside an expression: `each`, `count`, `for` variables,
/// dynamic-block iterators.
///
/// A persistent list: binding a name shares the outer bindings instead of
/// copying them, so nested `for` expressions over big values stay cheap.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    head: Option<Rc<Binding>>,
}

#[derive(Debug)]
struct Binding {
    name: Str,
    value: Val,
    outer: Option<Rc<Binding>>,
}

impl Scope {
    /// The scope of a resource or module block before instances are
    /// expanded: `each` and `count` are unknown there.
    pub fn for_block(_block: &Block) -> Scope {
        Scope::default()
    }

    pub fn with(&self, name: Str, value: Val) -> Scope {
        Scope {
            head: Some(Rc::new(Binding {
                name,
                value,
                outer: self.head.clone(),
            })),
        }
    }

    fn get(&self, name: &str) -> Option<&Val> {
        let mut cur = self.head.as_deref();
        while let Some(b) = cur {
            if &*b.name == name {
                return Some(&b.value);
            }
            cur = b.outer.as_deref();
        }
        None
    }
}

/// Deepest expression nesting evaluated; deeper is unknown.
const MAX_DEPTH: usize = 96;
/// Largest value (in nodes) a reference may produce; larger is unknown.
/// Values are shared rather than copied, but policies and type conversions
/// still walk them whole, and an output holding whole resources that hold
/// other whole resources grows at every level: this bounds that time.
pub const MAX_KEPT_NODES: usize = 50_000;

/// Whether `v` has more than `limit` nodes (counting stops at the limit).
fn exceeds(v: &Val, limit: usize) -> bool {
    fn count(v: &Val, left: &mut usize) -> bool {
        if *left == 0 {
            return true;
        }
        *left -= 1;
        match &v.kind {
            ValKind::List(items) => items.iter().any(|i| count(i, left)),
            ValKind::Map(entries) => entries.iter().any(|e| count(&e.value, left)),
            _ => false,
        }
    }
    let mut left = limit;
    count(v, &mut left)
}

/// Deepest chain of module calls followed.
pub const MAX_MODULE_DEPTH: usize = 8;

/// A problem found while evaluating, reported as a notice: a cycle, too many
/// instances, a module that could not be found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EvalNotice {
    pub span: Option<Span>,
    pub message: String,
}

/// Where a called module's inputs come from.
struct Caller<'m> {
    parent: Weak<Evaluator<'m>>,
    call: &'m Block,
    instance: Option<Instance>,
}

/// State shared by the evaluators of one root module and its calls.
#[derive(Default)]
struct Shared<'m> {
    notices: RefCell<Vec<EvalNotice>>,
    /// The blocks of each module by name, made once and shared by every
    /// instance of the module (a module called with `for_each` has an
    /// evaluator per instance). Keyed by the module's address in memory.
    indexes: RefCell<HashMap<usize, Rc<ModuleIndex<'m>>>>,
    /// References met while what they name was being computed (cycles),
    /// and expressions cut at [`MAX_DEPTH`]: the two ways a value can
    /// depend on where it was asked for (see [`Evaluator::kept`]).
    cycles: Cell<u64>,
    too_deep: Cell<u64>,
    /// Memo entries being computed now, in every evaluator of the root.
    computing: Cell<usize>,
    /// The deepest expression depth reached since [`Evaluator::kept`] last
    /// started an evaluation.
    deepest: Cell<usize>,
}

/// A value [`Evaluator::kept`] remembers.
struct Kept {
    value: Val,
    /// How many levels deeper than its start the evaluation went, counting
    /// the memo entries it computed: from a depth `d` with `d + reach` at
    /// most [`MAX_DEPTH`], evaluating it again would cut nothing either.
    reach: usize,
}

/// The name of the scope [`Evaluator::instance_scope`] makes for
/// `instance` of `block`: its address suffix (`[0]`, `["a"]`), `?` when the
/// block has `count` or `for_each` but the instance is not known (both
/// unknown), `""` without them (nothing bound).
fn scope_id(block: &Block, instance: Option<&Instance>) -> Str {
    static UNKNOWN_INSTANCE: std::sync::LazyLock<Str> = std::sync::LazyLock::new(|| "?".into());
    match instance {
        Some(i) => i.suffix.clone(),
        None if block.body.attribute("count").is_some() || block.body.attribute("for_each").is_some() => {
            UNKNOWN_INSTANCE.clone()
        }
        None => unscoped(),
    }
}

/// The scope under which the value of `e` in the scope named `scope` is
/// kept: `""` when `e` names neither `count` nor `each`, as its value is
/// then the same in every instance's scope and in no instance's.
fn expression_scope(e: &Expr, scope: &Str) -> Str {
    if scope.is_empty() || !names_instance(e) {
        unscoped()
    } else {
        scope.clone()
    }
}

/// Whether `e` mentions `count` or `each` anywhere (a `for` variable of
/// that name included: a false yes only costs an evaluation).
fn names_instance(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Variable(name) => matches!(&**name, "count" | "each"),
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::Invalid => false,
        ExprKind::Template(t) => template_names_instance(t),
        ExprKind::GetAttr(x, _) | ExprKind::Unary(_, x) => names_instance(x),
        ExprKind::Index(x, k) | ExprKind::Binary(_, x, k) => names_instance(x) || names_instance(k),
        ExprKind::Splat { target, each } => {
            names_instance(target)
                || each
                    .iter()
                    .any(|t| matches!(t, Traverser::Index(k) if names_instance(k)))
        }
        ExprKind::Call { args, .. } | ExprKind::Tuple(args) => args.iter().any(names_instance),
        ExprKind::Object(items) => items.iter().any(|(k, v)| names_instance(k) || names_instance(v)),
        ExprKind::Conditional(c, t, f) => names_instance(c) || names_instance(t) || names_instance(f),
        ExprKind::For(f) => {
            names_instance(&f.collection)
                || names_instance(&f.value)
                || f.key.as_ref().is_some_and(names_instance)
                || f.condition.as_ref().is_some_and(names_instance)
        }
    }
}

fn template_names_instance(t: &Template) -> bool {
    t.parts.iter().any(|p| match p {
        TemplatePart::Literal(..) => false,
        TemplatePart::Interpolation(x) => names_instance(x),
        TemplatePart::If {
            condition,
            then,
            otherwise,
        } => {
            names_instance(condition)
                || template_names_instance(then)
                || otherwise.as_ref().is_some_and(template_names_instance)
        }
        TemplatePart::For { collection, body, .. } => names_instance(collection) || template_names_instance(body),
    })
}

/// The named blocks of a module. A later definition of a name replaces an
/// earlier one.
#[derive(Default)]
struct ModuleIndex<'m> {
    variables: HashMap<Str, &'m Block>,
    locals: HashMap<Str, &'m Expr>,
    outputs: HashMap<Str, &'m Block>,
    /// Managed resources by type, then name.
    resources: HashMap<Str, HashMap<Str, &'m Block>>,
    /// Data sources by type, then name.
    data: HashMap<Str, HashMap<Str, &'m Block>>,
    calls: HashMap<Str, &'m Block>,
}

impl<'m> ModuleIndex<'m> {
    fn new(module: &'m Module) -> Self {
        let mut index = ModuleIndex::default();
        for (_, block) in module.blocks() {
            match (&*block.ty, block.labels.as_slice()) {
                ("variable", [name]) => {
                    index.variables.insert(name.clone(), block);
                }
                ("locals", []) => {
                    for a in &block.body.attributes {
                        index.locals.insert(a.name.clone(), &a.value);
                    }
                }
                ("output", [name]) => {
                    index.outputs.insert(name.clone(), block);
                }
                ("resource", [ty, name]) => {
                    index
                        .resources
                        .entry(ty.clone())
                        .or_default()
                        .insert(name.clone(), block);
                }
                ("data", [ty, name]) => {
                    index.data.entry(ty.clone()).or_default().insert(name.clone(), block);
                }
                ("module", [name]) => {
                    index.calls.insert(name.clone(), block);
                }
                _ => {}
            }
        }
        index
    }

    fn resource(&self, ty: &str, name: &str) -> Option<&'m Block> {
        self.resources.get(ty)?.get(name).copied()
    }

    fn data_source(&self, ty: &str, name: &str) -> Option<&'m Block> {
        self.data.get(ty)?.get(name).copied()
    }
}

/// A memo entry: being computed (meeting it again is a cycle), or done.
enum Slot {
    Computing,
    Done(Val),
}

/// Evaluates the expressions of one module instance: the root module, or a
/// module called from it (then its inputs are the caller's arguments).
pub struct Evaluator<'m> {
    project: &'m Project,
    module: &'m Module,
    /// Address prefix of this module instance: `""` for the root,
    /// `module.net.` or `module.net["a"].module.sub.` for calls.
    prefix: Str,
    /// How many module calls deep this is.
    depth: usize,
    /// The module's blocks by name.
    index: Rc<ModuleIndex<'m>>,
    /// Values given from outside the root module: tfvars, `--var`.
    inputs: RefCell<HashMap<Str, Val>>,
    /// Given variables (inputs, caller's arguments) converted to their
    /// declared type: read often, converted once.
    given: RefCell<HashMap<Str, Val>>,
    /// The module call this instance comes from; its arguments are
    /// evaluated in the caller when a variable is first read (eagerly, two
    /// modules reading each other's outputs would never finish).
    caller: Option<Caller<'m>>,
    /// This evaluator, for the children that point back to it.
    me: Weak<Evaluator<'m>>,
    /// Computed values by key (`local.x`, `aws_s3_bucket.b[0].acl`, …),
    /// and the keys being computed.
    cache: RefCell<HashMap<Str, Slot>>,
    /// Values of the attributes and bodies of this module's blocks, by the
    /// address of the expression (or body) and the name of the scope, that
    /// evaluating them again anywhere would give: see [`Self::kept`].
    kept: RefCell<HashMap<(usize, Str), Kept>>,
    /// The bodies with an attribute kept on its own (a reference, a
    /// module's variable read it): only their instances look for one.
    kept_attributes: RefCell<HashSet<usize>>,
    /// Where `memo` joins a key to look it up.
    key_buffer: RefCell<String>,
    instances: RefCell<HashMap<Str, Rc<Instances>>>,
    children: RefCell<HashMap<Str, Rc<Evaluator<'m>>>>,
    shared: Rc<Shared<'m>>,
    /// Base and limit of file functions.
    base_dir: PathBuf,
    /// See [`FileAccess::within`]; shared by the evaluators of one root.
    within: Rc<std::cell::OnceCell<PathBuf>>,
    /// `path.module`.
    path_module: Str,
    /// The root module's directory (installed modules are found from it).
    root_dir: PathBuf,
}

impl<'m> Evaluator<'m> {
    /// The evaluator of a root module: inputs from its tfvars files and the
    /// command line.
    pub fn new(project: &'m Project, module: &'m Module, options: &TfOptions) -> Rc<Self> {
        let ev = Self::bare(
            project,
            module,
            Str::from(""),
            0,
            Rc::default(),
            (module.dir.clone(), Rc::default()),
            None,
        );
        let given = inputs::root_inputs(&ev, project, module, options);
        *ev.inputs.borrow_mut() = given;
        ev
    }

    fn bare(
        project: &'m Project,
        module: &'m Module,
        prefix: Str,
        depth: usize,
        shared: Rc<Shared<'m>>,
        (base_dir, within): (PathBuf, Rc<std::cell::OnceCell<PathBuf>>),
        caller: Option<Caller<'m>>,
    ) -> Rc<Self> {
        let index = shared
            .indexes
            .borrow_mut()
            .entry(module as *const Module as usize)
            .or_insert_with(|| Rc::new(ModuleIndex::new(module)))
            .clone();
        let path_module = relative_dir(&module.dir, &base_dir);
        let root_dir = base_dir.clone();
        Rc::new_cyclic(|me| Evaluator {
            project,
            module,
            prefix,
            depth,
            index,
            inputs: RefCell::default(),
            given: RefCell::default(),
            caller,
            me: me.clone(),
            cache: RefCell::default(),
            kept: RefCell::default(),
            kept_attributes: RefCell::default(),
            key_buffer: RefCell::default(),
            instances: RefCell::default(),
            children: RefCell::default(),
            shared,
            base_dir,
            within,
            path_module: path_module.into(),
            root_dir,
        })
    }

    pub fn module(&self) -> &'m Module {
        self.module
    }

    pub fn project(&self) -> &'m Project {
        self.project
    }

    /// The address prefix of this module instance (`""` at the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Problems met so far, in this evaluator and every module it called.
    pub fn notices(&self) -> Vec<EvalNotice> {
        let mut n = self.shared.notices.borrow().clone();
        n.sort();
        n.dedup();
        n
    }

    pub(crate) fn notice(&self, span: Option<Span>, message: String) {
        self.shared.notices.borrow_mut().push(EvalNotice { span, message });
    }

    pub fn eval(&self, e: &Expr, scope: &Scope) -> Val {
        self.eval_depth(e, scope, 0)
    }

    fn file_access(&self) -> FileAccess<'_> {
        FileAccess {
            base: &self.base_dir,
            within: &self.within,
        }
    }

    /// Compute `key` once: later requests get the remembered value, and a
    /// request while it is being computed is a cycle. The key is given in
    /// parts, joined in a buffer kept for it: most
    /// requests find their value, and need no key of their own.
    fn memo(&self, key: &[&str], span: Option<Span>, compute: impl FnOnce() -> Val) -> Val {
        let mut buffer = self.key_buffer.borrow_mut();
        buffer.clear();
        key.iter().for_each(|part| buffer.push_str(part));
        let key = buffer.as_str();
        match self.cache.borrow().get(key) {
            Some(Slot::Done(v)) => return v.clone(),
            Some(Slot::Computing) => {
                self.shared.cycles.set(self.shared.cycles.get() + 1);
                self.notice(
                    span,
                    format!(
                        "`{}{key}` depends on itself; its value is treated as unknown",
                        self.prefix
                    ),
                );
                return Val::unknown(Unknown::Other(format!("`{key}` depends on itself").into()), span);
            }
            None => {}
        }
        let key = Str::from(key);
        drop(buffer);
        self.cache.borrow_mut().insert(key.clone(), Slot::Computing);
        let computing = &self.shared.computing;
        computing.set(computing.get() + 1);
        let mut v = compute();
        computing.set(computing.get() - 1);
        if exceeds(&v, MAX_KEPT_NODES) {
            self.notice(
                span,
                format!(
                    "`{}{key}` is larger than {MAX_KEPT_NODES} values; it is treated as unknown",
                    self.prefix
                ),
            );
            v = Val::unknown(Unknown::Other("a value too large to evaluate".into()), v.span);
        }
        self.cache.borrow_mut().insert(key, Slot::Done(v.clone()));
        v
    }

    /// The value of the expression or body at address `at`, evaluated at
    /// depth `d` in the scope named `scope` (`compute`), or the one an earlier
    /// evaluation kept. A resource's attributes serve its subject, the
    /// references to them and to its whole object; a module call's arguments
    /// its subject and the module's variables; `count` and `for_each` the
    /// instances and their subjects; a variable's default its value and
    /// then its subject.
    ///
    /// A value is kept only if evaluating it again would give the same,
    /// whoever asks. That holds when it was computed outside every memo
    /// entry (everything it reached is computed, and a second evaluation
    /// reads the same values), or when it met no cycle; and when no
    /// expression was cut at [`MAX_DEPTH`]. A kept value is used only from
    /// a depth at which its evaluation would not reach that limit either.
    pub(super) fn kept(&self, at: usize, scope: &Str, d: usize, compute: impl FnOnce() -> Val) -> Val {
        if let Some(v) = self.kept_value(at, scope, d) {
            return v;
        }
        let shared = &self.shared;
        let (cycles, too_deep) = (shared.cycles.get(), shared.too_deep.get());
        let outside = shared.computing.get() == 0;
        let outer = shared.deepest.replace(d);
        let v = compute();
        let deepest = shared.deepest.get();
        shared.deepest.set(outer.max(deepest));
        if shared.too_deep.get() == too_deep && (outside || shared.cycles.get() == cycles) {
            let kept = Kept {
                value: v.clone(),
                reach: deepest.saturating_sub(d),
            };
            self.kept.borrow_mut().insert((at, scope.clone()), kept);
        }
        v
    }

    /// The value [`Self::kept`] holds for `at` in `scope`, if it may be used at depth `d`.
    fn kept_value(&self, at: usize, scope: &Str, d: usize) -> Option<Val> {
        let kept = self.kept.borrow();
        let k = kept.get(&(at, scope.clone()))?;
        if d + k.reach > MAX_DEPTH {
            return None;
        }
        // What an evaluation from here would have reached.
        let deepest = &self.shared.deepest;
        deepest.set(deepest.get().max(d + k.reach));
        Some(k.value.clone())
    }

    /// Whether `key` has been computed (not merely started).
    fn is_computed(&self, key: &[&str]) -> bool {
        let mut buffer = self.key_buffer.borrow_mut();
        buffer.clear();
        key.iter().for_each(|part| buffer.push_str(part));
        matches!(self.cache.borrow().get(buffer.as_str()), Some(Slot::Done(_)))
    }

    fn eval_depth(&self, e: &Expr, scope: &Scope, depth: usize) -> Val {
        let deepest = &self.shared.deepest;
        if depth > deepest.get() {
            deepest.set(depth);
        }
        if depth > MAX_DEPTH {
            self.shared.too_deep.set(self.shared.too_deep.get() + 1);
            return Val::unknown(Unknown::Other("expression nested too deeply".into()), Some(e.span));
        }
        let d = depth + 1;
        let span = Some(e.span);
        match &e.kind {
            ExprKind::Null => Val::new(ValKind::Null, span),
            ExprKind::Bool(b) => Val::bool(*b, span),
            ExprKind::Number(n) => Val::number(*n, span),
            ExprKind::Template(t) => self.template(t, scope, d, e),
            ExprKind::Tuple(items) => Val::list(items.iter().map(|i| self.eval_depth(i, scope, d)).collect(), span),
            ExprKind::Object(items) => {
                let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
                for (k, v) in items {
                    let key = self.eval_depth(k, scope, d);
                    let Some(key) = scalar_text(&key) else {
                        return match key.unknown_reason() {
                            Some(why) => Val::unknown(why.clone(), span),
                            None => error("an object key is not a string", span),
                        };
                    };
                    let key: Str = key.into();
                    entries.retain(|e| e.key != key);
                    entries.push(Entry {
                        key,
                        key_span: Some(k.span.to(v.span)),
                        value: self.eval_depth(v, scope, d),
                    });
                }
                Val::new(ValKind::Map(entries.into()), span)
            }
            ExprKind::Variable(_) | ExprKind::GetAttr(..) | ExprKind::Index(..) => self.traversal(e, scope, d),
            ExprKind::Splat { target, each } => {
                let t = self.eval_depth(target, scope, d);
                let apply = |item: &Val| {
                    each.iter().fold(item.clone(), |v, tr| match tr {
                        Traverser::Attr(name) => get_attr(&v, name, span),
                        Traverser::Index(k) => index(&v, &self.eval_depth(k, scope, d), span),
                    })
                };
                match &t.kind {
                    ValKind::List(items) => Val::list(items.iter().map(apply).collect(), span).with_reference_kept(&t),
                    ValKind::Null => Val::list(vec![], span),
                    ValKind::Unknown(_) => t.clone(),
                    _ => Val::list(vec![apply(&t)], span),
                }
            }
            ExprKind::Conditional(c, t, f) => {
                let cond = self.eval_depth(c, scope, d);
                match cond.as_bool() {
                    Some(true) => self.eval_depth(t, scope, d),
                    Some(false) => self.eval_depth(f, scope, d),
                    None => {
                        // Both branches giving the same known value decide it anyway.
                        let (a, b) = (self.eval_depth(t, scope, d), self.eval_depth(f, scope, d));
                        if !a.contains_unknown() && ops::equal(&a, &b) == Some(true) {
                            return a;
                        }
                        match cond.unknown_reason() {
                            Some(why) => Val::unknown(why.clone(), span),
                            None => error("a condition is not a bool", span),
                        }
                    }
                }
            }
            ExprKind::Unary(op, x) => ops::unary(*op, &self.eval_depth(x, scope, d), span),
            ExprKind::Binary(op, l, r) => {
                ops::binary(*op, &self.eval_depth(l, scope, d), &self.eval_depth(r, scope, d), span)
            }
            ExprKind::For(f) => self.for_expr(f, scope, d, span),
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
                        _ => return error("`...` after a non-list", span),
                    }
                }
                if &**name == "templatefile" {
                    return self.templatefile(&values, span, d);
                }
                functions::call(name, &values, span, Some(self.file_access()))
            }
            ExprKind::Invalid => error("an expression that did not parse", span),
        }
    }

    /// `templatefile(path, vars)`: the file parsed as a template (as if a
    /// heredoc) and rendered with `vars` as its only names.
    fn templatefile(&self, args: &[Val], span: Option<Span>, d: usize) -> Val {
        let (text, vars) = match functions::template_source(args, span, Some(self.file_access())) {
            Ok(t) => t,
            Err(why) => return Val::unknown(why, span),
        };
        let marker = "PALISADE_TEMPLATE_END";
        if text.lines().any(|l| l.trim() == marker) {
            return Val::unknown(Unknown::Unsupported("this template".into()), span);
        }
        let newline = if text.ends_with('\n') { "" } else { "\n" };
        let source = format!("t = <<{marker}\n{text}{newline}{marker}\n");
        let parsed = match crate::hcl::parse_hcl(
            crate::source::FileId(u32::MAX),
            &source,
            std::time::Duration::from_secs(2),
        ) {
            Ok(p) if p.error.is_none() => p,
            _ => return error("`templatefile`: the template does not parse", span),
        };
        let Some(t) = parsed.body.attribute("t") else {
            return error("`templatefile`: the template does not parse", span);
        };
        let mut scope = Scope::default();
        for e in vars.entries().unwrap_or_default() {
            scope = scope.with(e.key.clone(), e.value.clone());
        }
        let v = self.eval_depth(&t.value, &scope, d);
        match v.kind {
            ValKind::String(s) => {
                let s = if newline.is_empty() {
                    s.to_string()
                } else {
                    s.trim_end_matches('\n').to_string()
                };
                Val::string(s, span)
            }
            ValKind::Unknown(why) => Val::unknown(why, span),
            other => Val::new(other, span),
        }
    }

    fn for_expr(&self, f: &ForExpr, scope: &Scope, d: usize, span: Option<Span>) -> Val {
        let coll = self.eval_depth(&f.collection, scope, d);
        let pairs = match iteration_pairs(&coll, span) {
            Ok(p) => p,
            Err(stop) => return stop,
        };
        let mut list = Vec::new();
        let mut map: Vec<Entry> = Vec::new();
        for (k, v) in pairs {
            let mut inner = scope.with(f.value_var.clone(), v);
            if let Some(kv) = &f.key_var {
                inner = inner.with(kv.clone(), k);
            }
            if let Some(c) = &f.condition {
                let keep = self.eval_depth(c, &inner, d);
                match keep.as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        return match keep.unknown_reason() {
                            Some(why) => Val::unknown(why.clone(), span),
                            None => error("a `for` condition is not a bool", span),
                        };
                    }
                }
            }
            let value = self.eval_depth(&f.value, &inner, d);
            let Some(ke) = &f.key else {
                list.push(value);
                continue;
            };
            let key = self.eval_depth(ke, &inner, d);
            let Some(key) = scalar_text(&key) else {
                return match key.unknown_reason() {
                    Some(why) => Val::unknown(why.clone(), span),
                    None => error("a `for` key is not a string", span),
                };
            };
            match map.iter_mut().find(|e| *e.key == *key) {
                Some(e) if f.grouping => {
                    if let ValKind::List(items) = &mut e.value.kind {
                        items.push(value);
                    }
                }
                Some(_) => return error(format!("duplicate key {key:?} in a `for` expression"), span),
                None => map.push(Entry {
                    key: key.into(),
                    key_span: None,
                    value: if f.grouping {
                        Val::list(vec![value], None)
                    } else {
                        value
                    },
                }),
            }
        }
        if f.key.is_some() {
            Val::new(ValKind::Map(map.into()), span)
        } else {
            Val::list(list, span)
        }
    }

    fn template(&self, t: &Template, scope: &Scope, d: usize, e: &Expr) -> Val {
        if let Some(lit) = t.as_literal() {
            return Val::string(lit, Some(e.span));
        }
        // A template that is exactly one interpolation yields the value itself.
        if let [TemplatePart::Interpolation(x)] = t.parts.as_slice() {
            let mut v = self.eval_depth(x, scope, d);
            if v.span.is_none() {
                v.span = Some(e.span);
            }
            return v;
        }
        let mut out = String::new();
        // The template is rendered with holes for its unknown values, so the
        // known rest of it can still be read: all of JSON text (a heredoc
        // policy), the literal beginning and end of other text.
        let mut first_hole = None;
        let stop = self.render(t, scope, d, &mut out, Some(&mut first_hole));
        let span = Some(e.span);
        match (first_hole, stop) {
            (Some(why), None) if starts_like_json(t) => match functions::known_json_of_holed_text(&out) {
                Some(known) => Val::unknown(
                    Unknown::PartialJson {
                        why: Box::new(why.cause().clone()),
                        known: known.into(),
                    },
                    span,
                ),
                None => Val::unknown(why, span),
            },
            (Some(why), None) => {
                let prefix = out.split(functions::is_hole).next().unwrap_or("");
                let suffix = out.rsplit(functions::is_hole).next().unwrap_or("");
                if prefix.is_empty() && suffix.is_empty() {
                    Val::unknown(why, span)
                } else {
                    Val::unknown(
                        Unknown::PartialText {
                            why: Box::new(why.cause().clone()),
                            prefix: prefix.into(),
                            suffix: suffix.into(),
                        },
                        span,
                    )
                    .with_reference(self.child_path_owner(t, scope, d))
                }
            }
            // The first unknown value is the reason, as if rendering had
            // stopped there.
            (Some(why), _) | (None, Some(why)) => Val::unknown(why, span),
            (None, None) => Val::string(out, span),
        }
    }

    /// The resource a template such as `"${azurerm_storage_account.a.id}/queueServices/default"`
    /// names a part of: an id or ARN read from it, then a `/` path below it.
    fn child_path_owner(&self, t: &Template, scope: &Scope, d: usize) -> Option<Str> {
        let [TemplatePart::Interpolation(x), TemplatePart::Literal(rest, _), ..] = t.parts.as_slice() else {
            return None;
        };
        if !rest.starts_with('/') {
            return None;
        }
        self.eval_depth(x, scope, d).reference
    }

    /// Render a template into `out`; `Some(reason)` when a part is unknown.
    /// With `holes`, an unknown interpolated value is marked in `out`
    /// instead ([`functions::hole_for`]), and the first reason kept there.
    fn render(
        &self,
        t: &Template,
        scope: &Scope,
        d: usize,
        out: &mut String,
        mut holes: Option<&mut Option<Unknown>>,
    ) -> Option<Unknown> {
        for part in &t.parts {
            match part {
                TemplatePart::Literal(s, _) => out.push_str(s),
                TemplatePart::Interpolation(x) => {
                    let v = self.eval_depth(x, scope, d);
                    match &v.kind {
                        ValKind::Unknown(why) if !matches!(why, Unknown::Error(_)) && holes.is_some() => {
                            // A partly known value keeps its known ends around the hole.
                            let (prefix, suffix) = match why {
                                Unknown::PartialText { prefix, suffix, .. } => (&**prefix, &**suffix),
                                _ => ("", ""),
                            };
                            out.push_str(prefix);
                            out.push(functions::hole_for(&v));
                            out.push_str(suffix);
                            if let Some(first) = holes.as_deref_mut() {
                                first.get_or_insert_with(|| why.clone());
                            }
                        }
                        ValKind::Unknown(why) => return Some(why.clone()),
                        ValKind::Null => return Some(Unknown::Error("null inside a string".into())),
                        _ => match scalar_text(&v) {
                            Some(s) => out.push_str(&s),
                            None => return Some(Unknown::Error("a collection inside a string".into())),
                        },
                    }
                }
                TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    let c = self.eval_depth(condition, scope, d);
                    let branch = match c.as_bool() {
                        Some(true) => Some(then),
                        Some(false) => otherwise.as_ref(),
                        None => {
                            return Some(
                                c.unknown_reason()
                                    .cloned()
                                    .unwrap_or(Unknown::Error("a template condition is not a bool".into())),
                            );
                        }
                    };
                    if let Some(b) = branch
                        && let Some(w) = self.render(b, scope, d, out, holes.as_deref_mut())
                    {
                        return Some(w);
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let coll = self.eval_depth(collection, scope, d);
                    let pairs = match iteration_pairs(&coll, None) {
                        Ok(p) => p,
                        Err(stop) => return stop.unknown_reason().cloned(),
                    };
                    for (k, v) in pairs {
                        let mut inner = scope.with(value_var.clone(), v);
                        if let Some(kv) = key_var {
                            inner = inner.with(kv.clone(), k);
                        }
                        if let Some(w) = self.render(body, &inner, d, out, holes.as_deref_mut()) {
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
        // Flatten `a.b[c].d` into root + steps, on the stack for the usual
        // few steps (a reference is evaluated often: no allocation each time).
        let mut count = 0;
        let mut cur = e;
        while let ExprKind::GetAttr(inner, _) | ExprKind::Index(inner, _) = &cur.kind {
            count += 1;
            cur = inner;
        }
        let mut on_stack: [&Expr; 8] = [e; 8];
        let mut on_heap: Vec<&Expr> = Vec::new();
        let steps: &mut [&Expr] = if count <= on_stack.len() {
            &mut on_stack[..count]
        } else {
            on_heap.resize(count, e);
            &mut on_heap
        };
        let mut at = e;
        for step in steps.iter_mut().rev() {
            *step = at;
            if let ExprKind::GetAttr(inner, _) | ExprKind::Index(inner, _) = &at.kind {
                at = inner;
            }
        }
        let steps: &[&Expr] = steps;
        let span = Some(e.span);
        let root = match &cur.kind {
            ExprKind::Variable(name) => name.clone(),
            _ => {
                let base = self.eval_depth(cur, scope, d);
                return self.apply_steps(base, steps, scope, d, span);
            }
        };
        if let Some(v) = scope.get(&root) {
            return self.apply_steps(v.clone(), steps, scope, d, span);
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
                    return error("`var` used alone", span);
                };
                let v = self.variable(name);
                self.apply_steps(v, &steps[1..], scope, d, span)
            }
            "local" => {
                let Some(name) = attr_name(0) else {
                    return error("`local` used alone", span);
                };
                let v = self.local(name, d, span);
                self.apply_steps(v, &steps[1..], scope, d, span)
            }
            "path" => match attr_name(0).map(|s| &**s) {
                Some("module") => Val::string(self.path_module.clone(), span),
                Some("root") | Some("cwd") => Val::string(".", span),
                _ => error("an unknown `path` attribute", span),
            },
            "terraform" => match attr_name(0).map(|s| &**s) {
                Some("workspace") => Val::string("default", span),
                _ => Val::unknown(Unknown::Other("a `terraform` attribute".into()), span),
            },
            "each" | "count" => Val::unknown(
                Unknown::Other(format!("`{root}` outside an expanded block").into()),
                span,
            ),
            "self" => Val::unknown(Unknown::Computed, span),
            "data" => {
                let (Some(ty), Some(name)) = (attr_name(0), attr_name(1)) else {
                    return Val::unknown(Unknown::DataSource, span);
                };
                match self.index.data_source(ty, name) {
                    Some(block) => {
                        let address = cat(&["data.", ty, ".", name]);
                        self.object_ref(block, &address, Unknown::DataSource, &steps[2..], scope, d, span)
                    }
                    None => Val::unknown(Unknown::DataSource, span)
                        .with_reference(Some(cat(&[&self.prefix, "data.", ty, ".", name]).into())),
                }
            }
            "module" => {
                let Some(name) = attr_name(0) else {
                    return error("`module` used alone", span);
                };
                self.module_ref(name, &steps[1..], scope, d, span)
            }
            ty => {
                // A managed resource: `type.name…`.
                let Some(name) = attr_name(0) else {
                    return Val::unknown(Unknown::Other(format!("unknown name `{ty}`").into()), span);
                };
                match self.index.resource(ty, name) {
                    Some(block) => {
                        let address = cat(&[ty, ".", name]);
                        self.object_ref(block, &address, Unknown::Computed, &steps[1..], scope, d, span)
                    }
                    None => Val::unknown(Unknown::Computed, span)
                        .with_reference(Some(cat(&[&self.prefix, ty, ".", name]).into())),
                }
            }
        }
    }

    /// A reference into a resource or data source: choose the instance,
    /// then read the attribute from its arguments; what the configuration
    /// does not set is computed by the provider (`unset`).
    #[allow(clippy::too_many_arguments)]
    fn object_ref(
        &self,
        block: &'m Block,
        address: &str,
        unset: Unknown,
        steps: &[&Expr],
        scope: &Scope,
        d: usize,
        span: Option<Span>,
    ) -> Val {
        let full = || Some(Str::from(cat(&[&self.prefix, address])));
        let instances = self.instances_of(block, address);
        let (instance, rest): (Option<&Instance>, &[&Expr]) = match &*instances {
            Instances::Single => (None, steps),
            Instances::Unknown(why) => {
                return Val::unknown(why.clone(), span).with_reference(full());
            }
            Instances::Count(_) | Instances::Keys(_) => match steps.first().map(|s| &s.kind) {
                Some(ExprKind::Index(_, k)) => {
                    let key = self.eval_depth(k, scope, d);
                    if let Some(why) = key.unknown_reason() {
                        return Val::unknown(why.clone(), span).with_reference(full());
                    }
                    match instances.find(&key) {
                        Some(i) => (Some(i), &steps[1..]),
                        None => return error(format!("`{address}` has no instance {}", key.describe()), span),
                    }
                }
                // The whole collection of instances (`aws_instance.web[*].id`).
                _ => {
                    let all = self.all_instances(block, address, &instances, &unset, d);
                    return self.apply_steps(all, steps, scope, d, span);
                }
            },
        };
        let suffix = instance.map_or("", |i| &*i.suffix);
        // The scope and the address are only needed when the value is not
        // remembered yet.
        let inst_scope = || self.instance_scope(block, address, instance);
        let id = || scope_id(block, instance);
        let reference = || Some(Str::from(cat(&[&self.prefix, address, suffix])));
        let Some(ExprKind::GetAttr(_, attr)) = rest.first().map(|s| &s.kind) else {
            let whole = self.memo(&[address, suffix], span, || {
                self.instance_body(block, &id(), inst_scope, d)
                    .with_reference(reference())
            });
            return self.apply_steps(whole, rest, scope, d, span);
        };
        let value = self.memo(&[address, suffix, ".", attr], span, || {
            if let Some(i) = block.body.attributes.iter().position(|a| a.name == *attr) {
                let a = &block.body.attributes[i];
                if META_REFERENCES.contains(&&**attr) {
                    return references(&a.value).with_reference(reference());
                }
                let mut v = self.attribute_value(block, i, &id(), d, inst_scope);
                if v.span.is_none() {
                    v.span = Some(a.value.span);
                }
                return v.with_reference_kept(&Val::null().with_reference(reference()));
            }
            if block.body.blocks.iter().any(|b| block_type(b) == Some(&**attr)) {
                let whole = self.instance_body(block, &id(), inst_scope, d);
                return whole
                    .get(attr)
                    .cloned()
                    .unwrap_or_else(|| Val::unknown(unset.clone(), span))
                    .with_reference(reference());
            }
            let why = match (&unset, computed_shape(address, attr)) {
                (Unknown::Computed, Some((prefix, suffix))) => Unknown::PartialText {
                    why: Box::new(Unknown::Computed),
                    prefix: prefix.into(),
                    suffix: suffix.into(),
                },
                _ => unset.clone(),
            };
            Val::unknown(why, span).with_reference(reference())
        });
        self.apply_steps(value, &rest[1..], scope, d, span)
    }

    /// Every instance of a counted or `for_each` resource, as a list (count)
    /// or a map (for_each) of objects.
    fn all_instances(&self, block: &'m Block, address: &str, instances: &Instances, unset: &Unknown, d: usize) -> Val {
        let object = |i: &Instance| {
            self.memo(&[address, &i.suffix], Some(block.header), || {
                let scope = || self.instance_scope(block, address, Some(i));
                self.instance_body(block, &i.suffix, scope, d)
                    .with_reference(Some(Str::from(cat(&[&self.prefix, address, &i.suffix]))))
            })
        };
        let full = Some(Str::from(cat(&[&self.prefix, address])));
        match instances {
            Instances::Count(list) => {
                Val::list(list.iter().map(object).collect(), Some(block.header)).with_reference(full)
            }
            Instances::Keys(list) => Val::map(
                list.iter()
                    .map(|i| (i.key_name().cloned().unwrap_or_default(), object(i))),
                Some(block.header),
            )
            .with_reference(full),
            Instances::Single => object(&Instance::single()),
            Instances::Unknown(_) => Val::unknown(unset.clone(), Some(block.header)).with_reference(full),
        }
    }

    fn apply_steps(&self, mut v: Val, steps: &[&Expr], scope: &Scope, d: usize, span: Option<Span>) -> Val {
        for s in steps {
            v = match &s.kind {
                ExprKind::GetAttr(_, name) => get_attr(&v, name, span),
                ExprKind::Index(_, k) => index(&v, &self.eval_depth(k, scope, d), span),
                _ => v,
            };
        }
        v
    }

    /// A variable's value: given (tfvars, `--var`, caller), else its
    /// default, else unknown. A declared `type` converts given strings.
    pub fn variable(&self, name: &str) -> Val {
        if let Some(v) = self.given.borrow().get(name) {
            return v.clone();
        }
        let block = self.index.variables.get(name);
        let from_inputs = self.inputs.borrow().get(name).cloned();
        let stable = from_inputs.is_some();
        let given = from_inputs.or_else(|| self.argument(name));
        if let Some(v) = given {
            // A `null` argument is the value, as Terraform has it, except
            // for a variable declared `nullable = false`: there it means
            // "use the default".
            let null_takes_default = v.is_null()
                && block.is_some_and(|b| {
                    b.body.attribute("default").is_some()
                        && b.body
                            .attribute("nullable")
                            .is_some_and(|n| matches!(n.value.kind, ExprKind::Bool(false)))
                });
            if !null_takes_default {
                let v = match block {
                    Some(b) => inputs::convert_to_declared(self, b, v),
                    None => v,
                };
                // A caller's argument read while it is being computed (a
                // cycle) is a passing unknown, not its value: keep only
                // what will not change.
                if stable || self.is_computed(&["input.", name]) {
                    // The declaration's name, shared rather than copied.
                    let key = match self.index.variables.get_key_value(name) {
                        Some((declared, _)) => declared.clone(),
                        None => name.into(),
                    };
                    self.given.borrow_mut().insert(key, v.clone());
                }
                return v;
            }
        }
        match block {
            Some(block) => match block.body.attribute("default") {
                Some(def) => self.memo(&["var.", name], Some(def.value.span), || {
                    let v = self.kept(expression_address(&def.value), &unscoped(), 1, || {
                        self.eval_depth(&def.value, &Scope::default(), 1)
                    });
                    inputs::convert_to_declared(self, block, v)
                }),
                None => Val::unknown(Unknown::UnsetVariable(name.into()), Some(block.header)),
            },
            None => Val::unknown(Unknown::UnsetVariable(name.into()), None),
        }
    }

    /// The caller's argument for variable `name`, evaluated in the caller.
    fn argument(&self, name: &str) -> Option<Val> {
        let caller = self.caller.as_ref()?;
        if matches!(
            name,
            "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
        ) {
            return None;
        }
        let i = caller.call.body.attributes.iter().position(|a| &*a.name == name)?;
        let a = &caller.call.body.attributes[i];
        let parent = caller.parent.upgrade()?;
        Some(self.memo(&["input.", name], Some(a.value.span), || {
            let scope = || parent.instance_scope(caller.call, "", caller.instance.as_ref());
            // The same value as the call's subject has for it, evaluated once
            // (a meta-argument's there is the address it names).
            let mut v = if META_REFERENCES.contains(&name) {
                parent.eval(&a.value, &scope())
            } else {
                let id = scope_id(caller.call, caller.instance.as_ref());
                parent.attribute_value(caller.call, i, &id, 0, scope)
            };
            // What the caller takes from elsewhere (its variables, tfvars,
            // locals) is placed at the argument: a finding on it belongs
            // where the caller passes it, in code the user owns.
            anchor(&mut v, a.value.span, &|s| self.within_calls(s));
            v
        }))
    }

    /// Whether `span` lies inside the `module` block that called this
    /// module, or one that called a module above it.
    fn within_calls(&self, span: Span) -> bool {
        let Some(caller) = &self.caller else { return false };
        let call = caller.call.span;
        (call.file == span.file && call.start <= span.start && span.end <= call.end)
            || caller.parent.upgrade().is_some_and(|p| p.within_calls(span))
    }

    fn local(&self, name: &str, d: usize, span: Option<Span>) -> Val {
        let Some(expr) = self.index.locals.get(name) else {
            return error(format!("local `{name}` is not defined"), span);
        };
        self.memo(&["local.", name], span, || self.eval_depth(expr, &Scope::default(), d))
    }

    /// A block body as a map: attributes (evaluated) and nested blocks (a
    /// list of maps per block type, each map's span being the block header).
    /// `dynamic` blocks are expanded into the blocks they generate.
    /// This is for the body of a resource, data source or module call: its
    /// meta-arguments naming other objects (`depends_on`, `provider`…) are
    /// kept as the addresses they name, not evaluated into whole objects.
    pub fn body_value(&self, body: &Body, scope: &Scope, header: Span, d: usize) -> Val {
        self.block_body(body, scope, header, d, BodyKind::Object, None)
    }

    /// The body of one instance of a resource, data source or module call
    /// as [`Self::body_value`] makes it, evaluated once ([`Self::kept`]):
    /// `id` names the instance's scope ([`scope_id`]), `scope` makes it.
    fn instance_body(&self, block: &Block, id: &Str, scope: impl FnOnce() -> Scope, d: usize) -> Val {
        self.kept(body_address(&block.body), id, d, || {
            self.block_body(&block.body, &scope(), block.header, d, BodyKind::Object, Some(id))
        })
    }

    /// The value of the `i`th attribute (not a meta-argument) of one
    /// instance of a resource, data source or module call, evaluated once:
    /// kept on its own, or read from the instance's kept body.
    fn attribute_value(&self, block: &Block, i: usize, id: &Str, d: usize, scope: impl FnOnce() -> Scope) -> Val {
        let a = &block.body.attributes[i];
        let at = expression_address(&a.value);
        let expression_scope = expression_scope(&a.value, id);
        if let Some(v) = self.kept_value(at, &expression_scope, d) {
            return v;
        }
        // The body's entry is the attribute's value, with its place filled
        // in, unless nested blocks of the same name were added to it.
        if !block.body.blocks.iter().any(|b| block_type(b) == Some(&*a.name))
            && let Some(body) = self.kept_value(body_address(&block.body), id, d)
            && let Some(entry) = body.entries().and_then(|entries| entries.get(i))
        {
            return entry.value.clone();
        }
        self.kept_attributes.borrow_mut().insert(body_address(&block.body));
        self.kept(at, &expression_scope, d, || self.eval_depth(&a.value, &scope(), d))
    }

    /// The value of a top-level block as a subject sees it: [`Self::body_value`],
    /// except that a variable's `type` is a type constraint, not an
    /// expression (it is unknown, never evaluated), and an output's `value`
    /// is the one references to the output read (evaluated once).
    /// `instance` is the instance of an expanded resource, data source or
    /// module call.
    pub fn subject_value(&self, block: &Block, instance: Option<&Instance>) -> Val {
        let scope = || self.instance_scope(block, "", instance);
        let kind = match (&*block.ty, block.labels.as_slice()) {
            ("resource" | "data" | "module", _) => {
                return self.instance_body(block, &scope_id(block, instance), scope, 0);
            }
            ("variable", _) => {
                let id = scope_id(block, instance);
                return self.block_body(&block.body, &scope(), block.header, 0, BodyKind::Variable, Some(&id));
            }
            // The value references read is evaluated once, without
            // instances: only for the block its name stands for, and
            // never under a (misplaced) `count` or `for_each`.
            ("output", [name])
                if self.index.outputs.get(name).is_some_and(|b| std::ptr::eq(*b, block))
                    && block.body.attribute("count").is_none()
                    && block.body.attribute("for_each").is_none() =>
            {
                BodyKind::Output(name)
            }
            _ => BodyKind::Object,
        };
        self.block_body(&block.body, &scope(), block.header, 0, kind, None)
    }

    /// With `keep` (the name of `scope`, see [`scope_id`]), the attributes
    /// of an instance body, and a variable's `default`, are read from
    /// [`Self::kept`] values when there are some.
    fn block_body(
        &self,
        body: &Body,
        scope: &Scope,
        header: Span,
        d: usize,
        kind: BodyKind,
        keep: Option<&Str>,
    ) -> Val {
        let mut entries: Vec<Entry> = Vec::with_capacity(body.attributes.len() + body.blocks.len());
        // `count` and `for_each` were evaluated for the instances; other
        // attributes only if something read them on their own.
        let any_kept = keep.is_some() && self.kept_attributes.borrow().contains(&body_address(body));
        let kept_or_evaluated = |e: &Expr, id: &Str| {
            self.kept_value(expression_address(e), &expression_scope(e, id), d)
                .unwrap_or_else(|| self.eval_depth(e, scope, d))
        };
        for a in &body.attributes {
            let mut v = match (kind, &*a.name, keep) {
                (BodyKind::Plain, _, _) => self.eval_depth(&a.value, scope, d),
                (_, name, _) if META_REFERENCES.contains(&name) => references(&a.value),
                (BodyKind::Variable, "type", _) => Val::unknown(Unknown::Unsupported("a type constraint".into()), None),
                (BodyKind::Output(name), "value", _) => self.output(name, Some(a.value.span)),
                (BodyKind::Variable, "default", Some(id)) | (BodyKind::Object, "count" | "for_each", Some(id)) => {
                    kept_or_evaluated(&a.value, id)
                }
                (BodyKind::Object, _, Some(id)) if any_kept => kept_or_evaluated(&a.value, id),
                _ => self.eval_depth(&a.value, scope, d),
            };
            if v.span.is_none() {
                v.span = Some(a.value.span);
            }
            entries.push(Entry {
                key: a.name.clone(),
                key_span: Some(a.span),
                value: v,
            });
        }
        for b in &body.blocks {
            if &*b.ty == "dynamic" {
                self.dynamic_block(b, scope, d, &mut entries);
            } else {
                let inner = if &*b.ty == "lifecycle" {
                    BodyKind::Object
                } else {
                    BodyKind::Plain
                };
                let value = self.block_body(&b.body, scope, b.header, d + 1, inner, None);
                push_block(&mut entries, b.ty.clone(), b.header, value);
            }
        }
        Val::new(ValKind::Map(entries.into()), Some(header))
    }

    /// `dynamic "name" { for_each = …; iterator = it; content { … } }`: one
    /// `name` block per element, the iterator bound to `{ key, value }`.
    fn dynamic_block(&self, b: &Block, scope: &Scope, d: usize, entries: &mut Vec<Entry>) {
        let Some(name) = b.labels.first().cloned() else { return };
        let Some(content) = b.body.blocks_of("content").next() else {
            return;
        };
        let iterator: Str = match b.body.attribute("iterator").map(|a| &a.value.kind) {
            Some(ExprKind::Variable(it)) => it.clone(),
            _ => name.clone(),
        };
        let coll = match b.body.attribute("for_each") {
            Some(fe) => self.eval_depth(&fe.value, scope, d),
            None => error("a dynamic block without for_each", Some(b.header)),
        };
        let pairs = match iteration_pairs(&coll, Some(b.header)) {
            Ok(p) if p.len() <= MAX_INSTANCES => p,
            Ok(_) => {
                self.notice(
                    Some(b.header),
                    format!("dynamic \"{name}\" has more than {MAX_INSTANCES} elements; its blocks are not expanded"),
                );
                let why = Unknown::Other("too many dynamic blocks".into());
                push_unknown_block(entries, name, b.header, why);
                return;
            }
            Err(stop) => {
                let why = stop
                    .unknown_reason()
                    .cloned()
                    .unwrap_or(Unknown::Other("dynamic blocks".into()));
                push_unknown_block(entries, name, b.header, why);
                return;
            }
        };
        for (k, v) in pairs {
            let it = Val::map([(Str::from("key"), k), (Str::from("value"), v)], Some(b.header));
            let inner = scope.with(iterator.clone(), it);
            let value = self.block_body(&content.body, &inner, content.header, d + 1, BodyKind::Plain, None);
            push_block(entries, name.clone(), content.header, value);
        }
    }

    /// The instances of a resource, data source or module call (cached).
    pub fn instances_of(&self, block: &Block, address: &str) -> Rc<Instances> {
        if let Some(i) = self.instances.borrow().get(address) {
            return i.clone();
        }
        let computed = Rc::new(instances::expand(self, block, address));
        self.instances.borrow_mut().insert(address.into(), computed.clone());
        computed
    }

    /// The scope inside one instance: `count.index`, or `each.key` and `each.value`.
    pub fn instance_scope(&self, block: &Block, _address: &str, instance: Option<&Instance>) -> Scope {
        let scope = Scope::for_block(block);
        match instance {
            Some(i) => i.bind(scope, block.header),
            None => {
                // Not expanded (single, or instances unknown): each/count unknown.
                if block.body.attribute("count").is_some() || block.body.attribute("for_each").is_some() {
                    let why = Val::unknown(Unknown::Other("the instance is not known".into()), Some(block.header));
                    scope.with("count".into(), why.clone()).with("each".into(), why)
                } else {
                    scope
                }
            }
        }
    }

    /// `module.name…`: an output of a called module.
    fn module_ref(&self, name: &Str, steps: &[&Expr], scope: &Scope, d: usize, span: Option<Span>) -> Val {
        let reference = Some(Str::from(cat(&[&self.prefix, "module.", name])));
        let Some(call) = self.index.calls.get(name) else {
            return Val::unknown(Unknown::Other(format!("module `{name}` is not declared").into()), span)
                .with_reference(reference);
        };
        let address = cat(&["module.", name]);
        let instances = self.instances_of(call, &address);
        let (instance, rest): (Option<&Instance>, &[&Expr]) = match &*instances {
            Instances::Single => (None, steps),
            Instances::Unknown(why) => return Val::unknown(why.clone(), span).with_reference(reference),
            Instances::Count(_) | Instances::Keys(_) => match steps.first().map(|s| &s.kind) {
                Some(ExprKind::Index(_, k)) => {
                    let key = self.eval_depth(k, scope, d);
                    if let Some(why) = key.unknown_reason() {
                        return Val::unknown(why.clone(), span).with_reference(reference);
                    }
                    match instances.find(&key) {
                        Some(i) => (Some(i), &steps[1..]),
                        None => return error(format!("`{address}` has no instance {}", key.describe()), span),
                    }
                }
                _ => return Val::unknown(Unknown::Computed, span).with_reference(reference),
            },
        };
        let Some(child) = self.child(name, call, instance) else {
            return Val::unknown(
                Unknown::Other(format!("the source of module `{name}` is not available").into()),
                span,
            )
            .with_reference(reference);
        };
        let Some(ExprKind::GetAttr(_, output)) = rest.first().map(|s| &s.kind) else {
            return Val::unknown(Unknown::Unsupported("a whole module object".into()), span).with_reference(reference);
        };
        if !child.index.outputs.contains_key(&**output) && child.is_model() {
            // The real module has outputs a model leaves out; what they hold
            // is not known, but it still comes from this module call.
            let why = format!("output `{output}` of module `{name}` is not in Palisade's model of it");
            return Val::unknown(Unknown::Other(why.into()), span).with_reference(reference);
        }
        let v = child.output(output, span);
        self.apply_steps(v, &rest[1..], scope, d, span)
    }

    /// Whether this module is one of Palisade's models of a registry module.
    fn is_model(&self) -> bool {
        self.module
            .files
            .first()
            .is_some_and(|f| self.project.model_of(f.file).is_some())
    }

    /// The value of an output of this module.
    pub fn output(&self, name: &str, span: Option<Span>) -> Val {
        let Some(block) = self.index.outputs.get(name) else {
            return error(format!("no output `{name}`"), span);
        };
        let Some(value) = block.body.attribute("value") else {
            return error(format!("output `{name}` has no value"), span);
        };
        self.memo(&["output.", name], span, || {
            self.eval_depth(&value.value, &Scope::default(), 1)
        })
    }

    /// The evaluator of one instance of a module call, if its source is
    /// available (a local directory in the scan, or an installed module).
    pub fn child(&self, name: &str, call: &'m Block, instance: Option<&Instance>) -> Option<Rc<Evaluator<'m>>> {
        let suffix = instance.map(|i| i.suffix.clone()).unwrap_or_default();
        let key: Str = format!("{name}{suffix}").into();
        if let Some(c) = self.children.borrow().get(&key) {
            return Some(c.clone());
        }
        if self.depth >= MAX_MODULE_DEPTH {
            self.notice(
                Some(call.header),
                format!("module calls nested more than {MAX_MODULE_DEPTH} deep are not followed"),
            );
            return None;
        }
        let module = self
            .project
            .called_module(&self.root_dir, self.module, name, call, &self.prefix)?;
        let prefix: Str = format!("{}module.{key}.", self.prefix).into();
        let child = Evaluator::bare(
            self.project,
            module,
            prefix,
            self.depth + 1,
            self.shared.clone(),
            (self.base_dir.clone(), self.within.clone()),
            Some(Caller {
                parent: self.me.clone(),
                call,
                instance: instance.cloned(),
            }),
        );
        self.children.borrow_mut().insert(key, child.clone());
        Some(child)
    }
}

/// The parts joined: `format!` costs more on the paths every reference takes.
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// Place `v` and the values inside it at `at`, except those whose own
/// place passes `keep`.
/// What needs no change is left as it is, shared with whatever else holds
/// it (a kept value, a memo), not copied.
fn anchor(v: &mut Val, at: Span, keep: &dyn Fn(Span) -> bool) {
    if !v.span.is_some_and(keep) {
        v.span = Some(at);
    }
    match &mut v.kind {
        ValKind::List(items) => {
            for i in 0..items.len() {
                if needs_anchor(&items[i], keep) {
                    anchor(&mut items[i], at, keep);
                }
            }
        }
        ValKind::Map(entries) => {
            for i in 0..entries.len() {
                if needs_anchor(&entries[i].value, keep) {
                    anchor(&mut entries[i].value, at, keep);
                }
            }
        }
        _ => {}
    }
}

/// Whether [`anchor`] would move `v` or a value inside it.
fn needs_anchor(v: &Val, keep: &dyn Fn(Span) -> bool) -> bool {
    !v.span.is_some_and(keep)
        || match &v.kind {
            ValKind::List(items) => items.iter().any(|i| needs_anchor(i, keep)),
            ValKind::Map(entries) => entries.iter().any(|e| needs_anchor(&e.value, keep)),
            _ => false,
        }
}

/// An expression's address in memory: with a scope's name, the key of its
/// [`Evaluator::kept`] value.
pub(super) fn expression_address(e: &Expr) -> usize {
    e as *const Expr as usize
}

/// A block body's address in memory, the same for its [`Evaluator::kept`] value.
fn body_address(b: &Body) -> usize {
    b as *const Body as usize
}

/// The name of the scope that binds nothing.
pub(super) fn unscoped() -> Str {
    Instance::single().suffix
}

/// How [`Evaluator::block_body`] reads a body's attributes.
#[derive(Clone, Copy)]
enum BodyKind<'a> {
    /// A resource, data source or module call, or its `lifecycle` block:
    /// meta-arguments are the addresses they name.
    Object,
    /// A `variable` block: as an object, and its `type` is not evaluated.
    Variable,
    /// An `output` block (the one its name stands for): as an object, and
    /// its `value` is the output's remembered value.
    Output(&'a str),
    /// Any other nested block: every attribute evaluated.
    Plain,
}

/// Meta-arguments that name objects rather than compute values.
const META_REFERENCES: &[&str] = &[
    "depends_on",
    "provider",
    "providers",
    "ignore_changes",
    "replace_triggered_by",
];

/// A meta-argument as the addresses it names: `[aws_iam_role.r]` becomes
/// `["aws_iam_role.r"]`, `{ aws = aws.west }` becomes `{ aws = "aws.west" }`.
fn references(e: &Expr) -> Val {
    let span = Some(e.span);
    match &e.kind {
        ExprKind::Tuple(items) => Val::list(items.iter().map(references).collect(), span),
        ExprKind::Object(items) => {
            let entries = items
                .iter()
                .map(|(k, v)| {
                    let key = match &k.kind {
                        ExprKind::Template(t) => t.as_literal().unwrap_or("").to_string(),
                        _ => traversal_text(k).unwrap_or_default(),
                    };
                    Entry {
                        key: key.into(),
                        key_span: Some(k.span.to(v.span)),
                        value: references(v),
                    }
                })
                .collect();
            Val::new(ValKind::Map(entries), span)
        }
        ExprKind::Template(t) => match t.as_literal() {
            Some(s) => Val::string(s, span),
            None => Val::unknown(Unknown::Unsupported("a template in a meta-argument".into()), span),
        },
        _ => match traversal_text(e) {
            Some(text) => Val::string(text, span),
            None => Val::unknown(Unknown::Unsupported("this meta-argument".into()), span),
        },
    }
}

/// `a.b[0]["k"]` as written, for a traversal with literal indexes.
fn traversal_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Variable(name) => Some(name.to_string()),
        ExprKind::GetAttr(inner, name) => Some(format!("{}.{name}", traversal_text(inner)?)),
        ExprKind::Index(inner, key) => {
            let key = match &key.kind {
                ExprKind::Number(n) => crate::value::format_number(*n),
                ExprKind::Template(t) => serde_json::Value::String(t.as_literal()?.to_string()).to_string(),
                _ => return None,
            };
            Some(format!("{}[{key}]", traversal_text(inner)?))
        }
        _ => None,
    }
}

/// The block type a nested block contributes: its own, or a dynamic block's label.
fn block_type(b: &Block) -> Option<&str> {
    if &*b.ty == "dynamic" {
        b.labels.first().map(|l| &**l)
    } else {
        Some(&b.ty)
    }
}

/// Add one nested block's value under its type.
fn push_block(entries: &mut Vec<Entry>, key: Str, header: Span, value: Val) {
    match entries.iter_mut().find(|e| e.key == key) {
        Some(e) => match &mut e.value.kind {
            ValKind::List(items) => items.push(value),
            ValKind::Unknown(_) => {
                let unknown = e.value.clone();
                e.value = Val::list(vec![unknown, value], Some(header));
            }
            _ => {}
        },
        None => entries.push(Entry {
            key,
            key_span: Some(header),
            value: Val::list(vec![value], Some(header)),
        }),
    }
}

/// Dynamic blocks whose number is not known: the block type is unknown if
/// nothing else defines it, else one more unknown element.
fn push_unknown_block(entries: &mut Vec<Entry>, key: Str, header: Span, why: Unknown) {
    let unknown = Val::unknown(why, Some(header));
    match entries.iter_mut().find(|e| e.key == key) {
        Some(e) => {
            if let ValKind::List(items) = &mut e.value.kind {
                items.push(unknown);
            }
        }
        None => entries.push(Entry {
            key,
            key_span: Some(header),
            value: unknown,
        }),
    }
}

/// `dir` relative to `base` as Terraform's `path.module` shows it: `.` for
/// the root, `modules/net` for a module below it.
fn relative_dir(dir: &Path, base: &Path) -> String {
    match dir.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => dir.to_string_lossy().replace('\\', "/"),
    }
}

/// The known beginning and end of an attribute a resource computes, where
/// the provider documents its form: a service account's address is
/// `ACCOUNT_ID@PROJECT.iam.gserviceaccount.com`, its `member`
/// `serviceAccount:` and that address; a log sink writes as a Google-managed
/// service account (`serviceAccount:…@gcp-sa-logging.iam.gserviceaccount.com`,
/// formerly `serviceAccount:cloud-logs@system.gserviceaccount.com`).
/// (`address` is `TYPE.NAME`.)
fn computed_shape(address: &str, attr: &str) -> Option<(&'static str, &'static str)> {
    match (address.split('.').next()?, attr) {
        ("google_service_account", "email") => Some(("", ".iam.gserviceaccount.com")),
        ("google_service_account", "member") => Some(("serviceAccount:", ".iam.gserviceaccount.com")),
        (
            "google_logging_project_sink"
            | "google_logging_folder_sink"
            | "google_logging_organization_sink"
            | "google_logging_billing_account_sink",
            "writer_identity",
        ) => Some(("serviceAccount:", ".gserviceaccount.com")),
        _ => None,
    }
}

/// Whether a template's text begins as a JSON object or list does.
fn starts_like_json(t: &Template) -> bool {
    matches!(t.parts.first(), Some(TemplatePart::Literal(s, _)) if s.trim_start().starts_with(['{', '[']))
}
