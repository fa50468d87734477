//! `provider-static-credentials`: literal AWS credentials in an `aws` provider
//! block. A Rust check rather than a condition because the value is a secret:
//! its span goes into [`Hit::sensitive`] so no output prints it in full.

use crate::checks::{CheckCx, Hit};
use crate::policy::condition::{Tri, Witness};
use crate::value::{Str, Val, ValKind};

/// Provider arguments that hold a credential, and whether a value has the
/// shape of one (a shape check keeps `"test"`, `"mock_access_key"`… out).
/// (argument, what it holds, whether a value has its shape)
type Credential = (&'static str, &'static str, fn(&str) -> bool);

const CREDENTIALS: &[Credential] = &[
    ("access_key", "an AWS access key id", looks_like_access_key_id),
    ("secret_key", "an AWS secret access key", looks_like_secret_key),
    ("token", "an AWS session token", looks_like_session_token),
];

/// `AKIA…` (long-term) or `ASIA…` (temporary) followed by 16 base-32 characters.
fn looks_like_access_key_id(v: &str) -> bool {
    v.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"].iter().any(|p| v.starts_with(p))
        && v[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !crate::secrets::placeholder(v)
}

/// 40 characters of base 64, mixing cases or digits (not a word).
fn looks_like_secret_key(v: &str) -> bool {
    v.len() == 40
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+')
        && v.chars().any(|c| c.is_ascii_digit() || c == '/' || c == '+')
        && v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_lowercase())
        && !crate::secrets::placeholder(v)
}

/// Session tokens are long base-64 strings.
fn looks_like_session_token(v: &str) -> bool {
    v.len() >= 100
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '='))
        && !crate::secrets::placeholder(v)
}

pub fn provider_static_credentials(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let aws: [Str; 1] = [Str::from("aws")];
    for provider in cx.set.select("provider", &aws) {
        for (name, what, shaped) in CREDENTIALS {
            let Some(entry) = provider.value.entry(name) else {
                continue;
            };
            let Val {
                kind: ValKind::String(secret),
                span: Some(value_span),
                ..
            } = &entry.value
            else {
                continue;
            };
            if !shaped(secret) {
                continue;
            }
            let location = entry.key_span.unwrap_or(provider.header);
            let mut related = Vec::new();
            if !(value_span.file == provider.span.file
                && value_span.start >= provider.span.start
                && value_span.end <= provider.span.end)
            {
                related.push((*value_span, "the value is set here".to_string()));
            }
            hits.push(Hit {
                truth: Tri::True,
                address: provider.address.clone(),
                instance: None,
                witness: Witness {
                    span: location,
                    path: name.to_string(),
                    value: None,
                    related,
                },
                context: provider.context.clone(),
                message: Some(format!(
                    "{} sets `{name}` to {what} written in the code ({})",
                    provider.address,
                    crate::output::redact(secret)
                )),
                sensitive: vec![*value_span],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(looks_like_access_key_id("AKIAZ3MSJV4W2QK7HDRT"));
        // AWS's documentation key is not a credential.
        assert!(!looks_like_access_key_id("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_like_access_key_id("mock_access_key"));
        assert!(!looks_like_access_key_id("AKIA-not-a-key"));
        assert!(looks_like_secret_key("q8Zt1L0XbT4mY+9pV/2cR7nK3sW6hJ5dF0gA1eBx"));
        assert!(!looks_like_secret_key("mock_secret_key"));
        assert!(!looks_like_secret_key("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    }
}
