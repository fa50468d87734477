//! What Palisade must never do: open a network connection, run a program it
//! was not written to run, or leak the scanning machine's paths into SARIF.

use std::path::Path;

use assert_cmd::Command;

use crate::common::{repo, walk};

/// Source files that may start a process, and why.
const MAY_SPAWN: &[(&str, &str)] = &[("src/changed.rs", "reads `git diff --name-only` for --changed-since")];

#[test]
fn no_networking_and_no_unexpected_process_in_the_source() {
    let mut problems = Vec::new();
    for file in walk(&repo().join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let rel = file.strip_prefix(repo()).unwrap().to_string_lossy().replace('\\', "/");
        for needle in ["std::net", "TcpStream", "UdpSocket", "ToSocketAddrs", "TcpListener"] {
            if text.contains(needle) {
                problems.push(format!("{rel}: uses {needle}"));
            }
        }
        if text.contains("Command::new") && !MAY_SPAWN.iter().any(|(f, _)| *f == rel) {
            problems.push(format!("{rel}: starts a process"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No HTTP, TLS or DNS client is linked in, even indirectly.
#[test]
fn no_network_client_among_the_dependencies() {
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).unwrap();
    let banned = [
        "hyper",
        "reqwest",
        "ureq",
        "h2",
        "rustls",
        "native-tls",
        "openssl",
        "curl",
        "isahc",
        "attohttpc",
        "trust-dns-resolver",
        "hickory-resolver",
        "tokio",
    ];
    let linked: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .filter(|name| banned.contains(name))
        .collect();
    assert!(linked.is_empty(), "network crates in Cargo.lock: {linked:?}");
}

/// SARIF carries repository-relative paths only, even when the scan was
/// given an absolute path outside any repository.
#[test]
fn sarif_holds_no_absolute_path_of_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("infra");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(repo().join("fixtures/TF0002/bad.tf"), copy.join("main.tf")).unwrap();
    let out = Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "--format", "sarif", "--fail-on", "none"])
        .arg(&copy)
        .current_dir(dir.path())
        .assert()
        .get_output()
        .stdout
        .clone();
    let sarif = String::from_utf8(out).unwrap();
    assert!(sarif.contains("TF0002"));
    let machine_path = dir.path().to_string_lossy().into_owned();
    assert!(!sarif.contains(&machine_path), "SARIF contains {machine_path}");
    assert!(!sarif.contains(&*repo().to_string_lossy()));
    let uri = regex::Regex::new(r#""uri":\s*"([^"]*)""#).unwrap();
    for cap in uri.captures_iter(&sarif) {
        assert!(
            !Path::new(&cap[1]).is_absolute() && !cap[1].starts_with("file:"),
            "absolute URI {}",
            &cap[1]
        );
    }
}
