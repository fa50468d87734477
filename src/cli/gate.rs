//! What turns a scan into a CI gate: the repository's `.palisade.toml`,
//! inline suppressions, the baseline, only-changed-files, several reports
//! from one run. Kept apart from the rest of the command line so that the
//! scan command only calls in here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::baseline::Baseline;
use crate::config::{self, Config};
use crate::finding::{Status, Suppression, SuppressionKind};
use crate::output::Format;
use crate::policy::{Registry, Severity};
use crate::scan::ScanReport;

#[derive(Debug, Clone, Default, Args)]
pub struct GateArgs {
    /// Configuration file (default: `.palisade.toml` at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read `.palisade.toml`.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Disregard every suppression comment in the scanned files.
    #[arg(long)]
    pub no_inline_ignores: bool,
    /// Honour a suppression comment only when it gives a reason.
    #[arg(long)]
    pub require_reason: bool,
    /// Report only findings not in this baseline (`palisade baseline` writes it).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Report only findings in files changed since this git ref (a Terraform
    /// module with a changed file is reported whole).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// The paths given are changed files (as pre-commit passes them): scan
    /// each with its Terraform module, report only findings in them.
    #[arg(long)]
    pub changed_files: bool,
}

/// Settings gathered before the scan, used after it.
#[derive(Debug, Default)]
pub struct Gate {
    pub config: Config,
    /// Every policy a comment or the configuration may name.
    pub known: Registry,
    pub require_reason: bool,
    pub inline: bool,
    /// With a label for justifications.
    pub baseline: Option<(Baseline, String)>,
    /// Absolute paths; `None`: every file counts.
    pub changed: Option<BTreeSet<PathBuf>>,
    pub show_inconclusive: bool,
}

/// The configuration for a run: `--config`, else `.palisade.toml` at the root
/// of the repository holding the first path, else none.
pub fn load_config(paths: &[PathBuf], args: &GateArgs) -> Result<Config> {
    if args.no_config {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(p) => {
            if !p.is_file() {
                bail!("--config {}: no such file", p.display());
            }
            p.clone()
        }
        None => match paths.first().and_then(|p| Config::find(p)) {
            Some(p) => p,
            None => return Ok(Config::default()),
        },
    };
    Ok(Config::load(&path)?)
}

/// `registry` restricted by the configuration's `rules.enable` / `rules.disable`;
/// returns every known policy (for names in comments).
pub fn restrict(config: &Config, registry: &mut Registry) -> Result<Registry> {
    let known = registry.clone();
    config.validate(&known)?;
    registry.retain(|p| config.runs(p));
    Ok(known)
}

impl Gate {
    pub fn new(
        config: Config,
        known: Registry,
        paths: &[PathBuf],
        args: &GateArgs,
        show_inconclusive: bool,
        use_baseline: bool,
    ) -> Result<Gate> {
        let baseline_path = match (&args.baseline, &config.baseline) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(p)) => Some(config.dir().join(p)),
            (None, None) => None,
        };
        let baseline = match baseline_path.filter(|_| use_baseline) {
            Some(p) => Some((Baseline::load(&p)?, p.display().to_string())),
            None => None,
        };
        let changed = if let Some(reference) = &args.changed_since {
            let dir = paths.first().map(PathBuf::as_path).unwrap_or(Path::new("."));
            let dir = if dir.is_dir() {
                dir
            } else {
                dir.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
            };
            Some(crate::changed::since(dir, reference).context("--changed-since")?)
        } else if args.changed_files {
            Some(paths.iter().cloned().collect())
        } else {
            None
        };
        Ok(Gate {
            require_reason: args.require_reason || config.require_reason,
            inline: !args.no_inline_ignores,
            config,
            known,
            baseline,
            changed,
            show_inconclusive,
        })
    }

    /// The paths to scan: with `--changed-files`, each Terraform file's module too.
    /// pre-commit passes every staged file of the hook's types: those
    /// Palisade does not scan (a YAML file that is no CI configuration) are
    /// left out silently.
    pub fn scan_paths(&self, paths: &[PathBuf], args: &GateArgs) -> Vec<PathBuf> {
        if !args.changed_files {
            return paths.to_vec();
        }
        let mut out: Vec<PathBuf> = paths
            .iter()
            .filter(|p| crate::discover::classify(p).is_some())
            .cloned()
            .collect();
        out.extend(crate::changed::module_siblings(&out));
        out
    }

    /// Everything after the scan, in order: severity overrides, the
    /// configuration's path ignores, inline suppressions, the baseline, the
    /// changed-files filter, and inconclusive results unless asked for.
    pub fn finish(&self, report: &mut ScanReport, registry: &Registry) {
        for f in &mut report.findings {
            if let Some(s) = self.config.severity_of(&f.policy) {
                f.severity = s;
            }
        }
        let ignored = self.config.ignored_paths(&self.known);
        if !ignored.is_empty() {
            for f in &mut report.findings {
                let file = &report.sources.get(f.primary.file).display;
                if f.suppression.is_none() && ignored.get(&*f.policy.id).is_some_and(|g| g.is_match(file)) {
                    f.suppression = Some(Suppression {
                        kind: SuppressionKind::External,
                        justification: Some(format!("{} ignores {} in {file}", config::FILE_NAME, f.policy.id)),
                    });
                }
            }
        }
        let options = crate::suppress::Options {
            inline: self.inline,
            require_reason: self.require_reason,
            ..Default::default()
        };
        crate::suppress::apply(report, registry, &self.known, &options);
        if let Some((b, label)) = &self.baseline {
            b.apply(report, label);
        }
        if let Some(changed) = &self.changed {
            crate::changed::keep_changed(report, changed);
        }
        if !self.show_inconclusive {
            report.findings.retain(|f| f.status == Status::Fail);
        }
    }

    /// The severity from which findings fail the run.
    pub fn threshold(&self, flag: Option<config::FailOn>) -> Option<Severity> {
        // Without a flag or a setting, low and above fail the run.
        flag.or(self.config.fail_on)
            .map_or(Some(Severity::Low), config::FailOn::threshold)
    }
}

/// One report to write: a format and a file (`None`: standard output).
pub type Destination = (Format, Option<PathBuf>);

/// `--output` values: `FILE` (in `--format`), `FORMAT=FILE`, or `FORMAT`
/// alone for standard output. No value: `--format` on standard output.
pub fn destinations(format: Format, outputs: &[String]) -> Result<Vec<Destination>> {
    if outputs.is_empty() {
        return Ok(vec![(format, None)]);
    }
    let mut out = Vec::new();
    for o in outputs {
        let d = match o.split_once('=') {
            Some((name, file)) if Format::from_name(name).is_some() => {
                if file.is_empty() {
                    bail!("--output {o}: no file after `=`");
                }
                (Format::from_name(name).unwrap_or(format), Some(PathBuf::from(file)))
            }
            _ => match Format::from_name(o) {
                Some(f) => (f, None),
                None => (format, Some(PathBuf::from(o))),
            },
        };
        out.push(d);
    }
    if out.iter().filter(|(_, file)| file.is_none()).count() > 1 {
        bail!("--output: only one report can go to standard output");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_destinations() {
        let d = destinations(Format::Text, &[]).unwrap();
        assert_eq!(d, vec![(Format::Text, None)]);
        let d = destinations(
            Format::Sarif,
            &["out.sarif".into(), "junit=r.xml".into(), "markdown".into()],
        )
        .unwrap();
        assert_eq!(
            d,
            vec![
                (Format::Sarif, Some("out.sarif".into())),
                (Format::Junit, Some("r.xml".into())),
                (Format::Markdown, None)
            ]
        );
        assert!(destinations(Format::Text, &["text".into(), "json".into()]).is_err());
    }
}
