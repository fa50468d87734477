//! Source files, byte spans and the conversion from byte offsets to the
//! 1-based line / UTF-16 column positions that SARIF and editors expect.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Index of a file in the [`SourceMap`] of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (same file assumed; `self` wins otherwise).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A position as shown to people and written to SARIF: 1-based line, 1-based
/// column counted in UTF-16 code units (SARIF's default `columnKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// One file read into memory.
#[derive(Debug)]
pub struct SourceFile {
    /// Path used to open the file.
    pub path: PathBuf,
    /// Path shown in output: relative to the repository root, `/`-separated.
    pub display: String,
    /// Shared with the file's own scope (secrets read it there); an `Arc`
    /// of the `String` as read, not an `Arc<str>`, which would copy every
    /// file's text into a new allocation.
    pub text: Arc<String>,
    /// Where each line starts, found on first use: a scan holds every
    /// file's text until its report is written, but only the files with a
    /// finding or a notice are ever asked for a position.
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, display: String, text: impl Into<String>) -> Self {
        Self {
            path,
            display,
            text: Arc::new(text.into()),
            line_starts: OnceLock::new(),
        }
    }

    /// Byte offsets where lines start (the first is 0).
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            // `match_indices` of a char jumps from one to the next with
            // memchr instead of testing every byte.
            let mut starts = vec![0u32];
            starts.extend(self.text.match_indices('\n').map(|(i, _)| i as u32 + 1));
            starts
        })
    }

    /// 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Position of a byte offset (clamped to the file, snapped to a char boundary).
    pub fn position(&self, offset: u32) -> Position {
        let offset = (offset as usize).min(self.text.len());
        let offset = floor_char_boundary(&self.text, offset);
        let line = self.line_index(offset as u32);
        let start = self.line_starts()[line] as usize;
        let column = self.text[start..offset].encode_utf16().count() as u32 + 1;
        Position {
            line: line as u32 + 1,
            column,
        }
    }

    /// Text of a 1-based line, without its line terminator.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line.max(1) - 1) as usize;
        let starts = self.line_starts();
        let Some(&start) = starts.get(i) else {
            return "";
        };
        let end = starts.get(i + 1).map(|&e| e as usize).unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> u32 {
        let i = (line.max(1) - 1) as usize;
        self.line_starts().get(i).copied().unwrap_or(self.text.len() as u32)
    }

    pub fn slice(&self, span: Span) -> &str {
        let start = floor_char_boundary(&self.text, span.start as usize);
        let end = floor_char_boundary(&self.text, (span.end as usize).max(start));
        &self.text[start..end]
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file of a scan, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(Arc::new(file));
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id.0 as usize]
    }

    /// Take out the text of a file the report will never show, so the rest
    /// of the scan reuses its memory once the caller drops what is returned.
    /// Its path and display name stay.
    pub fn release_text(&mut self, id: FileId) -> Option<Arc<SourceFile>> {
        let file = &mut self.files[id.0 as usize];
        if file.text.is_empty() {
            return None;
        }
        let empty = Arc::new(SourceFile::new(file.path.clone(), file.display.clone(), ""));
        Some(std::mem::replace(file, empty))
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Arc<SourceFile>)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_utf16() {
        let f = SourceFile::new("a".into(), "a".into(), "ab\n\u{1F600}x = 1\r\nz");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(3), Position { line: 2, column: 1 });
        // the emoji is 4 bytes and 2 UTF-16 code units
        assert_eq!(f.position(7), Position { line: 2, column: 3 });
        assert_eq!(f.line_text(2), "\u{1F600}x = 1");
        assert_eq!(f.line_text(3), "z");
        assert_eq!(f.position(1000).line, 3);
    }
}
