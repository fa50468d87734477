//! The facts every CI system shares, found by one walker with a table of
//! keys per system: shell scripts, container images, and variables.

use crate::discover::FileKind;
use crate::source::Span;
use crate::value::Str;
use crate::yaml::{Node, NodeKind};

/// A scalar found somewhere in the file, with the address of what holds it.
#[derive(Debug, Clone)]
pub struct Fact {
    /// `jobs.build.steps[2]`, `build`, `pipelines.default[0].step`…
    pub owner: Str,
    pub node: Node,
}

/// A variable (or action input) set to a value in the file.
#[derive(Debug, Clone)]
pub struct Var {
    pub owner: Str,
    pub name: Str,
    /// The whole `NAME: value` pair (or list item).
    pub span: Span,
    pub value: Node,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub scripts: Vec<Fact>,
    pub images: Vec<Fact>,
    pub vars: Vec<Var>,
}

/// Which keys hold what, per CI system.
struct Keys {
    /// A shell script: a string, a list of strings, or a map with `command`.
    scripts: &'static [&'static str],
    /// An image: a string, or a map with `name` or `image`.
    images: &'static [&'static str],
    /// A list of images (GitLab `services`).
    image_lists: &'static [&'static str],
    /// Variables: a map of names to values (or to `{value: …}`), or a list
    /// of `{name, value}` (Azure).
    vars: &'static [&'static str],
    /// Keys whose content is never a container reference (`machine:` images
    /// are VM images).
    skip: &'static [&'static str],
}

fn keys(kind: FileKind) -> Keys {
    match kind {
        FileKind::GithubWorkflow | FileKind::GithubAction => Keys {
            scripts: &["run"],
            images: &["container", "image"],
            image_lists: &[],
            vars: &["env", "with", "credentials"],
            skip: &["inputs", "outputs", "on"],
        },
        FileKind::GitlabCi => Keys {
            scripts: &["script", "before_script", "after_script"],
            images: &["image"],
            image_lists: &["services"],
            vars: &["variables"],
            skip: &["include", "spec"],
        },
        FileKind::AzurePipelines => Keys {
            scripts: &["script", "bash", "powershell", "pwsh", "inlineScript", "Inline"],
            images: &["container", "image"],
            image_lists: &[],
            vars: &["variables", "env"],
            skip: &["pool"],
        },
        FileKind::CircleCi => Keys {
            scripts: &["run"],
            images: &["image"],
            image_lists: &[],
            vars: &["environment"],
            skip: &["machine", "orbs", "parameters"],
        },
        FileKind::BitbucketPipelines => Keys {
            scripts: &["script", "after-script"],
            images: &["image"],
            image_lists: &[],
            vars: &["variables"],
            skip: &["definitions"],
        },
        _ => Keys {
            scripts: &[],
            images: &[],
            image_lists: &[],
            vars: &[],
            skip: &[],
        },
    }
}

/// Collect the facts of one document.
pub fn collect(kind: FileKind, doc: &Node, out: &mut Facts) {
    let keys = keys(kind);
    walk(kind, &keys, doc, "", out);
    if kind == FileKind::BitbucketPipelines {
        // Bitbucket's `definitions.services` hold images too, under `definitions`.
        if let Some(services) = doc.get("definitions").and_then(|d| d.get("services")) {
            for p in services.pairs() {
                let owner = format!("definitions.services.{}", p.key.key_text());
                if let Some(image) = p.value.get("image") {
                    push_image(image, &owner, out);
                }
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(kind: FileKind, keys: &Keys, node: &Node, path: &str, out: &mut Facts) {
    match &node.kind {
        NodeKind::Map(pairs) => {
            for p in pairs {
                let Some(key) = p.key.as_str() else { continue };
                let here = join(path, key);
                if keys.skip.contains(&key) {
                    continue;
                }
                if keys.scripts.contains(&key) {
                    push_scripts(&p.value, path, out);
                    continue;
                }
                if keys.images.contains(&key) {
                    if kind == FileKind::GithubAction && path == "runs" {
                        // `runs.image` is a Dockerfile or a `docker://` reference
                        if let Some(s) = p.value.as_str()
                            && s.starts_with("docker://")
                        {
                            push_image(&p.value, path, out);
                        }
                        continue;
                    }
                    if push_image(&p.value, path, out) {
                        // `container: {image: …, env: …, credentials: …}`
                        if p.value.is_map() {
                            walk(kind, keys, &p.value, &here, out);
                        }
                        continue;
                    }
                }
                if keys.image_lists.contains(&key) {
                    for (i, item) in p.value.items().iter().enumerate() {
                        push_image(item, &format!("{here}[{i}]"), out);
                    }
                    continue;
                }
                if keys.vars.contains(&key) {
                    push_vars(kind, &p.value, path, out);
                    continue;
                }
                walk(kind, keys, &p.value, &here, out);
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(kind, keys, item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn push_scripts(value: &Node, owner: &str, out: &mut Facts) {
    match &value.kind {
        NodeKind::Scalar(_) => out.scripts.push(Fact {
            owner: owner.into(),
            node: value.clone(),
        }),
        NodeKind::Seq(items) => {
            for item in items {
                match &item.kind {
                    NodeKind::Scalar(_) | NodeKind::Seq(_) => push_scripts(item, owner, out),
                    // Bitbucket `- pipe: …` items and the like
                    _ => {}
                }
            }
        }
        NodeKind::Map(_) => {
            if let Some(command) = value.get("command") {
                push_scripts(command, owner, out);
            }
        }
        _ => {}
    }
}

/// Record an image reference; false when the value is not one.
fn push_image(value: &Node, owner: &str, out: &mut Facts) -> bool {
    let node = match &value.kind {
        NodeKind::Scalar(_) => value,
        NodeKind::Map(_) => match value.get("name").or_else(|| value.get("image")) {
            Some(n) if n.as_str().is_some() => n,
            _ => return false,
        },
        _ => return false,
    };
    out.images.push(Fact {
        owner: owner.into(),
        node: node.clone(),
    });
    true
}

fn push_vars(kind: FileKind, value: &Node, owner: &str, out: &mut Facts) {
    match &value.kind {
        NodeKind::Map(pairs) => {
            for p in pairs {
                let Some(name) = p.key.as_str() else { continue };
                // GitLab: `NAME: {value: …, description: …}`
                let v = if kind == FileKind::GitlabCi && p.value.is_map() {
                    match p.value.get("value") {
                        Some(v) => v,
                        None => continue,
                    }
                } else {
                    &p.value
                };
                out.vars.push(Var {
                    owner: owner.into(),
                    name: name.into(),
                    span: p.span,
                    value: v.clone(),
                });
            }
        }
        // Azure: `- name: X` / `value: Y` (and `- group: …`, `- template: …`)
        NodeKind::Seq(items) => {
            for item in items {
                if let (Some(name), Some(v)) = (item.get("name").and_then(Node::as_str), item.get("value")) {
                    out.vars.push(Var {
                        owner: owner.into(),
                        name: name.into(),
                        span: item.span,
                        value: v.clone(),
                    });
                }
            }
        }
        _ => {}
    }
}
