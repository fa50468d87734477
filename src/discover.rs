//! Finding the files to scan and deciding what each one is.
//!
//! Walking uses the `ignore` crate's parallel walker. Choices, each deliberate:
//! hidden folders are walked (`.github`, `.gitlab-ci.yml` live there), `.git`
//! and `.terraform` are skipped, and `.gitignore` is honoured even outside a
//! git repository (`require_git(false)`), like ripgrep and zizmor do.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::notice::Notice;

/// What a file is, decided from its name and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// `*.tf`
    Terraform,
    /// `*.tf.json`
    TerraformJson,
    /// `*.tfvars`, `*.tfvars.json`
    TerraformVars,
    /// `terraform.tfstate`, `*.tfstate.backup`
    TerraformState,
    /// `terraform show -json` output (`*.tfplan.json`, `plan.json`, …)
    TerraformPlan,
    /// `Dockerfile`, `Containerfile`, `*.dockerfile`, …
    Dockerfile,
    /// `.github/workflows/*.yml`
    GithubWorkflow,
    /// `action.yml` / `action.yaml`
    GithubAction,
    /// `.gitlab-ci.yml` and files under `.gitlab/ci/`
    GitlabCi,
    /// `azure-pipelines.yml`
    AzurePipelines,
    /// `.circleci/config.yml`
    CircleCi,
    /// `bitbucket-pipelines.yml`
    BitbucketPipelines,
    /// Files scanned only for secrets: environment files (`.env`, `*.env`),
    /// keys (`*.pem`, `*.key`, `id_rsa`…), client credentials (`.npmrc`,
    /// `.pypirc`, `.netrc`, `.git-credentials`, `.docker/config.json`,
    /// `.aws/credentials`), and whatever `--secrets-in` names.
    SecretsOnly,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Terraform => "terraform",
            FileKind::TerraformJson => "terraform-json",
            FileKind::TerraformVars => "terraform-vars",
            FileKind::TerraformState => "terraform-state",
            FileKind::TerraformPlan => "terraform-plan",
            FileKind::Dockerfile => "dockerfile",
            FileKind::GithubWorkflow => "github-workflow",
            FileKind::GithubAction => "github-action",
            FileKind::GitlabCi => "gitlab-ci",
            FileKind::AzurePipelines => "azure-pipelines",
            FileKind::CircleCi => "circleci",
            FileKind::BitbucketPipelines => "bitbucket-pipelines",
            FileKind::SecretsOnly => "secrets-only",
        }
    }
}

/// Files that hold nothing but configuration values, often credentials:
/// scanned for secrets only.
fn secrets_only(lower: &str, parent: Option<&str>) -> Option<FileKind> {
    const NAMES: &[&str] = &[
        ".env",
        ".npmrc",
        ".pypirc",
        ".netrc",
        "_netrc",
        ".git-credentials",
        ".dockercfg",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
    ];
    let known = NAMES.contains(&lower)
        || lower.starts_with(".env.")
        || lower.ends_with(".env")
        || lower.ends_with(".pem")
        || lower.ends_with(".key")
        || (lower == "credentials" && parent == Some(".aws"))
        || (lower == "config.json" && parent == Some(".docker"));
    known.then_some(FileKind::SecretsOnly)
}

/// Classify a path by its name and parent folders. `None`: not ours.
pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let parent = |n: usize| -> Option<&str> {
        let mut p = path.parent();
        for _ in 1..n {
            p = p?.parent();
        }
        p?.file_name()?.to_str()
    };
    if lower.ends_with(".tf") {
        return Some(FileKind::Terraform);
    }
    if lower.ends_with(".tf.json") {
        return Some(FileKind::TerraformJson);
    }
    if lower.ends_with(".tfvars") || lower.ends_with(".tfvars.json") {
        return Some(FileKind::TerraformVars);
    }
    if lower.ends_with(".tfstate") || lower.ends_with(".tfstate.backup") {
        return Some(FileKind::TerraformState);
    }
    if lower.ends_with(".tfplan.json") {
        return Some(FileKind::TerraformPlan);
    }
    if lower == "dockerfile"
        || lower == "containerfile"
        || ((lower.starts_with("dockerfile.") || lower.starts_with("containerfile.")) && !is_other_language(&lower))
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
    {
        return Some(FileKind::Dockerfile);
    }
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if yaml {
        if parent(1) == Some("workflows") && parent(2) == Some(".github") {
            return Some(FileKind::GithubWorkflow);
        }
        if lower == "action.yml" || lower == "action.yaml" {
            return Some(FileKind::GithubAction);
        }
        if lower == ".gitlab-ci.yml" || lower == ".gitlab-ci.yaml" {
            return Some(FileKind::GitlabCi);
        }
        if path
            .components()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0].as_os_str() == ".gitlab" && w[1].as_os_str() == "ci")
        {
            return Some(FileKind::GitlabCi);
        }
        if lower == "azure-pipelines.yml" || lower == "azure-pipelines.yaml" {
            return Some(FileKind::AzurePipelines);
        }
        if lower == "config.yml" && parent(1) == Some(".circleci") {
            return Some(FileKind::CircleCi);
        }
        if lower == "bitbucket-pipelines.yml" {
            return Some(FileKind::BitbucketPipelines);
        }
    }
    secrets_only(&lower, parent(1))
}

/// A file to scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Discovered {
    pub path: PathBuf,
    pub kind: FileKind,
}

#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// Globs (gitignore-style, matched against the path relative to the scan
    /// root and against the file name) of files and folders to leave out.
    pub exclude: Vec<String>,
    /// When not empty, only files matching one of these globs (as `exclude`)
    /// are taken from a walk; files given explicitly are always taken.
    pub include: Vec<String>,
    /// Threads for the walker; 0 lets `ignore` decide.
    pub threads: usize,
    /// Treat files given explicitly as this kind, whatever their name
    /// (policy fixtures, `--kind`).
    pub kind_override: Option<FileKind>,
    /// Globs (as `exclude`) of other files to scan for secrets only
    /// (`--secrets-in '*.properties'`).
    pub secrets_in: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("invalid --exclude glob `{glob}`: {source}")]
    Glob { glob: String, source: globset::Error },
}

/// Folders never scanned: VCS data and Terraform's download cache.
const SKIPPED_DIRS: &[&str] = &[".git", ".terraform", ".hg", ".svn", "node_modules"];

fn build_excludes(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pattern = g.trim_end_matches('/');
        for p in [pattern.to_string(), format!("**/{pattern}")] {
            b.add(Glob::new(&p).map_err(|source| DiscoverError::Glob {
                glob: g.clone(),
                source,
            })?);
        }
    }
    b.build().map_err(|source| DiscoverError::Glob {
        glob: globs.join(", "),
        source,
    })
}

/// Walk `roots` and return the files Palisade knows, sorted by path, plus
/// notices for what could not be walked. A root that is a file is taken as
/// it is when its kind is known; an unknown file given explicitly is reported.
pub fn discover(roots: &[PathBuf], options: &DiscoverOptions) -> Result<(Vec<Discovered>, Vec<Notice>), DiscoverError> {
    let excludes = build_excludes(&options.exclude)?;
    let includes = build_excludes(&options.include)?;
    let secrets_in = build_excludes(&options.secrets_in)?;
    let secrets_only = |path: &Path, rel: &Path| {
        (!secrets_in.is_empty()
            && (secrets_in.is_match(rel) || path.file_name().is_some_and(|n| secrets_in.is_match(n))))
        .then_some(FileKind::SecretsOnly)
    };
    let found = Mutex::new(Vec::new());
    let notices = Mutex::new(Vec::new());
    for root in roots {
        let meta = std::fs::metadata(root);
        match meta {
            Err(e) => {
                notices.lock().unwrap_or_else(|p| p.into_inner()).push(Notice::error(
                    root.display().to_string(),
                    None,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
            Ok(m) if m.is_file() => {
                match options
                    .kind_override
                    .or_else(|| classify(root))
                    .or_else(|| secrets_only(root, root))
                    .or_else(|| crate::terraform::plan::is_plan_json(root).then_some(FileKind::TerraformPlan))
                {
                    Some(kind) => found.lock().unwrap_or_else(|p| p.into_inner()).push(Discovered {
                        path: root.clone(),
                        kind,
                    }),
                    None => notices.lock().unwrap_or_else(|p| p.into_inner()).push(Notice::warning(
                        root.display().to_string(),
                        None,
                        "not a file type Palisade scans (Terraform, Dockerfile, CI configuration)".into(),
                    )),
                }
                continue;
            }
            Ok(_) => {}
        }
        let mut builder = WalkBuilder::new(root);
        builder
            .standard_filters(false)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .ignore(true)
            .parents(true)
            .require_git(false)
            .follow_links(false)
            .threads(options.threads)
            .filter_entry(|e| {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                !(is_dir && e.depth() > 0 && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
            });
        let root_clone = root.clone();
        let excludes = &excludes;
        let includes = &includes;
        let secrets_only = &secrets_only;
        let found = &found;
        let notices = &notices;
        builder.build_parallel().run(|| {
            let root = root_clone.clone();
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        let (path, msg) = walk_error(&err);
                        notices
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Notice::error(path, None, msg));
                        return WalkState::Continue;
                    }
                };
                let path = entry.path();
                let rel = path.strip_prefix(&root).unwrap_or(path);
                if entry.depth() > 0 && !excludes.is_empty() && excludes.is_match(rel) {
                    return if entry.file_type().is_some_and(|t| t.is_dir()) {
                        WalkState::Skip
                    } else {
                        WalkState::Continue
                    };
                }
                let ft = entry.file_type();
                if ft.is_some_and(|t| t.is_dir()) {
                    return WalkState::Continue;
                }
                if !includes.is_empty() && !includes.is_match(rel) {
                    return WalkState::Continue;
                }
                if let Some(kind) = classify(path)
                    .or_else(|| secrets_only(path, rel))
                    .or_else(|| crate::terraform::plan::is_plan_json(path).then_some(FileKind::TerraformPlan))
                {
                    // Symlinks: take them when they point at a regular file.
                    if ft.is_some_and(|t| t.is_symlink()) {
                        match std::fs::metadata(path) {
                            Ok(m) if m.is_file() => {}
                            Ok(_) => return WalkState::Continue,
                            Err(e) => {
                                notices.lock().unwrap_or_else(|p| p.into_inner()).push(Notice::error(
                                    path.display().to_string(),
                                    None,
                                    format!("broken or looping symbolic link: {e}"),
                                ));
                                return WalkState::Continue;
                            }
                        }
                    }
                    found.lock().unwrap_or_else(|p| p.into_inner()).push(Discovered {
                        path: path.to_path_buf(),
                        kind,
                    });
                }
                WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    found.sort();
    found.dedup();
    let mut notices = notices.into_inner().unwrap_or_else(|p| p.into_inner());
    notices.sort();
    Ok((found, notices))
}

fn walk_error(err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (path.display().to_string(), err.to_string()),
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        ignore::Error::WithLineNumber { err, .. } => walk_error(err),
        ignore::Error::Loop { child, ancestor } => (
            child.display().to_string(),
            format!("symbolic link loop back to {}", ancestor.display()),
        ),
        other => (String::new(), other.to_string()),
    }
}

/// `Dockerfile.prod` is a Dockerfile; `dockerfile.rs`, `Dockerfile.md` or
/// `Dockerfile.j2` (source code, docs, a template) are not.
fn is_other_language(lower_name: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "rs", "go", "py", "js", "ts", "rb", "java", "kt", "cs", "php", "sh", "ps1", "md", "rst", "txt", "html", "json",
        "yml", "yaml", "toml", "xml", "j2", "jinja", "jinja2", "tpl", "tmpl", "template", "erb", "orig", "rej", "bak",
        "swp", "patch", "diff", "lock", "png", "svg",
    ];
    lower_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_name_and_place() {
        let k = |p: &str| classify(Path::new(p));
        assert_eq!(k("a/main.tf"), Some(FileKind::Terraform));
        assert_eq!(k("a/main.tf.json"), Some(FileKind::TerraformJson));
        assert_eq!(k("prod.auto.tfvars"), Some(FileKind::TerraformVars));
        assert_eq!(k("Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(k("api.dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("Dockerfile.dev.arm64"), Some(FileKind::Dockerfile));
        assert_eq!(k("dockerfile.rs"), None);
        assert_eq!(k("Dockerfile.md"), None);
        assert_eq!(k("Dockerfile.j2"), None);
        assert_eq!(k("Containerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k(".github/workflows/ci.yml"), Some(FileKind::GithubWorkflow));
        assert_eq!(k("x/.github/workflows/ci.yaml"), Some(FileKind::GithubWorkflow));
        assert_eq!(k("action.yml"), Some(FileKind::GithubAction));
        assert_eq!(k(".gitlab-ci.yml"), Some(FileKind::GitlabCi));
        assert_eq!(k(".gitlab/ci/build.yml"), Some(FileKind::GitlabCi));
        assert_eq!(k(".circleci/config.yml"), Some(FileKind::CircleCi));
        assert_eq!(k("values.yaml"), None);
        assert_eq!(k(".env"), Some(FileKind::SecretsOnly));
        assert_eq!(k("deploy/.env.production"), Some(FileKind::SecretsOnly));
        assert_eq!(k("certs/server.pem"), Some(FileKind::SecretsOnly));
        assert_eq!(k("home/.aws/credentials"), Some(FileKind::SecretsOnly));
        assert_eq!(k("home/.docker/config.json"), Some(FileKind::SecretsOnly));
        assert_eq!(k("config.json"), None);
        assert_eq!(k("README.md"), None);
    }
}
