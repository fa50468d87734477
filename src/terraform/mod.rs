//! Terraform: modules (the `.tf` files of one directory), their evaluation,
//! and the subjects policies see (resources, data sources, providers,
//! variables, outputs, module calls).
//!
//! A scan's Terraform files form a [`Project`]: every directory is a
//! module. A module that another one calls through a local `source` is
//! evaluated through its callers, with their arguments; the others are root
//! modules, each one scope of subjects holding its own resources and those
//! of every module it calls (addresses `module.name.…`).

pub mod access_keys;
pub mod activity_log_alerts;
pub mod cloudtrail_alarms;
pub mod eval;
pub mod gcp_log_alerts;
pub mod logging_query;
pub mod metric_filter_pattern;
pub mod models;
mod monitoring;
pub mod plan;
pub mod provider_credentials;

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::hcl::{Block, Body, Comment};
use crate::notice::Notice;
use crate::policy::InputKind;
use crate::source::{FileId, SourceMap, Span};
use crate::subject::{Native, Subject, SubjectSet};
use crate::value::{Str, Val};

use eval::{Evaluator, Instances, Scope, cat};

/// Rust checks for Terraform policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[
    crate::checks::Check {
        name: "provider-static-credentials",
        input: InputKind::Terraform,
        description: "Literal AWS credentials (`access_key`, `secret_key`, `token` with the shape of real ones) in an `aws` provider block; the value is redacted in every output.",
        run: provider_credentials::provider_static_credentials,
    },
    crate::checks::Check {
        name: "cloudtrail-metric-alarm",
        input: InputKind::Terraform,
        description: "A configuration with CloudTrail metric filters lacks a filter (and an alarm on its metric) that catches the CIS AWS monitoring event class named by `args.control` (`root-account-use`, `iam-policy-changes`…); filters are compared by the events they match.",
        run: cloudtrail_alarms::cloudtrail_metric_alarm,
    },
    crate::checks::Check {
        name: "azure-activity-log-alert",
        input: InputKind::Terraform,
        description: "A configuration with activity log alerts on administrative operations lacks an enabled one, on the whole subscription, with an action group, that catches every event of the Azure operation named by `args.operation` (`Microsoft.Network/networkSecurityGroups/write`…); names compare without case, filters on caller, level, status, resource group or resource disqualify.",
        run: activity_log_alerts::azure_activity_log_alert,
    },
    crate::checks::Check {
        name: "gcp-log-metric-alert",
        input: InputKind::Terraform,
        description: "A configuration with logs-based metrics on audit logs lacks a metric (with an alert policy on it) or a log-match alert whose filter catches the CIS GCP monitoring event class named by `args.control` (`custom-role-changes`, `firewall-rule-changes`…); filters are compared by the entries they match.",
        run: gcp_log_alerts::gcp_log_metric_alert,
    },
    crate::checks::Check {
        name: "iam-user-several-access-keys",
        input: InputKind::Terraform,
        description: "An IAM user is given more than one active `aws_iam_access_key` in the module (keys grouped by the user's name, or by the `aws_iam_user` they refer to); `Inactive` keys do not count, a key of unknown status makes it inconclusive.",
        run: access_keys::iam_user_several_access_keys,
    },
];

/// One parsed `.tf` (or `.tfvars`) file.
#[derive(Debug)]
pub struct TfFile {
    pub file: FileId,
    pub body: Body,
    pub comments: Vec<Comment>,
}

/// The configuration files of one directory.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<TfFile>,
    /// `terraform.tfvars` and `*.auto.tfvars` (and their `.json` forms) of
    /// the directory, in load order.
    pub var_files: Vec<TfFile>,
}

/// Options that change values: `--var-file`, `--var`.
#[derive(Debug, Clone, Default)]
pub struct TfOptions {
    /// Do not evaluate known-module models for registry modules that are
    /// not installed (`--no-module-models`, `module-models = false`).
    pub no_module_models: bool,
    /// `NAME=VALUE` pairs given on the command line (strings, as Terraform's `-var`).
    pub vars: Vec<(String, String)>,
    /// `--var-file` paths, applied after the directory's own tfvars files.
    pub var_files: Vec<PathBuf>,
}

impl Module {
    pub fn blocks(&self) -> impl Iterator<Item = (&TfFile, &Block)> {
        self.files
            .iter()
            .flat_map(|f| f.body.blocks.iter().map(move |b| (f, b)))
    }
}

/// Every Terraform module of a scan, and what applies to all root modules.
#[derive(Debug, Default)]
pub struct Project {
    pub modules: Vec<Module>,
    /// Parsed `--var-file` files.
    pub cli_var_files: Vec<TfFile>,
    by_dir: HashMap<PathBuf, usize>,
    /// Modules installed by `terraform init`, from `.terraform/modules/modules.json`:
    /// (root directory, module key such as `vpc` or `vpc.subnets`) → module.
    installed: HashMap<(PathBuf, String), usize>,
    /// The files of installed modules: code the user does not own.
    installed_files: HashSet<FileId>,
    /// Known-module models standing for registry modules that are not
    /// installed: (registry address, `version` as written) → module.
    models: HashMap<(String, Option<String>), usize>,
    /// The modules of loaded models' code.
    model_parts: HashSet<usize>,
    /// The files of loaded models, with what they model
    /// (`terraform-aws-modules/s3-bucket/aws (releases >= 3.0.0, < 3.9.0)`).
    model_files: HashMap<FileId, String>,
}

/// The `version` constraint of a `module` call, as written.
fn call_version(call: &Block) -> Option<String> {
    match &call.body.attribute("version")?.value.kind {
        crate::hcl::ExprKind::Template(t) => t.as_literal().map(|v| v.trim().to_string()),
        _ => None,
    }
}

/// The literal `source` of a `module` call.
pub fn call_source(call: &Block) -> Option<&str> {
    match &call.body.attribute("source")?.value.kind {
        crate::hcl::ExprKind::Template(t) => t.as_literal(),
        _ => None,
    }
}

/// The key under which a model stands for this call: its registry address
/// and version constraint. `None` for a source that is not a registry address.
pub fn model_key(call: &Block) -> Option<(String, Option<String>)> {
    let address = models::registry_address(call_source(call)?)?;
    Some((address, call_version(call)))
}

impl Project {
    pub fn new(modules: Vec<Module>, cli_var_files: Vec<TfFile>) -> Project {
        let by_dir = modules
            .iter()
            .enumerate()
            .map(|(i, m)| (normalize(&m.dir), i))
            .collect();
        Project {
            modules,
            cli_var_files,
            by_dir,
            installed: HashMap::new(),
            installed_files: HashSet::new(),
            models: HashMap::new(),
            model_parts: HashSet::new(),
            model_files: HashMap::new(),
        }
    }

    /// Record a loaded model (already in `modules`, in `dir`) standing for
    /// the calls with this key.
    pub fn add_model(&mut self, key: (String, Option<String>), dir: &Path) {
        if let Some(&i) = self.by_dir.get(&normalize(dir)) {
            self.models.insert(key, i);
        }
    }

    /// Record a module of a model's code (already in `modules`, in `dir`:
    /// the model itself or one it calls); `what` names the module and releases.
    pub fn add_model_part(&mut self, dir: &Path, what: &str) {
        if let Some(&i) = self.by_dir.get(&normalize(dir)) {
            self.model_parts.insert(i);
            for f in &self.modules[i].files {
                self.model_files.insert(f.file, what.to_string());
            }
        }
    }

    /// What the model whose code holds `file` stands for, if it is one.
    pub fn model_of(&self, file: FileId) -> Option<&str> {
        self.model_files.get(&file).map(String::as_str)
    }

    /// Whether module `i` is only evaluated through its callers: installed
    /// by `terraform init`, or a model.
    fn is_dependency(&self, i: usize) -> bool {
        self.installed.values().any(|&x| x == i) || self.model_parts.contains(&i)
    }

    /// Record a module that `terraform init` installed for the root module
    /// in `root` under `key` (`vpc`, `vpc.subnets`), already in `modules`.
    pub fn add_installed(&mut self, root: &Path, key: String, dir: &Path) {
        if let Some(&i) = self.by_dir.get(&normalize(dir)) {
            self.installed.insert((normalize(root), key), i);
            self.installed_files
                .extend(self.modules[i].files.iter().map(|f| f.file));
        }
    }

    /// Whether `file` belongs to a module `terraform init` installed.
    pub fn is_installed(&self, file: FileId) -> bool {
        self.installed_files.contains(&file)
    }

    /// Whether `file` is code the user does not own: an installed module's, or a model's.
    pub fn is_external(&self, file: FileId) -> bool {
        self.is_installed(file) || self.model_files.contains_key(&file)
    }

    /// The module in `dir`, if it is part of the scan.
    pub fn module_at(&self, dir: &Path) -> Option<&Module> {
        self.by_dir.get(&normalize(dir)).map(|&i| &self.modules[i])
    }

    /// The module a `module` block calls: a local directory of the scan, an
    /// installed module of the root, or else a model of the registry module.
    /// `None` when its source is not here.
    pub fn called_module(
        &self,
        root: &Path,
        caller: &Module,
        name: &str,
        call: &Block,
        prefix: &str,
    ) -> Option<&Module> {
        let source = call_source(call)?;
        if is_local(source) {
            return self.module_at(&caller.dir.join(source));
        }
        let key = module_key(prefix, name);
        let i = match self.installed.get(&(normalize(root), key)) {
            Some(&i) => i,
            None => *self.models.get(&model_key(call)?)?,
        };
        Some(&self.modules[i])
    }

    /// Modules evaluated on their own: those no other module of the scan
    /// calls through a local source (and any left unreachable by a cycle).
    pub fn roots(&self) -> Vec<usize> {
        let mut called: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut is_child: HashSet<usize> = self.installed.values().chain(&self.model_parts).copied().collect();
        for (i, m) in self.modules.iter().enumerate() {
            for (_, b) in m.blocks() {
                if &*b.ty != "module" {
                    continue;
                }
                if let Some(source) = b.body.attribute("source").and_then(|s| match &s.value.kind {
                    crate::hcl::ExprKind::Template(t) => t.as_literal(),
                    _ => None,
                }) && is_local(source)
                    && let Some(&j) = self.by_dir.get(&normalize(&m.dir.join(source)))
                    && j != i
                {
                    called.entry(i).or_default().push(j);
                    is_child.insert(j);
                }
            }
        }
        let mut roots: Vec<usize> = (0..self.modules.len())
            .filter(|i| !is_child.contains(i) && !self.modules[*i].files.is_empty())
            .collect();
        // Modules that only call each other: start from the first of each cycle.
        let mut reached: HashSet<usize> = HashSet::new();
        let mut stack = roots.clone();
        while let Some(i) = stack.pop() {
            if reached.insert(i) {
                stack.extend(called.get(&i).into_iter().flatten().copied());
            }
        }
        for i in 0..self.modules.len() {
            if !reached.contains(&i) && !self.is_dependency(i) && !self.modules[i].files.is_empty() {
                roots.push(i);
                let mut stack = vec![i];
                while let Some(k) = stack.pop() {
                    if reached.insert(k) {
                        stack.extend(called.get(&k).into_iter().flatten().copied());
                    }
                }
            }
        }
        roots
    }
}

/// `./x`, `../x`: a directory next to the caller.
fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// The `modules.json` key of a call: `module.a["x"].module.b.` + `c` → `a.b.c`.
fn module_key(prefix: &str, name: &str) -> String {
    let mut parts: Vec<&str> = prefix
        .split("module.")
        .filter(|p| !p.is_empty())
        .map(|p| {
            let p = p.trim_end_matches('.');
            p.split('[').next().unwrap_or(p)
        })
        .collect();
    parts.push(name);
    parts.join(".")
}

/// A path with `.` and `..` resolved lexically (no file system access).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Where `terraform init` writes the list of the modules it installed.
pub const MODULES_MANIFEST: &str = ".terraform/modules/modules.json";

#[derive(serde::Deserialize)]
struct Manifest {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestEntry>,
}

#[derive(serde::Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "Dir", default)]
    dir: String,
}

/// The modules `terraform init` installed for the root module in `root`,
/// as (key, directory) pairs read from its `modules.json` (`Ok(vec![])`
/// when there is none). Only directories inside `.terraform/modules` are
/// kept: local modules are part of the scan already, and a manifest never
/// sends the scan elsewhere. Nothing is ever downloaded.
pub fn installed_modules(root: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let manifest = root.join(MODULES_MANIFEST);
    let text = match std::fs::read_to_string(&manifest) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let parsed: Manifest = serde_json::from_str(&text).map_err(|e| {
        format!(
            "line {}: not a module manifest: {e}; installed modules are not evaluated",
            e.line()
        )
    })?;
    let store = normalize(&root.join(".terraform/modules"));
    Ok(parsed
        .modules
        .into_iter()
        .filter(|m| !m.key.is_empty())
        .filter_map(|m| {
            let dir = normalize(&root.join(&m.dir));
            (dir.starts_with(&store) && dir != store).then_some((m.key, dir))
        })
        .collect())
}

/// Findings whose place is in code the user does not own are reported at
/// the `module` block of the user's code that brought that code in. For an
/// installed module (under `.terraform`) its line stays a related location.
/// A model has no file to show: each of its lines a finding names becomes
/// a related location at the call's `version` (which chose the model's
/// defaults), quoting the model's line.
pub fn report_installed_at_callers(
    project: &Project,
    set: &SubjectSet,
    sources: &SourceMap,
    findings: &mut [crate::finding::Finding],
) {
    for f in findings.iter_mut() {
        let inside_external = project.is_external(f.primary.file);
        let names_model = f.related.iter().any(|(span, _)| project.model_of(span.file).is_some());
        if !inside_external && !names_model {
            continue;
        }
        // The deepest call, written in a file of the user's, whose module
        // holds the finding's resource.
        let call = set
            .select("module", &[])
            .filter(|call| !project.is_external(call.file))
            .filter(|call| {
                f.address.len() > call.address.len()
                    && f.address.starts_with(&*call.address)
                    && f.address.as_bytes()[call.address.len()] == b'.'
            })
            .max_by_key(|call| call.address.len());
        let Some(call) = call else {
            f.related.retain(|(span, _)| project.model_of(span.file).is_none());
            continue;
        };
        if inside_external {
            let inside = f.primary;
            f.primary = call.header;
            f.enclosing = vec![call.header.to(call.span)];
            f.related.retain(|(span, _)| *span != call.header);
            let message = format!("in the code of {}, installed by `terraform init`", call.address);
            f.related.insert(0, (inside, message));
        }
        let at_version = call.value.get("version").and_then(|v| v.span).unwrap_or(call.header);
        let mut related: Vec<(Span, String)> = Vec::with_capacity(f.related.len());
        for (span, message) in f.related.drain(..) {
            let entry = match project.model_of(span.file) {
                Some(what) => {
                    let source = sources.get(span.file);
                    let line = source.line_text(source.position(span.start).line).trim();
                    let message = format!("{what} is not installed: Palisade's model of it has `{line}`");
                    (at_version, message)
                }
                None => (span, message),
            };
            if !related.contains(&entry) {
                related.push(entry);
            }
        }
        f.related = related;
    }
}

/// Evaluate a root module (and every module it calls) into one scope of
/// subjects, with notices about what could not be evaluated.
pub fn root_subjects(
    project: &Project,
    root: usize,
    sources: &SourceMap,
    options: &TfOptions,
) -> (SubjectSet, Vec<Notice>) {
    let module = &project.modules[root];
    let ev = Evaluator::new(project, module, options);
    let mut subjects = Vec::new();
    collect(&ev, &[], &mut subjects);
    let notices = ev
        .notices()
        .into_iter()
        .map(|n| match n.span {
            Some(span) if (span.file.0 as usize) < sources.len() => {
                let file = sources.get(span.file);
                Notice::note(file.display.clone(), Some(file.position(span.start).line), n.message)
            }
            _ => {
                let file = module
                    .files
                    .first()
                    .map(|f| sources.get(f.file).display.clone())
                    .unwrap_or_default();
                Notice::note(file, None, n.message)
            }
        })
        .collect();
    (SubjectSet::new(InputKind::Terraform, subjects, Native::None), notices)
}

/// The subjects of one module instance, then those of the modules it calls.
fn collect(ev: &Evaluator, context: &[(Span, Str)], out: &mut Vec<Subject>) {
    let prefix = ev.prefix().to_string();
    for (file, block) in ev.module().blocks() {
        let (class, kind, address): (&str, &Str, String) = match (&*block.ty, block.labels.as_slice()) {
            ("resource", [ty, name]) => ("resource", ty, cat(&[ty, ".", name])),
            ("data", [ty, name]) => ("data", ty, cat(&["data.", ty, ".", name])),
            ("provider", [name]) => {
                let alias = block
                    .body
                    .attribute("alias")
                    .and_then(|a| ev.eval(&a.value, &Scope::default()).as_str().map(str::to_string));
                let address = match alias {
                    Some(a) => format!("provider.{name}.{a}"),
                    None => format!("provider.{name}"),
                };
                ("provider", name, address)
            }
            ("variable", [name]) => ("variable", name, cat(&["var.", name])),
            ("output", [name]) => ("output", name, cat(&["output.", name])),
            ("module", [name]) => ("module", name, cat(&["module.", name])),
            ("terraform", []) => ("terraform", &block.ty, "terraform".to_string()),
            _ => continue,
        };
        let expands = matches!(class, "resource" | "data" | "module");
        let instances = if expands {
            ev.instances_of(block, &address)
        } else {
            std::rc::Rc::new(Instances::Single)
        };
        for instance in instances.list() {
            let expanded = !matches!(&*instances, Instances::Single | Instances::Unknown(_));
            let value: Val = ev.subject_value(block, expanded.then_some(instance));
            out.push(Subject {
                class: class_name(class),
                kind: kind.clone(),
                address: cat(&[&prefix, &address, &instance.suffix]).into(),
                instance: (!instance.suffix.is_empty()).then(|| instance.suffix.clone()),
                file: file.file,
                header: block.header,
                span: block.span,
                value,
                context: context.to_vec(),
            });
            if class == "module"
                && let Some(child) = ev.child(kind, block, expanded.then_some(instance))
            {
                let mut inner = context.to_vec();
                inner.push((
                    block.header,
                    format!("in {prefix}{address}{}, called here", instance.suffix).into(),
                ));
                collect(&child, &inner, out);
            }
        }
    }
}

/// The classes of Terraform subjects: the top-level block types a policy can
/// select (`locals` blocks only through `match.block`).
pub const SUBJECT_CLASSES: [&str; 8] = [
    "resource",
    "data",
    "provider",
    "variable",
    "output",
    "module",
    "terraform",
    "locals",
];

/// A subject class as a shared string: made once, not once per subject.
fn class_name(class: &str) -> Str {
    static CLASSES: std::sync::LazyLock<Vec<Str>> =
        std::sync::LazyLock::new(|| SUBJECT_CLASSES.into_iter().map(Str::from).collect());
    CLASSES
        .iter()
        .find(|c| ***c == *class)
        .cloned()
        .unwrap_or_else(|| class.into())
}

/// An address with the module calls it lies in taken off:
/// `module.m["a.b"].module.n[1].aws_s3_bucket.b` is `aws_s3_bucket.b`.
/// None for a module call itself (`module.m`).
pub fn local_address(address: &str) -> Option<&str> {
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        rest = &after[module_call_end(after)? + 1..];
    }
    Some(rest)
}

/// The position of the dot ending a module call's name and key in `text`
/// (`app["a.b"].x` → 8), skipping dots inside a quoted key.
fn module_call_end(text: &str) -> Option<usize> {
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '.' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// A notice for each name a module defines twice (a resource, data source,
/// module call, variable, output or local value): Terraform rejects such a
/// module, and Palisade checks each definition as written. Override files
/// (`override.tf`, `*_override.tf` and their `.json` forms) are meant to
/// redefine names and are left out.
pub fn duplicate_definitions(module: &Module, sources: &SourceMap) -> Vec<Notice> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut notices = Vec::new();
    for f in &module.files {
        let file = sources.get(f.file);
        if is_override_file(&file.path) {
            continue;
        }
        let mut define = |address: String, at: Span| {
            if !seen.insert(address.clone()) {
                let message = format!(
                    "`{address}` is defined again here: Terraform rejects a module that defines a name twice; each definition is checked as written"
                );
                notices.push(Notice::note(
                    file.display.clone(),
                    Some(file.position(at.start).line),
                    message,
                ));
            }
        };
        for block in &f.body.blocks {
            match (&*block.ty, block.labels.as_slice()) {
                ("variable", [name]) => define(format!("var.{name}"), block.header),
                ("output", [name]) => define(format!("output.{name}"), block.header),
                ("module", [name]) => define(format!("module.{name}"), block.header),
                ("resource", [ty, name]) => define(format!("{ty}.{name}"), block.header),
                ("data", [ty, name]) => define(format!("data.{ty}.{name}"), block.header),
                ("locals", []) => {
                    for a in &block.body.attributes {
                        define(format!("local.{}", a.name), a.span);
                    }
                }
                _ => {}
            }
        }
    }
    notices
}

/// Whether Terraform merges `path` into the module's other files.
fn is_override_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = name
        .strip_suffix(".tf")
        .or_else(|| name.strip_suffix(".tf.json"))
        .unwrap_or("");
    stem == "override" || stem.ends_with("_override")
}

/// Where a variables file stands in Terraform's load order (later wins), or
/// `None` for a file Terraform does not load by itself (`prod.tfvars` is
/// only read through `--var-file`).
pub fn var_file_rank(path: &Path) -> Option<(u8, String)> {
    let name = path.file_name()?.to_str()?;
    let rank = match name {
        "terraform.tfvars" => 0,
        "terraform.tfvars.json" => 1,
        _ if name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json") => 2,
        _ => return None,
    };
    Some((rank, name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_files() {
        for yes in [
            "override.tf",
            "a/override.tf.json",
            "main_override.tf",
            "x_override.tf.json",
        ] {
            assert!(is_override_file(Path::new(yes)), "{yes}");
        }
        for no in [
            "main.tf",
            "overrides.tf",
            "override.tfvars",
            "override_main.tf",
            "override",
        ] {
            assert!(!is_override_file(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn local_addresses() {
        for (address, local) in [
            ("aws_s3_bucket.b", Some("aws_s3_bucket.b")),
            ("module.m.random_id.i", Some("random_id.i")),
            (
                r#"module.m["a.b"].module.n[1].random_password.p"#,
                Some("random_password.p"),
            ),
            (
                r#"module.m["say \"x.y\""].data.google_project.p"#,
                Some("data.google_project.p"),
            ),
            (r#"module.m["random_x.y"].aws_s3_bucket.b"#, Some("aws_s3_bucket.b")),
            ("module.m", None),
            (r#"module.m["a"]"#, None),
        ] {
            assert_eq!(local_address(address), local, "{address}");
        }
    }

    #[test]
    fn a_module_manifest_never_leads_outside_the_module_store() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(installed_modules(root.path()), Ok(vec![]));
        std::fs::create_dir_all(root.path().join(".terraform/modules")).unwrap();
        let manifest = r#"{"Modules":[
            {"Key":"","Source":"","Dir":"."},
            {"Key":"vpc","Source":"terraform-aws-modules/vpc/aws","Dir":".terraform/modules/vpc"},
            {"Key":"local","Source":"./modules/x","Dir":"modules/x"},
            {"Key":"escape","Source":"x","Dir":".terraform/modules/../../../etc"}
        ]}"#;
        std::fs::write(root.path().join(MODULES_MANIFEST), manifest).unwrap();
        let found = installed_modules(root.path()).unwrap();
        assert_eq!(
            found,
            vec![(
                "vpc".to_string(),
                normalize(&root.path().join(".terraform/modules/vpc"))
            )]
        );
        std::fs::write(root.path().join(MODULES_MANIFEST), "{\"Modules\": [").unwrap();
        assert!(installed_modules(root.path()).unwrap_err().starts_with("line 1:"));
    }
}
