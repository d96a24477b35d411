//! Detection: prefilter, then confirm. Content only; where it came from is the source's business.
//!
//! Takes compiled rules and a buffer with the byte range this call owns; gives [`Match`]es
//! (rule, byte range, `exp`, allow marker) in that range, sorted, one per span. One
//! Aho-Corasick pass over the buffer finds every rule's literal anchors (`lfk_sk_`, `eyJ`);
//! regexes and decoding run only at those hits (Nosey Parker's prefilter-then-confirm).
//! The same pass finds the anchors' encoded forms (base64, escapes, UTF-16); at such a hit
//! a bounded window is decoded and scanned again, and what it holds is reported at the
//! encoded span with the decoded secret.

pub(crate) mod allow;
pub(crate) mod archive;
pub(crate) mod boundary;
pub(crate) mod container;
pub(crate) mod context;
pub(crate) mod demo;
pub(crate) mod encoded;
mod examples;
pub(crate) mod joined;
pub mod jws;
pub(crate) mod limits;
pub(crate) mod names;
pub(crate) mod placeholder;
pub(crate) mod prefilter;
pub mod rules;
pub mod stream;
#[cfg(test)]
pub(crate) mod testgen;
pub(crate) mod token;
pub(crate) mod words;

use std::ops::Range;

use anyhow::{Result, bail};

use allow::AllowMarkers;
use encoded::{Derived, Encoding};
use rules::{Kind, Rule};

/// A confirmed secret in a buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in [`Detector::rules`].
    pub rule: usize,
    /// Byte offset of the secret's first byte in the buffer.
    pub start: usize,
    /// Byte offset just past the secret.
    pub end: usize,
    /// A JWS's `exp` claim, seconds since the epoch (`None`: no claim, or not a JWS).
    pub exp: Option<i64>,
    /// An allow marker (`loftyscan:allow`, ...) is on the secret's line.
    pub allowed: bool,
    /// Found inside an encoding: which, and the decoded secret (`start..end` is the
    /// encoded span).
    pub decoded: Option<Box<(Encoding, Vec<u8>)>>,
}

/// Per-thread scratch space, reused from buffer to buffer.
#[derive(Default)]
pub struct Scratch {
    decode: Vec<u8>,
    skip_until: Vec<usize>,
    /// Per encoding: outer bytes already decoded by an earlier hit.
    enc_skip: [usize; 8],
    /// Encoded forms found nested deeper than [`MAX_NESTING`] and not decoded (the
    /// stream scanner turns a non-zero count into a counted warning).
    pub nesting_capped: u64,
    /// Encoded forms too large to decode (a Helm release past its caps); also a warning.
    pub size_capped: u64,
}

/// Encodings inside encodings are followed this deep (base64 of a JSON-escaped key).
const MAX_NESTING: usize = 2;
/// Decoded context kept before an encoded secret (for Lofty signs).
const ENCODED_CONTEXT: usize = 256;

/// The compiled rule set: one prefilter over every rule's literal anchors (and their
/// encoded forms), then each rule's confirmation at the anchors found.
#[derive(Debug)]
pub struct Detector {
    /// The rules in priority order (built-in, then the config file's); indices are stable.
    pub rules: Vec<Rule>,
    anchors: prefilter::Prefilter,
    /// For each anchor pattern: the jws rules (priority order) and the regex rules using it.
    by_anchor: Vec<(Vec<usize>, Vec<usize>)>,
    /// Prefilter patterns past `by_anchor.len()`: the anchors' encoded forms.
    derived: Vec<Derived>,
    unanchored: Vec<usize>,
    allow: AllowMarkers,
}

impl Detector {
    /// Build the prefilter over `rules`' anchors and their encoded forms; errors for a rule
    /// id defined twice (naming the rule's source) or an anchor set the prefilter refuses.
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
        let long: Vec<&str> = rules.iter().flat_map(|r| r.long_anchors.iter().map(String::as_str)).collect();
        let derived = encoded::derive(&patterns, &long);
        let texts: Vec<String> =
            derived.iter().map(|d| String::from_utf8_lossy(&d.text).into_owned()).collect();
        let mut all: Vec<&str> = patterns.clone();
        all.extend(texts.iter().map(String::as_str));
        let anchors = prefilter::Prefilter::new(&all)?;
        Ok(Detector { rules, anchors, by_anchor, derived, unanchored, allow: AllowMarkers::new() })
    }

    /// Every confirmed secret starting in `own` (the rest of `data` is context).
    pub fn scan(&self, data: &[u8], own: Range<usize>, sc: &mut Scratch, out: &mut Vec<Match>) {
        self.scan_depth(data, own, 0, sc, out);
    }

    fn scan_depth(
        &self,
        data: &[u8],
        own: Range<usize>,
        depth: usize,
        sc: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        let first = out.len();
        sc.skip_until.clear();
        sc.skip_until.resize(self.rules.len(), 0);
        sc.enc_skip = [0; 8];
        let max_back = self.rules.iter().map(|r| r.max_len).max().unwrap_or(0);
        let hay_end = data.len().min(own.end.saturating_add(max_back));
        let hay_start = own.start.min(hay_end);
        self.anchors.for_each(data, hay_start..hay_end, |k, h| {
            if let Some(d) = k.checked_sub(self.by_anchor.len()).map(|i| &self.derived[i]) {
                let skip = &mut sc.enc_skip[d.kind as usize];
                // UTF-16 code units start at even offsets from the content's start (chunk
                // bases are even); read one byte off, BE text is also valid LE text.
                let misaligned = matches!(d.kind, Encoding::Utf16le | Encoding::Utf16be)
                    && h.wrapping_sub(own.start) % 2 == 1;
                if h >= *skip && h < own.end && !misaligned {
                    if depth < MAX_NESTING {
                        let capped = (&mut sc.nesting_capped, &mut sc.size_capped);
                        self.encoded_at(d, data, h, &own, depth, skip, capped, out);
                    } else {
                        sc.nesting_capped += 1;
                        *skip = h + d.text.len();
                    }
                }
                return;
            }
            let (jws_rules, regex_rules) = &self.by_anchor[k];
            if !jws_rules.is_empty() && own.contains(&h) {
                self.jws_at(jws_rules, data, h, &mut sc.decode, out);
            }
            for &r in regex_rules {
                let skip = &mut sc.skip_until[r];
                let (rule, before) = (&self.rules[r], out.len());
                token::at_anchor(r, rule, data, h, &own, skip, out);
                if rule.join_literals && out.len() == before && own.contains(&h) {
                    self.joined_at(r, data, h, out);
                }
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
        for (i, &r) in rules.iter().enumerate() {
            let rule = &self.rules[r];
            if secret.len() > rule.max_len {
                continue;
            }
            if let Some(sign) = &rule.sign
                && !sign.in_token(&tok)
                && !sign.in_context(data, c.start, c.end)
            {
                continue;
            }
            // Only now, for a token some rule takes: a known example (under any rule
            // tried so far) is no key at all.
            if self.placeholder_rejects(&rules[..=i], secret) {
                return;
            }
            out.push(Match {
                rule: r,
                start: c.start,
                end: c.end,
                exp: tok.exp,
                allowed: false,
                decoded: None,
            });
            return;
        }
    }

    /// Anchor hit `h` of rule `r` found nothing: the key split across string literals.
    fn joined_at(&self, r: usize, data: &[u8], h: usize, out: &mut Vec<Match>) {
        let rule = &self.rules[r];
        if let Some(a) = rule.anchors.iter().find(|a| data[h..].starts_with(a.as_bytes())) {
            joined::at_anchor(r, rule, a, data, h, out);
        }
    }

    /// Does a distinct placeholder of `rules` (those `secret` fits) reject it?
    fn placeholder_rejects(&self, rules: &[usize], secret: &[u8]) -> bool {
        let mut checked: Option<&placeholder::Placeholder> = None;
        for &r in rules {
            let rule = &self.rules[r];
            if secret.len() > rule.max_len {
                continue;
            }
            if let Some(p) = &rule.placeholder
                && checked != Some(p)
            {
                if p.rejects(secret, secret) {
                    return true;
                }
                checked = Some(p);
            }
        }
        false
    }

    /// Decode around encoded anchor hit `h`, scan the decoded text, and report what it
    /// holds at its encoded span (when that starts in `own`).
    #[allow(clippy::too_many_arguments)]
    fn encoded_at(
        &self,
        d: &Derived,
        data: &[u8],
        h: usize,
        own: &Range<usize>,
        depth: usize,
        skip: &mut usize,
        (nesting, size): (&mut u64, &mut u64),
        out: &mut Vec<Match>,
    ) {
        let Some(dec) = encoded::decode_at(d, data, h, ENCODED_CONTEXT, size) else { return };
        *skip = dec.consumed_until;
        let (mut sc, mut inner) = (Scratch::default(), Vec::new());
        self.scan_depth(&dec.bytes, dec.own.clone(), depth + 1, &mut sc, &mut inner);
        *nesting += sc.nesting_capped;
        *size += sc.size_capped;
        for m in inner {
            let (start, end) = dec.outer(m.start, m.end);
            if own.contains(&start) {
                let secret = m.decoded.map_or_else(|| dec.bytes[m.start..m.end].to_vec(), |b| b.1);
                let decoded = Some(Box::new((dec.kind, secret)));
                out.push(Match { rule: m.rule, start, end, exp: m.exp, allowed: false, decoded });
            }
        }
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
