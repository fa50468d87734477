//! `palisade policy check|test DIR…`: validate users' policy folders and run
//! each policy against its own examples.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::{builtin_registry, exit, print_out};
use crate::policy::testing::check_examples;
use crate::policy::user::{self, Loaded};
use crate::policy::{PolicyError, Registry};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate folders of your own policies: every error with its file and line.
    Check {
        /// Folders of policy files (`*.toml`, searched recursively).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Run each policy of the folders against its examples: `x/bad*` and
    /// `x/good*` beside `x.toml`, with `expect:` markers.
    Test {
        /// Folders of policy files (`*.toml`, searched recursively).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

/// The built-in policies plus the folders' policies and overrides.
pub fn registry_with(dirs: &[PathBuf]) -> Result<(Registry, Loaded), Vec<PolicyError>> {
    let mut registry = builtin_registry().map_err(|e| {
        vec![PolicyError {
            file: "built-in policies".into(),
            line: 1,
            message: e.to_string(),
        }]
    })?;
    let loaded = user::extend(&mut registry, dirs)?;
    Ok((registry, loaded))
}

fn report_errors(errors: &[PolicyError]) -> Result<ExitCode> {
    let mut out = String::new();
    for e in errors {
        out.push_str(&format!("error: {e}\n"));
    }
    out.push_str(&format!(
        "{} problem{} found\n",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    ));
    eprint!("{out}");
    Ok(ExitCode::from(exit::ERROR))
}

pub fn run(command: PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Check { dirs } => match registry_with(&dirs) {
            Err(errors) => report_errors(&errors),
            Ok((_, loaded)) => {
                print_out(&format!(
                    "{} polic{} and {} override{}: valid\n",
                    loaded.policies.len(),
                    if loaded.policies.len() == 1 { "y" } else { "ies" },
                    loaded.overrides.len(),
                    if loaded.overrides.len() == 1 { "" } else { "s" },
                ))?;
                Ok(ExitCode::from(exit::CLEAN))
            }
        },
        PolicyCommand::Test { dirs } => {
            let (registry, loaded) = match registry_with(&dirs) {
                Err(errors) => return report_errors(&errors),
                Ok(r) => r,
            };
            let root = std::env::current_dir()?;
            let mut out = String::new();
            let mut failed = 0;
            for p in &loaded.policies {
                // An override may have disabled it: test it all the same.
                let Some(policy) = registry.get(&p.id).cloned().or_else(|| {
                    let (mut again, _) = registry_with(&dirs).ok()?;
                    again.retain(|q| *q.id == *p.id);
                    again.policies.first().cloned()
                }) else {
                    continue;
                };
                let report = check_examples(&policy, &p.examples, &root)?;
                if report.passed() {
                    out.push_str(&format!(
                        "PASS {} {} ({} example{})\n",
                        policy.id,
                        policy.name,
                        report.entries,
                        if report.entries == 1 { "" } else { "s" }
                    ));
                } else {
                    failed += 1;
                    out.push_str(&format!("FAIL {} {}\n", policy.id, policy.name));
                    for problem in &report.problems {
                        out.push_str(&format!("  {problem}\n"));
                    }
                }
            }
            out.push_str(&format!("{} passed, {failed} failed\n", loaded.policies.len() - failed));
            print_out(&out)?;
            Ok(ExitCode::from(if failed > 0 { exit::FINDINGS } else { exit::CLEAN }))
        }
    }
}
