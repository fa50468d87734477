//! Notices about the scan itself: files that could not be read or parsed,
//! budgets exceeded, configuration problems. They go to stderr, to SARIF
//! `toolExecutionNotifications`, and error-level ones set exit code 2.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    /// Something was not scanned (a file, or part of one). Fails the run.
    Error,
    /// Scanned, but something is worth knowing.
    Warning,
    Note,
}

impl NoticeLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeLevel::Error => "error",
            NoticeLevel::Warning => "warning",
            NoticeLevel::Note => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Notice {
    /// The file concerned, as displayed (repository-relative when known).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    pub level: NoticeLevel,
    pub message: String,
}

impl Notice {
    pub fn error(file: String, line: Option<u32>, message: String) -> Self {
        Self {
            file,
            line,
            level: NoticeLevel::Error,
            message: crate::secrets::redact_text(&message),
        }
    }

    pub fn warning(file: String, line: Option<u32>, message: String) -> Self {
        Self {
            file,
            line,
            level: NoticeLevel::Warning,
            message: crate::secrets::redact_text(&message),
        }
    }

    pub fn note(file: String, line: Option<u32>, message: String) -> Self {
        Self {
            file,
            line,
            level: NoticeLevel::Note,
            message: crate::secrets::redact_text(&message),
        }
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: {}:{}: {}", self.level.as_str(), self.file, l, self.message),
            None if self.file.is_empty() => write!(f, "{}: {}", self.level.as_str(), self.message),
            None => write!(f, "{}: {}: {}", self.level.as_str(), self.file, self.message),
        }
    }
}
