//! What the metric-and-alert checks (CloudTrail metric filter alarms, GCP
//! logs-based metric alerts) conclude for one control from the candidates
//! they found, so that both judge, and leave alone, the same configurations.

/// The first candidate of each kind a check found for one control.
pub(crate) struct Candidates<'a, F> {
    /// May cover the control and be watched: not known.
    pub unknown: Option<&'a F>,
    /// Covers the control, but nothing watches it.
    pub unwatched: Option<&'a F>,
    /// Covers the control but is switched off.
    pub switched_off: Option<&'a F>,
    /// Meant for the control, but misses some of it (and how).
    pub flawed: Option<(&'a F, String)>,
}

pub(crate) enum Verdict<'a, F> {
    Unknown(&'a F),
    Unwatched(&'a F),
    SwitchedOff(&'a F),
    Flawed(&'a F, String),
    /// Nothing in the configuration is meant for the control.
    Missing,
}

impl<'a, F> Candidates<'a, F> {
    /// The verdict, or `None` when the configuration is not judged: with no
    /// alarm or alert at all (`any_watcher` false), its filters are building
    /// blocks whose alerts are made elsewhere, unless one meant for the
    /// control is flawed.
    pub fn verdict(self, any_watcher: bool) -> Option<Verdict<'a, F>> {
        if let Some(f) = self.unknown {
            return Some(Verdict::Unknown(f));
        }
        if let Some(f) = self.unwatched {
            return any_watcher.then_some(Verdict::Unwatched(f));
        }
        if let Some(f) = self.switched_off {
            return any_watcher.then_some(Verdict::SwitchedOff(f));
        }
        if let Some((f, flaw)) = self.flawed {
            return Some(Verdict::Flawed(f, flaw));
        }
        any_watcher.then_some(Verdict::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none<'a>() -> Candidates<'a, u8> {
        Candidates {
            unknown: None,
            unwatched: None,
            switched_off: None,
            flawed: None,
        }
    }

    #[test]
    fn without_any_alert_only_a_flawed_filter_is_judged() {
        assert!(none().verdict(false).is_none());
        let unwatched = Candidates {
            unwatched: Some(&1),
            ..none()
        };
        assert!(unwatched.verdict(false).is_none());
        let flawed = Candidates {
            flawed: Some((&1, "misses".into())),
            ..none()
        };
        assert!(matches!(flawed.verdict(false), Some(Verdict::Flawed(1, _))));
        let unknown = Candidates {
            unknown: Some(&2),
            ..none()
        };
        assert!(matches!(unknown.verdict(false), Some(Verdict::Unknown(2))));
    }

    #[test]
    fn the_most_telling_candidate_wins() {
        let all = Candidates {
            unknown: None,
            unwatched: Some(&1),
            switched_off: Some(&2),
            flawed: Some((&3, "misses".into())),
        };
        assert!(matches!(all.verdict(true), Some(Verdict::Unwatched(1))));
        assert!(matches!(none().verdict(true), Some(Verdict::Missing)));
    }
}
