//! Planted credentials never appear in full in any output: the bad fixtures
//! of the secret policies hold fake credentials of every format, and every
//! output format of a scan over them (with every policy enabled, so other
//! policies' snippets of the same lines are covered too) is searched for them.

use std::collections::BTreeSet;

use assert_cmd::Command;
use clap::ValueEnum;
use palisade::output::Format;
use palisade::scan::ScanOptions;

use crate::common::*;

/// The secret itself, and windows of 12 characters of it past its first 12
/// (a format's fixed prefix, `pypi-AgEIcHl`, `eyJhbGciOi`, is in the docs of
/// the policies and not secret), skipping windows that hold whitespace or
/// escapes (a PEM header, `\n` inside a JSON string), which output formats
/// may escape.
fn windows(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    let tail = chars.get(12..).unwrap_or_default();
    std::iter::once(secret.to_string())
        .chain(tail.windows(12).map(|w| w.iter().collect::<String>()))
        .filter(|w| w.chars().all(|c| !c.is_whitespace() && c != '\\' && c != '"'))
        .collect()
}

#[test]
fn planted_credentials_never_appear_in_any_output() {
    let registry = builtin();
    let fixtures: Vec<_> = registry
        .sorted()
        .into_iter()
        .filter(|p| p.id.starts_with("SC"))
        .map(|p| repo().join("fixtures").join(&*p.id))
        .collect();
    let options = ScanOptions {
        paths: fixtures.clone(),
        root: Some(repo()),
        ..Default::default()
    };
    let report = palisade::scan::scan(&options, &registry).expect("scan runs");
    let mut secrets = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for f in &report.findings {
        for s in &f.sensitive {
            secrets.insert(report.sources.get(s.file).slice(*s).to_string());
            policies.insert(f.policy.id.to_string());
        }
    }
    // Every format policy and both generic ones planted at least one secret.
    for n in 1..=18 {
        let id = format!("SC{n:04}");
        assert!(policies.contains(&id), "{id} reported no secret over its fixtures");
    }
    let fixture_args: Vec<String> = fixtures
        .iter()
        .map(|p| p.strip_prefix(repo()).unwrap().display().to_string())
        .collect();
    let mut leaks = Vec::new();
    for format in Format::value_variants() {
        let name = format.to_possible_value().unwrap().get_name().to_string();
        let out = Command::cargo_bin("palisade")
            .unwrap()
            .current_dir(repo())
            .args(["scan", "--no-config", "--fail-on", "none", "--format", &name])
            .args(&fixture_args)
            .output()
            .unwrap();
        assert!(!out.stdout.is_empty(), "{name}: no output");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in &secrets {
            if let Some(w) = windows(secret).into_iter().find(|w| all.contains(w.as_str())) {
                leaks.push(format!("{name}: shows `{w}…` of a planted secret"));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

#[test]
fn secrets_in_adds_files_searched_for_secrets_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.properties"), "db.password=Jq4vT8nZ2xW6mR3p\n").unwrap();
    std::fs::write(dir.path().join(".env"), "API_TOKEN=Bn7kL2qX9wE4rT6y\n").unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = Command::cargo_bin("palisade")
            .unwrap()
            .current_dir(dir.path())
            .args(["scan", ".", "--no-config", "--fail-on", "none", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let files = |v: &serde_json::Value| -> BTreeSet<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "SC0018")
            .map(|f| f["file"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(files(&run(&[])), BTreeSet::from([".env".to_string()]));
    assert_eq!(
        files(&run(&["--secrets-in", "*.properties"])),
        BTreeSet::from([".env".to_string(), "app.properties".to_string()])
    );
}
