//! Git bombs in the pack engine: which roots' tree walks hit an expansion cap (see
//! [`crate::source::git::caps`]), whether or not any blob has hits, counted exactly as the
//! object-by-object engine counts them.
//!
//! Takes the tree graph (every tree's subtrees and entry count) and the roots (each
//! commit's tree with its first parent's tree, then the tagged trees); gives the budget of
//! each root whose walk hit a cap. One pass over the graph bounds every tree's full walk
//! (trees expanded, entries, levels); only a root whose bound reaches a cap is walked, and
//! that walk is the odb engine's: the subtrees that differ from the first parent's, in
//! entry order. On an ordinary history no bound reaches a cap and nothing is walked.

use std::cmp::Ordering;
use std::collections::HashSet;

use git2::Oid;

use super::trees::Graph;
use crate::source::git::caps::{Budget, MAX_PATHS, MAX_SAME_TREE, MAX_TREE_DEPTH};
use crate::source::git::order::Node;
use crate::source::git::tags::TagRoot;

/// An upper bound of a full walk from a tree: trees expanded, entries met, levels below.
#[derive(Clone, Copy)]
struct Bound {
    trees: u32,
    entries: u32,
    depth: u32,
}

impl Bound {
    /// A tree among its own subtrees (only a lying index can say so): no bound.
    const NONE: Bound = Bound { trees: u32::MAX, entries: u32::MAX, depth: u32::MAX };

    fn may_cap(self) -> bool {
        self.trees > MAX_SAME_TREE
            || u64::from(self.entries) >= MAX_PATHS
            || self.depth as usize > MAX_TREE_DEPTH
    }
}

/// Per tree (by dense id): may a walk from it hit a cap? Iterative post-order over the graph.
pub fn suspects(graph: &Graph) -> Vec<bool> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    let n = graph.len();
    let mut state = vec![NEW; n];
    let mut bound = vec![Bound::NONE; n];
    for start in 0..n as u32 {
        let mut stack = vec![(start, false)];
        while let Some((t, children_done)) = stack.pop() {
            if children_done {
                let mut b = Bound { trees: 1, entries: graph.entries(t), depth: 0 };
                for (_, c) in graph.subtrees(t) {
                    let cb = if state[c as usize] == OPEN { Bound::NONE } else { bound[c as usize] };
                    b.trees = b.trees.saturating_add(cb.trees);
                    b.entries = b.entries.saturating_add(cb.entries);
                    b.depth = b.depth.max(cb.depth.saturating_add(1));
                }
                bound[t as usize] = b;
                state[t as usize] = OPEN + 1;
                continue;
            }
            if state[t as usize] != NEW {
                continue;
            }
            state[t as usize] = OPEN;
            stack.push((t, true));
            let fresh = graph.subtrees(t).filter(|&(_, c)| state[c as usize] == NEW);
            stack.extend(fresh.map(|(_, c)| (c, false)));
        }
    }
    bound.into_iter().map(Bound::may_cap).collect()
}

/// Roots handed to the threads at a time (about 3 MB of ids).
const CHUNK: usize = 1 << 16;

/// The roots whose walk hits a cap, by position in `roots` (a tree and the tree it is
/// compared with), with their budgets, in that order. `suspect` is [`suspects`] of
/// `graph`. The roots are taken a chunk at a time, each chunk's walks shared among
/// `threads` threads.
pub fn capped(
    graph: &Graph,
    suspect: &[bool],
    roots: impl IntoIterator<Item = (Oid, Option<Oid>)>,
    threads: usize,
) -> Vec<(u32, Budget<u32>)> {
    let (mut out, mut roots) = (Vec::new(), roots.into_iter());
    let mut first = 0u32;
    loop {
        let chunk: Vec<(Oid, Option<Oid>)> = roots.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return out;
        }
        let per = chunk.len().div_ceil(threads.max(1));
        let walk_part = |(k, part): (usize, &[(Oid, Option<Oid>)])| {
            let at = first + (k * per) as u32;
            let mut got = Vec::new();
            for (i, &(new, old)) in (at..).zip(part) {
                let Some(t) = graph.tree(new).filter(|&t| suspect[t as usize]) else { continue };
                let mut budget = Budget::default();
                walk(graph, (t, old.and_then(|o| graph.tree(o))), &mut budget);
                if budget.left_out() > 0 {
                    got.push((i, budget));
                }
            }
            got
        };
        std::thread::scope(|s| {
            let parts: Vec<_> =
                chunk.chunks(per).enumerate().map(|p| s.spawn(move || walk_part(p))).collect();
            for h in parts {
                out.extend(h.join().expect("bomb check worker panicked"));
            }
        });
        first += chunk.len() as u32;
    }
}

/// Every root whose walk hits a cap, by position among the commits then the tags:
/// [`capped`] over [`roots`] when some tree is a suspect, plus those of `placed` (the
/// walks that placed findings) not among them. Placing walks fewer trees than the odb
/// engine compares; should it still hit a cap where that comparison does not, its count
/// is reported too.
pub(in crate::source::git) fn of_history(
    graph: &Graph,
    (commits, tags): (&[Node], &[TagRoot]),
    placed: Vec<(u32, Budget<u32>)>,
    threads: usize,
) -> Vec<(u32, Budget<u32>)> {
    let suspect = suspects(graph);
    // No suspect tree (an ordinary history): no root is compared, none needs listing.
    let mut out = match suspect.contains(&true) {
        true => capped(graph, &suspect, roots(commits, tags), threads),
        false => Vec::new(),
    };
    let reported: HashSet<u32> = out.iter().map(|(o, _)| *o).collect();
    out.extend(placed.into_iter().filter(|(o, _)| !reported.contains(o)));
    out
}

/// Each commit's tree with its first parent's tree, then each tagged tree (a tagged blob
/// holds the place of its tag with no tree). Commits are found by id through a table of
/// 4-byte slots, and the pairs made as they are walked (no list of them all).
pub(in crate::source::git) fn roots<'a>(
    commits: &'a [Node],
    tags: &'a [TagRoot],
) -> impl Iterator<Item = (Oid, Option<Oid>)> + 'a {
    let oid_of = |i: u32| commits[i as usize].oid;
    let mut index = super::compact::IdTable::with_capacity(commits.len(), super::compact::seed());
    for (i, n) in commits.iter().enumerate() {
        if index.get(&n.oid, oid_of).is_none() {
            index.insert(&n.oid, i as u32, oid_of);
        }
    }
    let parent_tree = move |n: &Node| {
        let p = n.parents.first()?;
        index.get(p, oid_of).map(|i| commits[i as usize].tree)
    };
    let commits = commits.iter().map(move |n| (n.tree, parent_tree(n)));
    let tags = tags.iter().map(|t| (if t.is_tree { t.target } else { Oid::ZERO_SHA1 }, None));
    commits.chain(tags)
}

/// `tree::changes` on the graph: expand `new`, then every subtree that differs from the
/// one `old` has under the same name, within `budget`.
fn walk(graph: &Graph, (new, old): (u32, Option<u32>), budget: &mut Budget<u32>) {
    let mut stack = vec![(new, old, 0usize)];
    while let Some((new, old, depth)) = stack.pop() {
        if Some(new) == old || !budget.expand(new, depth) {
            continue;
        }
        budget.entries(graph.entries(new) as usize);
        let mut olds = old.map(|o| graph.subtrees(o)).into_iter().flatten().peekable();
        for (name, child) in graph.subtrees(new) {
            let mut prev = None;
            while let Some(&(old_name, old_child)) = olds.peek() {
                match tree_order(graph.name_of(old_name), graph.name_of(name)) {
                    Ordering::Less => {
                        olds.next();
                    }
                    Ordering::Equal => {
                        prev = Some(old_child);
                        olds.next();
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
            if prev != Some(child) {
                stack.push((child, prev, depth + 1));
            }
        }
    }
}

/// Git's order between two subtrees' names (each compared as if it ended in `/`).
fn tree_order(a: &[u8], b: &[u8]) -> Ordering {
    a.iter().chain(b"/").cmp(b.iter().chain(b"/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    /// `levels` trees, each holding the one below 10 times (10 entries each).
    fn bomb(g: &mut Graph, levels: u8) -> Oid {
        let names: Vec<Vec<u8>> = (0..10).map(|i| format!("d{i}").into_bytes()).collect();
        g.add(oid(1), &[], 10);
        for l in 2..=levels {
            let entries: Vec<(&[u8], Oid, bool)> = names.iter().map(|n| (&n[..], oid(l - 1), true)).collect();
            g.add(oid(l), &entries, 10);
        }
        oid(levels)
    }

    #[test]
    fn only_a_bomb_is_suspect_and_its_walk_counts_what_the_odb_walk_counts() {
        let mut g = Graph::default();
        let top = bomb(&mut g, 4); // 1 + 10 + 100 + 1000 expansions: the last level is capped
        g.add(oid(50), &[(b"src", oid(51), true)], 3);
        g.add(oid(51), &[], 40);
        let s = suspects(&g);
        assert!(s[g.tree(top).unwrap() as usize]);
        assert!(!s[g.tree(oid(50)).unwrap() as usize] && !s[g.tree(oid(3)).unwrap() as usize]);
        let roots = [(oid(50), None), (top, Some(oid(50))), (top, Some(top))];
        let capped = capped(&g, &s, roots.iter().copied(), 2);
        assert_eq!(capped.len(), 1, "the same tree as the parent's is not walked");
        let (at, b) = &capped[0];
        assert_eq!((*at, b.repeated, b.deep, b.over_paths), (1, 1000 - MAX_SAME_TREE as u64, 0, 0));
    }

    #[test]
    fn capped_roots_keep_their_positions_across_chunks_and_threads() {
        let mut g = Graph::default();
        let top = bomb(&mut g, 4);
        g.add(oid(50), &[(b"src", oid(51), true)], 3);
        g.add(oid(51), &[], 40);
        let s = suspects(&g);
        let at = [3, CHUNK as u32 - 1, CHUNK as u32, CHUNK as u32 + 9];
        let roots = (0..CHUNK as u32 + 10).map(|i| (if at.contains(&i) { top } else { oid(50) }, None));
        for threads in [1, 2, 3] {
            let got: Vec<u32> = capped(&g, &s, roots.clone(), threads).iter().map(|(i, _)| *i).collect();
            assert_eq!(got, at, "{threads} threads");
        }
    }

    #[test]
    fn a_tree_inside_itself_is_suspect_and_its_walk_ends() {
        let mut g = Graph::default();
        g.add(oid(7), &[(b"again", oid(7), true)], 1);
        let s = suspects(&g);
        assert!(s[0]);
        let capped = capped(&g, &s, [(oid(7), None)], 1);
        assert_eq!(capped[0].1.repeated, 1);
    }

    #[test]
    fn subtree_names_compare_as_git_sorts_them() {
        assert_eq!(tree_order(b"a", b"a.b"), Ordering::Greater); // "a/" > "a.b/"
        assert_eq!(tree_order(b"a", b"a"), Ordering::Equal);
        assert_eq!(tree_order(b"a", b"b"), Ordering::Less);
    }
}
