//! Secrets: credentials in any scanned file. Policies with `input = "any"`
//! run on a file-level scope: one `file` subject per scanned file, whose
//! native data is the file's text ([`crate::scan::FileScope`]).
//!
//! The helpers [`credential_name`] and [`placeholder`] are shared with the
//! other front ends (Terraform attributes, Dockerfile `ENV`/`ARG`, CI `env:`),
//! so that "a literal value assigned to a credential-like name" means the same
//! thing everywhere.

/// Rust checks for secret policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = &[];

/// Whether a variable or attribute name suggests it holds a credential.
pub fn credential_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "access_key",
        "private_key",
        "client_secret",
        "auth_key",
        "credentials",
    ];
    // Names that mention a credential without holding one.
    const NOT: &[&str] = &[
        "_length", "_policy", "_arn", "_id", "_name", "_path", "_file", "_version", "_ttl", "_enabled",
    ];
    WORDS.iter().any(|w| n.contains(w)) && !NOT.iter().any(|s| n.ends_with(s))
}

/// Whether a value is a placeholder or a reference rather than a secret:
/// empty, templated (`${var.x}`, `${{ secrets.X }}`, `$VAR`, `<...>`),
/// a well-known dummy, or one repeated character.
pub fn placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.len() < 6 {
        return true;
    }
    if v.contains("${") || v.contains("{{") || v.starts_with('$') || (v.starts_with('<') && v.ends_with('>')) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const DUMMIES: &[&str] = &[
        "changeme",
        "change_me",
        "example",
        "placeholder",
        "password",
        "secret",
        "xxxx",
        "your_",
        "dummy",
        "redacted",
        "todo",
    ];
    if DUMMIES.iter().any(|d| lower.contains(d)) {
        return true;
    }
    let mut chars = v.chars();
    let first = chars.next();
    chars.all(|c| Some(c) == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(credential_name("DB_PASSWORD"));
        assert!(credential_name("master_password"));
        assert!(credential_name("api-key"));
        assert!(!credential_name("password_length"));
        assert!(!credential_name("secret_arn"));
        assert!(!credential_name("region"));
    }

    #[test]
    fn placeholders() {
        assert!(placeholder("${var.db_password}"));
        assert!(placeholder("${{ secrets.TOKEN }}"));
        assert!(placeholder("$DB_PASSWORD"));
        assert!(placeholder("<your password>"));
        assert!(placeholder("changeme"));
        assert!(placeholder("xxxxxxxxxx"));
        assert!(!placeholder("hunter2-9f8a7b"));
    }
}
