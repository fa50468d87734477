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

pub(crate) use rules::decode_base64;

use std::sync::LazyLock;

use regex::Regex;

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

/// Whether `name` holds, in any case, a word every credential name ends
/// with (see [`credential_name`]: its heads, `key` and `string` of its
/// pairs): most names checked (`tags`, `bucket`) are ruled out here,
/// without splitting them into words.
pub(crate) fn mentions_credential_word(name: &str) -> bool {
    let name = name.as_bytes();
    let at = |i: usize, needle: &[u8]| {
        name[i..]
            .get(..needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    };
    // `b | 0x20` is the lower case of the five letters that start a needle
    // (and of no other byte): most bytes are ruled out by one jump.
    (0..name.len()).any(|i| match name[i] | 0x20 {
        b'p' => at(i, b"pass") || at(i, b"pwd") || at(i, b"pat"),
        b's' => at(i, b"secret") || at(i, b"string"),
        b'k' => at(i, b"key"),
        b't' => at(i, b"token"),
        b'c' => at(i, b"credential"),
        _ => false,
    })
}

/// Whether a variable or attribute name suggests it holds a credential.
///
/// The credential word must be the head of the name (its last word, after
/// suffixes such as `value`, `b64` or a number): `db_password` and
/// `admin_password_2` hold a password, `password_length`,
/// `password_rotation_schedule` and `secret_arn` only talk about one.
pub fn credential_name(name: &str) -> bool {
    if !mentions_credential_word(name) {
        return false;
    }
    let mut w = words(name);
    // Words that make the name about a credential rather than one: where it
    // is stored, whether to create it, its encrypted form.
    const ABOUT: &[&str] = &[
        "public",
        "ssm",
        "kms",
        "arn",
        "arns",
        "encrypted",
        "ciphertext",
        "hashed",
        "generate",
        "rotate",
        "rotation",
        "automount",
        "enable",
        "enabled",
        "disable",
        "require",
        "placeholder",
        "manage",
        "managed",
        "create",
        "allow",
        "change",
        "reset",
        "should",
        "skip",
        "include",
    ];
    if w.iter().any(|x| ABOUT.contains(&x.as_str())) {
        return false;
    }
    // Two words that together name a credential (`api key`, `client secret`).
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
        ("connection", "string"),
    ];
    let pair_at_end =
        |w: &[String]| w.len() >= 2 && PAIRS.contains(&(w[w.len() - 2].as_str(), w[w.len() - 1].as_str()));
    // An RDP or SSH "connection string" is a command line (`mstsc /v:host`).
    if w.len() >= 3 && pair_at_end(&w) && matches!(w[w.len() - 3].as_str(), "rdp" | "ssh") {
        return false;
    }
    if pair_at_end(&w) {
        return true;
    }
    // Suffixes that keep the meaning: `secret_value`, `token_b64`, `key_1`.
    const SUFFIXES: &[&str] = &[
        "value",
        "plaintext",
        "plain",
        "raw",
        "b64",
        "base64",
        "pem",
        "hex",
        "override",
        "base",
        "string",
        "str",
    ];
    while w.len() > 1
        && w.last()
            .is_some_and(|l| SUFFIXES.contains(&l.as_str()) || l.bytes().all(|b| b.is_ascii_digit()))
    {
        w.pop();
    }
    if pair_at_end(&w) {
        return true;
    }
    // AWS names for objects that point at a credential (`master_user_secret`
    // holds a Secrets Manager ARN, ECS `repository_credentials` a parameter ARN).
    const POINTERS: &[&[&str]] = &[&["master", "user", "secret"], &["repository", "credentials"]];
    if POINTERS
        .iter()
        .any(|p| w.ends_with(&p.iter().map(|x| x.to_string()).collect::<Vec<_>>()))
    {
        return false;
    }
    let Some(head) = w.last() else { return false };
    // Tokens that are not credentials: paging, idempotency, EFS creation.
    const HARMLESS_TOKENS: &[&str] = &[
        "creation",
        "idempotency",
        "next",
        "page",
        "continuation",
        "pagination",
        "csrf",
    ];
    if head == "token" {
        return !(w.len() >= 2 && HARMLESS_TOKENS.contains(&w[w.len() - 2].as_str()));
    }
    const HEADS: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "apikey",
        "credential",
        "credentials",
        "pat",
    ];
    HEADS.contains(&head.as_str())
        // Compounds: `pgpassword`, `rootpassword`, `jwtsecret`.
        || ["password", "passwd", "passphrase", "secret", "apikey"]
            .iter()
            .any(|h| head.ends_with(h) && head.len() > h.len() + 1)
        // `db_pass`, `smtp_pass`: `pass` only after another word.
        || (head == "pass" && w.len() > 1)
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
    // `P@ssw0rd`, `p455w0rd`: leetspeak spellings of dummy passwords.
    let lower = v.to_ascii_lowercase();
    let leet: String = lower
        .chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '$' | '5' => 's',
            '1' | '!' => 'i',
            '3' => 'e',
            '7' => 't',
            c => c,
        })
        .collect();
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
        "passw",
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
        "1234",
        "qwer",
        "undefined",
        "null",
        "none",
        "default",
        "mytoken",
        "my_token",
        "my-token",
        "token_here",
        "sensitive",
        "masked",
        "hidden",
        "overwrite",
        "override",
        "required",
        "supersecret",
        "something",
        "choose",
    ];
    // Leetspeak only for the password words: `s3cr3t-…` may well be real.
    if DUMMIES.iter().any(|d| lower.contains(d)) || ["passw", "changeme"].iter().any(|d| leet.contains(d)) {
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
    // An identifier-like value (`db-admin`, `bootdiag_region1`, `HF_TOKEN`):
    // words of one case, each maybe numbered, joined by separators. It names
    // something (a map key, an environment variable) more often than it
    // guards it.
    static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[a-z]+[0-9]*(?:[-_.][a-z]+[0-9]*)*|[A-Z]+[0-9]*(?:_[A-Z]+[0-9]*)+)$").expect("valid regex")
    });
    let identifier_like = IDENTIFIER.is_match(v);
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

/// `name = value`, `name: value`, `NAME=value` on one line, for masking.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?:=|:)\s*["']?([^\s"',;]{6,})"#).expect("valid regex")
});

/// Byte ranges of `text` to hide before printing it: credentials of a
/// provider format, and literal values assigned to credential-like names.
/// Output formats apply this to every snippet, so a secret on a line that
/// another policy flags is hidden too.
pub fn sensitive_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = detect::scan(text).into_iter().map(|d| d.secret).collect();
    // A name that is no credential name rules its value out: capture
    // groups (far dearer than a match) run only on an assignment whose text
    // mentions a credential word, which every credential name does.
    let assignments = ASSIGNMENT
        .find_iter(text)
        .filter(|m| mentions_credential_word(m.as_str()))
        .filter_map(|m| ASSIGNMENT.captures_at(text, m.start()));
    for caps in assignments {
        let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        if hardcoded_credential(name.as_str(), value.as_str()).is_some_and(|c| c >= Confidence::Medium)
            && !out.iter().any(|r| r.start < value.end() && value.start() < r.end)
        {
            out.push(value.range());
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

/// `text` with every credential of a provider format replaced by its
/// redacted form: for messages and notices, which are free text.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for d in detect::scan(text) {
        if d.secret.start < pos {
            continue;
        }
        out.push_str(&text[pos..d.secret.start]);
        out.push_str(&crate::output::redact(&text[d.secret.clone()]));
        pos = d.secret.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_word_is_a_case_insensitive_substring() {
        const NEEDLES: &[&str] = &["pass", "pwd", "secret", "key", "token", "credential", "pat", "string"];
        let reference = |name: &str| {
            let lower = name.to_ascii_lowercase();
            NEEDLES.iter().any(|n| lower.contains(n))
        };
        let mut names: Vec<String> = [
            "",
            "p",
            "pa",
            "PaT",
            "PWD",
            "xpw",
            "kEy",
            "ke",
            "tokeN",
            "toke",
            "Credentia",
            "CREDENTIALS",
            "sTrInG",
            "secre",
            "db_password",
            "instance_type",
            "tags",
            "pЖkey",
            "Пароль",
            "\u{0}pat",
            "p\u{70}at",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every byte before and in place of each needle's letters.
        for n in NEEDLES {
            for c in (0u8..=127).map(char::from).chain(['Ж', 'é']) {
                for i in 0..n.len() {
                    let mut w: Vec<char> = n.chars().collect();
                    w[i] = c;
                    names.push(w.iter().collect());
                    names.push(format!("{c}{}", n.to_ascii_uppercase()));
                }
            }
        }
        for name in &names {
            assert_eq!(mentions_credential_word(name), reference(name), "{name:?}");
        }
    }

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
            "SECRET_KEY_BASE",
            "PGPASSWORD",
            "auth_key_1",
            "github_token_override",
            "primary_connection_string",
            "db_connection_string",
            "administratorLoginPassword",
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
            "master_user_password_rotation_schedule_expression",
            "access_key_status",
            "customer_master_key_spec",
            "password_policy_require_symbols",
            "ssm_github_api_key",
            "creation_token",
            "client_generate_secret",
            "automount_service_account_token",
            "iam_user_login_profile_encrypted_password",
            "dnssec_signing_key_tag",
            "token_domains",
            "manage_master_user_password",
            "create_github_kubernetes_secret",
            "allow_users_to_change_password",
            "encryption_key",
            "cluster_master_user_secret",
            "repositoryCredentials",
            "rdp_connection_string",
            "ssh_connection_string",
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
            "P@ssw0rd1234!",
            "4-v3ry-53cr37-p455w0rd",
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
        assert_eq!(hardcoded_credential("hf_api_token", "HF_TOKEN"), Some(Confidence::Low));
        assert_eq!(
            hardcoded_credential("storage_account_key", "bootdiag_region1"),
            Some(Confidence::Low)
        );
        // A provider format is reported by its own policy, never twice.
        let token = rules::fake::github("ghp", "aWVpR0y3e8QZk5nT1cXb7LmS2dF4gH");
        assert_eq!(hardcoded_credential("GITHUB_TOKEN", &token), None);
    }
}
