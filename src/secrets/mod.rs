//! Secrets: credentials in any scanned file. Policies with `input = "any"`
//! run on a file-level scope: one `file` subject per scanned file, whose
//! native data is the file's text ([`crate::scan::FileScope`]).
//!
//! Two kinds of detection:
//! - provider formats ([`detect`]): one pass over the text with a keyword
//!   prefilter, then only the rules whose keywords occur, each validated
//!   (checksums, decoding, placeholders) before it becomes a finding;
//! - a literal assigned to a credential-like name ([`hardcoded_credential`]),
//!   shared with the other front ends (Terraform attributes, Dockerfile
//!   `ENV`/`ARG`, CI `env:`), so that it means the same thing everywhere.

pub mod checks;
pub mod detect;
mod rules;

pub use crate::policy::Confidence;
pub use checks::CHECKS;

/// The words of an identifier, lower case: `DB_PASSWORD`, `dbPassword`,
/// `db-password` and `db.password` all give `["db", "password"]`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a variable or attribute name suggests it holds a credential.
pub fn credential_name(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last() else { return false };
    // A word that alone names a credential.
    const SINGLE: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "pat",
    ];
    // Two words that together do (`api key`, `client secret`…).
    const PAIRS: &[(&str, &str)] = &[
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("auth", "key"),
        ("master", "key"),
        ("signing", "key"),
        ("account", "key"),
        ("shared", "key"),
        ("sas", "key"),
        ("storage", "key"),
        ("encryption", "key"),
        ("client", "secret"),
        ("auth", "token"),
        ("access", "token"),
        ("connection", "string"),
    ];
    // Names that mention a credential without holding one: its length, its
    // policy, where it is stored, whether to create it…
    const NOT_LAST: &[&str] = &[
        "length",
        "policy",
        "arn",
        "arns",
        "id",
        "ids",
        "name",
        "names",
        "path",
        "paths",
        "file",
        "files",
        "version",
        "ttl",
        "enabled",
        "enable",
        "type",
        "url",
        "uri",
        "endpoint",
        "rotation",
        "expiry",
        "expiration",
        "expires",
        "count",
        "min",
        "max",
        "required",
        "prompt",
        "hash",
        "format",
        "algorithm",
        "size",
        "bits",
        "mode",
        "template",
        "ref",
        "reference",
        "location",
        "header",
        "field",
        "param",
        "parameter",
        "vault",
        "store",
        "manager",
        "provider",
        "prefix",
        "suffix",
        "description",
        "label",
        "pattern",
        "regex",
        "env",
        "var",
        "variable",
        "source",
        "method",
        "hint",
        "reset",
        "rule",
        "rules",
        "days",
        "seconds",
        "age",
        "strength",
        "complexity",
        "validation",
        "flag",
        "exists",
        "specified",
        "set",
        "key_id",
        "kms",
        "placeholder",
        "lifetime",
        "duration",
        "period",
        "owner",
        "user",
        "username",
        "users",
        "digest",
        "sha",
        "md5",
        "fingerprint",
        "checksum",
        "salt",
        "type",
        "secrets",
        "mount",
        "store",
        "storage",
        "scope",
        "scopes",
        "audience",
        "issuer",
        "role",
        "roles",
        "group",
        "arg",
    ];
    const NOT_FIRST: &[&str] = &[
        "enable", "enabled", "use", "is", "has", "create", "manage", "generate", "random", "rotate", "require",
        "allow", "disable", "should", "include", "no", "skip", "min", "max", "reset", "show", "store", "save", "keep",
        "public", "get", "set", "new", "num", "auto",
    ];
    if NOT_LAST.contains(&last.as_str()) || w.first().is_some_and(|f| NOT_FIRST.contains(&f.as_str())) {
        return false;
    }
    if w.iter().any(|x| x == "public") {
        return false;
    }
    // `db_pass`, `smtp_pass`: `pass` only as the last word, after another.
    if last == "pass" && w.len() > 1 {
        return true;
    }
    w.iter().any(|x| SINGLE.contains(&x.as_str()))
        || w.windows(2).any(|p| PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
        || PAIRS.iter().any(|(a, b)| w.iter().any(|x| *x == format!("{a}{b}")))
}

/// Whether a value is a placeholder or a reference rather than a secret:
/// empty or short, templated (`${var.x}`, `${{ secrets.X }}`, `$VAR`,
/// `<...>`, `%(x)s`, `#{x}`, `__X__`), a pointer to a secret store, a
/// well-known dummy, one repeated character or a simple sequence.
pub fn placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if v.len() < 6 {
        return true;
    }
    const TEMPLATES: &[&str] = &["${", "{{", "%(", "%{", "#{", "$(", "{env:", "[[", "<%"];
    if TEMPLATES.iter().any(|t| v.contains(t))
        || v.starts_with('$')
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('{') && v.ends_with('}'))
        || (v.starts_with('@') && v.ends_with('@'))
        || (v.starts_with("__") && v.ends_with("__"))
        || (v.starts_with('%') && v.ends_with('%'))
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    // References to a secret store, and encrypted values (SOPS, Ansible Vault).
    const REFERENCES: &[&str] = &[
        "arn:aws",
        "vault:",
        "op://",
        "sm://",
        "ssm:",
        "secretsmanager",
        "keyvault",
        "projects/",
        "enc[",
        "$ansible_vault",
        "akv:",
        "gcp:",
        "awskms:",
    ];
    if REFERENCES
        .iter()
        .any(|r| lower.starts_with(r) || lower.contains(&format!("/{r}")))
    {
        return true;
    }
    const DUMMIES: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "example",
        "placeholder",
        "password",
        "passw0rd",
        "secret",
        "xxxx",
        "****",
        "....",
        "your_",
        "your-",
        "yourpass",
        "dummy",
        "redacted",
        "todo",
        "fixme",
        "sample",
        "fake",
        "foobar",
        "test",
        "insert",
        "replace",
        "notreal",
        "not_real",
        "not-real",
        "abc123",
        "123456",
        "qwerty",
        "undefined",
        "null",
        "none",
        "default",
        "mytoken",
        "my_token",
        "my-token",
        "token_here",
        "here",
        "sensitive",
        "masked",
        "hidden",
        "overwrite",
        "override",
        "required",
        "supersecret",
    ];
    if DUMMIES.iter().any(|d| lower.contains(d)) {
        return true;
    }
    let bytes = v.as_bytes();
    // One character repeated, or a run such as `abcdef` / `123456789`.
    bytes.iter().all(|b| *b == bytes[0])
        || bytes.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
        || bytes.windows(2).all(|w| w[1] == w[0].wrapping_sub(1))
}

/// Shannon entropy of a string in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a literal `value` assigned to `name` is a hard-coded credential,
/// and how sure that is. `None`: not a credential name, a placeholder or
/// reference, something that is not a secret (a path, a URL without a
/// password, prose), or a value one of the provider formats recognises —
/// those are reported everywhere by their own `SC` policies, so callers never
/// report the same secret twice.
///
/// The Dockerfile (`ENV`/`ARG`) and CI (`env:`, `variables:`) policies call
/// this; report at [`Confidence::Medium`] and above.
pub fn hardcoded_credential(name: &str, value: &str) -> Option<Confidence> {
    if !credential_name(name) {
        return None;
    }
    let v = value.trim();
    if placeholder(v) || detect::known_format(v) {
        return None;
    }
    // Prose, paths, URLs, numbers, booleans: not a secret value.
    if v.contains(char::is_whitespace)
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
        || v.contains("://")
        || v.parse::<f64>().is_ok_and(|_| v.len() < 12)
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off"
        )
    {
        return None;
    }
    // A file name (`key.pem`, `secrets.json`).
    if let Some((_, ext)) = v.rsplit_once('.')
        && matches!(
            ext.to_ascii_lowercase().as_str(),
            "pem" | "key" | "json" | "txt" | "yaml" | "yml" | "crt" | "p12" | "pfx" | "env" | "cfg" | "conf"
        )
    {
        return None;
    }
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
        v.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    let h = entropy(v);
    // An identifier-like value (`db-admin`, `prod_reader`): lower case words
    // joined by separators, which names something more often than it guards it.
    let identifier_like = v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_' | b'.'))
        && v.bytes().any(|b| matches!(b, b'-' | b'_' | b'.'));
    if identifier_like {
        return Some(Confidence::Low);
    }
    if v.len() >= 16 && h >= 3.5 && classes >= 2 {
        Some(Confidence::High)
    } else if v.len() >= 8 && h >= 2.5 && classes >= 2 {
        Some(Confidence::Medium)
    } else {
        Some(Confidence::Low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for yes in [
            "DB_PASSWORD",
            "master_password",
            "api-key",
            "apiKey",
            "client_secret",
            "GITHUB_TOKEN",
            "smtp_pass",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "private_key",
            "admin_pwd",
            "secret_string",
        ] {
            assert!(credential_name(yes), "{yes}");
        }
        for no in [
            "password_length",
            "secret_arn",
            "region",
            "token_ttl",
            "ssh_public_key",
            "enable_password_auth",
            "secret_name",
            "bypass",
            "tokenizer_path",
            "kms_key_id",
            "passthrough",
            "compass",
        ] {
            assert!(!credential_name(no), "{no}");
        }
    }

    #[test]
    fn placeholders() {
        for p in [
            "${var.db_password}",
            "${{ secrets.TOKEN }}",
            "$DB_PASSWORD",
            "$(DbPassword)",
            "<your password>",
            "changeme",
            "xxxxxxxxxx",
            "123456789",
            "abcdefgh",
            "__DB_PASSWORD__",
            "#{Password}",
            "ENC[AES256_GCM,data:abc]",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
            "{{ .Values.password }}",
        ] {
            assert!(placeholder(p), "{p}");
        }
        assert!(!placeholder("hunter2-9f8a7b"));
        assert!(!placeholder("Zq8#kP2!vW"));
    }

    #[test]
    fn hardcoded() {
        assert_eq!(
            hardcoded_credential("db_password", "Zq8#kP2!vWx7LmN4"),
            Some(Confidence::High)
        );
        assert_eq!(
            hardcoded_credential("db_password", "hunter2-9f8a"),
            Some(Confidence::Medium)
        );
        assert_eq!(hardcoded_credential("db_password", "${var.pw}"), None);
        assert_eq!(hardcoded_credential("region", "Zq8#kP2!vWx7LmN4"), None);
        assert_eq!(hardcoded_credential("password_file", "/run/secrets/db"), None);
        assert_eq!(hardcoded_credential("DB_PASSWORD", "/run/secrets/db"), None);
        assert_eq!(hardcoded_credential("secret", "db-admin-user"), Some(Confidence::Low));
        assert_eq!(hardcoded_credential("TOKEN", "true"), None);
        // A provider format is reported by its own policy, never twice.
        let token = rules::fake::github("ghp", "aWVpR0y3e8QZk5nT1cXb7LmS2dF4gH");
        assert_eq!(hardcoded_credential("GITHUB_TOKEN", &token), None);
    }
}
