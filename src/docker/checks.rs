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
    check(
        "docker-apt-get-missing-yes",
        "apt-get install without -y (or -qq) waits for an answer",
        apt_get_missing_yes,
    ),
    check(
        "docker-apt-get-install-recommends",
        "apt-get install without --no-install-recommends",
        apt_get_install_recommends,
    ),
    check(
        "docker-package-version-unpinned",
        "a package manager installs packages without versions; args: manager = apt-get | apk | pip | npm | zypper | yum | gem",
        package_version_unpinned,
    ),
    check(
        "docker-package-prompt",
        "yum/dnf or zypper changes packages without the switch that answers its prompt; args: manager = yum | zypper",
        package_prompt,
    ),
    check(
        "docker-apt-lists-not-removed",
        "apt-get update in the final image without removing /var/lib/apt/lists",
        apt_lists_not_removed,
    ),
    check(
        "docker-apk-cache-kept",
        "apk add in the final image without --no-cache",
        apk_cache_kept,
    ),
    check(
        "docker-pip-cache-kept",
        "pip install in the final image without --no-cache-dir",
        pip_cache_kept,
    ),
    check(
        "docker-package-update-alone",
        "a package index update in its own RUN, followed by installs in later RUNs",
        package_update_alone,
    ),
    check(
        "docker-pipefail-missing",
        "a RUN pipeline whose failure is hidden because pipefail is not set",
        pipefail_missing,
    ),
    check(
        "docker-package-cache-kept",
        "yum/dnf or zypper installs in the final image and the same RUN does not clean its cache; args: manager = yum | zypper",
        package_cache_kept,
    ),
    check(
        "docker-overridden-instruction",
        "the final stage has several instructions of which only the last takes effect; args: keyword = CMD | ENTRYPOINT",
        overridden_instruction,
    ),
    check(
        "docker-copy-from-own-stage",
        "COPY --from names the stage the COPY is in",
        copy_from_own_stage,
    ),
    check(
        "docker-stage-name-reused",
        "two FROM instructions give their stages the same name",
        stage_name_reused,
    ),
    check(
        "docker-apt-in-run",
        "a RUN command uses apt rather than apt-get",
        apt_in_run,
    ),
    check(
        "docker-wget-and-curl",
        "one stage downloads with both wget and curl",
        wget_and_curl,
    ),
    check(
        "docker-from-platform-literal",
        "FROM --platform with a literal platform rather than a build argument",
        from_platform_literal,
    ),
    check(
        "docker-default-shell-replaced",
        "a RUN replaces /bin/sh or hands its command to PowerShell instead of using SHELL",
        default_shell_replaced,
    ),
    check(
        "docker-copy-chown-runtime-user",
        "COPY/ADD --chown gives the copied files to the user the container runs as",
        copy_chown_runtime_user,
    ),
    check(
        "docker-run-only-changes-directory",
        "a RUN whose only commands are cd: the directory change ends with the RUN",
        run_only_changes_directory,
    ),
    check(
        "docker-run-container-tool",
        "a RUN calls a tool that acts on a running system or waits for a terminal (service, kill, top, vim…)",
        run_container_tool,
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
    matches!(cmd.name(), "curl" | "wget" | "fetch")
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
                .find(|&&i| is_shell_name(script.commands[i].name()))
            {
                let shell = &script.commands[sh];
                let value = format!("`{} … | {}`", download.name(), shell.name());
                hits.push(hit(df, ins, download.span.to(shell.span), Some(value)));
            }
        }
        // `sh -c "$(curl …)"`, `bash <(wget -O- …)`
        for cmd in &script.commands {
            if !is_shell_name(cmd.name()) {
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
    match name {
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
            let flags: &[&str] = match name {
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

/// A package-manager command split into its subcommand and operands.
struct PkgCmd<'a> {
    cmd: &'a ShCommand,
    /// `apt-get`, `apk`, `pip`, `npm`, `zypper`, `yum`…
    manager: &'static str,
    sub: String,
    /// Every option (before or after the subcommand).
    options: Vec<&'a Word>,
    /// Non-option arguments after the subcommand (packages).
    operands: Vec<&'a Word>,
}

impl PkgCmd<'_> {
    fn has(&self, flags: &[&str]) -> bool {
        self.options.iter().any(|o| {
            let t = o.text.as_str();
            flags.contains(&t) || t.split_once('=').is_some_and(|(k, _)| flags.contains(&k))
        })
    }
}

/// Options that take a separate value, per manager.
fn value_options(manager: &str) -> &'static [&'static str] {
    match manager {
        "apt-get" => &[
            "-o",
            "-t",
            "-c",
            "-a",
            "--option",
            "--target-release",
            "--default-release",
            "--config-file",
            "--host-architecture",
        ],
        "apk" => &[
            "-X",
            "--repository",
            "-p",
            "--root",
            "-t",
            "--virtual",
            "--arch",
            "--keys-dir",
            "--repositories-file",
            "--cache-dir",
            "--cache-max-age",
            "--timeout",
        ],
        "pip" => &[
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-e",
            "--editable",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "-t",
            "--target",
            "--prefix",
            "--root",
            "--trusted-host",
            "--platform",
            "--python-version",
            "--implementation",
            "--abi",
            "--src",
            "--upgrade-strategy",
            "--progress-bar",
            "--log",
            "--proxy",
            "--retries",
            "--timeout",
            "--exists-action",
            "--cert",
            "--client-cert",
            "--cache-dir",
            "--global-option",
            "--install-option",
            "--config-settings",
            "-C",
            "--only-binary",
            "--no-binary",
            "--report",
            "--python",
        ],
        "npm" => &[
            "--prefix",
            "-w",
            "--workspace",
            "--registry",
            "--tag",
            "--cache",
            "--loglevel",
            "--omit",
            "--include",
        ],
        "zypper" => &["-r", "--repo", "--from", "-t", "--type", "--root", "-C"],
        "gem" => &[
            "-v",
            "--version",
            "-i",
            "--install-dir",
            "-n",
            "--bindir",
            "-s",
            "--source",
            "-p",
            "--http-proxy",
            "--platform",
            "-g",
            "--file",
            "-P",
            "--trust-policy",
            "--build-root",
            "--config-file",
        ],
        "yum" => &[
            "-c",
            "--config",
            "--enablerepo",
            "--disablerepo",
            "--setopt",
            "--installroot",
            "--releasever",
            "-x",
            "--exclude",
        ],
        _ => &[],
    }
}

fn pkg_cmd(cmd: &ShCommand) -> Option<PkgCmd<'_>> {
    let name = cmd.name();
    let (manager, args): (&'static str, &[Word]) = match name {
        "apt-get" | "apt" => ("apt-get", cmd.args()),
        "apk" => ("apk", cmd.args()),
        "npm" => ("npm", cmd.args()),
        "zypper" => ("zypper", cmd.args()),
        "yum" | "dnf" | "microdnf" | "tdnf" => ("yum", cmd.args()),
        "pacman" => ("pacman", cmd.args()),
        "gem" => ("gem", cmd.args()),
        _ => ("pip", pip_args(cmd)?),
    };
    let takes_value = value_options(manager);
    let mut sub = None;
    let mut options = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.text.starts_with('-') && a.text.len() > 1 {
            options.push(a);
            if takes_value.contains(&a.text.as_str()) {
                i += 1;
            }
        } else if sub.is_none() {
            sub = Some(a.text.to_ascii_lowercase());
        } else {
            operands.push(a);
        }
        i += 1;
    }
    Some(PkgCmd {
        cmd,
        manager,
        sub: sub.unwrap_or_default(),
        options,
        operands,
    })
}

fn is_install(p: &PkgCmd) -> bool {
    match p.manager {
        "apt-get" | "yum" | "pip" => p.sub == "install",
        "apk" => p.sub == "add",
        "npm" => matches!(p.sub.as_str(), "install" | "i" | "add" | "isntall" | "in"),
        "zypper" => matches!(p.sub.as_str(), "install" | "in"),
        "gem" => matches!(p.sub.as_str(), "install" | "i"),
        "pacman" => {
            p.options
                .iter()
                .any(|o| o.text.starts_with("-S") && !o.text.contains('y'))
                // `pacman -S nginx`: no subcommand word, the first package is in `sub`.
                && (!p.sub.is_empty() || !p.operands.is_empty())
        }
        _ => false,
    }
}

/// Every package-manager command of the RUNs of the file.
fn pkg_cmds(df: &Dockerfile) -> impl Iterator<Item = (&Instruction, &Script, PkgCmd<'_>)> {
    runs(df).flat_map(|(ins, script)| {
        script
            .commands
            .iter()
            .filter_map(move |c| pkg_cmd(c).map(|p| (ins, script, p)))
    })
}

/// Whether any RUN of the file mentions a package manager setting, as in a
/// configuration file written with `echo`: apt's
/// `echo 'APT::Get::Assume-Yes "true";' > /etc/apt/apt.conf.d/…`, yum's
/// `assumeyes=1`, pip's `no-cache-dir true`.
fn run_mentions_setting(df: &Dockerfile, key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    df.instructions
        .iter()
        .filter_map(|i| i.command())
        .any(|c| c.text.text.to_ascii_lowercase().contains(&key))
}

/// Runs after `yes |`.
fn fed_by_yes(script: &Script, cmd: &ShCommand) -> bool {
    let Some(p) = cmd.pipeline else { return false };
    script.pipelines[p]
        .iter()
        .map(|&i| &script.commands[i])
        .take_while(|c| !std::ptr::eq(*c, cmd))
        .any(|c| c.name() == "yes")
}

fn apt_get_missing_yes(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    if run_mentions_setting(df, "assume-yes") {
        return;
    }
    for (ins, script, p) in pkg_cmds(df) {
        if p.manager != "apt-get" || !matches!(p.sub.as_str(), "install" | "upgrade" | "dist-upgrade" | "full-upgrade")
        {
            continue;
        }
        let quiet = p
            .options
            .iter()
            .map(|o| match o.text.as_str() {
                "-q" | "--quiet" => 1,
                "-qq" | "-q=2" | "--quiet=2" => 2,
                t if short_flag(t, 'q') => t.matches('q').count(),
                _ => 0,
            })
            .sum::<usize>();
        let yes = p.has(&["-y", "--yes", "--assume-yes", "--force-yes"])
            || p.options.iter().any(|o| short_flag(&o.text, 'y'))
            || quiet >= 2
            || fed_by_yes(script, p.cmd);
        if !yes {
            let prog = &p.cmd.program()[0];
            hits.push(hit(df, ins, p.cmd.span, Some(shown(&[prog, &p.cmd.program()[1]]))));
        }
    }
}

/// Subcommands that ask for confirmation before they change packages.
fn asks_to_confirm(manager: &str, sub: &str) -> bool {
    fetches_packages(manager, sub)
        || match manager {
            "yum" => matches!(sub, "remove" | "erase"),
            "zypper" => matches!(sub, "remove" | "rm"),
            _ => false,
        }
}

/// Subcommands that download packages (into the manager's cache).
fn fetches_packages(manager: &str, sub: &str) -> bool {
    match manager {
        "yum" => matches!(
            sub,
            "install"
                | "in"
                | "reinstall"
                | "rei"
                | "localinstall"
                | "groupinstall"
                | "install-n"
                | "install-na"
                | "install-nevra"
                | "update"
                | "upgrade"
                | "downgrade"
        ),
        "zypper" => matches!(
            sub,
            "install" | "in" | "update" | "up" | "dist-upgrade" | "dup" | "patch" | "source-install" | "si"
        ),
        _ => false,
    }
}

fn package_prompt(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let Some(want) = cx.args.get("manager").and_then(|v| v.as_str()) else {
        return;
    };
    // `assumeyes=1` written into yum.conf or dnf.conf answers every prompt.
    if want == "yum" && (run_mentions_setting(df, "assumeyes=1") || run_mentions_setting(df, "assumeyes=true")) {
        return;
    }
    for (ins, script, p) in pkg_cmds(df) {
        if p.manager != want || !asks_to_confirm(p.manager, &p.sub) {
            continue;
        }
        let answered = match p.manager {
            "yum" => {
                p.has(&["-y", "--assumeyes"])
                    || p.options
                        .iter()
                        .any(|o| short_flag(&o.text, 'y') || o.text.to_ascii_lowercase().contains("assumeyes="))
            }
            _ => {
                p.has(&["-n", "--non-interactive", "-y", "--no-confirm"])
                    || p.options
                        .iter()
                        .any(|o| short_flag(&o.text, 'n') || short_flag(&o.text, 'y'))
            }
        };
        if !answered && !fed_by_yes(script, p.cmd) {
            let value = format!("`{} {}`", p.cmd.program()[0].text, p.sub);
            let mut h = hit(df, ins, p.cmd.span, Some(value));
            // microdnf assumed yes in older releases (UBI 8) and asks in current
            // ones (UBI 9 and later): which one the base image carries is unknown.
            if p.cmd.name() == "microdnf" {
                h.truth = Tri::Unknown;
            }
            hits.push(h);
        }
    }
}

fn apt_get_install_recommends(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    if run_mentions_setting(df, "install-recommends") {
        return;
    }
    for (ins, _, p) in pkg_cmds(df) {
        if p.manager != "apt-get" || p.sub != "install" || p.operands.is_empty() {
            continue;
        }
        if !p.has(&["--no-install-recommends"]) {
            let prog = &p.cmd.program()[0];
            hits.push(hit(df, ins, p.cmd.span, Some(shown(&[prog, &p.cmd.program()[1]]))));
        }
    }
}

/// Whether a package operand carries a version, per manager; `None` when
/// the operand is not a registry package (a path, a URL, a file).
fn pinned(manager: &str, op: &str) -> Option<bool> {
    let local = op.starts_with('.') || op.starts_with('/') || op.starts_with('~') || op.contains("://");
    match manager {
        "apt-get" => {
            if local || op.ends_with(".deb") || op.contains('/') {
                return None;
            }
            Some(op.contains('='))
        }
        "apk" => {
            if local || op.ends_with(".apk") {
                return None;
            }
            Some(op.contains(['=', '<', '>', '~']))
        }
        "zypper" => {
            if local || op.ends_with(".rpm") {
                return None;
            }
            Some(op.contains(['=', '<', '>']))
        }
        "pip" => {
            let lower = op.to_ascii_lowercase();
            if local
                || lower.starts_with("git+")
                || lower.ends_with(".whl")
                || lower.ends_with(".tar.gz")
                || lower.ends_with(".zip")
                || op.contains('/')
                || lower == "pip"
            {
                return None;
            }
            Some(op.contains(['=', '<', '>', '~', '@']))
        }
        "npm" => {
            let lower = op.to_ascii_lowercase();
            if local
                || lower.starts_with("git")
                || lower.starts_with("file:")
                || lower.starts_with("github:")
                || lower.ends_with(".tgz")
                || lower.ends_with(".tar.gz")
                || (op.contains('/') && !op.starts_with('@'))
            {
                return None;
            }
            // `@scope/name@1.2`, `name@1.2`: a version after the name.
            let name_end = if let Some(rest) = op.strip_prefix('@') {
                rest.find('@').map(|i| i + 1)
            } else {
                op.find('@')
            };
            Some(name_end.is_some())
        }
        "gem" => {
            if local || op.ends_with(".gem") {
                return None;
            }
            // `rails:7.1.3`, `rails:'~> 7.1'`
            Some(op.contains(':'))
        }
        "yum" => {
            // Local or remote .rpm files and `@group`/`@module` specs carry no package version.
            if local || op.ends_with(".rpm") || op.starts_with('@') {
                return None;
            }
            // `httpd-2.4.57`, `httpd-2.4.57-5.el9`, `nginx-1:1.20.1`, `curl >= 7`, `nodejs:18`.
            let versioned = op.contains(['=', '<', '>', ':'])
                || op
                    .char_indices()
                    .any(|(i, c)| c == '-' && op[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
            Some(versioned)
        }
        _ => None,
    }
}

fn package_version_unpinned(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let Some(want) = cx.args.get("manager").and_then(|v| v.as_str()) else {
        return;
    };
    for (ins, _, p) in pkg_cmds(df) {
        if p.manager != want || !is_install(&p) {
            continue;
        }
        // `gem install rails -v 7.1.3`: one version for the command's gems.
        if p.manager == "gem" && p.has(&["-v", "--version"]) {
            continue;
        }
        let mut unpinned: Vec<&Word> = Vec::new();
        let mut unknown: Option<&Word> = None;
        for op in &p.operands {
            if !op.known {
                unknown.get_or_insert(op);
                continue;
            }
            if pinned(p.manager, &op.text) == Some(false) {
                unpinned.push(op);
            }
        }
        if let Some(first) = unpinned.first() {
            let more = match unpinned.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            hits.push(hit(df, ins, first.span, Some(format!("`{}`{more}", first.text))));
        } else if let Some(u) = unknown {
            let mut h = hit(df, ins, u.span, Some(format!("`{}`", u.text)));
            h.truth = Tri::Unknown;
            hits.push(h);
        }
    }
}

/// Whether the RUN mounts a build cache over one of these folders.
fn cache_mount(ins: &Instruction, folders: &[&str]) -> bool {
    ins.flags.iter().any(|f| {
        f.name == "mount"
            && f.value.as_ref().is_some_and(|v| {
                let t = v.text.to_ascii_lowercase();
                t.contains("type=cache") && folders.iter().any(|d| t.contains(d))
            })
    })
}

/// Whether a command of the script removes one of these folders' content.
fn removes(script: &Script, folders: &[&str]) -> bool {
    script
        .commands
        .iter()
        .any(|c| c.name() == "rm" && c.args().iter().any(|a| folders.iter().any(|d| a.text.contains(d))))
}

fn in_final_image(df: &Dockerfile, ins: &Instruction, lineage: &[usize]) -> bool {
    !ins.onbuild && ins.stage.is_some_and(|s| lineage.contains(&s)) && df.stages.get(ins.stage.unwrap_or(0)).is_some()
}

fn apt_lists_not_removed(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let lineage = df.final_lineage();
    const LISTS: &[&str] = &["/var/lib/apt/lists", "/var/lib/apt"];
    for (ins, script) in runs(df) {
        if !in_final_image(df, ins, &lineage) || cache_mount(ins, LISTS) || removes(script, LISTS) {
            continue;
        }
        let update = script
            .commands
            .iter()
            .filter_map(pkg_cmd)
            .find(|p| p.manager == "apt-get" && p.sub == "update");
        if let Some(p) = update {
            let prog = &p.cmd.program()[0];
            hits.push(hit(df, ins, p.cmd.span, Some(shown(&[prog, &p.cmd.program()[1]]))));
        }
    }
}

fn apk_cache_kept(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let lineage = df.final_lineage();
    const CACHE: &[&str] = &["/var/cache/apk", "/etc/apk/cache"];
    for (ins, script) in runs(df) {
        if !in_final_image(df, ins, &lineage) || cache_mount(ins, CACHE) || removes(script, CACHE) {
            continue;
        }
        let cleaned = script.commands.iter().any(|c| {
            c.name() == "apk"
                && c.args().first().is_some_and(|a| a.text == "cache")
                && c.args().iter().any(|a| a.text == "clean" || a.text == "purge")
        });
        for p in script.commands.iter().filter_map(pkg_cmd) {
            if p.manager == "apk" && p.sub == "add" && !p.has(&["--no-cache"]) && !cleaned {
                let prog = &p.cmd.program()[0];
                hits.push(hit(df, ins, p.cmd.span, Some(shown(&[prog, &p.cmd.program()[1]]))));
            }
        }
    }
}

fn pip_cache_kept(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let lineage = df.final_lineage();
    // `ENV PIP_NO_CACHE_DIR=…` anywhere in the final image's stages, or pip
    // configured once for all.
    let env_set = df.instructions.iter().any(|i| {
        i.keyword == "ENV"
            && i.stage.is_some_and(|s| lineage.contains(&s))
            && matches!(&i.body, Body::Pairs(p) if p.iter().any(|p| p.key.text.eq_ignore_ascii_case("PIP_NO_CACHE_DIR")))
    }) || run_mentions_setting(df, "no-cache-dir true");
    if env_set {
        return;
    }
    for (ins, script) in runs(df) {
        if !in_final_image(df, ins, &lineage) || cache_mount(ins, &["/.cache", "pip"]) {
            continue;
        }
        for p in script.commands.iter().filter_map(pkg_cmd) {
            if p.manager != "pip" || p.sub != "install" || p.has(&["--no-cache-dir", "--cache-dir"]) {
                continue;
            }
            if p.cmd.assignments.iter().any(|a| a.text.starts_with("PIP_NO_CACHE_DIR")) {
                continue;
            }
            hits.push(hit(
                df,
                ins,
                p.cmd.span,
                Some(shown(&p.cmd.program().iter().take(2).collect::<Vec<_>>())),
            ));
        }
    }
}

/// The index-refresh command of a package manager, and its install command.
fn update_kind(p: &PkgCmd) -> Option<&'static str> {
    match (p.manager, p.sub.as_str()) {
        ("apt-get", "update") => Some("apt-get"),
        ("apk", "update") => Some("apk"),
        ("zypper", "refresh" | "ref") => Some("zypper"),
        ("yum", "update" | "makecache" | "upgrade") if p.operands.is_empty() => Some("yum"),
        ("pacman", "")
            if p.options
                .iter()
                .any(|o| o.text.starts_with("-S") && o.text.contains('y'))
                && p.operands.is_empty() =>
        {
            Some("pacman")
        }
        _ => None,
    }
}

fn package_update_alone(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for stage in &df.stages {
        let instructions: Vec<(usize, &Instruction, &Script)> = df
            .stage_instructions(stage)
            .iter()
            .enumerate()
            .filter(|(_, i)| !i.onbuild)
            .filter_map(|(n, i)| i.script().map(|s| (n, i, s)))
            .collect();
        for (n, ins, script) in &instructions {
            let cmds: Vec<PkgCmd> = script.commands.iter().filter_map(pkg_cmd).collect();
            for p in &cmds {
                let Some(manager) = update_kind(p) else { continue };
                let installs_here = cmds.iter().any(|q| q.manager == manager && is_install(q));
                if installs_here {
                    continue;
                }
                let installs_later = instructions.iter().any(|(m, _, s)| {
                    m > n
                        && s.commands
                            .iter()
                            .filter_map(pkg_cmd)
                            .any(|q| q.manager == manager && is_install(&q))
                });
                if installs_later {
                    let words: Vec<&Word> = p.cmd.program().iter().take(2).collect();
                    hits.push(hit(df, ins, p.cmd.span, Some(shown(&words))));
                }
            }
        }
    }
}

/// Commands whose failure in the first place of a pipeline hardly matters.
const HARMLESS_PIPE_SOURCES: &[&str] = &["echo", "printf", "yes", "true"];

fn pipefail_missing(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        let Some(stage) = ins.stage.and_then(|s| df.stages.get(s)) else {
            continue;
        };
        // The shell in force at this instruction: a SHELL before it in the stage.
        let shell_pipefail = df
            .stage_instructions(stage)
            .iter()
            .take_while(|i| !std::ptr::eq(*i, ins))
            .fold(
                stage
                    .parent
                    .and_then(|p| df.stages.get(p))
                    .map(|p| &p.shell)
                    .cloned()
                    .unwrap_or_default(),
                |acc, i| match &i.body {
                    Body::Shell(words) if !i.onbuild => super::parse::shell_kind(words),
                    _ => acc,
                },
            );
        if matches!(
            shell_pipefail,
            ShellKind::Posix { pipefail: true, .. } | ShellKind::Windows
        ) {
            continue;
        }
        for pipeline in &script.pipelines {
            let Some(&first) = pipeline.first() else { continue };
            if pipeline.len() < 2 || script.pipefail_from.is_some_and(|p| p < first) {
                continue;
            }
            let source = &script.commands[first];
            if HARMLESS_PIPE_SOURCES.contains(&source.name()) {
                continue;
            }
            let last = &script.commands[*pipeline.last().unwrap_or(&first)];
            let value = format!("`{} … | {}`", source.name(), last.name());
            hits.push(hit(df, ins, source.span.to(last.span), Some(value)));
        }
    }
}

/// Folders where each manager keeps its package cache and metadata.
fn cache_folders(manager: &str) -> &'static [&'static str] {
    match manager {
        "yum" => &[
            "/var/cache/yum",
            "/var/cache/dnf",
            "/var/cache/microdnf",
            "/var/cache/tdnf",
        ],
        "zypper" => &["/var/cache/zypp"],
        _ => &[],
    }
}

fn package_cache_kept(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let Some(want) = cx.args.get("manager").and_then(|v| v.as_str()) else {
        return;
    };
    let lineage = df.final_lineage();
    let folders = cache_folders(want);
    for (ins, script) in runs(df) {
        if !in_final_image(df, ins, &lineage) || cache_mount(ins, folders) || removes(script, folders) {
            continue;
        }
        let cmds: Vec<(usize, PkgCmd)> = script
            .commands
            .iter()
            .enumerate()
            .filter_map(|(i, c)| pkg_cmd(c).map(|p| (i, p)))
            .filter(|(_, p)| p.manager == want)
            .collect();
        // `zypper cc` is zypper's short form of `clean`.
        let cleaned_after = |at: usize| {
            cmds.iter()
                .any(|(i, q)| *i > at && matches!(q.sub.as_str(), "clean" | "cc"))
        };
        if let Some((_, p)) = cmds
            .iter()
            .find(|(i, p)| fetches_packages(p.manager, &p.sub) && !cleaned_after(*i))
        {
            let words: Vec<&Word> = p.cmd.program().iter().take(2).collect();
            hits.push(hit(df, ins, p.cmd.span, Some(shown(&words))));
        }
    }
}

fn overridden_instruction(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let Some(keyword) = cx.args.get("keyword").and_then(|v| v.as_str()) else {
        return;
    };
    let Some(stage) = df.final_stage() else { return };
    let same: Vec<&Instruction> = df
        .stage_instructions(stage)
        .iter()
        .filter(|i| i.keyword == keyword && !i.onbuild)
        .collect();
    let Some(last) = same.last() else { return };
    let last_line = cx.sources.get(df.file).position(last.span.start).line;
    for ins in &same[..same.len() - 1] {
        hits.push(hit(df, ins, ins.span, Some(format!("{keyword} on line {last_line}"))));
    }
}

fn copy_from_own_stage(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for ins in &df.instructions {
        let Some(stage) = ins.stage.and_then(|s| df.stages.get(s)) else {
            continue;
        };
        if ins.keyword != "COPY" {
            continue;
        }
        let Some(from) = ins.flag("from").and_then(|f| f.value.as_ref()).filter(|v| v.known) else {
            continue;
        };
        let own = stage
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&from.text))
            || from.text.parse::<usize>().is_ok_and(|i| i == stage.index);
        if own {
            hits.push(hit(df, ins, from.span, Some(format!("`{}`", from.text))));
        }
    }
}

fn stage_name_reused(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (i, stage) in df.stages.iter().enumerate() {
        let Some(name) = &stage.name else { continue };
        if !df.stages[..i]
            .iter()
            .any(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        {
            continue;
        }
        let from = &df.instructions[stage.from];
        let span = match &from.body {
            Body::From { alias: Some(a), .. } => a.span,
            _ => from.span,
        };
        hits.push(hit(df, from, span, Some(format!("`{name}`"))));
    }
}

fn apt_in_run(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for cmd in &script.commands {
            if cmd.name() == "apt" {
                let words: Vec<&Word> = cmd.program().iter().take(2).collect();
                hits.push(hit(df, ins, cmd.program()[0].span, Some(shown(&words))));
            }
        }
    }
}

fn wget_and_curl(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for stage in &df.stages {
        let mut first: [Option<(&Instruction, &ShCommand)>; 2] = [None, None];
        for ins in df.stage_instructions(stage).iter().filter(|i| !i.onbuild) {
            let Some(script) = ins.script() else { continue };
            for cmd in &script.commands {
                let slot = match cmd.name() {
                    "wget" => 0,
                    "curl" => 1,
                    _ => continue,
                };
                first[slot].get_or_insert((ins, cmd));
            }
        }
        if let [Some(wget), Some(curl)] = first {
            // Reported where the second of the two tools comes in.
            let (ins, cmd) = if wget.1.span.start > curl.1.span.start {
                wget
            } else {
                curl
            };
            let other = if cmd.name() == "wget" { "curl" } else { "wget" };
            hits.push(hit(
                df,
                ins,
                cmd.program()[0].span,
                Some(format!("`{}` besides `{other}`", cmd.name())),
            ));
        }
    }
}

fn from_platform_literal(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let text = &cx.sources.get(df.file).text;
    for ins in df.instructions.iter().filter(|i| i.keyword == "FROM") {
        let Some(flag) = ins.flag("platform") else { continue };
        let Some(value) = &flag.value else { continue };
        // `$BUILDPLATFORM`, `${TARGETPLATFORM}`: chosen by the builder.
        if text[value.span.range()].contains('$') {
            continue;
        }
        hits.push(hit(df, ins, flag.span, Some(format!("`--platform={}`", value.text))));
    }
}

/// `ln -sf /bin/bash /bin/sh`, `mv`/`cp` onto `/bin/sh`.
fn replaces_bin_sh(cmd: &ShCommand) -> bool {
    matches!(cmd.name(), "ln" | "mv" | "cp")
        && cmd
            .args()
            .iter()
            .rfind(|a| !a.text.starts_with('-'))
            .is_some_and(|a| matches!(a.text.as_str(), "/bin/sh" | "/usr/bin/sh"))
}

fn default_shell_replaced(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for cmd in &script.commands {
            if replaces_bin_sh(cmd) {
                hits.push(hit(
                    df,
                    ins,
                    cmd.span,
                    Some(shown(&cmd.program().iter().collect::<Vec<_>>())),
                ));
            }
        }
        // The whole RUN handed to PowerShell: `SHELL ["pwsh", "-Command"]` says it once.
        if let Some(first) = script.commands.first()
            && matches!(first.name().trim_end_matches(".exe"), "powershell" | "pwsh")
        {
            hits.push(hit(
                df,
                ins,
                first.program()[0].span,
                Some(shown(&[&first.program()[0]])),
            ));
        }
    }
}

fn copy_chown_runtime_user(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    let Some(last) = df.final_stage() else { return };
    let Some((user, _)) = &last.user else { return };
    let runtime = user.text.split(':').next().unwrap_or("").trim();
    if matches!(runtime, "root" | "0" | "") && user.known {
        return;
    }
    let lineage = df.final_lineage();
    for ins in &df.instructions {
        if !matches!(ins.keyword.as_str(), "COPY" | "ADD") || !in_final_image(df, ins, &lineage) {
            continue;
        }
        let Some(chown) = ins.flag("chown").and_then(|f| f.value.as_ref()) else {
            continue;
        };
        // A home folder (`/home/app`) is the user's own to write.
        if let Body::Files { dest: Some(d), .. } = &ins.body
            && d.known
            && d.text
                .trim_end_matches('/')
                .strip_prefix("/home/")
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
        {
            continue;
        }
        let owner = chown.text.split(':').next().unwrap_or("").trim();
        if !chown.known || !user.known {
            let mut h = hit(df, ins, chown.span, Some(format!("`--chown={}`", chown.text)));
            h.truth = Tri::Unknown;
            hits.push(h);
        } else if owner == runtime {
            hits.push(hit(df, ins, chown.span, Some(format!("`{owner}`"))));
        }
    }
}

/// Tools that act on a running system (its power state, mounts, remote
/// hosts) or wait for a terminal: in a build step they do nothing lasting,
/// fail, or hang.
const CONTAINER_TOOLS: &[&str] = &["shutdown", "reboot", "mount", "top", "vim", "vi", "nano", "ssh"];

fn run_container_tool(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        for (i, cmd) in script.commands.iter().enumerate() {
            let name = cmd.name();
            // `service db start && load-schema` uses the service within the
            // RUN; started last, nothing does.
            let service_left_running = name == "service" && i + 1 == script.commands.len();
            if service_left_running || CONTAINER_TOOLS.contains(&name) {
                let words: Vec<&Word> = cmd.program().iter().take(2).collect();
                hits.push(hit(df, ins, cmd.span, Some(shown(&words))));
            }
        }
    }
}

/// Every command of the RUN is `cd`: the shell exits at the end of the RUN, so
/// the next instructions still start in the WORKDIR. A script bash could not
/// read wholly is left alone.
fn run_only_changes_directory(cx: &CheckCx, hits: &mut Vec<Hit>) {
    let Some(df) = dockerfile(cx) else { return };
    for (ins, script) in runs(df) {
        let only_cd = !script.commands.is_empty() && script.commands.iter().all(|cmd| cmd.name() == "cd");
        if only_cd && script.parse_error.is_none() {
            let first = &script.commands[0];
            let words: Vec<&Word> = first.program().iter().collect();
            hits.push(hit(df, ins, first.span, Some(shown(&words))));
        }
    }
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
