//! Limits that keep hostile input from taking the process down.
//!
//! A panic inside one file's processing is caught, but a stack overflow
//! aborts the whole process, and tree-sitter's C code and every recursive
//! walk over a syntax tree recurse once per nesting level. So files nested
//! deeper than any real configuration are refused before they are parsed, and
//! the work runs on threads with stacks large enough for the nesting allowed.

/// Nesting depth allowed by default. Real Terraform, Dockerfiles and CI files
/// stay below 40; a few hundred leaves ample room.
pub const DEFAULT_MAX_NESTING: usize = 256;

/// Stack size of the threads that parse and check files.
pub const WORKER_STACK_SIZE: usize = 64 * 1024 * 1024;

/// The byte offset where bracket nesting (`{`, `[`, `(`, and `${`/`%{`
/// through their braces) first goes deeper than `limit`, if it does.
///
/// Brackets inside strings count too: the scan is deliberately lexical, so it
/// errs towards counting more, and real files are far from the limit.
pub fn nesting_exceeds(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return Some(offset);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_kind_of_bracket() {
        assert_eq!(nesting_exceeds("a { b = [ ( 1 ) ] }", 3), None);
        assert_eq!(nesting_exceeds("a { b = [ ( 1 ) ] }", 2), Some(10));
    }

    #[test]
    fn closing_more_than_opened_does_not_underflow() {
        assert_eq!(nesting_exceeds(")))]]}}{{", 2), None);
        assert_eq!(nesting_exceeds(")))]]}}{{{", 2), Some(9));
    }

    #[test]
    fn sequential_blocks_do_not_add_up() {
        let text = "x { y }\n".repeat(10_000);
        assert_eq!(nesting_exceeds(&text, 1), None);
    }
}
