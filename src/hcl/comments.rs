//! HCL comments found lexically, so both front ends report the same ones:
//! `#` and `//` to the end of the line, `/* … */`, skipping quoted strings,
//! heredocs, and the templates inside them.

use super::{Comment, Span};
use crate::source::FileId;

/// Where the scanner is.
enum Mode {
    /// Expressions; the number counts `{` opened since this mode began, so
    /// the `}` closing an interpolation is told from an object's.
    Code(usize),
    Quoted,
    /// The rest of a heredoc's opening line, which may hold a comment; then
    /// the heredoc, with its closing marker.
    HeredocIntro(String),
    Heredoc(String),
}

/// Every comment of `src`, in source order.
pub fn scan_comments(file: FileId, src: &str) -> Vec<Comment> {
    let bytes = src.as_bytes();
    let mut comments = Vec::new();
    let mut stack = vec![Mode::Code(0)];
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let at_line_start = std::mem::replace(&mut line_start, false);
        let b = bytes[i];
        let rest = &bytes[i..];
        match stack.last_mut() {
            Some(Mode::Code(depth)) => match b {
                b'#' => i = push_comment(&mut comments, file, src, i, line_end(bytes, i)),
                b'/' if rest.starts_with(b"//") => i = push_comment(&mut comments, file, src, i, line_end(bytes, i)),
                b'/' if rest.starts_with(b"/*") => {
                    let end = src[i + 2..].find("*/").map(|p| i + 2 + p + 2).unwrap_or(bytes.len());
                    i = push_comment(&mut comments, file, src, i, end);
                }
                b'"' => {
                    stack.push(Mode::Quoted);
                    i += 1;
                }
                b'<' if rest.starts_with(b"<<") => match heredoc_marker(src, i) {
                    Some((marker, after)) => {
                        stack.push(Mode::HeredocIntro(marker));
                        i = after;
                    }
                    None => i += 2,
                },
                b'{' => {
                    *depth += 1;
                    i += 1;
                }
                b'}' => {
                    if *depth == 0 {
                        if stack.len() > 1 {
                            stack.pop();
                        }
                    } else {
                        *depth -= 1;
                    }
                    i += 1;
                }
                b'\n' => {
                    line_start = true;
                    i += 1;
                }
                _ => i = skip_to(bytes, i + 1, b"#/\"<{}\n"),
            },
            Some(Mode::Quoted) => match b {
                b'\\' => i += 2,
                b'"' | b'\n' => {
                    stack.pop();
                    i += 1;
                }
                b'$' | b'%' => i = template_step(bytes, i, &mut stack),
                _ => i = skip_to(bytes, i + 1, b"\\\"\n$%"),
            },
            Some(Mode::HeredocIntro(marker)) => match b {
                b'#' => i = push_comment(&mut comments, file, src, i, line_end(bytes, i)),
                b'/' if rest.starts_with(b"//") => i = push_comment(&mut comments, file, src, i, line_end(bytes, i)),
                b'\n' => {
                    let marker = std::mem::take(marker);
                    *stack.last_mut().expect("in a heredoc") = Mode::Heredoc(marker);
                    line_start = true;
                    i += 1;
                }
                _ => i += 1,
            },
            Some(Mode::Heredoc(marker)) => {
                if at_line_start {
                    let line = &src[i..line_end(bytes, i)];
                    if line.trim() == marker.as_str() {
                        stack.pop();
                        i += line.len();
                        continue;
                    }
                }
                match b {
                    b'\n' => {
                        line_start = true;
                        i += 1;
                    }
                    b'$' | b'%' => i = template_step(bytes, i, &mut stack),
                    _ => i = skip_to(bytes, i + 1, b"\n$%"),
                }
            }
            None => break,
        }
    }
    comments
}

/// One step inside a template: `${` and `%{` open an expression, `$${` and
/// `%%{` are escapes.
fn template_step(bytes: &[u8], i: usize, stack: &mut Vec<Mode>) -> usize {
    let rest = &bytes[i..];
    if rest.starts_with(b"$${") || rest.starts_with(b"%%{") {
        i + 3
    } else if rest.starts_with(b"${") || rest.starts_with(b"%{") {
        stack.push(Mode::Code(0));
        i + 2
    } else {
        i + 1
    }
}

/// The offset of the next byte among `stops` from `from`, or the end.
fn skip_to(bytes: &[u8], from: usize, stops: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| stops.contains(b)))
        .map_or(bytes.len(), |p| from + p)
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

fn push_comment(comments: &mut Vec<Comment>, file: FileId, src: &str, start: usize, end: usize) -> usize {
    comments.push(Comment {
        text: src[start..end].into(),
        span: Span::new(file, start, end),
    });
    end
}

/// `<<ID` or `<<-ID` at `at`, followed by the end of the line or a comment:
/// the marker, and the offset after it.
fn heredoc_marker(src: &str, at: usize) -> Option<(String, usize)> {
    let rest = src[at + 2..].strip_prefix('-').unwrap_or(&src[at + 2..]);
    let len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let (marker, after) = rest.split_at(len);
    if marker.is_empty() || !marker.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return None;
    }
    let marker_end = src.len() - after.len();
    let after = after.trim_start_matches([' ', '\t', '\r']);
    if !(after.is_empty() || after.starts_with(['\n', '#']) || after.starts_with("//")) {
        return None;
    }
    Some((marker.to_string(), marker_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        scan_comments(FileId(0), src)
            .into_iter()
            .map(|c| c.text.to_string())
            .collect()
    }

    #[test]
    fn finds_every_kind_outside_strings_and_heredocs() {
        let src =
            "# a\nx = \"# no ${ y # b\n } // no\" // c\nh = <<-EOT # d\n  # no ${z}\n  EOT\n/* e\n */ k = {} # f\n";
        assert_eq!(texts(src), vec!["# a", "# b", "// c", "# d", "/* e\n */", "# f"]);
    }

    #[test]
    fn escapes_and_nested_braces_do_not_confuse_it() {
        let src = "x = \"\\\" $${ # no\" # a\ny = \"${ {a = 1}.a } # no\" # b\n";
        assert_eq!(texts(src), vec!["# a", "# b"]);
    }
}
