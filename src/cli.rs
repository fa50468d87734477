//! The command line: argument definitions (clap derive) and the commands.
//! This is the edge of the program, where errors become messages and exit codes.

pub mod compliance;
pub mod gate;
pub mod policy;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::FailOn;
use crate::discover::DiscoverOptions;
use crate::finding::Status;
use crate::output::{self, Format, OutputCx};
use crate::policy::Registry;
use crate::scan::{self, ScanOptions};
use crate::terraform::TfOptions;

/// Security and compliance scanner for Terraform, Dockerfiles and CI configuration.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories and report findings.
    Scan(ScanArgs),
    /// Write a baseline of today's findings (`-o FILE`, default
    /// `.palisade-baseline.json`); `scan --baseline FILE` then reports only new ones.
    Baseline(ScanArgs),
    /// Report, per control of a compliance framework, the policies mapped to
    /// it and what they found (offline).
    Compliance(compliance::ComplianceArgs),
    /// List the policies: id, severity, category, title.
    Rules(RulesArgs),
    /// Show a policy's documentation.
    Explain {
        /// Policy id, name or alias (e.g. TF0001).
        policy: String,
    },
    /// Measure whole-scan throughput against a parse-only pass.
    Bench {
        /// Directories or files to scan.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Passes of each kind; the best is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Run only one kind of pass (to profile it in a process of its own).
        #[arg(long, hide = true, value_enum)]
        only: Option<crate::bench::Pass>,
    },
    /// Check and test your own policies.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Write the generated policy documentation (docs/policies).
    #[command(hide = true)]
    Docs {
        /// Repository root to write into.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format (of standard output, and of a FILE given alone to --output).
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where to write a report: FILE (in --format), FORMAT=FILE, or FORMAT for
    /// standard output. Repeatable: one scan, several reports.
    #[arg(short, long, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// Exit with code 1 when a finding of this severity or higher is reported
    /// [default: the configuration's `fail-on`, else low].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Leave out files and folders matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also scan files matching this glob for secrets (repeatable), e.g.
    /// `--secrets-in '*.properties'`. Every file Palisade scans is searched
    /// for secrets already, as are `.env`, key and client-credential files.
    #[arg(long, value_name = "GLOB")]
    pub secrets_in: Vec<String>,
    /// Also report policies whose inputs are unknown, as notes.
    #[arg(long)]
    pub show_inconclusive: bool,
    /// Set a Terraform input variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Do not stand in known-module models for registry modules that
    /// `terraform init` has not installed (see docs/modules.md).
    #[arg(long)]
    pub no_module_models: bool,
    /// Read Terraform input variables from this file (repeatable; after the
    /// directory's own terraform.tfvars and *.auto.tfvars).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Give up parsing a file after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub parse_timeout: f64,
    /// Do not parse files whose brackets nest deeper than this.
    #[arg(long, default_value_t = crate::limits::DEFAULT_MAX_NESTING)]
    pub max_nesting: usize,
    /// Worker threads (0: one per core). The output is the same whatever the count.
    #[arg(short = 'j', long, default_value_t = 0)]
    pub threads: usize,
    /// Directory that paths in the report are relative to (default: the git
    /// repository root, else the first path).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Only run these policies (ids or names, repeatable).
    #[arg(long = "policy", value_name = "ID")]
    pub only: Vec<String>,
    /// Also load the policies and overrides of this folder (repeatable;
    /// `palisade policy check DIR` validates it).
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Do not print notices about files that could not be scanned.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub gate: gate::GateArgs,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format (text or json).
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Exit codes, documented in `docs/usage.md`.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const ERROR: u8 = 2;
}

/// Where `palisade docs` writes the JSON schema of `.palisade.toml`.
pub const SCHEMA_FILE: &str = "docs/palisade.schema.json";

pub fn builtin_registry() -> Result<Registry> {
    Registry::builtin().map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("invalid built-in policies:\n{}", lines.join("\n"))
    })
}

/// Write `content` to `path` atomically: a temporary file beside it, then a rename.
///
/// Only regular files are replaced that way. Renaming over `/dev/null`, a FIFO
/// or a terminal would replace the device itself (as root, `/dev/null` becomes
/// a regular file that every other process then reads back), so those are
/// written in place. A symbolic link is followed, not replaced.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    write_atomic_with(path, |out| out.write_all(content))
}

/// [`write_atomic`], the content written by `write` as it is made.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    let resolved = std::fs::canonicalize(path).ok();
    // `/dev/stdout` onto a pipe resolves to no path (`pipe:[…]`): the
    // metadata of the path itself, links followed, still tells a FIFO.
    let target = resolved.as_deref().unwrap_or(path);
    if std::fs::metadata(target).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(target)
            .and_then(|f| {
                let mut out = std::io::BufWriter::new(f);
                write(&mut out)?;
                out.flush()
            })
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let path = target;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.palisade-tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut out)?;
        let f = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_command(args),
        Command::Baseline(args) => baseline_command(args),
        Command::Rules(args) => rules_command(args),
        Command::Policy(command) => policy::run(command),
        Command::Compliance(args) => compliance::command(args),
        Command::Explain { policy } => {
            let registry = builtin_registry()?;
            let Some(p) = registry.get(&policy) else {
                bail!("no policy `{policy}`; `palisade rules` lists them");
            };
            print_out(&format!("{}\n", p.markdown()))?;
            Ok(ExitCode::from(exit::CLEAN))
        }
        Command::Bench { paths, runs, only } => bench_command(paths, runs, only),
        Command::Docs { root } => {
            let registry = builtin_registry()?;
            let dir = root.join("docs/policies");
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            for entry in std::fs::read_dir(&dir)? {
                let p = entry?.path();
                if p.extension().is_some_and(|e| e == "md") {
                    std::fs::remove_file(&p)?;
                }
            }
            for (rel, content) in crate::docs::generated_files(&registry) {
                let path = root.join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
                }
                write_atomic(&path, content.as_bytes())?;
            }
            write_atomic(&root.join(SCHEMA_FILE), crate::config::json_schema().as_bytes())?;
            Ok(ExitCode::from(exit::CLEAN))
        }
    }
}

fn print_out(s: &str) -> Result<()> {
    print_with(|out| out.write_all(s.as_bytes()))
}

/// Standard output, written by `write` as it is made.
fn print_with(write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match write(&mut out).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`palisade rules | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn rules_command(args: RulesArgs) -> Result<ExitCode> {
    let registry = builtin_registry()?;
    let policies = registry.sorted();
    let s = match args.format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = policies
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "id": &*p.id, "name": &*p.name, "severity": p.severity.as_str(),
                        "category": p.category.as_str(), "input": p.input.as_str(), "title": p.title,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rows)? + "\n"
        }
        _ => {
            let mut s = String::new();
            for p in policies {
                s.push_str(&format!(
                    "{:<8} {:<8} {:<18} {:<15} {}\n",
                    p.id,
                    p.severity.as_str(),
                    p.category.as_str(),
                    p.input.as_str(),
                    p.title
                ));
            }
            s
        }
    };
    print_out(&s)?;
    Ok(ExitCode::from(exit::CLEAN))
}

/// Everything a scan produced, with what the gate needs after it.
struct Scanned {
    report: scan::ScanReport,
    registry: Registry,
    gate: gate::Gate,
}

/// What a scan is run for, which decides what it applies and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// `palisade scan`: the baseline applies.
    Gate,
    /// `palisade baseline`: every finding, whatever the baseline holds.
    Baseline,
    /// `palisade compliance`: the subjects each policy checked are counted.
    Compliance,
}

/// Load the configuration, select the policies, scan, and apply
/// suppressions, the baseline (for [`Purpose::Gate`]) and the changed-files filter.
fn run_scan(args: &ScanArgs, purpose: Purpose) -> Result<Scanned> {
    let config = gate::load_config(&args.paths, &args.gate)?;
    let mut registry = builtin_registry()?;
    // The configuration's folders first, then the command line's: a later
    // override file wins.
    let mut policy_dirs = config.policy_dirs()?;
    policy_dirs.extend(args.policies.iter().cloned());
    if let Err(errors) = crate::policy::user::extend(&mut registry, &policy_dirs) {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        bail!("invalid policies:\n{}", lines.join("\n"));
    }
    let known = gate::restrict(&config, &mut registry)?;
    if !args.only.is_empty() {
        for key in &args.only {
            if registry.get(key).is_none() {
                bail!("--policy {key}: no such policy; `palisade rules` lists them");
            }
        }
        let only = args.only.clone();
        registry.retain(|p| only.iter().any(|k| p.is_named(k)));
    }
    let mut vars = Vec::new();
    for v in &args.vars {
        let Some((name, value)) = v.split_once('=') else {
            bail!("--var {v}: expected NAME=VALUE");
        };
        vars.push((name.trim().to_string(), value.to_string()));
    }
    if !(args.parse_timeout > 0.0 && args.parse_timeout.is_finite()) {
        bail!("--parse-timeout must be a positive number of seconds");
    }
    for p in args.paths.iter().chain(&args.var_files) {
        if !p.exists() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let gate = gate::Gate::new(
        config,
        known,
        &args.paths,
        &args.gate,
        args.show_inconclusive,
        purpose == Purpose::Gate,
    )?;
    let options = ScanOptions {
        paths: gate.scan_paths(&args.paths, &args.gate),
        discover: DiscoverOptions {
            exclude: args.exclude.iter().chain(&gate.config.exclude).cloned().collect(),
            include: gate.config.include.clone(),
            threads: args.threads,
            kind_override: None,
            secrets_in: args.secrets_in.clone(),
        },
        max_file_size: args.max_file_size,
        parse_budget: Duration::from_secs_f64(args.parse_timeout),
        max_nesting: args.max_nesting,
        // Suppressions may name inconclusive results: keep them until the
        // gate has applied suppressions, which then drops them if not asked for.
        show_inconclusive: true,
        terraform: TfOptions {
            no_module_models: args.no_module_models || gate.config.module_models == Some(false),
            vars,
            var_files: gate
                .config
                .var_file_paths()
                .into_iter()
                .chain(args.var_files.clone())
                .collect(),
        },
        root: args.root.clone(),
        count_checked: purpose == Purpose::Compliance,
    };
    let progress = Progress::start(args.quiet);
    let report = scan::scan(&options, &registry);
    progress.stop();
    let mut report = report?;
    gate.finish(&mut report, &registry);
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        for n in &report.notices {
            let _ = writeln!(err, "palisade: {n}");
        }
    }
    Ok(Scanned { report, registry, gate })
}

/// A spinner on standard error while a scan runs, only on a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn start(quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} scanning… {elapsed}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    fn stop(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

fn scan_command(args: ScanArgs) -> Result<ExitCode> {
    let destinations = gate::destinations(args.format, &args.output)?;
    let Scanned { report, registry, gate } = run_scan(&args, Purpose::Gate)?;
    for (format, file) in &destinations {
        let color = file.is_none()
            && *format == Format::Text
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let cx = OutputCx {
            report: &report,
            registry: &registry,
            color,
        };
        // On the scan's worker count: the SARIF report renders in parallel.
        let write = |out: &mut (dyn Write + Send)| {
            scan::on_pool(args.threads, || output::write(*format, &cx, out)).map_err(std::io::Error::other)?
        };
        match file {
            Some(path) => write_atomic_with(path, write)?,
            None => print_with(write)?,
        }
    }
    if report.had_errors() {
        return Ok(ExitCode::from(exit::ERROR));
    }
    let failing = gate.threshold(args.fail_on).is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.suppression.is_none() && f.status == Status::Fail && f.severity >= t)
    });
    Ok(ExitCode::from(if failing { exit::FINDINGS } else { exit::CLEAN }))
}

fn baseline_command(args: ScanArgs) -> Result<ExitCode> {
    if args.output.len() > 1 {
        bail!("palisade baseline writes one file: give at most one --output");
    }
    let Scanned { report, gate, .. } = run_scan(&args, Purpose::Baseline)?;
    let path = match (args.output.first(), &gate.config.baseline) {
        (Some(p), _) => PathBuf::from(p),
        (None, Some(p)) => gate.config.dir().join(p),
        (None, None) => PathBuf::from(crate::baseline::DEFAULT_FILE),
    };
    let baseline = crate::baseline::Baseline::of(&report);
    write_atomic(&path, baseline.to_json().as_bytes())?;
    let mut err = std::io::stderr().lock();
    let _ = (!args.quiet).then(|| {
        writeln!(
            err,
            "palisade: wrote {} finding{} to {}",
            baseline.findings.len(),
            if baseline.findings.len() == 1 { "" } else { "s" },
            path.display()
        )
    });
    Ok(ExitCode::from(if report.had_errors() {
        exit::ERROR
    } else {
        exit::CLEAN
    }))
}

fn bench_command(paths: Vec<PathBuf>, runs: usize, only: Option<crate::bench::Pass>) -> Result<ExitCode> {
    let registry = builtin_registry()?;
    let options = ScanOptions {
        paths,
        ..ScanOptions::default()
    };
    if let Some(pass) = only {
        let m = crate::bench::single_pass(&options, &registry, runs, pass)?;
        print_out(&format!(
            "{pass:?}  {:.3} s  {:.1} MB/s  (best of {runs}, peak RSS {})\n",
            m.seconds,
            m.mb_per_s(),
            m.peak_rss
                .map(|b| format!("{:.0} MB", b as f64 / 1e6))
                .unwrap_or_else(|| "n/a".into())
        ))?;
        return Ok(ExitCode::from(exit::CLEAN));
    }
    let (parse, full, findings) = crate::bench::alternated_passes(&options, &registry, runs)?;
    let secrets = crate::bench::secrets_pass(&options, runs)?;
    let mb = |b: Option<u64>| {
        b.map(|b| format!("{:.0} MB", b as f64 / 1e6))
            .unwrap_or_else(|| "n/a".into())
    };
    let mut s = String::new();
    s.push_str(&format!(
        "input       {} files, {:.2} MB ({})\n",
        full.stats.files,
        full.stats.bytes as f64 / 1e6,
        full.stats
            .by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(&format!(
        "parse only  {:.3} s  {:.1} MB/s  {:.0} files/s  (peak RSS {})\n",
        parse.seconds,
        parse.mb_per_s(),
        parse.files_per_s(),
        mb(parse.peak_rss)
    ));
    s.push_str(&format!(
        "full scan   {:.3} s  {:.1} MB/s  {:.0} files/s  (peak RSS {}), {} findings, {} policies\n",
        full.seconds,
        full.mb_per_s(),
        full.files_per_s(),
        mb(full.peak_rss),
        findings,
        registry.policies.len()
    ));
    s.push_str(&format!(
        "secrets     {:.3} s  {:.1} MB/s  (format detection alone over the same text, {:.1} % of parse-only time)\n",
        secrets.seconds,
        secrets.mb_per_s(),
        100.0 * secrets.seconds / parse.seconds.max(1e-9)
    ));
    s.push_str(&format!(
        "throughput  full scan = {:.0} % of parse-only (best of {runs} alternated runs each, {} threads)\n",
        100.0 * parse.seconds / full.seconds.max(1e-9),
        rayon::current_num_threads()
    ));
    print_out(&s)?;
    Ok(ExitCode::from(exit::CLEAN))
}
