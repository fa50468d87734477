//! Conditions: compiled from [`ConditionDef`] and evaluated with three-valued
//! logic. A condition is `True` (the subject fails the policy), `False`, or
//! `Unknown` (it depends on a value Palisade does not know: inconclusive).
//! Every outcome carries a witness: the narrowest location that explains it.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::def::ConditionDef;
use super::path::{Focus, Path, Resolution, resolve};
use super::predicates::{self, Predicate};
use crate::source::Span;
use crate::subject::{Subject, SubjectSet};
use crate::value::{Str, Val, ValKind, format_number};

/// Kleene three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    pub fn negate(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::True => Tri::False,
            Tri::Unknown => Tri::Unknown,
        }
    }

    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// Why an outcome is what it is: where, along which path, with what value.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    pub span: Span,
    pub path: String,
    /// The value involved, described for the message.
    pub value: Option<String>,
    /// Where the value actually came from when that is elsewhere (a
    /// variable default, a tfvars file), or other related places.
    pub related: Vec<(Span, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub truth: Tri,
    pub witness: Option<Witness>,
}

impl Outcome {
    fn new(truth: Tri, witness: Option<Witness>) -> Self {
        Self { truth, witness }
    }
}

#[derive(Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Some {
        path: Path,
        cond: Box<Condition>,
    },
    Every {
        path: Path,
        cond: Box<Condition>,
    },
    Related {
        types: Vec<Str>,
        /// Empty: any resource of these types in the scope is related (an
        /// account- or region-wide setting such as `aws_s3_account_public_access_block`).
        via: Vec<Path>,
        cond: Option<Box<Condition>>,
    },
    /// The subject names, through one of its attributes `via`, a resource of these types.
    RefersTo {
        types: Vec<Str>,
        via: Vec<Path>,
        cond: Option<Box<Condition>>,
    },
    /// The subject fails the built-in policy `name`, whose condition this is.
    Fails {
        name: Str,
        cond: &'static Condition,
    },
    Predicate {
        predicate: &'static Predicate,
        path: Option<Path>,
        args: toml::Table,
        /// The predicate's `regex_argument`, compiled.
        regex: Option<Regex>,
    },
    Test {
        path: Path,
        test: Test,
        default: Option<Val>,
        ignore_case: bool,
    },
    /// Evaluate `inner`, then report at `at` when that path exists.
    At {
        inner: Box<Condition>,
        at: Path,
    },
}

#[derive(Debug)]
pub enum Test {
    Exists(bool),
    Equals(Val),
    NotEquals(Val),
    OneOf(Vec<Val>),
    NotOneOf(Vec<Val>),
    Matches(Regex),
    NotMatches(Regex),
    Contains(Val),
    Compare(CmpOp, f64),
}

#[derive(Debug, Clone, Copy)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A compile error with the byte offset in the policy file, when known.
#[derive(Debug)]
pub struct CompileError {
    pub message: String,
    pub offset: Option<usize>,
}

fn err(message: impl Into<String>, offset: Option<usize>) -> CompileError {
    CompileError {
        message: message.into(),
        offset,
    }
}

pub fn toml_to_val(v: &toml::Value) -> Val {
    let kind = match v {
        toml::Value::String(s) => ValKind::String(s.as_str().into()),
        toml::Value::Integer(i) => ValKind::Number(*i as f64),
        toml::Value::Float(f) => ValKind::Number(*f),
        toml::Value::Boolean(b) => ValKind::Bool(*b),
        toml::Value::Datetime(d) => ValKind::String(d.to_string().into()),
        toml::Value::Array(a) => ValKind::List(a.iter().map(toml_to_val).collect()),
        toml::Value::Table(t) => ValKind::Map(
            t.iter()
                .map(|(k, v)| crate::value::Entry {
                    key: k.as_str().into(),
                    key_span: None,
                    value: toml_to_val(v),
                })
                .collect(),
        ),
    };
    Val::new(kind, None)
}

fn path_of(s: &toml::Spanned<String>) -> Result<Path, CompileError> {
    Path::parse(s.get_ref()).map_err(|m| err(m, Some(s.span().start)))
}

fn regex_of(s: &toml::Spanned<String>, ignore_case: bool) -> Result<Regex, CompileError> {
    regex::RegexBuilder::new(s.get_ref())
        .case_insensitive(ignore_case)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| err(format!("invalid regular expression: {e}"), Some(s.span().start)))
}

/// The attribute paths of `via`, none when it is not given.
fn vias(def: &ConditionDef) -> Result<Vec<Path>, CompileError> {
    let Some(via) = &def.via else {
        return Ok(Vec::new());
    };
    let offset = Some(via.span().start);
    let texts = via.get_ref().clone().into_vec();
    if texts.is_empty() {
        return Err(err("`via` needs at least one attribute", offset));
    }
    texts
        .iter()
        .map(|t| Path::parse(t).map_err(|m| err(m, offset)))
        .collect()
}

/// Compile a condition that uses no named conditions.
pub fn compile(def: &ConditionDef) -> Result<Condition, CompileError> {
    compile_with(def, &BTreeMap::new())
}

/// Compile a policy's condition with its named conditions
/// (`[match.define]`), each of which it must use.
pub fn compile_with(def: &ConditionDef, defs: &BTreeMap<String, ConditionDef>) -> Result<Condition, CompileError> {
    let mut named = Named {
        defs,
        open: Vec::new(),
        used: BTreeSet::new(),
    };
    let cond = compile_in(def, &mut named)?;
    if let Some(unused) = defs.keys().find(|k| !named.used.contains(k.as_str())) {
        return Err(err(format!("`{unused}` in `[match.define]` is never used"), None));
    }
    Ok(cond)
}

/// The named conditions while a condition compiles: which definitions are
/// being compiled (a name used inside its own definition would never end)
/// and which were used.
struct Named<'d> {
    defs: &'d BTreeMap<String, ConditionDef>,
    open: Vec<&'d str>,
    used: BTreeSet<&'d str>,
}

/// Compile a condition, checking that exactly one head is given and that
/// every path, regex, predicate and name is valid. A `use` compiles the
/// named condition in its place.
fn compile_in<'d>(def: &'d ConditionDef, named: &mut Named<'d>) -> Result<Condition, CompileError> {
    let offset = def
        .path
        .as_ref()
        .or(def.some.as_ref())
        .or(def.every.as_ref())
        .or(def.predicate.as_ref())
        .or(def.fails.as_ref())
        .or(def.use_.as_ref())
        .map(|s| s.span().start)
        .or(def.via.as_ref().map(|s| s.span().start));
    let tests = [
        def.exists.is_some(),
        def.equals.is_some(),
        def.not_equals.is_some(),
        def.one_of.is_some(),
        def.not_one_of.is_some(),
        def.matches.is_some(),
        def.not_matches.is_some(),
        def.contains.is_some(),
        def.lt.is_some(),
        def.le.is_some(),
        def.gt.is_some(),
        def.ge.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let heads = [
        def.all.is_some(),
        def.any.is_some(),
        def.not.is_some(),
        def.some.is_some(),
        def.every.is_some(),
        def.related.is_some(),
        def.refers_to.is_some(),
        def.fails.is_some(),
        def.predicate.is_some(),
        def.use_.is_some(),
        def.path.is_some() && def.predicate.is_none(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if heads != 1 {
        return Err(err(
            "a condition needs exactly one of `all`, `any`, `not`, `some`, `every`, `related`, `refers-to`, `fails`, `predicate`, `use`, or `path` with a test",
            offset,
        ));
    }
    let head_only = |what: &str| -> Result<(), CompileError> {
        if tests > 0 || def.default.is_some() {
            return Err(err(
                format!("`{what}` cannot be combined with a test or `default`"),
                offset,
            ));
        }
        Ok(())
    };
    let cond = if let Some(items) = &def.all {
        head_only("all")?;
        Condition::All(items.iter().map(|c| compile_in(c, named)).collect::<Result<_, _>>()?)
    } else if let Some(items) = &def.any {
        head_only("any")?;
        Condition::Any(items.iter().map(|c| compile_in(c, named)).collect::<Result<_, _>>()?)
    } else if let Some(inner) = &def.not {
        head_only("not")?;
        Condition::Not(Box::new(compile_in(inner, named)?))
    } else if let Some(p) = def.some.as_ref().or(def.every.as_ref()) {
        head_only("some/every")?;
        let Some(w) = &def.where_ else {
            return Err(err("`some` and `every` need a `where` condition", offset));
        };
        let path = path_of(p)?;
        let cond = Box::new(compile_in(w, named)?);
        if def.some.is_some() {
            Condition::Some { path, cond }
        } else {
            Condition::Every { path, cond }
        }
    } else if let Some(types) = &def.related {
        head_only("related")?;
        let types: Vec<Str> = match types {
            super::def::OneOrMany::One(s) => vec![s.as_str().into()],
            super::def::OneOrMany::Many(v) => v.iter().map(|s| s.as_str().into()).collect(),
        };
        Condition::Related {
            types,
            via: vias(def)?,
            cond: def
                .where_
                .as_ref()
                .map(|w| compile_in(w, named).map(Box::new))
                .transpose()?,
        }
    } else if let Some(types) = &def.refers_to {
        head_only("refers-to")?;
        let via = vias(def)?;
        if via.is_empty() {
            return Err(err(
                "`refers-to` needs `via`: the attribute of this subject that names the other",
                offset,
            ));
        }
        Condition::RefersTo {
            types: types.clone().into_vec().into_iter().map(Str::from).collect(),
            via,
            cond: def
                .where_
                .as_ref()
                .map(|w| compile_in(w, named).map(Box::new))
                .transpose()?,
        }
    } else if let Some(name) = &def.fails {
        head_only("fails")?;
        let cond = super::builtin_condition(name.get_ref()).ok_or_else(|| {
            err(
                format!(
                    "`fails`: `{}` is not a built-in policy decided by a condition",
                    name.get_ref()
                ),
                Some(name.span().start),
            )
        })?;
        Condition::Fails {
            name: name.get_ref().as_str().into(),
            cond,
        }
    } else if let Some(name) = &def.use_ {
        head_only("use")?;
        let at = Some(name.span().start);
        let (key, body) = named.defs.get_key_value(name.get_ref()).ok_or_else(|| {
            err(
                format!("`use`: no condition named `{}` in `[match.define]`", name.get_ref()),
                at,
            )
        })?;
        if named.open.contains(&key.as_str()) {
            return Err(err(format!("`use`: `{key}` is used inside its own definition"), at));
        }
        named.used.insert(key);
        named.open.push(key);
        let cond = compile_in(body, named);
        named.open.pop();
        cond?
    } else if let Some(name) = &def.predicate {
        head_only("predicate")?;
        let predicate = predicates::lookup(name.get_ref()).ok_or_else(|| {
            err(
                format!(
                    "unknown predicate `{}`; known predicates: {}",
                    name.get_ref(),
                    predicates::names().join(", ")
                ),
                Some(name.span().start),
            )
        })?;
        let args = def.args.clone().unwrap_or_default();
        (predicate.validate)(&args)
            .map_err(|m| err(format!("predicate `{}`: {m}", predicate.name), Some(name.span().start)))?;
        let path = def.path.as_ref().map(path_of).transpose()?;
        if predicate.needs_path && path.is_none() {
            return Err(err(
                format!("predicate `{}` needs a `path`", predicate.name),
                Some(name.span().start),
            ));
        }
        let regex = predicate
            .regex_argument
            .and_then(|key| args.get(key))
            .and_then(|v| v.as_str())
            .map(|pattern| {
                regex::Regex::new(pattern).map_err(|e| {
                    err(
                        format!("predicate `{}`: invalid regular expression: {e}", predicate.name),
                        Some(name.span().start),
                    )
                })
            })
            .transpose()?;
        Condition::Predicate {
            predicate,
            path,
            args,
            regex,
        }
    } else {
        let p = def.path.as_ref().ok_or_else(|| err("missing `path`", offset))?;
        let path = path_of(p)?;
        if tests != 1 {
            return Err(err(
                "a `path` condition needs exactly one test: exists, equals, not-equals, one-of, not-one-of, matches, not-matches, contains, lt, le, gt or ge",
                offset,
            ));
        }
        let test = if let Some(b) = def.exists {
            if def.default.is_some() {
                return Err(err("`exists` cannot have a `default`", offset));
            }
            Test::Exists(b)
        } else if let Some(v) = &def.equals {
            Test::Equals(toml_to_val(v))
        } else if let Some(v) = &def.not_equals {
            Test::NotEquals(toml_to_val(v))
        } else if let Some(v) = &def.one_of {
            Test::OneOf(v.iter().map(toml_to_val).collect())
        } else if let Some(v) = &def.not_one_of {
            Test::NotOneOf(v.iter().map(toml_to_val).collect())
        } else if let Some(r) = &def.matches {
            Test::Matches(regex_of(r, def.ignore_case)?)
        } else if let Some(r) = &def.not_matches {
            Test::NotMatches(regex_of(r, def.ignore_case)?)
        } else if let Some(v) = &def.contains {
            Test::Contains(toml_to_val(v))
        } else if let Some(n) = def.lt {
            Test::Compare(CmpOp::Lt, n)
        } else if let Some(n) = def.le {
            Test::Compare(CmpOp::Le, n)
        } else if let Some(n) = def.gt {
            Test::Compare(CmpOp::Gt, n)
        } else if let Some(n) = def.ge {
            Test::Compare(CmpOp::Ge, n)
        } else {
            return Err(err("missing test", offset));
        };
        Condition::Test {
            path,
            test,
            default: def.default.as_ref().map(toml_to_val),
            ignore_case: def.ignore_case,
        }
    };
    if def.where_.is_some()
        && !matches!(
            cond,
            Condition::Some { .. } | Condition::Every { .. } | Condition::Related { .. } | Condition::RefersTo { .. }
        )
    {
        return Err(err(
            "`where` belongs to `some`, `every`, `related` or `refers-to`",
            offset,
        ));
    }
    if def.via.is_some() && !matches!(cond, Condition::Related { .. } | Condition::RefersTo { .. }) {
        return Err(err("`via` belongs to `related` or `refers-to`", offset));
    }
    if def.args.is_some() && !matches!(cond, Condition::Predicate { .. }) {
        return Err(err("`args` belongs to `predicate`", offset));
    }
    match &def.at {
        Some(at) => Ok(Condition::At {
            inner: Box::new(cond),
            at: path_of(at)?,
        }),
        None => Ok(cond),
    }
}

/// What a condition is evaluated against.
#[derive(Clone, Copy)]
pub struct EvalCx<'a> {
    pub subject: &'a Subject,
    pub set: &'a SubjectSet,
}

impl<'a> EvalCx<'a> {
    pub fn root(&self) -> Focus<'a, 'static> {
        Focus {
            val: &self.subject.value,
            loc: self.subject.header,
            path: "",
            bounds: self.subject.span,
        }
    }
}

/// The witness for a value reached at `loc`, noting where it came from when
/// that is outside the subject.
///
/// A value written in the arguments of a `module` call that instantiated
/// the subject is reported there, where the user owns the code (and a
/// suppression comment can sit): the module's own line becomes related.
pub fn witness_for(cx: &EvalCx, loc: Span, path: &str, val: Option<&Val>) -> Witness {
    let mut related = Vec::new();
    if let Some(v) = val
        && let Some(origin) = v.span
        && !contains(cx.subject.span, origin)
    {
        if written_in_a_call(cx, origin) {
            return Witness {
                span: origin,
                path: path.to_string(),
                value: Some(v.describe()),
                related: vec![(loc, format!("{} uses the value here", cx.subject.address))],
            };
        }
        related.push((origin, "the value is set here".to_string()));
    }
    Witness {
        span: loc,
        path: path.to_string(),
        value: val.map(Val::describe),
        related,
    }
}

/// Where a list element is reported: where it is written when that is in
/// the subject's own block, else at the list (`list`).
pub(super) fn element_loc(cx: &EvalCx, element: &Val, list: Span) -> Span {
    element.span.filter(|s| contains(cx.subject.span, *s)).unwrap_or(list)
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

/// Whether `origin` lies inside one of the `module` blocks whose calls
/// instantiated the subject (`module.a` and `module.a.module.b` for
/// `module.a.module.b.aws_s3_bucket.x`).
fn written_in_a_call(cx: &EvalCx, origin: Span) -> bool {
    let address = &*cx.subject.address;
    address.starts_with("module.")
        && cx.set.select("module", &[]).any(|call| {
            contains(call.span, origin)
                && address.len() > call.address.len()
                && address.starts_with(&*call.address)
                && address.as_bytes()[call.address.len()] == b'.'
        })
}

/// `all` (decided by the first false item) or `any` (by the first true
/// one): otherwise the first unknown item, else the first item, so a finding
/// is placed where its first true condition is.
fn combine(items: &[Condition], decisive: Tri, cx: &EvalCx, focus: Focus) -> Outcome {
    let mut unknown: Option<Outcome> = None;
    let mut first_other: Option<Outcome> = None;
    for c in items {
        let o = eval(c, cx, focus);
        if o.truth == decisive {
            return o;
        }
        let slot = if o.truth == Tri::Unknown {
            &mut unknown
        } else {
            &mut first_other
        };
        if slot.is_none() {
            *slot = Some(o);
        }
    }
    unknown.or(first_other).unwrap_or(Outcome::new(decisive.negate(), None))
}

pub fn eval(cond: &Condition, cx: &EvalCx, focus: Focus) -> Outcome {
    match cond {
        Condition::All(items) => combine(items, Tri::False, cx, focus),
        Condition::Any(items) => combine(items, Tri::True, cx, focus),
        Condition::Not(inner) => {
            let o = eval(inner, cx, focus);
            Outcome::new(o.truth.negate(), o.witness)
        }
        Condition::Some { path, cond } => quantify(false, path, cond, cx, focus),
        Condition::Every { path, cond } => quantify(true, path, cond, cx, focus),
        Condition::Related { types, via, cond } => related(types, via, cond.as_deref(), cx, focus),
        Condition::RefersTo { types, via, cond } => refers_to_other(types, via, cond.as_deref(), cx),
        Condition::Fails { cond, .. } => eval(cond, cx, cx.root()),
        Condition::Predicate {
            predicate,
            path,
            args,
            regex,
        } => (predicate.eval)(&predicates::PredicateCx {
            cx,
            focus,
            path: path.as_ref(),
            args,
            regex: regex.as_ref(),
        }),
        Condition::Test {
            path,
            test,
            default,
            ignore_case,
        } => eval_test(path, test, default.as_ref(), *ignore_case, cx, focus),
        Condition::At { inner, at } => {
            let mut o = eval(inner, cx, focus);
            if o.truth == Tri::True {
                let r = resolve(focus, at);
                if let Some(first) = r.found.first() {
                    o.witness = Some(witness_for(cx, first.loc, &first.path, Some(first.val)));
                }
            }
            o
        }
    }
}

/// `some` (existential) or `every` (universal) over the elements at a path.
fn quantify(every: bool, path: &Path, cond: &Condition, cx: &EvalCx, focus: Focus) -> Outcome {
    let r = resolve(focus, path);
    let mut unknown: Option<Outcome> = r.unknown.as_ref().map(|(span, p, why)| {
        Outcome::new(
            Tri::Unknown,
            Some(Witness {
                span: *span,
                path: p.clone(),
                value: Some(format!("unknown ({why})")),
                related: vec![],
            }),
        )
    });
    let mut decided: Option<Outcome> = None;
    let mut sole: Option<Outcome> = None;
    let mut elements = Vec::new();
    for reached in &r.found {
        match &reached.val.kind {
            // A list at the path: its elements are what we quantify over.
            ValKind::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    let loc = v
                        .span
                        .filter(|s| {
                            s.file == cx.subject.span.file
                                && s.start >= cx.subject.span.start
                                && s.end <= cx.subject.span.end
                        })
                        .unwrap_or(reached.loc);
                    elements.push((v, loc, format!("{}[{i}]", reached.path)));
                }
            }
            _ => elements.push((reached.val, reached.loc, reached.path.clone())),
        }
    }
    for (val, loc, p) in &elements {
        if val.is_unknown() {
            if unknown.is_none() {
                unknown = Some(Outcome::new(Tri::Unknown, Some(witness_for(cx, *loc, p, Some(val)))));
            }
            continue;
        }
        let inner = Focus {
            val,
            loc: *loc,
            path: p,
            bounds: focus.bounds,
        };
        let o = eval(cond, cx, inner);
        match (o.truth, every) {
            (Tri::True, false) | (Tri::False, true) => {
                decided = Some(o);
                break;
            }
            (Tri::Unknown, _) => {
                unknown.get_or_insert(o);
            }
            _ if elements.len() == 1 => sole = Some(o),
            _ => {}
        }
    }
    if let Some(o) = decided {
        return o;
    }
    if let Some(o) = unknown {
        return o;
    }
    // One element judged by one attribute test (`node_to_node_encryption
    // { enabled = false }`): that attribute is the narrowest place to point
    // at. With several elements no single one is to blame, and when the
    // test combines conditions the failing one may only select the element
    // (a `database_flags` entry with another name).
    let single_test = matches!(cond, Condition::Test { .. });
    if let Some(o) = sole.filter(|o| single_test && o.witness.is_some()) {
        return Outcome::new(Tri::from_bool(every), o.witness);
    }
    let (span, p) = r.absent_at.clone().unwrap_or((focus.loc, focus.path.to_string()));
    Outcome::new(
        Tri::from_bool(every),
        Some(Witness {
            span,
            path: p,
            value: None,
            related: vec![],
        }),
    )
}

/// Whether some resource of `types` refers to the subject through one of
/// `vias` (without any: whether some resource of `types` is in the scope at all).
fn related(types: &[Str], vias: &[Path], cond: Option<&Condition>, cx: &EvalCx, _focus: Focus) -> Outcome {
    let subject = cx.subject;
    let mut unknown: Option<Outcome> = None;
    for class in ["resource", "data"] {
        for other in cx.set.select(class, types) {
            let other_cx = EvalCx {
                subject: other,
                set: cx.set,
            };
            let link = if vias.is_empty() {
                Tri::True
            } else {
                surest_link(vias, |via| link_through(&other_cx, via, subject)).0
            };
            if link == Tri::False {
                continue;
            }
            let inner = match cond {
                Some(c) => eval(c, &other_cx, other_cx.root()),
                None => Outcome::new(Tri::True, None),
            };
            let truth = link.min(inner.truth);
            let witness = Witness {
                span: other.header,
                path: other.address.to_string(),
                value: None,
                related: vec![],
            };
            match truth {
                Tri::True => return Outcome::new(Tri::True, Some(witness)),
                Tri::Unknown => {
                    if unknown.is_none() {
                        unknown = Some(Outcome::new(Tri::Unknown, Some(witness)));
                    }
                }
                Tri::False => {}
            }
        }
    }
    unknown.unwrap_or(Outcome::new(
        Tri::False,
        Some(Witness {
            span: subject.header,
            path: String::new(),
            value: None,
            related: vec![],
        }),
    ))
}

/// Whether the subject refers through `via` to a resource of `types` (that
/// satisfies `cond`). The witness is the subject's `via` attribute, the
/// other resource a related location.
fn refers_to_other(types: &[Str], vias: &[Path], cond: Option<&Condition>, cx: &EvalCx) -> Outcome {
    let located = |via: &Path| resolve(cx.root(), via).found.first().map(|f| (f.loc, f.path.clone()));
    let fallback = vias.iter().find_map(located).unwrap_or_else(|| {
        (
            cx.subject.header,
            vias.first().map_or_else(String::new, |v| v.text.to_string()),
        )
    });
    let mut unknown: Option<Outcome> = None;
    for class in ["resource", "data"] {
        for other in cx.set.select(class, types) {
            let (link, through) = surest_link(vias, |via| link_through(cx, via, other));
            if link == Tri::False {
                continue;
            }
            let at = through.and_then(located).unwrap_or_else(|| fallback.clone());
            let other_cx = EvalCx {
                subject: other,
                set: cx.set,
            };
            let inner = match cond {
                Some(c) => eval(c, &other_cx, other_cx.root()).truth,
                None => Tri::True,
            };
            let witness = Witness {
                span: at.0,
                path: at.1.clone(),
                value: Some(other.address.to_string()),
                related: vec![(other.header, format!("{} is here", other.address))],
            };
            match link.min(inner) {
                Tri::True => return Outcome::new(Tri::True, Some(witness)),
                Tri::Unknown => {
                    unknown.get_or_insert(Outcome::new(Tri::Unknown, Some(witness)));
                }
                Tri::False => {}
            }
        }
    }
    unknown.unwrap_or(Outcome::new(
        Tri::False,
        Some(Witness {
            span: fallback.0,
            path: fallback.1,
            value: None,
            related: vec![],
        }),
    ))
}

/// The surest link through any of `vias`, and the first attribute giving it.
fn surest_link(vias: &[Path], link: impl Fn(&Path) -> Tri) -> (Tri, Option<&Path>) {
    let mut surest = (Tri::False, None);
    for via in vias {
        let l = link(via);
        if l > surest.0 {
            surest = (l, Some(via));
        }
    }
    surest
}

/// Whether `other` refers to `subject` through its attribute `via`.
fn link_through(other: &EvalCx, via: &Path, subject: &Subject) -> Tri {
    let r = resolve(other.root(), via);
    let mut link = if r.unknown.is_some() { Tri::Unknown } else { Tri::False };
    let mut values: Vec<&Val> = Vec::new();
    for reached in &r.found {
        match &reached.val.kind {
            ValKind::List(items) => values.extend(items.iter()),
            _ => values.push(reached.val),
        }
    }
    for v in values {
        link = link.max(refers_to(v, subject));
        if link == Tri::True {
            break;
        }
    }
    link
}

/// Names under which other resources commonly refer to a resource by value
/// (`stage_name`: API Gateway method settings name their stage so).
const IDENTIFYING_ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "bucket",
    "arn",
    "function_name",
    "cluster_identifier",
    "stage_name",
];

/// Whether a value refers to `subject`: through a reference to its address,
/// or by being equal to one of its identifying attribute values.
pub(super) fn refers_to(v: &Val, subject: &Subject) -> Tri {
    if let Some(r) = &v.reference {
        if **r == *subject.address {
            return Tri::True;
        }
        // `aws_s3_bucket.b[count.index]` style references to some instance.
        if subject.instance.is_some() && **r == *subject.base_address() {
            return Tri::Unknown;
        }
        // An output of a module call that cannot be read (one a model
        // leaves out) may be any resource of that module.
        if subject.is_inside_call(r) {
            return Tri::Unknown;
        }
        if !v.is_unknown() {
            // A known value read from another resource: compare by value below.
        } else {
            return Tri::False;
        }
    }
    match &v.kind {
        ValKind::Unknown(_) => Tri::Unknown,
        ValKind::String(s) => {
            let same = IDENTIFYING_ATTRIBUTES
                .iter()
                .filter_map(|a| subject.value.get(a))
                .any(|own| own.as_str() == Some(s));
            Tri::from_bool(same)
        }
        _ => Tri::False,
    }
}

fn values_equal(a: &Val, b: &Val, ignore_case: bool) -> Option<bool> {
    match (&a.kind, &b.kind) {
        (ValKind::Unknown(why), ValKind::String(e)) if !why.may_be_text(e, ignore_case) => Some(false),
        (ValKind::Unknown(_), _) | (_, ValKind::Unknown(_)) => None,
        (_, ValKind::Bool(e)) => a.as_bool().map(|x| x == *e).or(Some(false)),
        (_, ValKind::Number(e)) => a.as_number().map(|x| x == *e).or(Some(false)),
        (_, ValKind::String(e)) => Some(match &a.kind {
            ValKind::String(s) => {
                if ignore_case {
                    s.eq_ignore_ascii_case(e)
                } else {
                    s == e
                }
            }
            ValKind::Number(n) => format_number(*n) == **e,
            ValKind::Bool(x) => x.to_string() == **e,
            _ => false,
        }),
        (ValKind::List(x), ValKind::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y) {
                match values_equal(p, q, ignore_case) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        (ValKind::Null, ValKind::Null) => Some(true),
        _ => Some(a == b),
    }
}

fn as_text(v: &Val) -> Option<String> {
    match &v.kind {
        ValKind::String(s) => Some(s.to_string()),
        ValKind::Number(n) => Some(format_number(*n)),
        ValKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A scalar test on one (non-list) value.
fn scalar_test(test: &Test, v: &Val, ignore_case: bool) -> Tri {
    // A partly known string can still differ from every value compared.
    let compares = matches!(
        test,
        Test::Equals(_) | Test::NotEquals(_) | Test::OneOf(_) | Test::NotOneOf(_)
    );
    if v.is_unknown() && !compares {
        return Tri::Unknown;
    }
    let known = |b: Option<bool>| b.map(Tri::from_bool).unwrap_or(Tri::Unknown);
    match test {
        Test::Exists(_) => Tri::True,
        Test::Equals(e) => known(values_equal(v, e, ignore_case)),
        Test::NotEquals(e) => known(values_equal(v, e, ignore_case).map(|b| !b)),
        Test::OneOf(set) | Test::NotOneOf(set) => {
            let mut any = Some(false);
            for e in set {
                match values_equal(v, e, ignore_case) {
                    Some(true) => {
                        any = Some(true);
                        break;
                    }
                    None => any = None,
                    Some(false) => {}
                }
            }
            let t = known(any);
            if matches!(test, Test::NotOneOf(_)) {
                t.negate()
            } else {
                t
            }
        }
        Test::Matches(re) => Tri::from_bool(as_text(v).is_some_and(|s| re.is_match(&s))),
        Test::NotMatches(re) => Tri::from_bool(!as_text(v).is_some_and(|s| re.is_match(&s))),
        Test::Contains(e) => match &v.kind {
            ValKind::String(s) => match &e.kind {
                ValKind::String(needle) => Tri::from_bool(if ignore_case {
                    s.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
                } else {
                    s.contains(&**needle)
                }),
                _ => Tri::False,
            },
            ValKind::Map(entries) => match &e.kind {
                ValKind::String(k) => Tri::from_bool(entries.iter().any(|en| en.key == *k)),
                _ => Tri::False,
            },
            _ => known(values_equal(v, e, ignore_case)),
        },
        Test::Compare(op, n) => match v.as_number() {
            Some(x) => Tri::from_bool(match op {
                CmpOp::Lt => x < *n,
                CmpOp::Le => x <= *n,
                CmpOp::Gt => x > *n,
                CmpOp::Ge => x >= *n,
            }),
            None => Tri::False,
        },
    }
}

fn eval_test(path: &Path, test: &Test, default: Option<&Val>, ignore_case: bool, cx: &EvalCx, focus: Focus) -> Outcome {
    let r: Resolution = resolve(focus, path);
    if let Test::Exists(want) = test {
        // A value Palisade cannot know may well be null (a variable whose
        // value is `null`, a `dynamic` block that expands to nothing).
        if let Some(known) = r.found.iter().find(|f| !f.val.is_unknown()) {
            let w = witness_for(cx, known.loc, &known.path, Some(known.val));
            return Outcome::new(Tri::from_bool(*want), Some(w));
        }
        if let Some(first) = r.found.first() {
            let w = witness_for(cx, first.loc, &first.path, Some(first.val));
            return Outcome::new(Tri::Unknown, Some(w));
        }
        if let Some((span, p, why)) = &r.unknown {
            return Outcome::new(
                Tri::Unknown,
                Some(Witness {
                    span: *span,
                    path: p.clone(),
                    value: Some(format!("unknown ({why})")),
                    related: vec![],
                }),
            );
        }
        let span = r.absent_at.as_ref().map(|a| a.0).unwrap_or(focus.loc);
        return Outcome::new(
            Tri::from_bool(!*want),
            Some(Witness {
                span,
                path: join_path(focus.path, &path.text),
                value: None,
                related: vec![],
            }),
        );
    }
    let mut unknown: Option<Outcome> = None;
    let mut first_false: Option<Outcome> = None;
    // Lists at the path are tested element by element (any element).
    let mut candidates: Vec<(&Val, Span, String)> = Vec::new();
    for reached in &r.found {
        match (&reached.val.kind, test) {
            (ValKind::List(items), t) if !matches!(t, Test::Contains(_)) => {
                for (i, v) in items.iter().enumerate() {
                    let loc = element_loc(cx, v, reached.loc);
                    candidates.push((v, loc, format!("{}[{i}]", reached.path)));
                }
            }
            (ValKind::List(items), Test::Contains(e)) => {
                let mut any_unknown = None;
                for (i, v) in items.iter().enumerate() {
                    match values_equal(v, e, ignore_case) {
                        Some(true) => {
                            let loc = element_loc(cx, v, reached.loc);
                            return Outcome::new(
                                Tri::True,
                                Some(witness_for(cx, loc, &format!("{}[{i}]", reached.path), Some(v))),
                            );
                        }
                        None => any_unknown = Some(witness_for(cx, reached.loc, &reached.path, Some(v))),
                        Some(false) => {}
                    }
                }
                if let Some(w) = any_unknown {
                    unknown.get_or_insert(Outcome::new(Tri::Unknown, Some(w)));
                } else if first_false.is_none() {
                    first_false = Some(Outcome::new(
                        Tri::False,
                        Some(witness_for(cx, reached.loc, &reached.path, Some(reached.val))),
                    ));
                }
            }
            _ => candidates.push((reached.val, reached.loc, reached.path.clone())),
        }
    }
    for (v, loc, p) in &candidates {
        let t = scalar_test(test, v, ignore_case);
        let o = Outcome::new(t, Some(witness_for(cx, *loc, p, Some(v))));
        match t {
            Tri::True => return o,
            Tri::Unknown => {
                unknown.get_or_insert(o);
            }
            Tri::False => {
                first_false.get_or_insert(o);
            }
        }
    }
    if let Some(o) = unknown {
        return o;
    }
    if r.found.is_empty() {
        if let Some((span, p, why)) = &r.unknown {
            return Outcome::new(
                Tri::Unknown,
                Some(Witness {
                    span: *span,
                    path: p.clone(),
                    value: Some(format!("unknown ({why})")),
                    related: vec![],
                }),
            );
        }
        // Absent (or null): the provider default applies, if the policy knows it.
        let (span, p) = r.absent_at.clone().unwrap_or((focus.loc, focus.path.to_string()));
        let truth = match default {
            Some(d) => scalar_test(test, d, ignore_case),
            None => Tri::False,
        };
        return Outcome::new(
            truth,
            Some(Witness {
                span,
                path: {
                    let _ = p;
                    join_path(focus.path, &path.text)
                },
                value: default.map(|d| format!("{} (the default)", d.describe())),
                related: vec![],
            }),
        );
    }
    first_false.unwrap_or(Outcome::new(Tri::False, None))
}

pub(crate) fn join_path(base: &str, rest: &str) -> String {
    if base.is_empty() {
        rest.to_string()
    } else {
        format!("{base}.{rest}")
    }
}
