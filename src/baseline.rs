//! Baselines: the findings a repository accepted when it adopted Palisade,
//! keyed by their line-independent fingerprint. With `--baseline FILE` only
//! findings not in it are reported; the rest stay in SARIF as suppressed
//! (kind `external`). Rewriting the baseline drops the findings since fixed.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::{Status, Suppression, SuppressionKind};
use crate::scan::ScanReport;

/// The version of the file format.
pub const VERSION: u32 = 1;
/// The file `palisade baseline` writes by default.
pub const DEFAULT_FILE: &str = ".palisade-baseline.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// One accepted finding. Only `fingerprint` is compared; the rest is there for
/// people reviewing the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub file: String,
    pub rule: String,
    pub address: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{file}: cannot read the baseline: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}: not a Palisade baseline: {message}")]
    Format { file: String, line: usize, message: String },
}

impl Baseline {
    /// The unsuppressed failing findings of a report.
    pub fn of(report: &ScanReport) -> Baseline {
        let mut findings: Vec<Entry> = report
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail && f.suppression.is_none())
            .map(|f| Entry {
                file: report.sources.get(f.primary.file).display.clone(),
                rule: f.policy.id.to_string(),
                address: f.address.clone(),
                path: f.path.clone(),
                fingerprint: f.fingerprint(&report.sources),
            })
            .collect();
        findings.sort();
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: VERSION,
            findings,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            file: file.clone(),
            source,
        })?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Format {
            file: file.clone(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if b.version != VERSION {
            return Err(BaselineError::Format {
                file,
                line: 1,
                message: format!("version {} is not supported (this Palisade reads {VERSION})", b.version),
            });
        }
        Ok(b)
    }

    /// Mark the findings of `report` that are in the baseline as suppressed.
    pub fn apply(&self, report: &mut ScanReport, label: &str) {
        let known: BTreeSet<&str> = self.findings.iter().map(|e| e.fingerprint.as_str()).collect();
        for f in &mut report.findings {
            // An entry written before the policy was split off another
            // one carries the older policy's fingerprint.
            let accepted = |f: &crate::finding::Finding| {
                known.contains(f.fingerprint(&report.sources).as_str())
                    || (f.policy.split_from.iter())
                        .any(|old| known.contains(f.fingerprint_as(old, &report.sources).as_str()))
            };
            if f.suppression.is_none() && accepted(f) {
                f.suppression = Some(Suppression {
                    kind: SuppressionKind::External,
                    justification: Some(format!("in the baseline {label}")),
                });
            }
        }
    }
}
