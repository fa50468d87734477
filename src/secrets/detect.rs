//! One pass over a file's text: an Aho-Corasick automaton of every rule's
//! keywords finds which rules can match at all, and only those rules' regexes
//! run (each compiled once, on first use).

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::rules::{RULES, Rule};

/// A credential found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The [`Rule`] id (`github-token`).
    pub rule: &'static str,
    /// What it is, for messages (`GitHub token`).
    pub label: &'static str,
    /// Where to point: byte range in the text.
    pub primary: Range<usize>,
    /// What must never be printed: byte range in the text.
    pub secret: Range<usize>,
}

struct Prefilter {
    /// Every keyword, case-insensitive: the search when there is no SIMD one.
    automaton: AhoCorasick,
    /// Every keyword in lower case, searched in the text lowered the same
    /// way (a SIMD search, where the CPU has one).
    lowered: Option<Lowered>,
    /// For each keyword (pattern id), the rules it enables.
    rules_of: Vec<Vec<usize>>,
}

/// The keywords, lowered, for a SIMD search that finds where one starts.
struct Lowered {
    searcher: aho_corasick::packed::Searcher,
    keywords: Vec<Vec<u8>>,
    /// For each byte, the keywords (pattern ids) that start with it.
    starting_with: Vec<Vec<usize>>,
}

impl Lowered {
    fn new(keywords: &[&str]) -> Option<Lowered> {
        let keywords: Vec<Vec<u8>> = keywords.iter().map(|k| k.to_ascii_lowercase().into_bytes()).collect();
        let searcher = aho_corasick::packed::Config::new()
            .builder()
            .extend(&keywords)
            .build()?;
        let mut starting_with = vec![Vec::new(); 256];
        for (i, k) in keywords.iter().enumerate() {
            starting_with[usize::from(k[0])].push(i);
        }
        Some(Lowered {
            searcher,
            keywords,
            starting_with,
        })
    }

    /// Calls `found` with every keyword that occurs in `text` (lowered),
    /// once per occurrence, until it returns false. The searcher reports the
    /// leftmost occurrence only; searching again one byte after its start
    /// visits every offset where some keyword starts, and there every
    /// keyword starting there is tried: no occurrence is missed, overlapping
    /// ones included.
    fn each_keyword(&self, text: &[u8], mut found: impl FnMut(usize) -> bool) {
        let mut at = 0;
        while let Some(m) = self.searcher.find_in(text, aho_corasick::Span::from(at..text.len())) {
            let rest = &text[m.start()..];
            for &k in &self.starting_with[usize::from(rest[0])] {
                if rest.starts_with(&self.keywords[k]) && !found(k) {
                    return;
                }
            }
            at = m.start() + 1;
        }
    }
}

static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| {
    let mut keywords: Vec<&str> = Vec::new();
    let mut rules_of: Vec<Vec<usize>> = Vec::new();
    for (i, rule) in RULES.iter().enumerate() {
        for k in rule.keywords {
            match keywords.iter().position(|x| x == k) {
                Some(p) => rules_of[p].push(i),
                None => {
                    keywords.push(k);
                    rules_of.push(vec![i]);
                }
            }
        }
    }
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&keywords)
        .expect("secret rule keywords build an automaton");
    Prefilter {
        lowered: Lowered::new(&keywords),
        automaton,
        rules_of,
    }
});

static COMPILED: LazyLock<Vec<OnceLock<Regex>>> = LazyLock::new(|| RULES.iter().map(|_| OnceLock::new()).collect());

fn regex(i: usize) -> &'static Regex {
    COMPILED[i].get_or_init(|| Regex::new(RULES[i].pattern).expect("secret rule patterns are valid"))
}

/// Every credential in `text`, in order of position. Overlapping matches of
/// two rules keep the more specific rule's.
pub fn scan(text: &str) -> Vec<Detection> {
    let pre = &*PREFILTER;
    let mut enabled = vec![false; RULES.len()];
    let mut remaining = RULES.len();
    // Whether rules are left to enable after the keyword `k`.
    let mut enable = |k: usize| {
        for &r in &pre.rules_of[k] {
            if !enabled[r] {
                enabled[r] = true;
                remaining -= 1;
            }
        }
        remaining > 0
    };
    match &pre.lowered {
        Some(lowered) => lowered.each_keyword(text.to_ascii_lowercase().as_bytes(), enable),
        None => {
            for m in pre.automaton.find_overlapping_iter(text) {
                if !enable(m.pattern().as_usize()) {
                    break;
                }
            }
        }
    }
    let mut found: Vec<Detection> = Vec::new();
    for (i, rule) in RULES.iter().enumerate().filter(|(i, _)| enabled[*i]) {
        run_rule(i, rule, text, &mut found);
    }
    found.sort_by_key(|d| (d.primary.start, d.primary.end));
    found
}

fn run_rule(i: usize, rule: &'static Rule, text: &str, found: &mut Vec<Detection>) {
    for caps in regex(i).captures_iter(text) {
        let Some(f) = (rule.validate)(text, &caps) else {
            continue;
        };
        // Earlier rules are more specific: they keep an overlapping match.
        if found
            .iter()
            .any(|d| d.secret.start < f.secret.end && f.secret.start < d.secret.end)
        {
            continue;
        }
        found.push(Detection {
            rule: rule.id,
            label: rule.label,
            primary: f.primary,
            secret: f.secret,
        });
    }
}

/// Whether a value holds a credential of a provider format the `SC`
/// policies report on their own.
pub fn known_format(value: &str) -> bool {
    !scan(value).is_empty()
}

/// The ids of every rule, for policy validation and docs.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

#[cfg(test)]
mod tests {
    use super::super::rules::fake;
    use super::*;

    fn rules_in(text: &str) -> Vec<&'static str> {
        scan(text).iter().map(|d| d.rule).collect()
    }

    #[test]
    fn lowered_search_finds_the_keywords_the_automaton_finds() {
        let pre = &*PREFILTER;
        let Some(lowered) = &pre.lowered else { return };
        for text in [
            "",
            "plain text without any",
            "SK_LIVE_AUTHTOKEN and sk_live_authtoken: two keywords overlapping",
            "xoxe.xoxb- ghp_ghO_ GITHUB_PAT_ eyJhdXRocyI6 https://u:p@h",
            "AccountKey=x;SharedAccessKey=y secret_access_keyaccess_key",
            "aizaAIZAakiaASIAabiaaccA npm_pypi-ag hooks.slack.com",
        ] {
            let mut simd = std::collections::BTreeSet::new();
            lowered.each_keyword(text.to_ascii_lowercase().as_bytes(), |k| {
                simd.insert(k);
                true
            });
            let automaton: std::collections::BTreeSet<usize> = pre
                .automaton
                .find_overlapping_iter(text)
                .map(|m| m.pattern().as_usize())
                .collect();
            assert_eq!(simd, automaton, "{text}");
        }
    }

    #[test]
    fn github_checksum_separates_real_from_fake() {
        let good = fake::github("ghp", "aWVpR0y3e8QZk5nT1cXb7LmS2dF4gH");
        assert_eq!(rules_in(&format!("token = \"{good}\"")), ["github-token"]);
        let mut bad = good.clone();
        bad.replace_range(10..11, if &good[10..11] == "A" { "B" } else { "A" });
        assert!(rules_in(&bad).is_empty());
        assert!(rules_in("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").is_empty());
    }

    #[test]
    fn aws_key_id_skips_documentation_examples() {
        assert!(rules_in("AKIAIOSFODNN7EXAMPLE").is_empty());
        assert_eq!(rules_in("key = AKIAZ7VQ2MXRTL5PK4HD"), ["aws-access-key-id"]);
    }

    #[test]
    fn private_key_needs_key_material() {
        assert!(rules_in("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----").is_empty());
        assert!(rules_in("if line == \"-----BEGIN RSA PRIVATE KEY-----\"").is_empty());
    }

    #[test]
    fn base64_pem_is_decoded() {
        assert_eq!(
            rules_in("user_data_base64 = \"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpzb21lS2V5\""),
            ["private-key-base64"]
        );
    }

    #[test]
    fn url_credentials_skip_local_and_templated() {
        assert!(rules_in("postgres://app:${DB_PASSWORD}@db.internal.corp/app").is_empty());
        assert!(rules_in("postgres://postgres:postgres@localhost/app").is_empty());
        assert!(rules_in("redis://:Zq8kP2vWx7@redis:6379").is_empty());
        assert_eq!(
            rules_in("postgres://app:Zq8kP2vWx7LmN4@db.prod.corp.net/app"),
            ["url-credentials"]
        );
    }
}
