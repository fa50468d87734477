//! Generated documentation must match the policies. Regenerate with
//! `cargo run -- docs` when this fails.

use crate::common::*;

#[test]
fn generated_policy_docs_are_current() {
    let registry = builtin();
    let mut stale = Vec::new();
    let generated = palisade::docs::generated_files(&registry);
    for (rel, content) in &generated {
        match std::fs::read_to_string(repo().join(rel)) {
            Ok(on_disk) if on_disk == *content => {}
            Ok(_) => stale.push(format!("{rel} is stale")),
            Err(_) => stale.push(format!("{rel} is missing")),
        }
    }
    for e in std::fs::read_dir(repo().join("docs/policies")).unwrap().flatten() {
        let rel = format!("docs/policies/{}", e.file_name().to_string_lossy());
        if !generated.iter().any(|(r, _)| *r == rel) {
            stale.push(format!("{rel} belongs to no policy"));
        }
    }
    assert!(
        stale.is_empty(),
        "run `cargo run -- docs` to regenerate:\n{}",
        stale.join("\n")
    );
}
