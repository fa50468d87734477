//! Known-module models: small Terraform models of popular registry modules,
//! written by hand and embedded in the binary (`models/`), evaluated in
//! place of a module that `terraform init` has not installed.
//!
//! A model holds only the security-relevant resources and inputs of its
//! module. Inputs whose default changed between releases are declared in
//! the model's `model.toml`, one `[[range]]` per span of versions; a call's
//! `version` constraint selects the ranges it admits, and an input keeps a
//! default only when every admitted range agrees on it (otherwise it has
//! none: its value is unknown, and what depends on it is inconclusive). A
//! constraint admitting a version the model does not describe selects no
//! model at all. An installed module always wins over a model.

use std::collections::BTreeSet;

use serde::Deserialize;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_models.rs"));
}

/// A release number (`major.minor.patch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    fn next_patch(self) -> Version {
        Version(self.0, self.1, self.2 + 1)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The versions from `low` (included) up to `high` (excluded; none: no end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub low: Version,
    pub high: Option<Version>,
}

impl Versions {
    const ALL: Versions = Versions {
        low: Version(0, 0, 0),
        high: None,
    };

    fn intersect(self, other: Versions) -> Option<Versions> {
        let low = self.low.max(other.low);
        let high = match (self.high, other.high) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (high.is_none_or(|h| low < h)).then_some(Versions { low, high })
    }

    fn contains(self, inner: Versions) -> bool {
        self.low <= inner.low
            && match (self.high, inner.high) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) => b <= a,
            }
    }
}

impl std::fmt::Display for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.high {
            Some(h) if h == self.low.next_patch() => write!(f, "{}", self.low),
            Some(h) => write!(f, ">= {}, < {h}", self.low),
            None => write!(f, ">= {}", self.low),
        }
    }
}

/// A version number as written in a constraint, and how many of its three
/// parts were given (`~>` depends on it). Pre-releases are not handled.
fn parse_version(text: &str) -> Option<(Version, usize)> {
    let text = text.trim().trim_start_matches('v');
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut numbers = [0u64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        numbers[i] = p.parse().ok()?;
    }
    Some((Version(numbers[0], numbers[1], numbers[2]), parts.len()))
}

/// The versions a Terraform version constraint (`"~> 3.0"`, `">= 4.1, < 5"`,
/// `"3.7.0"`) admits, or `None` when it admits none or cannot be read.
/// `!=` excludes one release only; it is ignored, which can only widen what
/// is admitted (and so make fewer defaults agree).
pub fn parse_constraint(text: &str) -> Option<Versions> {
    let mut admitted = Versions::ALL;
    for clause in text.split(',') {
        let clause = clause.trim();
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| clause.strip_prefix(op).map(|rest| (*op, rest)))
            .unwrap_or(("=", clause));
        let (v, parts) = parse_version(rest)?;
        let bound = match op {
            "=" => Versions {
                low: v,
                high: Some(v.next_patch()),
            },
            "!=" => continue,
            ">" => Versions {
                low: v.next_patch(),
                high: None,
            },
            ">=" => Versions { low: v, high: None },
            "<" => Versions {
                low: Version(0, 0, 0),
                high: Some(v),
            },
            "<=" => Versions {
                low: Version(0, 0, 0),
                high: Some(v.next_patch()),
            },
            // `~> 1.2.3` allows patch releases, `~> 1.2` and `~> 1` minor ones.
            _ => Versions {
                low: v,
                high: Some(if parts == 3 {
                    Version(v.0, v.1 + 1, 0)
                } else {
                    Version(v.0 + 1, 0, 0)
                }),
            },
        };
        admitted = admitted.intersect(bound)?;
    }
    Some(admitted)
}

/// A model's `model.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The registry address it models (`terraform-aws-modules/s3-bucket/aws`).
    pub source: String,
    /// The releases it describes (a version constraint).
    pub versions: String,
    /// Where the facts come from: the module's documentation and changelog.
    pub references: Vec<String>,
    /// Defaults that depend on the release, one table per span of versions;
    /// the spans cover `versions` without overlapping, and each names the
    /// same inputs.
    #[serde(default, rename = "range")]
    pub ranges: Vec<Range>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub versions: String,
    #[serde(default)]
    pub defaults: toml::Table,
}

/// One embedded model.
#[derive(Debug)]
pub struct Model {
    /// Its folder in `models/`.
    pub dir: &'static str,
    pub index: Index,
    /// Its `.tf` files, in its folder and below (a module the model calls
    /// with a local `source`): (path, text).
    pub files: Vec<(&'static str, &'static str)>,
}

/// Every embedded model, read once.
pub fn all() -> &'static [Model] {
    static MODELS: std::sync::OnceLock<Vec<Model>> = std::sync::OnceLock::new();
    MODELS.get_or_init(|| {
        let mut out: Vec<Model> = Vec::new();
        for (path, text) in embedded::MODELS.iter().filter(|(p, _)| p.ends_with("/model.toml")) {
            let dir = path.trim_end_matches("model.toml");
            // The embedded models are tested (`every_model_is_well_formed`):
            // one that does not read is a build mistake, left out.
            let Ok(index) = toml::from_str::<Index>(text) else {
                continue;
            };
            let files = embedded::MODELS
                .iter()
                .filter(|(p, _)| p.starts_with(dir) && p.ends_with(".tf"))
                .copied()
                .collect();
            out.push(Model { dir, index, files });
        }
        out
    })
}

/// A registry address without its host (`registry.terraform.io/`), lower
/// case (registry addresses are not case-sensitive); `None` for anything
/// else (local paths, git, URLs, archives).
pub fn registry_address(source: &str) -> Option<String> {
    let source = source.trim();
    let lower = source.to_ascii_lowercase();
    let address = lower.strip_prefix("registry.terraform.io/").unwrap_or(&lower);
    let (module, subdir) = match address.split_once("//") {
        Some((m, s)) => (m, Some(s)),
        None => (address, None),
    };
    let parts: Vec<&str> = module.split('/').collect();
    let valid = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    valid.then(|| match subdir {
        Some(s) => format!("{module}//{}", s.trim_matches('/')),
        None => module.to_string(),
    })
}

/// The model (and the defaults) that stand for a call of `source` with
/// this `version` constraint.
#[derive(Debug)]
pub struct Selection {
    pub model: &'static Model,
    /// The releases the call admits.
    pub admitted: Versions,
    /// Which of the model's ranges these are (a loaded variant's key).
    pub ranges: BTreeSet<usize>,
    /// The generated variable declarations of the release-dependent inputs.
    pub defaults_tf: String,
}

impl Selection {
    /// The module and the releases this variant describes:
    /// `terraform-aws-modules/s3-bucket/aws (releases >= 3.0.0, < 3.9.0)`.
    /// The selected ranges are contiguous: one span covers them.
    pub fn description(&self) -> String {
        let index = &self.model.index;
        let spans: Vec<Versions> = self
            .ranges
            .iter()
            .filter_map(|&i| parse_constraint(&index.ranges[i].versions))
            .collect();
        let releases = match (spans.first(), spans.last()) {
            (Some(first), Some(last)) => Versions {
                low: first.low,
                high: last.high,
            }
            .to_string(),
            _ => index.versions.clone(),
        };
        format!("{} (releases {releases})", index.source)
    }

    /// Identifies the loaded variant: the model and its admitted ranges.
    pub fn variant(&self) -> String {
        let ranges: Vec<String> = self.ranges.iter().map(|r| r.to_string()).collect();
        format!("{}@{}", self.model.index.source, ranges.join("+"))
    }
}

/// The model standing for a call, if there is one for its source and every
/// release its constraint admits. Without a constraint Terraform installs
/// the newest release: the model's newest range stands for it.
pub fn select(source: &str, version: Option<&str>) -> Option<Selection> {
    let address = registry_address(source)?;
    let model = all().iter().find(|m| m.index.source == address)?;
    let covered = parse_constraint(&model.index.versions)?;
    let ranges: Vec<Versions> = model
        .index
        .ranges
        .iter()
        .map(|r| parse_constraint(&r.versions))
        .collect::<Option<_>>()?;
    let admitted = match version {
        Some(v) => parse_constraint(v)?,
        None => ranges.iter().copied().max_by_key(|r| r.low).unwrap_or(covered),
    };
    if !covered.contains(admitted) {
        return None;
    }
    let selected: BTreeSet<usize> = ranges
        .iter()
        .enumerate()
        .filter(|(_, r)| r.intersect(admitted).is_some())
        .map(|(i, _)| i)
        .collect();
    let defaults_tf = defaults_tf(model, &selected, admitted);
    Some(Selection {
        model,
        admitted,
        ranges: selected,
        defaults_tf,
    })
}

/// The declarations of the inputs whose default depends on the release:
/// with the default the selected ranges agree on, else without one.
fn defaults_tf(model: &Model, selected: &BTreeSet<usize>, admitted: Versions) -> String {
    let mut out = format!(
        "# {} {admitted}: the inputs whose default depends on the release.\n",
        model.index.source
    );
    let names: BTreeSet<&String> = selected
        .iter()
        .flat_map(|&i| model.index.ranges[i].defaults.keys())
        .collect();
    for name in names {
        let values: Vec<Option<&toml::Value>> = selected
            .iter()
            .map(|&i| model.index.ranges[i].defaults.get(name.as_str()))
            .collect();
        let agreed = values
            .first()
            .copied()
            .flatten()
            .filter(|first| values.iter().all(|v| v == &Some(*first)))
            .and_then(hcl_literal);
        match agreed {
            Some(v) => out.push_str(&format!("variable \"{name}\" {{ default = {v} }}\n")),
            None => out.push_str(&format!(
                "variable \"{name}\" {{}} # its default differs between the releases admitted\n"
            )),
        }
    }
    out
}

/// A TOML value written as an HCL literal.
fn hcl_literal(v: &toml::Value) -> Option<String> {
    Some(match v {
        toml::Value::String(s) => {
            let quoted = serde_json::to_string(s).ok()?;
            quoted.replace("${", "$${").replace("%{", "%%{")
        }
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(hcl_literal).collect::<Option<_>>()?;
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(t) => {
            let entries: Vec<String> = t
                .iter()
                .map(|(k, v)| Some(format!("{} = {}", serde_json::to_string(k).ok()?, hcl_literal(v)?)))
                .collect::<Option<_>>()?;
            format!("{{ {} }}", entries.join(", "))
        }
        toml::Value::Datetime(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: u64, b: u64, c: u64) -> Version {
        Version(a, b, c)
    }

    #[test]
    fn constraints_read_as_terraform_reads_them() {
        let range = |lo, hi| Some(Versions { low: lo, high: hi });
        assert_eq!(parse_constraint("3.7.0"), range(v(3, 7, 0), Some(v(3, 7, 1))));
        assert_eq!(parse_constraint("= 3.7"), range(v(3, 7, 0), Some(v(3, 7, 1))));
        assert_eq!(parse_constraint("~> 3.0"), range(v(3, 0, 0), Some(v(4, 0, 0))));
        assert_eq!(parse_constraint("~> 3"), range(v(3, 0, 0), Some(v(4, 0, 0))));
        assert_eq!(parse_constraint("~> 3.7.1"), range(v(3, 7, 1), Some(v(3, 8, 0))));
        assert_eq!(parse_constraint(">= 4.1, < 5"), range(v(4, 1, 0), Some(v(5, 0, 0))));
        assert_eq!(parse_constraint("> 4.1.2"), range(v(4, 1, 3), None));
        assert_eq!(parse_constraint("<= 2.0.0"), range(v(0, 0, 0), Some(v(2, 0, 1))));
        assert_eq!(parse_constraint(">= 3.0, != 3.2.0"), range(v(3, 0, 0), None));
        assert_eq!(parse_constraint(">= 5, < 4"), None);
        assert_eq!(parse_constraint("1.0.0-beta"), None);
        assert_eq!(parse_constraint("latest"), None);
    }

    #[test]
    fn registry_addresses_are_recognised() {
        assert_eq!(
            registry_address("registry.terraform.io/Terraform-AWS-Modules/s3-bucket/aws").as_deref(),
            Some("terraform-aws-modules/s3-bucket/aws")
        );
        assert_eq!(
            registry_address("terraform-aws-modules/security-group/aws//modules/ssh").as_deref(),
            Some("terraform-aws-modules/security-group/aws//modules/ssh")
        );
        for other in [
            "./modules/x",
            "git::https://example.com/x.git",
            "github.com/x/y",
            "app.terraform.io/org/x/aws/extra",
        ] {
            assert_eq!(registry_address(other), None, "{other}");
        }
    }

    #[test]
    fn every_model_is_well_formed() {
        let mut sources = BTreeSet::new();
        for (path, text) in embedded::MODELS.iter().filter(|(p, _)| p.ends_with("/model.toml")) {
            let index: Index = toml::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let model = all().iter().find(|m| m.index.source == index.source).expect(path);
            assert!(
                sources.insert(index.source.clone()),
                "{path}: two models of {}",
                index.source
            );
            assert_eq!(
                registry_address(&index.source).as_deref(),
                Some(index.source.as_str()),
                "{path}"
            );
            assert!(!index.references.is_empty(), "{path}: no references");
            assert!(!model.files.is_empty(), "{path}: no .tf files");
            let covered = parse_constraint(&index.versions).unwrap_or_else(|| panic!("{path}: versions"));
            // The ranges cover the model's versions, in order, without gaps or overlaps.
            let mut next = Some(covered.low);
            let mut names: Option<BTreeSet<&String>> = None;
            for (i, r) in index.ranges.iter().enumerate() {
                let span = parse_constraint(&r.versions).unwrap_or_else(|| panic!("{path}: range {i}"));
                assert_eq!(
                    Some(span.low),
                    next,
                    "{path}: range {i} does not start where the last one ended"
                );
                next = span.high;
                let these: BTreeSet<&String> = r.defaults.keys().collect();
                assert_eq!(
                    names.get_or_insert(these.clone()),
                    &these,
                    "{path}: range {i} names other inputs"
                );
                for value in r.defaults.values() {
                    assert!(hcl_literal(value).is_some(), "{path}: range {i}: {value}");
                }
            }
            if !index.ranges.is_empty() {
                assert_eq!(next, covered.high, "{path}: the last range ends where the model ends");
            }
            // Every file parses without error, with every selection's defaults.
            let selection = select(&index.source, Some(&index.versions)).expect(path);
            let texts = model
                .files
                .iter()
                .map(|(p, t)| (*p, *t))
                .chain([("defaults.tf", selection.defaults_tf.as_str())]);
            for (p, t) in texts {
                let parsed = crate::hcl::parse_hcl(crate::source::FileId(0), t, std::time::Duration::from_secs(10))
                    .unwrap_or_else(|e| panic!("{p}: {e}"));
                assert!(parsed.error.is_none(), "{p}: {:?}", parsed.error);
            }
        }
    }

    #[test]
    fn defaults_count_only_where_the_admitted_releases_agree() {
        let model = Box::leak(Box::new(Model {
            dir: "test/",
            index: toml::from_str(
                r#"
                source = "example/bucket/aws"
                versions = ">= 1.0.0"
                references = ["https://example.com"]
                [[range]]
                versions = ">= 1.0.0, < 1.5.0"
                defaults = { public = true, name = "a" }
                [[range]]
                versions = ">= 1.5.0"
                defaults = { public = false, name = "a" }
                "#,
            )
            .unwrap(),
            files: Vec::new(),
        }));
        let both = defaults_tf(model, &BTreeSet::from([0, 1]), parse_constraint("~> 1.0").unwrap());
        assert!(both.contains("variable \"name\" { default = \"a\" }"), "{both}");
        assert!(both.contains("variable \"public\" {}"), "{both}");
        let old = defaults_tf(model, &BTreeSet::from([0]), parse_constraint("1.2.0").unwrap());
        assert!(old.contains("variable \"public\" { default = true }"), "{old}");
    }
}
