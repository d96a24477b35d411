//! A pack's `.idx` file (version 2): object ids and their offsets in the `.pack`.
//!
//! Takes the bytes of an `.idx`; gives, for each object, its id and offset, and the objects
//! in pack order. The format (git's Documentation/gitformat-pack.txt): magic `\377tOc`,
//! version 2, a 256-entry fanout table, the sorted ids, CRC32s, 4-byte offsets (high bit
//! set: an index into the 8-byte offset table), 8-byte offsets, two checksums.

use anyhow::{Result, bail};
use git2::Oid;

/// A pack's `.idx` file in memory, checked once when parsed: id at each sorted position,
/// and (until [`PackIndex::keep_ids_only`]) each object's pack offset.
pub struct PackIndex {
    bytes: Vec<u8>,
    count: usize,
    /// The CRCs and offsets were dropped ([`PackIndex::keep_ids_only`]).
    ids_only: bool,
}

const HEADER: usize = 8 + 256 * 4;

impl PackIndex {
    /// Check `bytes` as a version-2 index (magic, fanout order, every table and 8-byte
    /// offset inside the file); errors name what is wrong, never quote the bytes.
    pub fn parse(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < HEADER || bytes[..4] != [0xff, b't', b'O', b'c'] || be32(&bytes[4..]) != 2 {
            bail!("not a version 2 pack index");
        }
        let count = be32(&bytes[8 + 255 * 4..]) as usize;
        let need = HEADER + count * (20 + 4 + 4) + 40;
        if bytes.len() < need {
            bail!("pack index is truncated");
        }
        let idx = PackIndex { bytes, count, ids_only: false };
        // Every 8-byte offset an entry points at must be in the file.
        let large = idx.large_entries().map(|e| e as usize + 1).max().unwrap_or(0);
        if idx.bytes.len() < need + large * 8 {
            bail!("pack index is truncated");
        }
        Ok(idx)
    }

    /// Ask the CPU to start loading the id at sorted position `i` (a hint: the ids of a
    /// large pack are tens of MiB read in random order, each read otherwise a cache miss).
    #[allow(unsafe_code)] // one prefetch hint; its SAFETY note says why it is sound
    pub fn prefetch(&self, i: usize) {
        let Some(id) = self.bytes.get(HEADER + i * 20..) else { return };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch never faults and reads nothing into the program's state; SSE,
        // which it needs, is part of every x86_64 CPU. The pointer is into `self.bytes`.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(id.as_ptr().cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = id;
    }

    /// The id of the object at sorted position `i`.
    pub fn oid(&self, i: usize) -> Oid {
        let at = HEADER + i * 20;
        Oid::from_bytes(&self.bytes[at..at + 20]).expect("20 bytes")
    }

    /// Keep only the fanout table and the ids (what [`PackIndex::oid`] and
    /// [`PackIndex::find`] read): the CRCs and offsets, 8 bytes an object and more than a
    /// quarter of the file, are not needed once the pack's layout holds the offsets.
    pub fn keep_ids_only(&mut self) {
        self.bytes.truncate(HEADER + self.count * 20);
        self.bytes.shrink_to_fit();
        self.ids_only = true;
    }

    /// The pack offset of the object at sorted position `i` (not after
    /// [`PackIndex::keep_ids_only`]).
    pub fn offset(&self, i: usize) -> u64 {
        debug_assert!(!self.ids_only, "the offsets were dropped");
        let small = be32(&self.bytes[self.small_offsets() + i * 4..]);
        if small & 0x8000_0000 == 0 {
            return small as u64;
        }
        let at = self.small_offsets() + self.count * 4 + (small & 0x7fff_ffff) as usize * 8;
        u64::from_be_bytes(self.bytes[at..at + 8].try_into().expect("8 bytes"))
    }

    /// Sorted position of `oid`, if this pack has it.
    pub fn find(&self, oid: &Oid) -> Option<usize> {
        let key = oid.as_bytes();
        let first = key[0] as usize;
        let lo = if first == 0 { 0 } else { be32(&self.bytes[8 + (first - 1) * 4..]) as usize };
        let hi = be32(&self.bytes[8 + first * 4..]) as usize;
        let ids = &self.bytes[HEADER..HEADER + self.count * 20];
        let (mut lo, mut hi) = (lo, hi.min(self.count));
        while lo < hi {
            let mid = (lo + hi) / 2;
            match ids[mid * 20..mid * 20 + 20].cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Sorted positions in pack order (by offset, then position): runs sorted on
    /// `threads` threads, then merged.
    pub fn by_offset(&self, threads: usize) -> Vec<u32> {
        let key = |i: &u32| (self.offset(*i as usize), *i);
        let mut order: Vec<u32> = (0..self.count as u32).collect();
        let chunk = self.count.div_ceil(threads.clamp(1, 64)).max(1 << 16);
        std::thread::scope(|s| {
            for run in order.chunks_mut(chunk) {
                s.spawn(move || run.sort_unstable_by_key(key));
            }
        });
        let mut width = chunk;
        while width < order.len() {
            let mut merged = Vec::with_capacity(order.len());
            for pair in order.chunks(2 * width) {
                let (a, b) = pair.split_at(width.min(pair.len()));
                let (mut i, mut j) = (0, 0);
                while i < a.len() && j < b.len() {
                    if key(&a[i]) <= key(&b[j]) {
                        merged.push(a[i]);
                        i += 1;
                    } else {
                        merged.push(b[j]);
                        j += 1;
                    }
                }
                merged.extend_from_slice(&a[i..]);
                merged.extend_from_slice(&b[j..]);
            }
            order = merged;
            width *= 2;
        }
        order
    }

    fn small_offsets(&self) -> usize {
        HEADER + self.count * 24
    }

    /// The 8-byte-table positions that entries point at.
    fn large_entries(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.count)
            .map(|i| be32(&self.bytes[self.small_offsets() + i * 4..]))
            .filter(|v| v & 0x8000_0000 != 0)
            .map(|v| v & 0x7fff_ffff)
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` as a [`super::super::sparse::SparseIndex`] on a temporary file.
    fn sparse_of(bytes: &[u8]) -> Result<super::super::sparse::SparseIndex> {
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, bytes).unwrap();
        super::super::sparse::SparseIndex::open(f)
    }

    /// A version 2 index of `ids` at `offsets` (offsets over 2^31 go to the 8-byte table).
    fn build(mut entries: Vec<([u8; 20], u64)>) -> Vec<u8> {
        entries.sort();
        let mut b = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        for fan in 0..256 {
            let n = entries.iter().filter(|(id, _)| id[0] as usize <= fan).count() as u32;
            b.extend_from_slice(&n.to_be_bytes());
        }
        entries.iter().for_each(|(id, _)| b.extend_from_slice(id));
        entries.iter().for_each(|_| b.extend_from_slice(&[0; 4]));
        let mut large = Vec::new();
        for (_, off) in &entries {
            let v = if *off < 1 << 31 {
                *off as u32
            } else {
                large.push(*off);
                0x8000_0000 | (large.len() as u32 - 1)
            };
            b.extend_from_slice(&v.to_be_bytes());
        }
        large.iter().for_each(|o| b.extend_from_slice(&o.to_be_bytes()));
        b.extend_from_slice(&[0; 40]);
        b
    }

    #[test]
    fn reads_ids_offsets_and_large_offsets() {
        let idx =
            PackIndex::parse(build(vec![([9; 20], 12), ([1; 20], 5_000_000_000), ([200; 20], 300)])).unwrap();
        let got: Vec<(Oid, u64)> =
            idx.by_offset(1).iter().map(|&i| (idx.oid(i as usize), idx.offset(i as usize))).collect();
        let id = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        assert_eq!(got, [(id(9), 12), (id(200), 300), (id(1), 5_000_000_000)]);
        assert_eq!(idx.find(&id(200)).map(|i| idx.offset(i)), Some(300));
        assert_eq!(idx.find(&id(7)), None);
        let sparse = sparse_of(&idx.bytes).unwrap();
        for i in 0..3 {
            assert_eq!(sparse.find(&idx.oid(i)).and_then(|p| sparse.offset(p)), Some(idx.offset(i)));
        }
        assert_eq!(sparse.find(&id(7)), None);
        let mut ids = idx;
        ids.keep_ids_only();
        assert_eq!(ids.bytes.len(), HEADER + 3 * 20);
        assert_eq!(ids.find(&id(200)).map(|i| ids.oid(i)), Some(id(200)));
        assert_eq!(ids.find(&id(7)), None);
    }

    #[test]
    fn pack_order_is_the_same_on_any_number_of_threads() {
        let mut rng = crate::detect::testgen::Rng::from_state(0x9e37_79b9_7f4a_7c15);
        let entries: Vec<([u8; 20], u64)> = (0..200_000u32)
            .map(|i| {
                let x = rng.next_u64();
                let mut id = [0u8; 20];
                id[..8].copy_from_slice(&x.to_be_bytes());
                id[8..12].copy_from_slice(&i.to_be_bytes());
                (id, (x >> 40) % 1_000_000) // repeated offsets too
            })
            .collect();
        let idx = PackIndex::parse(build(entries)).unwrap();
        let one = idx.by_offset(1);
        assert!(
            one.windows(2).all(|w| (idx.offset(w[0] as usize), w[0]) < (idx.offset(w[1] as usize), w[1]))
        );
        for t in [2, 3, 7] {
            assert_eq!(idx.by_offset(t), one, "{t} threads");
        }
        // The on-disk index finds the same, across blocks and fanout buckets.
        let sparse = sparse_of(&idx.bytes).unwrap();
        for i in (0..200_000).step_by(97).chain([0, 63, 64, 65, 199_999]) {
            assert_eq!(sparse.find(&idx.oid(i)), Some(i));
            assert_eq!(sparse.offset(i), Some(idx.offset(i)));
            let mut absent = idx.oid(i).as_bytes().to_vec();
            absent[19] ^= 0x5a;
            let absent = Oid::from_bytes(&absent).unwrap();
            assert_eq!(sparse.find(&absent), idx.find(&absent));
        }
    }

    #[test]
    fn hostile_indexes_are_errors_not_panics() {
        let good = build(vec![([9; 20], 12), ([1; 20], 5_000_000_000), ([200; 20], 300)]);
        let mut rng = crate::detect::testgen::Rng::from_state(0x2545_f491_4f6c_dd1d);
        for round in 0..3000 {
            let mut b = good.clone();
            let mut x = 0;
            for _ in 0..1 + round % 4 {
                x = rng.next_u64();
                let i = x as usize % b.len();
                b[i] = (x >> 32) as u8;
            }
            b.truncate(b.len() - (x >> 50) as usize % 8);
            let sparse = sparse_of(&b);
            if let Ok(idx) = PackIndex::parse(b) {
                let sparse = sparse.expect("the on-disk index accepts what parse accepts");
                for i in 0..3.min(idx.count) {
                    let _ = sparse.find(&idx.oid(i)).and_then(|p| sparse.offset(p));
                }
                for i in idx.by_offset(2) {
                    let _ = idx.find(&idx.oid(i as usize));
                }
            }
        }
    }
}
