//! Living in CI: suppressions (ours and peers'), `.palisade.toml`,
//! baselines, only-changed files and the extra output formats, run as a
//! user would on scratch repositories.

use std::path::Path;
use std::process::Command as Process;

use palisade::policy::Registry;
use palisade::suppress;

use crate::common::*;

const PUBLIC: &str = "resource \"aws_s3_bucket_acl\" \"site\" {\n  bucket = \"x\"\n  acl    = \"public-read\"\n}\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// (address, suppression kind, justification) of every finding of a JSON report.
fn findings(v: &serde_json::Value) -> Vec<(String, Option<String>, Option<String>)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = &f["suppression"];
            (
                f["address"].as_str().unwrap().to_string(),
                s["kind"].as_str().map(str::to_string),
                s["justification"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// A policy that fails on every file, at its first line, with an
/// equivalent in every peer tool: one suppression syntax per file kind.
const EVERYWHERE: &str = r#"id = "SC9999"
name = "test-every-file"
title = "Test policy"
severity = "low"
category = "hygiene"
input = "any"
message = "{resource} is a file"
references = ["https://example.com"]

[equivalents]
checkov = ["CKV_TEST_1"]
tfsec = ["test-every-file"]
trivy = ["AVD-TEST-0001"]
kics = ["00000000-0000-0000-0000-000000000001"]
hadolint = ["DL9999"]
zizmor = ["test-audit"]

[docs]
description = "d"
rationale = "r"
example = "e"
fix = "f"
fixed-example = "g"

[match]
subject = [{ class = "file" }]
fail-if = { path = "never-set", exists = false }
"#;

#[test]
fn every_peer_syntax_is_honoured_through_equivalents() {
    let registry = Registry::from_sources([("test.toml".to_string(), EVERYWHERE)], false).unwrap();
    // (file, first line, suppressed?)
    let cases = [
        ("a/main.tf", "# palisade:ignore[SC9999] accepted", true),
        ("b/main.tf", "# palisade:ignore[test-every-file] by name", true),
        ("c/main.tf", "#checkov:skip=CKV_TEST_1:accepted", true),
        ("d/main.tf", "#tfsec:ignore:test-every-file", true),
        ("e/main.tf", "#trivy:ignore:AVD-TEST-0001", true),
        // Trivy reads tfsec's names too.
        ("f/main.tf", "#trivy:ignore:test-every-file", true),
        (
            "g/main.tf",
            "# kics-scan disable=00000000-0000-0000-0000-000000000001",
            true,
        ),
        ("h/main.tf", "# kics-scan ignore", true),
        ("i/Dockerfile", "FROM alpine:3 # hadolint ignore=DL9999", true),
        ("j/Dockerfile", "# hadolint global ignore=DL9999", true),
        (
            ".github/workflows/k.yml",
            "on: push # zizmor: ignore[test-audit] reviewed",
            true,
        ),
        // Not this policy's ids.
        ("l/main.tf", "#checkov:skip=CKV_AWS_20:other rule", false),
        ("m/Dockerfile", "# hadolint ignore=DL3008", false),
        ("n/main.tf", "#tfsec:ignore:test-every-file:exp:2000-01-01", false),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (rel, line, _) in &cases {
        write(dir.path(), rel, &format!("{line}\n"));
    }
    let options = palisade::scan::ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        root: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let mut report = palisade::scan::scan(&options, &registry).unwrap();
    suppress::apply(&mut report, &registry, &registry, &suppress::Options::default());
    for (rel, line, suppressed) in &cases {
        let f = report
            .findings
            .iter()
            .find(|f| report.sources.get(f.primary.file).display == *rel)
            .unwrap_or_else(|| panic!("no finding in {rel}"));
        assert_eq!(f.suppression.is_some(), *suppressed, "{rel}: {line}");
    }
}

#[test]
fn inline_suppressions_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = PUBLIC.replace(
        "\"public-read\"",
        "\"public-read\" # palisade:ignore[TF0002] a public website",
    ) + &PUBLIC.replace("site", "expired").replace(
        "resource",
        "# palisade:ignore[TF0002] exp:2001-02-03 until the move\nresource",
    ) + &PUBLIC
        .replace("site", "bare")
        .replace("resource", "#tfsec:ignore:aws-s3-no-public-access-with-acl\nresource")
        + "# palisade:ignore[TF0002] nothing to suppress\n# palisade:ignore[TF0999] typo\n";
    write(dir.path(), "main.tf", &text);

    let out = palisade_run(dir.path(), ["scan", ".", "-f", "json"], 1);
    let v = json(&out);
    assert_eq!(
        findings(&v),
        vec![
            (
                "aws_s3_bucket_acl.site".into(),
                Some("inSource".into()),
                Some("a public website".into())
            ),
            ("aws_s3_bucket_acl.expired".into(), None, None),
            ("aws_s3_bucket_acl.bare".into(), Some("inSource".into()), None),
        ]
    );
    let expired = &v["findings"][1];
    assert!(
        expired["message"].as_str().unwrap().contains("expired on 2001-02-03"),
        "{expired}"
    );
    let err = stderr(&out);
    assert!(err.contains("main.tf:15: unused suppression"), "{err}");
    assert!(err.contains("main.tf:16: palisade:ignore names `TF0999`"), "{err}");

    // --require-reason: the tfsec comment has none.
    let v = json(&palisade_run(
        dir.path(),
        ["scan", ".", "-f", "json", "--require-reason"],
        1,
    ));
    assert_eq!(findings(&v)[2], ("aws_s3_bucket_acl.bare".into(), None, None));

    // --no-inline-ignores: everything is back.
    let v = json(&palisade_run(
        dir.path(),
        ["scan", ".", "-f", "json", "--no-inline-ignores"],
        1,
    ));
    assert!(findings(&v).iter().all(|f| f.1.is_none()));

    // SARIF keeps suppressed results, with their justification.
    let out = palisade_run(dir.path(), ["scan", ".", "-f", "sarif"], 1);
    let v = json(&out);
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0]["suppressions"],
        serde_json::json!([{ "kind": "inSource", "justification": "a public website" }])
    );
}

#[test]
fn a_comment_above_the_block_reaches_findings_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("# a comment about the bucket\n# palisade:ignore[TF0002] site\n{PUBLIC}");
    write(dir.path(), "main.tf", &text);
    palisade_run(dir.path(), ["scan", "."], 0);
    // A blank line breaks the link.
    write(dir.path(), "main.tf", &text.replace("site\n", "site\n\n"));
    palisade_run(dir.path(), ["scan", "."], 1);
}

#[test]
fn configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", PUBLIC);
    write(dir.path(), "legacy/main.tf", PUBLIC);
    write(dir.path(), "skipped/main.tf", PUBLIC);
    write(
        dir.path(),
        ".palisade.toml",
        "exclude = [\"skipped\"]\nfail-on = \"critical\"\n\n[rules]\nignore-paths = { TF0002 = [\"legacy/**\"] }\n",
    );
    let out = palisade_run(dir.path(), ["scan", ".", "-f", "json"], 0);
    let v = json(&out);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["legacy/main.tf", "main.tf"]);
    assert_eq!(v["findings"][0]["suppression"]["kind"], "external");
    // --fail-on wins over the file.
    palisade_run(dir.path(), ["scan", ".", "--fail-on", "high"], 1);

    // Severity overrides and disabled rules.
    write(
        dir.path(),
        ".palisade.toml",
        "fail-on = \"critical\"\n[rules]\nseverity = { s3-bucket-public-acl = \"critical\" }\n",
    );
    let v = json(&palisade_run(dir.path(), ["scan", ".", "-f", "json"], 1));
    assert_eq!(v["findings"][0]["severity"], "critical");
    write(dir.path(), ".palisade.toml", "[rules]\ndisable = [\"TF0002\"]\n");
    palisade_run(dir.path(), ["scan", "."], 0);
    palisade_run(dir.path(), ["scan", ".", "--no-config"], 1);

    // Unknown keys and unknown rules: errors with file and line.
    write(
        dir.path(),
        ".palisade.toml",
        "fail-on = \"high\"\n\n[rules]\nsevrity = {}\n",
    );
    let err = stderr(&palisade_run(dir.path(), ["scan", "."], 2));
    assert!(err.contains(".palisade.toml:4:") && err.contains("sevrity"), "{err}");
    write(
        dir.path(),
        "other.toml",
        "\n[rules]\ndisable = [\"TF0002\", \"NOPE1234\"]\n",
    );
    let err = stderr(&palisade_run(dir.path(), ["scan", ".", "--config", "other.toml"], 2));
    assert!(err.contains("other.toml:3: `NOPE1234` is no policy"), "{err}");
}

#[test]
fn configuration_schema_is_current() {
    let on_disk = std::fs::read_to_string(repo().join(palisade::cli::SCHEMA_FILE)).unwrap_or_default();
    assert!(
        on_disk == palisade::config::json_schema(),
        "run `cargo run -- docs` to regenerate {}",
        palisade::cli::SCHEMA_FILE
    );
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", PUBLIC);
    palisade_run(dir.path(), ["baseline", "."], 0);
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".palisade-baseline.json")).unwrap()).unwrap();
    assert_eq!(b["findings"].as_array().unwrap().len(), 1);
    palisade_run(dir.path(), ["scan", ".", "--baseline", ".palisade-baseline.json"], 0);
    // Lines move: still in the baseline. A new problem: only it fails.
    let moved = format!("\n\n# moved\n{PUBLIC}{}", PUBLIC.replace("site", "new"));
    write(dir.path(), "main.tf", &moved);
    let v = json(&palisade_run(
        dir.path(),
        ["scan", ".", "-f", "json", "--baseline", ".palisade-baseline.json"],
        1,
    ));
    assert_eq!(
        findings(&v),
        vec![
            (
                "aws_s3_bucket_acl.site".into(),
                Some("external".into()),
                Some("in the baseline .palisade-baseline.json".into())
            ),
            ("aws_s3_bucket_acl.new".into(), None, None),
        ]
    );
    // Fixed findings drop out when the baseline is rewritten.
    write(dir.path(), "main.tf", &PUBLIC.replace("site", "new"));
    palisade_run(dir.path(), ["baseline", ".", "-o", "b.json"], 0);
    let b = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
    assert!(
        b.contains("aws_s3_bucket_acl.new") && !b.contains("aws_s3_bucket_acl.site"),
        "{b}"
    );
}

/// A database port open to the internet: TF0185's finding until TF0220 was
/// split off it for the well-known service ports.
const POSTGRES_OPEN: &str = r#"resource "aws_security_group" "db" {
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

#[test]
fn suppressions_and_baselines_of_a_split_policy_still_apply() {
    let dir = tempfile::tempdir().unwrap();
    let the_two_policies = ["scan", ".", "-f", "json", "--policy", "TF0220", "--policy", "TF0185"];
    write(dir.path(), "main.tf", POSTGRES_OPEN);
    let v = json(&palisade_run(dir.path(), the_two_policies, 1));
    let f = &v["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), v["findings"].as_array().unwrap().len()),
        (Some("TF0220"), 1),
        "{v}"
    );

    // A comment written for TF0185 before the split still suppresses it.
    write(
        dir.path(),
        "main.tf",
        &format!("# palisade:ignore[TF0185] reviewed: a test database\n{POSTGRES_OPEN}"),
    );
    let v = json(&palisade_run(dir.path(), the_two_policies, 0));
    assert_eq!(
        findings(&v),
        vec![(
            "aws_security_group.db".into(),
            Some("inSource".into()),
            Some("reviewed: a test database".into())
        )]
    );

    // So does a baseline entry written for TF0185 (its fingerprint hashes
    // the rule id, file, address and path).
    write(dir.path(), "main.tf", POSTGRES_OPEN);
    let (address, path) = (f["address"].as_str().unwrap(), f["path"].as_str().unwrap());
    let fingerprint = |rule: &str| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [rule, "main.tf", address, path] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(fingerprint("TF0220"), f["fingerprint"].as_str().unwrap());
    let baseline = serde_json::json!({"version": 1, "findings": [
        {"file": "main.tf", "rule": "TF0185", "address": address, "path": path, "fingerprint": fingerprint("TF0185")}
    ]});
    write(dir.path(), "old-baseline.json", &baseline.to_string());
    let v = json(&palisade_run(
        dir.path(),
        the_two_policies.into_iter().chain(["--baseline", "old-baseline.json"]),
        0,
    ));
    assert_eq!(
        findings(&v),
        vec![(
            "aws_security_group.db".into(),
            Some("external".into()),
            Some("in the baseline old-baseline.json".into())
        )]
    );
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Process::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn changed_since_reports_changed_files_and_their_modules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "old/main.tf", PUBLIC);
    write(
        d,
        "mod/main.tf",
        "variable \"acl\" {\n  default = \"private\"\n}\nresource \"aws_s3_bucket_acl\" \"m\" {\n  bucket = \"x\"\n  acl    = var.acl\n}\n",
    );
    write(d, "mod/terraform.tfvars", "acl = \"private\"\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "base"]);
    git(d, &["checkout", "-q", "-b", "topic"]);
    // A changed variable value makes a finding in an unchanged file.
    write(d, "mod/terraform.tfvars", "acl = \"public-read\"\n");
    write(d, "new/main.tf", PUBLIC);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "change"]);
    let v = json(&palisade_run(
        d,
        ["scan", ".", "-f", "json", "--changed-since", "main"],
        1,
    ));
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["mod/main.tf", "new/main.tf"]);
    palisade_run(d, ["scan", ".", "--changed-since", "no-such-ref"], 2);

    // --changed-files (pre-commit): the file's module is evaluated with it.
    let v = json(&palisade_run(
        d,
        ["scan", "-f", "json", "--changed-files", "mod/terraform.tfvars"],
        1,
    ));
    assert_eq!(v["findings"][0]["file"], "mod/main.tf");
}

#[test]
fn several_outputs_from_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "main.tf", &format!("{PUBLIC}{}", PUBLIC.replace("site", "b|<x>")));
    write(d, "ok.tf", "locals {}\n");
    let out = palisade_run(
        d,
        [
            "scan",
            ".",
            "--output",
            "sarif=out.sarif",
            "--output",
            "junit=out.xml",
            "--output",
            "gitlab=cq.json",
            "--output",
            "markdown=summary.md",
            "--output",
            "github",
        ],
        1,
    );
    let annotations = String::from_utf8_lossy(&out.stdout);
    assert!(
        annotations.starts_with("::error file=main.tf,line=3,col=3,endLine=3,endColumn=25,title=TF0002 s3-bucket-public-acl (high)::aws_s3_bucket_acl.site sets"),
        "{annotations}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);

    let junit = std::fs::read_to_string(d.join("out.xml")).unwrap();
    assert!(
        junit.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"palisade\" tests=\"3\" failures=\"2\""
        ),
        "{junit}"
    );
    assert!(
        junit.contains("<testcase name=\"no findings\" classname=\"ok.tf\""),
        "{junit}"
    );
    assert!(junit.contains("aws_s3_bucket_acl.b|&lt;x&gt;"), "{junit}");
    assert_eq!(
        junit.matches("<testsuite ").count(),
        junit.matches("</testsuite>").count()
    );

    let cq: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("cq.json")).unwrap()).unwrap();
    let issue = &cq[0];
    assert_eq!(issue["check_name"], "TF0002");
    assert_eq!(issue["severity"], "critical");
    assert_eq!(issue["location"]["path"], "main.tf");
    assert_eq!(issue["location"]["lines"]["begin"], 3);
    assert_ne!(cq[0]["fingerprint"], cq[1]["fingerprint"]);

    let md = std::fs::read_to_string(d.join("summary.md")).unwrap();
    assert!(md.starts_with("## Palisade: 2 findings (2 high)"), "{md}");
    assert!(md.contains("b\\|&lt;x>"), "{md}");

    palisade_run(d, ["scan", ".", "--output", "text", "--output", "json"], 2);
}

#[test]
fn this_repository_ci_configuration_is_clean() {
    let out = palisade_run(
        &repo(),
        [
            "scan",
            ".github",
            "action.yml",
            "--no-config",
            "--fail-on",
            "info",
            "-f",
            "json",
        ],
        0,
    );
    let v = json(&out);
    assert_eq!(v["findings"], serde_json::json!([]), "{}", stderr(&out));
}

#[test]
fn configuration_var_files_apply_to_every_module() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "infra/main.tf",
        "variable \"acl\" {}\nresource \"aws_s3_bucket_acl\" \"b\" {\n  bucket = \"x\"\n  acl    = var.acl\n}\n",
    );
    write(d, "env/prod.tfvars", "acl = \"public-read\"\n");
    palisade_run(d, ["scan", ".", "--no-config"], 0);
    write(d, ".palisade.toml", "var-files = [\"env/prod.tfvars\"]\n");
    let v = json(&palisade_run(d, ["scan", ".", "-f", "json", "--policy", "TF0002"], 1));
    assert_eq!(v["findings"][0]["file"], "infra/main.tf");
    write(d, ".palisade.toml", "\nvar-files = [\"env/missing.tfvars\"]\n");
    let err = stderr(&palisade_run(d, ["scan", "."], 2));
    assert!(
        err.contains(".palisade.toml:2: var-files: `env/missing.tfvars` is no file"),
        "{err}"
    );
}

/// (rule, line, suppressed) of every finding of a JSON report.
fn placed(v: &serde_json::Value) -> Vec<(String, u64, bool)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                !f["suppression"].is_null(),
            )
        })
        .collect()
}

#[test]
fn suppressions_above_jobs_steps_and_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        ".github/workflows/ci.yml",
        "on: pull_request_target\npermissions: {}\njobs:\n  # palisade:ignore[GH0001] titles are checked upstream\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n  other:\n    runs-on: ubuntu-latest\n    steps:\n      # zizmor: ignore[template-injection]\n      - run: |\n          echo hello\n          echo \"${{ github.event.pull_request.body }}\"\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    );
    let v = json(&palisade_run(d, ["scan", ".", "-f", "json", "--policy", "GH0001"], 1));
    // Above the job: its steps. Above a step: that step only.
    assert_eq!(
        placed(&v),
        vec![
            ("GH0001".into(), 8, true),
            ("GH0001".into(), 15, true),
            ("GH0001".into(), 16, false)
        ]
    );

    write(
        d,
        "Dockerfile",
        "FROM alpine:3.20\n# hadolint ignore=DL3004\nRUN apk add curl && \\\n    sudo ls\nRUN sudo ls\n",
    );
    let v = json(&palisade_run(
        d,
        ["scan", "Dockerfile", "-f", "json", "--policy", "DF0015"],
        1,
    ));
    assert_eq!(
        placed(&v),
        vec![("DF0015".into(), 4, true), ("DF0015".into(), 5, false)]
    );
}
