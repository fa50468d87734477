//! `palisade compliance`: a scan reported per control of one framework.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use super::{Purpose, ScanArgs, Scanned, exit, gate, print_out, run_scan, write_atomic};
use crate::compliance::{self, ControlStatus};
use crate::output::Format;
use crate::policy::def::Framework;

#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// The framework: cis-aws, cis-azure, cis-gcp, cis-docker, soc2, pci-dss,
    /// hipaa or nist-800-53.
    #[arg(long, value_parser = parse_framework)]
    pub framework: Framework,
    /// Everything `palisade scan` takes; --format is text, json or markdown.
    #[command(flatten)]
    pub scan: ScanArgs,
}

fn parse_framework(s: &str) -> Result<Framework, String> {
    Framework::ALL.into_iter().find(|f| f.key() == s).ok_or_else(|| {
        let keys: Vec<&str> = Framework::ALL.iter().map(|f| f.key()).collect();
        format!("unknown framework `{s}`; expected one of: {}", keys.join(", "))
    })
}

/// Exit code: 2 when something could not be scanned, 1 when a control
/// fails, 0 otherwise (inconclusive, not applicable and not covered controls
/// do not fail the run).
pub fn command(mut args: ComplianceArgs) -> Result<ExitCode> {
    let destinations = gate::destinations(args.scan.format, &args.scan.output)?;
    for (format, _) in &destinations {
        if !matches!(format, Format::Text | Format::Json | Format::Markdown) {
            bail!(
                "palisade compliance writes text, json or markdown, not {}",
                format.name()
            );
        }
    }
    let data = compliance::framework(args.framework)?;
    // Inconclusive results are part of the report.
    args.scan.show_inconclusive = true;
    let Scanned { report, registry, .. } = run_scan(&args.scan, Purpose::Compliance)?;
    let result = compliance::report(&data, &registry, &report);
    for (format, file) in &destinations {
        let rendered = match format {
            Format::Json => compliance::render_json(&result),
            Format::Markdown => compliance::render_markdown(&result),
            _ => compliance::render_text(&result),
        };
        match file {
            Some(path) => write_atomic(path, rendered.as_bytes())?,
            None => print_out(&rendered)?,
        }
    }
    let code = if report.had_errors() {
        exit::ERROR
    } else if result.count(ControlStatus::Fail) > 0 {
        exit::FINDINGS
    } else {
        exit::CLEAN
    };
    Ok(ExitCode::from(code))
}
