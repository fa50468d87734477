//! Every policy, alone, against each of its fixtures (`fixtures/<ID>/`):
//! `bad*` entries must produce exactly the findings their `expect:` markers
//! name, `good*` entries none. The runner is the library's
//! (`palisade::policy::testing`), the one `palisade policy test` uses.

use palisade::policy::Rule;
use palisade::policy::testing::check_examples;

use crate::common::*;

#[test]
fn every_policy_matches_its_fixtures() {
    let registry = builtin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for policy in registry.sorted() {
        let dir = repo().join("fixtures").join(&*policy.id);
        if !dir.is_dir() {
            continue; // the meta test reports missing fixtures
        }
        let report = check_examples(policy, &dir, &repo()).expect("scan runs");
        checked += report.entries;
        failures.extend(report.problems);
    }
    assert!(checked > 0, "no fixtures found");
    assert!(
        failures.is_empty(),
        "{} fixture problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Entries in `fixtures/shared/<check>/` hold for every policy built on
/// that Rust check (a family of policies differing only in arguments), so
/// they are written once and run with each policy of the family.
#[test]
fn every_policy_of_a_check_matches_the_shared_fixtures() {
    let registry = builtin();
    let mut failures = Vec::new();
    for dir in std::fs::read_dir(repo().join("fixtures/shared"))
        .expect("fixtures/shared")
        .flatten()
    {
        let check = dir.file_name().to_string_lossy().into_owned();
        let family: Vec<_> = registry
            .sorted()
            .into_iter()
            .filter(|p| matches!(&p.rule, Rule::Check { name, .. } if **name == *check))
            .collect();
        if family.is_empty() {
            failures.push(format!("fixtures/shared/{check}: no policy uses the check `{check}`"));
        }
        for policy in family {
            let report = check_examples(policy, &dir.path(), &repo()).expect("scan runs");
            if report.entries == 0 {
                failures.push(format!("fixtures/shared/{check}: no bad* or good* entry"));
            }
            failures.extend(report.problems);
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
