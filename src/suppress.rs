//! The suppress stage: which findings are not reported, and why.
//!
//! Takes the sorted findings and the settings that hide some (disabled rules, inline allow
//! markers, the config file's path allowlist, the `--baseline`); gives the reported
//! findings and the suppressed ones, each with its one [`Suppression`]. Every report counts
//! the suppressed by reason; the HTML report lists them with their status; `--range` and
//! `--staged` show the marker-suppressed ones to the reviewer.

use crate::baseline::Baseline;
use crate::config::file::PathAllowlist;
use crate::finding::Finding;

/// Why a finding is not reported. Closed set, in the order the checks apply: the first
/// that holds is the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Suppression {
    /// Its rule is disabled by the config file (`disable = [...]`).
    DisabledRule,
    /// An allow marker on its line (`loftyscan:allow`, `gitleaks:allow`, ...).
    Marker,
    /// A path the config file's allowlist names.
    Path,
    /// Listed in the `--baseline` file.
    Baseline,
}

#[derive(Clone, Debug)]
pub(crate) struct Suppressed {
    pub finding: Finding,
    pub why: Suppression,
}

/// What hides findings in this run.
pub(crate) struct Settings<'a> {
    /// Ids of the rules the config file disables.
    pub disabled: &'a [String],
    pub paths: &'a PathAllowlist,
    /// `--baseline`: remembers which of its entries matched.
    pub baseline: Option<&'a mut Baseline>,
}

/// The stage's result; both lists keep the input's (report) order.
pub(crate) struct Sorted {
    pub reported: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
}

impl Sorted {
    /// The suppressed findings hidden for `why`.
    pub(crate) fn by(&self, why: Suppression) -> impl Iterator<Item = &Finding> + Clone {
        self.suppressed.iter().filter(move |s| s.why == why).map(|s| &s.finding)
    }

    /// What `--baseline-out` lists: every finding the settings other than the baseline
    /// leave (the reported and the baselined).
    pub(crate) fn baseline_candidates(&self) -> impl Iterator<Item = &Finding> {
        self.reported.iter().chain(self.by(Suppression::Baseline))
    }
}

/// Give each finding its [`Suppression`], if one holds.
pub(crate) fn suppress(findings: Vec<Finding>, mut by: Settings) -> Sorted {
    let mut sorted = Sorted { reported: Vec::new(), suppressed: Vec::new() };
    for finding in findings {
        let why = if by.disabled.contains(&finding.rule.id) {
            Some(Suppression::DisabledRule)
        } else if finding.allowed {
            Some(Suppression::Marker)
        } else if by.paths.matches(&finding.location.path.lossy()) {
            Some(Suppression::Path)
        } else if by.baseline.as_mut().is_some_and(|b| b.lists(&finding)) {
            Some(Suppression::Baseline)
        } else {
            None
        };
        match why {
            Some(why) => sorted.suppressed.push(Suppressed { finding, why }),
            None => sorted.reported.push(finding),
        }
    }
    sorted
}
