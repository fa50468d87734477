//! Users' own policies: loading (`--policies DIR`), overrides, validation
//! errors with file and line, and `palisade policy check|test`.

use std::path::{Path, PathBuf};

use palisade::policy::{PolicyError, Severity, user};

use crate::common::*;

fn user_dir(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// The built-in policies plus a folder of users' policies.
fn registry_with(dir: &Path) -> Result<palisade::policy::Registry, Vec<PolicyError>> {
    let mut registry = builtin();
    user::extend(&mut registry, &[dir.to_path_buf()])?;
    Ok(registry)
}

#[test]
fn user_policies_load_beside_the_builtin_ones_with_overrides() {
    let registry = registry_with(&user_dir("user-policies")).expect("valid");
    for id in ["ACME0001", "ACME0002", "ACME0003", "ACME0101", "TF0002"] {
        assert!(registry.get(id).is_some(), "{id} loaded");
    }
    // tf0003-severity.toml raises TF0003; tf0001-off.toml disables TF0001.
    assert_eq!(registry.get("TF0003").unwrap().severity, Severity::High);
    assert!(registry.get("TF0001").is_none());
}

#[test]
fn user_policies_report_in_a_scan_of_each_input_kind() {
    let registry = registry_with(&user_dir("user-policies")).expect("valid");
    for (example, id) in [
        ("user-policies/tagging/data-classification-tag/bad.tf", "ACME0001"),
        ("user-policies/tagging/s3-bucket-versioning/bad.tf", "ACME0002"),
        ("user-policies/encryption/s3-bucket-kms/bad.tf", "ACME0003"),
        ("user-policies/images/approved-base-images/bad.Dockerfile", "ACME0101"),
        ("user-policies/workflows/job-timeout/bad.yml", "ACME0201"),
    ] {
        let path = repo().join("fixtures").join(example);
        let kind = palisade::policy::testing::fixture_kind(registry.get(id).unwrap(), &path);
        let report = scan_with(&registry, &path, kind);
        let found: Vec<u32> = report
            .findings
            .iter()
            .filter(|f| &*f.policy.id == id)
            .map(|f| report.sources.get(f.primary.file).position(f.primary.start).line)
            .collect();
        let want: Vec<u32> = expectations(&path).fail.iter().map(|m| m.1).collect();
        assert_eq!(found, want, "{example}");
        if id == "ACME0001" {
            let tf0003 = report.findings.iter().find(|f| &*f.policy.id == "TF0003").unwrap();
            assert_eq!(tf0003.severity, Severity::High, "the override applies to findings");
        }
    }
}

#[test]
fn scan_takes_policies_folders() {
    let out = palisade_run(
        &repo(),
        [
            "scan",
            "--policies",
            "fixtures/user-policies",
            "fixtures/user-policies/images/approved-base-images/bad.Dockerfile",
        ],
        1,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("high ACME0101 stage stage-0 builds from \"python\""),
        "{text}"
    );
}

#[test]
fn policy_check_accepts_a_valid_folder() {
    let out = palisade_run(&repo(), ["policy", "check", "fixtures/user-policies"], 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "5 policies and 2 overrides: valid\n"
    );
}

#[test]
fn policy_test_passes_when_examples_match() {
    let out = palisade_run(&repo(), ["policy", "test", "fixtures/user-policies"], 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("PASS ACME0001 s3-bucket-without-data-classification (2 examples)"),
        "{text}"
    );
    assert!(
        text.contains("PASS ACME0101 base-image-outside-our-registry (2 examples)"),
        "{text}"
    );
    assert!(
        text.contains("PASS ACME0201 job-without-timeout (2 examples)"),
        "{text}"
    );
    assert!(
        text.contains("PASS ACME0003 s3-bucket-without-kms (2 examples)"),
        "{text}"
    );
    assert!(text.ends_with("5 passed, 0 failed\n"), "{text}");
}

#[test]
fn policy_test_fails_and_says_where() {
    let out = palisade_run(&repo(), ["policy", "test", "fixtures/user-policies-failing"], 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "FAIL ACME0009 s3-bucket-without-owner\n\
         \x20 fixtures/user-policies-failing/tagging/owner-tag/bad.tf:6: expected fail ACME0009 not reported\n\
         \x20 fixtures/user-policies-failing/tagging/owner-tag/good.tf:2: unexpected fail ACME0009\n\
         0 passed, 1 failed\n"
    );
}

/// Each file of `fixtures/user-policies-invalid` holds one mistake, marked
/// `# error-here: <what the message says>` on the line the error must name.
#[test]
fn every_validation_error_names_file_line_and_what_is_wrong() {
    let marker = regex::Regex::new(r"error-here: (.*)$").unwrap();
    let files: Vec<PathBuf> = walk(&user_dir("user-policies-invalid"));
    assert!(files.len() >= 18, "one file per validation error");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (line, what) = text
            .lines()
            .enumerate()
            .find_map(|(i, l)| marker.captures(l).map(|c| (i + 1, c[1].trim().to_string())))
            .unwrap_or_else(|| panic!("{}: no error-here marker", file.display()));
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(file.file_name().unwrap());
        std::fs::copy(&file, &copy).unwrap();
        let errors = registry_with(dir.path()).expect_err(&file.display().to_string());
        assert_eq!(errors.len(), 1, "{}: {errors:?}", file.display());
        let e = &errors[0];
        assert_eq!(e.file, copy.display().to_string(), "{}", file.display());
        assert_eq!(e.line, line, "{}: {e}", file.display());
        assert!(e.message.contains(&what), "{}: {e}\nwant: {what}", file.display());
    }
}

#[test]
fn policy_check_reports_errors_and_exits_two() {
    let out = palisade_run(&repo(), ["policy", "check", "fixtures/user-policies-invalid"], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: fixtures/user-policies-invalid/unknown-severity.toml:4: unknown variant `urgent`"),
        "{err}"
    );
    assert!(err.contains("problems found"), "{err}");
}

/// `policies = [...]` in `.palisade.toml` loads folders relative to the file;
/// a folder that does not exist is an error at its line.
#[test]
fn configuration_loads_policies_folders() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("security/policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::copy(
        user_dir("user-policies/tagging/data-classification-tag.toml"),
        policies.join("data-classification-tag.toml"),
    )
    .unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir_all(&infra).unwrap();
    std::fs::copy(
        user_dir("user-policies/tagging/data-classification-tag/bad.tf"),
        infra.join("main.tf"),
    )
    .unwrap();
    let config = dir.path().join(".palisade.toml");
    std::fs::write(&config, "fail-on = \"low\"\npolicies = [\"security/policies\"]\n").unwrap();
    let scan = [Path::new("scan"), Path::new("--config"), &config, &infra];
    let out = palisade_run(&repo(), scan, 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ACME0001"));

    std::fs::write(&config, "policies = [\n  \"security/missing\",\n]\n").unwrap();
    let scan = [Path::new("scan"), Path::new("--config"), &config, &infra];
    let out = palisade_run(&repo(), scan, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".palisade.toml:2") && err.contains("security/missing"),
        "{err}"
    );
}

/// The policies `docs/writing-policies.md` walks through are the ones tested
/// above, word for word.
#[test]
fn the_documented_policies_are_the_tested_ones() {
    let doc = std::fs::read_to_string(repo().join("docs/writing-policies.md")).unwrap();
    let files: Vec<String> = walk(&user_dir("user-policies"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(blocks.len() >= 5, "{}", blocks.len());
    for block in blocks {
        assert!(
            files.iter().any(|f| f.contains(block)),
            "this example of docs/writing-policies.md is not in fixtures/user-policies:\n{block}"
        );
    }
}
