//! Every policy, alone, against each of its fixtures (`fixtures/<ID>/`):
//! `bad*` entries must produce exactly the findings their `expect:` markers
//! name, `good*` entries none. The runner is the library's
//! (`palisade::policy::testing`), the one `palisade policy test` uses.

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
