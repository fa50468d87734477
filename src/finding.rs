//! Findings: what a scan reports.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::policy::{Policy, Severity};
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The policy fails on known values.
    Fail,
    /// The policy's inputs are not known; shown only with `--show-inconclusive`.
    Inconclusive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    /// A comment in the scanned file.
    InSource,
    /// A baseline or configuration file.
    External,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub justification: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub policy: Arc<Policy>,
    /// Effective severity (after configuration overrides).
    pub severity: Severity,
    pub status: Status,
    pub message: String,
    /// Logical address without instance key (`aws_s3_bucket.logs`).
    pub address: String,
    /// Attribute or key path inside the subject (`ingress[0].cidr_blocks`).
    pub path: String,
    pub primary: Span,
    /// The blocks holding the finding in its file, innermost first (a
    /// Terraform resource, a CI step then its job, a Dockerfile instruction):
    /// a suppression comment above one of them applies. Taken from the spans
    /// of the scope's subjects, so a front end sets it by giving subjects spans.
    pub enclosing: Vec<Span>,
    pub related: Vec<(Span, String)>,
    /// Instance keys of `count` / `for_each` instances grouped in this finding.
    pub instances: Vec<String>,
    pub suppression: Option<Suppression>,
    /// Byte ranges whose text must never be shown in full (a secret).
    pub sensitive: Vec<Span>,
}

impl Finding {
    /// A fingerprint that survives lines moving: rule, file, logical address
    /// and path, never the line or the flagged value.
    pub fn fingerprint(&self, sources: &SourceMap) -> String {
        self.fingerprint_as(&self.policy.id, sources)
    }

    /// The fingerprint this finding would have under the policy id `id`
    /// (a policy it was split off from, for baselines written before).
    pub fn fingerprint_as(&self, id: &str, sources: &SourceMap) -> String {
        let file = &sources.get(self.primary.file).display;
        let mut h = Sha256::new();
        for part in [id, file.as_str(), self.address.as_str(), self.path.as_str()] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let digest = h.finalize();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(32);
        for b in &digest[..16] {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0f)] as char);
        }
        out
    }

    /// Report order: file, position, rule, message. Compares borrowed
    /// fields, so sorting allocates nothing.
    pub fn report_order(&self, other: &Finding, sources: &SourceMap) -> std::cmp::Ordering {
        let file = |f: &Finding| sources.get(f.primary.file).display.as_str();
        (
            file(self),
            self.primary.start,
            self.primary.end,
            &*self.policy.id,
            &self.message,
        )
            .cmp(&(
                file(other),
                other.primary.start,
                other.primary.end,
                &*other.policy.id,
                &other.message,
            ))
    }
}
