//! `.palisade.toml`: a repository's settings for Palisade, found at the
//! repository root (or given with `--config`). Read strictly: an unknown key
//! or a rule that names no policy is an error with file and line. The JSON
//! schema for editors (`docs/palisade.schema.json`) is generated from these
//! types by [`json_schema`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::policy::{Registry, Severity};

/// The file name looked for at the repository root.
pub const FILE_NAME: &str = ".palisade.toml";

/// A severity as written in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Level {
    pub fn severity(self) -> Severity {
        match self {
            Level::Critical => Severity::Critical,
            Level::High => Severity::High,
            Level::Medium => Severity::Medium,
            Level::Low => Severity::Low,
            Level::Info => Severity::Info,
        }
    }
}

/// The severity from which findings fail the run, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    #[value(help = "Never fail because of findings")]
    None,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::None => None,
        }
    }
}

/// Palisade's settings for one repository.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "Palisade configuration (.palisade.toml)")]
pub struct Config {
    /// Scan only files matching one of these globs (default: every file
    /// Palisade knows). Matched like `--exclude`, relative to the scanned folder.
    #[serde(default)]
    pub include: Vec<String>,
    /// Leave out files and folders matching these globs (added to `--exclude`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Fail the run from this severity (`--fail-on` wins when given).
    pub fail_on: Option<FailOn>,
    /// Honour a suppression comment only when it gives a reason.
    #[serde(default)]
    pub require_reason: bool,
    /// Terraform variable files applied to every module (as `--var-file`,
    /// before those given on the command line), relative to this file.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub var_files: Vec<Spanned<String>>,
    /// Evaluate Palisade's models of popular registry modules when they are
    /// not installed (default `true`; `false` as `--no-module-models`).
    pub module_models: Option<bool>,
    /// Folders of your own policies, relative to this file.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub policies: Vec<Spanned<String>>,
    /// A baseline file (`palisade baseline`): findings in it are not reported.
    pub baseline: Option<String>,
    /// Which policies run, their severities, and paths where they are ignored.
    #[serde(default)]
    pub rules: Rules,
    /// Where this configuration was read from (set when loading).
    #[serde(skip)]
    #[schemars(skip)]
    pub source: Option<ConfigSource>,
}

/// Where a configuration came from, to resolve its relative paths and to
/// place errors.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rules {
    /// Run only these policies (ids, names or aliases).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub enable: Vec<Spanned<String>>,
    /// Never run these policies.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub disable: Vec<Spanned<String>>,
    /// A different severity for some policies: `TF0002 = "critical"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Level>")]
    pub severity: BTreeMap<Spanned<String>, Level>,
    /// Paths (globs, relative to the repository root) where a policy is not
    /// reported: `TF0002 = ["legacy/**"]`. Such findings are kept in SARIF as
    /// suppressed.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub ignore_paths: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

/// A problem in a configuration file, located by file and line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Config {
    /// The `.palisade.toml` of the repository holding `start` (its git root,
    /// else `start` itself when it is a folder), if there is one.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let dir = crate::scan::git_root(start).or_else(|| start.is_dir().then(|| start.to_path_buf()))?;
        let path = dir.join(FILE_NAME);
        path.is_file().then_some(path)
    }

    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: 1,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().trim().to_string(),
        })?;
        config.source = Some(ConfigSource {
            path: path.to_path_buf(),
            text: text.to_string(),
        });
        Ok(config)
    }

    fn error_at(&self, offset: usize, message: String) -> ConfigError {
        let (file, line) = match &self.source {
            Some(s) => (s.path.display().to_string(), line_of(&s.text, offset)),
            None => (FILE_NAME.to_string(), 1),
        };
        ConfigError { file, line, message }
    }

    /// Check that every rule named exists in `known` and every glob is valid.
    pub fn validate(&self, known: &Registry) -> Result<(), ConfigError> {
        let r = &self.rules;
        let names = r
            .enable
            .iter()
            .chain(&r.disable)
            .chain(r.severity.keys())
            .chain(r.ignore_paths.keys());
        for name in names {
            if known.get(name.get_ref()).is_none() {
                return Err(self.error_at(
                    name.span().start,
                    format!("`{}` is no policy; `palisade rules` lists them", name.get_ref()),
                ));
            }
        }
        for f in &self.var_files {
            if !self.dir().join(f.get_ref()).is_file() {
                return Err(self.error_at(f.span().start, format!("var-files: `{}` is no file", f.get_ref())));
            }
        }
        for glob in r.ignore_paths.values().flatten() {
            if let Err(e) = Glob::new(glob.get_ref()) {
                return Err(self.error_at(glob.span().start, format!("invalid glob `{}`: {e}", glob.get_ref())));
            }
        }
        Ok(())
    }

    /// The folder relative paths in this file start from.
    pub fn dir(&self) -> PathBuf {
        self.source
            .as_ref()
            .and_then(|s| s.path.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The `policies` folders, as paths; a folder that does not exist is an
    /// error at its line.
    pub fn policy_dirs(&self) -> Result<Vec<PathBuf>, ConfigError> {
        self.policies
            .iter()
            .map(|d| {
                let path = self.dir().join(d.get_ref());
                if path.is_dir() {
                    Ok(path)
                } else {
                    Err(self.error_at(d.span().start, format!("policies: `{}` is no folder", d.get_ref())))
                }
            })
            .collect()
    }

    /// The `var-files`, as paths.
    pub fn var_file_paths(&self) -> Vec<PathBuf> {
        self.var_files.iter().map(|f| self.dir().join(f.get_ref())).collect()
    }

    /// Whether the policy `id` runs under `rules.enable` / `rules.disable`.
    pub fn runs(&self, policy: &crate::policy::Policy) -> bool {
        let named = |list: &[Spanned<String>]| list.iter().any(|n| policy.is_named(n.get_ref()));
        (self.rules.enable.is_empty() || named(&self.rules.enable)) && !named(&self.rules.disable)
    }

    /// The configured severity of a policy, if overridden.
    pub fn severity_of(&self, policy: &crate::policy::Policy) -> Option<Severity> {
        self.rules
            .severity
            .iter()
            .find(|(k, _)| policy.is_named(k.get_ref()))
            .map(|(_, v)| v.severity())
    }

    /// Per policy id, the globs of paths where it is ignored.
    pub fn ignored_paths(&self, known: &Registry) -> BTreeMap<String, GlobSet> {
        let mut out = BTreeMap::new();
        for (name, globs) in &self.rules.ignore_paths {
            let Some(p) = known.get(name.get_ref()) else { continue };
            let mut b = GlobSetBuilder::new();
            for g in globs {
                if let Ok(g) = Glob::new(g.get_ref()) {
                    b.add(g);
                }
            }
            if let Ok(set) = b.build() {
                out.insert(p.id.to_string(), set);
            }
        }
        out
    }
}

/// The JSON schema of `.palisade.toml`, for editors (Taplo, Even Better TOML).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Config);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new(".palisade.toml"), text)
    }

    #[test]
    fn reads_every_key() {
        let c = parse(
            r#"
include = ["infra/**"]
exclude = ["test/**"]
fail-on = "high"
require-reason = true
var-files = ["prod.tfvars"]
policies = ["policies"]
baseline = ".palisade-baseline.json"

[rules]
enable = ["TF0002"]
disable = []
severity = { TF0002 = "critical" }
ignore-paths = { "s3-bucket-public-acl" = ["legacy/**"] }
"#,
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(FailOn::High));
        assert!(c.require_reason);
        assert_eq!(c.rules.severity.values().next(), Some(&Level::Critical));
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let e = parse("fail-on = \"high\"\n\n[rules]\nseverty = {}\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("severty"), "{e}");
        let e = parse("fail_on = \"high\"\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }
}
