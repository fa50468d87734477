//! `count` and `for_each`: the instances of a resource, data source or
//! module call, and the scope inside each one.

use crate::hcl::Block;
use crate::source::Span;
use crate::value::{Str, Unknown, Val, ValKind};

use super::ops::scalar_text;
use super::{Evaluator, Scope};

/// Most instances expanded for one block. Beyond it the block is one
/// subject whose `count.index` / `each` are unknown, and a notice says so:
/// memory stays bounded whatever the configuration asks for.
pub const MAX_INSTANCES: usize = 1000;

#[derive(Debug, Clone)]
pub enum Instances {
    /// No `count` or `for_each`.
    Single,
    /// The `count` instances, in order; made once per block, with their
    /// address suffixes, for every subject and reference.
    Count(Vec<Instance>),
    /// The `for_each` instances, keys in Terraform's order, with their
    /// `each.value`.
    Keys(Vec<Instance>),
    /// The number or keys of instances are not known.
    Unknown(Unknown),
}

/// One instance: its address suffix (`[0]`, `["logs"]`) and bindings.
#[derive(Debug, Clone)]
pub struct Instance {
    pub suffix: Str,
    each: Option<(Val, Val)>,
    count: Option<usize>,
}

impl Instance {
    pub fn single() -> Instance {
        static NO_SUFFIX: std::sync::LazyLock<Str> = std::sync::LazyLock::new(|| "".into());
        Instance {
            suffix: NO_SUFFIX.clone(),
            each: None,
            count: None,
        }
    }

    pub fn count(i: usize) -> Instance {
        Instance {
            suffix: format!("[{i}]").into(),
            each: None,
            count: Some(i),
        }
    }

    pub fn key(key: Str, value: Val) -> Instance {
        Instance {
            suffix: format!("[{}]", serde_json::Value::String(key.to_string())).into(),
            each: Some((Val::string(key, None), value)),
            count: None,
        }
    }

    /// The `for_each` key of the instance.
    pub fn key_name(&self) -> Option<&Str> {
        match &self.each.as_ref()?.0.kind {
            ValKind::String(k) => Some(k),
            _ => None,
        }
    }

    /// `scope` with `count` or `each` bound.
    pub fn bind(&self, scope: Scope, header: Span) -> Scope {
        let mut scope = scope;
        if let Some(i) = self.count {
            scope = scope.with(
                "count".into(),
                Val::map(
                    [(Str::from("index"), Val::number(i as f64, Some(header)))],
                    Some(header),
                ),
            );
        }
        if let Some((k, v)) = &self.each {
            scope = scope.with(
                "each".into(),
                Val::map(
                    [(Str::from("key"), k.clone()), (Str::from("value"), v.clone())],
                    Some(header),
                ),
            );
        }
        scope
    }
}

impl Instances {
    /// Every instance (one, for a block without `count` / `for_each`).
    pub fn list(&self) -> &[Instance] {
        static SINGLE: std::sync::LazyLock<[Instance; 1]> = std::sync::LazyLock::new(|| [Instance::single()]);
        match self {
            Instances::Single | Instances::Unknown(_) => &*SINGLE,
            Instances::Count(list) | Instances::Keys(list) => list,
        }
    }

    /// The instance an index selects (`[0]`, `["a"]`).
    pub fn find(&self, key: &Val) -> Option<&Instance> {
        match self {
            Instances::Count(list) => {
                let i = key.as_number()?;
                (i >= 0.0 && i.fract() == 0.0).then(|| list.get(i as usize)).flatten()
            }
            Instances::Keys(list) => {
                let k = scalar_text(key)?;
                list.iter().find(|i| i.key_name().is_some_and(|name| **name == *k))
            }
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Instances::Count(list) | Instances::Keys(list) if list.is_empty())
    }
}

/// Evaluate `count` / `for_each` of a block.
pub(super) fn expand(ev: &Evaluator, block: &Block, address: &str) -> Instances {
    let scope = Scope::default();
    if let Some(count) = block.body.attribute("count") {
        let v = ev.kept(super::expression_address(&count.value), &super::unscoped(), 0, || {
            ev.eval(&count.value, &scope)
        });
        if let Some(why) = v.unknown_reason() {
            return Instances::Unknown(why.clone());
        }
        return match v.as_number() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                if n as usize > MAX_INSTANCES {
                    ev.notice(
                        Some(count.value.span),
                        format!(
                            "{}{address} has {n} instances; only the first {MAX_INSTANCES} would be expanded, so it is checked once with `count.index` unknown",
                            ev.prefix()
                        ),
                    );
                    return Instances::Unknown(Unknown::Other("too many instances".into()));
                }
                Instances::Count((0..n as usize).map(Instance::count).collect())
            }
            // Terraform refuses to plan such a block: it creates nothing to check.
            _ => {
                ev.notice(
                    Some(count.value.span),
                    format!(
                        "{}{address} has a `count` of {}, not a whole number of zero or more: Terraform rejects it, so it is not checked",
                        ev.prefix(),
                        v.describe()
                    ),
                );
                Instances::Count(Vec::new())
            }
        };
    }
    let Some(fe) = block.body.attribute("for_each") else {
        return Instances::Single;
    };
    let v = ev.kept(super::expression_address(&fe.value), &super::unscoped(), 0, || {
        ev.eval(&fe.value, &scope)
    });
    let keys: Vec<(Str, Val)> = match &v.kind {
        ValKind::Unknown(why) => return Instances::Unknown(why.clone()),
        ValKind::Map(entries) => {
            let mut keys: Vec<(Str, Val)> = entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            keys
        }
        ValKind::List(items) => {
            let mut keys = Vec::with_capacity(items.len());
            for item in items {
                if let Some(why) = item.unknown_reason() {
                    return Instances::Unknown(why.clone());
                }
                match &item.kind {
                    ValKind::String(s) => keys.push((s.clone(), item.clone())),
                    _ => return Instances::Unknown(Unknown::Error("`for_each` over a set of non-strings".into())),
                }
            }
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            keys.dedup_by(|a, b| a.0 == b.0);
            keys
        }
        ValKind::Null => return Instances::Unknown(Unknown::Error("`for_each` is null".into())),
        _ => return Instances::Unknown(Unknown::Error("`for_each` needs a map or a set of strings".into())),
    };
    if keys.len() > MAX_INSTANCES {
        ev.notice(
            Some(fe.value.span),
            format!(
                "{}{address} has {} instances; it is checked once with `each` unknown",
                ev.prefix(),
                keys.len()
            ),
        );
        return Instances::Unknown(Unknown::Other("too many instances".into()));
    }
    Instances::Keys(keys.into_iter().map(|(k, v)| Instance::key(k, v)).collect())
}
