//! Rule self-checks: every example of a rule is reported under it, no negative is.
//!
//! Takes a detector; gives an error naming the rule file, the rule and the failing
//! example's number (never its text).

use anyhow::{Result, bail};

use super::{Detector, stream};

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
                    bail!("{}: rule `{id}`: example {} is not reported by the rule", rule.source, n + 1);
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
