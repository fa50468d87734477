//! A whole scan: discover files, read and parse them in parallel, evaluate,
//! run the policies, and collect findings and notices.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rayon::prelude::*;

use crate::discover::{self, DiscoverOptions, Discovered, FileKind};
use crate::engine;
use crate::finding::{Finding, Status};
use crate::hcl;
use crate::notice::Notice;
use crate::policy::Registry;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::subject::SubjectSet;
use crate::terraform::{self, Module, TfFile, TfOptions};
use crate::value::Str;

/// Everything that shapes a scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub discover: DiscoverOptions,
    /// Files larger than this are not read (a notice says so).
    pub max_file_size: u64,
    /// Time allowed to parse one file.
    pub parse_budget: Duration,
    /// Files nested deeper than this are not parsed (a notice says so).
    pub max_nesting: usize,
    /// Keep inconclusive results (policies whose inputs are unknown).
    pub show_inconclusive: bool,
    pub terraform: TfOptions,
    /// Base for the paths shown in output; default: the git top level of the
    /// first path, else that path.
    pub root: Option<PathBuf>,
    /// Count the subjects each policy looked at ([`ScanReport::checked`]),
    /// which only a compliance report shows: counting costs a lookup per
    /// policy and scope.
    pub count_checked: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            paths: vec![PathBuf::from(".")],
            discover: DiscoverOptions::default(),
            max_file_size: 10 * 1024 * 1024,
            parse_budget: Duration::from_secs(10),
            max_nesting: crate::limits::DEFAULT_MAX_NESTING,
            show_inconclusive: false,
            terraform: TfOptions::default(),
            root: None,
            count_checked: false,
        }
    }
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    pub by_kind: BTreeMap<&'static str, usize>,
}

/// The outcome of a scan.
#[derive(Debug)]
pub struct ScanReport {
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    pub stats: Stats,
    /// How many subjects each policy looked at, by policy id (policies that
    /// looked at none are absent): what a compliance report counts as checked.
    pub checked: BTreeMap<Str, usize>,
    /// Directory the displayed paths are relative to.
    pub root: PathBuf,
}

impl ScanReport {
    /// Whether something could not be scanned.
    pub fn had_errors(&self) -> bool {
        self.notices
            .iter()
            .any(|n| n.level == crate::notice::NoticeLevel::Error)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// The directory holding `.git`, walking up from `start`.
pub fn git_root(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let mut dir: &Path = if start.is_dir() { &start } else { start.parent()? };
    loop {
        if dir.join(".git").exists() {
            return Some(dir.to_path_buf());
        }
        dir = dir.parent()?;
    }
}

fn default_root(paths: &[PathBuf]) -> PathBuf {
    let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    if let Some(r) = git_root(&first) {
        return r;
    }
    let abs = std::fs::canonicalize(&first).unwrap_or(first);
    if abs.is_dir() {
        abs
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs)
    }
}

/// `path` relative to `root`, `/`-separated, symlinks resolved.
pub fn display_path(path: &Path, root: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let rel = abs
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf());
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                if parts.pop().is_none() {
                    parts.push("..".into());
                }
            }
            std::path::Component::RootDir | std::path::Component::Prefix(_) => parts.clear(),
        }
    }
    parts.join("/")
}

/// What reading and parsing one file produced.
enum Parsed {
    Terraform(TfFile),
    TerraformVars(TfFile),
    /// A file that is a scope of its own (a Dockerfile, a CI file).
    Scope(Box<SubjectSet>),
    /// A Terraform plan: a scope of its own, pointed back at its
    /// configuration once the scan's modules are known.
    Plan(Box<SubjectSet>),
    /// Read, but no front end produced subjects from it.
    Other,
    /// A scope of its own, already checked (and dropped) as it was parsed.
    Checked,
    /// A Terraform file left for its group of modules ([`terraform_groups`]).
    Pending,
    Failed,
}

/// The native data of a file-level scope: policies with `input = "any"`
/// (secrets) read the file's text from it.
#[derive(Debug)]
pub struct FileScope {
    pub file: FileId,
    pub kind: FileKind,
    pub text: std::sync::Arc<String>,
    /// The credentials in `text`, found once on first use and shared by
    /// every secret policy.
    pub secrets: std::sync::OnceLock<Vec<crate::secrets::detect::Detection>>,
}

impl FileScope {
    pub fn secrets(&self) -> &[crate::secrets::detect::Detection] {
        self.secrets.get_or_init(|| crate::secrets::detect::scan(&self.text))
    }
}

/// The file-level scope of one scanned file: a single `file` subject.
fn file_scope(id: FileId, kind: FileKind, source: &SourceFile) -> SubjectSet {
    let end = source.text.len();
    let whole = crate::source::Span::new(id, 0, end);
    let header = crate::source::Span::new(id, 0, source.text.find('\n').unwrap_or(end));
    let subject = crate::subject::Subject {
        class: "file".into(),
        kind: kind.name().into(),
        address: source.display.as_str().into(),
        instance: None,
        file: id,
        header,
        span: whole,
        value: crate::value::Val::new(crate::value::ValKind::Map(Vec::new().into()), Some(whole)),
        context: Vec::new(),
    };
    SubjectSet::new(
        crate::policy::InputKind::Any,
        vec![subject],
        crate::subject::Native::Any(std::sync::Arc::new(FileScope {
            file: id,
            kind,
            text: source.text.clone(),
            secrets: std::sync::OnceLock::new(),
        })),
    )
}

fn read_text(path: &Path, max: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file (a FIFO, socket or device is never read)".into());
    }
    if meta.len() > max {
        return Err(format!(
            "skipped: {} bytes is over the {} byte limit (--max-file-size)",
            meta.len(),
            max
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err("skipped: binary file (NUL bytes)".into());
    }
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                // Keep offsets stable for spans: replace the BOM by nothing
                // only at the very start, where it shifts every offset alike.
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..good].iter().filter(|b| **b == b'\n').count() + 1;
            Err(format!("line {line}: not valid UTF-8"))
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Discover, read and parse every file without evaluating or running
/// policies: the baseline the benchmark compares a full scan with.
pub fn parse_only(options: &ScanOptions) -> Result<Stats, ScanError> {
    let (files, _) = discover::discover(&options.paths, &options.discover)?;
    let root = default_root(&options.paths);
    let loaded: Vec<(u64, Option<&'static str>)> = files
        .par_iter()
        .with_max_len(FILES_PER_JOB)
        .enumerate()
        .map(|(i, d)| {
            let (src, parsed, _) = load(FileId(i as u32), d, &root, options);
            let ok = !matches!(parsed, Parsed::Failed);
            (src.text.len() as u64, ok.then(|| d.kind.name()))
        })
        .collect();
    let mut stats = Stats::default();
    for (bytes, kind) in loaded {
        if let Some(k) = kind {
            stats.files += 1;
            stats.bytes += bytes;
            *stats.by_kind.entry(k).or_default() += 1;
        }
    }
    Ok(stats)
}

/// Run a scan with the given policies.
pub fn scan(options: &ScanOptions, registry: &Registry) -> Result<ScanReport, ScanError> {
    on_pool(options.discover.threads, || {
        Ok(check(load_checking(options, Some(registry))?, registry, options))
    })?
}

/// Run `f` on a pool of `threads` workers (0: one per core) with large
/// stacks, never on the caller's thread (the main thread's 8 MB would limit
/// the nesting we can take).
///
/// A pool is made once and kept for the process: the report is written by
/// the threads that scanned. Threads that end give their allocator's pages
/// back as they go, which kept both workers busy for about 20 ms after a
/// whole-corpus scan, before a new pool could start on the report.
pub fn on_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R, ScanError> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let pool = {
        let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
        match pools.iter().find(|(n, _)| *n == threads) {
            Some((_, pool)) => Arc::clone(pool),
            None => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .stack_size(crate::limits::WORKER_STACK_SIZE)
                    .thread_name(|i| format!("palisade-{i}"))
                    .build()
                    .map_err(|e| ScanError::Threads(e.to_string()))?;
                let pool = Arc::new(pool);
                pools.push((threads, Arc::clone(&pool)));
                pool
            }
        }
    };
    Ok(pool.install(f))
}

/// Every file read and parsed, Terraform files grouped in modules: what
/// evaluation and the policies start from.
pub struct Loaded {
    pub sources: SourceMap,
    pub project: terraform::Project,
    /// Scopes ready for the policies: one per file (`input = "any"`), one
    /// per Dockerfile, CI file or plan.
    pub scopes: Vec<SubjectSet>,
    pub notices: Vec<Notice>,
    pub stats: Stats,
    pub root: PathBuf,
    /// The results of the scopes checked as their files were parsed.
    checked: Vec<WorkResult>,
    /// Terraform files not parsed yet, in groups parsed, checked and
    /// dropped one after the other ([`terraform_groups`]).
    pending: Vec<Vec<(FileId, Discovered)>>,
    /// The other files, when Terraform is checked in groups: each is a
    /// scope of its own, parsed and checked with the groups' work, after
    /// it, where a thread would otherwise wait for the others.
    fillers: Vec<(FileId, Discovered)>,
}

/// What checking one unit of work yields: findings, subjects checked per
/// policy, notices.
type WorkResult = (Vec<Finding>, Vec<(Str, usize)>, Vec<Notice>);

impl Loaded {
    /// Every unit of the check stage: a Terraform root module to evaluate, or a ready scope.
    pub fn work(&self) -> Vec<Work<'_>> {
        work_of(&self.project, &self.scopes)
    }

    /// Call `f` with the subjects of a unit of work (a root module
    /// evaluated, or the scope) and the evaluation's notices.
    pub fn with_subjects<R>(
        &self,
        w: &Work,
        options: &ScanOptions,
        f: impl FnOnce(&SubjectSet, Vec<Notice>) -> R,
    ) -> R {
        with_subjects(&self.project, &self.sources, w, options, f)
    }
}

/// Every unit of the check stage of `project` and `scopes`.
fn work_of<'a>(project: &terraform::Project, scopes: &'a [SubjectSet]) -> Vec<Work<'a>> {
    project
        .roots()
        .into_iter()
        .map(Work::Module)
        .chain(scopes.iter().map(Work::Scope))
        .collect()
}

/// See [`Loaded::with_subjects`].
fn with_subjects<R>(
    project: &terraform::Project,
    sources: &SourceMap,
    w: &Work,
    options: &ScanOptions,
    f: impl FnOnce(&SubjectSet, Vec<Notice>) -> R,
) -> R {
    match w {
        Work::Module(m) => {
            let (set, notices) = terraform::root_subjects(project, *m, sources, &options.terraform);
            f(&set, notices)
        }
        Work::Scope(set) => f(set, Vec::new()),
    }
}

/// A unit of the check stage.
pub enum Work<'a> {
    /// A Terraform root module, by index in the project.
    Module(usize),
    Scope(&'a SubjectSet),
}

/// Discover, read and parse (on the current thread pool), keeping every
/// scope for the check stage.
pub fn load_all(options: &ScanOptions) -> Result<Loaded, ScanError> {
    load_checking(options, None)
}

/// [`load_all`]; with a registry, the scopes of a file of its own (its
/// file-level scope, a Dockerfile's, a CI file's) are checked as soon as the
/// file is parsed and dropped, their results kept in `Loaded::checked`: only
/// Terraform modules (and plans, which point into them) wait for every file.
fn load_checking(options: &ScanOptions, registry: Option<&Registry>) -> Result<Loaded, ScanError> {
    let (files, mut notices) = discover::discover(&options.paths, &options.discover)?;
    let root = options
        .root
        .as_ref()
        .and_then(|r| std::fs::canonicalize(r).ok())
        .unwrap_or_else(|| default_root(&options.paths));
    for n in &mut notices {
        if !n.file.is_empty() {
            n.file = display_path(Path::new(&n.file), &root);
        }
    }
    // Every text first: the checks of a scope read its file from the map.
    let read: Vec<(SourceFile, Option<Notice>)> = files
        .par_iter()
        .with_max_len(FILES_PER_JOB)
        .map(|d| read(d, &root, options))
        .collect();
    let mut sources = SourceMap::default();
    let mut unreadable = Vec::with_capacity(read.len());
    for (src, notice) in read {
        sources.add(src);
        unreadable.push(notice);
    }
    let staged = registry.is_some() && can_stage_terraform(&files, options);
    let loaded: Vec<(Parsed, Vec<Notice>, Vec<WorkResult>)> = files
        .par_iter()
        .with_max_len(FILES_PER_JOB)
        .zip(unreadable)
        .enumerate()
        .map(|(i, (d, unreadable))| {
            if staged && unreadable.is_none() {
                return (Parsed::Pending, Vec::new(), Vec::new());
            }
            parse_checking(FileId(i as u32), d, unreadable, registry, &sources, options)
        })
        .collect();
    let mut parsed = Vec::with_capacity(loaded.len());
    let mut scopes: Vec<SubjectSet> = Vec::new();
    let mut checked = Vec::new();
    let mut pending = Vec::new();
    let mut fillers = Vec::new();
    let mut stats = Stats::default();
    for (i, ((p, mut n, mut c), d)) in loaded.into_iter().zip(&files).enumerate() {
        let id = FileId(i as u32);
        match p {
            Parsed::Pending if is_terraform(d.kind) => pending.push((id, d.clone())),
            Parsed::Pending => fillers.push((id, d.clone())),
            Parsed::Failed => {}
            _ => {
                if registry.is_none() {
                    scopes.push(file_scope(id, d.kind, sources.get(id)));
                }
                stats.count(d, sources.get(id));
            }
        }
        parsed.push(p);
        notices.append(&mut n);
        checked.append(&mut c);
    }

    let Gathered { modules, plans, .. } = modules_of(parsed.into_iter().zip(&files), &mut scopes);
    let mut cli_var_files = Vec::new();
    for path in &options.terraform.var_files {
        let d = Discovered {
            path: path.clone(),
            kind: FileKind::TerraformVars,
        };
        let (src, p, mut n) = load(FileId(sources.len() as u32), &d, &root, options);
        sources.add(src);
        notices.append(&mut n);
        if let Parsed::TerraformVars(f) = p {
            cli_var_files.push(f);
        }
    }
    let project = project_of(modules, cli_var_files, &root, options, &mut sources, &mut notices, true);
    for (dir, mut set) in plans {
        terraform::plan::map_to_configuration(&mut set, &project, &dir);
        scopes.push(set);
    }
    let pending = terraform_groups(pending, &sources, TERRAFORM_BATCH_BYTES);
    Ok(Loaded {
        sources,
        project,
        scopes,
        notices,
        stats,
        root,
        checked,
        pending,
        fillers,
    })
}

/// The project of `modules`, with the modules `terraform init` installed
/// for them (unless `may_have_installed` is false: [`can_stage_terraform`]
/// found no manifest in any of their directories) and the known-module
/// models their calls stand for.
fn project_of(
    mut modules: BTreeMap<PathBuf, Module>,
    cli_var_files: Vec<TfFile>,
    root: &Path,
    options: &ScanOptions,
    sources: &mut SourceMap,
    notices: &mut Vec<Notice>,
    may_have_installed: bool,
) -> terraform::Project {
    for module in modules.values() {
        notices.extend(terraform::duplicate_definitions(module, sources));
    }
    let installed = if may_have_installed {
        load_installed_modules(&mut modules, root, options, sources, notices)
    } else {
        Vec::new()
    };
    let models = if options.terraform.no_module_models {
        LoadedModels::default()
    } else {
        load_module_models(&mut modules, options, sources, notices)
    };
    let mut project = terraform::Project::new(
        modules.into_values().filter(|m| !m.files.is_empty()).collect(),
        cli_var_files,
    );
    for (root_dir, key, dir) in installed {
        project.add_installed(&root_dir, key, &dir);
    }
    for (dir, what) in &models.parts {
        project.add_model_part(dir, what);
    }
    for (key, dir) in models.calls {
        project.add_model(key, &dir);
    }
    project
}

/// What [`modules_of`] makes of parsed files.
struct Gathered {
    /// One module per directory, with its variable files.
    modules: BTreeMap<PathBuf, Module>,
    /// Plans, pointed at the project once it is made.
    plans: Vec<(PathBuf, SubjectSet)>,
    /// Variable files no module loads, for the caller to free where it
    /// frees the modules.
    unused: Vec<TfFile>,
}

/// Terraform files gathered into modules; the scopes of other files go to
/// `scopes`.
fn modules_of<'a>(parsed: impl Iterator<Item = (Parsed, &'a Discovered)>, scopes: &mut Vec<SubjectSet>) -> Gathered {
    let mut modules: BTreeMap<PathBuf, Module> = BTreeMap::new();
    let mut var_files = Vec::new();
    let mut plans = Vec::new();
    let mut unused = Vec::new();
    // The files of a directory mostly come one after the other: they are
    // gathered here and put in the map when another directory comes (a
    // path comparison per file instead of a dozen, each walking components).
    let mut current = Module::default();
    for (p, d) in parsed {
        let dir = d.path.parent().unwrap_or(Path::new(""));
        match p {
            Parsed::Terraform(f) => {
                if current.dir != dir {
                    add_module_files(&mut modules, std::mem::take(&mut current));
                    current.dir = dir.to_path_buf();
                }
                current.files.push(f);
            }
            Parsed::TerraformVars(f) => match terraform::var_file_rank(&d.path) {
                Some(rank) => var_files.push((dir.to_path_buf(), rank, f)),
                None => unused.push(f),
            },
            Parsed::Scope(set) => scopes.push(*set),
            Parsed::Plan(set) => plans.push((dir.to_path_buf(), *set)),
            Parsed::Other | Parsed::Checked | Parsed::Pending | Parsed::Failed => {}
        }
    }
    add_module_files(&mut modules, current);
    // Load order decides which value wins: see `terraform::var_file_rank`.
    var_files.sort_by(|a, b| a.1.cmp(&b.1));
    for (dir, _, f) in var_files {
        match modules.get_mut(&dir) {
            Some(m) => m.var_files.push(f),
            None => unused.push(f),
        }
    }
    Gathered { modules, plans, unused }
}

/// Add the files of `gathered` (none: nothing) to the module of its directory.
fn add_module_files(modules: &mut BTreeMap<PathBuf, Module>, gathered: Module) {
    if gathered.files.is_empty() {
        return;
    }
    match modules.entry(gathered.dir.clone()) {
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(gathered);
        }
        std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().files.extend(gathered.files),
    }
}

impl Stats {
    /// Count a file that was read and parsed.
    fn count(&mut self, d: &Discovered, source: &SourceFile) {
        self.files += 1;
        self.bytes += source.text.len() as u64;
        *self.by_kind.entry(d.kind.name()).or_default() += 1;
    }
}

fn is_terraform(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Terraform | FileKind::TerraformJson | FileKind::TerraformVars
    )
}

/// Whether Terraform files can be parsed and checked in groups: not when
/// something spans every module (`--var-file`), when a plan points into
/// the configuration, or when `terraform init` installed modules (their
/// manifest names directories anywhere).
fn can_stage_terraform(files: &[Discovered], options: &ScanOptions) -> bool {
    if !options.terraform.var_files.is_empty() || files.iter().any(|d| d.kind == FileKind::TerraformPlan) {
        return false;
    }
    let dirs: std::collections::HashSet<&Path> = files
        .iter()
        .filter(|d| is_terraform(d.kind))
        .filter_map(|d| d.path.parent())
        .collect();
    let dirs: Vec<&Path> = dirs.into_iter().collect();
    !dirs
        .par_iter()
        .any(|dir| dir.join(terraform::MODULES_MANIFEST).exists())
}

/// The pending Terraform files in batches, each a few groups such that no
/// module of a group calls a module of another: a string literal `"./…"`
/// or `"../…"` in a file may be a local module source, so the directory it
/// names and the file's own go in one group (a literal that is no source
/// only merges groups needlessly). Each batch is parsed, evaluated and
/// checked, then dropped, so a scan holds the syntax trees of one batch at a
/// time; the modules of a batch see every module their calls reach, as in
/// one project of every file.
fn terraform_groups(
    pending: Vec<(FileId, Discovered)>,
    sources: &SourceMap,
    batch_bytes: usize,
) -> Vec<Vec<(FileId, Discovered)>> {
    let dirs: Vec<PathBuf> = pending
        .par_iter()
        .map(|(_, d)| terraform::normalize(d.path.parent().unwrap_or(Path::new(""))))
        .collect();
    let mut index: foldhash::HashMap<&Path, usize> = foldhash::HashMap::default();
    for dir in &dirs {
        let next = index.len();
        index.entry(dir).or_insert(next);
    }
    // The directories each file's literals name, found in parallel.
    let named: Vec<Vec<usize>> = pending
        .par_iter()
        .zip(&dirs)
        .map(|((id, _), dir)| {
            let text = &sources.get(*id).text;
            let mut named = Vec::new();
            for (at, _) in text.match_indices('"') {
                let rest = &text[at + 1..];
                if !(rest.starts_with("./")
                    || rest.starts_with("../")
                    || rest.starts_with(".\"")
                    || rest.starts_with("..\""))
                {
                    continue;
                }
                let literal = &rest[..rest.find('"').unwrap_or(rest.len())];
                if let Some(&to) = index.get(terraform::normalize(&dir.join(literal)).as_path()) {
                    named.push(to);
                }
            }
            named
        })
        .collect();
    let mut parent: Vec<usize> = (0..index.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let own: Vec<usize> = dirs.iter().map(|dir| index[dir.as_path()]).collect();
    for (&from, named) in own.iter().zip(&named) {
        for &to in named {
            let (a, b) = (find(&mut parent, from), find(&mut parent, to));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: BTreeMap<usize, Vec<(FileId, Discovered)>> = BTreeMap::new();
    for (file, from) in pending.into_iter().zip(own) {
        let group = find(&mut parent, from);
        groups.entry(group).or_default().push(file);
    }
    // Groups are joined up to a few megabytes of text, enough work to keep
    // every core busy on each.
    let mut batches: Vec<Vec<(FileId, Discovered)>> = Vec::new();
    let mut filled = 0;
    for group in groups.into_values() {
        if batches.is_empty() || filled >= batch_bytes {
            batches.push(Vec::new());
            filled = 0;
        }
        filled += group.iter().map(|(id, _)| sources.get(*id).text.len()).sum::<usize>();
        batches.last_mut().expect("pushed above").extend(group);
    }
    batches
}

/// How much Terraform text is parsed and checked at a time, at least
/// (a group of modules calling each other is never split).
const TERRAFORM_BATCH_BYTES: usize = 4 << 20;

/// Files per rayon job when files are read, parsed or checked in parallel.
/// Without a bound rayon cuts the list into a few long runs, and a thread
/// whose run holds the heavy files works alone at the end while the other
/// has nothing left to take (measured: 1.3 s of a 3 s whole-corpus scan on
/// one core of two).
const FILES_PER_JOB: usize = 8;

/// Parse one file and, with a registry, check its own scopes at once (its
/// file-level scope; a Dockerfile's or a CI file's, which is then dropped).
fn parse_checking(
    id: FileId,
    d: &Discovered,
    unreadable: Option<Notice>,
    registry: Option<&Registry>,
    sources: &SourceMap,
    options: &ScanOptions,
) -> (Parsed, Vec<Notice>, Vec<WorkResult>) {
    let source = sources.get(id);
    let (parsed, notices) = parse(id, d, source, unreadable, options);
    let Some(registry) = registry.filter(|_| !matches!(parsed, Parsed::Failed)) else {
        return (parsed, notices, Vec::new());
    };
    let mut checked = vec![check_scope(registry, &file_scope(id, d.kind, source), sources, options)];
    let parsed = match parsed {
        Parsed::Scope(set) => {
            checked.push(check_scope(registry, &set, sources, options));
            Parsed::Checked
        }
        other => other,
    };
    (parsed, notices, checked)
}

/// Parse, evaluate and check one group of [`terraform_groups`]; its
/// subjects are dropped on return, its syntax trees with the project
/// returned. The files of `fillers` (each a scope of its own) are parsed and
/// checked after the group's files and after its root modules, half each,
/// their results added to `filled`: what a thread takes when the group's
/// own work is all taken.
fn check_terraform_group(
    group: &[(FileId, Discovered)],
    fillers: [&[(FileId, Discovered)]; 2],
    registry: &Registry,
    options: &ScanOptions,
    report: &mut ReportParts,
    filled: &mut Vec<WorkResult>,
) -> (Vec<WorkResult>, Trees) {
    let [parse_fillers, check_fillers] = fillers;
    let sources = &report.sources;
    // The largest files first: a long parse started last keeps the other threads waiting.
    let mut by_size: Vec<usize> = (0..group.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(sources.get(group[i].0).text.len()));
    let jobs: Vec<&(FileId, Discovered)> = by_size.iter().map(|&i| &group[i]).chain(parse_fillers).collect();
    let parsed = in_order(jobs.len(), |i| {
        let (id, d) = jobs[i];
        let done = parse_checking(*id, d, None, Some(registry), sources, options);
        (done, rayon::current_thread_index())
    });
    let mut parsers = HashMap::with_capacity(group.len());
    let mut parsed: Vec<Option<_>> = parsed
        .into_iter()
        .zip(&jobs)
        .map(|(((p, notices, checked), parser), (id, _))| {
            parsers.insert(*id, parser);
            Some((p, notices, checked))
        })
        .collect();
    let mut job_of = vec![0; group.len()];
    for (job, &i) in by_size.iter().enumerate() {
        job_of[i] = job;
    }
    let mut results = Vec::new();
    let mut files = Vec::with_capacity(group.len());
    for ((id, d), job) in group.iter().zip(job_of) {
        let (p, notices, checked) = parsed[job].take().expect("each file once");
        add_file(report, (*id, d), notices, checked, &mut results, &p);
        files.push((p, d));
    }
    for ((id, d), done) in parse_fillers.iter().zip(parsed.drain(group.len()..)) {
        let (p, notices, checked) = done.expect("each file once");
        add_file(report, (*id, d), notices, checked, filled, &p);
    }
    let Gathered { modules, unused, .. } = modules_of(files.into_iter(), &mut Vec::new());
    let project = project_of(
        modules,
        Vec::new(),
        &report.root,
        options,
        &mut report.sources,
        &mut report.notices,
        false,
    );
    let sources = &report.sources;
    let work = work_of(&project, &[]);
    let done = in_order(work.len() + check_fillers.len(), |i| match work.get(i) {
        Some(w) => Job::Unit(check_unit(&project, sources, w, registry, options)),
        None => {
            let (id, d) = &check_fillers[i - work.len()];
            let (p, notices, checked) = parse_checking(*id, d, None, Some(registry), sources, options);
            Job::File(p, notices, checked)
        }
    });
    for (i, job) in done.into_iter().enumerate() {
        match job {
            Job::Unit(r) => results.push(r),
            Job::File(p, notices, checked) => {
                let (id, d) = &check_fillers[i - work.len()];
                add_file(report, (*id, d), notices, checked, filled, &p);
            }
        }
    }
    (results, Trees::of(project, unused, &parsers))
}

/// A group's syntax trees, each with the worker that parsed it: freed by
/// that worker, its blocks go back to the worker's own allocator heap
/// instead of through another thread's free list (a whole-corpus scan's
/// full pass 1.6 % faster on two workers).
struct Trees(Vec<Mutex<Vec<TfFile>>>);

impl Trees {
    fn of(project: terraform::Project, unused: Vec<TfFile>, parsers: &HashMap<FileId, Option<usize>>) -> Trees {
        let here = rayon::current_thread_index();
        let workers = rayon::current_num_threads();
        let mut piles: Vec<Vec<TfFile>> = (0..workers).map(|_| Vec::new()).collect();
        let files = project
            .modules
            .into_iter()
            .flat_map(|m| m.files.into_iter().chain(m.var_files));
        for file in files.chain(unused) {
            let parser = parsers.get(&file.file).copied().flatten().or(here).unwrap_or(0);
            piles[parser.min(workers - 1)].push(file);
        }
        Trees(piles.into_iter().map(Mutex::new).collect())
    }

    /// Free on each worker of the current pool the trees it parsed.
    fn free<'s>(self, scope: &rayon::Scope<'s>) {
        scope.spawn_broadcast(move |_, worker| {
            if let Some(pile) = self.0.get(worker.index()) {
                drop(std::mem::take(
                    &mut *pile.lock().unwrap_or_else(PoisonError::into_inner),
                ));
            }
        });
    }
}

/// What a job of a group's check stage gave.
enum Job {
    /// A root module evaluated and checked.
    Unit(WorkResult),
    /// A file of its own parsed and checked ([`parse_checking`]).
    File(Parsed, Vec<Notice>, Vec<WorkResult>),
}

/// What parsing and checking file `id` gave, added to the report: its
/// notices, the file counted (when it was parsed), its results to `results`.
fn add_file(
    report: &mut ReportParts,
    (id, d): (FileId, &Discovered),
    notices: Vec<Notice>,
    checked: Vec<WorkResult>,
    results: &mut Vec<WorkResult>,
    parsed: &Parsed,
) {
    if !matches!(parsed, Parsed::Failed) {
        report.stats.count(d, report.sources.get(id));
    }
    report.notices.extend(notices);
    results.extend(checked);
}

/// `run(i)` for every `i` below `count`, on every thread of the current
/// pool, each thread taking the next index when it is free: jobs start in
/// index order, so with the long jobs first and short ones last no thread
/// waits long at the end for another (rayon's halving of a list hands each
/// thread runs of jobs, and one thread may be left alone with a long run).
/// Results in index order.
fn in_order<R: Send>(count: usize, run: impl Fn(usize) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let done = rayon::broadcast(|_| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                return done;
            }
            done.push((i, run(i)));
        }
    });
    let mut slots: Vec<Option<R>> = (0..count).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().map(|r| r.expect("every job ran once")).collect()
}

/// What a report is made of besides findings, while the Terraform groups
/// are checked.
struct ReportParts {
    sources: SourceMap,
    notices: Vec<Notice>,
    stats: Stats,
    root: PathBuf,
}

/// Evaluate and check every root module of `project` and every scope.
fn check_work(
    project: &terraform::Project,
    scopes: &[SubjectSet],
    sources: &SourceMap,
    registry: &Registry,
    options: &ScanOptions,
) -> Vec<WorkResult> {
    let work = work_of(project, scopes);
    in_order(work.len(), |i| {
        check_unit(project, sources, &work[i], registry, options)
    })
}

/// Evaluate (a root module) and check one unit of work; a panic becomes a
/// notice on its file.
fn check_unit(
    project: &terraform::Project,
    sources: &SourceMap,
    w: &Work,
    registry: &Registry,
    options: &ScanOptions,
) -> WorkResult {
    let file = || match w {
        Work::Module(m) => project.modules[*m].files.first().map(|f| f.file),
        Work::Scope(set) => set.subjects.first().map(|s| s.file),
    };
    guarded(sources, file, || {
        with_subjects(project, sources, w, options, |set, notices| {
            let mut findings = engine::run(registry, set, sources);
            if matches!(w, Work::Module(_)) {
                terraform::report_installed_at_callers(project, set, sources, &mut findings);
            }
            (
                shown(findings, options),
                subject_counts(registry, set, options),
                notices,
            )
        })
    })
}

/// The policies on one ready scope; a panic becomes a notice on its file.
fn check_scope(registry: &Registry, set: &SubjectSet, sources: &SourceMap, options: &ScanOptions) -> WorkResult {
    let file = || set.subjects.first().map(|s| s.file);
    guarded(sources, file, || {
        (
            shown(engine::run(registry, set, sources), options),
            subject_counts(registry, set, options),
            Vec::new(),
        )
    })
}

/// The findings a report shows: inconclusive ones are dropped where they
/// were made, on the workers, unless asked for (the scan's end keeps only
/// failures again, on one thread).
fn shown(mut findings: Vec<Finding>, options: &ScanOptions) -> Vec<Finding> {
    if !options.show_inconclusive {
        findings.retain(|f| f.status == Status::Fail);
    }
    findings
}

/// [`engine::subject_counts`] when the report counts them.
fn subject_counts(registry: &Registry, set: &SubjectSet, options: &ScanOptions) -> Vec<(Str, usize)> {
    if options.count_checked {
        engine::subject_counts(registry, set)
    } else {
        Vec::new()
    }
}

/// `run`, or when it panics, an error notice on the file `file` names.
fn guarded(sources: &SourceMap, file: impl FnOnce() -> Option<FileId>, run: impl FnOnce() -> WorkResult) -> WorkResult {
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|p| {
        let file = file().map(|f| sources.get(f).display.clone()).unwrap_or_default();
        (
            Vec::new(),
            Vec::new(),
            vec![Notice::error(
                file,
                None,
                format!(
                    "internal error while checking this file (please report it): {}",
                    panic_message(&*p)
                ),
            )],
        )
    })
}

/// Evaluate and run the policies on everything loaded (on the current pool).
pub fn check(loaded: Loaded, registry: &Registry, options: &ScanOptions) -> ScanReport {
    let mut results = check_work(&loaded.project, &loaded.scopes, &loaded.sources, registry, options);
    let Loaded {
        sources,
        notices,
        stats,
        root,
        checked: mut checked_early,
        pending,
        fillers,
        ..
    } = loaded;
    let mut parts = ReportParts {
        sources,
        notices,
        stats,
        root,
    };
    // Each of the two stages of each group gets an equal share of the
    // other files; without Terraform they are one share, checked alone.
    let share = fillers.len().div_ceil((2 * pending.len()).max(1)).max(1);
    let mut shares = fillers.chunks(share);
    rayon::scope(|dropping| {
        for group in pending {
            let fill = [shares.next().unwrap_or_default(), shares.next().unwrap_or_default()];
            let filled = checked_early.len();
            let (checked, trees) =
                check_terraform_group(&group, fill, registry, options, &mut parts, &mut checked_early);
            let done = group.iter().chain(fill[0]).chain(fill[1]).map(|(id, _)| *id);
            let texts = release_texts(&mut parts.sources, done, checked.iter().chain(&checked_early[filled..]));
            results.extend(checked);
            // Freeing a group's syntax trees and texts took a thread alone
            // between two groups: it is done while the next group is parsed.
            trees.free(dropping);
            dropping.spawn(move |_| drop(texts));
        }
    });
    for rest in shares {
        let sources = &parts.sources;
        let done = in_order(rest.len(), |i| {
            let (id, d) = &rest[i];
            parse_checking(*id, d, None, Some(registry), sources, options)
        });
        for ((id, d), (p, notices, checked)) in rest.iter().zip(done) {
            add_file(&mut parts, (*id, d), notices, checked, &mut checked_early, &p);
        }
    }
    let ReportParts {
        sources,
        mut notices,
        stats,
        root,
    } = parts;
    let checked = results
        .par_iter()
        .chain(&checked_early)
        .fold(BTreeMap::new, |mut checked, (_, counts, _)| {
            add_counts(&mut checked, counts.iter().map(|(id, count)| (id, count)));
            checked
        })
        .reduce(BTreeMap::new, |mut all, part| {
            add_counts(&mut all, part.iter());
            all
        });
    let mut findings = Vec::with_capacity(results.iter().chain(&checked_early).map(|r| r.0.len()).sum());
    for (f, _, n) in results.into_iter().chain(checked_early) {
        findings.extend(f);
        notices.extend(n);
    }
    if !options.show_inconclusive {
        findings.retain(|f| f.status == Status::Fail);
    }
    drop_duplicates(&mut findings);
    // Stable, as the order of equal findings is part of the output.
    findings.par_sort_by(|a, b| a.report_order(b, &sources));
    notices.sort();
    notices.dedup();
    ScanReport {
        sources,
        findings,
        notices,
        stats,
        checked,
        root,
    }
}

/// Takes the text of each of `files` (checked, with every file whose
/// findings may point into it) out of `sources` unless a finding of `results`
/// points into it (the report shows its lines) or it may hold a suppression
/// comment (the report's suppressions are applied, and unused ones reported,
/// at the end).
/// The memory serves the groups checked next instead of fresh pages, which
/// the kernel must zero. Returns the texts taken out, for the caller to free
/// off the one thread that runs between groups; the texts are searched for
/// suppression markers in parallel for the same reason.
fn release_texts<'a>(
    sources: &mut SourceMap,
    files: impl Iterator<Item = FileId>,
    results: impl Iterator<Item = &'a WorkResult>,
) -> Vec<Arc<SourceFile>> {
    let mut shown = std::collections::HashSet::new();
    for f in results.flat_map(|(findings, _, _)| findings) {
        shown.insert(f.primary.file);
        shown.extend(f.enclosing.iter().chain(&f.sensitive).map(|s| s.file));
        shown.extend(f.related.iter().map(|(s, _)| s.file));
    }
    let unshown: Vec<FileId> = files.filter(|id| !shown.contains(id)).collect();
    let released: Vec<FileId> = unshown
        .into_par_iter()
        .filter(|&id| !crate::suppress::may_hold_directive(&sources.get(id).text))
        .collect();
    released.into_iter().filter_map(|id| sources.release_text(id)).collect()
}

/// Adds counts of subjects checked per policy to `checked`.
fn add_counts<'a>(checked: &mut BTreeMap<Str, usize>, counts: impl Iterator<Item = (&'a Str, &'a usize)>) {
    for (id, count) in counts {
        match checked.get_mut(id) {
            Some(total) => *total += count,
            None => {
                checked.insert(id.clone(), *count);
            }
        }
    }
}

/// One Terraform finding per policy, resource and path: a configuration and
/// its plan scanned together find the same problem twice (the plan's
/// findings point back into the configuration, at the same place). A
/// failure is kept over an inconclusive result, which may sit elsewhere (the
/// configuration alone cannot know the value: at the module argument the
/// unknown came through, while the plan points into the module).
fn drop_duplicates(findings: &mut Vec<Finding>) {
    findings.par_sort_by(|a, b| {
        (&a.policy.id, &a.address, &a.path, &a.instances, a.status, a.primary).cmp(&(
            &b.policy.id,
            &b.address,
            &b.path,
            &b.instances,
            b.status,
            b.primary,
        ))
    });
    findings.dedup_by(|later, kept| {
        let same = later.policy.input == crate::policy::InputKind::Terraform
            && later.policy.id == kept.policy.id
            && later.address == kept.address
            && later.path == kept.path
            && later.instances == kept.instances
            && (later.primary == kept.primary || (kept.status == Status::Fail && later.status == Status::Inconclusive));
        // One place in a module reached from several callers (the examples
        // of a module calling it by the same name): name every caller.
        if same && later.primary == kept.primary && later.status == kept.status {
            for r in later.related.drain(..) {
                if !kept.related.contains(&r) {
                    kept.related.push(r);
                }
            }
        }
        same
    });
}

/// The modules `terraform init` installed for the scanned modules (read from
/// `.terraform/modules/modules.json`, never downloaded), added to `modules`
/// for evaluation only: their files are not scanned on their own. Returns
/// (root directory, module key, module directory) for each.
fn load_installed_modules(
    modules: &mut BTreeMap<PathBuf, Module>,
    root: &Path,
    options: &ScanOptions,
    sources: &mut SourceMap,
    notices: &mut Vec<Notice>,
) -> Vec<(PathBuf, String, PathBuf)> {
    let mut out = Vec::new();
    let roots: Vec<PathBuf> = modules.keys().cloned().collect();
    for root_dir in roots {
        let entries = match terraform::installed_modules(&root_dir) {
            Ok(e) => e,
            Err(message) => {
                let file = display_path(&root_dir.join(terraform::MODULES_MANIFEST), root);
                notices.push(Notice::warning(file, None, message));
                continue;
            }
        };
        for (key, dir) in entries {
            if !modules.contains_key(&dir) {
                let Ok(listing) = std::fs::read_dir(&dir) else { continue };
                let mut paths: Vec<PathBuf> = listing.flatten().map(|e| e.path()).collect();
                paths.sort();
                let mut module = Module {
                    dir: dir.clone(),
                    ..Module::default()
                };
                for path in paths {
                    let Some(kind @ (FileKind::Terraform | FileKind::TerraformJson)) = discover::classify(&path) else {
                        continue;
                    };
                    let d = Discovered { path, kind };
                    let (src, parsed, found) = load(FileId(sources.len() as u32), &d, root, options);
                    sources.add(src);
                    // The user cannot fix installed code: what fails there is
                    // worth a warning, not a failed run.
                    notices.extend(found.into_iter().map(|mut n| {
                        n.level = n.level.max(crate::notice::NoticeLevel::Warning);
                        n
                    }));
                    if let Parsed::Terraform(f) = parsed {
                        module.files.push(f);
                    }
                }
                modules.insert(dir.clone(), module);
            }
            out.push((root_dir.clone(), key, dir));
        }
    }
    out
}

/// What `load_module_models` loaded.
#[derive(Default)]
struct LoadedModels {
    /// (call key, the model's directory) for each registry call a model stands for.
    calls: Vec<((String, Option<String>), PathBuf)>,
    /// (directory, what it models) of every module of models' code.
    parts: Vec<(PathBuf, String)>,
}

/// The known-module models (`terraform::models`) standing for the registry
/// modules the scanned modules call, added to `modules` for evaluation only:
/// one copy per model and set of admitted releases, its files embedded in
/// the binary (a folder of the model is a module it calls). Installed
/// modules win over them (`Project::called_module`).
fn load_module_models(
    modules: &mut BTreeMap<PathBuf, Module>,
    options: &ScanOptions,
    sources: &mut SourceMap,
    notices: &mut Vec<Notice>,
) -> LoadedModels {
    let keys: std::collections::BTreeSet<(String, Option<String>)> = modules
        .values()
        .flat_map(|m| m.blocks())
        .filter(|(_, b)| &*b.ty == "module")
        .filter_map(|(_, b)| terraform::model_key(b))
        .collect();
    let mut out = LoadedModels::default();
    for key in keys {
        let Some(selection) = terraform::models::select(&key.0, key.1.as_deref()) else {
            continue;
        };
        let dir = PathBuf::from(format!("palisade-model:{}", selection.variant()));
        if !modules.contains_key(&dir) {
            let model = selection.model;
            let generated = format!("{}defaults.tf", model.dir);
            let files = model
                .files
                .iter()
                .map(|(path, text)| (*path, *text))
                .chain([(generated.as_str(), selection.defaults_tf.as_str())]);
            let mut parts: BTreeMap<PathBuf, Module> = BTreeMap::new();
            for (path, text) in files {
                let relative = Path::new(&path[model.dir.len()..]);
                let part_dir = dir.join(relative.parent().unwrap_or(Path::new("")));
                let part = parts.entry(part_dir.clone()).or_insert_with(|| Module {
                    dir: part_dir,
                    ..Module::default()
                });
                let id = FileId(sources.len() as u32);
                let display = format!("palisade-model:{path}");
                match hcl::parse_hcl(id, text, options.parse_budget) {
                    Ok(parsed) => part.files.push(TfFile {
                        file: id,
                        body: parsed.body,
                        comments: parsed.comments,
                    }),
                    Err(e) => notices.push(Notice::error(display.clone(), None, e.to_string())),
                }
                sources.add(SourceFile::new(PathBuf::from(&display), display, text));
            }
            for (part_dir, part) in parts {
                out.parts.push((part_dir.clone(), selection.description()));
                modules.insert(part_dir, part);
            }
        }
        out.calls.push((key, dir));
    }
    out
}

fn load(id: FileId, d: &Discovered, root: &Path, options: &ScanOptions) -> (SourceFile, Parsed, Vec<Notice>) {
    let (source, unreadable) = read(d, root, options);
    let (parsed, notices) = parse(id, d, &source, unreadable, options);
    (source, parsed, notices)
}

/// Read one file: its source (empty when it cannot be read, with a notice
/// saying why).
fn read(d: &Discovered, root: &Path, options: &ScanOptions) -> (SourceFile, Option<Notice>) {
    let display = display_path(&d.path, root);
    match read_text(&d.path, options.max_file_size) {
        Ok(text) => (SourceFile::new(d.path.clone(), display, text), None),
        Err(msg) => {
            // A binary key (`*.key` in DER) or an oversized file among the
            // files only searched for secrets holds no text to search: say
            // so without failing the scan.
            let notice = if d.kind == FileKind::SecretsOnly {
                Notice::note(display.clone(), None, format!("{msg}; not searched for secrets"))
            } else {
                Notice::error(display.clone(), None, msg)
            };
            (SourceFile::new(d.path.clone(), display, ""), Some(notice))
        }
    }
}

/// Parse one file [`read`] gave (with the notice of a file it could not read).
fn parse(
    id: FileId,
    d: &Discovered,
    source: &SourceFile,
    unreadable: Option<Notice>,
    options: &ScanOptions,
) -> (Parsed, Vec<Notice>) {
    if let Some(notice) = unreadable {
        return (Parsed::Failed, vec![notice]);
    }
    let display = &source.display;
    if let Some(offset) = crate::limits::nesting_exceeds(&source.text, options.max_nesting) {
        let line = source.text[..offset].bytes().filter(|b| *b == b'\n').count() as u32 + 1;
        let message = format!(
            "not scanned: brackets nested deeper than {} levels (--max-nesting)",
            options.max_nesting
        );
        return (
            Parsed::Failed,
            vec![Notice::error(display.clone(), Some(line), message)],
        );
    }
    let mut notices = Vec::new();
    let parsed = catch_unwind(AssertUnwindSafe(|| match d.kind {
        FileKind::Terraform | FileKind::TerraformJson | FileKind::TerraformVars => {
            match if d.kind == FileKind::TerraformJson {
                hcl::parse_tf_json(id, &source.text, options.parse_budget)
            } else if d.path.extension().is_some_and(|e| e == "json") {
                hcl::parse_json_vars(id, &source.text, options.parse_budget)
            } else {
                hcl::parse_hcl(id, &source.text, options.parse_budget)
            } {
                Ok(p) => {
                    if let Some((offset, what)) = p.error {
                        let pos = source.position(offset as u32);
                        notices.push(Notice::error(
                            display.clone(),
                            Some(pos.line),
                            format!("{what}: the file is not valid HCL; what could be recovered was scanned"),
                        ));
                    }
                    let f = TfFile {
                        file: id,
                        body: p.body,
                        comments: p.comments,
                    };
                    if d.kind != FileKind::TerraformVars {
                        Parsed::Terraform(f)
                    } else {
                        Parsed::TerraformVars(f)
                    }
                }
                Err(e) => {
                    notices.push(Notice::error(display.clone(), None, e.to_string()));
                    Parsed::Failed
                }
            }
        }
        FileKind::TerraformPlan => {
            let (set, mut n) = terraform::plan::load(id, source, options.parse_budget);
            notices.append(&mut n);
            set.map(|s| Parsed::Plan(Box::new(s))).unwrap_or(Parsed::Other)
        }
        FileKind::Dockerfile => {
            let (set, mut n) = crate::docker::load(id, source, options);
            notices.append(&mut n);
            set.map(|s| Parsed::Scope(Box::new(s))).unwrap_or(Parsed::Other)
        }
        FileKind::GithubWorkflow
        | FileKind::GithubAction
        | FileKind::GitlabCi
        | FileKind::AzurePipelines
        | FileKind::CircleCi
        | FileKind::BitbucketPipelines => {
            let (set, mut n) = crate::ci::load(id, d.kind, source, options);
            notices.append(&mut n);
            set.map(|s| Parsed::Scope(Box::new(s))).unwrap_or(Parsed::Other)
        }
        _ => Parsed::Other,
    }));
    let parsed = match parsed {
        Ok(p) => p,
        Err(p) => {
            notices.push(Notice::error(
                display.clone(),
                None,
                format!(
                    "internal error while parsing this file (please report it): {}",
                    panic_message(&*p)
                ),
            ));
            Parsed::Failed
        }
    };
    (parsed, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tree_is_freed_by_the_worker_that_parsed_it() {
        let file = |id| terraform::TfFile {
            file: FileId(id),
            body: crate::hcl::Body::default(),
            comments: Vec::new(),
        };
        let module = |dir: &str, files, var_files| Module {
            dir: PathBuf::from(dir),
            files,
            var_files,
        };
        // File 3 was not parsed by a worker of the group (a module model,
        // parsed by the thread that builds the project): it is freed there.
        // File 4 is a variable file no module loads.
        let parsers = HashMap::from([
            (FileId(0), Some(1)),
            (FileId(1), Some(0)),
            (FileId(2), Some(1)),
            (FileId(4), Some(0)),
        ]);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let (here, piles) = pool.install(|| {
            let project = terraform::Project::new(
                vec![
                    module("a", vec![file(0), file(1)], vec![file(2)]),
                    module("palisade-model:m", vec![file(3)], Vec::new()),
                ],
                Vec::new(),
            );
            let Trees(piles) = Trees::of(project, vec![file(4)], &parsers);
            let ids = |pile: Mutex<Vec<terraform::TfFile>>| -> Vec<u32> {
                let mut ids: Vec<u32> = pile.into_inner().unwrap().iter().map(|f| f.file.0).collect();
                ids.sort();
                ids
            };
            (
                rayon::current_thread_index().unwrap(),
                piles.into_iter().map(ids).collect::<Vec<_>>(),
            )
        });
        let mut expected = vec![vec![1, 4], vec![0, 2]];
        expected[here].push(3);
        expected[here].sort();
        assert_eq!(piles, expected);
    }

    #[test]
    fn terraform_groups_keep_modules_with_the_modules_they_call() {
        let files = [
            ("r/app/main.tf", "module \"net\" {\n  source = \"../modules/net\"\n}\n"),
            ("r/modules/net/main.tf", "resource \"aws_vpc\" \"x\" {}\n"),
            ("r/other/main.tf", "# \"../nowhere\"\nlocals { p = \"./files\" }\n"),
            ("r/other/variables.tf", "variable \"v\" {}\n"),
            ("r/json/main.tf.json", "{\"module\": {\"n\": {\"source\": \"../app\"}}}"),
        ];
        let mut sources = SourceMap::default();
        let mut pending = Vec::new();
        for (path, text) in files {
            let id = sources.add(SourceFile::new(PathBuf::from(path), path.to_string(), text));
            let d = Discovered {
                path: PathBuf::from(path),
                kind: FileKind::Terraform,
            };
            pending.push((id, d));
        }
        let names = |batches: Vec<Vec<(FileId, Discovered)>>| -> Vec<Vec<String>> {
            batches
                .into_iter()
                .map(|b| b.into_iter().map(|(_, d)| d.path.display().to_string()).collect())
                .collect()
        };
        assert_eq!(
            names(terraform_groups(pending.clone(), &sources, 0)),
            vec![
                vec!["r/app/main.tf", "r/modules/net/main.tf", "r/json/main.tf.json"],
                vec!["r/other/main.tf", "r/other/variables.tf"],
            ]
        );
        assert_eq!(names(terraform_groups(pending, &sources, usize::MAX)).len(), 1);
    }
}
