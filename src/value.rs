//! The value tree policies look at.
//!
//! Every input kind is presented to policies as [`Val`] trees: a Terraform
//! resource after evaluation (attributes and nested blocks as map entries), a
//! YAML document, a Dockerfile instruction. Each value remembers where it was
//! written, and map entries remember their key, so a policy can report the
//! narrowest location. A value the scanner cannot know is [`ValKind::Unknown`].

use std::sync::Arc;

use crate::source::Span;

pub type Str = Arc<str>;

/// The items of a list or the entries of a map: a vector shared between
/// every value that holds it. A value read through a reference, a lookup
/// or an iteration is the same tree, not a copy, so cloning a [`Val`] costs
/// a reference count whatever its size. It reads as a `Vec`; writing
/// through it (`push`, `iter_mut`) copies the vector first if it is shared
/// (copy on write), so no other holder ever sees the change.
#[derive(Clone, PartialEq)]
pub struct Shared<T>(Arc<Vec<T>>);

impl<T> Shared<T> {
    pub fn new(items: Vec<T>) -> Self {
        Shared(Arc::new(items))
    }
}

impl<T: Clone> Shared<T> {
    /// The vector itself, copied only if another value shares it.
    pub fn into_vec(self) -> Vec<T> {
        Arc::unwrap_or_clone(self.0)
    }
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(Vec::new())
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        Arc::make_mut(&mut self.0)
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T> From<Vec<T>> for Shared<T> {
    fn from(items: Vec<T>) -> Self {
        Shared::new(items)
    }
}

impl<T> FromIterator<T> for Shared<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Shared::new(iter.into_iter().collect())
    }
}

impl<'a, T> IntoIterator for &'a Shared<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T: Clone> IntoIterator for &'a mut Shared<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        Arc::make_mut(&mut self.0).iter_mut()
    }
}

impl<T: Clone> IntoIterator for Shared<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub kind: ValKind,
    /// Where the value (or the expression that produced it) is written.
    pub span: Option<Span>,
    /// The resource (or other object) the value was read from, by address,
    /// when it came through a reference such as `aws_s3_bucket.logs.id`.
    pub reference: Option<Str>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValKind {
    Null,
    Bool(bool),
    Number(f64),
    String(Str),
    List(Shared<Val>),
    Map(Shared<Entry>),
    Unknown(Unknown),
}

/// One key of a map, with the span of the whole `key = value` (or `key: value`)
/// and, for nested blocks, of the block header.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Str,
    pub key_span: Option<Span>,
    pub value: Val,
}

/// Why a value is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// Computed by the provider at apply time (`aws_kms_key.k.arn`).
    Computed,
    /// A variable with no default and no value given.
    UnsetVariable(Str),
    /// Read from a data source.
    DataSource,
    /// An expression or function Palisade does not evaluate.
    Unsupported(Str),
    /// Anything else, with a short explanation.
    Other(Str),
    /// The expression is invalid (Terraform would stop with an error): a
    /// missing attribute, a bad argument to a function. `try` and `can`
    /// tell it apart from a value that is merely not known yet.
    Error(Str),
    /// `jsonencode` of a value with unknown parts, for `why`; `known` is the
    /// JSON of the rest (unknown parts `null`, or a placeholder string for
    /// values a resource computes), so a policy document can be read in part.
    PartialJson { why: Box<Unknown>, known: Str },
    /// A string template with unknown parts, for `why`: it starts with
    /// `prefix` and ends with `suffix` (either may be empty), so some values
    /// can be ruled out (`"serviceAccount:${…}"` is never `allUsers`).
    PartialText {
        why: Box<Unknown>,
        prefix: Str,
        suffix: Str,
    },
}

impl Unknown {
    /// Whether the unknown value may turn out to be the string `text`: false
    /// only for a template whose known beginning or end rules it out.
    pub fn may_be_text(&self, text: &str, ignore_case: bool) -> bool {
        let Unknown::PartialText { prefix, suffix, .. } = self else {
            return true;
        };
        let same = |a: &str, b: &str| if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b };
        text.len() >= prefix.len() + suffix.len()
            && text.get(..prefix.len()).is_some_and(|head| same(head, prefix))
            && text
                .get(text.len() - suffix.len()..)
                .is_some_and(|tail| same(tail, suffix))
    }

    /// Whether the unknown value may match the wildcard `pattern` (`*` any
    /// run, `?` one character, ASCII case ignored, as IAM member patterns
    /// read): false only when a template's known beginning or end disagrees
    /// with the pattern's literal beginning or end.
    pub fn may_match_glob(&self, pattern: &str) -> bool {
        let Unknown::PartialText { prefix, suffix, .. } = self else {
            return true;
        };
        fn fits(mut pattern: impl Iterator<Item = char>, known: impl Iterator<Item = char>) -> bool {
            for k in known {
                match pattern.next() {
                    Some('*') => return true,
                    Some('?') => {}
                    Some(p) if p.eq_ignore_ascii_case(&k) => {}
                    _ => return false,
                }
            }
            true
        }
        fits(pattern.chars(), prefix.chars()) && fits(pattern.chars().rev(), suffix.chars().rev())
    }

    /// Whether the unknown value matches the wildcard `pattern` whatever its
    /// unknown part: a template whose known beginning and end cover a pattern
    /// with one `*` (`"serviceAccount:${…}"` matches `serviceAccount:*`).
    pub fn must_match_glob(&self, pattern: &str) -> bool {
        let Unknown::PartialText { prefix, suffix, .. } = self else {
            return false;
        };
        let Some((head, tail)) = pattern.split_once('*') else {
            return false;
        };
        fn covers(pattern: impl Iterator<Item = char>, mut known: impl Iterator<Item = char>) -> bool {
            pattern.into_iter().all(|p| match known.next() {
                Some(k) => p == '?' || p.eq_ignore_ascii_case(&k),
                None => false,
            })
        }
        !tail.contains('*') && covers(head.chars(), prefix.chars()) && covers(tail.chars().rev(), suffix.chars().rev())
    }

    /// The reason itself, through the partly-known wrappers (`PartialJson`,
    /// `PartialText`).
    pub fn cause(&self) -> &Unknown {
        match self {
            Unknown::PartialJson { why, .. } | Unknown::PartialText { why, .. } => why.cause(),
            other => other,
        }
    }
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unknown::Computed => f.write_str("computed when applied"),
            Unknown::UnsetVariable(v) => write!(f, "variable `{v}` has no value"),
            Unknown::DataSource => f.write_str("read from a data source"),
            Unknown::Unsupported(what) => write!(f, "{what} is not evaluated"),
            Unknown::Other(why) => f.write_str(why),
            Unknown::Error(why) => write!(f, "not evaluated: {why}"),
            Unknown::PartialJson { why, .. } | Unknown::PartialText { why, .. } => why.fmt(f),
        }
    }
}

impl Val {
    pub fn new(kind: ValKind, span: Option<Span>) -> Self {
        Self {
            kind,
            span,
            reference: None,
        }
    }

    pub fn null() -> Self {
        Self::new(ValKind::Null, None)
    }

    pub fn unknown(why: Unknown, span: Option<Span>) -> Self {
        Self::new(ValKind::Unknown(why), span)
    }

    pub fn string(s: impl Into<Str>, span: Option<Span>) -> Self {
        Self::new(ValKind::String(s.into()), span)
    }

    pub fn bool(b: bool, span: Option<Span>) -> Self {
        Self::new(ValKind::Bool(b), span)
    }

    pub fn number(n: f64, span: Option<Span>) -> Self {
        Self::new(ValKind::Number(n), span)
    }

    pub fn list(items: Vec<Val>, span: Option<Span>) -> Self {
        Self::new(ValKind::List(items.into()), span)
    }

    /// A map from `(key, value)` pairs, without key spans.
    pub fn map(pairs: impl IntoIterator<Item = (Str, Val)>, span: Option<Span>) -> Self {
        let entries = pairs
            .into_iter()
            .map(|(key, value)| Entry {
                key,
                key_span: None,
                value,
            })
            .collect();
        Self::new(ValKind::Map(entries), span)
    }

    /// The reason, when the value itself is unknown.
    pub fn unknown_reason(&self) -> Option<&Unknown> {
        match &self.kind {
            ValKind::Unknown(why) => Some(why),
            _ => None,
        }
    }

    /// Whether the value is one a managed resource computes when applied (an
    /// ARN, an id): known to exist, never empty, and specific, unlike a
    /// variable's or a data source's.
    pub fn computed_by_resource(&self) -> bool {
        self.unknown_reason()
            .is_some_and(|why| why.cause() == &Unknown::Computed)
            && self
                .reference
                .as_deref()
                .is_some_and(|r| !r.starts_with("data.") && !r.starts_with("module."))
    }

    /// The first unknown found here or inside, depth first.
    pub fn first_unknown(&self) -> Option<&Unknown> {
        match &self.kind {
            ValKind::Unknown(why) => Some(why),
            ValKind::List(items) => items.iter().find_map(Val::first_unknown),
            ValKind::Map(entries) => entries.iter().find_map(|e| e.value.first_unknown()),
            _ => None,
        }
    }

    pub fn with_reference(mut self, address: Option<Str>) -> Self {
        self.reference = address;
        self
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, ValKind::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, ValKind::Unknown(_))
    }

    /// Unknown here or anywhere inside.
    pub fn contains_unknown(&self) -> bool {
        match &self.kind {
            ValKind::Unknown(_) => true,
            ValKind::List(items) => items.iter().any(Val::contains_unknown),
            ValKind::Map(entries) => entries.iter().any(|e| e.value.contains_unknown()),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, accepting Terraform's string forms `"true"` / `"false"`.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            ValKind::Bool(b) => Some(*b),
            ValKind::String(s) => match &**s {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A number, accepting numeric strings as Terraform's type conversion does.
    pub fn as_number(&self) -> Option<f64> {
        match &self.kind {
            ValKind::Number(n) => Some(*n),
            ValKind::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Val]> {
        match &self.kind {
            ValKind::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            ValKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The entry for `key` in a map.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| &*e.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        self.entry(key).map(|e| &e.value)
    }

    /// The nested blocks of type `key` in a map: none when absent or null,
    /// `None` when they are not known (a `dynamic` block over an unknown
    /// collection) or not blocks at all.
    pub fn blocks(&self, key: &str) -> Option<Vec<&Val>> {
        let v = self.get(key);
        match v.map(|b| &b.kind) {
            None | Some(ValKind::Null) => Some(Vec::new()),
            Some(ValKind::List(items)) => Some(items.iter().collect()),
            Some(ValKind::Map(_)) => Some(v.into_iter().collect()),
            Some(_) => None,
        }
    }

    /// Short human form for messages; strings are quoted, collections abbreviated.
    pub fn describe(&self) -> String {
        match &self.kind {
            ValKind::Null => "null".into(),
            ValKind::Bool(b) => b.to_string(),
            ValKind::Number(n) => format_number(*n),
            ValKind::String(s) => format!("{s:?}"),
            ValKind::List(items) => format!("a list of {}", items.len()),
            ValKind::Map(_) => "an object".into(),
            // What is known of a template: `"serviceAccount:…" (computed when applied)`.
            ValKind::Unknown(Unknown::PartialText { why, prefix, suffix }) => {
                format!("{:?} ({why})", format!("{prefix}…{suffix}"))
            }
            ValKind::Unknown(why) => format!("unknown ({why})"),
        }
    }

    /// Convert to JSON; unknown values become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            ValKind::Null | ValKind::Unknown(_) => serde_json::Value::Null,
            ValKind::Bool(b) => (*b).into(),
            // Whole numbers print without a fraction, as Terraform's `jsonencode` does.
            ValKind::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => (*n as i64).into(),
            ValKind::Number(n) => serde_json::Number::from_f64(*n)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            ValKind::String(s) => serde_json::Value::String(s.to_string()),
            ValKind::List(items) => items.iter().map(Val::to_json).collect(),
            ValKind::Map(entries) => entries
                .iter()
                .map(|e| (e.key.to_string(), e.value.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// Build a value from JSON (no spans).
    pub fn from_json(json: &serde_json::Value, span: Option<Span>) -> Val {
        let kind = match json {
            serde_json::Value::Null => ValKind::Null,
            serde_json::Value::Bool(b) => ValKind::Bool(*b),
            serde_json::Value::Number(n) => ValKind::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => ValKind::String(s.as_str().into()),
            serde_json::Value::Array(a) => ValKind::List(a.iter().map(|v| Val::from_json(v, span)).collect()),
            serde_json::Value::Object(o) => ValKind::Map(
                o.iter()
                    .map(|(k, v)| Entry {
                        key: k.as_str().into(),
                        key_span: span,
                        value: Val::from_json(v, span),
                    })
                    .collect(),
            ),
        };
        Val::new(kind, span)
    }
}

/// Numbers as Terraform prints them: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod partial_text_tests {
    use super::Unknown;

    fn partial(prefix: &str, suffix: &str) -> Unknown {
        Unknown::PartialText {
            why: Box::new(Unknown::Computed),
            prefix: prefix.into(),
            suffix: suffix.into(),
        }
    }

    #[test]
    fn a_known_beginning_or_end_rules_values_out() {
        let member = partial("serviceAccount:", "");
        assert!(!member.may_be_text("allUsers", false));
        assert!(member.may_be_text("serviceAccount:ci@p.iam.gserviceaccount.com", false));
        assert!(!member.may_be_text("serviceaccount:x", false));
        assert!(member.may_be_text("serviceaccount:x", true));
        let cidr = partial("", "/32");
        assert!(!cidr.may_be_text("0.0.0.0/0", false));
        // The unknown part may be empty, but prefix and suffix cannot overlap.
        let both = partial("ab", "ba");
        assert!(both.may_be_text("abba", false));
        assert!(!both.may_be_text("aba", false));
        assert!(Unknown::Computed.may_be_text("anything", false));
    }

    #[test]
    fn globs_are_ruled_out_by_their_literal_ends() {
        let member = partial("serviceAccount:", "");
        assert!(!member.may_match_glob("user:*"));
        assert!(!member.may_match_glob("allUsers"));
        assert!(member.may_match_glob("serviceAccount:*@developer.gserviceaccount.com"));
        assert!(member.may_match_glob("SERVICEACCOUNT:*"));
        assert!(member.may_match_glob("*"));
        assert!(member.may_match_glob("?erviceAccount:*"));
        let created = partial("serviceAccount:", ".iam.gserviceaccount.com");
        assert!(!created.may_match_glob("serviceAccount:*@developer.gserviceaccount.com"));
        assert!(Unknown::Computed.may_match_glob("user:*"));
        assert!(member.must_match_glob("serviceAccount:*"));
        assert!(member.must_match_glob("SERVICEACCOUNT:*"));
        assert!(member.must_match_glob("*"));
        assert!(!member.must_match_glob("serviceAccount:*@developer.gserviceaccount.com"));
        assert!(!member.must_match_glob("user:*"));
        assert!(!member.must_match_glob("serviceAccount:x"));
        assert!(!Unknown::Computed.must_match_glob("*"));
    }
}
