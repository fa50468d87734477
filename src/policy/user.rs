//! Users' own policies: folders of policy files in the built-in format
//! (`palisade scan --policies DIR`, `palisade policy check|test DIR`), and
//! override files that change a loaded policy's severity or disable it.
//!
//! A `.toml` file in such a folder is either a policy (it has an `id`) or an
//! override (it has `override`):
//!
//! ```toml
//! override = "TF0003"   # id, name or alias of the policy to change
//! severity = "high"     # optional: its new severity
//! enabled = false       # optional: false turns it off
//! reason = "…"          # optional: why, for the reviewers
//! ```
//!
//! The examples of a policy file `x.toml` live in the folder `x/` beside it
//! (`bad.tf`, `good.tf`… with the markers of [`super::testing`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::{PolicyError, Registry, Severity, line_of, load_policy};

/// A change to a loaded policy, from an override file.
#[derive(Debug, Clone)]
pub struct Override {
    /// Id, name or alias of the policy it changes.
    pub target: String,
    pub severity: Option<Severity>,
    pub enabled: bool,
    pub reason: Option<String>,
    pub file: String,
    pub line: usize,
}

/// The override file format.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverrideDef {
    /// Id, name or alias of the policy to change.
    #[serde(rename = "override")]
    #[schemars(with = "String")]
    pub target: Spanned<String>,
    /// The policy's new severity.
    pub severity: Option<Severity>,
    /// `false` turns the policy off.
    pub enabled: Option<bool>,
    /// Why, for whoever reviews the change.
    pub reason: Option<String>,
}

/// A user policy file and where its examples are.
#[derive(Debug, Clone)]
pub struct UserPolicy {
    pub id: String,
    pub file: PathBuf,
    /// `x/` beside `x.toml`.
    pub examples: PathBuf,
}

/// What a set of folders added to a registry.
#[derive(Debug, Default)]
pub struct Loaded {
    pub policies: Vec<UserPolicy>,
    pub overrides: Vec<Override>,
}

/// The `.toml` files under `dir`, sorted, hidden folders left out.
fn policy_files(dir: &Path) -> Vec<PathBuf> {
    super::testing::walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            !p.strip_prefix(dir)
                .unwrap_or(p)
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
        .collect()
}

fn error(file: &Path, line: usize, message: impl Into<String>) -> PolicyError {
    PolicyError {
        file: file.display().to_string(),
        line,
        message: message.into(),
    }
}

/// Load the policies and overrides of `dirs` into `registry` (which holds the
/// built-in policies): new policies are added (their ids, names and aliases
/// must be new), then overrides change severities and disable policies.
/// Every problem is returned, each with its file and line.
pub fn extend(registry: &mut Registry, dirs: &[PathBuf]) -> Result<Loaded, Vec<PolicyError>> {
    let mut errors = Vec::new();
    let mut loaded = Loaded::default();
    for dir in dirs {
        if !dir.is_dir() {
            errors.push(error(dir, 1, "not a folder of policy files"));
            continue;
        }
        let files = policy_files(dir);
        if files.is_empty() {
            errors.push(error(dir, 1, "no policy files (`*.toml`) in this folder"));
        }
        for path in files {
            let shown = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(error(&path, 1, format!("cannot read: {e}")));
                    continue;
                }
            };
            let is_override = toml::from_str::<toml::Table>(&text).is_ok_and(|t| t.contains_key("override"));
            if is_override {
                match toml::from_str::<OverrideDef>(&text) {
                    Ok(def) => match override_of(def, &shown, &text) {
                        Ok(o) => loaded.overrides.push(o),
                        Err(e) => errors.push(e),
                    },
                    Err(e) => errors.push(PolicyError {
                        file: shown,
                        line: line_of(&text, e.span().map(|s| s.start)),
                        message: format!(
                            "{} (an override file takes `override`, `severity`, `enabled` and `reason`)",
                            e.message()
                        ),
                    }),
                }
                continue;
            }
            match load_policy(&shown, &text, false) {
                Ok(policy) => {
                    let id = policy.id.to_string();
                    match registry.add(policy) {
                        Ok(()) => loaded.policies.push(UserPolicy {
                            id,
                            examples: path.with_extension(""),
                            file: path,
                        }),
                        Err(mut e) => {
                            e.line = line_naming(&text, &e.message).unwrap_or(e.line);
                            errors.push(e)
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
    }
    let mut disabled = Vec::new();
    for o in &loaded.overrides {
        let Some(policy) = registry.get(&o.target).cloned() else {
            errors.push(PolicyError {
                file: o.file.clone(),
                line: o.line,
                message: format!(
                    "`override = \"{}\"`: no such policy; expected the id, name or alias of a loaded policy (`palisade rules` lists them)",
                    o.target
                ),
            });
            continue;
        };
        if !o.enabled {
            disabled.push(policy.id.clone());
        }
        if let Some(severity) = o.severity {
            let slot = registry
                .policies
                .iter_mut()
                .find(|p| Arc::ptr_eq(p, &policy))
                .expect("the policy found is in the registry");
            drop(policy);
            match Arc::get_mut(slot) {
                Some(p) => p.severity = severity,
                None => errors.push(PolicyError {
                    file: o.file.clone(),
                    line: o.line,
                    message: "this policy is already in use and cannot be changed here".into(),
                }),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    registry.retain(|p| !disabled.contains(&p.id));
    Ok(loaded)
}

fn override_of(def: OverrideDef, file: &str, text: &str) -> Result<Override, PolicyError> {
    let line = line_of(text, Some(def.target.span().start));
    if def.severity.is_none() && def.enabled.is_none() {
        return Err(PolicyError {
            file: file.to_string(),
            line,
            message: "an override needs `severity = \"…\"` or `enabled = false`".into(),
        });
    }
    Ok(Override {
        target: def.target.into_inner(),
        severity: def.severity,
        enabled: def.enabled.unwrap_or(true),
        reason: def.reason,
        file: file.to_string(),
        line,
    })
}

/// The line of `text` that sets the key a registry error names (`` `acme0001`
/// is already used by … ``): the id, name or alias that clashes.
fn line_naming(text: &str, message: &str) -> Option<usize> {
    let key = message.split('`').nth(1)?.to_ascii_lowercase();
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            !l.starts_with('#') && l.to_ascii_lowercase().contains(&format!("\"{key}\""))
        })
        .map(|i| i + 1)
}
