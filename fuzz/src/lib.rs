//! The whole pipeline on one fuzzed file: discovery, parse, evaluation, every
//! policy, every output format. A caught panic surfaces as an "internal error"
//! notice; turning it back into a panic lets libFuzzer record the input.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use palisade::discover::DiscoverOptions;
use palisade::output::{self, Format, OutputCx};
use palisade::policy::Registry;
use palisade::scan::{ScanOptions, scan};

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::builtin().unwrap_or_else(|_| panic!("built-in policies are invalid")))
}

fn workdir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory").keep())
}

/// Scan `data` as a file at `relative` (its name decides the input kind).
pub fn scan_as(relative: &str, data: &[u8]) {
    let path = workdir().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, data).unwrap();
    let options = ScanOptions {
        paths: vec![path],
        discover: DiscoverOptions {
            threads: 1,
            ..Default::default()
        },
        parse_budget: Duration::from_secs(5),
        show_inconclusive: true,
        root: Some(workdir().clone()),
        ..Default::default()
    };
    let report = scan(&options, registry()).expect("scan runs");
    for notice in &report.notices {
        assert!(!notice.message.contains("internal error"), "{}", notice.message);
    }
    let cx = OutputCx {
        report: &report,
        registry: registry(),
        color: false,
    };
    for format in [Format::Text, Format::Json, Format::Sarif, Format::Junit, Format::Github, Format::Gitlab, Format::Markdown] {
        let _ = output::render(format, &cx);
    }
}
