//! Policies: metadata, documentation and the match, loaded from TOML files.
//!
//! Built-in policies live in `policies/**/*.toml` and are embedded in the
//! binary at build time, parsed: start-up deserialises them from a packed
//! form ([`packed`]) without reading TOML. Users' policies use the same
//! format and are parsed from their text.

pub mod condition;
pub mod def;
pub mod packed;
#[cfg_attr(not(test), allow(dead_code))]
mod packed_format;
pub mod path;
pub mod predicates;
pub mod predicates_aws;
pub mod predicates_azure;
pub mod predicates_cloud;
pub mod predicates_gcp;
pub mod reference;
pub mod testing;
pub mod user;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use condition::{Condition, compile_with};
use def::{ConditionDef, DocsDef, Equivalents, Framework, PolicyDef};

use crate::subject::SubjectSet;
use crate::value::Str;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub's `security-severity` (a number in a string); none for info,
    /// which is not a security alert.
    pub fn security_severity(self) -> Option<&'static str> {
        match self {
            Severity::Critical => Some("9.5"),
            Severity::High => Some("8.0"),
            Severity::Medium => Some("5.5"),
            Severity::Low => Some("3.0"),
            Severity::Info => None,
        }
    }

    /// SARIF `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity `{s}`: expected critical, high, medium, low or info"))
    }
}

/// The checklist categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Secrets,
    Tls,
    EncryptionAtRest,
    LeastPrivilege,
    Network,
    Logging,
    Backup,
    Updates,
    SupplyChain,
    Hygiene,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Secrets,
        Category::Tls,
        Category::EncryptionAtRest,
        Category::LeastPrivilege,
        Category::Network,
        Category::Logging,
        Category::Backup,
        Category::Updates,
        Category::SupplyChain,
        Category::Hygiene,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secrets => "secrets",
            Category::Tls => "tls",
            Category::EncryptionAtRest => "encryption-at-rest",
            Category::LeastPrivilege => "least-privilege",
            Category::Network => "network",
            Category::Logging => "logging",
            Category::Backup => "backup",
            Category::Updates => "updates",
            Category::SupplyChain => "supply-chain",
            Category::Hygiene => "hygiene",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Category::Secrets => "Secrets never in code",
            Category::Tls => "Encryption in transit",
            Category::EncryptionAtRest => "Encryption at rest",
            Category::LeastPrivilege => "Least privilege",
            Category::Network => "Network segmentation",
            Category::Logging => "Audit logging",
            Category::Backup => "Backup and recovery",
            Category::Updates => "Security updates",
            Category::SupplyChain => "Supply chain",
            Category::Hygiene => "Hygiene",
        }
    }
}

/// How sure a policy is that a finding is a real problem (SARIF `precision`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    #[default]
    High,
    VeryHigh,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
            Confidence::VeryHigh => "very-high",
        }
    }
}

/// Which inputs a policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Terraform,
    Dockerfile,
    GithubActions,
    GitlabCi,
    AzurePipelines,
    Circleci,
    BitbucketPipelines,
    /// Every CI configuration kind.
    Ci,
    /// Every file scanned, as text (secrets). Such policies run on a
    /// file-level scope holding one `file` subject per scanned file.
    Any,
}

impl InputKind {
    /// Every kind, in declaration order ([`index`](Self::index) of each).
    pub const ALL: [InputKind; 9] = [
        InputKind::Terraform,
        InputKind::Dockerfile,
        InputKind::GithubActions,
        InputKind::GitlabCi,
        InputKind::AzurePipelines,
        InputKind::Circleci,
        InputKind::BitbucketPipelines,
        InputKind::Ci,
        InputKind::Any,
    ];

    /// Position in [`ALL`](Self::ALL): the declaration order, which `ALL`
    /// follows (the unit test on the registry's index checks it).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Terraform => "terraform",
            InputKind::Dockerfile => "dockerfile",
            InputKind::GithubActions => "github-actions",
            InputKind::GitlabCi => "gitlab-ci",
            InputKind::AzurePipelines => "azure-pipelines",
            InputKind::Circleci => "circleci",
            InputKind::BitbucketPipelines => "bitbucket-pipelines",
            InputKind::Ci => "ci",
            InputKind::Any => "any",
        }
    }

    /// Whether a policy for `self` applies to a scope of kind `scope`.
    pub fn applies_to(self, scope: InputKind) -> bool {
        self == scope
            || (self == InputKind::Ci
                && matches!(
                    scope,
                    InputKind::GithubActions
                        | InputKind::GitlabCi
                        | InputKind::AzurePipelines
                        | InputKind::Circleci
                        | InputKind::BitbucketPipelines
                ))
    }

    /// The language of code examples, for Markdown fences.
    pub fn code_language(self) -> &'static str {
        match self {
            InputKind::Terraform => "hcl",
            InputKind::Dockerfile => "dockerfile",
            _ => "yaml",
        }
    }
}

/// Which subjects a policy looks at.
#[derive(Debug, Clone)]
pub struct Selector {
    pub class: Str,
    /// Empty: every kind of the class.
    pub kinds: Vec<Str>,
}

/// How a policy decides.
#[derive(Debug)]
pub enum Rule {
    /// A condition from the policy file; a built-in policy's is compiled
    /// the first time a subject is selected for it.
    Condition(Deferred<Condition>),
    /// A check implemented in Rust, by name; a built-in policy's arguments
    /// are read on first use. `check` is the function the name resolves to,
    /// found once when the policy loads (`None` for an unknown name, which
    /// validation rejects).
    Check {
        name: Str,
        check: Option<&'static crate::checks::Check>,
        args: Deferred<toml::Table>,
    },
}

#[derive(Debug, Clone)]
pub struct Docs {
    pub description: String,
    pub rationale: String,
    pub example: String,
    pub fix: String,
    pub fixed_example: String,
    /// The file name the examples are scanned as, when not the input's usual one.
    pub example_file: Option<String>,
}

impl Docs {
    /// Trimmed; a missing description is the title (users' policies may
    /// leave the docs out).
    fn of(def: DocsDef, title: &str) -> Docs {
        Docs {
            description: match def.description.trim() {
                "" => title.to_string(),
                d => d.to_string(),
            },
            rationale: def.rationale.trim().to_string(),
            example: def.example.trim_end().to_string(),
            fix: def.fix.trim().to_string(),
            fixed_example: def.fixed_example.trim_end().to_string(),
            example_file: def.example_file,
        }
    }
}

/// A part of a built-in policy made on first use: its documentation (only
/// explanations and reports read it) and its compiled match (only scans
/// with subjects it selects need it). The tests make every one of them.
type Deferred<T> = LazyLock<T, Box<dyn FnOnce() -> T + Send>>;

fn ready<T: Send + 'static>(value: T) -> Deferred<T> {
    LazyLock::new(Box::new(move || value))
}

/// A loaded, validated policy.
#[derive(Debug)]
pub struct Policy {
    pub id: Str,
    pub name: Str,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub input: InputKind,
    pub confidence: Confidence,
    pub message: String,
    pub aliases: Vec<String>,
    /// Ids of the policies whose findings this one took over ([`PolicyDef::split_from`]).
    pub split_from: Vec<String>,
    pub cwe: Vec<String>,
    pub references: Vec<String>,
    pub compliance: BTreeMap<Framework, Vec<String>>,
    pub equivalents: Equivalents,
    docs: Deferred<Docs>,
    pub selectors: Vec<Selector>,
    pub rule: Rule,
    /// Where the policy was loaded from (`policies/terraform/aws/x.toml`).
    pub source: String,
    pub builtin: bool,
}

impl Policy {
    pub fn docs(&self) -> &Docs {
        &self.docs
    }

    /// Whether `key` names this policy: id, name, or an alias (case-insensitive).
    pub fn is_named(&self, key: &str) -> bool {
        self.id.eq_ignore_ascii_case(key)
            || self.name.eq_ignore_ascii_case(key)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
    }

    /// Whether `id` is a policy this one was split off from, whose
    /// suppressions still apply to its findings.
    pub fn was_split_from(&self, id: &str) -> bool {
        self.split_from.iter().any(|s| s.eq_ignore_ascii_case(id))
    }

    /// The documentation page, in Markdown; shared by `palisade explain`, the
    /// generated docs and SARIF `help.markdown`.
    pub fn markdown(&self) -> String {
        crate::docs::policy_markdown(self)
    }
}

/// A problem in a policy file, located by file and line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

pub(crate) fn line_of(text: &str, offset: Option<usize>) -> usize {
    offset
        .map(|o| text[..o.min(text.len())].matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Named Rust checks a policy's `check` may use, per input kind. Front ends
/// register theirs in [`crate::checks`].
pub fn check_exists(name: &str) -> bool {
    crate::checks::lookup(name).is_some()
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

fn valid_id(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = &s[letters..];
    (2..=4).contains(&letters) && digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit())
}

/// Parse and validate one policy file.
pub fn load_policy(file: &str, text: &str, builtin: bool) -> Result<Policy, PolicyError> {
    let def = parse_def(file, text)?;
    from_def(file, text, def, builtin, Deferral::None)
}

/// What [`from_def`] may leave for later.
enum Deferral {
    /// Validate and compile everything now.
    None,
    /// A built-in policy read without its docs and rule: they are
    /// deserialised from their packed form (`docs`, `rule`) on first use.
    Builtin { docs: &'static str, rule: &'static str },
}

fn parse_def(file: &str, text: &str) -> Result<PolicyDef, PolicyError> {
    toml::from_str(text).map_err(|e| PolicyError {
        file: file.to_string(),
        line: line_of(text, e.span().map(|s| s.start)),
        message: e.message().to_string(),
    })
}

/// A built-in policy as `build.rs` embeds it.
struct EmbeddedPolicy {
    file: &'static str,
    /// The file as written: its errors are reported from it, with lines.
    text: &'static str,
    /// Where in `embedded::PACKED` the policy without its docs is.
    head: std::ops::Range<usize>,
    /// Where in `embedded::PACKED` its `docs` table is.
    docs: std::ops::Range<usize>,
    /// Where in `embedded::PACKED` the `fail-if` and `args` of its `[match]` are.
    rule: std::ops::Range<usize>,
}

/// Load a built-in policy at start-up from its packed form, docs and
/// compilation deferred. The tests load every built-in policy from its text
/// as well, so what is deferred is known to be valid.
fn load_builtin(p: &EmbeddedPolicy) -> Result<Policy, PolicyError> {
    let packed = &embedded::PACKED;
    let loaded = packed::from_str::<PolicyDef>(&packed[p.head.clone()])
        .map_err(|e| PolicyError {
            file: p.file.to_string(),
            line: 1,
            message: e.to_string(),
        })
        .and_then(|def| {
            let docs = &packed[p.docs.clone()];
            let rule = &packed[p.rule.clone()];
            from_def(p.file, p.text, def, true, Deferral::Builtin { docs, rule })
        });
    // The packed form has no spans: the text tells the line of an error.
    loaded.map_err(|e| load_policy(p.file, p.text, true).err().unwrap_or(e))
}

/// A built-in policy's rule: its condition or its check's arguments are
/// deserialised from their packed form (`fail-if` and `args` of its
/// `[match]`) the first time a scope holds what it looks at. Not validated
/// here: the tests load every built-in policy from its text.
fn builtin_rule(file: &str, check: Option<&toml::Spanned<String>>, packed: &'static str) -> Rule {
    let file = file.to_string();
    let read = move || {
        let def = packed::from_str::<RuleDef>(packed).unwrap_or_else(|e| panic!("{file}: {e}"));
        (file, def)
    };
    match check {
        Some(name) => Rule::Check {
            name: name.get_ref().as_str().into(),
            check: crate::checks::lookup(name.get_ref()),
            args: LazyLock::new(Box::new(move || read().1.args)),
        },
        None => Rule::Condition(LazyLock::new(Box::new(move || {
            let (file, def) = read();
            let condition = def.fail_if.unwrap_or_else(|| panic!("{file}: no `fail-if`"));
            compile_with(&condition, &def.define)
                .unwrap_or_else(|e| panic!("{file}: {} (the tests load every built-in policy)", e.message))
        }))),
    }
}

/// The compiled condition of the built-in policy named `name`, for `fails`
/// conditions; `None` for an unknown name or a policy decided by a check.
/// Compiled once, on first use, and kept for the life of the process.
pub(crate) fn builtin_condition(name: &str) -> Option<&'static Condition> {
    static COMPILED: LazyLock<std::sync::Mutex<HashMap<&'static str, &'static Condition>>> =
        LazyLock::new(Default::default);
    let embedded = embedded::POLICIES
        .iter()
        .find(|p| std::path::Path::new(p.file).file_stem().is_some_and(|s| s == name))?;
    if let Some(done) = COMPILED.lock().ok()?.get(embedded.file) {
        return Some(done);
    }
    // Compiled without the lock held: the condition may itself name another policy.
    let def = packed::from_str::<RuleDef>(&embedded::PACKED[embedded.rule.clone()]).ok()?;
    let condition: &'static Condition = Box::leak(Box::new(compile_with(&def.fail_if?, &def.define).ok()?));
    Some(*COMPILED.lock().ok()?.entry(embedded.file).or_insert(condition))
}

/// The `[match]` part of a packed built-in policy that decides it.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RuleDef {
    fail_if: Option<ConditionDef>,
    #[serde(default)]
    define: BTreeMap<String, ConditionDef>,
    #[serde(default)]
    args: toml::Table,
}

/// The docs of a built-in policy, from their packed form.
fn builtin_docs(docs: &'static str, title: &str) -> Docs {
    Docs::of(packed::from_str(docs).unwrap_or_default(), title)
}

fn from_def(file: &str, text: &str, def: PolicyDef, builtin: bool, deferral: Deferral) -> Result<Policy, PolicyError> {
    let fail = |offset: Option<usize>, message: String| PolicyError {
        file: file.to_string(),
        line: line_of(text, offset),
        message,
    };
    let id = def.id.get_ref();
    if !valid_id(id) {
        return Err(fail(
            Some(def.id.span().start),
            format!("id `{id}` must be 2-4 capital letters and 4 digits, like `TF0001`"),
        ));
    }
    if !is_kebab(def.name.get_ref()) {
        return Err(fail(
            Some(def.name.span().start),
            format!("name `{}` must be kebab-case", def.name.get_ref()),
        ));
    }
    if def.title.trim().is_empty() || def.title.ends_with('.') {
        return Err(fail(None, "title must be non-empty and not end with a period".into()));
    }
    let msg = def.message.get_ref();
    if msg.trim().is_empty() || msg.ends_with('.') {
        return Err(fail(
            Some(def.message.span().start),
            "message must be non-empty and not end with a period".into(),
        ));
    }
    for placeholder in msg.split('{').skip(1).filter_map(|p| p.split('}').next()) {
        if !["resource", "path", "value"].contains(&placeholder) {
            return Err(fail(
                Some(def.message.span().start),
                format!("unknown placeholder `{{{placeholder}}}` in message; use {{resource}}, {{path}} or {{value}}"),
            ));
        }
    }
    for cwe in &def.cwe {
        let ok = cwe
            .get_ref()
            .strip_prefix("CWE-")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(fail(
                Some(cwe.span().start),
                format!("`{}` is not a CWE id like `CWE-311`", cwe.get_ref()),
            ));
        }
    }
    for r in &def.references {
        if !r.get_ref().starts_with("https://") {
            return Err(fail(
                Some(r.span().start),
                format!("reference `{}` must be an https URL", r.get_ref()),
            ));
        }
    }
    let d = &def.docs;
    for (field, value) in [
        ("docs.description", &d.description),
        ("docs.rationale", &d.rationale),
        ("docs.example", &d.example),
        ("docs.fix", &d.fix),
        ("docs.fixed-example", &d.fixed_example),
    ] {
        if builtin && matches!(deferral, Deferral::None) && value.trim().is_empty() {
            return Err(fail(None, format!("`{field}` must not be empty")));
        }
    }
    let m = &def.matcher;
    // Errors about the match as a whole point at its table.
    let match_at = || text.find("[match]");
    let mut selectors = Vec::new();
    let kinds = |v: &[String]| v.iter().map(|s| Str::from(s.as_str())).collect::<Vec<_>>();
    if !m.resource.is_empty() {
        selectors.push(Selector {
            class: "resource".into(),
            kinds: kinds(&m.resource),
        });
    }
    if !m.data.is_empty() {
        selectors.push(Selector {
            class: "data".into(),
            kinds: kinds(&m.data),
        });
    }
    if !m.provider.is_empty() {
        selectors.push(Selector {
            class: "provider".into(),
            kinds: kinds(&m.provider),
        });
    }
    for b in &m.block {
        if !["variable", "output", "module", "terraform", "locals"].contains(&b.as_str()) {
            return Err(fail(
                None,
                format!("`match.block` `{b}`: expected variable, output, module, terraform or locals"),
            ));
        }
        selectors.push(Selector {
            class: b.as_str().into(),
            kinds: vec![],
        });
    }
    for s in &m.subject {
        selectors.push(Selector {
            class: s.class.as_str().into(),
            kinds: kinds(&s.types),
        });
    }
    if def.input == InputKind::Terraform
        && selectors
            .iter()
            .any(|s| !crate::terraform::SUBJECT_CLASSES.contains(&&*s.class))
    {
        return Err(fail(
            None,
            "a Terraform policy selects `resource`, `data`, `provider` or `block`".into(),
        ));
    }
    let rule = match deferral {
        Deferral::Builtin { rule, .. } => builtin_rule(file, m.check.as_ref(), rule),
        Deferral::None => {
            let rule = match (&m.fail_if, &m.check) {
                (Some(c), None) => {
                    if selectors.is_empty() {
                        return Err(fail(
                            match_at(),
                            "`match` needs what to look at: `resource`, `data`, `provider`, `block` or `subject`"
                                .into(),
                        ));
                    }
                    Rule::Condition(ready(
                        compile_with(c, &m.define).map_err(|e| fail(e.offset.or(match_at()), e.message))?,
                    ))
                }
                (None, Some(name)) => {
                    if !check_exists(name.get_ref()) {
                        return Err(fail(
                            Some(name.span().start),
                            format!(
                                "unknown check `{}`; known checks: {}",
                                name.get_ref(),
                                crate::checks::names().join(", ")
                            ),
                        ));
                    }
                    Rule::Check {
                        name: name.get_ref().as_str().into(),
                        check: crate::checks::lookup(name.get_ref()),
                        args: ready(m.args.clone()),
                    }
                }
                _ => {
                    return Err(fail(
                        match_at(),
                        "`match` needs exactly one of `fail-if` (a condition) or `check` (a named Rust check)".into(),
                    ));
                }
            };
            if m.fail_if.is_some() && !m.args.is_empty() {
                return Err(fail(match_at(), "`match.args` belongs to `check`".into()));
            }
            if m.fail_if.is_none() && !m.define.is_empty() {
                return Err(fail(match_at(), "`match.define` belongs to `fail-if`".into()));
            }
            rule
        }
    };
    Ok(Policy {
        id: def.id.into_inner().into(),
        name: def.name.into_inner().into(),
        title: def.title.clone(),
        severity: def.severity,
        category: def.category,
        input: def.input,
        confidence: def.confidence,
        message: def.message.into_inner(),
        aliases: def.aliases,
        split_from: def.split_from,
        cwe: def.cwe.into_iter().map(|c| c.into_inner()).collect(),
        references: def.references.into_iter().map(|r| r.into_inner()).collect(),
        compliance: def.compliance,
        equivalents: def.equivalents,
        docs: match deferral {
            Deferral::None => ready(Docs::of(def.docs, &def.title)),
            Deferral::Builtin { docs, .. } => {
                let title = def.title.clone();
                LazyLock::new(Box::new(move || builtin_docs(docs, &title)))
            }
        },
        selectors,
        rule,
        source: file.to_string(),
        builtin,
    })
}

/// The set of policies of a run.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    pub policies: Vec<Arc<Policy>>,
    by_key: HashMap<String, usize>,
    /// For each kind of scope (by [`InputKind::index`]), the indices of the
    /// policies that apply to it, in order: every scope of a scan (one per
    /// file, at least) runs only those, without testing every policy.
    applying: [Vec<usize>; InputKind::ALL.len()],
    /// A number for each (class, kind) pair some policy selects (kind `""`:
    /// the whole class), so a scope can tell once which pairs it holds.
    selector_ids: HashMap<Str, HashMap<Str, u32>>,
    /// For each policy whose hits come only from the subjects its
    /// selectors select (a condition), the numbers of those pairs: where a
    /// scope holds none of them, the policy has nothing to look at.
    selects: Vec<Option<Vec<u32>>>,
}

/// The (class, kind) pairs of [`Registry::selector_ids`] a scope holds, as
/// bits.
pub struct Selected(Vec<u64>);

impl Selected {
    fn has(&self, id: u32) -> bool {
        self.0.get(id as usize / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn add(&mut self, id: u32) {
        let word = id as usize / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (id % 64);
    }
}

/// `POLICIES` (each an [`EmbeddedPolicy`]), `PACKED` and `FRAMEWORKS`, written by `build.rs`.
mod embedded {
    use super::EmbeddedPolicy;
    include!(concat!(env!("OUT_DIR"), "/embedded_policies.rs"));
}

/// The compliance framework files embedded from `policies/frameworks/`:
/// (path, text). They describe controls; they are not policies.
pub fn embedded_frameworks() -> &'static [(&'static str, &'static str)] {
    embedded::FRAMEWORKS
}

impl Registry {
    /// The built-in policies, validated. Every error is returned, not just the first.
    pub fn builtin() -> Result<Registry, Vec<PolicyError>> {
        use rayon::prelude::*;
        let loaded: Vec<Result<Policy, PolicyError>> = embedded::POLICIES.par_iter().map(load_builtin).collect();
        Self::collect(loaded.into_iter())
    }

    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (String, &'a str)>,
        builtin: bool,
    ) -> Result<Registry, Vec<PolicyError>> {
        Self::collect(
            sources
                .into_iter()
                .map(|(file, text)| load_policy(&file, text, builtin)),
        )
    }

    /// A registry of `loaded`, or every error (loading and duplicate keys).
    fn collect(loaded: impl Iterator<Item = Result<Policy, PolicyError>>) -> Result<Registry, Vec<PolicyError>> {
        let mut reg = Registry::default();
        let mut errors = Vec::new();
        for p in loaded {
            if let Err(e) = p.and_then(|p| reg.add(p)) {
                errors.push(e);
            }
        }
        if errors.is_empty() { Ok(reg) } else { Err(errors) }
    }

    /// Add a policy; its id, name and aliases must be new.
    pub fn add(&mut self, p: Policy) -> Result<(), PolicyError> {
        let keys: Vec<String> = std::iter::once(p.id.to_string())
            .chain(std::iter::once(p.name.to_string()))
            .chain(p.aliases.iter().cloned())
            .map(|k| k.to_ascii_lowercase())
            .collect();
        for k in &keys {
            if let Some(&other) = self.by_key.get(k) {
                return Err(PolicyError {
                    file: p.source.clone(),
                    line: 1,
                    message: format!(
                        "`{k}` is already used by {} ({})",
                        self.policies[other].id, self.policies[other].source
                    ),
                });
            }
        }
        let idx = self.policies.len();
        for k in keys {
            self.by_key.insert(k, idx);
        }
        self.add_applying(&p, idx);
        self.policies.push(Arc::new(p));
        Ok(())
    }

    /// Note that policy `p`, to be number `idx`, applies to the scopes it
    /// applies to, and number the pairs it selects.
    fn add_applying(&mut self, p: &Policy, idx: usize) {
        for scope in InputKind::ALL {
            if p.input.applies_to(scope) {
                self.applying[scope.index()].push(idx);
            }
        }
        let selects = matches!(p.rule, Rule::Condition(_)).then(|| {
            let mut ids = Vec::new();
            for sel in &p.selectors {
                let kinds: &[Str] = if sel.kinds.is_empty() {
                    &[Str::from("")]
                } else {
                    &sel.kinds
                };
                for kind in kinds {
                    let next = self.selector_ids.values().map(HashMap::len).sum::<usize>() as u32;
                    let class = self.selector_ids.entry(sel.class.clone()).or_default();
                    ids.push(*class.entry(kind.clone()).or_insert(next));
                }
            }
            ids
        });
        debug_assert_eq!(self.selects.len(), idx);
        self.selects.push(selects);
    }

    /// The policies that apply to a scope of kind `scope`, in registry order.
    pub fn applying_to(&self, scope: InputKind) -> impl Iterator<Item = &Arc<Policy>> {
        self.applying[scope.index()].iter().map(|&i| &self.policies[i])
    }

    /// The pairs of class and kind some policy selects that `set` holds.
    pub fn selected_in(&self, set: &SubjectSet) -> Selected {
        let mut selected = Selected(Vec::new());
        for (class, kinds) in set.classes() {
            let Some(ids) = self.selector_ids.get(class) else {
                continue;
            };
            if let Some(&id) = ids.get("") {
                selected.add(id);
            }
            for kind in kinds {
                if let Some(&id) = ids.get(kind) {
                    selected.add(id);
                }
            }
        }
        selected
    }

    /// [`Self::applying_to`], without the policies that can find nothing in
    /// a scope holding `selected`: conditions none of whose selectors
    /// select a subject there. Same order.
    pub fn applying_in(&self, scope: InputKind, selected: &Selected) -> impl Iterator<Item = &Arc<Policy>> {
        self.applying[scope.index()]
            .iter()
            .filter(move |&&i| match &self.selects[i] {
                Some(ids) => ids.iter().any(|&id| selected.has(id)),
                None => true,
            })
            .map(|&i| &self.policies[i])
    }

    /// Add a policy already shared with another registry (one-policy runs).
    pub fn insert_shared(&mut self, p: Arc<Policy>) {
        let idx = self.policies.len();
        for k in std::iter::once(p.id.to_string())
            .chain(std::iter::once(p.name.to_string()))
            .chain(p.aliases.iter().cloned())
        {
            self.by_key.insert(k.to_ascii_lowercase(), idx);
        }
        self.add_applying(&p, idx);
        self.policies.push(p);
    }

    /// Find a policy by id, name or alias.
    pub fn get(&self, key: &str) -> Option<&Arc<Policy>> {
        self.by_key.get(&key.to_ascii_lowercase()).map(|&i| &self.policies[i])
    }

    /// Keep only the policies `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&Policy) -> bool) {
        let kept: Vec<Arc<Policy>> = self.policies.drain(..).filter(|p| keep(p)).collect();
        self.by_key.clear();
        self.applying = Default::default();
        self.selector_ids.clear();
        self.selects.clear();
        self.policies = Vec::new();
        for p in kept {
            self.insert_shared(p);
        }
    }

    /// Policies sorted by id, for listings and SARIF.
    pub fn sorted(&self) -> Vec<&Arc<Policy>> {
        let mut v: Vec<&Arc<Policy>> = self.policies.iter().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_applying_to_a_scope_are_those_whose_input_applies() {
        let mut registry = Registry::builtin().expect("built-in policies load");
        for round in 0..2 {
            for scope in InputKind::ALL {
                assert_eq!(InputKind::ALL[scope.index()], scope);
                let indexed: Vec<&str> = registry.applying_to(scope).map(|p| &*p.id).collect();
                let filtered: Vec<&str> = registry
                    .policies
                    .iter()
                    .filter(|p| p.input.applies_to(scope))
                    .map(|p| &*p.id)
                    .collect();
                assert_eq!(indexed, filtered, "{scope:?}, round {round}");
            }
            // The index is rebuilt when policies are left out.
            registry.retain(|p| p.severity != Severity::Info && !p.id.ends_with('1'));
        }
    }

    #[test]
    fn a_scope_runs_every_policy_that_selects_something_in_it() {
        use crate::subject::{Native, Subject};
        let subject = Subject::bare;
        let sets = [
            vec![subject("resource", "aws_s3_bucket"), subject("variable", "name")],
            vec![subject("resource", "aws_security_group"), subject("provider", "aws")],
            vec![subject("data", "aws_iam_policy_document"), subject("module", "vpc")],
            vec![subject("resource", "no_policy_selects_this")],
        ]
        .map(|subjects| SubjectSet::new(InputKind::Terraform, subjects, Native::None));
        let mut registry = Registry::builtin().expect("built-in policies load");
        for round in 0..2 {
            for set in &sets {
                let selected = registry.selected_in(set);
                let run: Vec<&str> = registry
                    .applying_in(InputKind::Terraform, &selected)
                    .map(|p| &*p.id)
                    .collect();
                // Left out: only conditions that select nothing in the set.
                let needed: Vec<&str> = registry
                    .applying_to(InputKind::Terraform)
                    .filter(|p| {
                        !matches!(p.rule, Rule::Condition(_))
                            || p.selectors.iter().any(|sel| set.count(&sel.class, &sel.kinds) > 0)
                    })
                    .map(|p| &*p.id)
                    .collect();
                assert_eq!(run, needed, "round {round}");
            }
            // The pairs are numbered again when policies are left out.
            registry.retain(|p| !p.id.ends_with('3'));
        }
    }

    const VALID: &str = r#"id = "TF9001"
name = "example-policy"
title = "Example"
severity = "low"
category = "hygiene"
input = "terraform"
message = "{resource} is an example"

[docs]
description = "d"
rationale = "r"
example = "e"
fix = "f"
fixed-example = "g"

[match]
resource = ["aws_s3_bucket"]
fail-if = { path = "acl", equals = "public-read" }
"#;

    fn error_of(text: &str) -> PolicyError {
        load_policy("p.toml", text, false).expect_err("should be rejected")
    }

    #[test]
    fn a_valid_policy_loads() {
        let p = load_policy("p.toml", VALID, false).unwrap();
        assert_eq!(&*p.id, "TF9001");
        assert!(matches!(p.rule, Rule::Condition(_)));
    }

    #[test]
    fn errors_name_the_line_and_what_is_wrong() {
        let cases: &[(&str, &str, usize, &str)] = &[
            (
                "title = \"Example\"",
                "title = \"Example\"\ncolour = \"red\"",
                4,
                "unknown field `colour`",
            ),
            ("id = \"TF9001\"", "id = \"T1\"", 1, "capital letters and 4 digits"),
            (
                "name = \"example-policy\"",
                "name = \"Example_Policy\"",
                2,
                "kebab-case",
            ),
            (
                "severity = \"low\"",
                "severity = \"urgent\"",
                4,
                "unknown variant `urgent`",
            ),
            (
                "path = \"acl\", equals",
                "path = \"acl..x\", equals",
                18,
                "path `acl..x`",
            ),
            (
                "fail-if = { path = \"acl\", equals = \"public-read\" }",
                "fail-if = { predicate = \"no-such\" }",
                18,
                "unknown predicate `no-such`",
            ),
            (
                "fail-if = { path = \"acl\", equals = \"public-read\" }",
                "fail-if = { fails = \"no-such-policy\" }",
                18,
                "`no-such-policy` is not a built-in policy",
            ),
            (
                "fail-if = { path = \"acl\", equals = \"public-read\" }",
                "fail-if = { path = \"acl\", equals = 1, matches = \"x\" }",
                18,
                "exactly one test",
            ),
            (
                "fail-if = { path = \"acl\", equals = \"public-read\" }",
                "fail-if = { path = \"acl\", matches = \"(\" }",
                18,
                "invalid regular expression",
            ),
            (
                "fail-if = { path = \"acl\", equals = \"public-read\" }",
                "fail-if = { all = [], path = \"acl\", exists = true }",
                18,
                "exactly one of",
            ),
            (
                "{resource} is an example",
                "{resource} is {colour}",
                7,
                "unknown placeholder `{colour}`",
            ),
            (
                "fail-if = { path = \"acl\", equals = \"public-read\" }",
                "check = \"no-such-check\"",
                18,
                "unknown check `no-such-check`",
            ),
        ];
        for (from, to, line, what) in cases {
            assert!(VALID.contains(from), "{from}");
            let e = error_of(&VALID.replacen(from, to, 1));
            assert!(e.message.contains(what), "{to}: {e}");
            assert_eq!(e.line, *line, "{to}: {e}");
            assert_eq!(e.file, "p.toml");
        }
    }

    /// Start-up loads built-in policies from their packed form, without
    /// their docs, and compiles their conditions on first use: here every
    /// one is loaded from its text as well, in full, and must agree once
    /// what start-up deferred is made.
    #[test]
    fn builtin_policies_load_from_text_and_packed_alike() {
        fn made(p: &Policy) -> &Policy {
            p.docs();
            match &p.rule {
                Rule::Condition(c) => drop(LazyLock::force(c)),
                Rule::Check { args, .. } => drop(LazyLock::force(args)),
            }
            p
        }
        let registry = Registry::builtin().expect("built-in policies load");
        assert_eq!(registry.policies.len(), embedded::POLICIES.len());
        for (embedded, packed) in embedded::POLICIES.iter().zip(&registry.policies) {
            let eager = load_policy(embedded.file, embedded.text, true).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                format!("{:?}", made(&eager)),
                format!("{:?}", made(packed)),
                "{}",
                embedded.file
            );
        }
    }

    #[test]
    fn ids_names_and_aliases_are_unique() {
        let other = VALID.replace("TF9001", "TF9002");
        let errors = Registry::from_sources(
            [("a.toml".to_string(), VALID), ("b.toml".to_string(), other.as_str())],
            false,
        )
        .expect_err("duplicate name");
        assert!(errors[0].message.contains("already used by TF9001"), "{}", errors[0]);
    }
}
