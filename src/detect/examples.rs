//! Rule self-checks: every example of a rule is reported under it, no negative is.
//!
//! Takes a detector; gives an error naming the rule file, the rule and the failing
//! example's number (never its text).

use anyhow::{Result, bail};

use super::rules::Rule;
use super::{Detector, stream};

/// Why an example is not reported, as far as can be told without quoting it.
fn why_not(rule: &Rule, example: &str) -> &'static str {
    match &rule.pattern {
        Some(re) if !re.is_match(example.as_bytes()) => "the pattern does not match it",
        Some(_) if rule.placeholder.is_some() => {
            "it matches the pattern, so it is rejected as a placeholder: it is in [rules.placeholder] \
             `known`, holds one of its `words`, or fails min_entropy/max_sequential/max_run/max_period"
        }
        Some(_) => "it matches the pattern, but no anchor is found there, or it is longer than max_len",
        None => "it does not decode as a token this rule accepts (see [rules.sign])",
    }
}

impl Detector {
    /// Each selected rule's `examples` must be reported under it and its `negatives` must
    /// not be; `user_only` checks only `--rules` files (the built-ins are checked by tests).
    pub fn check_examples(&self, user_only: bool) -> Result<()> {
        let mut sc = stream::StreamScratch::default();
        for (i, rule) in self.rules.iter().enumerate() {
            if user_only && rule.builtin {
                continue;
            }
            let fires = |text: &str, sc: &mut stream::StreamScratch| {
                let mut hits = Vec::new();
                stream::scan_bytes(self, text.as_bytes(), sc, &mut hits);
                hits.iter().any(|h| h.rule == i && !h.allowed)
            };
            let id = &rule.info.id;
            for (n, ex) in rule.examples.iter().enumerate() {
                if !fires(ex, &mut sc) {
                    let why = why_not(rule, ex);
                    bail!(
                        "{}: rule `{id}`: example {} is not reported by the rule: {why}",
                        rule.source,
                        n + 1
                    );
                }
            }
            for (n, neg) in rule.negatives.iter().enumerate() {
                if fires(neg, &mut sc) {
                    bail!("{}: rule `{id}`: negative {} is reported by the rule", rule.source, n + 1);
                }
            }
        }
        Ok(())
    }
}
