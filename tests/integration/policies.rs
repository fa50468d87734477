//! Every policy, alone, against each of its fixtures: `bad*` entries must
//! produce exactly the findings their `expect:` markers name, `good*` entries
//! none. An entry is a file, or a directory scanned as one input (a module).

use std::collections::BTreeSet;

use palisade::finding::Status;
use palisade::scan::ScanOptions;

use crate::common::*;

#[test]
fn every_policy_matches_its_fixtures() {
    let registry = builtin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for policy in registry.sorted() {
        let dir = repo().join("fixtures").join(&*policy.id);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue; // the meta test reports missing fixtures
        };
        let single = only(&policy.id);
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            checked += 1;
            let options = ScanOptions {
                paths: vec![entry.clone()],
                discover: palisade::discover::DiscoverOptions {
                    kind_override: fixture_kind(policy, &entry),
                    ..Default::default()
                },
                root: Some(repo()),
                show_inconclusive: true,
                ..Default::default()
            };
            let report = palisade::scan::scan(&options, &single).expect("scan runs");
            let errors: Vec<String> = report
                .notices
                .iter()
                .filter(|n| n.level == palisade::notice::NoticeLevel::Error)
                .map(|n| n.to_string())
                .collect();
            if !errors.is_empty() && !name.contains("invalid") {
                failures.push(format!("{}: scan errors: {errors:?}", entry.display()));
            }
            let found = |status: Status| -> BTreeSet<(String, u32, String)> {
                report
                    .findings
                    .iter()
                    .filter(|f| f.status == status)
                    .map(|f| {
                        let file = report.sources.get(f.primary.file);
                        (
                            file.display.clone(),
                            file.position(f.primary.start).line,
                            f.policy.id.to_string(),
                        )
                    })
                    .collect()
            };
            let mut expected = expectations(&entry);
            expected.fail.retain(|(_, _, id)| id == &*policy.id);
            expected.inconclusive.retain(|(_, _, id)| id == &*policy.id);
            let (fail, inconclusive) = (found(Status::Fail), found(Status::Inconclusive));
            if name.starts_with("bad") && expected.fail.is_empty() {
                failures.push(format!(
                    "{}: a bad fixture without any `expect: {}` marker",
                    entry.display(),
                    policy.id
                ));
            }
            if name.starts_with("good") && !expected.fail.is_empty() {
                failures.push(format!("{}: a good fixture must not expect failures", entry.display()));
            }
            for (what, want, got) in [
                ("fail", &expected.fail, &fail),
                ("inconclusive", &expected.inconclusive, &inconclusive),
            ] {
                for missing in want.difference(got) {
                    failures.push(format!(
                        "{}:{}: expected {what} {} not reported",
                        missing.0, missing.1, missing.2
                    ));
                }
                for extra in got.difference(want) {
                    failures.push(format!("{}:{}: unexpected {what} {}", extra.0, extra.1, extra.2));
                }
            }
        }
    }
    assert!(checked > 0, "no fixtures found");
    assert!(
        failures.is_empty(),
        "{} fixture problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
