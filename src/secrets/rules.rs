//! The provider formats: one [`Rule`] per kind of credential, each with the
//! keywords that must occur for it to be tried, a regex, and a validator
//! that confirms a match (checksum, decoding, entropy, placeholders).
//!
//! Rules are listed from the most to the least specific: when two matches
//! overlap, the earlier rule keeps it (a GitHub token inside a URL is a
//! GitHub token; a private key inside a service-account key file is that key
//! file).

use std::ops::Range;

use base64::Engine as _;
use regex::Captures;

use super::{entropy, placeholder};

/// A confirmed match: where to point (`primary`) and what never to print
/// (`secret`), both byte ranges of the scanned text.
pub struct Found {
    pub primary: Range<usize>,
    pub secret: Range<usize>,
}

pub struct Rule {
    /// Stable rule id, selected by policies (`match.args.rules`).
    pub id: &'static str,
    /// What it is, for messages.
    pub label: &'static str,
    /// Lower-case literals of which one must occur (ASCII case-insensitive).
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
    pub validate: fn(&str, &Captures) -> Option<Found>,
}

pub static RULES: &[Rule] = &[
    Rule {
        id: "gcp-service-account-key",
        label: "Google Cloud service-account key",
        keywords: &["service_account"],
        pattern: r#""private_key"\s*:\s*"(-----BEGIN [A-Z ]*PRIVATE KEY-----[^"]+)""#,
        validate: service_account_key,
    },
    Rule {
        id: "private-key",
        label: "private key",
        keywords: &["private key"],
        pattern: r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        validate: pem_private_key,
    },
    Rule {
        id: "private-key-base64",
        label: "base64-encoded private key",
        keywords: &["ls0tls1crudjti"],
        pattern: r"LS0tLS1CRUdJTi[A-Za-z0-9+/]+={0,2}",
        validate: base64_private_key,
    },
    Rule {
        id: "github-token",
        label: "GitHub token",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"\b(gh[pousr]_[A-Za-z0-9]{36})\b",
        validate: base62_crc32_token,
    },
    Rule {
        id: "github-fine-grained-token",
        label: "GitHub fine-grained personal access token",
        keywords: &["github_pat_"],
        pattern: r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        validate: random_token,
    },
    Rule {
        id: "gitlab-token",
        label: "GitLab token",
        keywords: &[
            "glpat-",
            "gldt-",
            "glrt-",
            "glptt-",
            "glft-",
            "glimt-",
            "glagent-",
            "glsoat-",
            "gloas-",
            "glcbt-",
            "glffct-",
            "gr1348941",
        ],
        pattern: r"\b((?:glpat|gldt|glrt|glptt|glft|glimt|glagent|glsoat|gloas|glcbt|glffct)-[A-Za-z0-9_.-]{20,}|GR1348941[A-Za-z0-9_-]{20,})",
        validate: random_token,
    },
    Rule {
        id: "slack-token",
        label: "Slack token",
        keywords: &["xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe", "xapp-"],
        pattern: r"\b(xox[abposr]-(?:[0-9]+-){1,3}[0-9A-Za-z]{8,}|xoxe\.xox[bp]-1-[0-9A-Za-z]{60,}|xoxe-1-[0-9A-Za-z]{60,}|xapp-[0-9]+-[A-Z0-9]+-[0-9]+-[a-z0-9]{20,})",
        validate: random_token,
    },
    Rule {
        id: "slack-webhook",
        label: "Slack webhook URL",
        keywords: &["hooks.slack.com"],
        pattern: r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/_-]{20,})",
        validate: slack_webhook,
    },
    Rule {
        id: "stripe-key",
        label: "Stripe live secret key",
        keywords: &["sk_live_", "rk_live_"],
        pattern: r"\b([sr]k_live_[0-9A-Za-z]{24,247})\b",
        validate: random_token,
    },
    Rule {
        id: "google-api-key",
        label: "Google API key",
        keywords: &["aiza"],
        pattern: r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        validate: random_token,
    },
    Rule {
        id: "npm-token",
        label: "npm access token",
        keywords: &["npm_"],
        pattern: r"\b(npm_[A-Za-z0-9]{36})\b",
        validate: base62_crc32_token,
    },
    Rule {
        id: "npmrc-auth-token",
        label: "npm registry auth token",
        keywords: &["_authtoken"],
        pattern: r#"(?i)_authToken\s*=\s*["']?([^\s"'#;]{16,})"#,
        validate: random_token,
    },
    Rule {
        id: "pypi-token",
        label: "PyPI upload token",
        keywords: &["pypi-ag"],
        pattern: r"\b(pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})",
        validate: random_token,
    },
    Rule {
        id: "aws-access-key-id",
        label: "AWS access key id",
        keywords: &["akia", "asia", "abia", "acca"],
        pattern: r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        validate: aws_key_id,
    },
    Rule {
        id: "aws-secret-access-key",
        label: "AWS secret access key",
        keywords: &[
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
            "secret_key",
            "secretkey",
        ],
        pattern: r#"(?i)secret[_-]?(?:access[_-]?)?key["'\]]*\s*(?::|=>|:=|=)\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        validate: aws_secret_key,
    },
    Rule {
        id: "azure-storage-key",
        label: "Azure storage account or shared access key",
        keywords: &[
            "accountkey",
            "sharedaccesskey",
            "account_key",
            "access_key",
            "storage_key",
        ],
        pattern: r#"(?i)(?:AccountKey|SharedAccessKey|account_key|primary_access_key|secondary_access_key|storage_key)["']?\s*[=:]\s*["']?([A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=)"#,
        validate: azure_key,
    },
    Rule {
        id: "docker-registry-auth",
        label: "Docker registry credentials",
        keywords: &["auths"],
        // JSON (`"auth": "…"`) or HCL (`auth = "…"`, as in `jsonencode({ auths = … })`).
        pattern: r#""?\bauth"?\s*[:=]\s*"([A-Za-z0-9+/=]{8,})""#,
        validate: docker_auth,
    },
    Rule {
        id: "docker-config-base64",
        label: "base64-encoded Docker registry credentials",
        keywords: &["eyjhdxrocyi6"],
        pattern: r"(eyJhdXRocyI6[A-Za-z0-9+/]+={0,2})",
        validate: docker_config_base64,
    },
    Rule {
        id: "jwt",
        label: "JSON Web Token",
        keywords: &["eyj"],
        pattern: r"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        validate: jwt,
    },
    Rule {
        id: "url-credentials",
        label: "password in a URL",
        keywords: &["://"],
        pattern: r#"\b[a-zA-Z][a-zA-Z0-9+.-]{1,19}://([^\s:/?#@"'<>\\(){}\[\]]{1,100}):([^\s/?#@"'<>\\]{1,200})@([A-Za-z0-9.-]{1,253})"#,
        validate: url_credentials,
    },
];

fn group(c: &Captures, i: usize) -> Option<Range<usize>> {
    c.get(i).map(|m| m.range())
}

/// A random-looking token: not a placeholder, not low-entropy filler.
fn random_token(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let token = &c[1];
    // The part after a `prefix_` or `prefix-` is what must look random.
    let body = token.rsplit(['_', '-']).next().unwrap_or(token);
    let body = if body.len() >= 12 { body } else { token };
    (!placeholder(body) && entropy(body) >= 3.0).then_some(Found {
        primary: r.clone(),
        secret: r,
    })
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The base62 CRC32 checksum GitHub (`ghp_`…) and npm (`npm_`) tokens end with.
fn base62_crc32(data: &str) -> String {
    let mut n = crc32fast::hash(data.as_bytes());
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `prefix_` + 30 random characters + their 6-character checksum.
fn base62_crc32_token(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let (_, body) = c[1].split_once('_')?;
    if body.len() != 36 || base62_crc32(&body[..30]) != body[30..] {
        return None;
    }
    Some(Found {
        primary: r.clone(),
        secret: r,
    })
}

fn aws_key_id(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let id = &c[1];
    // `AKIAIOSFODNN7EXAMPLE` and friends, from the AWS documentation.
    if id.ends_with("EXAMPLE") || placeholder(&id[4..]) || entropy(&id[4..]) < 2.5 {
        return None;
    }
    Some(Found {
        primary: r.clone(),
        secret: r,
    })
}

fn aws_secret_key(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let key = &c[1];
    let mixed = key.bytes().any(|b| b.is_ascii_lowercase())
        && key.bytes().any(|b| b.is_ascii_uppercase())
        && key.bytes().any(|b| b.is_ascii_digit());
    (mixed && !placeholder(key) && entropy(key) >= 4.0).then_some(Found {
        primary: r.clone(),
        secret: r,
    })
}

/// The storage key of the Azure Storage emulator (Azurite), published in
/// Microsoft's documentation: not a secret.
const AZURITE_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn azure_key(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let key = &c[1];
    (key != AZURITE_KEY && !placeholder(key) && entropy(key) >= 4.0).then_some(Found {
        primary: r.clone(),
        secret: r,
    })
}

fn slack_webhook(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let path = &c[1];
    let last = path.rsplit('/').next().unwrap_or(path);
    (!placeholder(path) && last.len() >= 16 && entropy(last) >= 3.0).then_some(Found {
        primary: c.get(0)?.range(),
        secret: r,
    })
}

/// Decode standard or URL-safe base64, with or without padding.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let t = s.trim_end_matches('=');
    STANDARD_NO_PAD.decode(t).or_else(|_| URL_SAFE_NO_PAD.decode(t)).ok()
}

/// The body of a PEM block looks like real key material: enough base64,
/// random, not elided (`...`).
fn key_material(body: &str) -> bool {
    let cleaned: String = body
        .replace("\\n", "\n")
        .replace("\\r", "\n")
        .lines()
        .filter(|l| !l.contains(':')) // `Proc-Type:` and `DEK-Info:` headers
        .flat_map(|l| l.chars())
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    cleaned.len() >= 64
        && entropy(&cleaned) >= 4.5
        && !body.contains("...")
        && !body.contains('…')
        && !placeholder(&cleaned)
}

fn pem_private_key(text: &str, c: &Captures) -> Option<Found> {
    let header = c.get(0)?;
    let rest = &text[header.end()..];
    let limit = rest.len().min(64 * 1024);
    let end = rest[..limit].find("-----END")?;
    if !key_material(&rest[..end]) {
        return None;
    }
    let after = header.end() + end;
    let close = text[after + 8..]
        .find("-----")
        .map(|i| after + 8 + i + 5)
        .unwrap_or(after + 8);
    Some(Found {
        primary: header.range(),
        secret: header.start()..close.min(text.len()),
    })
}

fn service_account_key(text: &str, c: &Captures) -> Option<Found> {
    let key = c.get(1)?;
    let near = &text[key.start().saturating_sub(4096)..(key.end() + 4096).min(text.len())];
    if !near.contains("\"service_account\"") || !key_material(key.as_str().split_once("-----").map(|x| x.1)?) {
        return None;
    }
    Some(Found {
        primary: key.range(),
        secret: key.range(),
    })
}

fn base64_private_key(_text: &str, c: &Captures) -> Option<Found> {
    let m = c.get(0)?;
    let decoded = decode_base64(m.as_str())?;
    let decoded = String::from_utf8_lossy(&decoded);
    (decoded.starts_with("-----BEGIN") && decoded.contains("PRIVATE KEY")).then_some(Found {
        primary: m.range(),
        secret: m.range(),
    })
}

/// `user:password` with a real-looking password.
fn user_password(pair: &[u8]) -> bool {
    let Ok(pair) = std::str::from_utf8(pair) else {
        return false;
    };
    match pair.split_once(':') {
        Some((user, pass)) => !user.is_empty() && pass != user && !placeholder(pass),
        None => false,
    }
}

fn docker_auth(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let decoded = decode_base64(&c[1])?;
    user_password(&decoded).then_some(Found {
        primary: r.clone(),
        secret: r,
    })
}

fn docker_config_base64(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let decoded = decode_base64(&c[1])?;
    let json: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    let auths = json.get("auths")?.as_object()?;
    let leaked = auths.values().any(|entry| {
        let from_auth = entry
            .get("auth")
            .and_then(|a| a.as_str())
            .and_then(decode_base64)
            .is_some_and(|pair| user_password(&pair));
        let from_password = entry
            .get("password")
            .and_then(|p| p.as_str())
            .is_some_and(|p| !placeholder(p));
        from_auth || from_password
    });
    leaked.then_some(Found {
        primary: r.clone(),
        secret: r,
    })
}

fn jwt(_text: &str, c: &Captures) -> Option<Found> {
    let r = group(c, 1)?;
    let mut parts = c[1].split('.');
    let header: serde_json::Value = serde_json::from_slice(&decode_base64(parts.next()?)?).ok()?;
    let payload: serde_json::Value = serde_json::from_slice(&decode_base64(parts.next()?)?).ok()?;
    let alg = header.get("alg")?.as_str()?;
    if alg.eq_ignore_ascii_case("none") || !payload.is_object() {
        return None;
    }
    // The jwt.io sample token, copied into countless READMEs and tests.
    if payload.get("sub").and_then(|s| s.as_str()) == Some("1234567890") {
        return None;
    }
    Some(Found {
        primary: r.clone(),
        secret: r,
    })
}

/// Hosts where a password in a URL is a local development default, or a
/// documentation example, not a leaked credential.
fn local_or_example_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    !h.contains('.')
        || h.starts_with("127.")
        || h == "0.0.0.0"
        || h.ends_with(".local")
        || h.ends_with(".localhost")
        || h.ends_with(".test")
        || h.ends_with(".example")
        || h.ends_with(".invalid")
        || h.ends_with("example.com")
        || h.ends_with("example.org")
        || h.ends_with("example.net")
        || h == "host.docker.internal"
}

fn url_credentials(_text: &str, c: &Captures) -> Option<Found> {
    let (user, pass, host) = (&c[1], &c[2], &c[3]);
    let pass_range = group(c, 2)?;
    if pass == user
        || placeholder(pass)
        || placeholder(user) && user.starts_with(['$', '<', '{', '%'])
        || pass.contains(['$', '{', '}', '%', '*'])
        || local_or_example_host(host)
    {
        return None;
    }
    Some(Found {
        primary: c.get(0)?.range(),
        secret: pass_range,
    })
}

#[cfg(test)]
pub(super) mod fake {
    //! Fake credentials of every format, valid where a format has a checksum.

    use super::base62_crc32;

    pub fn github(prefix: &str, random30: &str) -> String {
        assert_eq!(random30.len(), 30);
        format!("{prefix}_{random30}{}", base62_crc32(random30))
    }
}
