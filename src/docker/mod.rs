//! Dockerfiles (and Containerfiles): parsing and the subjects Dockerfile
//! policies see.
//!
//! One scope per Dockerfile, with three classes of subject:
//! - `dockerfile`: the file as a whole;
//! - `stage` (kind `stage`): each `FROM`, with its base image, whether it is
//!   the final stage, its effective `USER` and `HEALTHCHECK` (inherited from
//!   an earlier stage it is built `FROM`);
//! - `instruction` (kind: the keyword, `RUN`, `EXPOSE`…): each instruction,
//!   with its flags and arguments.
//!
//! RUN bodies are analysed as shell ([`shell`]); the Rust checks in
//! [`checks`] read the parsed [`Dockerfile`] from the scope's native data.

pub mod checks;
pub mod parse;
pub mod shell;

use std::sync::Arc;

use crate::notice::Notice;
use crate::policy::InputKind;
use crate::scan::ScanOptions;
use crate::source::{FileId, SourceFile, Span};
use crate::subject::{Native, Subject, SubjectSet};
use crate::value::{Entry, Str, Unknown, Val, ValKind};

pub use parse::{Body, Dockerfile, ImageRef, ImageSource, Instruction, ShellKind, Stage, Word};

/// Rust checks for Dockerfile policies (see [`crate::checks`]).
pub static CHECKS: &[crate::checks::Check] = checks::CHECKS;

/// Parse one Dockerfile into its scope. `None` when nothing can be scanned.
pub fn load(id: FileId, source: &SourceFile, options: &ScanOptions) -> (Option<SubjectSet>, Vec<Notice>) {
    let mut notices = Vec::new();
    let display = source.display.clone();
    let df = match parse::parse(id, &source.text, options.parse_budget) {
        Ok(df) => df,
        Err(e) => {
            notices.push(Notice::error(display, None, e.to_string()));
            return (None, notices);
        }
    };
    if let Some((offset, what)) = df.error {
        notices.push(Notice::error(
            display.clone(),
            Some(source.position(offset as u32).line),
            format!("{what}: the Dockerfile is not valid; what could be recovered was scanned"),
        ));
    }
    for offset in &df.shell_errors {
        notices.push(Notice::warning(
            display.clone(),
            Some(source.position(*offset as u32).line),
            "the RUN command is not valid shell syntax; the commands that could be recovered were checked".into(),
        ));
    }
    if df.instructions.is_empty() {
        return (None, notices);
    }
    let subjects = subjects(&df, source);
    (
        Some(SubjectSet::new(
            InputKind::Dockerfile,
            subjects,
            Native::Any(Arc::new(df)),
        )),
        notices,
    )
}

fn s(text: &str, span: Span) -> Val {
    Val::string(text, Some(span))
}

fn entry(key: &str, span: Span, value: Val) -> Entry {
    Entry {
        key: key.into(),
        key_span: Some(span),
        value,
    }
}

/// A word as a value: unknown when it holds an unresolved variable.
fn word_val(w: &Word) -> Val {
    if w.known {
        s(&w.text, w.span)
    } else {
        Val::unknown(
            Unknown::Other(format!("`{}` is set when the image is built", w.text.trim()).into()),
            Some(w.span),
        )
    }
}

fn map(entries: Vec<Entry>, span: Span) -> Val {
    Val::new(ValKind::Map(entries.into()), Some(span))
}

fn list(items: Vec<Val>, span: Span) -> Val {
    Val::new(ValKind::List(items.into()), Some(span))
}

/// Addresses: `build/RUN[2]`; with a single unnamed stage just `RUN[2]`.
pub fn instruction_address(df: &Dockerfile, ins: &Instruction) -> String {
    let bare = df.stages.len() == 1 && df.stages[0].name.is_none();
    match ins.stage.and_then(|i| df.stages.get(i)) {
        _ if ins.keyword == "FROM" => match ins.stage.and_then(|i| df.stages.get(i)) {
            Some(st) => stage_address(df, st),
            None => "FROM".into(),
        },
        Some(_) if bare => format!("{}[{}]", ins.keyword, ins.ordinal),
        Some(st) => format!("{}/{}[{}]", st.label(), ins.keyword, ins.ordinal),
        None => format!("{}[{}] (global)", ins.keyword, ins.ordinal),
    }
}

pub fn stage_address(df: &Dockerfile, st: &Stage) -> String {
    if df.stages.len() == 1 && st.name.is_none() {
        format!("stage FROM {}", st.base.word.text.trim())
    } else {
        format!("stage {}", st.label())
    }
}

fn image_val(image: &ImageRef) -> Val {
    let span = image.word.span;
    let mut e = vec![entry("reference", span, word_val(&image.word))];
    let source = match image.source {
        ImageSource::Registry => "registry",
        ImageSource::Stage(_) => "stage",
        ImageSource::Scratch => "scratch",
    };
    e.push(entry("source", span, s(source, span)));
    if image.word.known {
        let pinned = match (&image.digest, &image.tag) {
            (Some(_), _) => "digest",
            (None, Some(_)) => "tag",
            (None, None) => "none",
        };
        e.push(entry("pinned", span, s(pinned, span)));
        e.push(entry("name", span, s(&image.name, span)));
        if let Some(t) = &image.tag {
            e.push(entry("tag", span, s(t, span)));
        }
        if let Some(d) = &image.digest {
            e.push(entry("digest", span, s(d, span)));
        }
    } else {
        let unknown = word_val(&image.word);
        e.push(entry("name", span, unknown.clone()));
        e.push(entry("tag", span, unknown.clone()));
        e.push(entry("digest", span, unknown.clone()));
        e.push(entry("pinned", span, unknown));
    }
    map(e, span)
}

/// Base images known to run as a non-root user unless told otherwise.
fn base_runs_as_non_root(image: &ImageRef) -> bool {
    let tag = image.tag.as_deref().unwrap_or("");
    tag.contains("nonroot") || tag.contains("non-root") || tag.contains("rootless")
}

fn subjects(df: &Dockerfile, source: &SourceFile) -> Vec<Subject> {
    let file = df.file;
    let whole = Span::new(file, 0, source.text.len());
    let mut out = Vec::new();
    let lineage = df.final_lineage();
    let final_index = df.stages.len().checked_sub(1);
    let first = df.instructions.first().map(|i| i.span).unwrap_or(whole);
    out.push(Subject {
        class: "dockerfile".into(),
        kind: "dockerfile".into(),
        address: source.display.as_str().into(),
        instance: None,
        file,
        header: first,
        span: whole,
        value: map(
            vec![entry(
                "stages",
                whole,
                Val::new(ValKind::Number(df.stages.len() as f64), Some(whole)),
            )],
            whole,
        ),
        context: Vec::new(),
    });
    for st in &df.stages {
        let from = &df.instructions[st.from];
        let end = df
            .instructions
            .get(st.instructions.end.saturating_sub(1))
            .map(|i| i.span)
            .unwrap_or(from.span);
        let span = from.span.to(end);
        let mut e = vec![
            entry("image", st.base.word.span, image_val(&st.base)),
            entry(
                "final",
                from.span,
                Val::new(ValKind::Bool(Some(st.index) == final_index), Some(from.span)),
            ),
            entry(
                "in-final-image",
                from.span,
                Val::new(ValKind::Bool(lineage.contains(&st.index)), Some(from.span)),
            ),
            entry(
                "windows",
                from.span,
                Val::new(ValKind::Bool(st.shell == ShellKind::Windows), Some(from.span)),
            ),
        ];
        if let Some(n) = &st.name {
            e.push(entry("name", from.span, s(n, from.span)));
        }
        if let Some((w, _)) = &st.user {
            let mut v = word_val(w);
            if let ValKind::String(u) = &v.kind {
                // `USER root:root` → the user part.
                let user: Str = u.split(':').next().unwrap_or("").trim().into();
                v.kind = ValKind::String(user);
            }
            e.push(entry("user", w.span, v));
        }
        // Who the base image runs as, as far as its name tells.
        let base_user = if !st.base.word.known {
            Val::unknown(
                Unknown::Other("the base image is chosen at build time".into()),
                Some(st.base.word.span),
            )
        } else if base_runs_as_non_root(&st.base) {
            s("nonroot", st.base.word.span)
        } else {
            s("unknown", st.base.word.span)
        };
        e.push(entry("base-user", st.base.word.span, base_user));
        if let Some(h) = st.healthcheck {
            let ins = &df.instructions[h];
            let none = matches!(ins.body, Body::Healthcheck { none: true, .. });
            e.push(entry(
                "healthcheck",
                ins.span,
                map(
                    vec![entry("none", ins.span, Val::new(ValKind::Bool(none), Some(ins.span)))],
                    ins.span,
                ),
            ));
        }
        out.push(Subject {
            class: "stage".into(),
            kind: "stage".into(),
            address: stage_address(df, st).into(),
            instance: None,
            file,
            header: from.span,
            span,
            value: map(e, from.span),
            context: Vec::new(),
        });
    }
    for ins in &df.instructions {
        out.push(Subject {
            class: "instruction".into(),
            kind: ins.keyword.as_str().into(),
            address: instruction_address(df, ins).into(),
            instance: None,
            file,
            header: ins.span,
            span: ins.span,
            value: instruction_value(df, ins, &lineage),
            context: Vec::new(),
        });
    }
    out
}

fn instruction_value(df: &Dockerfile, ins: &Instruction, lineage: &[usize]) -> Val {
    let span = ins.span;
    let stage = ins.stage.and_then(|i| df.stages.get(i));
    let mut e = vec![
        entry("keyword", ins.keyword_span, s(&ins.keyword, ins.keyword_span)),
        entry("onbuild", span, Val::new(ValKind::Bool(ins.onbuild), Some(span))),
        entry(
            "in-final-image",
            span,
            Val::new(
                ValKind::Bool(ins.stage.is_some_and(|i| lineage.contains(&i))),
                Some(span),
            ),
        ),
    ];
    if let Some(st) = stage {
        e.push(entry("stage", span, s(&st.label(), span)));
    }
    let flags: Vec<Entry> = ins
        .flags
        .iter()
        .map(|f| {
            let v = match &f.value {
                Some(w) => word_val(w),
                None => Val::new(ValKind::Bool(true), Some(f.span)),
            };
            entry(&f.name, f.span, v)
        })
        .collect();
    e.push(entry("flags", span, map(flags, span)));
    let words = |ws: &[Word]| list(ws.iter().map(word_val).collect(), span);
    match &ins.body {
        Body::From { image, alias } => {
            e.push(entry("image", image.word.span, image_val(image)));
            if let Some(a) = alias {
                e.push(entry("alias", a.span, word_val(a)));
            }
        }
        Body::Pairs(pairs) => {
            let entries = pairs
                .iter()
                .map(|p| {
                    let v = p.value.as_ref().map(word_val).unwrap_or_else(Val::null);
                    entry(&p.key.text, p.span, v)
                })
                .collect();
            e.push(entry("pairs", span, map(entries, span)));
        }
        Body::User { user, group } => {
            e.push(entry("user", user.span, word_val(user)));
            if let Some(g) = group {
                e.push(entry("group", g.span, word_val(g)));
            }
        }
        Body::Expose(ports) => {
            let items = ports.iter().map(port_val).collect();
            e.push(entry("ports", span, list(items, span)));
        }
        Body::Files {
            sources,
            dest,
            heredocs,
        } => {
            let items = sources
                .iter()
                .map(|w| map(vec![entry("path", w.span, word_val(w))], w.span))
                .collect();
            e.push(entry("sources", span, list(items, span)));
            if let Some(d) = dest {
                e.push(entry("destination", d.span, word_val(d)));
            }
            e.push(entry(
                "heredocs",
                span,
                Val::new(ValKind::Number(*heredocs as f64), Some(span)),
            ));
        }
        Body::Command(c) => command_entries(&mut e, c, span),
        Body::Healthcheck { none, command } => {
            e.push(entry("none", span, Val::new(ValKind::Bool(*none), Some(span))));
            if let Some(c) = command {
                command_entries(&mut e, c, span);
            }
        }
        Body::Shell(ws) => e.push(entry("argv", span, words(ws))),
        Body::Other(ws) => e.push(entry("arguments", span, words(ws))),
    }
    map(e, span)
}

fn command_entries(e: &mut Vec<Entry>, c: &parse::Command, span: Span) {
    e.push(entry("command", c.text.span, s(&c.text.text, c.text.span)));
    e.push(entry(
        "exec",
        span,
        Val::new(ValKind::Bool(c.exec.is_some()), Some(span)),
    ));
    if let Some(argv) = &c.exec {
        e.push(entry("argv", span, list(argv.iter().map(word_val).collect(), span)));
    }
}

/// `8080`, `53/udp`, `8000-8010/tcp`: `{from, to, protocol}`.
fn port_val(w: &Word) -> Val {
    let span = w.span;
    if !w.known {
        let u = word_val(w);
        return map(
            vec![
                entry("from", span, u.clone()),
                entry("to", span, u.clone()),
                entry("protocol", span, u),
            ],
            span,
        );
    }
    let (range, proto) = match w.text.split_once('/') {
        Some((r, p)) => (r, p.to_ascii_lowercase()),
        None => (w.text.as_str(), "tcp".to_string()),
    };
    let (from, to) = range.split_once('-').unwrap_or((range, range));
    let num = |t: &str| match t.trim().parse::<f64>() {
        Ok(n) => Val::new(ValKind::Number(n), Some(span)),
        Err(_) => s(t.trim(), span),
    };
    map(
        vec![
            entry("from", span, num(from)),
            entry("to", span, num(to)),
            entry("protocol", span, s(&proto, span)),
        ],
        span,
    )
}
