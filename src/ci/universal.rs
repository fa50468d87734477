//! Checks that apply to every CI system alike, on the facts the walker
//! extracted ([`super::facts`]): one implementation, not one per system.

use crate::checks::{Check, CheckCx, Hit};
use crate::policy::InputKind;
use crate::policy::condition::Tri;
use crate::yaml::Node;

use super::{ci_file, dedup, hit, shell};

pub const PIPE_TO_SHELL: Check = Check {
    name: "ci-pipe-to-shell",
    input: InputKind::Ci,
    description: "A script downloads code and pipes it straight into an interpreter (`curl … | sh`).",
    run: pipe_to_shell,
};

pub const TLS_VERIFY_DISABLED: Check = Check {
    name: "ci-tls-verify-disabled",
    input: InputKind::Ci,
    description: "A script or variable turns off TLS certificate verification (`curl -k`, `GIT_SSL_NO_VERIFY`).",
    run: tls_verify_disabled,
};

pub const UNPINNED_IMAGE: Check = Check {
    name: "ci-unpinned-image",
    input: InputKind::Ci,
    description: "A job or service container image has no tag or the `latest` tag.",
    run: unpinned_image,
};

pub const HARDCODED_CREDENTIAL: Check = Check {
    name: "ci-hardcoded-credential",
    input: InputKind::Ci,
    description: "A variable or input with a credential-like name is given a literal value.",
    run: hardcoded_credential,
};

pub const UNPINNED_ORB: Check = Check {
    name: "circleci-unpinned-orb",
    input: InputKind::Circleci,
    description: "A CircleCI orb is referenced by a floating version (`@volatile`, a major or minor only).",
    run: unpinned_orb,
};

/// The text of a scalar, with its source mapping.
fn scripts<'a>(cx: &'a CheckCx) -> impl Iterator<Item = (&'a super::Fact, &'a crate::yaml::Scalar)> {
    ci_file(cx)
        .into_iter()
        .flat_map(|f| f.scripts.iter())
        .filter_map(|s| s.node.scalar().map(|sc| (s, &**sc)))
}

fn pipe_to_shell(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let from = hits.len();
    for (fact, scalar) in scripts(cx) {
        for range in shell::pipe_to_shell(&scalar.text) {
            let span = scalar.source_span(range.clone());
            let cmd = first_line(&scalar.text[range]);
            hits.push(hit(
                Tri::True,
                fact.owner.clone(),
                span,
                "",
                format!(
                    "{} pipes a download into an interpreter (`{cmd}`): whatever the server sends is executed with the job's secrets",
                    fact.owner
                ),
            ));
        }
    }
    dedup(hits, from);
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
    }
}

fn tls_verify_disabled(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let from = hits.len();
    for (fact, scalar) in scripts(cx) {
        for (range, what) in shell::tls_off(&scalar.text) {
            hits.push(hit(
                Tri::True,
                fact.owner.clone(),
                scalar.source_span(range),
                "",
                format!(
                    "{} turns off TLS certificate verification ({what}): anyone on the network path can impersonate the server",
                    fact.owner
                ),
            ));
        }
    }
    if let Some(file) = ci_file(cx) {
        for var in &file.vars {
            if let Some(v) = value_text(&var.value)
                && shell::tls_off_variable(&var.name, &v)
            {
                hits.push(hit(
                    Tri::True,
                    var.owner.clone(),
                    var.span,
                    &var.name,
                    format!(
                        "{} sets {}={v}, which turns off TLS certificate verification",
                        owner_name(&var.owner, &file.display),
                        var.name
                    ),
                ));
            }
        }
    }
    dedup(hits, from);
}

/// A scalar's text, for numbers and booleans too (`GIT_SSL_NO_VERIFY: 1`).
fn value_text(n: &Node) -> Option<String> {
    n.scalar().map(|s| s.text.clone())
}

fn owner_name(owner: &str, display: &str) -> String {
    if owner.is_empty() {
        display.to_string()
    } else {
        owner.to_string()
    }
}

/// How an image reference is pinned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pin {
    Digest,
    Tag,
    /// No tag, or `latest`.
    Floating,
    /// Computed from variables: not known here.
    Unknown,
}

pub(crate) fn image_pin(reference: &str) -> Pin {
    let r = reference.trim();
    if r.contains('$') || r.contains("{{") || r.contains("<<") {
        return Pin::Unknown;
    }
    if r.contains("@sha256:") || r.contains("@sha512:") {
        return Pin::Digest;
    }
    // the tag follows the last `:` after the last `/` (a registry port has a `/` after it)
    let last = r.rsplit('/').next().unwrap_or(r);
    match last.rsplit_once(':') {
        Some((_, tag)) if tag.eq_ignore_ascii_case("latest") => Pin::Floating,
        Some((_, tag)) if !tag.is_empty() => Pin::Tag,
        _ => Pin::Floating,
    }
}

fn unpinned_image(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    let from = hits.len();
    for img in &file.images {
        let Some(reference) = img.node.as_str() else { continue };
        if reference.trim().is_empty() {
            continue;
        }
        let owner = owner_name(&img.owner, &file.display);
        match image_pin(reference) {
            Pin::Floating => hits.push(hit(
                Tri::True,
                img.owner.clone(),
                img.node.span,
                "image",
                format!("{owner} uses the image `{reference}` without a version: each run may pull a different image"),
            )),
            Pin::Unknown => hits.push(hit(
                Tri::Unknown,
                img.owner.clone(),
                img.node.span,
                "image",
                format!("{owner} uses the image `{reference}`, whose version comes from a variable"),
            )),
            Pin::Digest | Pin::Tag => {}
        }
    }
    dedup(hits, from);
}

fn hardcoded_credential(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    let from = hits.len();
    for var in &file.vars {
        let Some(scalar) = var.value.scalar() else { continue };
        // numbers and booleans are settings (`TOKEN_TTL: 3600`), not secrets
        if !matches!(scalar.typed(), crate::value::ValKind::String(_)) {
            continue;
        }
        let sure = crate::secrets::hardcoded_credential(&var.name, &scalar.text);
        if sure.is_none_or(|c| c < crate::policy::Confidence::Medium) {
            continue;
        }
        let mut h = hit(
            Tri::True,
            var.owner.clone(),
            var.value.span,
            &var.name,
            format!(
                "{} sets {} to a literal value: a credential committed to the repository is readable by everyone with access to it",
                owner_name(&var.owner, &file.display),
                var.name
            ),
        );
        h.sensitive.push(var.value.span);
        hits.push(h);
    }
    dedup(hits, from);
}

fn unpinned_orb(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(file) = ci_file(cx) else { return };
    let Some(orbs) = file.root().and_then(|r| r.get("orbs")) else {
        return;
    };
    for p in orbs.pairs() {
        // inline orbs are maps; references are `namespace/name@version`
        let Some(reference) = p.value.as_str() else { continue };
        let Some((_, version)) = reference.rsplit_once('@') else {
            hits.push(hit(
                Tri::True,
                format!("orbs.{}", p.key.key_text()),
                p.value.span,
                "orbs",
                format!("orb `{reference}` has no version: the newest release is used on every run"),
            ));
            continue;
        };
        let exact = version.split('.').count() == 3 && version.split('.').all(|n| n.parse::<u32>().is_ok());
        if version.contains('$') || version.contains("<<") {
            continue;
        }
        if !exact {
            hits.push(hit(
                Tri::True,
                format!("orbs.{}", p.key.key_text()),
                p.value.span,
                "orbs",
                format!("orb `{reference}` floats on `{version}`: new releases run without review"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pins() {
        assert_eq!(image_pin("alpine"), Pin::Floating);
        assert_eq!(image_pin("alpine:latest"), Pin::Floating);
        assert_eq!(image_pin("registry:5000/team/app"), Pin::Floating);
        assert_eq!(image_pin("registry:5000/team/app:1.2"), Pin::Tag);
        assert_eq!(image_pin("node:20-alpine"), Pin::Tag);
        assert_eq!(image_pin("alpine@sha256:abc"), Pin::Digest);
        assert_eq!(image_pin("$CI_REGISTRY_IMAGE:$TAG"), Pin::Unknown);
        assert_eq!(image_pin("${{ matrix.image }}"), Pin::Unknown);
    }
}
