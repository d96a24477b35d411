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
    let mut nodes = Vec::new();
    for oid in walk {
        let oid = oid.context("cannot walk the commit graph")?;
        let c = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        nodes.push(Node {
            oid,
            tree: c.tree_id(),
            parents: c.parent_ids().collect(),
            info: Arc::new(super::commit_info(&c)),
        });
    }
    let index: HashMap<Oid, usize> = nodes.iter().enumerate().map(|(i, n)| (n.oid, i)).collect();
    let mut waiting = vec![0usize; nodes.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for p in &n.parents {
            if let Some(&pi) = index.get(p) {
                waiting[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let key = |i: usize| Reverse((nodes[i].info.time, nodes[i].oid, i));
    let mut ready: BinaryHeap<_> = (0..nodes.len()).filter(|&i| waiting[i] == 0).map(key).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(key(c));
            }
        }
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    Ok(order.into_iter().map(|i| slots[i].take().expect("each node once")).collect())
}
