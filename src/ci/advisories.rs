//! Published security advisories for GitHub Actions, and whether a `uses:`
//! reference falls in one. The table is small and embedded: no network.
//!
//! A tag names one release (`v4.1.0`) or floats over a release line (`v4`,
//! `v4.1`, which the publisher moves to the line's newest release). A floating
//! tag is affected when the whole line is; it is not when the fix was
//! released inside the line; otherwise it depends on releases Palisade does
//! not know of.

use crate::policy::condition::Tri;

type Version = (u32, u32, u32);

/// Where an advisory's range ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// The first release with the fix.
    FixedIn(Version),
    /// The last affected release (no fixed release inside its line is known).
    LastAffected(Version),
}

pub struct Advisory {
    /// `owner/repo`, lower case.
    pub action: &'static str,
    pub id: &'static str,
    pub cve: &'static str,
    /// What the flaw lets an attacker do, for the message.
    pub impact: &'static str,
    /// The release to move to.
    pub upgrade_to: &'static str,
    introduced: Version,
    end: End,
    /// Commits known to carry malicious code.
    malicious_commits: &'static [&'static str],
}

pub static ADVISORIES: &[Advisory] = &[
    Advisory {
        action: "tj-actions/changed-files",
        id: "GHSA-mrrh-fwg8-r2c3",
        cve: "CVE-2025-30066",
        impact: "in March 2025 every tag up to 45.0.7 was moved to a commit that printed the job's secrets to its log",
        upgrade_to: "46.0.1",
        introduced: (0, 0, 0),
        end: End::LastAffected((45, 0, 7)),
        malicious_commits: &["0e58ed8671d6b60d0890c21b07f8835ace038e67"],
    },
    Advisory {
        action: "tj-actions/branch-names",
        id: "GHSA-8v8w-v8xg-79rf",
        cve: "CVE-2023-49291",
        impact: "a branch name is expanded unquoted into its script, so whoever names a branch can run commands",
        upgrade_to: "7.0.7",
        introduced: (0, 0, 0),
        end: End::FixedIn((7, 0, 7)),
        malicious_commits: &[],
    },
    Advisory {
        action: "actions/download-artifact",
        id: "GHSA-cxww-7g56-2vh6",
        cve: "CVE-2024-42471",
        impact: "an artifact's file names can climb out of the extraction folder and overwrite any file the job can write",
        upgrade_to: "4.1.7",
        introduced: (4, 0, 0),
        end: End::FixedIn((4, 1, 7)),
        malicious_commits: &[],
    },
];

/// A tag read as the release line it names: its first and last possible
/// versions, and how many parts were written.
fn parse_tag(reference: &str) -> Option<(Version, Version, usize)> {
    let digits = reference.strip_prefix(['v', 'V']).unwrap_or(reference);
    let parts: Vec<u32> = digits
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    match parts.as_slice() {
        [major] => Some(((*major, 0, 0), (*major, u32::MAX, u32::MAX), 1)),
        [major, minor] => Some(((*major, *minor, 0), (*major, *minor, u32::MAX), 2)),
        [major, minor, patch] => {
            let v = (*major, *minor, *patch);
            Some((v, v, 3))
        }
        _ => None,
    }
}

impl Advisory {
    fn contains(&self, v: Version) -> bool {
        v >= self.introduced
            && match self.end {
                End::FixedIn(fixed) => v < fixed,
                End::LastAffected(last) => v <= last,
            }
    }

    /// Does this reference (a tag, a branch or a commit) run an affected release?
    pub fn affects(&self, reference: &str) -> Tri {
        let r = reference.trim();
        if self.malicious_commits.iter().any(|c| c.eq_ignore_ascii_case(r)) {
            return Tri::True;
        }
        let Some((first, last, _)) = parse_tag(r) else {
            // a branch or another commit: not a release Palisade can place
            return Tri::False;
        };
        if first == last || (self.contains(first) && self.contains(last)) {
            return if self.contains(first) { Tri::True } else { Tri::False };
        }
        // A floating tag: the line's newest release decides.
        match self.end {
            End::FixedIn(fixed) if fixed > first && fixed <= last => Tri::False,
            _ if !self.contains(first)
                && !self.contains(last)
                && (last < self.introduced || first > self.end_version()) =>
            {
                Tri::False
            }
            _ => Tri::Unknown,
        }
    }

    fn end_version(&self) -> Version {
        match self.end {
            End::FixedIn(v) | End::LastAffected(v) => v,
        }
    }
}

/// The advisory a `uses:` of `action@reference` falls in, if any: the first
/// that certainly applies, else the first that may.
pub fn matching(action: &str, reference: &str) -> Option<(&'static Advisory, Tri)> {
    let action = action.to_ascii_lowercase();
    let mut maybe = None;
    for a in ADVISORIES.iter().filter(|a| a.action == action) {
        match a.affects(reference) {
            Tri::True => return Some((a, Tri::True)),
            Tri::Unknown if maybe.is_none() => maybe = Some((a, Tri::Unknown)),
            _ => {}
        }
    }
    maybe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(action: &str, reference: &str) -> Tri {
        matching(action, reference).map(|m| m.1).unwrap_or(Tri::False)
    }

    #[test]
    fn exact_releases() {
        assert_eq!(truth("tj-actions/changed-files", "v45.0.7"), Tri::True);
        assert_eq!(truth("tj-actions/changed-files", "v35.7.7"), Tri::True);
        assert_eq!(truth("tj-actions/changed-files", "v46.0.1"), Tri::False);
        assert_eq!(truth("TJ-Actions/Changed-Files", "v1"), Tri::True);
        assert_eq!(truth("tj-actions/branch-names", "v7.0.6"), Tri::True);
        assert_eq!(truth("tj-actions/branch-names", "v7.0.7"), Tri::False);
        assert_eq!(truth("actions/download-artifact", "v4.1.6"), Tri::True);
        assert_eq!(truth("actions/download-artifact", "v4.1.7"), Tri::False);
        assert_eq!(truth("actions/download-artifact", "v3.0.2"), Tri::False);
    }

    #[test]
    fn floating_tags() {
        // the whole line is affected
        assert_eq!(truth("tj-actions/changed-files", "v44"), Tri::True);
        assert_eq!(truth("tj-actions/branch-names", "v6"), Tri::True);
        // the fix was released inside the line the tag follows
        assert_eq!(truth("actions/download-artifact", "v4"), Tri::False);
        assert_eq!(truth("actions/download-artifact", "v4.1"), Tri::False);
        assert_eq!(truth("tj-actions/branch-names", "v7"), Tri::False);
        // the line's newest release may or may not be past the last affected one
        assert_eq!(truth("tj-actions/changed-files", "v45"), Tri::Unknown);
        // lines outside the range
        assert_eq!(truth("actions/download-artifact", "v3"), Tri::False);
        assert_eq!(truth("actions/download-artifact", "v5"), Tri::False);
        assert_eq!(truth("tj-actions/changed-files", "v46"), Tri::False);
    }

    #[test]
    fn commits_and_branches() {
        assert_eq!(
            truth("tj-actions/changed-files", "0e58ed8671d6b60d0890c21b07f8835ace038e67"),
            Tri::True
        );
        assert_eq!(
            truth("tj-actions/changed-files", "ed68ef82c095e0d48ec87eccea555d944a631a4c"),
            Tri::False
        );
        assert_eq!(truth("tj-actions/changed-files", "main"), Tri::False);
        assert_eq!(truth("actions/checkout", "v1"), Tri::False);
    }
}
