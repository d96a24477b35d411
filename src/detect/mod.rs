//! Detection: prefilter, then confirm. Content only; where it came from is the source's business.
//!
//! Takes compiled rules and a buffer with the byte range this call owns; gives [`Match`]es
//! (rule, byte range, `exp`, allow marker) in that range, sorted, one per span. One
//! Aho-Corasick pass over the buffer finds every rule's literal anchors (`lfk_sk_`, `eyJ`);
//! regexes and decoding run only at those hits (Nosey Parker's prefilter-then-confirm).

pub mod allow;
pub mod jws;
pub mod placeholder;
pub mod prefilter;
pub mod rules;
pub mod stream;
#[cfg(test)]
pub mod testgen;
pub mod token;

use std::ops::Range;

use anyhow::{Result, bail};

use allow::AllowMarkers;
use rules::{Kind, Rule};

/// A confirmed secret in a buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub exp: Option<i64>,
    pub allowed: bool,
}

/// Per-thread scratch space, reused from buffer to buffer.
#[derive(Default)]
pub struct Scratch {
    decode: Vec<u8>,
    skip_until: Vec<usize>,
}

#[derive(Debug)]
pub struct Detector {
    pub rules: Vec<Rule>,
    anchors: prefilter::Prefilter,
    /// For each anchor pattern: the jws rules (priority order) and the regex rules using it.
    by_anchor: Vec<(Vec<usize>, Vec<usize>)>,
    unanchored: Vec<usize>,
    allow: AllowMarkers,
}

impl Detector {
    pub fn new(rules: Vec<Rule>) -> Result<Self> {
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            if !seen.insert(r.info.id.clone()) {
                bail!("rule id `{}` is defined twice (second in {})", r.info.id, r.source);
            }
        }
        let mut patterns: Vec<&str> = Vec::new();
        let mut by_anchor: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        let mut unanchored = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if r.anchors.is_empty() {
                unanchored.push(i);
            }
            for a in &r.anchors {
                let k = patterns.iter().position(|p| p == a).unwrap_or_else(|| {
                    patterns.push(a);
                    by_anchor.push((Vec::new(), Vec::new()));
                    patterns.len() - 1
                });
                match r.kind {
                    Kind::Jws => by_anchor[k].0.push(i),
                    Kind::Regex => by_anchor[k].1.push(i),
                }
            }
        }
        for (jws, _) in &mut by_anchor {
            jws.sort_by_key(|&i| std::cmp::Reverse(rules[i].priority));
        }
        let anchors = prefilter::Prefilter::new(&patterns)?;
        Ok(Detector { rules, anchors, by_anchor, unanchored, allow: AllowMarkers::new() })
    }

    /// Every confirmed secret starting in `own` (the rest of `data` is context).
    pub fn scan(&self, data: &[u8], own: Range<usize>, sc: &mut Scratch, out: &mut Vec<Match>) {
        let first = out.len();
        sc.skip_until.clear();
        sc.skip_until.resize(self.rules.len(), 0);
        let max_back = self.rules.iter().map(|r| r.max_len).max().unwrap_or(0);
        let hay_end = data.len().min(own.end.saturating_add(max_back));
        let hay_start = own.start.min(hay_end);
        self.anchors.for_each(data, hay_start..hay_end, |k, h| {
            let (jws_rules, regex_rules) = &self.by_anchor[k];
            if !jws_rules.is_empty() && own.contains(&h) {
                self.jws_at(jws_rules, data, h, &mut sc.decode, out);
            }
            for &r in regex_rules {
                let skip = &mut sc.skip_until[r];
                token::at_anchor(r, &self.rules[r], data, h, &own, skip, out);
            }
        });
        for &r in &self.unanchored {
            token::everywhere(r, &self.rules[r], data, &own, out);
        }
        let found = &mut out[first..];
        found.sort_by_key(|m| (m.start, m.end, std::cmp::Reverse(self.rules[m.rule].priority)));
        dedup_spans(out, first);
        for m in &mut out[first..] {
            m.allowed = self.allow.on_line(data, m.start, m.end);
        }
    }

    /// The JWS starting at `h`, reported under the first rule (by priority) that accepts it.
    fn jws_at(&self, rules: &[usize], data: &[u8], h: usize, decode: &mut Vec<u8>, out: &mut Vec<Match>) {
        let max_len = rules.iter().map(|&r| self.rules[r].max_len).max().unwrap_or(0);
        let Some(c) = jws::candidate(data, h, max_len) else {
            return;
        };
        let Some(tok) = jws::decode(data, &c, decode) else {
            return;
        };
        let secret = &data[c.start..c.end];
        for &r in rules {
            let rule = &self.rules[r];
            if secret.len() > rule.max_len {
                continue;
            }
            if rule.placeholder.as_ref().is_some_and(|p| p.rejects(secret, secret)) {
                return; // a known example is no key under any rule
            }
            if let Some(sign) = &rule.sign
                && !sign.in_token(&tok)
                && !sign.in_context(data, c.start)
            {
                continue;
            }
            out.push(Match { rule: r, start: c.start, end: c.end, exp: tok.exp, allowed: false });
            return;
        }
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

/// Keep one match per span (the first after sorting: highest priority).
fn dedup_spans(out: &mut Vec<Match>, first: usize) {
    let mut keep = first;
    for i in first..out.len() {
        if keep > first && out[keep - 1].start == out[i].start && out[keep - 1].end == out[i].end {
            continue;
        }
        out.swap(keep, i);
        keep += 1;
    }
    out.truncate(keep);
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;
