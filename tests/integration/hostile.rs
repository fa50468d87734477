//! Hostile input: whatever a file holds, the scan names it in a notice and
//! goes on. A panic caught while processing one file shows up as an
//! "internal error" notice, which every test here treats as a failure; a stack
//! overflow or an abort kills the test binary, which fails too.

use std::path::{Path, PathBuf};

use palisade::notice::{Notice, NoticeLevel};
use palisade::scan::{ScanOptions, ScanReport, scan};

use crate::common::{builtin, repo, walk};

fn scan_dir(dir: &Path, tune: impl FnOnce(&mut ScanOptions)) -> ScanReport {
    let mut options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        root: Some(dir.to_path_buf()),
        ..Default::default()
    };
    tune(&mut options);
    scan(&options, &builtin()).expect("scan runs")
}

fn assert_no_internal_errors(notices: &[Notice]) {
    let internal: Vec<String> = notices
        .iter()
        .filter(|n| n.message.contains("internal error"))
        .map(|n| format!("{}:{:?}: {}", n.file, n.line, n.message))
        .collect();
    assert!(internal.is_empty(), "internal errors:\n{}", internal.join("\n"));
}

fn error_for<'a>(report: &'a ScanReport, file: &str) -> &'a Notice {
    report
        .notices
        .iter()
        .find(|n| n.file == file && n.level == NoticeLevel::Error)
        .unwrap_or_else(|| panic!("no error notice for {file}: {:#?}", report.notices))
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A bucket TF0002 reports on line 2: proves the rest of the scan went on.
const PUBLIC_BUCKET: &str = "resource \"aws_s3_bucket\" \"b\" {\n  acl = \"public-read\"\n}\n";

fn assert_public_bucket_found(report: &ScanReport, file: &str) {
    assert!(
        report
            .findings
            .iter()
            .any(|f| &*f.policy.id == "TF0002" && report.sources.get(f.primary.file).display == file),
        "the healthy file {file} was not scanned to the end"
    );
}

#[test]
fn deep_nesting_is_refused_with_its_line_for_every_input_kind() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    write(
        dir.path(),
        "deep/list.tf",
        format!("locals {{\n  x = {}{} \n}}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(
        dir.path(),
        "deep/parens.tf",
        format!("locals {{\n  x = {}1{}\n}}\n", "(".repeat(n), ")".repeat(n)),
    );
    write(dir.path(), "deep/blocks.tf", "a {\n".repeat(n) + &"}\n".repeat(n));
    write(
        dir.path(),
        "deep/Dockerfile",
        format!("FROM alpine\nRUN echo {}\n", "$(".repeat(n)),
    );
    write(
        dir.path(),
        "deep/.github/workflows/ci.yml",
        format!("on: push\njobs: {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(dir.path(), "ok/main.tf", PUBLIC_BUCKET);
    let report = scan_dir(dir.path(), |_| {});
    assert_no_internal_errors(&report.notices);
    assert_eq!(error_for(&report, "deep/list.tf").line, Some(2));
    assert_eq!(error_for(&report, "deep/blocks.tf").line, Some(257));
    for file in ["deep/parens.tf", "deep/Dockerfile", "deep/.github/workflows/ci.yml"] {
        assert!(error_for(&report, file).message.contains("nested deeper"), "{file}");
    }
    assert_public_bucket_found(&report, "ok/main.tf");
}

#[test]
fn binary_invalid_utf8_oversized_and_special_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nul.tf", b"resource \"a\" \"b\" {\n  x = \"\0\0\"\n}\n");
    write(
        dir.path(),
        "latin1.tf",
        b"# ok\nresource \"a\" \"b\" {\n  x = \"caf\xe9\"\n}\n",
    );
    write(
        dir.path(),
        "huge.tf",
        format!("locals {{ x = \"{}\" }}\n", "a".repeat(200_000)),
    );
    write(
        dir.path(),
        "crlf-bom/main.tf",
        format!("\u{feff}{}", PUBLIC_BUCKET.replace('\n', "\r\n")),
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("loop-b", dir.path().join("loop-a.tf")).unwrap();
        std::os::unix::fs::symlink("loop-a.tf", dir.path().join("loop-b")).unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
        let fifo = dir.path().join("pipe.tf");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
    }
    let report = scan_dir(dir.path(), |o| o.max_file_size = 100_000);
    assert_no_internal_errors(&report.notices);
    assert!(error_for(&report, "nul.tf").message.contains("binary"));
    let latin1 = error_for(&report, "latin1.tf");
    assert!(latin1.message.contains("UTF-8"), "{latin1:?}");
    assert!(error_for(&report, "huge.tf").message.contains("--max-file-size"));
    #[cfg(unix)]
    assert!(error_for(&report, "pipe.tf").message.contains("not a regular file"));
    // A BOM and CRLF line ends change nothing: the finding is on line 2.
    assert_public_bucket_found(&report, "crlf-bom/main.tf");
    let bucket = report.findings.iter().find(|f| &*f.policy.id == "TF0002").unwrap();
    let source = report.sources.get(bucket.primary.file);
    assert_eq!(source.position(bucket.primary.start).line, 2);
}

/// Where a fixture goes in the mutation tree so that discovery classifies it
/// as the input its policy reads.
fn mutant_path(n: usize, fixture: &Path) -> PathBuf {
    let id = fixture
        .strip_prefix(repo().join("fixtures"))
        .ok()
        .and_then(|p| p.components().next())
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    let name = fixture.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let base = PathBuf::from(format!("m{n}"));
    match &id[..id.len().min(2)] {
        "DF" => base.join("Dockerfile"),
        "GH" if name.starts_with("action") => base.join("action.yml"),
        "GH" => base.join(".github/workflows/ci.yml"),
        "GL" => base.join(".gitlab-ci.yml"),
        _ => base.join(name),
    }
}

/// A small deterministic generator (64-bit LCG): the same mutants every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

/// Truncated, byte-flipped and spliced versions of every fixture, scanned in
/// one run with every policy enabled.
#[test]
fn mutated_fixtures_never_cause_an_internal_error() {
    let fixtures: Vec<PathBuf> = walk(&repo().join("fixtures"))
        .into_iter()
        .filter(|p| std::fs::metadata(p).map(|m| m.len() < 64 * 1024).unwrap_or(false))
        .collect();
    assert!(!fixtures.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Lcg(0x5eed);
    let mut n = 0;
    const SPLICE: &[&[u8]] = &[
        b"${",
        b"%{",
        b"{",
        b"[",
        b"\"",
        b"<<EOF\n",
        b"\\\n",
        b"\xff",
        b"\0",
        b": &a *a <<: ",
        b"\t- ",
    ];
    for fixture in &fixtures {
        let original = std::fs::read(fixture).unwrap();
        if original.is_empty() {
            continue;
        }
        for round in 0..4 {
            let mut bytes = original.clone();
            match round {
                0 => bytes.truncate(rng.next(bytes.len())),
                1 => {
                    for _ in 0..1 + rng.next(8) {
                        let at = rng.next(bytes.len());
                        bytes[at] = rng.next(256) as u8;
                    }
                }
                2 => {
                    let at = rng.next(bytes.len());
                    let piece = SPLICE[rng.next(SPLICE.len())];
                    bytes.splice(at..at, piece.iter().copied());
                }
                _ => {
                    // Delete a random range: unbalanced blocks and quotes.
                    let from = rng.next(bytes.len());
                    let to = (from + 1 + rng.next(64)).min(bytes.len());
                    bytes.drain(from..to);
                }
            }
            write(dir.path(), mutant_path(n, fixture).to_str().unwrap(), bytes);
            n += 1;
        }
    }
    let report = scan_dir(dir.path(), |o| o.show_inconclusive = true);
    assert_no_internal_errors(&report.notices);
    assert!(report.stats.files > n / 2, "most mutants must still be scanned");
}

/// Every fixture with every built-in policy at once: a fixture is written
/// for one policy, and the others meet shapes their authors did not plan for
/// (a `jsonencode` list where a policy document could be).
#[test]
fn every_fixture_scans_with_every_policy_without_internal_error() {
    let fixtures = repo().join("fixtures");
    let report = scan_dir(&fixtures, |_| {});
    assert_no_internal_errors(&report.notices);
}

#[test]
fn a_name_defined_twice_is_named_and_override_files_are_not() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/main.tf", PUBLIC_BUCKET);
    write(
        dir.path(),
        "app/more.tf.json",
        r#"{"resource": {"aws_s3_bucket": {"b": {"bucket": "logs"}}}, "locals": {"x": 1}}"#,
    );
    write(dir.path(), "app/locals.tf", "locals {\n  x = 2\n}\n");
    write(
        dir.path(),
        "app/main_override.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"z\"\n}\n",
    );
    write(dir.path(), "app/override.tf", "locals {\n  x = 3\n}\n");
    let report = scan_dir(dir.path(), |_| {});
    let mut twice: Vec<(String, Option<u32>)> = report
        .notices
        .iter()
        .filter(|n| n.message.contains("defined again"))
        .map(|n| (n.file.clone(), n.line))
        .collect();
    twice.sort();
    assert_eq!(
        twice,
        [
            ("app/more.tf.json".to_string(), Some(1)),
            ("app/more.tf.json".to_string(), Some(1))
        ],
        "{:#?}",
        report.notices
    );
    assert_public_bucket_found(&report, "app/main.tf");
}
