//! Snapshots of the text and SARIF output for a small repository.

use palisade::output::{self, Format, OutputCx};

use crate::common::*;

fn render(format: Format) -> String {
    let registry = builtin();
    let report = scan_with(&registry, &repo().join("fixtures/e2e/terraform"), None);
    output::render(
        format,
        &OutputCx {
            report: &report,
            registry: &registry,
            color: false,
        },
    )
}

#[test]
fn text_output() {
    insta::assert_snapshot!(render(Format::Text));
}

#[test]
fn sarif_results() {
    let sarif: serde_json::Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
    let run = &sarif["runs"][0];
    insta::assert_json_snapshot!(serde_json::json!({
        "results": run["results"],
        "invocations": run["invocations"],
        "automationDetails": run["automationDetails"],
        "columnKind": run["columnKind"],
    }));
}

#[test]
fn sarif_rule() {
    let sarif: serde_json::Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["id"] == "TF0002").unwrap();
    insta::assert_json_snapshot!(rule);
}
