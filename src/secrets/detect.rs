//! One pass over a file's text: an Aho-Corasick automaton of every rule's
//! keywords finds which rules can match at all, and only those rules' regexes
//! run (each compiled once, on first use).

use std::cell::RefCell;
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

/// The keywords, lowered, for a SIMD search of where one may start.
///
/// The searcher looks for *triggers*, not keywords: the keywords that share
/// their first three bytes share one trigger, their longest common prefix
/// (`secret` for the five `secret…key` spellings). Fewer than the ~50
/// keywords, so Teddy has fewer patterns per bucket to verify, and a trigger
/// longer than three bytes (`service_account`) is verified whole by the
/// searcher, so that the frequent `service`, `private`, `github` do not stop
/// it. Every trigger is at least three bytes and no two share their first
/// three, so at most one matches at any offset: where it does, each keyword
/// it stands for is tried.
struct Lowered {
    searcher: aho_corasick::packed::Searcher,
    keywords: Vec<Vec<u8>>,
    /// For each trigger (pattern id), the keywords that start with it.
    of_trigger: Vec<Vec<usize>>,
    /// The longest keyword's length: consecutive chunks overlap by one byte
    /// less, so that every keyword occurrence lies whole in one chunk.
    longest: usize,
}

/// The text is lowered and searched in chunks of this size, in one buffer
/// per thread, rather than as one lowered copy as large as the file.
const CHUNK: usize = 4096;

/// Teddy's buckets: the triggers (by their first three bytes) that share
/// one. A position is verified when its three bytes fit the nybbles of some
/// bucket's triggers, so triggers alike (`ghp`, `ghu`, `ghs`) or rare in
/// infrastructure code belong together and frequent ones (`ser`, `acc`,
/// `sec`, `://`) with rare ones. The grouping was chosen by a local search
/// over the trigram counts of the benchmark corpus (secret detection alone
/// over it: 294 M instructions with the triggers in rule order, 240 M so);
/// it only affects speed, never what is found. The
/// searcher (aho-corasick 1.1, fat Teddy, 16 buckets) puts patterns `i`,
/// `i + 16`, `i + 32` in one bucket, so the groups are given to it round by
/// round, the groups of three first. Triggers not listed go last.
const BUCKET_MATES: &[&[&str]] = &[
    &["glc", "glf", "npm"],
    &["gls", "ghr", "glr"],
    &["ghp", "ghu", "ghs"],
    &["xox", "abi", "aki"],
    &["gla", "gld", "gli"],
    &["ls0", "xap", "glp"],
    &["aut", "://"],
    &["sha", "ser"],
    &["eyj", "asi"],
    &["sk_", "rk_"],
    &["glo", "gho"],
    &["gr1", "git"],
    &["sto", "sec"],
    &["aiz", "_au"],
    &["pyp", "pri"],
    &["acc", "hoo"],
];

impl Lowered {
    fn new(keywords: &[&str]) -> Option<Lowered> {
        let keywords: Vec<Vec<u8>> = keywords.iter().map(|k| k.to_ascii_lowercase().into_bytes()).collect();
        let longest = keywords.iter().map(Vec::len).max().unwrap_or(0);
        // Short keywords would make the searcher's masks shorter (slower)
        // and could let two triggers match at one offset.
        if keywords.iter().any(|k| k.len() < 3) || longest >= CHUNK {
            return None;
        }
        let mut triggers: Vec<Vec<u8>> = Vec::new();
        for k in &keywords {
            match triggers.iter_mut().find(|t| t[..3] == k[..3]) {
                Some(t) => {
                    let common = t.iter().zip(k).take_while(|(a, b)| a == b).count();
                    t.truncate(common);
                }
                None => triggers.push(k.clone()),
            }
        }
        let rank = |t: &[u8]| {
            let rounds = (0..3).flat_map(|round| BUCKET_MATES.iter().filter_map(move |g| g.get(round)));
            rounds
                .enumerate()
                .find(|(_, p)| p.as_bytes() == &t[..3])
                .map_or(usize::MAX, |(i, _)| i)
        };
        triggers.sort_by_key(|t| rank(t));
        let searcher = aho_corasick::packed::Config::new()
            .builder()
            .extend(&triggers)
            .build()?;
        let of_trigger = triggers
            .iter()
            .map(|t| (0..keywords.len()).filter(|&k| keywords[k].starts_with(t)).collect())
            .collect();
        Some(Lowered {
            searcher,
            keywords,
            of_trigger,
            longest,
        })
    }

    /// Calls `found` with every keyword that occurs in `text` (any case)
    /// and where it starts, once per occurrence, until it returns false. The
    /// searcher reports the leftmost trigger only; searching again one byte
    /// after its start visits every offset where a trigger starts, and
    /// there every keyword of the trigger is tried: no occurrence is missed,
    /// overlapping ones included. Each chunk reports the occurrences that
    /// start before the next chunk does, and holds them whole.
    fn each_keyword(&self, text: &[u8], mut found: impl FnMut(usize, usize) -> bool) {
        thread_local! {
            static LOWERED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        LOWERED.with_borrow_mut(|chunk| {
            let step = CHUNK - (self.longest - 1);
            let mut start = 0;
            loop {
                let end = text.len().min(start + CHUNK);
                chunk.clear();
                chunk.extend_from_slice(&text[start..end]);
                chunk.make_ascii_lowercase();
                let last = end == text.len();
                let owned = if last { chunk.len() } else { step };
                let mut at = 0;
                while let Some(m) = self
                    .searcher
                    .find_in(&chunk[..], aho_corasick::Span::from(at..chunk.len()))
                {
                    if m.start() >= owned {
                        break;
                    }
                    let rest = &chunk[m.start()..];
                    for &k in &self.of_trigger[m.pattern().as_usize()] {
                        if rest.starts_with(&self.keywords[k]) && !found(k, start + m.start()) {
                            return;
                        }
                    }
                    at = m.start() + 1;
                }
                if last {
                    return;
                }
                start += step;
            }
        });
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
        Some(lowered) => lowered.each_keyword(text.as_bytes(), |k, _| enable(k)),
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

    /// Every (keyword, start) the chunked SIMD search reports, in order.
    fn simd_occurrences(lowered: &Lowered, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        lowered.each_keyword(text.as_bytes(), |k, at| {
            out.push((k, at));
            true
        });
        out
    }

    fn automaton_occurrences(text: &str) -> Vec<(usize, usize)> {
        PREFILTER
            .automaton
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect()
    }

    fn assert_same_occurrences(lowered: &Lowered, text: &str) {
        let mut simd = simd_occurrences(lowered, text);
        let mut automaton = automaton_occurrences(text);
        simd.sort_unstable();
        automaton.sort_unstable();
        assert_eq!(simd, automaton, "{}", text.trim_matches('.'));
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
            "secretsecret_keysecretkeySECRET-ACCESS-KEY servicE_AccounT",
        ] {
            assert_same_occurrences(lowered, text);
        }
    }

    #[test]
    fn lowered_search_finds_keywords_across_chunk_borders() {
        let pre = &*PREFILTER;
        let Some(lowered) = &pre.lowered else { return };
        let step = CHUNK - (lowered.longest - 1);
        let keywords: Vec<String> = lowered
            .keywords
            .iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        // Each keyword, lower and upper case, starting at every offset
        // around the first and the second chunk border, and ending at the
        // end of the text.
        for k in &keywords {
            for word in [k.clone(), k.to_ascii_uppercase()] {
                for border in [step, 2 * step] {
                    for at in border - lowered.longest - 2..border + 2 {
                        assert_same_occurrences(lowered, &format!("{}{word}{}", ".".repeat(at), ".".repeat(7)));
                    }
                }
                for len in [CHUNK - 1, CHUNK, CHUNK + 1, step + word.len()] {
                    assert_same_occurrences(lowered, &format!("{}{word}", ".".repeat(len - word.len())));
                }
            }
        }
        // Keywords back to back, overlapping ones included, in mixed case,
        // over several chunks at every phase.
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 4 * CHUNK {
            let k = &keywords[i % keywords.len()];
            text.push_str(&if i % 3 == 0 { k.to_ascii_uppercase() } else { k.clone() });
            if i % 5 == 0 {
                text.push('.');
            }
            i += 1;
        }
        for skip in 0..lowered.longest {
            assert_same_occurrences(lowered, &text[skip..]);
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
