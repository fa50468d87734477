//! Scalar values: decoding the five YAML scalar styles, with a map from each
//! byte of the decoded value back to its byte in the source.

use tree_sitter::Node as TsNode;

use crate::source::Span;
use crate::value::ValKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|`
    Literal,
    /// `>`
    Folded,
}

/// What the grammar's core schema says a plain scalar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlainType {
    String,
    Bool,
    Int,
    Float,
}

#[derive(Debug, Clone)]
pub struct Scalar {
    /// The decoded value.
    pub text: String,
    pub style: Style,
    /// The scalar as written (with quotes or block header).
    pub span: Span,
    plain: PlainType,
    /// (value offset, source offset) where each verbatim run starts; sorted.
    segments: Vec<(u32, u32)>,
}

impl Scalar {
    /// Source byte offset of a value byte offset.
    fn map(&self, offset: usize) -> u32 {
        let offset = offset as u32;
        let i = self.segments.partition_point(|(v, _)| *v <= offset);
        match i.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some((v, s)) => s + (offset - v),
            None => self.span.start,
        }
    }

    /// The source span of a byte range of the value.
    pub fn source_span(&self, range: std::ops::Range<usize>) -> Span {
        let start = self.map(range.start);
        let end = if range.end > range.start {
            self.map(range.end - 1) + 1
        } else {
            start
        };
        Span {
            file: self.span.file,
            start,
            end: end.max(start).min(self.span.end.max(start)),
        }
    }

    /// The value with the type the YAML core schema gives it.
    pub fn typed(&self) -> ValKind {
        let t = self.text.trim();
        match self.plain {
            _ if self.style != Style::Plain => ValKind::String(t.into()),
            PlainType::Bool => ValKind::Bool(t.eq_ignore_ascii_case("true")),
            PlainType::Int | PlainType::Float => {
                let n = if let Some(h) = t.strip_prefix("0x") {
                    i64::from_str_radix(h, 16).ok().map(|n| n as f64)
                } else if let Some(o) = t.strip_prefix("0o") {
                    i64::from_str_radix(o, 8).ok().map(|n| n as f64)
                } else {
                    t.parse::<f64>().ok()
                };
                match n {
                    Some(n) => ValKind::Number(n),
                    None => ValKind::String(self.text.as_str().into()),
                }
            }
            PlainType::String => ValKind::String(self.text.as_str().into()),
        }
    }
}

/// The decoded value being built, with its offset map.
struct Out {
    text: String,
    segments: Vec<(u32, u32)>,
}

impl Out {
    fn push(&mut self, src: usize, s: &str, verbatim: bool) {
        if s.is_empty() {
            return;
        }
        let v = self.text.len() as u32;
        let src = src as u32;
        let continues = verbatim
            && self
                .segments
                .last()
                .is_some_and(|(lv, ls)| ls.wrapping_sub(*lv) == src.wrapping_sub(v));
        if !continues {
            self.segments.push((v, src));
        }
        self.text.push_str(s);
    }
}

/// Decode the scalar node `n` of `text`.
pub fn decode(text: &str, n: TsNode, span: Span) -> Scalar {
    let start = n.start_byte();
    let raw = &text[start..n.end_byte()];
    let mut out = Out {
        text: String::with_capacity(raw.len()),
        segments: Vec::new(),
    };
    let mut plain = PlainType::String;
    let style = match n.kind() {
        "single_quote_scalar" => {
            flow_lines(
                &mut out,
                text,
                start + 1,
                start + raw.len().saturating_sub(1),
                Quote::Single,
            );
            Style::SingleQuoted
        }
        "double_quote_scalar" => {
            flow_lines(
                &mut out,
                text,
                start + 1,
                start + raw.len().saturating_sub(1),
                Quote::Double,
            );
            Style::DoubleQuoted
        }
        "block_scalar" => block(&mut out, text, start, n.end_byte()),
        _ => {
            if let Some(child) = n.named_child(0) {
                plain = match child.kind() {
                    "boolean_scalar" => PlainType::Bool,
                    "integer_scalar" => PlainType::Int,
                    "float_scalar" => PlainType::Float,
                    _ => PlainType::String,
                };
            }
            flow_lines(&mut out, text, start, n.end_byte(), Quote::None);
            Style::Plain
        }
    };
    Scalar {
        text: out.text,
        style,
        span,
        plain,
        segments: out.segments,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Plain and quoted scalars: lines are trimmed and folded (a line break is a
/// space, an empty line a newline), quotes and escapes decoded.
fn flow_lines(out: &mut Out, text: &str, from: usize, to: usize, quote: Quote) {
    let to = to.max(from);
    let body = &text[from..to];
    let mut line_start = 0;
    let mut pending_breaks = 0usize;
    let mut first = true;
    let mut escaped_break = false;
    let lines: Vec<&str> = body.split('\n').collect();
    let last = lines.len() - 1;
    for (i, line) in lines.iter().enumerate() {
        let abs = from + line_start;
        line_start += line.len() + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Leading whitespace is part of the value only on the first line;
        // trailing whitespace only on the last.
        let lead = if i == 0 {
            0
        } else {
            line.len() - line.trim_start_matches([' ', '\t']).len()
        };
        let content_end = if i == last {
            line.len()
        } else {
            line.trim_end_matches([' ', '\t']).len().max(lead)
        };
        let content = &line[lead..content_end];
        if content.is_empty() && i != 0 && i != last {
            pending_breaks += 1;
            continue;
        }
        if !first && !escaped_break {
            if pending_breaks == 0 {
                out.push(abs.saturating_sub(1), " ", false);
            } else {
                for _ in 0..pending_breaks {
                    out.push(abs.saturating_sub(1), "\n", false);
                }
            }
        }
        pending_breaks = 0;
        first = false;
        escaped_break = false;
        let content_abs = abs + lead;
        match quote {
            Quote::None => out.push(content_abs, content, true),
            Quote::Single => {
                let mut rest = content;
                let mut at = content_abs;
                while let Some(p) = rest.find("''") {
                    out.push(at, &rest[..p], true);
                    out.push(at + p, "'", false);
                    rest = &rest[p + 2..];
                    at += p + 2;
                }
                out.push(at, rest, true);
            }
            Quote::Double => {
                escaped_break = double_escapes(out, content, content_abs, i != last);
            }
        }
    }
}

/// Decode escapes of one line of a double-quoted scalar. Returns whether the
/// line ends with an escaped line break (`\` at the end: no folding space).
fn double_escapes(out: &mut Out, content: &str, at: usize, more_lines: bool) -> bool {
    let bytes = content.as_bytes();
    let mut i = 0;
    let mut run = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push(at + run, &content[run..i], true);
        if i + 1 >= bytes.len() {
            // `\` at the end of a line: the break is escaped
            return more_lines;
        }
        let (decoded, len): (Option<char>, usize) = match bytes[i + 1] {
            b'0' => (Some('\0'), 2),
            b'a' => (Some('\x07'), 2),
            b'b' => (Some('\x08'), 2),
            b't' | b'\t' => (Some('\t'), 2),
            b'n' => (Some('\n'), 2),
            b'v' => (Some('\x0b'), 2),
            b'f' => (Some('\x0c'), 2),
            b'r' => (Some('\r'), 2),
            b'e' => (Some('\x1b'), 2),
            b' ' => (Some(' '), 2),
            b'"' => (Some('"'), 2),
            b'/' => (Some('/'), 2),
            b'\\' => (Some('\\'), 2),
            b'N' => (Some('\u{85}'), 2),
            b'_' => (Some('\u{a0}'), 2),
            b'L' => (Some('\u{2028}'), 2),
            b'P' => (Some('\u{2029}'), 2),
            c @ (b'x' | b'u' | b'U') => {
                let digits = match c {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = content.get(i + 2..i + 2 + digits).unwrap_or("");
                let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                (ch, 2 + hex.len())
            }
            _ => (None, 1),
        };
        match decoded {
            Some(ch) => {
                let mut buf = [0u8; 4];
                out.push(at + i, ch.encode_utf8(&mut buf), false);
            }
            // an unknown escape: keep the backslash as written
            None => out.push(at + i, "\\", false),
        }
        i += len;
        // never split a UTF-8 character
        while i < bytes.len() && !content.is_char_boundary(i) {
            i += 1;
        }
        run = i;
    }
    out.push(at + run, &content[run..], true);
    false
}

/// `|` and `>` scalars: the header (indentation and chomping indicators),
/// then the content lines, dedented, and folded for `>`.
fn block(out: &mut Out, text: &str, from: usize, to: usize) -> Style {
    let raw = &text[from..to];
    let header_end = raw.find('\n').unwrap_or(raw.len());
    let header = raw[..header_end].split('#').next().unwrap_or("").trim();
    let style = if header.starts_with('>') {
        Style::Folded
    } else {
        Style::Literal
    };
    let chomp = if header.contains('-') {
        '-'
    } else if header.contains('+') {
        '+'
    } else {
        ' '
    };
    let explicit = header.chars().find(|c| c.is_ascii_digit()).and_then(|c| c.to_digit(10));
    // The indentation of the line holding the header (what an explicit
    // indentation indicator is relative to).
    let line_start = text[..from].rfind('\n').map(|p| p + 1).unwrap_or(0);
    let header_line = &text[line_start..from];
    let parent_indent = header_line.len() - header_line.trim_start_matches([' ', '-']).len();
    let body_start = (header_end + 1).min(raw.len());
    let body = &raw[body_start..];
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut off = from + body_start;
    for line in body.split('\n') {
        lines.push((off, line.strip_suffix('\r').unwrap_or(line)));
        off += line.len() + 1;
    }
    // A trailing empty piece after the final newline is not a line.
    if lines.last().is_some_and(|(_, l)| l.is_empty()) && body.ends_with('\n') {
        lines.pop();
    }
    let indent = match explicit {
        Some(d) => parent_indent + d as usize,
        None => lines
            .iter()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(_, l)| l.len() - l.trim_start_matches(' ').len())
            .unwrap_or(0),
    };
    // Dedented lines: (source offset of content, content); blank lines are empty.
    let content: Vec<(usize, &str)> = lines
        .iter()
        .map(|(o, l)| {
            let cut = indent.min(l.len() - l.trim_start_matches(' ').len());
            (o + cut, &l[cut..])
        })
        .collect();
    let last_content = content.iter().rposition(|(_, l)| !l.trim().is_empty());
    let Some(last_content) = last_content else {
        return style;
    };
    let trailing_blank = content.len() - 1 - last_content;
    // `Some(more_indented)` of the previous non-blank line; blank lines since.
    let mut prev: Option<bool> = None;
    let mut blanks = 0;
    for (o, l) in &content[..=last_content] {
        if l.trim().is_empty() {
            if prev.is_some() {
                blanks += 1;
            } else {
                out.push(*o, "\n", false);
            }
            continue;
        }
        let more_indented = l.starts_with([' ', '\t']);
        if let Some(prev_more) = prev {
            let at = o.saturating_sub(1);
            if style == Style::Folded && !prev_more && !more_indented {
                if blanks == 0 {
                    out.push(at, " ", false);
                }
                for _ in 0..blanks {
                    out.push(at, "\n", false);
                }
            } else {
                for _ in 0..=blanks {
                    out.push(at, "\n", false);
                }
            }
        }
        blanks = 0;
        out.push(*o, l, true);
        prev = Some(more_indented);
    }
    let end = content[last_content].0 + content[last_content].1.len();
    match chomp {
        '-' => {}
        '+' => {
            for _ in 0..=trailing_blank {
                out.push(end, "\n", false);
            }
        }
        _ => out.push(end, "\n", false),
    }
    style
}
