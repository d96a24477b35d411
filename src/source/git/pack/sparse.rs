//! A pack's `.idx` kept on disk, with only every 64th id in memory: the single-object
//! reader's index, about 0.3 bytes an object instead of 24.
//!
//! Takes an open `.idx` file (version 2, the format of [`super::index`]); gives, for an id,
//! its sorted position and its pack offset, read from the file in one block of at most 64
//! ids and one or two offsets. The file is checked once when opened, streamed: the same
//! checks as [`super::index::PackIndex::parse`] (magic, version, length, every 8-byte
//! offset entry in the file).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use anyhow::{Result, bail};
use git2::Oid;

use super::layout::read_full;

/// Ids a block: one in memory per block, the block read from the file.
const BLOCK: usize = 64;
const HEADER: usize = 8 + 256 * 4;

pub(crate) struct SparseIndex {
    file: File,
    fanout: Box<[u32; 256]>,
    count: usize,
    /// The id at sorted position `k * BLOCK`, for each `k`.
    sample: Vec<[u8; 20]>,
}

impl SparseIndex {
    /// Read and check `file`, keeping the fanout table and every 64th id.
    pub(crate) fn open(file: File) -> Result<SparseIndex> {
        let len = file.metadata()?.len();
        (&file).seek(SeekFrom::Start(0))?;
        let mut r = BufReader::with_capacity(1 << 16, &file);
        let mut head = [0u8; HEADER];
        r.read_exact(&mut head).map_err(|_| anyhow::anyhow!("not a version 2 pack index"))?;
        if head[..4] != [0xff, b't', b'O', b'c'] || be32(&head[4..]) != 2 {
            bail!("not a version 2 pack index");
        }
        let mut fanout = Box::new([0u32; 256]);
        for (i, f) in fanout.iter_mut().enumerate() {
            *f = be32(&head[8 + i * 4..]);
        }
        let count = fanout[255] as usize;
        let need = (HEADER + count * (20 + 4 + 4) + 40) as u64;
        if len < need {
            bail!("pack index is truncated");
        }
        let mut sample = Vec::with_capacity(count.div_ceil(BLOCK));
        let mut id = [0u8; 20];
        for i in 0..count {
            r.read_exact(&mut id)?;
            if i % BLOCK == 0 {
                sample.push(id);
            }
        }
        std::io::copy(&mut (&mut r).take(count as u64 * 4), &mut std::io::sink())?;
        let mut large = 0u64;
        let mut word = [0u8; 4];
        for _ in 0..count {
            r.read_exact(&mut word)?;
            let v = be32(&word);
            if v & 0x8000_0000 != 0 {
                large = large.max((v & 0x7fff_ffff) as u64 + 1);
            }
        }
        if len < need + large * 8 {
            bail!("pack index is truncated");
        }
        drop(r);
        Ok(SparseIndex { file, fanout, count, sample })
    }

    /// Sorted position of `oid`, if this pack has it (`None` too if the file cannot be
    /// read any more).
    pub(crate) fn find(&self, oid: &Oid) -> Option<usize> {
        let key = oid.as_bytes();
        let first = key[0] as usize;
        let lo = if first == 0 { 0 } else { self.fanout[first - 1] as usize };
        let hi = (self.fanout[first] as usize).min(self.count);
        if lo >= hi {
            return None;
        }
        // The last block that starts at or before `key`, within the fanout bucket.
        let k = self.sample.partition_point(|s| s.as_slice() <= key);
        let start = (k.saturating_sub(1) * BLOCK).max(lo);
        let end = (start - start % BLOCK + BLOCK).min(hi);
        if start >= end {
            return None;
        }
        let mut ids = [0u8; BLOCK * 20];
        let ids = &mut ids[..(end - start) * 20];
        let n = read_full(&self.file, ids, (HEADER + start * 20) as u64).ok()?;
        if n < ids.len() {
            return None;
        }
        let (mut a, mut b) = (0, end - start);
        while a < b {
            let mid = (a + b) / 2;
            match ids[mid * 20..mid * 20 + 20].cmp(key) {
                std::cmp::Ordering::Less => a = mid + 1,
                std::cmp::Ordering::Greater => b = mid,
                std::cmp::Ordering::Equal => return Some(start + mid),
            }
        }
        None
    }

    /// The pack offset of the object at sorted position `i` (`None`: the file cannot be
    /// read any more).
    pub(crate) fn offset(&self, i: usize) -> Option<u64> {
        let small_offsets = HEADER + self.count * 24;
        let mut word = [0u8; 4];
        let n = read_full(&self.file, &mut word, (small_offsets + i * 4) as u64).ok()?;
        let small = (n == 4).then(|| be32(&word))?;
        if small & 0x8000_0000 == 0 {
            return Some(small as u64);
        }
        let at = small_offsets + self.count * 4 + (small & 0x7fff_ffff) as usize * 8;
        let mut big = [0u8; 8];
        let n = read_full(&self.file, &mut big, at as u64).ok()?;
        (n == 8).then(|| u64::from_be_bytes(big))
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}
