//! The hot functions of a scan, on the repository's fixtures:
//! `cargo bench --bench hot`. Whole scans over a corpus: `palisade bench`
//! and `scripts/bench-scaling.sh` (docs/performance.md).

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use palisade::output::{self, Format, OutputCx};
use palisade::policy::Registry;
use palisade::scan::{self, Loaded, ScanOptions};
use palisade::source::FileId;
use palisade::subject::SubjectSet;

fn main() {
    divan::main();
}

fn options() -> ScanOptions {
    ScanOptions {
        paths: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")],
        ..ScanOptions::default()
    }
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry::builtin().expect("built-in policies load"));

/// Every fixture read, parsed and grouped in modules.
static LOADED: LazyLock<Loaded> = LazyLock::new(|| scan::on_pool(0, || scan::load_all(&options())).unwrap().unwrap());

/// The subjects of every unit of work (root modules evaluated).
static SETS: LazyLock<Vec<SubjectSet>> = LazyLock::new(|| {
    let loaded = &*LOADED;
    let options = options();
    scan::on_pool(0, || {
        loaded
            .work()
            .iter()
            .filter(|w| matches!(w, scan::Work::Module(_)))
            .map(|w| loaded.with_subjects(w, &options, |set, _| clone_set(set)))
            .collect()
    })
    .unwrap()
});

fn clone_set(set: &SubjectSet) -> SubjectSet {
    SubjectSet::new(
        set.input.expect("a scope has an input kind"),
        set.subjects.clone(),
        set.native.clone(),
    )
}

/// Start-up: the built-in policies, from their embedded text.
#[divan::bench]
fn load_builtin_policies() -> Registry {
    Registry::builtin().expect("built-in policies load")
}

/// Parse Terraform files: every Terraform fixture, one after the other.
#[divan::bench]
fn parse_terraform_files(b: Bencher) {
    let texts: Vec<&str> = LOADED
        .sources
        .iter()
        .filter(|(_, s)| s.display.ends_with(".tf"))
        .map(|(_, s)| s.text.as_str())
        .collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    b.counter(BytesCount::new(bytes)).bench(|| {
        for text in &texts {
            palisade::hcl::parse_hcl(FileId(0), black_box(text), Duration::from_secs(10)).expect("parses");
        }
    });
}

/// Evaluate every root module of the fixtures (variables, locals, module
/// calls, `count` and `for_each`) into subjects.
#[divan::bench]
fn evaluate_modules(b: Bencher) {
    let loaded = &*LOADED;
    let options = options();
    let work = loaded.work();
    b.bench(|| {
        for w in work.iter().filter(|w| matches!(w, scan::Work::Module(_))) {
            loaded.with_subjects(w, &options, |set, _| black_box(set.subjects.len()));
        }
    });
}

/// Every built-in policy on every evaluated root module of the fixtures.
#[divan::bench]
fn run_policies_on_modules(b: Bencher) {
    let (registry, sets, sources) = (&*REGISTRY, &*SETS, &LOADED.sources);
    b.bench(|| {
        sets.iter()
            .map(|set| palisade::engine::run(registry, set, sources).len())
            .sum::<usize>()
    });
}

/// Credential detection over the text of every fixture.
#[divan::bench]
fn secret_scan(b: Bencher) {
    let texts: Vec<&str> = LOADED.sources.iter().map(|(_, s)| s.text.as_str()).collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    b.counter(BytesCount::new(bytes)).bench(|| {
        texts
            .iter()
            .map(|t| palisade::secrets::detect::scan(black_box(t)).len())
            .sum::<usize>()
    });
}

/// The SARIF report of a scan of the fixtures (every rule's help included).
#[divan::bench]
fn sarif_report(b: Bencher) {
    let registry = &*REGISTRY;
    let report = scan::scan(&options(), registry).expect("scan");
    b.bench(|| {
        output::render(
            Format::Sarif,
            &OutputCx {
                report: &report,
                registry,
                color: false,
            },
        )
    });
}
