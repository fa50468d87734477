//! Rust checks for Dockerfile policies: the logic inside RUN commands, which
//! the condition language cannot say. Each reads the parsed [`Dockerfile`]
//! of the scope and points at the narrowest place: the flag, the command.

use crate::checks::{Check, CheckCx, Hit};
use crate::policy::InputKind;
use crate::policy::condition::{Tri, Witness};
use crate::source::Span;

use super::parse::{Body, Dockerfile, Instruction, ShellKind, Word};
use super::shell::{Script, ShCommand, base_name, is_shell_name};

const fn check(name: &'static str, description: &'static str, run: fn(&CheckCx, &mut Vec<Hit>)) -> Check {
    Check {
        name,
        input: InputKind::Dockerfile,
        description,
        run,
    }
}

pub static CHECKS: &[Check] = &[
    check("docker-sudo", "a RUN command uses sudo", sudo),
    check(
        "docker-remote-script-piped-to-shell",
        "a download (curl, wget) is piped or substituted into a shell",
        remote_script_to_shell,
    ),
    check(
        "docker-tls-verification-disabled",
        "a RUN command or ENV turns TLS certificate verification off",
        tls_verification_disabled,
    ),
    check(
        "docker-package-signature-check-disabled",
        "a package manager installs without verifying signatures",
        signature_check_disabled,
    ),
    check(
        "docker-secret-in-env-or-arg",
        "ENV or ARG sets a credential-like name to a literal value",
        secret_in_env_or_arg,
    ),
    check(
        "docker-world-writable",
        "chmod or COPY --chmod grants write access to every user",
        world_writable,
    ),
];

fn hit(df: &Dockerfile, ins: &Instruction, span: Span, value: Option<String>) -> Hit {
    Hit {
        truth: Tri::True,
        address: super::instruction_address(df, ins).into(),
        instance: None,
        witness: Witness {
            span,
            path: String::new(),
            value,
            related: Vec::new(),
        },
        context: Vec::new(),
        message: None,
        sensitive: Vec::new(),
    }
}

fn dockerfile<'a>(cx: &'a CheckCx) -> Option<&'a Dockerfile> {
    cx.set.native.get::<Dockerfile>()
}

/// Every RUN with an analysed script.
fn runs(df: &Dockerfile) -> impl Iterator<Item = (&Instruction, &Script)> {
    df.instructions.iter().filter_map(|i| i.script().map(|s| (i, s)))
}

/// The text of a command shortened for a message: `curl -k`.
fn shown(words: &[&Word]) -> String {
    let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let mut s = text.join(" ");
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "…";
    }
    format!("`{s}`")
}

/// Short options clustered in one word: `-fsSLk` holds `k`.
fn short_flag(word: &str, flag: char) -> bool {
    word.starts_with('-')
        && !word.starts_with("--")
        && word.len() > 1
        && word[1..].chars().all(|c| c.is_ascii_alphanumeric())
        && word[1..].contains(flag)
}

fn sudo(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for cmd in &script.commands {
            if let Some(first) = cmd.argv.first()
                && base_name(&first.text) == "sudo"
            {
                hits.push(hit(df, ins, first.span, Some(shown(&[first]))));
            }
        }
    }
}

fn is_download(cmd: &ShCommand) -> bool {
    matches!(cmd.name().as_str(), "curl" | "wget" | "fetch")
}

fn remote_script_to_shell(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for pipeline in &script.pipelines {
            let Some(pos) = pipeline.iter().position(|&i| is_download(&script.commands[i])) else {
                continue;
            };
            let download = &script.commands[pipeline[pos]];
            if let Some(&sh) = pipeline[pos + 1..]
                .iter()
                .find(|&&i| is_shell_name(&script.commands[i].name()))
            {
                let shell = &script.commands[sh];
                let value = format!("`{} … | {}`", download.name(), shell.name());
                hits.push(hit(df, ins, download.span.to(shell.span), Some(value)));
            }
        }
        // `sh -c "$(curl …)"`, `bash <(wget -O- …)`
        for cmd in &script.commands {
            if !is_shell_name(&cmd.name()) {
                continue;
            }
            for arg in cmd.args() {
                let t = &arg.text;
                if ["$(curl", "$(wget", "<(curl", "<(wget", "`curl", "`wget"]
                    .iter()
                    .any(|p| t.contains(p))
                {
                    let value = format!("`{} {}`", cmd.name(), t.chars().take(40).collect::<String>());
                    hits.push(hit(df, ins, cmd.span, Some(value)));
                    break;
                }
            }
        }
    }
}

/// Environment variables that turn TLS verification off, with the values
/// that do so (`None`: any non-empty value).
const TLS_ENV: &[(&str, Option<&[&str]>)] = &[
    ("NODE_TLS_REJECT_UNAUTHORIZED", Some(&["0"])),
    ("PYTHONHTTPSVERIFY", Some(&["0"])),
    ("GIT_SSL_NO_VERIFY", None),
    ("NPM_CONFIG_STRICT_SSL", Some(&["false", "0"])),
    ("PIP_TRUSTED_HOST", None),
    ("CURL_INSECURE", None),
];

fn tls_env(name: &str, value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    TLS_ENV.iter().any(|(n, vals)| {
        n.eq_ignore_ascii_case(name)
            && match vals {
                Some(vals) => vals.iter().any(|v| v.eq_ignore_ascii_case(value)),
                None => !value.is_empty() && !matches!(value.to_ascii_lowercase().as_str(), "0" | "false" | "no"),
            }
    })
}

fn falsy(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().trim_matches(['"', '\'']),
        "false" | "0" | "no" | "off"
    )
}

/// The word of a command that turns TLS verification off, if any.
fn tls_off_word<'a>(cmd: &'a ShCommand) -> Option<Vec<&'a Word>> {
    let name = cmd.name();
    let args = cmd.args();
    let prog = &cmd.program()[..1.min(cmd.program().len())];
    let with_prog = |w: &'a Word| -> Vec<&'a Word> {
        let mut v: Vec<&Word> = prog.iter().collect();
        v.push(w);
        v
    };
    match name.as_str() {
        "curl" => args
            .iter()
            .find(|a| a.text == "--insecure" || short_flag(&a.text, 'k'))
            .map(with_prog),
        "wget" => args.iter().find(|a| a.text == "--no-check-certificate").map(with_prog),
        "npm" | "yarn" | "pnpm" => {
            if let Some(a) = args
                .iter()
                .find(|a| a.text.starts_with("--strict-ssl=") && falsy(&a.text["--strict-ssl=".len()..]))
            {
                return Some(with_prog(a));
            }
            // `npm config set strict-ssl false`, `npm set strict-ssl=false`
            args.iter().enumerate().find_map(|(i, a)| {
                let key = a.text.to_ascii_lowercase();
                if key == "strict-ssl" {
                    return args.get(i + 1).filter(|v| falsy(&v.text)).map(|_| with_prog(a));
                }
                if let Some(v) = key.strip_prefix("strict-ssl=") {
                    return falsy(v).then(|| with_prog(a));
                }
                None
            })
        }
        "git" => args.iter().enumerate().find_map(|(i, a)| {
            let t = a.text.to_ascii_lowercase();
            if let Some((k, v)) = t.split_once('=')
                && k == "http.sslverify"
                && falsy(v)
            {
                return Some(with_prog(a));
            }
            if t == "http.sslverify" {
                return args.get(i + 1).filter(|v| falsy(&v.text)).map(|_| with_prog(a));
            }
            None
        }),
        "conda" => args.iter().enumerate().find_map(|(i, a)| {
            (a.text == "ssl_verify" && args.get(i + 1).is_some_and(|v| falsy(&v.text))).then(|| with_prog(a))
        }),
        "apt-get" | "apt" | "aptitude" => args
            .iter()
            .find(|a| {
                let t = a.text.to_ascii_lowercase();
                (t.contains("acquire::https::verify-peer") || t.contains("acquire::https::verify-host"))
                    && t.split_once('=').is_some_and(|(_, v)| falsy(v))
            })
            .map(with_prog),
        "yum" | "dnf" | "microdnf" | "tdnf" => args
            .iter()
            .find(|a| {
                let t = a.text.to_ascii_lowercase();
                t.starts_with("--setopt") && t.contains("sslverify=") && t.rsplit('=').next().is_some_and(falsy)
            })
            .map(with_prog),
        "export" => args
            .iter()
            .find(|a| a.text.split_once('=').is_some_and(|(k, v)| tls_env(k, v)))
            .map(|a| vec![a]),
        _ => pip_args(cmd).and_then(|pargs| {
            pargs
                .iter()
                .find(|a| {
                    a.text == "--trusted-host"
                        || a.text.starts_with("--trusted-host=")
                        || a.text.contains("trusted-host")
                })
                .map(|a| vec![a])
        }),
    }
}

/// The arguments after `pip` for `pip …`, `pip3 …`, `python -m pip …`.
pub(crate) fn pip_args(cmd: &ShCommand) -> Option<&[Word]> {
    let name = cmd.name();
    let args = cmd.args();
    if name == "pip" || name.starts_with("pip3") || name.starts_with("pip2") {
        return Some(args);
    }
    if name.starts_with("python") {
        let m = args.iter().position(|a| a.text == "-m")?;
        if args
            .get(m + 1)
            .is_some_and(|a| a.text == "pip" || a.text.starts_with("pip3"))
        {
            return Some(&args[m + 2..]);
        }
    }
    None
}

fn tls_verification_disabled(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for cmd in &script.commands {
            for a in &cmd.assignments {
                if let Some((k, v)) = a.text.split_once('=')
                    && tls_env(k, v)
                {
                    hits.push(hit(df, ins, a.span, Some(shown(&[a]))));
                }
            }
            if let Some(words) = tls_off_word(cmd) {
                let span = words.last().map(|w| w.span).unwrap_or(cmd.span);
                hits.push(hit(df, ins, span, Some(shown(&words))));
            }
        }
    }
    for ins in &df.instructions {
        if (ins.keyword == "ENV" || ins.keyword == "ARG")
            && let Body::Pairs(pairs) = &ins.body
        {
            for p in pairs {
                if let Some(v) = &p.value
                    && tls_env(&p.key.text, &v.text)
                {
                    hits.push(hit(df, ins, p.span, Some(format!("`{}={}`", p.key.text, v.text))));
                }
            }
        }
    }
}

fn signature_check_disabled(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for cmd in &script.commands {
            let name = cmd.name();
            let flags: &[&str] = match name.as_str() {
                "apt-get" | "apt" | "aptitude" => &[
                    "--allow-unauthenticated",
                    "--allow-insecure-repositories",
                    "--force-yes",
                ],
                "apk" => &["--allow-untrusted"],
                "yum" | "dnf" | "microdnf" | "tdnf" => &["--nogpgcheck"],
                "zypper" => &["--no-gpg-checks"],
                "rpm" => &["--nosignature", "--nodigest"],
                _ => &[],
            };
            let bad = cmd.args().iter().find(|a| {
                let t = a.text.to_ascii_lowercase();
                flags.contains(&t.as_str())
                    || t.contains("allowunauthenticated=true")
                    || t.contains("allowunauthenticated=1")
                    || (t.starts_with("--setopt") && t.contains("gpgcheck=") && t.rsplit('=').next().is_some_and(falsy))
            });
            if let Some(a) = bad {
                let prog = &cmd.program()[0];
                hits.push(hit(df, ins, a.span, Some(shown(&[prog, a]))));
            }
        }
    }
}

/// Values that are not secrets whatever the name says: paths and URLs
/// without credentials, booleans.
fn obviously_not_secret(value: &str) -> bool {
    let v = value.trim();
    if v.starts_with('/') || v.starts_with("./") || v.starts_with("~/") {
        return true;
    }
    if let Some((_, rest)) = v.split_once("://") {
        let authority = rest.split('/').next().unwrap_or("");
        return !authority.contains('@');
    }
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "null"
    )
}

fn secret_in_env_or_arg(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for ins in &df.instructions {
        if ins.keyword != "ENV" && ins.keyword != "ARG" {
            continue;
        }
        let Body::Pairs(pairs) = &ins.body else { continue };
        for p in pairs {
            let Some(v) = &p.value else { continue };
            if !crate::secrets::credential_name(&p.key.text) {
                continue;
            }
            // The value as written: a `$VAR` reference is not a literal.
            let written = &cx.sources.get(df.file).text[v.span.range()];
            let literal = written.trim_matches(['"', '\'']);
            if crate::secrets::placeholder(literal) || obviously_not_secret(literal) {
                continue;
            }
            let mut h = hit(df, ins, v.span, None);
            h.witness.path = p.key.text.clone();
            h.sensitive.push(v.span);
            hits.push(h);
        }
    }
}

/// A chmod mode that lets every user write: `777`, `0666`, `o+w`, `a=rwx`.
/// The sticky bit (`1777`, `+t`) is the safe form for shared directories.
fn world_writable_mode(mode: &str) -> bool {
    let m = mode.trim();
    if !m.is_empty() && m.chars().all(|c| c.is_digit(8)) {
        let digits: Vec<u32> = m.chars().filter_map(|c| c.to_digit(8)).collect();
        let others = *digits.last().unwrap_or(&0);
        let sticky = digits.len() == 4 && digits[0] & 1 == 1;
        return others & 2 == 2 && !sticky;
    }
    if m.contains('t') {
        return false;
    }
    m.split(',').any(|clause| {
        let op = clause.find(['+', '=']);
        match op {
            Some(i) => {
                let who = &clause[..i];
                let perms = &clause[i + 1..];
                (who.contains('o') || who.contains('a')) && perms.contains('w')
            }
            None => false,
        }
    })
}

fn world_writable(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for cmd in &script.commands {
            if cmd.name() != "chmod" {
                continue;
            }
            if let Some(mode) = cmd
                .args()
                .iter()
                .find(|a| !a.text.starts_with('-') || a.text.starts_with("-w"))
                .filter(|a| a.known && world_writable_mode(&a.text))
            {
                hits.push(hit(df, ins, mode.span, Some(shown(&[&cmd.program()[0], mode]))));
            }
        }
    }
    for ins in &df.instructions {
        if let Some(f) = ins.flag("chmod")
            && let Some(v) = &f.value
            && v.known
            && world_writable_mode(&v.text)
        {
            hits.push(hit(df, ins, f.span, Some(format!("`--chmod={}`", v.text))));
        }
    }
}

#[allow(dead_code)]
fn posix(shell: &ShellKind) -> bool {
    matches!(shell, ShellKind::Posix { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        for m in ["777", "0777", "666", "o+w", "a+rwx", "ugo=rwx", "u+x,o+w"] {
            assert!(world_writable_mode(m), "{m}");
        }
        for m in ["755", "1777", "0644", "u+w", "g+w", "+x", "a+rwxt", "o-w"] {
            assert!(!world_writable_mode(m), "{m}");
        }
    }

    #[test]
    fn clustered_flags() {
        assert!(short_flag("-fsSLk", 'k'));
        assert!(!short_flag("--insecure-ok", 'k'));
        assert!(!short_flag("-", 'k'));
    }
}
