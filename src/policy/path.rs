//! Attribute paths (`ingress.cidr_blocks`, `tags."kubernetes.io/role"`,
//! `jobs.*.steps`) and their resolution against a value tree, keeping the
//! narrowest location of everything reached.

use crate::source::Span;
use crate::value::{Str, Unknown, Val, ValKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Key(Str),
    /// `*`: every entry of a map or element of a list.
    Any,
    /// `[n]`
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<Segment>,
    pub text: Str,
}

impl Path {
    /// Parse `a.b`, `a.*.c`, `a[0].b`, `a."dotted.key"`.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut segments = Vec::new();
        let mut chars = text.chars().peekable();
        let mut expect_segment = true;
        while let Some(&c) = chars.peek() {
            match c {
                '.' if !expect_segment => {
                    chars.next();
                    expect_segment = true;
                }
                '[' => {
                    chars.next();
                    let digits: String = std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_digit())).collect();
                    if chars.next() != Some(']') || digits.is_empty() {
                        return Err(format!("bad index in path `{text}`: expected `[number]`"));
                    }
                    segments.push(Segment::Index(
                        digits.parse().map_err(|_| format!("index too large in `{text}`"))?,
                    ));
                    expect_segment = false;
                }
                '"' if expect_segment => {
                    chars.next();
                    let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '"')).collect();
                    if chars.next() != Some('"') {
                        return Err(format!("unterminated quoted key in path `{text}`"));
                    }
                    segments.push(Segment::Key(key.into()));
                    expect_segment = false;
                }
                '*' if expect_segment => {
                    chars.next();
                    segments.push(Segment::Any);
                    expect_segment = false;
                }
                c if expect_segment && (c.is_alphanumeric() || c == '_' || c == '-' || c == '<' || c == '$') => {
                    let key: String = std::iter::from_fn(|| {
                        chars.next_if(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '<' | '$' | ':' | '/'))
                    })
                    .collect();
                    segments.push(Segment::Key(key.into()));
                    expect_segment = false;
                }
                other => return Err(format!("unexpected `{other}` in path `{text}`")),
            }
        }
        if segments.is_empty() || expect_segment {
            return Err(format!("path `{text}` is empty or ends with `.`"));
        }
        Ok(Path {
            segments,
            text: text.into(),
        })
    }
}

/// A value reached by a path.
#[derive(Debug, Clone)]
pub struct Reached<'v> {
    pub val: &'v Val,
    /// Narrowest location inside the subject.
    pub loc: Span,
    /// Readable concrete path (`ingress[1].cidr_blocks`).
    pub path: String,
}

/// Everything a path resolution found.
#[derive(Debug, Default)]
pub struct Resolution<'v> {
    pub found: Vec<Reached<'v>>,
    /// Where the path could not be followed because a value is unknown.
    pub unknown: Option<(Span, String, Unknown)>,
    /// Deepest location reached when (part of) the path is absent.
    pub absent_at: Option<(Span, String)>,
}

/// The focus a path starts from: a value, its location and path.
#[derive(Debug, Clone, Copy)]
pub struct Focus<'v, 'p> {
    pub val: &'v Val,
    pub loc: Span,
    pub path: &'p str,
    /// The subject's whole span: value spans outside it (a variable's
    /// default in another file) are not used as locations.
    pub bounds: Span,
}

fn inside(span: Option<Span>, bounds: Span) -> Option<Span> {
    span.filter(|s| s.file == bounds.file && s.start >= bounds.start && s.end <= bounds.end)
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

pub fn resolve<'v>(focus: Focus<'v, '_>, path: &Path) -> Resolution<'v> {
    let mut res = Resolution::default();
    let mut frontier: Vec<Reached<'v>> = vec![Reached {
        val: focus.val,
        loc: focus.loc,
        path: focus.path.to_string(),
    }];
    for seg in &path.segments {
        let mut next = Vec::new();
        for item in frontier {
            step(item, seg, focus.bounds, &mut next, &mut res, true);
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    for r in frontier {
        match &r.val.kind {
            ValKind::Null => {
                if res.absent_at.is_none() {
                    res.absent_at = Some((r.loc, r.path));
                }
            }
            _ => res.found.push(r),
        }
    }
    res
}

fn step<'v>(
    item: Reached<'v>,
    seg: &Segment,
    bounds: Span,
    out: &mut Vec<Reached<'v>>,
    res: &mut Resolution<'v>,
    fan_out_lists: bool,
) {
    match (&item.val.kind, seg) {
        (ValKind::Unknown(why), _) => {
            if res.unknown.is_none() {
                res.unknown = Some((item.loc, item.path, why.clone()));
            }
        }
        (ValKind::List(items), Segment::Index(i)) => match items.get(*i) {
            Some(v) => out.push(Reached {
                val: v,
                loc: inside(v.span, bounds).unwrap_or(item.loc),
                path: format!("{}[{i}]", item.path),
            }),
            None => {
                if res.absent_at.is_none() {
                    res.absent_at = Some((item.loc, item.path));
                }
            }
        },
        (ValKind::List(items), Segment::Any) => {
            for (i, v) in items.iter().enumerate() {
                out.push(Reached {
                    val: v,
                    loc: inside(v.span, bounds).unwrap_or(item.loc),
                    path: format!("{}[{i}]", item.path),
                });
            }
        }
        (ValKind::List(items), Segment::Key(_)) if fan_out_lists => {
            // Repeated nested blocks: follow the key into each of them.
            for (i, v) in items.iter().enumerate() {
                let element = Reached {
                    val: v,
                    loc: inside(v.span, bounds).unwrap_or(item.loc),
                    path: format!("{}[{i}]", item.path),
                };
                step(element, seg, bounds, out, res, false);
            }
        }
        (ValKind::Map(entries), Segment::Key(k)) => match entries.iter().find(|e| e.key == *k) {
            Some(e) => out.push(Reached {
                val: &e.value,
                loc: inside(e.key_span, bounds)
                    .or(inside(e.value.span, bounds))
                    .unwrap_or(item.loc),
                path: join(&item.path, k),
            }),
            None => {
                if res.absent_at.is_none() {
                    res.absent_at = Some((item.loc, item.path));
                }
            }
        },
        (ValKind::Map(entries), Segment::Any) => {
            for e in entries {
                out.push(Reached {
                    val: &e.value,
                    loc: inside(e.key_span, bounds)
                        .or(inside(e.value.span, bounds))
                        .unwrap_or(item.loc),
                    path: join(&item.path, &e.key),
                });
            }
        }
        (ValKind::Null, _) | (_, _) => {
            if res.absent_at.is_none() {
                res.absent_at = Some((item.loc, item.path));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        let p = Path::parse("a.*.b[2].\"x.y\"").unwrap();
        assert_eq!(
            p.segments,
            vec![
                Segment::Key("a".into()),
                Segment::Any,
                Segment::Key("b".into()),
                Segment::Index(2),
                Segment::Key("x.y".into()),
            ]
        );
        assert!(Path::parse("").is_err());
        assert!(Path::parse("a.").is_err());
        assert!(Path::parse("a..b").is_err());
        assert!(Path::parse("a[x]").is_err());
    }
}
