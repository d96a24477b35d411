//! Keys split across adjacent string literals: `"lfk_sk_AbC…" + "…"`, Python/C implicit
//! concatenation `"lfk_sk_…" "…"`, and the same with the `+` or the next literal on the
//! following line.
//!
//! Runs only for rules with `join_literals = true`, only at an anchor hit whose regex found
//! nothing, and only when the candidate stops at a closing quote before the rule's
//! `max_len`. Takes the buffer and the hit; gives at most one match, spanning the first
//! literal's key start to the last literal's closing quote, whose secret is the joined key
//! (confirmed by the rule's own pattern and placeholder checks). Bounded: at most
//! [`MAX_JOINS`] joins, [`MAX_LOOKAHEAD`] bytes, one line break per join.

use regex::bytes::Regex;

use super::Match;
use super::boundary::{after_escape, is_word};
use super::encoded::Encoding;
use super::rules::Rule;

/// Literals joined after the first.
const MAX_JOINS: usize = 3;
/// Bytes looked at past the anchor hit.
const MAX_LOOKAHEAD: usize = 256;

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// The key starting at anchor hit `h` of `anchor`, joined across literals, if the rule
/// confirms the joined text.
pub(crate) fn at_anchor(
    rule_idx: usize,
    rule: &Rule,
    anchor: &str,
    data: &[u8],
    h: usize,
    out: &mut Vec<Match>,
) {
    if rule.word_start && h > 0 && is_word(data[h - 1]) && !after_escape(data, h, is_word) {
        return;
    }
    let limit = data.len().min(h.saturating_add(MAX_LOOKAHEAD));
    let data = &data[..limit];
    let Some(first_end) = body_end(data, h + anchor.len()) else { return };
    let mut joined = data[h..first_end].to_vec();
    let mut pos = first_end;
    for _ in 0..MAX_JOINS {
        if joined.len() >= rule.max_len {
            return;
        }
        let Some(open) = separator(data, pos + 1) else { return };
        let Some(end) = body_end(data, open + 1).filter(|&e| e > open + 1) else { return };
        joined.extend_from_slice(&data[open + 1..end]);
        pos = end;
        let Some(re) = rule.pattern.as_ref() else { return }; // a JWS rule has none
        if let Some(body) = confirmed(re, rule, &joined) {
            let longer = separator(data, end + 1)
                .is_some_and(|o| data.get(o + 1).is_some_and(u8::is_ascii_alphanumeric));
            if longer || rule.placeholder.as_ref().is_some_and(|p| p.rejects(&joined, body)) {
                return; // joins on to 41+ characters, or a placeholder
            }
            let decoded = Some(Box::new((Encoding::Joined, joined)));
            out.push(Match { rule: rule_idx, start: h, end, exp: None, allowed: false, decoded });
            return;
        }
    }
}

/// Where a literal's body (ASCII letters and digits) from `from` ends, if a quote ends it.
fn body_end(data: &[u8], from: usize) -> Option<usize> {
    let rest = data.get(from..)?;
    let n = rest.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    rest.get(n).filter(|&&b| is_quote(b)).map(|_| from + n)
}

/// After a closing quote at `from - 1`: `ws* (+ ws*)? (newline ws*)? (+ ws*)?` (at most
/// one `+`, something between the quotes), then an opening quote; gives its offset.
fn separator(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let (mut plus, mut newline) = (false, false);
    loop {
        match *data.get(i)? {
            b' ' | b'\t' => i += 1,
            b'+' if !plus => (plus, i) = (true, i + 1),
            b'\r' if !newline && data.get(i + 1) == Some(&b'\n') => (newline, i) = (true, i + 2),
            b'\n' if !newline => (newline, i) = (true, i + 1),
            q if is_quote(q) && i > from => return Some(i),
            _ => return None,
        }
    }
}

/// The rule's pattern matches all of `joined`: gives the placeholder's body.
fn confirmed<'a>(re: &Regex, rule: &Rule, joined: &'a [u8]) -> Option<&'a [u8]> {
    let caps = re.captures(joined)?;
    let m = caps.get(0)?;
    if m.start() != 0 || m.end() != joined.len() {
        return None;
    }
    let body = match rule.placeholder.as_ref().and_then(|p| p.group.as_deref()) {
        Some("body") => caps.name("body").map_or(m.as_bytes(), |b| b.as_bytes()),
        _ => m.as_bytes(),
    };
    Some(body)
}

#[cfg(test)]
#[path = "joined_tests.rs"]
mod tests;
