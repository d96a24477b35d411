//! Compact containers for per-object records of the pack engine, whose size is paid once
//! per object of a history (millions): no per-object `Vec`, no `HashMap` entry per object.
//!
//! Takes ids and records; gives [`IdTable`], an open-addressing table from object id to a
//! dense `u32` that stores only the `u32` (the id itself is kept once, by the caller,
//! and compared through a closure): 5 bytes a slot (the `u32` and an 8-bit hash tag), at
//! most 3/4 full, instead of a `HashMap<Oid, u32>`'s 25-byte entries; [`Spans`],
//! variable-length lists stored back to back in fixed blocks (a list never straddles
//! two), so growing never copies what is stored and no list has its own allocation (full
//! blocks can wait in a temporary file while a graph is built); and [`Edges`], a tree's
//! subtree edges as varints in such a list.

use git2::Oid;

/// Object id → dense id (`0..n`), the ids kept by the caller. Beside each slot, 8 more
/// bits of the id's hash: a probe past another id's slot compares those bits, not the
/// ids (which live elsewhere, in random order: each compare a likely cache miss).
pub(crate) struct IdTable {
    slots: Vec<u32>,
    tags: Vec<u8>,
    len: usize,
    seed: u64,
}

const EMPTY: u32 = u32::MAX;

impl IdTable {
    /// A table for about `n` ids, hashed with `seed` (random per process: ids come from
    /// the repository, and an attacker choosing them must not choose their slots).
    pub(crate) fn with_capacity(n: usize, seed: u64) -> Self {
        let cap = (n.max(16) * 4 / 3 + 1).next_power_of_two();
        IdTable { slots: vec![EMPTY; cap], tags: vec![0; cap], len: 0, seed }
    }

    /// The id's first slot, and its tag (hash bits the slot index does not use).
    fn hash(&self, oid: &Oid) -> (usize, u8) {
        let b = oid.as_bytes();
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let h = (word(0) ^ self.seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ word(8).rotate_left(29);
        let x = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        ((x >> 17) as usize, (x >> 9) as u8)
    }

    /// The dense id of `oid` (`oid_of(id)` gives each stored id's object id).
    pub(crate) fn get(&self, oid: &Oid, oid_of: impl Fn(u32) -> Oid) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let (h, tag) = self.hash(oid);
        let mut i = h & mask;
        loop {
            match self.slots[i] {
                EMPTY => return None,
                id if self.tags[i] == tag && oid_of(id) == *oid => return Some(id),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The dense id of `oid` in `oids` (the object ids by dense id): its own, or the next
    /// one, `oid` appended to `oids`; `true` when it is new (the caller then grows its
    /// per-id columns).
    pub(crate) fn intern(&mut self, oids: &mut Vec<Oid>, oid: Oid) -> (u32, bool) {
        if let Some(id) = self.get(&oid, |i| oids[i as usize]) {
            return (id, false);
        }
        let id = oids.len() as u32;
        oids.push(oid);
        self.insert(&oid, id, |i| oids[i as usize]);
        (id, true)
    }

    /// Store `id` for `oid` (not stored yet).
    pub(crate) fn insert(&mut self, oid: &Oid, id: u32, oid_of: impl Fn(u32) -> Oid) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let grown = vec![EMPTY; self.slots.len() * 2];
            self.tags = vec![0; grown.len()];
            let old = std::mem::replace(&mut self.slots, grown);
            self.len = 0;
            for v in old.into_iter().filter(|&v| v != EMPTY) {
                let o = oid_of(v);
                self.put(&o, v);
            }
        }
        self.put(oid, id);
    }

    fn put(&mut self, oid: &Oid, id: u32) {
        let mask = self.slots.len() - 1;
        let (h, tag) = self.hash(oid);
        let mut i = h & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = id;
        self.tags[i] = tag;
        self.len += 1;
    }
}

/// Byte lists back to back in blocks of `BLOCK` bytes (a longer list gets a block of its
/// own); each list is named by a [`Span`]. Built with [`Spans::spilling`], each full block
/// goes to a temporary file instead of staying in memory, until [`Spans::load`] reads them
/// all back (the tree graph's edges while the pack store is still alive).
#[derive(Default)]
pub(crate) struct Spans {
    blocks: Vec<Vec<u8>>,
    /// The file full blocks were written to, in block order, while spilling.
    disk: Option<std::fs::File>,
    /// A write failed: later blocks stay in memory (those written are still read back).
    full: bool,
    /// The lengths of the blocks written (the first `spilled.len()` blocks, empty now).
    spilled: Vec<usize>,
}

/// Where a list is: its block, its start in the block and its length.
#[derive(Clone, Copy, Default)]
pub(crate) struct Span {
    block: u32,
    start: u32,
    len: u32,
}

const BLOCK: usize = 1 << 20;

impl Spans {
    /// Lists whose full blocks wait in a temporary file until [`Spans::load`]; in memory
    /// if no such file can be made (a trace line says why).
    pub(crate) fn spilling() -> Spans {
        let disk = crate::source::git::spill::temp_file("edges")
            .map_err(|e| crate::progress::trace(&format!("tree edges kept in memory: {e:#}")))
            .ok();
        Spans { blocks: Vec::new(), disk, full: false, spilled: Vec::new() }
    }

    pub(crate) fn push(&mut self, items: &[u8]) -> Span {
        if items.is_empty() {
            return Span::default();
        }
        let fits = self.blocks.last().is_some_and(|b| b.len() + items.len() <= b.capacity());
        if !fits {
            self.spill_last();
            self.blocks.push(Vec::with_capacity(BLOCK.max(items.len())));
        }
        let block = self.blocks.len() - 1;
        let b = &mut self.blocks[block];
        let start = b.len();
        b.extend_from_slice(items);
        Span { block: block as u32, start: start as u32, len: items.len() as u32 }
    }

    /// Write the last block out (when spilling): its bytes come back with `load`.
    fn spill_last(&mut self) {
        if self.full {
            return; // a write failed: every block from that one on stays in memory
        }
        let (Some(file), Some(last)) = (self.disk.as_mut(), self.blocks.last_mut()) else { return };
        use std::io::Write;
        if let Err(e) = file.write_all(last) {
            // Part of the block may be in the file, past the blocks recorded: never read.
            crate::progress::trace(&format!("tree edges kept in memory from here on: {e}"));
            self.full = true;
            return;
        }
        let len = last.len();
        *last = Vec::new();
        self.spilled.push(len);
    }

    /// Read every spilled block back; afterwards nothing is spilled.
    pub(crate) fn load(&mut self) -> anyhow::Result<()> {
        let Some(mut file) = self.disk.take() else { return Ok(()) };
        use std::io::{Read, Seek};
        file.seek(std::io::SeekFrom::Start(0))?;
        let mut input = std::io::BufReader::with_capacity(1 << 20, file);
        for (block, &len) in self.blocks.iter_mut().zip(&self.spilled) {
            let mut b = vec![0u8; len];
            input.read_exact(&mut b).map_err(|e| anyhow::anyhow!("cannot read back the tree edges: {e}"))?;
            *block = b;
        }
        self.spilled = Vec::new();
        self.full = false;
        Ok(())
    }

    /// The list at `s` (read only once loaded: a spilled block reads as empty).
    pub(crate) fn get(&self, s: Span) -> &[u8] {
        debug_assert!(self.spilled.is_empty(), "edges read before they were loaded");
        let range = s.start as usize..(s.start + s.len) as usize;
        self.blocks.get(s.block as usize).and_then(|b| b.get(range)).unwrap_or(&[])
    }
}

impl Span {
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A tree's subtree edges, (name id, tree id), as varints: the name id, then the tree id
/// less the parent's (zigzag). 2 to 5 bytes an edge instead of 8: the names are few
/// and the ids near.
pub(crate) fn put_edge(out: &mut Vec<u8>, parent: u32, (name, child): (u32, u32)) {
    put_varint(out, name.into());
    let d = i64::from(child) - i64::from(parent);
    put_varint(out, ((d << 1) ^ (d >> 63)) as u64);
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The edges [`put_edge`] wrote for `parent`, decoded in order.
#[derive(Clone)]
pub struct Edges<'a> {
    bytes: &'a [u8],
    parent: u32,
}

impl<'a> Edges<'a> {
    pub fn new(bytes: &'a [u8], parent: u32) -> Self {
        Edges { bytes, parent }
    }

    fn varint(&mut self) -> Option<u64> {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let (&b, rest) = self.bytes.split_first()?;
            self.bytes = rest;
            v |= u64::from(b & 0x7f) << shift.min(63);
            if b < 0x80 {
                return Some(v);
            }
            shift += 7;
        }
    }

    /// The number of edges (decodes them).
    pub fn len(&self) -> usize {
        self.clone().count()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Iterator for Edges<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        let name = self.varint()? as u32;
        let z = self.varint()?;
        let d = (z >> 1) as i64 ^ -((z & 1) as i64);
        Some((name, (i64::from(self.parent) + d) as u32))
    }
}

/// A per-process seed for [`IdTable`].
pub(crate) fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_finds_every_id_after_growing() {
        let oids: Vec<Oid> = (0..50_000u32)
            .map(|i| {
                let mut b = [0u8; 20];
                b[..4].copy_from_slice(&i.to_le_bytes()); // ids alike but for a few bytes
                Oid::from_bytes(&b).unwrap()
            })
            .collect();
        let mut t = IdTable::with_capacity(10, seed());
        for (i, o) in oids.iter().enumerate() {
            assert_eq!(t.get(o, |v| oids[v as usize]), None);
            t.insert(o, i as u32, |v| oids[v as usize]);
        }
        for (i, o) in oids.iter().enumerate() {
            assert_eq!(t.get(o, |v| oids[v as usize]), Some(i as u32));
        }
        assert_eq!(t.get(&Oid::from_bytes(&[9; 20]).unwrap(), |v| oids[v as usize]), None);
    }

    #[test]
    fn edges_decode_as_written() {
        let edges = [(0, 0), (3, 7), (200, 1 << 31), (u32::MAX, 0), (1, u32::MAX), (5, 9)];
        let mut bytes = Vec::new();
        for &e in &edges {
            put_edge(&mut bytes, 9, e);
        }
        let got = Edges::new(&bytes, 9);
        assert_eq!(got.len(), edges.len());
        assert_eq!(got.collect::<Vec<_>>(), edges);
        assert!(Edges::new(&[], 4).is_empty() && Edges::new(&[], 4).next().is_none());
        assert_eq!(Edges::new(&[0x80], 4).next(), None, "truncated");
    }

    #[test]
    fn spans_keep_lists_apart_across_blocks_in_memory_or_spilled() {
        for mut s in [Spans::default(), Spans::spilling()] {
            let big: Vec<u8> = (0..BLOCK as u32 + 5).map(|i| (i % 251) as u8).collect();
            let a = s.push(&[1, 2, 3]);
            let b = s.push(&big);
            let many: Vec<Span> = (0..BLOCK / 100 + 7).map(|i| s.push(&[(i % 256) as u8; 100])).collect();
            let c = s.push(&[7]);
            let e = s.push(&[]);
            s.load().unwrap();
            assert_eq!(s.get(a), [1, 2, 3]);
            assert_eq!(s.get(b), &big[..]);
            for (i, m) in many.iter().enumerate() {
                assert_eq!(s.get(*m), [(i % 256) as u8; 100]);
            }
            assert_eq!(s.get(c), [7]);
            assert!(s.get(e).is_empty() && e.is_empty());
        }
        // A write that fails (a full disk) keeps that block and the later ones in memory,
        // and the ones written before are still read back.
        let path = std::env::temp_dir().join(format!("loftyscan-test-{}.edges", std::process::id()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path).unwrap();
        let mut s = Spans { disk: Some(file), ..Spans::default() };
        let lists: Vec<Span> = (0..5u8).map(|k| s.push(&vec![k; BLOCK])).collect();
        s.disk = Some(std::fs::File::open(&path).unwrap()); // read-only: writes fail from now on
        let more: Vec<Span> = (5..8u8).map(|k| s.push(&vec![k; BLOCK])).collect();
        std::fs::remove_file(&path).unwrap();
        assert!(s.full && s.spilled.len() == 4, "four blocks written, then a failed write");
        s.load().unwrap();
        for (k, l) in lists.iter().chain(&more).enumerate() {
            assert!(s.get(*l).len() == BLOCK && s.get(*l).iter().all(|&b| b == k as u8), "list {k}");
        }
        let mut s = Spans::spilling();
        let full = vec![5; BLOCK];
        for _ in 0..3 {
            s.push(&full);
        }
        assert!(s.disk.is_some() && s.spilled.len() == 2, "full blocks went to the file");
        assert!(s.blocks[0].capacity() == 0, "and left memory");
    }
}
