//! A pack's layout: every object's header, read once in pack order, and the delta forest.
//!
//! Takes a `.pack` file and its index; gives, per object (in pack order), its kind, where
//! its zlib data starts and ends, its declared size and its delta base, plus each object's
//! delta children. Headers are read sequentially through a 1 MiB window, so the whole pack
//! costs a handful of reads; a large pack is cut into runs of objects read on several
//! threads, joined in pack order. Nothing is inflated here.

use std::collections::HashMap;
use std::fs::File;

use anyhow::{Context, Result, bail};
use git2::Oid;

use super::header::Window;
pub use super::header::{Base, Header, header_at, parse_header, read_full};
use super::index::PackIndex;
use crate::source::git::kind::ObjectKind;

/// `base` of an object that is not a delta.
pub const NO_BASE: u32 = u32::MAX;
/// `base` of a delta whose base is not in this pack (see [`Layout::external`]).
pub const EXTERNAL: u32 = u32::MAX - 1;

/// Per object, in pack order, in compact columns (about 26 bytes an object): its index
/// position (for its id), header offset (40 bits), kind and header length (one byte),
/// declared size (for a delta: of the delta stream; 32 bits, larger ones on the side) and
/// base (pack-order index), plus the children lists. An object's zlib data runs from the
/// end of its header to the next object's offset.
pub struct Layout {
    pos: Vec<u32>,
    off_lo: Vec<u32>,
    off_hi: Vec<u8>,
    /// `kind << 5 | header length` (a header is at most 31 bytes).
    head: Vec<u8>,
    size: Vec<u32>,
    /// Sizes of `u32::MAX` bytes or more, by object.
    large: HashMap<u32, u64>,
    base: Vec<u32>,
    /// REF_DELTA bases outside this pack, by object.
    pub external: HashMap<u32, Oid>,
    /// Why each [`BROKEN`] object cannot be read.
    pub broken: HashMap<u32, String>,
    /// Where the pack's data ends (before its checksum): no object is read past it.
    pub data_end: u64,
    child_start: Vec<u32>,
    child_list: Vec<u32>,
}

/// Fewest objects one thread reads headers of (fewer are not worth a thread); tests lower it.
static MIN_RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1 << 16);

/// Packs are read up to 2^40 bytes (1 TiB); offsets are kept in 40 bits.
const MAX_PACK: u64 = 1 << 40;

impl Layout {
    /// Read every header, the pack split in `threads` runs of objects read side by side.
    pub fn read(file: &File, idx: &PackIndex, threads: usize) -> Result<Self> {
        let pack_len = file.metadata().context("cannot stat the pack")?.len();
        if pack_len > MAX_PACK {
            bail!("pack is over {} GiB", MAX_PACK >> 30);
        }
        let order = idx.by_offset(threads);
        let n = order.len();
        let mut l = Layout {
            off_lo: order.iter().map(|&p| idx.offset(p as usize) as u32).collect(),
            off_hi: order.iter().map(|&p| (idx.offset(p as usize) >> 32) as u8).collect(),
            pos: order,
            head: Vec::new(),
            size: Vec::new(),
            large: HashMap::new(),
            base: Vec::new(),
            external: HashMap::new(),
            broken: HashMap::new(),
            data_end: pack_len.saturating_sub(20),
            child_start: Vec::new(),
            child_list: Vec::new(),
        };
        let chunk = n.div_ceil(threads.clamp(1, 64)).max(MIN_RUN.load(std::sync::atomic::Ordering::Relaxed));
        let runs: Vec<Run> = std::thread::scope(|s| {
            let l = &l;
            let workers: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|from| s.spawn(move || l.read_run(file, idx, from..(from + chunk).min(n))))
                .collect();
            workers.into_iter().map(|w| w.join().expect("layout worker panicked")).collect()
        });
        if let [_] = &runs[..] {
            let r = runs.into_iter().next().expect("one run");
            (l.head, l.size, l.base, l.large, l.external, l.broken) =
                (r.head, r.size, r.base, r.large, r.external, r.broken);
            l.link();
            return Ok(l);
        }
        (l.head, l.size, l.base) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for r in runs {
            l.head.extend(r.head);
            l.size.extend(r.size);
            l.base.extend(r.base);
            l.large.extend(r.large);
            l.external.extend(r.external);
            l.broken.extend(r.broken);
        }
        l.link();
        Ok(l)
    }

    /// The headers of objects `range` (pack order), through one window.
    fn read_run(&self, file: &File, idx: &PackIndex, range: std::ops::Range<usize>) -> Run {
        let n = range.len();
        let mut r = Run {
            head: Vec::with_capacity(n),
            size: Vec::with_capacity(n),
            base: Vec::with_capacity(n),
            ..Run::default()
        };
        let mut window = Window::new(file);
        for i in range {
            let off = self.offset(i as u32);
            let header = window.header(off).and_then(|h| {
                let base = match h.base {
                    Base::None => NO_BASE,
                    Base::Offset(b) => {
                        self.at(b).with_context(|| format!("delta base at {b} is no object"))?
                    }
                    Base::Id(oid) => match idx.find(&oid).and_then(|p| self.at(idx.offset(p))) {
                        Some(b) => b,
                        None => {
                            r.external.insert(i as u32, oid);
                            EXTERNAL
                        }
                    },
                };
                Ok((h, base))
            });
            let (kind, len, size, base) = match header {
                Ok((h, base)) => (h.kind, h.len as u8, h.size, base),
                Err(e) => {
                    r.broken.insert(i as u32, format!("bad object header at pack offset {off}: {e:#}"));
                    (ObjectKind::Broken, 0, 0, NO_BASE)
                }
            };
            r.head.push(kind.pack_bits() << 5 | len);
            if size >= u32::MAX as u64 {
                r.large.insert(i as u32, size);
            }
            r.size.push(size.min(u32::MAX as u64) as u32);
            r.base.push(base);
        }
        r
    }

    /// The pack-order index of the object at pack offset `o`.
    fn at(&self, o: u64) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.pos.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.offset(mid as u32).cmp(&o) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// Pack offset of object `i`'s header.
    pub fn offset(&self, i: u32) -> u64 {
        (self.off_hi[i as usize] as u64) << 32 | self.off_lo[i as usize] as u64
    }

    /// Index position of object `i` (for its id).
    pub fn pos(&self, i: u32) -> usize {
        self.pos[i as usize] as usize
    }

    /// Object `i`'s kind as its header gave it (a delta's own, `Broken` where that
    /// header could not be read: [`Layout::broken`] says why).
    pub fn kind(&self, i: u32) -> ObjectKind {
        ObjectKind::from_stored(self.head[i as usize] >> 5)
    }

    /// Declared size: of the object, or for a delta, of its delta stream.
    pub fn size(&self, i: u32) -> u64 {
        match self.size[i as usize] {
            u32::MAX => self.large.get(&i).copied().unwrap_or(u32::MAX as u64),
            s => s as u64,
        }
    }

    /// Base (pack-order index), [`NO_BASE`] or [`EXTERNAL`].
    pub fn base(&self, i: u32) -> u32 {
        self.base[i as usize]
    }

    /// Where object `i`'s zlib data starts and where the next object starts (never past
    /// the pack's data, never before the start).
    pub fn data(&self, i: u32) -> (u64, u64) {
        let start = self.offset(i) + (self.head[i as usize] & 31) as u64;
        let next = if (i as usize) + 1 < self.pos.len() { self.offset(i + 1) } else { self.data_end };
        (start, next.min(self.data_end).max(start))
    }

    /// Build the children lists (compressed sparse rows).
    fn link(&mut self) {
        let n = self.base.len();
        let mut count = vec![0u32; n + 1];
        for &b in &self.base {
            if (b as usize) < n {
                count[b as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        let mut list = vec![0u32; count[n] as usize];
        for (i, &b) in self.base.iter().enumerate() {
            if (b as usize) < n {
                list[fill[b as usize] as usize] = i as u32;
                fill[b as usize] += 1;
            }
        }
        self.child_start = count;
        self.child_list = list;
    }

    /// No object in the pack.
    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    /// Objects in the pack (rows are `0..len`, in pack order).
    pub fn len(&self) -> usize {
        self.base.len()
    }

    /// The deltas whose base is object `i`, as rows.
    pub fn children(&self, i: u32) -> &[u32] {
        let (a, b) = (self.child_start[i as usize], self.child_start[i as usize + 1]);
        &self.child_list[a as usize..b as usize]
    }

    /// Objects with no base in this pack: full objects and deltas on external bases.
    pub fn roots(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len() as u32).filter(|&i| matches!(self.base[i as usize], NO_BASE | EXTERNAL))
    }

    /// Objects no root leads to: deltas whose chain of bases is a cycle, and the deltas
    /// built on them. Never decoded (libgit2 would loop on them).
    pub fn in_cycles(&self) -> Vec<u32> {
        let mut reached = vec![false; self.len()];
        let mut stack: Vec<u32> = self.roots().collect();
        while let Some(j) = stack.pop() {
            reached[j as usize] = true;
            stack.extend_from_slice(self.children(j));
        }
        (0..self.len() as u32).filter(|&i| !reached[i as usize]).collect()
    }

    /// Number of objects in the delta tree under `i`, `i` included.
    pub fn subtree_len(&self, i: u32) -> usize {
        let mut stack = vec![i];
        let mut n = 0;
        while let Some(j) = stack.pop() {
            n += 1;
            stack.extend_from_slice(self.children(j));
        }
        n
    }
}

/// One thread's share of [`Layout::read`].
#[derive(Default)]
struct Run {
    head: Vec<u8>,
    size: Vec<u32>,
    base: Vec<u32>,
    large: HashMap<u32, u64>,
    external: HashMap<u32, Oid>,
    broken: HashMap<u32, String>,
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
