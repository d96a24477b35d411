//! Regex rules (`kind = "regex"`, e.g. `lfk-secret-key`): the pattern run in a window
//! around each anchor hit, then the placeholder checks on the captured body.
//!
//! Takes a rule, the buffer, a hit position and the owned range; gives at most one match
//! per window. Work per hit is bounded by the rule's `max_len`, so dense anchors stay
//! linear. Rules without anchors run over the whole owned range instead.

use std::ops::Range;

use regex::bytes::{Captures, Regex};

use super::Match;
use super::boundary::{after_escape, is_word};
use super::rules::Rule;

/// The pattern around anchor hit `h`: a match containing `h`, starting in `own`.
pub(crate) fn at_anchor(
    rule_idx: usize,
    rule: &Rule,
    data: &[u8],
    h: usize,
    own: &Range<usize>,
    skip_until: &mut usize,
    out: &mut Vec<Match>,
) {
    if h < *skip_until {
        return;
    }
    let re = rule.pattern.as_ref().expect("regex rules have a pattern");
    let wend = data.len().min(h + rule.max_len + 1);
    let mut pos = h.saturating_sub(rule.max_len);
    while pos <= h {
        let Some(caps) = re.captures_at(&data[..wend], pos) else {
            return;
        };
        let m = caps.get(0).expect("group 0 always matches");
        if m.start() > h {
            return;
        }
        pos = m.end().max(m.start() + 1);
        if m.end() <= h || m.len() > rule.max_len {
            continue;
        }
        *skip_until = m.end();
        confirm(rule_idx, rule, data, &caps, own, out);
        return;
    }
}

/// Rules with no anchors: every match whose start is in `own`.
pub(crate) fn everywhere(
    rule_idx: usize,
    rule: &Rule,
    data: &[u8],
    own: &Range<usize>,
    out: &mut Vec<Match>,
) {
    let re: &Regex = rule.pattern.as_ref().expect("regex rules have a pattern");
    let hay = &data[..data.len().min(own.end + rule.max_len)];
    let mut pos = own.start.saturating_sub(rule.max_len);
    while pos < own.end {
        let Some(caps) = re.captures_at(hay, pos) else {
            return;
        };
        let m = caps.get(0).expect("group 0 always matches");
        pos = m.end().max(m.start() + 1);
        if m.len() <= rule.max_len {
            confirm(rule_idx, rule, data, &caps, own, out);
        }
    }
}

fn confirm(
    rule_idx: usize,
    rule: &Rule,
    data: &[u8],
    caps: &Captures,
    own: &Range<usize>,
    out: &mut Vec<Match>,
) {
    let secret = caps.name("secret").unwrap_or_else(|| caps.get(0).expect("group 0"));
    if !own.contains(&secret.start()) || secret.is_empty() {
        return;
    }
    let s = secret.start();
    if rule.word_start && s > 0 && is_word(data[s - 1]) && !after_escape(data, s, is_word) {
        return; // part of a longer token
    }
    if let Some(p) = &rule.placeholder {
        let body = match p.group.as_deref() {
            Some("body") => caps.name("body").map_or(secret.as_bytes(), |b| b.as_bytes()),
            _ => secret.as_bytes(),
        };
        if p.rejects(secret.as_bytes(), body) {
            return;
        }
    }
    out.push(Match {
        rule: rule_idx,
        start: secret.start(),
        end: secret.end(),
        exp: None,
        allowed: false,
        decoded: None,
    });
}
