//! Commit order: parents before children, and among commits whose parents are all done,
//! the earliest author date first (then the id, for determinism).
//!
//! Takes a configured revwalk (which commits); gives them as [`Node`]s in that order, so
//! "the first time a blob is seen at a path" is its oldest commit in ancestry order, and
//! between unrelated branches, the one authored first. A node is 72 bytes, a merge's
//! parent ids aside (one parent is inline, [`Parents`]): the commit's author and message
//! are not kept (provenance reads them again, for the few commits that have findings:
//! [`super::Infos`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::pack::commit_table::CommitTable;
use super::pack::compact::{self, IdTable};

pub(crate) struct Node {
    pub oid: Oid,
    pub tree: Oid,
    /// Author date, seconds since the epoch (the order's key).
    pub time: i64,
    /// Every parent id, in order; a shallow clone's missing parents included.
    pub parents: Parents,
}

/// A commit's parent ids: one parent (nearly every commit) inline, no allocation; a root
/// or a merge as a boxed slice. 24 bytes, where a `Box<[Oid]>` of one id is 16 bytes
/// plus a 32-byte heap chunk.
pub(crate) enum Parents {
    One(Oid),
    Other(Box<[Oid]>),
}

impl std::ops::Deref for Parents {
    type Target = [Oid];

    fn deref(&self) -> &[Oid] {
        match self {
            Parents::One(p) => std::slice::from_ref(p),
            Parents::Other(ps) => ps,
        }
    }
}

impl FromIterator<Oid> for Parents {
    fn from_iter<I: IntoIterator<Item = Oid>>(iter: I) -> Parents {
        let mut it = iter.into_iter();
        match (it.next(), it.next()) {
            (Some(p), None) => Parents::One(p),
            (None, _) => Parents::Other(Box::new([])),
            (Some(a), Some(b)) => Parents::Other([a, b].into_iter().chain(it).collect()),
        }
    }
}

/// `walk`: a revwalk, or any other list of commit ids; those in `table` are taken from it.
pub(super) fn topo(
    (repo, table): (&Repository, Option<CommitTable>),
    walk: impl IntoIterator<Item = Result<Oid, git2::Error>>,
) -> Result<Vec<Node>> {
    let mut nodes = read_nodes(repo, table, walk)?;
    // Children as compressed rows (u32), not a Vec per commit.
    let (mut waiting, mut edges) = (vec![0u32; nodes.len()], Vec::new());
    {
        // Id -> position: 4 bytes a slot, not a `HashMap` entry (~25 bytes) a commit.
        let oid_of = |i: u32| nodes[i as usize].oid;
        let mut index = IdTable::with_capacity(nodes.len(), compact::seed());
        for (i, n) in nodes.iter().enumerate() {
            index.insert(&n.oid, i as u32, oid_of);
        }
        for (i, n) in nodes.iter().enumerate() {
            for p in n.parents.iter() {
                if let Some(pi) = index.get(p, oid_of) {
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
    let key = |i: usize| Reverse((nodes[i].time, nodes[i].oid, i));
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
    drop((waiting, edges, first));
    permute(&mut nodes, order);
    Ok(nodes)
}

/// The node of each commit `walk` gives: taken from `table`, else read through libgit2.
fn read_nodes(
    repo: &Repository,
    table: Option<CommitTable>,
    walk: impl IntoIterator<Item = Result<Oid, git2::Error>>,
) -> Result<Vec<Node>> {
    // The ids first: the revwalk's own per-commit state is freed before the nodes grow.
    let oids = walk.into_iter().collect::<Result<Vec<Oid>, _>>().context("cannot walk the commit graph")?;
    let (mut nodes, oids) = match table {
        Some(t) => t.take(oids),
        None => (Vec::with_capacity(oids.len()), oids),
    };
    for oid in oids {
        let c = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        nodes.push(Node {
            oid,
            tree: c.tree_id(),
            time: c.author().when().seconds(),
            parents: c.parent_ids().collect(),
        });
    }
    Ok(nodes)
}

/// Put `nodes[order[k]]` at position `k`, in place (no second copy of the nodes).
/// Nodes `order` leaves out (none: commit ids cannot form a cycle) are dropped.
fn permute(nodes: &mut Vec<Node>, order: Vec<usize>) {
    let (mut rank, kept) = (vec![u32::MAX; nodes.len()], order.len());
    for (k, &i) in order.iter().enumerate() {
        rank[i] = k as u32;
    }
    drop(order);
    for (next, r) in (kept as u32..).zip(rank.iter_mut().filter(|r| **r == u32::MAX)) {
        *r = next;
    }
    for i in 0..nodes.len() {
        while rank[i] as usize != i {
            let r = rank[i] as usize;
            nodes.swap(i, r);
            rank.swap(i, r);
        }
    }
    nodes.truncate(kept);
}
