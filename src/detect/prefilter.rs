//! The literal prefilter: every occurrence of every rule's anchors in one pass.
//!
//! Takes the anchors (`lfk_sk_`, `eyJ`, ...); gives each occurrence (anchor, position) in
//! position order, overlapping ones included. The search is leftmost-first with the
//! packed SIMD searcher (Teddy, as ripgrep uses for a few literals) where the CPU has it,
//! else an Aho-Corasick automaton; it restarts one byte after each hit and checks every
//! anchor at the hit, so no occurrence is missed.

use std::ops::Range;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span};
use anyhow::Result;

#[derive(Debug)]
enum Engine {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

#[derive(Debug)]
pub struct Prefilter {
    engine: Engine,
    patterns: Vec<Vec<u8>>,
}

impl Prefilter {
    pub fn new(patterns: &[&str]) -> Result<Self> {
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build()
            .filter(|_| !patterns.is_empty());
        let engine = match packed {
            Some(s) => Engine::Packed(s),
            None => Engine::Automaton(
                AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(patterns)?,
            ),
        };
        Ok(Prefilter { engine, patterns: patterns.iter().map(|p| p.as_bytes().to_vec()).collect() })
    }

    fn find(&self, hay: &[u8], at: usize) -> Option<usize> {
        match &self.engine {
            Engine::Packed(s) => s.find_in(hay, Span::from(at..hay.len())).map(|m| m.start()),
            Engine::Automaton(ac) => ac.find(Input::new(hay).range(at..hay.len())).map(|m| m.start()),
        }
    }

    /// `each(anchor index, start)` for every anchor occurrence starting in `range` and
    /// ending within `hay[..range.end]`.
    pub fn for_each(&self, hay: &[u8], range: Range<usize>, mut each: impl FnMut(usize, usize)) {
        let hay = &hay[..range.end];
        let mut at = range.start;
        while at < hay.len() {
            let Some(p) = self.find(hay, at) else { return };
            for (k, pat) in self.patterns.iter().enumerate() {
                if hay[p..].starts_with(pat) {
                    each(k, p);
                }
            }
            at = p + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(patterns: &[&str], hay: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        Prefilter::new(patterns).unwrap().for_each(hay.as_bytes(), 0..hay.len(), |k, p| out.push((k, p)));
        out
    }

    #[test]
    fn finds_overlapping_and_nested_anchors() {
        assert_eq!(all(&["eyJ", "lfk_sk_"], "a eyJ lfk_sk_x eyJ"), [(0, 2), (1, 6), (0, 15)]);
        assert_eq!(all(&["aa"], "aaaa"), [(0, 0), (0, 1), (0, 2)]);
        assert_eq!(all(&["eyJ", "eyJhbG"], "eyJhbGci"), [(0, 0), (1, 0)]);
        assert_eq!(all(&["abc", "bcd"], "abcd"), [(0, 0), (1, 1)]);
        assert_eq!(all(&["eyJ"], "eyJ"), [(0, 0)]);
        assert!(all(&["eyJ"], "ey").is_empty());
    }
}
