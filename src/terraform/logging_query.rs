//! Cloud Logging query language (the `filter` of a logs-based metric or a
//! log-match alert), read into a boolean expression and evaluated against
//! sample log entries, so two filters are compared by what they match rather
//! than by how they are written (spacing, quoting, parentheses, the order of
//! `OR` terms, implicit `AND`).
//!
//! The subset read: `AND`, `OR`, `NOT` and `-` (upper case only, as the
//! language wants; `NOT` binds tightest, then `OR`, then `AND`, and terms side
//! by side are joined by `AND`), parentheses, comparisons `=`, `!=`, `:`
//! (has), `:*` (present), `<`, `<=`, `>`, `>=`, `=~`, `!~` with a quoted or
//! bare value or a parenthesised group of values (`f = ("a" OR "b")`), bare
//! values (global restrictions), function calls (`log_id("…")`) and `--`
//! comments. Anything else fails to parse: the caller treats such a filter
//! as not known.
//!
//! What a comparison means on an entry is the entry's business
//! ([`LogEntry`]): this module only combines the answers.

use crate::policy::condition::Tri;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: String,
        op: Op,
        rhs: Rhs,
    },
    /// A bare value: matches an entry with the text in any field.
    Global(String),
    /// A function call, its arguments as written (quotes removed).
    Func {
        name: String,
        args: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Has,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    NotRegex,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    Value(String),
    /// `:*`: the field is present.
    Present,
    Any(Vec<Rhs>),
    All(Vec<Rhs>),
    Not(Box<Rhs>),
}

/// A log entry the expression is evaluated against.
pub trait LogEntry {
    /// `field op value` (`value` `None` for `:*`); `None` when the entry
    /// does not judge the field (any value is taken as matching).
    fn compare(&self, field: &str, op: Op, value: Option<&str>) -> Option<Tri>;
    /// A global restriction: the text in some field.
    fn global(&self, text: &str) -> Tri;
    /// A function call (`log_id`, `sample`…).
    fn function(&self, name: &str, args: &[String]) -> Option<Tri>;
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    LParen,
    RParen,
    Comma,
    Op(Op),
    /// `-` right before a term: `NOT`.
    Minus,
    Word(String),
    Quoted(String),
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let two = b.get(i + 1).copied();
        let (token, len) = match (c, two) {
            (b'(', _) => (Token::LParen, 1),
            (b')', _) => (Token::RParen, 1),
            (b',', _) => (Token::Comma, 1),
            (b'!', Some(b'=')) => (Token::Op(Op::Ne), 2),
            (b'!', Some(b'~')) => (Token::Op(Op::NotRegex), 2),
            (b'=', Some(b'~')) => (Token::Op(Op::Regex), 2),
            (b'=', _) => (Token::Op(Op::Eq), 1),
            (b':', _) => (Token::Op(Op::Has), 1),
            (b'<', Some(b'=')) => (Token::Op(Op::Le), 2),
            (b'>', Some(b'=')) => (Token::Op(Op::Ge), 2),
            (b'<', _) => (Token::Op(Op::Lt), 1),
            (b'>', _) => (Token::Op(Op::Gt), 1),
            (b'-', _) => (Token::Minus, 1),
            (b'"', _) => {
                let (s, end) = quoted(b, i)?;
                out.push(Token::Quoted(s));
                i = end;
                continue;
            }
            (b'!' | b'\'' | b'\\' | b'{' | b'}' | b'[' | b']' | b';' | b'`', _) => return None,
            _ => {
                let (w, end) = word(b, i)?;
                out.push(Token::Word(w));
                i = end;
                continue;
            }
        };
        out.push(token);
        i += len;
    }
    Some(out)
}

/// A double-quoted string from `b[at]`, escapes resolved; and the index after it.
fn quoted(b: &[u8], at: usize) -> Option<(String, usize)> {
    let mut out = Vec::new();
    let mut i = at + 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some((String::from_utf8(out).ok()?, i + 1)),
            b'\\' => {
                out.push(*b.get(i + 1)?);
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

fn word_char(c: u8) -> bool {
    !c.is_ascii_whitespace() && !b"()\",=:<>!'\\{}[];`~".contains(&c)
}

/// A bare word (field path or value); a path may go on with a quoted
/// segment: `labels."app/name"`.
fn word(b: &[u8], at: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut i = at;
    loop {
        let start = i;
        while i < b.len() && word_char(b[i]) {
            i += 1;
        }
        out.push_str(std::str::from_utf8(&b[start..i]).ok()?);
        if out.ends_with('.') && b.get(i) == Some(&b'"') {
            let (seg, end) = quoted(b, i)?;
            out.push_str(&seg);
            i = end;
            continue;
        }
        break;
    }
    (!out.is_empty()).then_some((out, i))
}

/// The expression of a filter; `None` when it is not in the subset read.
/// An empty filter matches every entry.
pub fn parse(filter: &str) -> Option<Expr> {
    let toks = tokens(filter)?;
    if toks.is_empty() {
        return Some(Expr::All(vec![]));
    }
    let mut p = Parser { toks, at: 0 };
    let e = p.conj()?;
    (p.at == p.toks.len()).then_some(e)
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
}

fn keyword(t: Option<&Token>, k: &str) -> bool {
    matches!(t, Some(Token::Word(w)) if w == k)
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn peek2(&self) -> Option<&Token> {
        self.toks.get(self.at + 1)
    }

    fn starts_term(&self) -> bool {
        match self.peek() {
            None | Some(Token::RParen | Token::Comma | Token::Op(_)) => false,
            Some(t) => !keyword(Some(t), "AND") && !keyword(Some(t), "OR"),
        }
    }

    fn conj(&mut self) -> Option<Expr> {
        let mut terms = vec![self.disj()?];
        loop {
            if keyword(self.peek(), "AND") {
                self.at += 1;
            } else if !self.starts_term() {
                break;
            }
            terms.push(self.disj()?);
        }
        Some(join(terms, false))
    }

    fn disj(&mut self) -> Option<Expr> {
        let mut terms = vec![self.unary()?];
        while keyword(self.peek(), "OR") {
            self.at += 1;
            terms.push(self.unary()?);
        }
        Some(join(terms, true))
    }

    fn unary(&mut self) -> Option<Expr> {
        if keyword(self.peek(), "NOT") || self.peek() == Some(&Token::Minus) {
            self.at += 1;
            return Some(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::LParen) {
            self.at += 1;
            let e = self.conj()?;
            if self.peek() != Some(&Token::RParen) {
                return None;
            }
            self.at += 1;
            return Some(e);
        }
        self.term()
    }

    fn term(&mut self) -> Option<Expr> {
        let first = self.peek()?.clone();
        if keyword(Some(&first), "AND") || keyword(Some(&first), "OR") {
            return None;
        }
        match (first, self.peek2()) {
            (Token::Word(field), Some(Token::Op(op))) => {
                let op = *op;
                self.at += 2;
                let rhs = if op == Op::Has && matches!(self.peek(), Some(Token::Word(w)) if w == "*") {
                    self.at += 1;
                    Rhs::Present
                } else {
                    self.rhs_unary()?
                };
                Some(Expr::Cmp { field, op, rhs })
            }
            (Token::Word(name), Some(Token::LParen)) => {
                self.at += 2;
                let mut args = Vec::new();
                loop {
                    match self.peek()? {
                        Token::RParen => {
                            self.at += 1;
                            break;
                        }
                        Token::Comma => self.at += 1,
                        Token::Word(w) | Token::Quoted(w) => {
                            args.push(w.clone());
                            self.at += 1;
                        }
                        _ => return None,
                    }
                }
                Some(Expr::Func { name, args })
            }
            (Token::Quoted(_), Some(Token::Op(_))) => None,
            (Token::Word(w) | Token::Quoted(w), _) => {
                self.at += 1;
                Some(Expr::Global(w))
            }
            _ => None,
        }
    }

    fn rhs_conj(&mut self) -> Option<Rhs> {
        let mut terms = vec![self.rhs_disj()?];
        loop {
            if keyword(self.peek(), "AND") {
                self.at += 1;
            } else if !self.starts_term() {
                break;
            }
            terms.push(self.rhs_disj()?);
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Rhs::All(terms)
        })
    }

    fn rhs_disj(&mut self) -> Option<Rhs> {
        let mut terms = vec![self.rhs_unary()?];
        while keyword(self.peek(), "OR") {
            self.at += 1;
            terms.push(self.rhs_unary()?);
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Rhs::Any(terms)
        })
    }

    fn rhs_unary(&mut self) -> Option<Rhs> {
        match self.peek()?.clone() {
            Token::Word(w) if w == "NOT" => {
                self.at += 1;
                Some(Rhs::Not(Box::new(self.rhs_unary()?)))
            }
            Token::LParen => {
                self.at += 1;
                let r = self.rhs_conj()?;
                if self.peek() != Some(&Token::RParen) {
                    return None;
                }
                self.at += 1;
                Some(r)
            }
            Token::Word(w) if w != "AND" && w != "OR" => {
                // A bare value is one word: `a.b = x(` or `a.b = c = d` are not read.
                if matches!(self.peek2(), Some(Token::Op(_) | Token::LParen)) {
                    return None;
                }
                self.at += 1;
                Some(Rhs::Value(w))
            }
            Token::Quoted(w) => {
                if matches!(self.peek2(), Some(Token::Op(_))) {
                    return None;
                }
                self.at += 1;
                Some(Rhs::Value(w))
            }
            _ => None,
        }
    }
}

/// `a OR (b OR c)` is `a OR b OR c`.
fn join(terms: Vec<Expr>, any: bool) -> Expr {
    let mut out = Vec::new();
    for t in terms {
        match t {
            Expr::Any(inner) if any => out.extend(inner),
            Expr::All(inner) if !any => out.extend(inner),
            other => out.push(other),
        }
    }
    if out.len() == 1 {
        out.remove(0)
    } else if any {
        Expr::Any(out)
    } else {
        Expr::All(out)
    }
}

impl Expr {
    /// Whether the filter matches `entry`. A comparison on a field the entry
    /// does not judge counts as satisfied where it stands: true, or false
    /// under an odd number of `NOT`s, so the whole is never narrowed by it.
    pub fn matches(&self, entry: &dyn LogEntry) -> Tri {
        self.eval(entry, true)
    }

    fn eval(&self, entry: &dyn LogEntry, positive: bool) -> Tri {
        match self {
            Expr::All(terms) => terms.iter().map(|t| t.eval(entry, positive)).min().unwrap_or(Tri::True),
            Expr::Any(terms) => terms
                .iter()
                .map(|t| t.eval(entry, positive))
                .max()
                .unwrap_or(Tri::False),
            Expr::Not(inner) => inner.eval(entry, !positive).negate(),
            Expr::Cmp { field, op, rhs } => compare(entry, field, *op, rhs).unwrap_or(Tri::from_bool(positive)),
            Expr::Global(text) => entry.global(text),
            Expr::Func { name, args } => entry.function(name, args).unwrap_or(Tri::from_bool(positive)),
        }
    }

    /// Every comparison's field, and whether it is one of a function's arguments.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Expr::All(t) | Expr::Any(t) => t.iter().flat_map(Expr::fields).collect(),
            Expr::Not(e) => e.fields(),
            Expr::Cmp { field, .. } => vec![field.as_str()],
            Expr::Global(_) | Expr::Func { .. } => vec![],
        }
    }

    /// Whether some comparison, global value or function argument mentions `text`.
    pub fn mentions(&self, text: &str) -> bool {
        let has = |s: &str| s.to_ascii_lowercase().contains(&text.to_ascii_lowercase());
        match self {
            Expr::All(t) | Expr::Any(t) => t.iter().any(|e| e.mentions(text)),
            Expr::Not(e) => e.mentions(text),
            Expr::Cmp { field, rhs, .. } => has(field) || rhs.mentions(&has),
            Expr::Global(s) => has(s),
            Expr::Func { args, .. } => args.iter().any(|a| has(a)),
        }
    }
}

impl Rhs {
    fn mentions(&self, has: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Rhs::Value(v) => has(v),
            Rhs::Present => false,
            Rhs::Any(t) | Rhs::All(t) => t.iter().any(|r| r.mentions(has)),
            Rhs::Not(r) => r.mentions(has),
        }
    }
}

/// `field op rhs`: a group of values is the comparison with each, combined
/// as the group says (`f = ("a" OR "b")` is `f = "a" OR f = "b"`).
fn compare(entry: &dyn LogEntry, field: &str, op: Op, rhs: &Rhs) -> Option<Tri> {
    match rhs {
        Rhs::Value(v) => entry.compare(field, op, Some(v)),
        Rhs::Present => entry.compare(field, Op::Has, None),
        // `!=` or `!~` with a group: not read.
        Rhs::Any(_) | Rhs::All(_) | Rhs::Not(_) if matches!(op, Op::Ne | Op::NotRegex) => {
            entry.compare(field, op, Some("")).map(|_| Tri::Unknown)
        }
        Rhs::Any(terms) => {
            let r: Vec<Option<Tri>> = terms.iter().map(|t| compare(entry, field, op, t)).collect();
            r.iter()
                .all(Option::is_some)
                .then(|| r.iter().flatten().copied().max().unwrap_or(Tri::False))
        }
        Rhs::All(terms) => {
            let r: Vec<Option<Tri>> = terms.iter().map(|t| compare(entry, field, op, t)).collect();
            r.iter()
                .all(Option::is_some)
                .then(|| r.iter().flatten().copied().min().unwrap_or(Tri::True))
        }
        Rhs::Not(inner) => compare(entry, field, op, inner).map(Tri::negate),
    }
}

/// `value op want` for a field of known string value: `=` is exact, `:` a
/// substring; a match that holds only when case is ignored is unknown (the
/// language's rules on case differ between operators and value types).
pub fn compare_text(value: &str, op: Op, want: &str) -> Tri {
    let eq = || {
        if value == want {
            Tri::True
        } else if value.eq_ignore_ascii_case(want) {
            Tri::Unknown
        } else {
            Tri::False
        }
    };
    match op {
        Op::Eq => eq(),
        Op::Ne => eq().negate(),
        Op::Has => {
            if value.contains(want) {
                Tri::True
            } else if value.to_ascii_lowercase().contains(&want.to_ascii_lowercase()) {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Regex | Op::NotRegex => Tri::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry with known string fields; every field judged, absent ones
    /// match nothing.
    struct Fields(&'static [(&'static str, &'static str)]);

    impl LogEntry for Fields {
        fn compare(&self, field: &str, op: Op, value: Option<&str>) -> Option<Tri> {
            let have = self.0.iter().find(|(f, _)| *f == field).map(|(_, v)| *v);
            Some(match (have, value) {
                (h, None) => Tri::from_bool(h.is_some()),
                (None, _) => Tri::False,
                (Some(h), Some(v)) => compare_text(h, op, v),
            })
        }
        fn global(&self, text: &str) -> Tri {
            Tri::from_bool(self.0.iter().any(|(_, v)| v.contains(text)))
        }
        fn function(&self, _: &str, _: &[String]) -> Option<Tri> {
            None
        }
    }

    const FIREWALL: Fields = Fields(&[
        ("resource.type", "gce_firewall_rule"),
        ("protoPayload.methodName", "v1.compute.firewalls.patch"),
    ]);

    #[test]
    fn or_binds_tighter_than_and() {
        let e = parse("a=1 AND b=2 OR c=3").unwrap();
        let Expr::All(terms) = &e else { panic!("{e:?}") };
        assert_eq!(terms.len(), 2);
        assert!(matches!(&terms[1], Expr::Any(alternatives) if alternatives.len() == 2));
        // Side by side is AND.
        let implicit = parse("a=1 b=2").unwrap();
        assert!(matches!(&implicit, Expr::All(t) if t.len() == 2));
        let not = parse("NOT a=1 OR b=2").unwrap();
        assert!(matches!(&not, Expr::Any(t) if matches!(t[0], Expr::Not(_))));
    }

    #[test]
    fn spelling_does_not_matter() {
        let filters = [
            r#"resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR protoPayload.methodName:"compute.firewalls.insert")"#,
            "(protoPayload.methodName : compute.firewalls.insert OR\n protoPayload.methodName:compute.firewalls.patch)\n  resource.type = gce_firewall_rule",
            "resource.type=gce_firewall_rule -- firewall rules\nprotoPayload.methodName:(\"compute.firewalls.insert\" OR \"compute.firewalls.patch\")",
        ];
        for f in filters {
            assert_eq!(parse(f).unwrap().matches(&FIREWALL), Tri::True, "{f}");
        }
        let other =
            parse(r#"resource.type="gce_route" AND protoPayload.methodName:"compute.firewalls.patch""#).unwrap();
        assert_eq!(other.matches(&FIREWALL), Tri::False);
    }

    #[test]
    fn negation_and_presence() {
        assert_eq!(parse("-resource.type=gce_route").unwrap().matches(&FIREWALL), Tri::True);
        assert_eq!(parse("NOT resource.type:*").unwrap().matches(&FIREWALL), Tri::False);
        assert_eq!(parse("protoPayload.status:*").unwrap().matches(&FIREWALL), Tri::False);
        assert_eq!(
            parse("protoPayload.methodName != v1.compute.firewalls.patch")
                .unwrap()
                .matches(&FIREWALL),
            Tri::False
        );
        assert_eq!(
            parse(r#"protoPayload.methodName = NOT "x""#)
                .unwrap()
                .matches(&FIREWALL),
            Tri::True
        );
    }

    #[test]
    fn globals_functions_and_paths() {
        let e = parse(r#"firewalls log_id("cloudaudit.googleapis.com/activity") labels."a/b":x"#).unwrap();
        let Expr::All(t) = &e else { panic!("{e:?}") };
        assert_eq!(t[0], Expr::Global("firewalls".into()));
        assert!(matches!(&t[1], Expr::Func { name, args } if name == "log_id" && args.len() == 1));
        assert!(matches!(&t[2], Expr::Cmp { field, .. } if field == "labels.a/b"));
        assert!(e.mentions("cloudaudit"));
        assert_eq!(parse("").unwrap(), Expr::All(vec![]));
    }

    #[test]
    fn case_only_matches_are_unknown() {
        assert_eq!(compare_text("ADD", Op::Eq, "add"), Tri::Unknown);
        assert_eq!(
            compare_text("v1.compute.routes.insert", Op::Has, "Routes.Insert"),
            Tri::Unknown
        );
        assert_eq!(compare_text("ADD", Op::Eq, "REMOVE"), Tri::False);
        assert_eq!(compare_text("x", Op::Regex, "x"), Tri::Unknown);
    }

    #[test]
    fn what_is_not_read() {
        for f in [
            "a=",
            "(a=1",
            "a=1)",
            "a='x'",
            "a=1 AND",
            "OR a=1",
            r#""a"=1"#,
            "a = b = c",
            "{a=1}",
            "a=\"unterminated",
        ] {
            assert!(parse(f).is_none(), "{f}");
        }
    }
}
