//! `palisade compliance` and the framework data it reads.

use assert_cmd::Command;

use crate::common::{builtin, repo};

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").unwrap();
    c.current_dir(repo()).env("NO_COLOR", "1");
    c
}

#[test]
fn every_control_a_policy_names_is_in_the_framework_data() {
    let data = palisade::compliance::frameworks().expect("framework files are valid");
    let problems = palisade::compliance::unknown_controls(&builtin(), &data);
    assert!(
        problems.is_empty(),
        "add these controls (id and a short title of your own) to policies/frameworks:\n{}",
        problems.join("\n")
    );
}

#[test]
fn framework_files_are_not_loaded_as_policies() {
    let registry = builtin();
    assert!(
        registry
            .sorted()
            .iter()
            .all(|p| !p.source.contains("policies/frameworks/"))
    );
}

fn json_report(framework: &str) -> serde_json::Value {
    let out = palisade()
        .args([
            "compliance",
            "--framework",
            framework,
            "fixtures/e2e/compliance-azure",
            "--format",
            "json",
        ])
        .assert()
        .get_output()
        .clone();
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn control<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("control {id} in the report"))
}

#[test]
fn controls_pass_fail_and_stay_inconclusive_or_uncovered() {
    let report = json_report("cis-azure");
    assert_eq!(report["framework"], "cis-azure");
    // Secure transfer: one account of three fails.
    let c = control(&report, "3.1");
    assert_eq!(c["status"], "fail");
    let p = &c["policies"][0];
    assert_eq!(
        (p["id"].as_str(), p["checked"].as_u64(), p["failed"].as_u64()),
        (Some("TF0300"), Some(3), Some(1))
    );
    assert_eq!(p["passed"], 2);
    assert_eq!(c["results"][0]["line"], 10);
    // Minimum TLS depends on an unset variable.
    assert_eq!(control(&report, "3.15")["status"], "inconclusive");
    // Infrastructure encryption is on everywhere.
    assert_eq!(control(&report, "3.2")["status"], "pass");
    // No key vault in the configuration.
    assert_eq!(control(&report, "8.5")["status"], "not-applicable");
    // No Defender plan is set in the configuration.
    assert_eq!(control(&report, "2.1.1")["status"], "not-applicable");
    // No policy checks that key vaults are reached through private endpoints.
    assert_eq!(control(&report, "8.7")["status"], "not-covered");
    let total: u64 = report["summary"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, report["controls"].as_array().unwrap().len());
}

#[test]
fn exit_codes_and_formats() {
    palisade()
        .args([
            "compliance",
            "--framework",
            "cis-azure",
            "fixtures/e2e/compliance-azure",
        ])
        .assert()
        .code(1);
    palisade()
        .args(["compliance", "--framework", "cis-gcp", "fixtures/e2e/compliance-azure"])
        .assert()
        .code(0);
    let out = palisade()
        .args([
            "compliance",
            "--framework",
            "cis-azure",
            "fixtures/e2e/compliance-azure",
            "--format",
            "markdown",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("| 3.1 | Storage accounts require secure transfer (HTTPS) | fail | TF0300 (3 / 1) |"),
        "{md}"
    );
    palisade()
        .args(["compliance", "--framework", "cis-azure", ".", "--format", "sarif"])
        .assert()
        .code(2);
    palisade()
        .args(["compliance", "--framework", "iso-27001", "."])
        .assert()
        .code(2);
}
