//! Caps on tree expansion, against git bombs (one tree reused at every level: a few
//! objects, billions of paths), shared by the tree walks of both engines.
//!
//! Takes each tree as a walk pops it, with its depth; gives whether to expand it, and what
//! was left out, for one counted warning naming the commit. A tree met again at another
//! path holds the same blobs, so the per-tree cap loses paths, never content.

use std::collections::HashMap;
use std::hash::Hash;

pub use git2::Oid;

/// A tree deeper than this (git's own `core.maxTreeDepth` default) is not expanded.
pub const MAX_TREE_DEPTH: usize = 4096;
/// Times one tree is expanded within one commit's walk; more are paths, not content.
pub const MAX_SAME_TREE: u32 = 256;
/// Tree entries one commit's walk may visit.
pub const MAX_PATHS: u64 = 1 << 20;

/// Each (blob, path) pair's first position in the walk order.
pub type FirstSeen = HashMap<(Oid, u32), u32>;

/// One commit's expansion budget; trees are told apart by `K` (an id, or the pack
/// engine's dense tree number).
pub struct Budget<K = Oid> {
    expanded: HashMap<K, u32>,
    entries: u64,
    /// Trees not expanded because they lie deeper than [`MAX_TREE_DEPTH`].
    pub deep: u64,
    /// Trees not expanded again: already expanded [`MAX_SAME_TREE`] times in this commit.
    pub repeated: u64,
    /// Trees not expanded because the commit's walk reached [`MAX_PATHS`] entries.
    pub over_paths: u64,
}

impl<K> Default for Budget<K> {
    fn default() -> Self {
        Budget { expanded: HashMap::new(), entries: 0, deep: 0, repeated: 0, over_paths: 0 }
    }
}

impl<K: Hash + Eq> Budget<K> {
    /// May the tree `id` at `depth` be expanded?
    pub fn expand(&mut self, id: K, depth: usize) -> bool {
        if depth > MAX_TREE_DEPTH {
            self.deep += 1;
            return false;
        }
        if self.entries >= MAX_PATHS {
            self.over_paths += 1;
            return false;
        }
        let n = self.expanded.entry(id).or_default();
        if *n >= MAX_SAME_TREE {
            self.repeated += 1;
            return false;
        }
        *n += 1;
        true
    }

    /// `n` more entries visited.
    pub fn entries(&mut self, n: usize) {
        self.entries += n as u64;
    }

    /// Trees left out (0: the walk was complete).
    pub fn left_out(&self) -> u64 {
        self.deep + self.repeated + self.over_paths
    }

    /// The warning for `what` (e.g. "commit 1234…"), if anything was left out.
    pub fn warning(&self, what: &str) -> Option<String> {
        if self.left_out() == 0 {
            return None;
        }
        let mut why = Vec::new();
        if self.repeated > 0 {
            why.push(format!(
                "{} repeats of a tree met at over {MAX_SAME_TREE} paths (a git bomb?)",
                self.repeated
            ));
        }
        if self.deep > 0 {
            why.push(format!("{} trees deeper than {MAX_TREE_DEPTH} levels", self.deep));
        }
        if self.over_paths > 0 {
            why.push(format!("{} trees past {MAX_PATHS} entries", self.over_paths));
        }
        Some(format!("{what}: tree expansion capped: {}; their paths are not reported", why.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cap_stops_expansion_and_is_named() {
        let t = Oid::from_bytes(&[1; 20]).unwrap();
        let mut b = Budget::default();
        assert!((0..MAX_SAME_TREE).all(|_| b.expand(t, 1)));
        assert!(!b.expand(t, 1));
        assert!(!b.expand(Oid::from_bytes(&[2; 20]).unwrap(), MAX_TREE_DEPTH + 1));
        b.entries(MAX_PATHS as usize);
        assert!(!b.expand(Oid::from_bytes(&[3; 20]).unwrap(), 1));
        assert_eq!((b.repeated, b.deep, b.over_paths), (1, 1, 1));
        let w = b.warning(&format!("commit {t}")).unwrap();
        assert!(w.contains(&t.to_string()) && w.contains("git bomb") && w.contains("deeper"), "{w}");
        assert!(Budget::<Oid>::default().warning("commit x").is_none());
    }
}
