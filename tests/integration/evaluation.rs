//! Terraform evaluation end to end: values through variables, tfvars,
//! locals, module arguments, `for_each` and dynamic blocks reach the
//! policies; unknown values give inconclusive results, never findings.
//!
//! Every directory of `fixtures/eval/` is scanned with only the policy its
//! name starts with and must produce exactly what its `expect:` markers say.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use palisade::finding::{Finding, Status};
use palisade::scan::{ScanOptions, ScanReport, scan};

use crate::common::*;

fn eval_dir(name: &str) -> PathBuf {
    repo().join("fixtures/eval").join(name)
}

fn scan_case(dir: &Path, show_inconclusive: bool) -> ScanReport {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let id = name.split('-').next().unwrap();
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        root: Some(repo()),
        show_inconclusive,
        ..Default::default()
    };
    let registry = only(id);
    let mut report = scan(&options, &registry).expect("scan runs");
    // Inline suppressions apply as in a real run: a suppressed finding is
    // not expected by the markers.
    palisade::suppress::apply(&mut report, &registry, &builtin(), &Default::default());
    report.findings.retain(|f| f.suppression.is_none());
    report
}

fn located(report: &ScanReport, status: Status) -> BTreeSet<(String, u32, String)> {
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
}

#[test]
fn every_case_matches_its_markers() {
    let mut failures = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures/eval"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 6);
    for dir in dirs {
        let report = scan_case(&dir, true);
        let errors: Vec<String> = report.notices.iter().map(|n| n.to_string()).collect();
        if !errors.is_empty() {
            failures.push(format!("{}: notices {errors:?}", dir.display()));
        }
        let want = expectations(&dir);
        let (fail, inconclusive) = (located(&report, Status::Fail), located(&report, Status::Inconclusive));
        // JSON cannot carry a marker: those cases are checked on their own below.
        if dir.to_string_lossy().contains("json") {
            continue;
        }
        if fail != want.fail {
            failures.push(format!(
                "{}: findings\n  want {:?}\n  got  {:?}",
                dir.display(),
                want.fail,
                fail
            ));
        }
        if inconclusive != want.inconclusive {
            failures.push(format!(
                "{}: inconclusive\n  want {:?}\n  got  {:?}",
                dir.display(),
                want.inconclusive,
                inconclusive
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn finding<'a>(report: &'a ScanReport, address: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.address == address)
        .unwrap_or_else(|| {
            let all: Vec<&str> = report.findings.iter().map(|f| f.address.as_str()).collect();
            panic!("no finding on {address}; findings on {all:?}")
        })
}

/// `file:line` of a span.
fn at(report: &ScanReport, span: palisade::source::Span) -> String {
    let file = report.sources.get(span.file);
    format!("{}:{}", file.display, file.position(span.start).line)
}

fn related(report: &ScanReport, f: &Finding) -> Vec<String> {
    f.related
        .iter()
        .map(|(s, m)| format!("{} {m}", at(report, *s)))
        .collect()
}

#[test]
fn the_later_variables_file_wins_and_is_shown_as_the_origin() {
    let report = scan_case(&eval_dir("TF0008-unencrypted-through-auto-tfvars-json"), false);
    let f = finding(&report, "aws_ebs_volume.data");
    assert!(at(&report, f.primary).ends_with("TF0008-unencrypted-through-auto-tfvars-json/main.tf:15"));
    let related = related(&report, f);
    assert!(
        related.iter().any(|r| r.contains("prod.auto.tfvars.json:4")),
        "the JSON value is the origin: {related:?}"
    );
}

#[test]
fn a_bad_module_argument_is_reported_at_the_caller_with_the_module_line_related() {
    let report = scan_case(&eval_dir("TF0320-ssh-opened-through-module-argument"), false);
    // `module.suppressed` has the same value, suppressed on the caller's line.
    assert!(!report.findings.iter().any(|f| f.address.contains("suppressed")));
    let f = finding(&report, "module.bastion.azurerm_network_security_rule.ssh");
    assert!(
        at(&report, f.primary).ends_with("module-argument/main.tf:9"),
        "the caller's argument is the primary location: {}",
        at(&report, f.primary)
    );
    let related = related(&report, f);
    assert!(
        related.iter().any(|r| r.contains("modules/nsg-rule/main.tf:18")
            && r.contains("module.bastion.azurerm_network_security_rule.ssh uses the value here")),
        "the module's attribute is related: {related:?}"
    );
    assert!(
        related
            .iter()
            .any(|r| r.contains("module-argument/main.tf:6") && r.contains("module.bastion")),
        "the module call is a related location: {related:?}"
    );
    // Taken by the caller from its own variable: at the argument that passes it.
    let f = finding(&report, "module.from_variable.azurerm_network_security_rule.ssh");
    assert!(at(&report, f.primary).ends_with("module-argument/main.tf:44"));
    // Through a wrapping module: at the outermost caller, where it is written.
    let f = finding(&report, "module.wrapped.module.rule.azurerm_network_security_rule.ssh");
    assert!(at(&report, f.primary).ends_with("module-argument/main.tf:51"));
}

#[test]
fn one_place_in_a_module_names_every_caller() {
    let report = scan_case(&eval_dir("TF0002-one-module-two-callers"), false);
    let f = finding(&report, "module.site.aws_s3_bucket_acl.this");
    let related = related(&report, f);
    for caller in ["examples/basic/main.tf:1", "examples/complete/main.tf:1"] {
        assert!(
            related.iter().any(|r| r.contains(caller) && r.contains("called here")),
            "{caller} is named: {related:?}"
        );
    }
}

#[test]
fn installed_modules_are_evaluated_and_reported_at_the_users_module_block() {
    let report = scan_case(&eval_dir("TF0002-installed-module"), false);
    assert!(report.notices.is_empty(), "{:?}", report.notices);
    let f = finding(&report, "module.public_by_default.aws_s3_bucket_acl.this");
    assert!(
        at(&report, f.primary).ends_with("TF0002-installed-module/main.tf:6"),
        "the module block is the primary location: {}",
        at(&report, f.primary)
    );
    let related = related(&report, f);
    assert!(
        related[0].contains(".terraform/modules/bucket/main.tf:14")
            && related[0].contains("installed by `terraform init`"),
        "the installed code is related: {related:?}"
    );
    // The installed module's output is known: the mirror bucket is private.
    assert!(!report.findings.iter().any(|f| f.address.contains("mirror")));
    // Without modules.json the same output is unknown.
    let report = scan_case(&eval_dir("TF0002-remote-module-not-installed"), true);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].status, Status::Inconclusive);
}

#[test]
fn for_each_instances_carry_their_keys() {
    let report = scan_case(&eval_dir("TF0002-for-each-map"), false);
    let this = finding(&report, "aws_s3_bucket.this");
    assert_eq!(this.instances, vec!["[\"assets\"]", "[\"website\"]"]);
    let shared = finding(&report, "aws_s3_bucket.shared");
    assert_eq!(shared.instances, vec!["[\"a\"]", "[\"b\"]"]);
    let single = scan_case(&eval_dir("TF0002-for-each-map"), false);
    assert!(!single.findings.iter().any(|f| f.address.contains("disabled")));
}

#[test]
fn unknown_values_are_hidden_unless_asked_for() {
    let dir = eval_dir("TF0002-unknown-is-inconclusive");
    assert!(scan_case(&dir, false).findings.is_empty());
    let out = assert_cmd::Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "--policy", "TF0002", "--show-inconclusive", "--root"])
        .arg(repo())
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("aws_s3_bucket.from_variable"), "{text}");
    assert!(text.contains("note"), "{text}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "inconclusive results do not fail the run: {text}"
    );
}

#[test]
fn var_file_and_var_flags_override_the_directory() {
    let dir = eval_dir("TF0008-encrypted-through-tfvars");
    let run = |extra: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("palisade")
            .unwrap()
            .args(["scan", "--policy", "TF0008", "-f", "json", "--root"])
            .arg(repo())
            .args(extra)
            .arg(&dir)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["findings"].as_array().unwrap().len()
    };
    assert_eq!(run(&[]), 0);
    assert_eq!(run(&["--var", "encrypted=false"]), 1);
    let tmp = tempfile::tempdir().unwrap();
    let var_file = tmp.path().join("prod.tfvars");
    std::fs::write(&var_file, "encrypted = false\n").unwrap();
    assert_eq!(run(&["--var-file", var_file.to_str().unwrap()]), 1);
    assert_eq!(
        run(&["--var-file", var_file.to_str().unwrap(), "--var", "encrypted=true"]),
        0
    );
}

#[test]
fn tf_json_is_evaluated_and_findings_point_into_it() {
    let report = scan_case(&eval_dir("TF0002-tf-json"), false);
    assert!(report.notices.is_empty(), "{:?}", report.notices);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let f = finding(&report, "aws_s3_bucket.site");
    assert!(
        at(&report, f.primary).ends_with("TF0002-tf-json/main.tf.json:9"),
        "{}",
        at(&report, f.primary)
    );
    let related = related(&report, f);
    assert!(
        related.iter().any(|r| r.contains("main.tf.json:3")),
        "the default is the origin: {related:?}"
    );
}

#[test]
fn plan_findings_point_back_into_the_configuration_beside_it() {
    // `plan.json` is recognised by its content; the configuration alone
    // cannot know `var.acl` (inconclusive), the plan can: one finding, at
    // the attribute, the plan's place related.
    let report = scan_case(&eval_dir("TF0002-plan-beside-configuration"), true);
    assert!(report.notices.is_empty(), "{:?}", report.notices);
    let f = finding(&report, "aws_s3_bucket_acl.site");
    assert_eq!(f.status, Status::Fail);
    assert!(at(&report, f.primary).ends_with("plan-beside-configuration/main.tf:16"));
    let related = related(&report, f);
    assert!(
        related
            .iter()
            .any(|r| r.contains("plan.json:16") && r.contains("planned as aws_s3_bucket_acl.site")),
        "{related:?}"
    );
    let site: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.address == "aws_s3_bucket_acl.site")
        .collect();
    assert_eq!(
        site.len(),
        1,
        "the configuration's inconclusive result is merged: {site:?}"
    );
}

/// Everything found in `fixtures/eval/TF0002-plan-json` by one policy, as
/// `(status, address, line)`.
fn plan_results(id: &str) -> BTreeSet<(String, String, u32)> {
    let options = ScanOptions {
        paths: vec![eval_dir("TF0002-plan-json")],
        root: Some(repo()),
        show_inconclusive: true,
        ..Default::default()
    };
    let report = scan(&options, &only(id)).expect("scan runs");
    assert!(report.notices.is_empty(), "{:?}", report.notices);
    report
        .findings
        .iter()
        .map(|f| {
            let file = report.sources.get(f.primary.file);
            assert!(file.display.ends_with("plan.tfplan.json"), "{}", file.display);
            let status = if f.status == Status::Fail {
                "fail"
            } else {
                "inconclusive"
            };
            let address = format!("{}{}", f.address, f.instances.concat());
            (status.to_string(), address, file.position(f.primary.start).line)
        })
        .collect()
}

#[test]
fn plan_json_resources_are_checked_with_unknowns_inconclusive() {
    // The public ACL is reported on its value in the JSON; the module's
    // bucket whose ACL is only known after apply is inconclusive.
    assert_eq!(
        plan_results("TF0002"),
        BTreeSet::from([
            ("fail".to_string(), "aws_s3_bucket.site".to_string(), 16),
            (
                "inconclusive".to_string(),
                "module.logs.aws_s3_bucket.this[\"shared\"]".to_string(),
                108
            ),
        ])
    );
    // The encrypted volume passes; the one whose `encrypted` is unknown is inconclusive.
    let ebs = plan_results("TF0008");
    assert_eq!(ebs.len(), 1, "{ebs:?}");
    assert!(
        ebs.iter()
            .all(|(s, a, _)| s == "inconclusive" && a == "aws_ebs_volume.scratch[0]")
    );
}

#[test]
fn refers_to_needs_via_and_looks_at_the_resource_named() {
    let def: palisade::policy::def::ConditionDef = toml::from_str(r#"refers-to = "azurerm_storage_account""#).unwrap();
    let e = palisade::policy::condition::compile(&def).unwrap_err();
    assert!(e.message.contains("`refers-to` needs `via`"), "{}", e.message);
    let def: palisade::policy::def::ConditionDef = toml::from_str(
        r#"refers-to = "azurerm_storage_account"
via = []"#,
    )
    .unwrap();
    let e = palisade::policy::condition::compile(&def).unwrap_err();
    assert!(
        e.message.contains("`via` needs at least one attribute"),
        "{}",
        e.message
    );
    // The separate rules of a private account are silent, those of a public one are not.
    let report = scan_case(&eval_dir("TF0303-storage-network-rules-resource"), true);
    let addresses: Vec<&str> = report.findings.iter().map(|f| f.address.as_str()).collect();
    assert_eq!(addresses, vec!["azurerm_storage_account_network_rules.open"]);
}

#[test]
fn a_model_is_never_shown_as_a_file_only_quoted_at_the_call() {
    let report = scan_case(&eval_dir("TF0004-module-model-s3-bucket"), true);
    assert!(!report.findings.is_empty());
    for f in &report.findings {
        for span in std::iter::once(&f.primary).chain(f.related.iter().map(|(s, _)| s)) {
            let file = &report.sources.get(span.file).display;
            assert!(!file.starts_with("palisade-model:"), "{} points into {file}", f.address);
        }
    }
    // The default that decides comes from the release the call's version admits.
    let f = finding(&report, "module.old_defaults.aws_s3_bucket_public_access_block.this");
    let related = related(&report, f);
    assert!(
        related.iter().any(|r| r.contains("main.tf:7 ")
            && r.contains("releases >= 3.0.0, < 3.9.0")
            && r.contains("`variable \"block_public_acls\" { default = false }`")),
        "{related:?}"
    );
}

#[test]
fn models_can_be_turned_off() {
    let dir = eval_dir("TF0004-module-model-s3-bucket");
    let mut options = ScanOptions {
        paths: vec![dir],
        root: Some(repo()),
        show_inconclusive: true,
        ..Default::default()
    };
    options.terraform.no_module_models = true;
    let report = scan(&options, &only("TF0004")).expect("scan runs");
    let blocking: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.address.starts_with("module."))
        .collect();
    assert!(
        blocking.is_empty(),
        "{:?}",
        blocking.iter().map(|f| &f.address).collect::<Vec<_>>()
    );
}
