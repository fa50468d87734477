//! Risky shell patterns in CI scripts, found by pattern on the script text
//! (the scripts are often templated or PowerShell, which a shell grammar would
//! reject). Comment lines are ignored; matches are byte ranges of the script.

use std::ops::Range;
use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder};

/// The patterns are ASCII and so are the commands they look for: without
/// Unicode classes they compile about ten times faster (start-up cost of
/// every scan with a CI file). Every match starts and ends on an ASCII byte.
fn ascii(pattern: &str) -> Regex {
    RegexBuilder::new(pattern).unicode(false).build().expect("valid regex")
}

/// A pattern compiled on first need, with the words one of which every
/// match holds: a script without them neither compiles nor runs it.
struct Pattern {
    /// Lowercase, looked for in the lowercased script.
    needs: &'static [&'static str],
    regex: LazyLock<Regex>,
}

impl Pattern {
    /// The compiled pattern, if `lower` (the script, lowercased) holds one of its words.
    fn wanted(&self, lower: &str) -> Option<&Regex> {
        self.needs.iter().any(|n| lower.contains(n)).then(|| &*self.regex)
    }
}

const FETCH: &str = r"\b(?:curl|wget)\b";
/// The rest of the command, including `\`-continued lines, up to a pipe.
const ARGS: &str = r"(?:[^|;&\n]|\\\r?\n)*";
const SUDO: &str = r"(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?";
const INTERP: &str = r"(?:/usr/bin/|/bin/|/usr/bin/env\s+)?(?:sh|bash|zsh|dash|ksh|ash|python[0-9.]*|perl|ruby|node|php|pwsh|powershell)\b";

/// A download piped into an interpreter, or run through process substitution.
static PIPE_TO_SHELL: [Pattern; 4] = [
    Pattern {
        needs: &["curl", "wget"],
        regex: LazyLock::new(|| ascii(&format!(r"{FETCH}{ARGS}\|\s*{SUDO}{INTERP}"))),
    },
    Pattern {
        needs: &["curl", "wget"],
        regex: LazyLock::new(|| {
            ascii(&format!(
                r#"\b(?:sh|bash|zsh|dash|ksh)\s+(?:-\S+\s+)*(?:<\(\s*|-c\s+["']?\$\(\s*){FETCH}"#
            ))
        }),
    },
    Pattern {
        needs: &["iex", "invoke-expression"],
        regex: LazyLock::new(|| {
            ascii(
                r"(?i)\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|\(New-Object\s+(?:System\.)?Net\.WebClient\)\.DownloadString)\b[^|\n]*\|\s*(?:iex|Invoke-Expression)\b",
            )
        }),
    },
    Pattern {
        needs: &["iex", "invoke-expression"],
        regex: LazyLock::new(|| {
            ascii(
                r"(?i)\b(?:iex|Invoke-Expression)\s*\(?\s*(?:\(New-Object\s+(?:System\.)?Net\.WebClient\)\.DownloadString|\(?\s*(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b)",
            )
        }),
    },
];

/// Commands and settings that turn TLS certificate verification off.
static TLS_OFF: [(Pattern, &str); 10] = [
    (
        Pattern {
            needs: &["curl"],
            regex: LazyLock::new(|| ascii(r"\bcurl\b(?:[^|;&\n]|\\\r?\n)*?\s(?:--insecure\b|-[a-zA-Z]*k[a-zA-Z]*\b)")),
        },
        "curl --insecure",
    ),
    (
        Pattern {
            needs: &["wget"],
            regex: LazyLock::new(|| ascii(r"\bwget\b(?:[^|;&\n]|\\\r?\n)*?\s--no-check-certificate\b")),
        },
        "wget --no-check-certificate",
    ),
    (
        Pattern {
            needs: &["http.sslverify"],
            regex: LazyLock::new(|| ascii(r"(?i)\bhttp\.sslVerify\s*(?:=|\s)\s*(?:false|0|no|off)\b")),
        },
        "git http.sslVerify false",
    ),
    (
        Pattern {
            needs: &["git_ssl_no_verify"],
            regex: LazyLock::new(|| ascii(r#"\bGIT_SSL_NO_VERIFY\s*=\s*["']?(?:1|true|yes)\b"#)),
        },
        "GIT_SSL_NO_VERIFY",
    ),
    (
        Pattern {
            needs: &["node_tls_reject_unauthorized"],
            regex: LazyLock::new(|| ascii(r#"\bNODE_TLS_REJECT_UNAUTHORIZED\s*=\s*["']?0\b"#)),
        },
        "NODE_TLS_REJECT_UNAUTHORIZED=0",
    ),
    (
        Pattern {
            needs: &["strict-ssl"],
            regex: LazyLock::new(|| ascii(r"\b(?:npm|yarn|pnpm)\s+config\s+set\s+strict-ssl\s+false\b")),
        },
        "npm strict-ssl false",
    ),
    (
        Pattern {
            needs: &["--insecure-skip-tls-verify"],
            regex: LazyLock::new(|| ascii(r"--insecure-skip-tls-verify(?:=true)?\b")),
        },
        "--insecure-skip-tls-verify",
    ),
    (
        Pattern {
            needs: &["tls-verify"],
            regex: LazyLock::new(|| ascii(r"--(?:src-|dest-)?tls-verify(?:=|\s+)false\b")),
        },
        "--tls-verify=false",
    ),
    (
        Pattern {
            needs: &["pythonhttpsverify"],
            regex: LazyLock::new(|| ascii(r#"\bPYTHONHTTPSVERIFY\s*=\s*["']?0\b"#)),
        },
        "PYTHONHTTPSVERIFY=0",
    ),
    (
        Pattern {
            needs: &["-skipcertificatecheck"],
            regex: LazyLock::new(|| ascii(r"(?i)-SkipCertificateCheck\b")),
        },
        "-SkipCertificateCheck",
    ),
];

/// Variables that disable TLS verification when set (in `env:`/`variables:`).
pub fn tls_off_variable(name: &str, value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    match name {
        "GIT_SSL_NO_VERIFY" => matches!(v.as_str(), "1" | "true" | "yes"),
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => v == "0",
        "CURL_INSECURE" => matches!(v.as_str(), "1" | "true"),
        _ => false,
    }
}

/// Byte ranges of the lines of `script` that are not shell comments.
fn code_ranges(script: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for line in script.split_inclusive('\n') {
        let end = start + line.len();
        if !line.trim_start().starts_with('#') {
            match out.last_mut() {
                Some(r) if r.end == start => *r = r.start..end,
                _ => out.push(start..end),
            }
        }
        start = end;
    }
    out
}

fn find(script: &str, patterns: &[&Regex]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for range in code_ranges(script) {
        let text = &script[range.clone()];
        for re in patterns {
            for m in re.find_iter(text.as_bytes()) {
                out.push(range.start + m.start()..range.start + m.end());
            }
        }
    }
    out.sort_by_key(|r| r.start);
    out.dedup_by(|a, b| a.start < b.end);
    out
}

/// Where a download is piped into an interpreter.
pub fn pipe_to_shell(script: &str) -> Vec<Range<usize>> {
    let lower = script.to_ascii_lowercase();
    let res: Vec<&Regex> = PIPE_TO_SHELL.iter().filter_map(|p| p.wanted(&lower)).collect();
    if res.is_empty() {
        return Vec::new();
    }
    find(script, &res)
}

/// Where TLS verification is turned off, and how.
pub fn tls_off(script: &str) -> Vec<(Range<usize>, &'static str)> {
    let lower = script.to_ascii_lowercase();
    let mut out = Vec::new();
    for (re, what) in TLS_OFF.iter().filter_map(|(p, what)| Some((p.wanted(&lower)?, what))) {
        for r in find(script, &[re]) {
            out.push((r, *what));
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_into_interpreters() {
        for s in [
            "curl -fsSL https://get.example.com | sh",
            "curl -sL https://x.io/install.sh | sudo bash -s -- --yes",
            "wget -qO- https://x.io/i | python3 -",
            "curl -s https://x \\\n  -H 'a: b' | bash",
            "bash <(curl -s https://x.io/i.sh)",
            "sh -c \"$(curl -fsSL https://x.io/i.sh)\"",
            "iwr https://x.io/i.ps1 -UseBasicParsing | iex",
            "iex ((New-Object System.Net.WebClient).DownloadString('https://x.io/i.ps1'))",
        ] {
            assert_eq!(pipe_to_shell(s).len(), 1, "{s}");
        }
        for s in [
            "curl -fsSL https://x.io/a.tgz | tar xz",
            "curl -s https://api.x.io | jq .name",
            "# curl https://x | sh",
            "curl -o i.sh https://x.io/i.sh && sha256sum -c i.sha256 && sh i.sh",
            "echo done | bash-completion-helper",
        ] {
            assert!(pipe_to_shell(s).is_empty(), "{s}");
        }
    }

    #[test]
    fn tls_verification_off() {
        for s in [
            "curl -k https://x",
            "curl -fsSLk https://x",
            "curl --insecure https://x",
            "wget --no-check-certificate https://x",
            "git config --global http.sslVerify false",
            "git -c http.sslVerify=false clone https://x",
            "export GIT_SSL_NO_VERIFY=true",
            "NODE_TLS_REJECT_UNAUTHORIZED=0 npm ci",
            "npm config set strict-ssl false",
            "kubectl --insecure-skip-tls-verify get pods",
            "skopeo copy --src-tls-verify=false a b",
        ] {
            assert_eq!(tls_off(s).len(), 1, "{s}");
        }
        for s in [
            "curl -fsSL https://x",
            "curl --keepalive-time 5 https://x",
            "git config http.sslVerify true",
            "# curl -k https://x",
            "curl -H 'k: v' https://x",
        ] {
            assert!(tls_off(s).is_empty(), "{s}");
        }
    }
}
