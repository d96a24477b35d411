//! The literal prefilter: every occurrence of every rule's anchors in one pass.
//!
//! Takes the anchors (`lfk_sk_`, `eyJ`, their encoded forms, ...); gives each occurrence
//! (anchor, position) in position order, overlapping ones included. The search does not
//! look for the anchors themselves but for a few short *triggers*, each a piece of one or
//! more anchors (`eyA` for `eyAi`, `lfk` for `lfk_sk_` and its escaped forms, `e\0y` for
//! the UTF-16 forms of `eyJ` in both byte orders); at a trigger hit the anchors it stands
//! for are compared in full. The triggers of the built-in anchors and their order come
//! from [`PLAN`], chosen (by hand, measured on the bench tree) so the packed SIMD searcher (Teddy,
//! as ripgrep uses for a few literals) rarely stops in ordinary text: its cost grows
//! with how often a trigger's first three bytes (or a mix of the bytes of the triggers
//! sharing its bucket) occur, not with the number of anchors. Other anchors (rule files)
//! are their own trigger. Without the SIMD searcher an Aho-Corasick automaton runs.
//! The search is leftmost-first and restarts one byte after each hit, so no trigger
//! occurrence is missed.

use std::ops::Range;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span};
use anyhow::Result;

/// Triggers for the built-in anchors, in the order that spreads them over Teddy's 8
/// buckets well (a pattern's bucket follows its position). An anchor takes the longest
/// trigger it contains. Tuned on ordinary source text and base64 (the `bench/gen_tree.py`
/// tree); a unit test checks every built-in anchor has one.
pub(crate) const PLAN: &[&str] = &[
    "SDRzSUFB",
    "V5S",
    "eyJ",
    "xma19za1",
    "YTE5emEx",
    "sZmtfc2tf",
    "leU",
    "lfk",
    "bGZrX3NrX",
    "e\0y",
    "eyA",
    "l\0f",
    "bWExOXphM",
    "MTl6YT",
    "gzTnJY",
    "ZXlK",
    "dGZjMnRm",
    "e\0w",
    "ewo",
    "HWnJYM05yW",
    "bWhpUjJOc",
    "SFky",
    "pyWDNOcl",
    "lhsS2FHSkhZM",
    "WNVNtaGlSMk5w",
    "R0pIWT",
    "ew0",
    "zWm10ZmMydG",
    "Y1U21oaVIyTn",
    "sZVVwb1lrZGph",
    "abXRmYzJ0Z",
    "lVXBvWWtkam",
    "bGVVcG9Za2RqY",
];

/// Teddy stays fast up to this many triggers (8 buckets).
const MAX_SLIM: usize = 64;

#[derive(Debug)]
enum Engine {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

#[derive(Debug)]
pub(crate) struct Prefilter {
    engine: Engine,
    patterns: Vec<Vec<u8>>,
    triggers: Vec<Vec<u8>>,
    /// Per trigger: (anchor index, the trigger's offset inside the anchor).
    stands_for: Vec<Vec<(usize, usize)>>,
}

impl Prefilter {
    pub(crate) fn new(patterns: &[&str]) -> Result<Self> {
        let patterns: Vec<Vec<u8>> = patterns.iter().map(|p| p.as_bytes().to_vec()).collect();
        let (triggers, stands_for) = triggers(&patterns);
        let mut cfg = packed::Config::new();
        cfg.match_kind(packed::MatchKind::LeftmostFirst);
        if triggers.len() <= MAX_SLIM {
            cfg.only_teddy_fat(Some(false));
        }
        let packed = cfg.builder().extend(&triggers).build().filter(|_| !triggers.is_empty());
        let engine = match packed {
            Some(s) => Engine::Packed(s),
            None => Engine::Automaton(
                AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(&triggers)?,
            ),
        };
        Ok(Prefilter { engine, patterns, triggers, stands_for })
    }

    /// The literals the search looks for (the tests check the plan).
    #[cfg(test)]
    pub(crate) fn triggers(&self) -> &[Vec<u8>] {
        &self.triggers
    }

    fn find(&self, hay: &[u8], at: usize) -> Option<usize> {
        match &self.engine {
            Engine::Packed(s) => s.find_in(hay, Span::from(at..hay.len())).map(|m| m.start()),
            Engine::Automaton(ac) => ac.find(Input::new(hay).range(at..hay.len())).map(|m| m.start()),
        }
    }

    /// `each(anchor index, start)` for every anchor occurrence starting in `range` and
    /// ending within `hay[..range.end]`, in position order (anchor index order at one
    /// position).
    pub(crate) fn for_each(&self, hay: &[u8], range: Range<usize>, mut each: impl FnMut(usize, usize)) {
        let hay = &hay[..range.end];
        let mut found: Vec<(usize, usize)> = Vec::new();
        let mut at = range.start;
        while at < hay.len() {
            let Some(p) = self.find(hay, at) else { break };
            for (t, list) in self.stands_for.iter().enumerate() {
                if !hay[p..].starts_with(&self.triggers[t]) {
                    continue;
                }
                for &(k, off) in list {
                    if let Some(start) = p.checked_sub(off).filter(|&s| s >= range.start)
                        && hay[start..].starts_with(&self.patterns[k])
                    {
                        found.push((start, k));
                    }
                }
            }
            at = p + 1;
        }
        found.sort_unstable();
        found.into_iter().for_each(|(start, k)| each(k, start));
    }
}

/// What one trigger stands for: (pattern index, the trigger's offset in that pattern).
type StandsFor = Vec<(usize, usize)>;

/// The triggers for `patterns` (plan ones first, in plan order) and what each stands for.
fn triggers(patterns: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<StandsFor>) {
    let mut plan: Vec<StandsFor> = vec![Vec::new(); PLAN.len()];
    let mut extra: Vec<(Vec<u8>, StandsFor)> = Vec::new();
    for (k, p) in patterns.iter().enumerate() {
        let best = PLAN
            .iter()
            .enumerate()
            .filter_map(|(t, tr)| find(p, tr.as_bytes()).map(|off| (t, off, tr.len())))
            .max_by_key(|&(t, off, len)| (len, std::cmp::Reverse(off), std::cmp::Reverse(t)));
        match best {
            Some((t, off, _)) => plan[t].push((k, off)),
            None => match extra.iter_mut().find(|(tr, _)| tr == p) {
                Some((_, list)) => list.push((k, 0)),
                None => extra.push((p.clone(), vec![(k, 0)])),
            },
        }
    }
    let mut triggers = Vec::new();
    let mut stands_for = Vec::new();
    for (t, list) in plan.into_iter().enumerate() {
        if !list.is_empty() {
            triggers.push(PLAN[t].as_bytes().to_vec());
            stands_for.push(list);
        }
    }
    for (tr, list) in extra {
        triggers.push(tr);
        stands_for.push(list);
    }
    (triggers, stands_for)
}

/// The first offset of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[path = "prefilter_tests.rs"]
mod tests;
