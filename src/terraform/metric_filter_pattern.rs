//! CloudWatch Logs metric filter patterns for JSON log events (`{ $.eventName
//! = ConsoleLogin && ($.errorCode = "AccessDenied*" || … ) }`), read into a
//! boolean expression and evaluated against sample events, so two filters
//! are compared by what they catch rather than by how they are written
//! (spacing, quoting, parentheses, the order of `||` terms).
//!
//! Only what decides a match is modelled: `=` and `!=` on strings (with `*`
//! wildcards), `EXISTS`, `NOT EXISTS`. Numeric comparisons, `IS` tests and
//! `%regex%` values evaluate to unknown on the fields a caller cares about.

use crate::policy::condition::Tri;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Any(Vec<Expr>),
    All(Vec<Expr>),
    Test(Test),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// The selector without its `$.` prefix: `userIdentity.type`.
    pub field: String,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Equals(String),
    NotEquals(String),
    Exists,
    NotExists,
    /// A comparison this model does not evaluate (numbers, `IS TRUE`, regexes).
    Opaque,
}

/// A JSON pattern's expression; `None` for anything else (a term pattern
/// such as `ERROR`, a space-delimited one, or text that does not parse).
pub fn parse(pattern: &str) -> Option<Expr> {
    let inner = pattern.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut p = Parser {
        text: inner.as_bytes(),
        at: 0,
    };
    let expr = p.any()?;
    p.skip_space();
    (p.at == p.text.len()).then_some(expr)
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.text[self.at..].starts_with(token.as_bytes()) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    /// A keyword followed by a word boundary (`EXISTS`, not `EXISTSX`).
    fn eat_word(&mut self, word: &str) -> bool {
        self.skip_space();
        let rest = &self.text[self.at..];
        let boundary = rest
            .get(word.len())
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word.as_bytes()) && boundary {
            self.at += word.len();
            true
        } else {
            false
        }
    }

    fn any(&mut self) -> Option<Expr> {
        let mut terms = vec![self.all()?];
        while self.eat("||") {
            terms.push(self.all()?);
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Any(flatten(terms, true))
        })
    }

    fn all(&mut self) -> Option<Expr> {
        let mut terms = vec![self.primary()?];
        while self.eat("&&") {
            terms.push(self.primary()?);
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::All(flatten(terms, false))
        })
    }

    fn primary(&mut self) -> Option<Expr> {
        if self.eat("(") {
            let inner = self.any()?;
            return self.eat(")").then_some(inner);
        }
        self.test().map(Expr::Test)
    }

    fn test(&mut self) -> Option<Test> {
        self.skip_space();
        if !self.eat("$") {
            return None;
        }
        let start = self.at;
        while self
            .text
            .get(self.at)
            .is_some_and(|c| !c.is_ascii_whitespace() && !b"=!<>()&|".contains(c))
        {
            self.at += 1;
        }
        let selector = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        let field = selector.strip_prefix('.').unwrap_or(selector).to_string();
        if field.is_empty() {
            return None;
        }
        let op = if self.eat("!=") {
            value_op(self.value()?, false)
        } else if self.eat("<=") || self.eat(">=") || self.eat("<") || self.eat(">") {
            self.value()?;
            Op::Opaque
        } else if self.eat("=") {
            value_op(self.value()?, true)
        } else if self.eat_word("NOT") {
            if !self.eat_word("EXISTS") {
                return None;
            }
            Op::NotExists
        } else if self.eat_word("EXISTS") {
            Op::Exists
        } else if self.eat_word("IS") {
            self.eat_word("NOT");
            if !(self.eat_word("TRUE") || self.eat_word("FALSE") || self.eat_word("NULL")) {
                return None;
            }
            Op::Opaque
        } else {
            return None;
        };
        Some(Test { field, op })
    }

    /// A quoted or bare value, quotes removed.
    fn value(&mut self) -> Option<Value> {
        self.skip_space();
        let quote = *self.text.get(self.at)?;
        if quote == b'"' || quote == b'\'' {
            let start = self.at + 1;
            let mut end = start;
            while *self.text.get(end)? != quote {
                end += if self.text[end] == b'\\' { 2 } else { 1 };
            }
            self.at = end + 1;
            let raw = std::str::from_utf8(&self.text[start..end]).ok()?;
            return Some(Value {
                text: raw.replace("\\\"", "\"").replace("\\'", "'"),
                quoted: true,
            });
        }
        let start = self.at;
        while self.text.get(self.at).is_some_and(|c| {
            !c.is_ascii_whitespace()
                && *c != b')'
                && !self.text[self.at..].starts_with(b"&&")
                && !self.text[self.at..].starts_with(b"||")
        }) {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        (!text.is_empty()).then(|| Value {
            text: text.to_string(),
            quoted: false,
        })
    }
}

struct Value {
    text: String,
    quoted: bool,
}

fn value_op(v: Value, equals: bool) -> Op {
    // `%…%` is a regular expression; a bare number compares numerically.
    let regex = v.text.len() >= 2 && v.text.starts_with('%') && v.text.ends_with('%');
    if regex || (!v.quoted && v.text.parse::<f64>().is_ok()) {
        return Op::Opaque;
    }
    if equals {
        Op::Equals(v.text)
    } else {
        Op::NotEquals(v.text)
    }
}

/// `a || (b || c)` is `a || b || c`.
fn flatten(terms: Vec<Expr>, any: bool) -> Vec<Expr> {
    let mut out = Vec::new();
    for t in terms {
        match t {
            Expr::Any(inner) if any => out.extend(inner),
            Expr::All(inner) if !any => out.extend(inner),
            other => out.push(other),
        }
    }
    out
}

/// A sample log event: field (as a selector names it, `userIdentity.type`) → value.
pub type Event<'a> = &'a [(&'a str, &'a str)];

impl Expr {
    /// Whether the pattern matches `event`. Tests on fields `judged` rejects
    /// are taken as satisfied: a filter may narrow on other fields (exclude
    /// a service's own calls, say) without changing what it is for.
    pub fn matches(&self, event: Event, judged: &dyn Fn(&str) -> bool) -> Tri {
        match self {
            Expr::Any(terms) => terms
                .iter()
                .map(|t| t.matches(event, judged))
                .max()
                .unwrap_or(Tri::False),
            Expr::All(terms) => terms
                .iter()
                .map(|t| t.matches(event, judged))
                .min()
                .unwrap_or(Tri::True),
            Expr::Test(t) => {
                if !judged(&t.field) {
                    return Tri::True;
                }
                let value = event.iter().find(|(f, _)| *f == t.field).map(|(_, v)| *v);
                match (&t.op, value) {
                    (Op::Exists, v) => Tri::from_bool(v.is_some()),
                    (Op::NotExists, v) => Tri::from_bool(v.is_none()),
                    // A comparison on a field the event lacks never matches.
                    (_, None) => Tri::False,
                    (Op::Equals(want), Some(v)) => Tri::from_bool(wildcard_match(want, v)),
                    (Op::NotEquals(want), Some(v)) => Tri::from_bool(!wildcard_match(want, v)),
                    (Op::Opaque, Some(_)) => Tri::Unknown,
                }
            }
        }
    }

    /// Every test of the expression.
    pub fn tests(&self) -> Vec<&Test> {
        match self {
            Expr::Any(terms) | Expr::All(terms) => terms.iter().flat_map(Expr::tests).collect(),
            Expr::Test(t) => vec![t],
        }
    }
}

/// `*` matches any run of characters; everything else is literal.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_fields(_: &str) -> bool {
        true
    }

    #[test]
    fn spelling_does_not_matter() {
        let a = parse(r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#).unwrap();
        let b = parse("{$.additionalEventData.MFAUsed!=Yes&&$.eventName=ConsoleLogin}").unwrap();
        let event: Event = &[("eventName", "ConsoleLogin"), ("additionalEventData.MFAUsed", "No")];
        assert_eq!(a.matches(event, &all_fields), Tri::True);
        assert_eq!(b.matches(event, &all_fields), Tri::True);
        let with_mfa: Event = &[("eventName", "ConsoleLogin"), ("additionalEventData.MFAUsed", "Yes")];
        assert_eq!(a.matches(with_mfa, &all_fields), Tri::False);
    }

    #[test]
    fn nested_alternatives_flatten() {
        let e = parse(
            "{ ($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }",
        )
        .unwrap();
        let Expr::All(terms) = &e else { panic!("{e:?}") };
        assert!(matches!(&terms[1], Expr::Any(alternatives) if alternatives.len() == 2));
        let no_parentheses = parse("{ $.eventName = A || $.eventName = B || ($.eventName = C) }").unwrap();
        assert!(matches!(&no_parentheses, Expr::Any(alternatives) if alternatives.len() == 3));
    }

    #[test]
    fn wildcards_and_existence() {
        let e = parse(r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#).unwrap();
        assert_eq!(
            e.matches(&[("errorCode", "Client.UnauthorizedOperation")], &all_fields),
            Tri::True
        );
        assert_eq!(e.matches(&[("errorCode", "AccessDenied")], &all_fields), Tri::True);
        assert_eq!(
            e.matches(&[("errorCode", "ThrottlingException")], &all_fields),
            Tri::False
        );
        let root = parse(
            r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
        )
        .unwrap();
        assert_eq!(
            root.matches(
                &[("userIdentity.type", "Root"), ("eventType", "AwsApiCall")],
                &all_fields
            ),
            Tri::True
        );
        let by_service: Event = &[
            ("userIdentity.type", "Root"),
            ("userIdentity.invokedBy", "s3.amazonaws.com"),
            ("eventType", "AwsApiCall"),
        ];
        assert_eq!(root.matches(by_service, &all_fields), Tri::False);
    }

    #[test]
    fn other_fields_can_be_set_aside() {
        let e = parse(r#"{ $.eventName = "ConsoleLogin" && $.userIdentity.sessionContext.sessionIssuer.arn != "x" }"#)
            .unwrap();
        let event: Event = &[("eventName", "ConsoleLogin")];
        assert_eq!(e.matches(event, &all_fields), Tri::False);
        assert_eq!(e.matches(event, &|f: &str| f == "eventName"), Tri::True);
    }

    #[test]
    fn what_is_not_modelled() {
        assert!(parse("ERROR").is_none());
        assert!(parse("[ip, user, status = 500]").is_none());
        assert!(parse("{ $.eventName = }").is_none());
        assert!(parse("{ ($.eventName = A }").is_none());
        let numeric = parse("{ $.latency > 500 }").unwrap();
        assert_eq!(numeric.matches(&[("latency", "900")], &all_fields), Tri::Unknown);
    }

    #[test]
    fn wildcard_matching() {
        assert!(wildcard_match("a*c", "abbc"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("Put*Policy", "PutBucketPolicy"));
        assert!(!wildcard_match("a*c", "ab"));
        assert!(!wildcard_match("abc", "abcd"));
    }
}
