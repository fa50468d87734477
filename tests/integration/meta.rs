//! Conventions every policy must follow, enforced: fixtures, docs examples
//! that behave as documented, equivalents, file naming.

use std::path::Path;

use palisade::policy::{InputKind, Policy};
use palisade::scan::ScanOptions;

use crate::common::*;

fn is_policy_id(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_uppercase()).count();
    (2..=4).contains(&letters) && s.len() == letters + 4 && s[letters..].chars().all(|c| c.is_ascii_digit())
}

#[test]
fn every_policy_has_a_bad_and_a_good_fixture() {
    let registry = builtin();
    let mut problems = Vec::new();
    for p in registry.sorted() {
        let dir = repo().join("fixtures").join(&*p.id);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if !names.iter().any(|n| n.starts_with("bad")) {
            problems.push(format!("{}: no fixtures/{}/bad* fixture", p.source, p.id));
        }
        if !names.iter().any(|n| n.starts_with("good")) {
            problems.push(format!("{}: no fixtures/{}/good* fixture", p.source, p.id));
        }
    }
    for e in std::fs::read_dir(repo().join("fixtures")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_policy_id(&name) && registry.get(&name).is_none() {
            problems.push(format!("fixtures/{name}: no policy has this id"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn split_from_names_other_policies_by_id() {
    let registry = builtin();
    let mut problems = Vec::new();
    for p in registry.sorted() {
        for old in &p.split_from {
            let known = registry.get(old).is_some_and(|o| o.id.eq_ignore_ascii_case(old));
            if !known || old.eq_ignore_ascii_case(&p.id) {
                problems.push(format!(
                    "{}: split-from `{old}` is not the id of another policy",
                    p.source
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_policy_file_is_named_after_the_policy_and_has_equivalents() {
    let registry = builtin();
    let mut problems = Vec::new();
    for p in registry.sorted() {
        let stem = Path::new(&p.source).file_stem().unwrap().to_string_lossy().into_owned();
        if stem != *p.name {
            problems.push(format!("{}: file should be named {}.toml", p.source, p.name));
        }
        if p.equivalents.is_empty() && p.equivalents.none.as_deref().is_none_or(|w| w.trim().is_empty()) {
            problems.push(format!(
                "{}: no `[equivalents]`: name the peer rules it corresponds to (or say in `none` why no peer has one)",
                p.source
            ));
        }
        if p.references.is_empty() {
            problems.push(format!("{}: no `references`", p.source));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Where a docs example is written so discovery classifies it.
fn example_file_name(p: &Policy) -> &'static str {
    match p.input {
        InputKind::Terraform => "main.tf",
        InputKind::Dockerfile => "Dockerfile",
        InputKind::GithubActions | InputKind::Ci | InputKind::Any => ".github/workflows/example.yml",
        InputKind::GitlabCi => ".gitlab-ci.yml",
        InputKind::AzurePipelines => "azure-pipelines.yml",
        InputKind::Circleci => ".circleci/config.yml",
        InputKind::BitbucketPipelines => "bitbucket-pipelines.yml",
    }
}

#[test]
fn docs_examples_fire_and_fixed_examples_do_not() {
    let registry = builtin();
    let mut problems = Vec::new();
    for p in registry.sorted() {
        let single = only(&p.id);
        for (what, code, should_fire) in [
            ("example", &p.docs().example, true),
            ("fixed-example", &p.docs().fixed_example, false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let name = p.docs().example_file.as_deref().unwrap_or_else(|| example_file_name(p));
            let file = dir.path().join(name);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, code).unwrap();
            let options = ScanOptions {
                paths: vec![dir.path().to_path_buf()],
                root: Some(dir.path().to_path_buf()),
                ..Default::default()
            };
            let report = palisade::scan::scan(&options, &single).unwrap();
            let fired = !report.findings.is_empty();
            if fired != should_fire {
                problems.push(format!(
                    "{}: docs.{what} {}",
                    p.source,
                    if should_fire { "does not fire" } else { "fires" }
                ));
            }
            if report.had_errors() {
                problems.push(format!(
                    "{}: docs.{what} does not parse: {:?}",
                    p.source, report.notices
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
