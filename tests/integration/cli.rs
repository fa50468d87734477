//! The command line as users run it: exit codes, notices, formats.

use assert_cmd::Command;

use crate::common::repo;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").unwrap();
    c.current_dir(repo()).env("NO_COLOR", "1");
    c
}

#[test]
fn exit_code_one_when_findings_reach_the_threshold() {
    palisade().args(["scan", "fixtures/TF0002/bad.tf"]).assert().code(1);
    palisade()
        .args(["scan", "fixtures/TF0002/bad.tf", "--fail-on", "critical"])
        .assert()
        .code(0);
    palisade()
        .args(["scan", "fixtures/TF0002/bad.tf", "--fail-on", "none"])
        .assert()
        .code(0);
}

#[test]
fn exit_code_zero_when_clean() {
    palisade().args(["scan", "fixtures/e2e/clean"]).assert().code(0);
}

#[test]
fn usage_errors_exit_two_with_one_line() {
    let out = palisade()
        .args(["scan", "does/not/exist"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does/not/exist"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    palisade().args(["explain", "NOPE0000"]).assert().code(2);
    palisade().args(["scan", "--var", "novalue"]).assert().code(2);
    palisade().args(["scan", "--format", "xml"]).assert().code(2);
}

#[test]
fn a_file_that_does_not_parse_is_named_and_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  acl = \n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ok.tf"),
        "resource \"aws_s3_bucket\" \"p\" {\n  acl = \"public-read\"\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("binary.tf"), b"\x00\x01\x02").unwrap();
    std::fs::write(dir.path().join("latin1.tf"), b"# caf\xe9\n").unwrap();
    let out = palisade()
        .args(["scan", "--policy", "TF0002"])
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("broken.tf:"), "{err}");
    assert!(err.contains("binary.tf: skipped: binary file"), "{err}");
    assert!(err.contains("latin1.tf: line 1: not valid UTF-8"), "{err}");
    // The rest of the scan went on.
    assert!(stdout.contains("ok.tf:2:3: high TF0002"), "{stdout}");
}

#[test]
fn rules_and_explain() {
    let out = palisade().args(["rules"]).assert().success().get_output().clone();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("TF0002"), "{s}");
    let out = palisade()
        .args(["explain", "s3-bucket-public-acl"])
        .assert()
        .success()
        .get_output()
        .clone();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("## What it does") && s.contains("## How to fix"), "{s}");
}

#[test]
fn output_file_is_written_and_formats_parse() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "sarif"] {
        let path = dir.path().join(format!("out.{format}"));
        palisade()
            .args(["scan", "fixtures/TF0002", "--format", format, "--output"])
            .arg(&path)
            .assert()
            .code(1);
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v.is_object());
    }
}

/// Same input, byte-identical output, whatever the number of threads and
/// however the work was scheduled.
#[test]
fn output_is_deterministic() {
    for format in ["sarif", "json"] {
        let run = |threads: &str| {
            palisade()
                .args([
                    "scan",
                    "fixtures",
                    "--format",
                    format,
                    "--fail-on",
                    "none",
                    "-j",
                    threads,
                ])
                .assert()
                .get_output()
                .stdout
                .clone()
        };
        let first = run("1");
        assert!(!first.is_empty());
        for threads in ["8", "8"] {
            assert!(first == run(threads), "{format} output differs with {threads} threads");
        }
    }
}

/// `-o` onto a FIFO (like `/dev/null` or `/dev/stdout`) writes into it: an
/// atomic rename would replace the special file with a regular one.
#[cfg(unix)]
#[test]
fn output_to_a_special_file_writes_into_it_and_keeps_it() {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(fifo).unwrap().read_to_string(&mut text).unwrap();
            text
        })
    };
    palisade()
        .args(["scan", "fixtures/TF0002", "--format", "json", "--fail-on", "none", "-o"])
        .arg(&fifo)
        .assert()
        .code(0);
    // Checked before joining: had the FIFO been replaced, the reader would
    // still be waiting for a writer.
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let text = reader.join().unwrap();
    assert!(text.contains("TF0002"), "{text}");
}

/// `-o /dev/stdout` when standard output is a pipe: the path's symlinks end
/// in a `pipe:[…]` name that cannot be resolved, and the report must still
/// go into the pipe, leaving the link in place (it once replaced the link
/// with a regular file).
#[cfg(target_os = "linux")]
#[test]
fn output_through_a_link_to_a_pipe_writes_into_the_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let out = palisade()
        .args(["scan", "fixtures/TF0002", "--format", "json", "--fail-on", "none", "-o"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("TF0002"));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}
