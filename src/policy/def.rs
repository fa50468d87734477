//! The policy file format: what a `policies/**/*.toml` file may contain.
//!
//! These types are deserialised strictly (`deny_unknown_fields`) and then
//! compiled into [`super::Policy`]. The same format serves built-in and users'
//! own policies; `docs/writing-policies.md` documents it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Category, Confidence, InputKind, Severity};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyDef {
    /// Stable public id, e.g. `TF0001`. Never reused.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Readable kebab-case name naming the flagged pattern.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// One line, sentence case, no trailing period.
    pub title: String,
    /// How bad a finding is: critical, high, medium, low or info.
    pub severity: Severity,
    /// The checklist category.
    pub category: Category,
    /// Which files the policy applies to.
    pub input: InputKind,
    /// How sure a finding is (SARIF `precision`); default `high`.
    #[serde(default)]
    pub confidence: Confidence,
    /// Message of a finding; `{resource}`, `{path}` and `{value}` are filled in.
    #[schemars(with = "String")]
    pub message: Spanned<String>,
    /// Earlier ids or names of this policy (renames).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Ids of policies this one was split off from: it now reports findings
    /// they used to, and their suppression comments and baseline entries
    /// still apply to those findings.
    #[serde(default)]
    pub split_from: Vec<String>,
    /// CWE ids, like `CWE-311`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub cwe: Vec<Spanned<String>>,
    /// Links (https) for further reading.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub references: Vec<Spanned<String>>,
    /// Controls of compliance frameworks: `cis-aws = ["2.1.1"]`; keys: cis-aws, cis-azure, cis-gcp, cis-docker, soc2, pci-dss, hipaa, nist-800-53.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub compliance: BTreeMap<Framework, Vec<String>>,
    /// The corresponding rules of other scanners (their suppressions then apply).
    #[serde(default)]
    pub equivalents: Equivalents,
    /// Required for built-in policies; optional in users' own.
    #[serde(default)]
    pub docs: DocsDef,
    /// What the policy looks at and when it fails.
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
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
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
    /// Why no peer tool has an equivalent rule, for policies that are the
    /// only ones of their kind; required when every list is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub none: Option<String>,
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
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Deserialize, schemars::JsonSchema)]
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
    /// Named conditions that `fail-if` refers to with `use`, to state a test
    /// once when it applies in several places (a rule written inline and as
    /// its own resource). Each must be used.
    #[serde(default)]
    pub define: BTreeMap<String, ConditionDef>,
    /// A named check implemented in Rust, for logic the data cannot say.
    #[schemars(with = "Option<String>")]
    pub check: Option<Spanned<String>>,
    /// Arguments for `check`.
    #[serde(default)]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub args: toml::Table,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubjectDef {
    /// Subject class: `stage`, `instruction`, `dockerfile` (Dockerfiles), the CI front end's classes, `file` (any file).
    pub class: String,
    /// Kinds within the class (`RUN`, `FROM`…); empty: every kind.
    #[serde(default)]
    pub types: Vec<String>,
}

/// One condition. Exactly one "head" is allowed: `all`, `any`, `not`, `some`,
/// `every`, `related`, `refers-to`, `fails`, `predicate`, `use`, or `path` with one test.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConditionDef {
    /// True when every condition is (the finding is placed where the first true one is).
    pub all: Option<Vec<ConditionDef>>,
    /// True when some condition is.
    pub any: Option<Vec<ConditionDef>>,
    /// True when the condition is false (unknown stays unknown).
    pub not: Option<Box<ConditionDef>>,
    /// True when some element at this path satisfies `where`.
    #[schemars(with = "Option<String>")]
    pub some: Option<Spanned<String>>,
    /// True when every element at this path satisfies `where`.
    #[schemars(with = "Option<String>")]
    pub every: Option<Spanned<String>>,
    /// The condition each element (`some`, `every`) or related resource (`related`, `refers-to`) must satisfy, relative to it.
    #[serde(rename = "where")]
    pub where_: Option<Box<ConditionDef>>,
    /// True when a resource of one of these types refers to this subject
    /// through its `via` attribute (and satisfies `where`, if given).
    pub related: Option<OneOrMany>,
    /// True when this subject refers, through its `via` attribute, to a
    /// resource of one of these types (that satisfies `where`, if given): the
    /// settings of the resource a split-out one belongs to (the storage
    /// account of an `azurerm_storage_account_network_rules`).
    pub refers_to: Option<OneOrMany>,
    /// With `related`: the attribute of the related resource that names this
    /// one; without it, any resource of the types in the scope is related.
    /// With `refers-to`: the attribute of this subject that names the other.
    /// Several attributes: a link through any of them counts.
    #[schemars(with = "Option<OneOrMany>")]
    pub via: Option<Spanned<OneOrMany>>,
    /// True when this subject fails the built-in policy of this name: asks
    /// the question another policy answers (a function's role that can
    /// escalate its privileges) without repeating its lists.
    #[schemars(with = "Option<String>")]
    pub fails: Option<Spanned<String>>,
    /// A named predicate implemented in Rust.
    #[schemars(with = "Option<String>")]
    pub predicate: Option<Spanned<String>>,
    /// True when the condition of this name in `[match.define]` is.
    #[serde(rename = "use")]
    #[schemars(with = "Option<String>")]
    pub use_: Option<Spanned<String>>,
    /// Arguments of `predicate`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub args: Option<toml::Table>,
    /// The attribute path a test looks at.
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// Test: the attribute is set (`true`) or absent or null (`false`).
    pub exists: Option<bool>,
    /// Test: the value equals this one (with Terraform's conversions: `"true"` is `true`). A string template with unknown parts equals no string its known beginning or end rules out.
    #[schemars(with = "Option<serde_json::Value>")]
    pub equals: Option<toml::Value>,
    /// Test: the value differs from this one.
    #[schemars(with = "Option<serde_json::Value>")]
    pub not_equals: Option<toml::Value>,
    /// Test: the value is one of these.
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub one_of: Option<Vec<toml::Value>>,
    /// Test: the value is none of these.
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub not_one_of: Option<Vec<toml::Value>>,
    /// Test: the value matches this regular expression (Rust syntax).
    #[schemars(with = "Option<String>")]
    pub matches: Option<Spanned<String>>,
    /// Test: the value does not match this regular expression.
    #[schemars(with = "Option<String>")]
    pub not_matches: Option<Spanned<String>>,
    /// Test: a list holds this value, a string this substring, a map this key.
    #[schemars(with = "Option<serde_json::Value>")]
    pub contains: Option<toml::Value>,
    /// Test: the value is a number below this one.
    pub lt: Option<f64>,
    /// Test: the value is a number at most this one.
    pub le: Option<f64>,
    /// Test: the value is a number above this one.
    pub gt: Option<f64>,
    /// Test: the value is a number at least this one.
    pub ge: Option<f64>,
    /// Compare strings without regard to ASCII case.
    #[serde(default)]
    pub ignore_case: bool,
    /// Value assumed when the path is absent or null (the provider's default).
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<toml::Value>,
    /// Report the finding at this path (relative to the subject) when it exists.
    #[schemars(with = "Option<String>")]
    pub at: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
