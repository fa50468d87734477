//! Documentation generated from policy definitions: one Markdown page per
//! policy (also `palisade explain` and SARIF `help.markdown`) and an index.

use std::fmt::Write;

use crate::policy::def::Framework;
use crate::policy::{Category, Policy, Registry};

/// The comment that suppresses a policy, in the input's comment syntax.
pub fn suppression_example(p: &Policy) -> String {
    format!("# palisade:ignore[{}] <reason>", p.id)
}

/// The page of one policy.
pub fn policy_markdown(p: &Policy) -> String {
    let mut s = String::new();
    let lang = match p.docs().example_file.as_deref().and_then(|f| f.rsplit_once('.')) {
        Some((_, "tfstate" | "json")) => "json",
        Some((_, "tf" | "tfvars")) => "hcl",
        _ => p.input.code_language(),
    };
    let _ = writeln!(s, "# {} `{}`: {}\n", p.id, p.name, p.title);
    let _ = writeln!(s, "| Severity | Category | Input | Confidence |");
    let _ = writeln!(s, "|---|---|---|---|");
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} |\n",
        p.severity.as_str(),
        p.category.as_str(),
        p.input.as_str(),
        p.confidence.as_str()
    );
    let _ = writeln!(s, "## What it does\n\n{}\n", p.docs().description);
    let _ = writeln!(s, "## Why it matters\n\n{}\n", p.docs().rationale);
    let _ = writeln!(s, "## Example\n\n```{lang}\n{}\n```\n", p.docs().example);
    let _ = writeln!(
        s,
        "## How to fix\n\n{}\n\n```{lang}\n{}\n```\n",
        p.docs().fix,
        p.docs().fixed_example
    );
    let _ = writeln!(
        s,
        "## Suppressing\n\nWhen the finding is accepted, say why on the flagged line or the line above it \
         (or above the enclosing block):\n\n```{lang}\n{}\n```\n",
        suppression_example(p).replace("<reason>", "reason for accepting the risk")
    );
    if !p.compliance.is_empty() {
        let _ = writeln!(s, "## Compliance\n");
        for (fw, controls) in &p.compliance {
            let _ = writeln!(s, "- {}: {}", fw.title(), controls.join(", "));
        }
        s.push('\n');
    }
    if !p.equivalents.is_empty() || !p.cwe.is_empty() {
        let _ = writeln!(s, "## Equivalent rules\n");
        for cwe in &p.cwe {
            let _ = writeln!(s, "- CWE: {cwe}");
        }
        for (tool, id) in p.equivalents.all() {
            let _ = writeln!(s, "- {tool}: `{id}`");
        }
        s.push('\n');
    }
    if !p.references.is_empty() {
        let _ = writeln!(s, "## References\n");
        for r in &p.references {
            let _ = writeln!(s, "- <{r}>");
        }
        s.push('\n');
    }
    if !p.aliases.is_empty() {
        let _ = writeln!(s, "Also known as: {}\n", p.aliases.join(", "));
    }
    if !p.split_from.is_empty() {
        let _ = writeln!(
            s,
            "Split off from: {}. Findings of this policy used to be reported there; suppression comments and baseline entries written for them still apply.\n",
            p.split_from.join(", ")
        );
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

/// Plain-text help for SARIF `help.text`.
pub fn policy_text(p: &Policy) -> String {
    format!(
        "{}\n\nWhy it matters: {}\n\nHow to fix: {}\n\nTo accept the risk, add `{}` on the flagged line or the line above.",
        p.docs().description,
        p.docs().rationale,
        p.docs().fix,
        suppression_example(p)
    )
}

/// The index page: every policy by category, with its frameworks.
pub fn index_markdown(registry: &Registry) -> String {
    let mut s = String::from(
        "# Policies\n\nGenerated from `policies/**/*.toml` by `cargo run -- docs`; do not edit by hand.\n\n",
    );
    let sorted = registry.sorted();
    let _ = writeln!(s, "{} policies.\n", sorted.len());
    for cat in Category::ALL {
        let in_cat: Vec<_> = sorted.iter().filter(|p| p.category == cat).collect();
        if in_cat.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {} (`{}`)\n", cat.title(), cat.as_str());
        let _ = writeln!(s, "| Id | Name | Severity | Input | Title | Frameworks |");
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for p in in_cat {
            let fws: Vec<&str> = Framework::ALL
                .iter()
                .filter(|f| p.compliance.contains_key(f))
                .map(|f| f.key())
                .collect();
            let _ = writeln!(
                s,
                "| [{}]({}.md) | `{}` | {} | {} | {} | {} |",
                p.id,
                p.id,
                p.name,
                p.severity.as_str(),
                p.input.as_str(),
                p.title,
                fws.join(", ")
            );
        }
        s.push('\n');
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

/// Every generated file: (path relative to the repository, content).
pub fn generated_files(registry: &Registry) -> Vec<(String, String)> {
    let mut out = vec![("docs/policies/README.md".to_string(), index_markdown(registry))];
    for p in registry.sorted() {
        out.push((format!("docs/policies/{}.md", p.id), policy_markdown(p)));
    }
    out.extend(crate::compliance::generated_files(registry).expect("the embedded framework data is valid (tested)"));
    out.push(("docs/writing-policies.md".to_string(), writing_policies()));
    out.push((
        "docs/policy.schema.json".to_string(),
        crate::policy::reference::policy_schema(),
    ));
    out
}

/// `docs/writing-policies.md`: the hand-written tutorial (everything before
/// the marker, as compiled in) followed by the reference generated from the
/// policy format's definition.
fn writing_policies() -> String {
    let tutorial = include_str!("../docs/writing-policies.md");
    let hand = tutorial
        .split(crate::policy::reference::MARKER)
        .next()
        .unwrap_or(tutorial);
    format!("{}{}", hand, crate::policy::reference::markdown())
}
