//! Tree-sitter plumbing shared by every front end: one parser per grammar per
//! thread, a time budget per parse, and a summary of syntax errors.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{Language, Node, ParseOptions, Parser, Tree};

/// The grammars Palisade links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grammar {
    Hcl,
    Json,
    Yaml,
    Dockerfile,
    Bash,
}

impl Grammar {
    pub const ALL: [Grammar; 5] = [
        Grammar::Hcl,
        Grammar::Json,
        Grammar::Yaml,
        Grammar::Dockerfile,
        Grammar::Bash,
    ];

    fn language(self) -> Language {
        match self {
            Grammar::Hcl => tree_sitter_hcl::LANGUAGE.into(),
            Grammar::Json => tree_sitter_json::LANGUAGE.into(),
            Grammar::Yaml => tree_sitter_yaml::LANGUAGE.into(),
            Grammar::Dockerfile => tree_sitter_containerfile::LANGUAGE.into(),
            Grammar::Bash => tree_sitter_bash::LANGUAGE.into(),
        }
    }
}

/// Why a parse produced no tree.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ParseFailure {
    #[error("parsing took longer than the {0:?} budget")]
    Timeout(Duration),
    #[error("the parser could not be initialised: {0}")]
    Setup(String),
}

thread_local! {
    static PARSERS: RefCell<HashMap<Grammar, Parser>> = RefCell::new(HashMap::new());
}

/// Parse `text` with `grammar`, giving up after `budget`.
pub fn parse(grammar: Grammar, text: &str, budget: Duration) -> Result<Tree, ParseFailure> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let parser = match parsers.entry(grammar) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let mut p = Parser::new();
                p.set_language(&grammar.language())
                    .map_err(|e| ParseFailure::Setup(e.to_string()))?;
                v.insert(p)
            }
        };
        let started = Instant::now();
        let mut timed_out = false;
        let mut calls = 0u32;
        // The callback runs very often; reading the clock every time costs
        // ~20 % of the parse, so look at it once per 1,024 calls.
        let mut check = |_: &tree_sitter::ParseState| {
            calls = calls.wrapping_add(1);
            if calls.is_multiple_of(1024) && started.elapsed() > budget {
                timed_out = true;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let bytes = text.as_bytes();
        let tree = parser.parse_with_options(
            &mut |i, _| if i < bytes.len() { &bytes[i..] } else { &[] },
            None,
            Some(ParseOptions::new().progress_callback(&mut check)),
        );
        match tree {
            Some(tree) => Ok(tree),
            None => {
                // A cancelled parse leaves state behind; start the next one clean.
                parser.reset();
                if timed_out {
                    Err(ParseFailure::Timeout(budget))
                } else {
                    Err(ParseFailure::Setup("the parser returned no tree".into()))
                }
            }
        }
    })
}

/// The first syntax error of a tree, as the byte offset of the narrowest
/// ERROR or MISSING node (tree-sitter's outer ERROR ranges are often coarse).
pub fn first_error(root: Node) -> Option<(usize, &'static str)> {
    if !root.has_error() {
        return None;
    }
    let mut node = root;
    'descend: loop {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.is_missing() {
                return Some((child.start_byte(), "missing token"));
            }
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        return Some((
            node.start_byte(),
            if node.is_error() {
                "unexpected syntax"
            } else {
                "syntax error"
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grammar_loads() {
        for g in Grammar::ALL {
            parse(g, "", Duration::from_secs(5)).expect("grammar ABI accepted");
        }
    }

    #[test]
    fn error_is_located_at_the_narrowest_node() {
        let tree = parse(Grammar::Hcl, "a = 1\nb = = 2\n", Duration::from_secs(5)).unwrap();
        let (offset, _) = first_error(tree.root_node()).unwrap();
        assert!(offset >= 6, "error at {offset}");
    }
}
