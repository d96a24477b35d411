//! Decoding a pack in delta-tree order: every object inflated once, every delta applied
//! once, to its base decoded just before (what `git index-pack` does, minus hashing: the
//! index already gives the ids).
//!
//! Takes a pack, its layout, the roots to resolve and a [`Visitor`] factory; each worker
//! thread takes whole delta trees (largest first), walks each depth first holding only the
//! chain of bases above the current object, and hands every decoded object to its own
//! visitor. Corrupt data is reported to the visitor with the number of objects lost.
//! Each worker reads the pack through a few windows (`window.rs`): objects near each
//! other cost one `pread` together; a visitor may take its objects in batches (`batch.rs`).

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, bail};
use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;

use self::window::ReadWindow;
use super::delta;
use super::index::PackIndex;
use super::layout::{EXTERNAL, Layout};
use crate::source::git::kind::ObjectKind;

#[path = "batch.rs"]
mod batch;
#[path = "window.rs"]
mod window;

use self::batch::BATCH_BYTES;
pub use self::batch::Batch;

/// Objects larger than this are refused as corrupt (a declared size, not data).
const MAX_OBJECT: u64 = 4 << 30;
/// Deltas deeper than this below their full base are not decoded (git writes at most 4095).
pub const MAX_DELTA_DEPTH: usize = 10_000;
/// Bytes of decoded bases a worker may hold at once for one delta chain.
pub const MAX_HELD_BYTES: u64 = 512 << 20;

/// Why part of a delta tree was not decoded.
#[derive(Debug)]
pub enum Lost {
    /// Corrupt or unreadable data (a reserved type, a truncated pack, bad zlib, ...).
    Broken(String),
    /// The object (a blob, or a base others are built on) is over `--max-blob-size`.
    TooLarge(u64),
    /// A cap on delta chains (depth, bytes held) was reached.
    Capped(String),
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Lost::Broken(why) | Lost::Capped(why) => f.write_str(why),
            Lost::TooLarge(size) => write!(f, "{} bytes, over --max-blob-size", size),
        }
    }
}

/// What a pass over a pack's delta trees does with each object.
pub trait Visitor {
    /// Whether to decode a leaf object of this id, kind and size at all.
    fn wants(&mut self, oid: Oid, kind: ObjectKind, size: u64) -> bool;
    /// A decoded object this visitor wanted.
    fn object(&mut self, oid: Oid, kind: ObjectKind, data: &[u8]);
    /// An object that was not decoded; `lost` counts it and its delta descendants.
    fn broken(&mut self, oid: Oid, why: &Lost, lost: usize);
    /// How many decoded objects to hand over at once, through [`Visitor::objects`]
    /// (0: each to [`Visitor::object`] as it is decoded).
    fn batch(&self) -> usize {
        0
    }
    /// Decoded objects this visitor wanted, in decoding order (see [`Visitor::batch`]).
    fn objects(&mut self, batch: &Batch) {
        for (oid, kind, data) in batch.iter() {
            self.object(oid, kind, data);
        }
    }
}

/// One pack, opened and laid out, as the resolver reads it.
pub struct Pack<'a> {
    /// The `.pack` file (read with `pread`).
    pub file: &'a File,
    /// Its index: the id at each position.
    pub idx: &'a PackIndex,
    /// Its objects in pack order, with their delta children.
    pub layout: &'a Layout,
    /// The repository, for REF_DELTA bases stored outside this pack.
    pub git_dir: &'a Path,
    /// `--max-blob-size`: no object over it (base or not) is decoded.
    pub max_object: u64,
}

/// Resolve the delta trees under `roots` (each with the kind of its whole tree) on
/// `threads` threads; returns each thread's visitor.
pub fn resolve<V: Visitor + Send>(
    pack: &Pack,
    roots: &[(u32, ObjectKind)],
    threads: usize,
    make: &(dyn Fn() -> V + Sync),
) -> Vec<V> {
    let mut order: Vec<(usize, u32, ObjectKind)> =
        roots.iter().map(|&(r, k)| (pack.layout.subtree_len(r), r, k)).collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker::new(pack);
                    let mut v = make();
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(_, root, kind)) = order.get(at) else { break };
                        // The next roots' ids (this worker's or another's) load meanwhile.
                        order.iter().skip(at + 1).take(3).for_each(|&(_, r, _)| w.prefetch(r));
                        w.tree(root, kind, &mut v);
                    }
                    w.hand_over(&mut v);
                    v
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().expect("pack worker panicked")).collect()
    })
}

/// The kind a root's delta tree has: its own, or (a delta on a base outside the pack)
/// its base's, read through `repo`. `None`: the base cannot be read.
pub fn root_kind(pack: &Pack, repo: &git2::Repository, root: u32) -> Option<ObjectKind> {
    if pack.layout.base(root) != EXTERNAL {
        return Some(pack.layout.kind(root));
    }
    let oid = pack.layout.external[&root];
    let odb = repo.odb().ok()?;
    let (_, kind) = crate::guard::isolate(|| odb.read_header(oid))?.ok()?;
    ObjectKind::from_git2(kind)
}

struct Worker<'a> {
    pack: &'a Pack<'a>,
    inflater: Decompress,
    /// The pack's bytes around the last objects read (one `pread` for many objects).
    window: ReadWindow,
    delta: Vec<u8>,
    pool: Vec<Vec<u8>>,
    /// Decoded objects not yet handed to the visitor (see [`Visitor::batch`]).
    batch: Batch,
    /// Opened on first need (a delta on a base outside the pack).
    repo: Option<git2::Repository>,
}

impl<'a> Worker<'a> {
    fn new(pack: &'a Pack<'a>) -> Self {
        Worker {
            pack,
            inflater: Decompress::new(true),
            window: ReadWindow::default(),
            delta: Vec::new(),
            pool: Vec::new(),
            batch: Batch::default(),
            repo: None,
        }
    }

    fn oid(&self, i: u32) -> Oid {
        self.pack.idx.oid(self.pack.layout.pos(i))
    }

    /// Start loading object `i`'s id (see [`PackIndex::prefetch`]).
    fn prefetch(&self, i: u32) {
        self.pack.idx.prefetch(self.pack.layout.pos(i));
    }

    /// Decode `root` itself and give it to `v` if wanted; its bytes, to build its delta
    /// children on, unless it is lost (said to `v`) or a leaf nobody wants.
    fn root<V: Visitor>(&mut self, root: u32, kind: ObjectKind, v: &mut V) -> Option<Vec<u8>> {
        let l = self.pack.layout;
        let (oid, leaf) = (self.oid(root), l.children(root).is_empty());
        if let Some(why) = l.broken.get(&root) {
            v.broken(oid, &Lost::Broken(why.clone()), l.subtree_len(root));
            return None;
        }
        // A full object's header gives its size: a leaf nobody wants is never inflated.
        let external = l.base(root) == EXTERNAL;
        if leaf && !external && !v.wants(oid, kind, l.size(root)) {
            return None;
        }
        if !external && l.size(root) > self.pack.max_object {
            v.broken(oid, &Lost::TooLarge(l.size(root)), l.subtree_len(root));
            return None;
        }
        let mut data = self.take_buf();
        if let Err(e) = self.decode_root(root, &mut data) {
            v.broken(oid, &e, l.subtree_len(root));
            return None;
        }
        if (leaf && !external) || v.wants(oid, kind, data.len() as u64) {
            self.give(v, oid, kind, &data);
        }
        Some(data)
    }

    /// Decode the delta tree under `root` (all of kind `kind`), depth first. A parent whose
    /// last child is being decoded is released first, so a long chain holds two buffers.
    fn tree<V: Visitor>(&mut self, root: u32, kind: ObjectKind, v: &mut V) {
        let l = self.pack.layout;
        let Some(data) = self.root(root, kind, v) else { return };
        let mut held = data.len() as u64;
        let mut stack: Vec<(u32, Vec<u8>, usize, usize)> = vec![(root, data, 0, 0)];
        while let Some((obj, _, next, depth)) = stack.last_mut() {
            let children = l.children(*obj);
            let Some(&c) = children.get(*next) else {
                let (_, buf, _, _) = stack.pop().expect("non-empty");
                held -= buf.len() as u64;
                self.pool.push(buf);
                continue;
            };
            *next += 1;
            let (last_child, depth) = (*next == children.len(), *depth + 1);
            // The ids decoded next (a sibling, a first child) load while this one is.
            children.get(*next).into_iter().chain(l.children(c).first()).for_each(|&n| self.prefetch(n));
            let (coid, leaf) = (self.oid(c), l.children(c).is_empty());
            let mut out = self.take_buf();
            let base = &stack.last().expect("non-empty").1;
            let max = self.pack.max_object;
            let r = self.decode_delta(c, base, &mut out, |size| match size > max {
                true if !leaf => Err(Lost::TooLarge(size)),
                _ => Ok(!leaf || v.wants(coid, kind, size)),
            });
            match r {
                Ok(false) => self.pool.push(out),
                Ok(true) => {
                    if leaf || v.wants(coid, kind, out.len() as u64) {
                        self.give(v, coid, kind, &out);
                    }
                    if leaf {
                        self.pool.push(out);
                        continue;
                    }
                    if last_child {
                        let (_, buf, _, _) = stack.pop().expect("non-empty");
                        held -= buf.len() as u64;
                        self.pool.push(buf);
                    }
                    if let Some(why) = over_caps(depth, held + out.len() as u64) {
                        v.broken(coid, &Lost::Capped(why), l.subtree_len(c) - 1);
                        self.pool.push(out);
                        continue;
                    }
                    held += out.len() as u64;
                    stack.push((c, out, 0, depth));
                }
                Err(e) => {
                    v.broken(coid, &e, l.subtree_len(c));
                    self.pool.push(out);
                }
            }
        }
    }

    /// Hand `data` to `v`, now or (batching) with the next objects.
    fn give<V: Visitor>(&mut self, v: &mut V, oid: Oid, kind: ObjectKind, data: &[u8]) {
        let most = v.batch();
        if most == 0 || data.len() > BATCH_BYTES {
            return v.object(oid, kind, data);
        }
        if self.batch.len() >= most || self.batch.bytes.len() + data.len() > BATCH_BYTES {
            self.hand_over(v);
        }
        self.batch.push(oid, kind, data);
    }

    /// Hand the objects batched so far to `v`.
    fn hand_over<V: Visitor>(&mut self, v: &mut V) {
        if !self.batch.is_empty() {
            v.objects(&self.batch);
            self.batch.clear();
        }
    }

    fn take_buf(&mut self) -> Vec<u8> {
        let mut b = self.pool.pop().unwrap_or_default();
        b.clear();
        b
    }

    fn decode_root(&mut self, i: u32, out: &mut Vec<u8>) -> Result<(), Lost> {
        let broken = |e: anyhow::Error| Lost::Broken(format!("{e:#}"));
        if self.pack.layout.base(i) != EXTERNAL {
            return self.inflate(i, out).map_err(broken);
        }
        let base_oid = self.pack.layout.external[&i];
        if self.repo.is_none() {
            let repo = crate::source::git::open::open_git_dir(self.pack.git_dir);
            self.repo = Some(repo.map_err(broken)?);
        }
        let base = {
            let odb = self.repo.as_ref().expect("just opened").odb().map_err(|e| broken(e.into()))?;
            let read = || odb.read_header(base_oid).map(|(size, _)| size as u64);
            match crate::guard::isolate(read) {
                Some(Ok(size)) if size > self.pack.max_object => return Err(Lost::TooLarge(size)),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Lost::Broken(format!("cannot read delta base {base_oid}: {e}"))),
                None => return Err(Lost::Broken(format!("delta base {base_oid} cannot be parsed"))),
            }
            let obj = odb
                .read(base_oid)
                .map_err(|e| Lost::Broken(format!("cannot read delta base {base_oid}: {e}")))?;
            obj.data().to_vec()
        };
        let mut delta = std::mem::take(&mut self.delta);
        let r = self.inflate(i, &mut delta).and_then(|_| delta::apply(&base, &delta, out));
        self.delta = delta;
        r.map_err(broken)
    }

    /// Inflate delta `i`; `keep(result size)` says whether to apply it to `base` into `out`
    /// (returns true) or not (false), or why its tree is lost.
    fn decode_delta(
        &mut self,
        i: u32,
        base: &[u8],
        out: &mut Vec<u8>,
        keep: impl FnOnce(u64) -> Result<bool, Lost>,
    ) -> Result<bool, Lost> {
        let mut delta = std::mem::take(&mut self.delta);
        let broken = |e: anyhow::Error| Lost::Broken(format!("{e:#}"));
        let r = self.inflate(i, &mut delta).map_err(broken).and_then(|_| {
            let size = delta::result_size(&delta).map_err(broken)?;
            if size > MAX_OBJECT {
                return Err(Lost::Broken(format!("declares {size} bytes")));
            }
            if !keep(size)? {
                return Ok(false);
            }
            delta::apply(base, &delta, out).map(|_| true).map_err(broken)
        });
        self.delta = delta;
        r
    }

    /// Inflate object `i`'s zlib data into `out` (exactly its declared size). Reads up to the
    /// next object's offset; if the data runs on (a lying index put a neighbour inside it),
    /// up to what its declared size can take, never past the pack's data.
    fn inflate(&mut self, i: u32, out: &mut Vec<u8>) -> Result<()> {
        let l = self.pack.layout;
        let ((start, end), size) = (l.data(i), l.size(i));
        if size > MAX_OBJECT {
            bail!("declares {size} bytes");
        }
        // zlib never grows data by more than a few bytes per 16 KiB block.
        let most = start.saturating_add(size + size / 64 + 1024).min(l.data_end.max(start));
        let first = end.min(most);
        match self.inflate_range(start, first, size, out) {
            Err(e) if first < most => self.inflate_range(start, most, size, out).map_err(|_| e),
            r => r,
        }
    }

    fn inflate_range(&mut self, start: u64, end: u64, size: u64, out: &mut Vec<u8>) -> Result<()> {
        let zlen = (end - start) as usize;
        if size > zlen as u64 * 1100 + 64 {
            bail!("declares {size} bytes from {zlen} compressed");
        }
        let zdata = self.window.read(self.pack.file, start, end)?;
        let n = zdata.len();
        out.clear();
        out.reserve_exact(size as usize + 1); // one spare byte: longer data shows as corrupt
        self.inflater.reset(true);
        let status = self.inflater.decompress_vec(zdata, out, FlushDecompress::Finish);
        match status {
            Ok(Status::StreamEnd) if out.len() as u64 == size => Ok(()),
            Ok(_) if n < zlen || out.len() as u64 <= size => {
                bail!("object data ends early (pack truncated?): {} of {size} bytes", out.len())
            }
            Ok(_) => bail!("zlib data does not end at its declared size ({size} bytes)"),
            Err(e) => bail!("corrupt zlib data: {e}"),
        }
    }
}

/// Why a delta at `depth` below its full base, with `held` bytes of bases and itself
/// decoded, may not be a base for more deltas.
fn over_caps(depth: usize, held: u64) -> Option<String> {
    if depth >= MAX_DELTA_DEPTH {
        return Some(format!("delta chain deeper than {MAX_DELTA_DEPTH}"));
    }
    if held > MAX_HELD_BYTES {
        return Some(format!("delta chain holds over {} MiB of bases", MAX_HELD_BYTES >> 20));
    }
    None
}
