//! `palisade bench`: whole-scan throughput over a directory, against a
//! parse-only pass measured in the same run. A benchmark, not a test.

use std::time::Instant;

use crate::output::{self, Format, OutputCx};
use crate::policy::Registry;
use crate::scan::{self, ScanError, ScanOptions, Stats};

#[derive(Debug)]
pub struct Measure {
    pub seconds: f64,
    pub stats: Stats,
    /// Peak resident memory of the process so far, in bytes (Linux only).
    pub peak_rss: Option<u64>,
}

impl Measure {
    pub fn mb_per_s(&self) -> f64 {
        self.stats.bytes as f64 / 1e6 / self.seconds
    }

    pub fn files_per_s(&self) -> f64 {
        self.stats.files as f64 / self.seconds
    }
}

/// Peak resident set size (`VmHWM`), from `/proc/self/status`.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Parse-only passes and full scans (every policy, evaluation, and the SARIF
/// report rendered), alternated `runs` times so that both sample the same
/// moments of a machine whose speed drifts: the best of each, and the full
/// scan's finding count. The parse-only peak RSS is the first pass's, taken
/// before any full scan raised the process's high-water mark.
pub fn alternated_passes(
    options: &ScanOptions,
    registry: &Registry,
    runs: usize,
) -> Result<(Measure, Measure, usize), ScanError> {
    let mut parse = parse_once(options)?;
    let mut full = scan_once(options, registry)?;
    for _ in 1..runs {
        let p = parse_once(options)?;
        if p.seconds < parse.seconds {
            parse = Measure {
                peak_rss: parse.peak_rss,
                ..p
            };
        }
        let f = scan_once(options, registry)?;
        if f.0.seconds < full.0.seconds {
            full = f;
        }
    }
    let (full, findings) = full;
    Ok((parse, full, findings))
}

/// One kind of pass, for `palisade bench --only`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Pass {
    /// Read and parse only.
    Parse,
    /// The full scan and its SARIF report.
    Full,
}

/// The best of `runs` passes of one kind alone: to profile one kind in a
/// process of its own (`perf stat`, callgrind).
pub fn single_pass(options: &ScanOptions, registry: &Registry, runs: usize, pass: Pass) -> Result<Measure, ScanError> {
    let once = || match pass {
        Pass::Parse => parse_once(options),
        Pass::Full => scan_once(options, registry).map(|(m, _)| m),
    };
    let mut best = once()?;
    for _ in 1..runs {
        let m = once()?;
        if m.seconds < best.seconds {
            best = m;
        }
    }
    Ok(best)
}

fn parse_once(options: &ScanOptions) -> Result<Measure, ScanError> {
    let t = Instant::now();
    let stats = scan::parse_only(options)?;
    Ok(Measure {
        seconds: t.elapsed().as_secs_f64(),
        stats,
        peak_rss: peak_rss(),
    })
}

fn scan_once(options: &ScanOptions, registry: &Registry) -> Result<(Measure, usize), ScanError> {
    let t = Instant::now();
    let report = scan::scan(options, registry)?;
    // Written as `palisade scan -o` writes it, a chunk at a time, to a sink
    // instead of a file: the disk is not what is measured.
    let cx = OutputCx {
        report: &report,
        registry,
        color: false,
    };
    let written = scan::on_pool(options.discover.threads, || {
        output::write(Format::Sarif, &cx, &mut std::io::sink())
    })?;
    debug_assert!(written.is_ok(), "a sink takes every byte");
    let m = Measure {
        seconds: t.elapsed().as_secs_f64(),
        stats: report.stats.clone(),
        peak_rss: peak_rss(),
    };
    Ok((m, report.findings.len()))
}

/// The best of `runs` secret-detection passes over the scanned files' text,
/// read into memory first: the cost of the `SC` format policies alone
/// (prefilter and the rules it enables), on every thread.
pub fn secrets_pass(options: &ScanOptions, runs: usize) -> Result<Measure, ScanError> {
    use rayon::prelude::*;
    let (files, _) = crate::discover::discover(&options.paths, &options.discover)?;
    let texts: Vec<String> = files
        .par_iter()
        .filter_map(|d| std::fs::read_to_string(&d.path).ok())
        .collect();
    let mut stats = Stats {
        files: texts.len(),
        bytes: texts.iter().map(|t| t.len() as u64).sum(),
        ..Stats::default()
    };
    stats.by_kind.insert("any", texts.len());
    let mut best = f64::INFINITY;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let found: usize = texts.par_iter().map(|t| crate::secrets::detect::scan(t).len()).sum();
        std::hint::black_box(found);
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(Measure {
        seconds: best,
        stats,
        peak_rss: peak_rss(),
    })
}
