//! Commit order: parents before children, and among commits whose parents are all done,
//! the earliest author date first (then the id, for determinism).
//!
//! Takes a configured revwalk (which commits); gives them as [`Node`]s in that order, so
//! "the first time a blob is seen at a path" is its oldest commit in ancestry order, and
//! between unrelated branches, the one authored first.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::finding::CommitInfo;

pub struct Node {
    pub oid: Oid,
    pub tree: Oid,
    /// Every parent id, in order; a shallow clone's missing parents included.
    pub parents: Vec<Oid>,
    pub info: Arc<CommitInfo>,
}

/// `walk`: a revwalk, or any other list of commit ids.
pub fn topo(
    repo: &Repository,
    walk: impl IntoIterator<Item = Result<Oid, git2::Error>>,
) -> Result<Vec<Node>> {
    // The ids first: the revwalk's own per-commit state is freed before the nodes grow.
    let oids = walk.into_iter().collect::<Result<Vec<Oid>, _>>().context("cannot walk the commit graph")?;
    let mut nodes = Vec::with_capacity(oids.len());
    for oid in oids {
        let c = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        nodes.push(Node {
            oid,
            tree: c.tree_id(),
            parents: c.parent_ids().collect(),
            info: Arc::new(super::commit_info(&c)),
        });
    }
    // Children as compressed rows (u32), not a Vec per commit.
    let (mut waiting, mut edges) = (vec![0u32; nodes.len()], Vec::new());
    {
        let index: HashMap<Oid, u32> = nodes.iter().enumerate().map(|(i, n)| (n.oid, i as u32)).collect();
        for (i, n) in nodes.iter().enumerate() {
            for p in &n.parents {
                if let Some(&pi) = index.get(p) {
                    waiting[i] += 1;
                    edges.push((pi, i as u32));
                }
            }
        }
    }
    edges.sort_unstable();
    let mut first = vec![0u32; nodes.len() + 1];
    for &(p, _) in &edges {
        first[p as usize + 1] += 1;
    }
    for i in 0..nodes.len() {
        first[i + 1] += first[i];
    }
    let children =
        |i: usize| edges[first[i] as usize..first[i + 1] as usize].iter().map(|&(_, c)| c as usize);
    let key = |i: usize| Reverse((nodes[i].info.time, nodes[i].oid, i));
    let mut ready: BinaryHeap<_> = (0..nodes.len()).filter(|&i| waiting[i] == 0).map(key).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for c in children(i) {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(key(c));
            }
        }
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    Ok(order.into_iter().map(|i| slots[i].take().expect("each node once")).collect())
}
