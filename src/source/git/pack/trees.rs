//! Placing blobs with hits: which paths and commits hold them, without libgit2's random
//! tree reads.
//!
//! Takes the repository and the ids of blobs with hits; decodes every tree in pack order
//! (and the loose ones) into a compact graph that keeps only subtree edges and edges to
//! those blobs, marks the trees that contain one, and walks only marked trees from each
//! commit (oldest first), so every (blob, path) pair is met at its first commit.
//! Each worker parses its trees outside the graph's lock and adds them under it in
//! batches of [`TREES_PER_LOCK`], so the tree pass runs on all threads.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};

use super::compact::{self, Edges, IdTable, Span, Spans};
use super::resolve::{Batch, Lost, Visitor};
pub use super::tree_format::{DIR, FMT, GITLINK, parse_tree};
use crate::source::git::Ctx;
use crate::source::git::caps::{Budget, FirstSeen};
use crate::source::git::kind::ObjectKind;
use crate::source::git::tree::Paths;

/// Trees as a graph of dense ids; names interned. Per tree: its id (20 bytes), a table
/// slot, a span of subtree edges and an entry count; the edges (varints, 2 to 5 bytes
/// each) live back to back in blocks; the rare edges to blobs with hits on the side.
pub struct Graph {
    ids: IdTable,
    oids: Vec<Oid>,
    subtrees: Vec<Span>,
    /// All the tree's entries, kept or not (for the expansion caps).
    entries: Vec<u32>,
    edges: Spans,
    blobs: HashMap<u32, Vec<(u32, Oid)>>,
    names: HashMap<Box<[u8]>, u32>,
    name_list: Vec<Box<[u8]>>,
    /// [`Graph::add`]'s buffer for one tree's edges.
    scratch: Vec<u8>,
}

impl Default for Graph {
    fn default() -> Self {
        Graph::with_capacity(0)
    }
}

/// From this many trees on, the edges are spilled while the graph is built.
const SPILL_TREES: usize = 50_000;

impl Graph {
    /// Read the edges spilled while the graph was built back into memory: before any
    /// walk over the graph (an error if the temporary file cannot be read).
    pub fn load_edges(&mut self) -> anyhow::Result<()> {
        self.edges.load()
    }

    /// A graph for about `trees` trees.
    pub fn with_capacity(trees: usize) -> Self {
        Graph {
            ids: IdTable::with_capacity(trees, compact::seed()),
            oids: Vec::with_capacity(trees),
            subtrees: Vec::with_capacity(trees),
            entries: Vec::with_capacity(trees),
            // Many trees: their edges wait on disk until the store is freed (`load_edges`).
            edges: if trees >= SPILL_TREES { Spans::spilling() } else { Spans::default() },
            blobs: HashMap::new(),
            names: HashMap::new(),
            name_list: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn id(&mut self, oid: Oid) -> u32 {
        let (id, new) = self.ids.intern(&mut self.oids, oid);
        if new {
            self.subtrees.push(Span::default());
            self.entries.push(0);
        }
        id
    }

    fn name(&mut self, name: &[u8]) -> u32 {
        if let Some(&n) = self.names.get(name) {
            return n;
        }
        let n = self.name_list.len() as u32;
        self.name_list.push(name.into());
        self.names.insert(name.into(), n);
        n
    }

    /// Add `tree` with its kept `entries` (name, id, is a tree), of `all` entries in all;
    /// a tree already added (held by two packs) is left as it is.
    pub fn add(&mut self, tree: Oid, entries: &[(&[u8], Oid, bool)], all: usize) {
        let id = self.id(tree);
        if !self.subtrees[id as usize].is_empty() || self.blobs.contains_key(&id) {
            return; // the same tree in two packs: its entries are in already
        }
        self.entries[id as usize] = all.try_into().unwrap_or(u32::MAX);
        let (mut subtrees, mut blobs) = (std::mem::take(&mut self.scratch), Vec::new());
        subtrees.clear();
        for &(name, oid, is_tree) in entries {
            let n = self.name(name);
            if is_tree {
                let child = self.id(oid);
                compact::put_edge(&mut subtrees, id, (n, child));
            } else {
                blobs.push((n, oid));
            }
        }
        self.subtrees[id as usize] = self.edges.push(&subtrees);
        self.scratch = subtrees;
        if !blobs.is_empty() {
            self.blobs.insert(id, blobs);
        }
    }

    /// For each tree: does it (or a subtree) hold a blob with hits? Iterative post-order.
    /// A tree among its own subtrees (only a lying index can say so) adds nothing.
    pub fn marks(&self) -> Vec<bool> {
        self.marks_of(&|_| true)
    }

    /// [`Graph::marks`], counting only the blobs `keep` keeps.
    pub fn marks_of(&self, keep: &dyn Fn(&Oid) -> bool) -> Vec<bool> {
        const OPEN: Option<bool> = Some(false);
        let mut mark: Vec<Option<bool>> = vec![None; self.oids.len()];
        for start in 0..self.oids.len() {
            let mut stack = vec![(start as u32, false)];
            while let Some((t, children_done)) = stack.pop() {
                let subtrees = self.subtrees(t);
                if children_done {
                    let sub = subtrees.clone().any(|(_, c)| mark[c as usize] == Some(true));
                    mark[t as usize] = Some(sub || self.blobs(t).iter().any(|(_, b)| keep(b)));
                    continue;
                }
                if mark[t as usize].is_some() {
                    continue; // done, or open: a cycle
                }
                mark[t as usize] = OPEN;
                stack.push((t, true));
                stack.extend(subtrees.filter(|&(_, c)| mark[c as usize].is_none()).map(|(_, c)| (c, false)));
            }
        }
        mark.into_iter().map(|m| m == Some(true)).collect()
    }

    /// Walk each commit's root tree (in `roots` order) through marked trees only, within
    /// the expansion caps; gives each (blob, path) pair's first position, and the budgets
    /// of the roots whose walk hit a cap.
    pub fn place(
        &self,
        marks: &[bool],
        roots: &[Oid],
        paths: &mut Paths,
    ) -> (FirstSeen, Vec<(u32, Budget<u32>)>) {
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        let (mut first, mut capped) = (HashMap::new(), Vec::new());
        for (order, root) in roots.iter().enumerate() {
            let Some(r) = self.tree(*root).filter(|&r| marks[r as usize]) else { continue };
            let mut budget = Budget::default();
            let mut stack = vec![(r, 0u32, 0usize)];
            while let Some((t, dir, depth)) = stack.pop() {
                if seen.contains(&(t, dir)) {
                    continue; // met at an earlier commit: its pairs are placed already
                }
                if !budget.expand(t, depth) {
                    continue;
                }
                seen.insert((t, dir));
                budget.entries(self.entries[t as usize] as usize);
                for &(n, blob) in self.blobs(t) {
                    let p = paths.child(dir, &self.name_list[n as usize]);
                    first.entry((blob, p)).or_insert(order as u32);
                }
                for (n, c) in self.subtrees(t).filter(|&(_, c)| marks[c as usize]) {
                    stack.push((c, paths.child(dir, &self.name_list[n as usize]), depth + 1));
                }
            }
            if budget.left_out() > 0 {
                capped.push((order as u32, budget));
            }
        }
        (first, capped)
    }
}

/// Read access for the exposure facts (`git::exposure`).
impl Graph {
    /// The dense id of a tree, if it was read.
    pub fn tree(&self, oid: Oid) -> Option<u32> {
        self.ids.get(&oid, |i| self.oids[i as usize])
    }
    /// A tree's subtrees, as (name id, tree id).
    pub fn subtrees(&self, t: u32) -> Edges<'_> {
        Edges::new(self.edges.get(self.subtrees[t as usize]), t)
    }
    /// A tree's blobs with hits, as (name id, blob).
    pub fn blobs(&self, t: u32) -> &[(u32, Oid)] {
        self.blobs.get(&t).map_or(&[], |b| b)
    }
    /// The entry name interned as `n`.
    pub fn name_of(&self, n: u32) -> &[u8] {
        &self.name_list[n as usize]
    }
    /// Number of trees (dense ids are `0..len`).
    pub fn len(&self) -> usize {
        self.oids.len()
    }
    /// No tree in the graph.
    pub fn is_empty(&self) -> bool {
        self.oids.is_empty()
    }
    /// All of a tree's entries, kept or not.
    pub fn entries(&self, t: u32) -> u32 {
        self.entries[t as usize]
    }
}

/// The ids of blobs with hits, with a 64 Ki-bit filter on their first two bytes in front,
/// so the millions of tree entries that are not one cost a bit test, not a hash.
pub struct Hits<'a> {
    set: &'a HashSet<Oid>,
    filter: Vec<u64>,
}

impl<'a> Hits<'a> {
    /// The filter over `set`, the ids of blobs with hits.
    pub fn new(set: &'a HashSet<Oid>) -> Self {
        let mut filter = vec![0u64; 1024];
        for oid in set {
            let k = prefix(oid.as_bytes());
            filter[k >> 6] |= 1 << (k & 63);
        }
        Hits { set, filter }
    }

    /// Is the raw 20-byte id `id` one of them?
    fn has(&self, id: &[u8]) -> Option<Oid> {
        let k = prefix(id);
        if self.filter[k >> 6] & (1 << (k & 63)) == 0 {
            return None;
        }
        Oid::from_bytes(id).ok().filter(|o| self.set.contains(o))
    }
}

fn prefix(id: &[u8]) -> usize {
    u16::from_be_bytes([id[0], id[1]]) as usize
}

/// Parses decoded trees into the shared graph.
pub struct TreeVisitor<'a> {
    /// The scan's context (warnings, progress).
    pub ctx: &'a Ctx<'a>,
    /// The blobs with hits: only these are kept as blob entries.
    pub hits: &'a Hits<'a>,
    /// The graph every worker adds to.
    pub graph: &'a Mutex<Graph>,
    /// Trees that could not be decoded or parsed, counted.
    pub unreadable: u64,
}

/// Trees a worker parses before taking the graph's lock once to add them all.
const TREES_PER_LOCK: usize = 512;

impl TreeVisitor<'_> {
    /// `tree`'s subtree entries and entries naming a blob with hits, appended to `keep`
    /// (name, id, is a tree); gives the number of entries in all, or `None` (and warns,
    /// and counts it) for a malformed tree, `keep` then as it was.
    fn parse<'d>(
        &mut self,
        oid: Oid,
        data: &'d [u8],
        keep: &mut Vec<(&'d [u8], Oid, bool)>,
    ) -> Option<usize> {
        let (from, mut all, mut bad_id) = (keep.len(), 0, false);
        let parsed = parse_tree(data, &mut |mode, name, id| {
            all += 1;
            match mode & FMT {
                DIR => match Oid::from_bytes(id) {
                    Ok(oid) => keep.push((name, oid, true)),
                    Err(_) => bad_id = true,
                },
                GITLINK => {}
                _ => keep.extend(self.hits.has(id).map(|oid| (name, oid, false))),
            }
        });
        if parsed.is_none() || bad_id {
            keep.truncate(from);
            self.ctx.progress.warn(&format!("tree {oid} is malformed; its entries were not read"));
            self.unreadable += 1;
            return None;
        }
        Some(all)
    }
}

impl Visitor for TreeVisitor<'_> {
    fn wants(&mut self, _oid: Oid, kind: ObjectKind, _size: u64) -> bool {
        kind == ObjectKind::Tree
    }

    fn object(&mut self, oid: Oid, _kind: ObjectKind, data: &[u8]) {
        let mut keep = Vec::new();
        if let Some(all) = self.parse(oid, data, &mut keep) {
            self.graph.lock().unwrap_or_else(|p| p.into_inner()).add(oid, &keep, all);
        }
    }

    fn batch(&self) -> usize {
        TREES_PER_LOCK
    }

    /// Parse the batch's trees outside the lock, then add them all under it.
    fn objects(&mut self, batch: &Batch) {
        let mut keep = Vec::new();
        let mut trees: Vec<(Oid, usize, usize)> = Vec::with_capacity(batch.len());
        for (oid, _, data) in batch.iter() {
            if let Some(all) = self.parse(oid, data, &mut keep) {
                trees.push((oid, all, keep.len()));
            }
        }
        let mut g = self.graph.lock().unwrap_or_else(|p| p.into_inner());
        let mut from = 0;
        for (oid, all, end) in trees {
            g.add(oid, &keep[from..end], all);
            from = end;
        }
    }

    fn broken(&mut self, oid: Oid, why: &Lost, lost: usize) {
        let (_, msg) = super::lost_message(oid, why, lost, "paths under it are not placed");
        self.ctx.progress.warn(&msg);
        self.unreadable += lost as u64;
    }
}

/// Loose trees (not in any pack) into the graph, read through libgit2. A loose object
/// that cannot be read was already warned about and counted when blobs were scanned
/// (that pass reads every loose object's header), so it is skipped here.
pub fn add_loose(repo: &Repository, loose: &[Oid], v: &mut TreeVisitor) {
    let Ok(odb) = repo.odb() else { return };
    for &oid in loose {
        if let Ok(obj) = odb.read(oid)
            && obj.kind() == ObjectType::Tree
        {
            v.object(oid, ObjectKind::Tree, obj.data());
        }
    }
}

#[cfg(test)]
#[path = "trees_tests.rs"]
mod tests;
