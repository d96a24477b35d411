//! A pack's `.idx` file (version 2): object ids and their offsets in the `.pack`.
//!
//! Takes the bytes of an `.idx`; gives, for each object, its id and offset, and the objects
//! in pack order. The format (git's Documentation/gitformat-pack.txt): magic `\377tOc`,
//! version 2, a 256-entry fanout table, the sorted ids, CRC32s, 4-byte offsets (high bit
//! set: an index into the 8-byte offset table), 8-byte offsets, two checksums.

use anyhow::{Result, bail};
use git2::Oid;

pub struct PackIndex {
    bytes: Vec<u8>,
    count: usize,
}

const HEADER: usize = 8 + 256 * 4;

impl PackIndex {
    pub fn parse(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < HEADER || bytes[..4] != [0xff, b't', b'O', b'c'] || be32(&bytes[4..]) != 2 {
            bail!("not a version 2 pack index");
        }
        let count = be32(&bytes[8 + 255 * 4..]) as usize;
        let need = HEADER + count * (20 + 4 + 4) + 40;
        if bytes.len() < need {
            bail!("pack index is truncated");
        }
        let idx = PackIndex { bytes, count };
        let large = idx.large_count();
        if idx.bytes.len() < need + large * 8 {
            bail!("pack index is truncated");
        }
        Ok(idx)
    }

    /// The id of the object at sorted position `i`.
    pub fn oid(&self, i: usize) -> Oid {
        let at = HEADER + i * 20;
        Oid::from_bytes(&self.bytes[at..at + 20]).expect("20 bytes")
    }

    /// The pack offset of the object at sorted position `i`.
    pub fn offset(&self, i: usize) -> u64 {
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

    /// Sorted positions in pack order (by offset).
    pub fn by_offset(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.count as u32).collect();
        order.sort_unstable_by_key(|&i| self.offset(i as usize));
        order
    }

    fn small_offsets(&self) -> usize {
        HEADER + self.count * 24
    }

    fn large_count(&self) -> usize {
        (0..self.count)
            .filter(|&i| be32(&self.bytes[self.small_offsets() + i * 4..]) & 0x8000_0000 != 0)
            .count()
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}
