//! The policy file format: what a `policies/**/*.toml` file may contain.
//!
//! These types are deserialised strictly (`deny_unknown_fields`) and then
//! compiled into [`super::Policy`]. The same format serves built-in and users'
//! own policies; `docs/writing-policies.md` documents it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Category, Confidence, InputKind, Severity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyDef {
    /// Stable public id, e.g. `TF0001`. Never reused.
    pub id: Spanned<String>,
    /// Readable kebab-case name naming the flagged pattern.
    pub name: Spanned<String>,
    /// One line, sentence case, no trailing period.
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub input: InputKind,
    #[serde(default)]
    pub confidence: Confidence,
    /// Message of a finding; `{resource}`, `{path}` and `{value}` are filled in.
    pub message: Spanned<String>,
    /// Earlier ids or names of this policy (renames).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub cwe: Vec<Spanned<String>>,
    #[serde(default)]
    pub references: Vec<Spanned<String>>,
    #[serde(default)]
    pub compliance: BTreeMap<Framework, Vec<String>>,
    #[serde(default)]
    pub equivalents: Equivalents,
    /// Required for built-in policies; optional in users' own.
    #[serde(default)]
    pub docs: DocsDef,
    #[serde(rename = "match")]
    pub matcher: MatchDef,
}

/// Compliance frameworks a control id may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
pub enum Framework {
    #[serde(rename = "cis-aws")]
    CisAws,
    #[serde(rename = "cis-azure")]
    CisAzure,
    #[serde(rename = "cis-gcp")]
    CisGcp,
    #[serde(rename = "cis-docker")]
    CisDocker,
    #[serde(rename = "soc2")]
    Soc2,
    #[serde(rename = "pci-dss")]
    PciDss,
    #[serde(rename = "hipaa")]
    Hipaa,
    #[serde(rename = "nist-800-53")]
    Nist80053,
}

impl Framework {
    pub const ALL: [Framework; 8] = [
        Framework::CisAws,
        Framework::CisAzure,
        Framework::CisGcp,
        Framework::CisDocker,
        Framework::Soc2,
        Framework::PciDss,
        Framework::Hipaa,
        Framework::Nist80053,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Framework::CisAws => "cis-aws",
            Framework::CisAzure => "cis-azure",
            Framework::CisGcp => "cis-gcp",
            Framework::CisDocker => "cis-docker",
            Framework::Soc2 => "soc2",
            Framework::PciDss => "pci-dss",
            Framework::Hipaa => "hipaa",
            Framework::Nist80053 => "nist-800-53",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Framework::CisAws => "CIS Amazon Web Services Foundations Benchmark",
            Framework::CisAzure => "CIS Microsoft Azure Foundations Benchmark",
            Framework::CisGcp => "CIS Google Cloud Platform Foundation Benchmark",
            Framework::CisDocker => "CIS Docker Benchmark",
            Framework::Soc2 => "SOC 2 Trust Services Criteria",
            Framework::PciDss => "PCI DSS v4.0",
            Framework::Hipaa => "HIPAA Security Rule",
            Framework::Nist80053 => "NIST SP 800-53 Rev. 5",
        }
    }
}

/// Peer rules this policy corresponds to; used to honour peers' suppression
/// comments and to map benchmark queries.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalents {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkov: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trivy: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tfsec: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kics: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hadolint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zizmor: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poutine: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gitleaks: Vec<String>,
    /// Semgrep registry rule ids (`bash.curl.security.curl-pipe-bash.curl-pipe-bash`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub semgrep: Vec<String>,
}

impl Equivalents {
    pub fn is_empty(&self) -> bool {
        self.all().next().is_none()
    }

    /// Every (tool, rule) pair.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("checkov", &self.checkov),
            ("trivy", &self.trivy),
            ("tfsec", &self.tfsec),
            ("kics", &self.kics),
            ("hadolint", &self.hadolint),
            ("zizmor", &self.zizmor),
            ("poutine", &self.poutine),
            ("gitleaks", &self.gitleaks),
            ("semgrep", &self.semgrep),
        ]
        .into_iter()
        .flat_map(|(tool, ids)| ids.iter().map(move |id| (tool, id.as_str())))
    }
}

/// User documentation, in Markdown. Every field is required (non-empty) in
/// built-in policies; users' own policies may leave any out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct DocsDef {
    /// What it does: what the policy flags.
    pub description: String,
    /// Why it matters: the risk.
    pub rationale: String,
    /// A configuration the policy flags (code only, in the input's language).
    pub example: String,
    /// How to fix it (prose).
    pub fix: String,
    /// The example fixed (code only). The docs test checks it passes.
    pub fixed_example: String,
    /// The file name both examples are scanned as, when the input's usual
    /// file does not fit (`input = "any"` policies on `terraform.tfstate`,
    /// `*.tfvars`…).
    pub example_file: Option<String>,
}

/// What a policy looks at and when it fails.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MatchDef {
    /// Terraform resource types (`aws_s3_bucket`).
    #[serde(default)]
    pub resource: Vec<String>,
    /// Terraform data source types.
    #[serde(default)]
    pub data: Vec<String>,
    /// Terraform provider names (`aws`).
    #[serde(default)]
    pub provider: Vec<String>,
    /// Other Terraform blocks: `variable`, `output`, `module`, `terraform`.
    #[serde(default)]
    pub block: Vec<String>,
    /// Generic subject selection for other inputs: `class` of subject and
    /// optional types, e.g. `{ class = "instruction", types = ["FROM"] }`.
    #[serde(default)]
    pub subject: Vec<SubjectDef>,
    /// The condition under which a subject fails the policy.
    pub fail_if: Option<ConditionDef>,
    /// A named check implemented in Rust, for logic the data cannot say.
    pub check: Option<Spanned<String>>,
    /// Arguments for `check`.
    #[serde(default)]
    pub args: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubjectDef {
    pub class: String,
    #[serde(default)]
    pub types: Vec<String>,
}

/// One condition. Exactly one "head" is allowed: `all`, `any`, `not`, `some`,
/// `every`, `related`, `predicate`, or `path` with one test.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConditionDef {
    pub all: Option<Vec<ConditionDef>>,
    pub any: Option<Vec<ConditionDef>>,
    pub not: Option<Box<ConditionDef>>,
    /// True when some element at this path satisfies `where`.
    pub some: Option<Spanned<String>>,
    /// True when every element at this path satisfies `where`.
    pub every: Option<Spanned<String>>,
    #[serde(rename = "where")]
    pub where_: Option<Box<ConditionDef>>,
    /// True when a resource of one of these types refers to this subject
    /// through its `via` attribute (and satisfies `where`, if given).
    pub related: Option<OneOrMany>,
    pub via: Option<Spanned<String>>,
    /// A named predicate implemented in Rust.
    pub predicate: Option<Spanned<String>>,
    #[serde(default)]
    pub args: Option<toml::Table>,
    /// The attribute path a test looks at.
    pub path: Option<Spanned<String>>,
    pub exists: Option<bool>,
    pub equals: Option<toml::Value>,
    pub not_equals: Option<toml::Value>,
    pub one_of: Option<Vec<toml::Value>>,
    pub not_one_of: Option<Vec<toml::Value>>,
    pub matches: Option<Spanned<String>>,
    pub not_matches: Option<Spanned<String>>,
    pub contains: Option<toml::Value>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    /// Compare strings without regard to ASCII case.
    #[serde(default)]
    pub ignore_case: bool,
    /// Value assumed when the path is absent or null (the provider's default).
    pub default: Option<toml::Value>,
    /// Report the finding at this path (relative to the subject) when it exists.
    pub at: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}
