//! Decoding a pack in delta-tree order: every object inflated once, every delta applied
//! once, to its base decoded just before (what `git index-pack` does, minus hashing: the
//! index already gives the ids).
//!
//! Takes a pack, its layout, the roots to resolve and a [`Visitor`] factory; each worker
//! thread takes whole delta trees (largest first), walks each depth first holding only the
//! chain of bases above the current object, and hands every decoded object to its own
//! visitor. Corrupt data is reported to the visitor with the number of objects lost.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Oid};

use super::delta;
use super::index::PackIndex;
use super::layout::{BLOB, COMMIT, EXTERNAL, Layout, TAG, TREE, read_full};

/// Objects larger than this are refused as corrupt (a declared size, not data).
const MAX_OBJECT: u64 = 4 << 30;

pub trait Visitor {
    /// Whether to decode a leaf object of this id, kind and size at all.
    fn wants(&mut self, oid: Oid, kind: u8, size: u64) -> bool;
    /// A decoded object this visitor wanted.
    fn object(&mut self, oid: Oid, kind: u8, data: &[u8]);
    /// An object that could not be decoded; `lost` counts it and its delta descendants.
    fn broken(&mut self, oid: Oid, why: &anyhow::Error, lost: usize);
}

pub struct Pack<'a> {
    pub file: &'a File,
    pub idx: &'a PackIndex,
    pub layout: &'a Layout,
    /// The repository, for REF_DELTA bases stored outside this pack.
    pub git_dir: &'a Path,
}

/// Resolve the delta trees under `roots` (each with the kind of its whole tree) on
/// `threads` threads; returns each thread's visitor.
pub fn resolve<V: Visitor + Send>(
    pack: &Pack,
    roots: &[(u32, u8)],
    threads: usize,
    make: &(dyn Fn() -> V + Sync),
) -> Vec<V> {
    let mut order: Vec<(usize, u32, u8)> =
        roots.iter().map(|&(r, k)| (pack.layout.subtree_len(r), r, k)).collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker::new(pack);
                    let mut v = make();
                    while let Some(&(_, root, kind)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        w.tree(root, kind, &mut v);
                    }
                    v
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().expect("pack worker panicked")).collect()
    })
}

/// The kind a root's delta tree has: its own, or (a delta on a base outside the pack)
/// its base's, read through `repo`. `None`: the base cannot be read.
pub fn root_kind(pack: &Pack, repo: &git2::Repository, root: u32) -> Option<u8> {
    if pack.layout.base[root as usize] != EXTERNAL {
        return Some(pack.layout.kind[root as usize]);
    }
    let oid = pack.layout.external[&root];
    let (_, kind) = repo.odb().ok()?.read_header(oid).ok()?;
    Some(match kind {
        ObjectType::Commit => COMMIT,
        ObjectType::Tree => TREE,
        ObjectType::Blob => BLOB,
        ObjectType::Tag => TAG,
        _ => return None,
    })
}

struct Worker<'a> {
    pack: &'a Pack<'a>,
    inflater: Decompress,
    zbuf: Vec<u8>,
    delta: Vec<u8>,
    pool: Vec<Vec<u8>>,
    /// Opened on first need (a delta on a base outside the pack).
    repo: Option<git2::Repository>,
}

impl<'a> Worker<'a> {
    fn new(pack: &'a Pack<'a>) -> Self {
        Worker {
            pack,
            inflater: Decompress::new(true),
            zbuf: Vec::new(),
            delta: Vec::new(),
            pool: Vec::new(),
            repo: None,
        }
    }

    fn oid(&self, i: u32) -> Oid {
        self.pack.idx.oid(self.pack.layout.pos[i as usize] as usize)
    }

    /// Decode the delta tree under `root` (all of kind `kind`), depth first.
    fn tree<V: Visitor>(&mut self, root: u32, kind: u8, v: &mut V) {
        let l = self.pack.layout;
        let (oid, leaf) = (self.oid(root), l.children(root).is_empty());
        // A full object's header gives its size: a leaf nobody wants is never inflated.
        let external = l.base[root as usize] == EXTERNAL;
        if leaf && !external && !v.wants(oid, kind, l.size[root as usize]) {
            return;
        }
        let mut data = self.take_buf();
        if let Err(e) = self.decode_root(root, &mut data) {
            v.broken(oid, &e, l.subtree_len(root));
            return;
        }
        if (leaf && !external) || v.wants(oid, kind, data.len() as u64) {
            v.object(oid, kind, &data);
        }
        let mut stack: Vec<(u32, Vec<u8>, usize)> = vec![(root, data, 0)];
        while let Some((obj, _, next)) = stack.last_mut() {
            let children = l.children(*obj);
            let Some(&c) = children.get(*next) else {
                let (_, buf, _) = stack.pop().expect("non-empty");
                self.pool.push(buf);
                continue;
            };
            *next += 1;
            let base = &stack.last().expect("non-empty").1;
            let mut out = self.take_buf();
            let (coid, leaf) = (self.oid(c), l.children(c).is_empty());
            match self.decode_delta(c, base, &mut out, |size| !leaf || v.wants(coid, kind, size)) {
                Ok(false) => self.pool.push(out),
                Ok(true) => {
                    if leaf || v.wants(coid, kind, out.len() as u64) {
                        v.object(coid, kind, &out);
                    }
                    if leaf { self.pool.push(out) } else { stack.push((c, out, 0)) }
                }
                Err(e) => {
                    v.broken(coid, &e, l.subtree_len(c));
                    self.pool.push(out);
                }
            }
        }
    }

    fn take_buf(&mut self) -> Vec<u8> {
        let mut b = self.pool.pop().unwrap_or_default();
        b.clear();
        b
    }

    fn decode_root(&mut self, i: u32, out: &mut Vec<u8>) -> Result<()> {
        if self.pack.layout.base[i as usize] != EXTERNAL {
            return self.inflate(i, out);
        }
        let base_oid = self.pack.layout.external[&i];
        if self.repo.is_none() {
            self.repo =
                Some(git2::Repository::open(self.pack.git_dir).context("cannot open the repository")?);
        }
        let base = {
            let odb = self.repo.as_ref().expect("just opened").odb()?;
            let obj = odb.read(base_oid).with_context(|| format!("cannot read delta base {base_oid}"))?;
            obj.data().to_vec()
        };
        let mut delta = std::mem::take(&mut self.delta);
        let r = self.inflate(i, &mut delta).and_then(|_| delta::apply(&base, &delta, out));
        self.delta = delta;
        r
    }

    /// Inflate delta `i`; if `keep(result size)`, apply it to `base` into `out` and return true.
    fn decode_delta(
        &mut self,
        i: u32,
        base: &[u8],
        out: &mut Vec<u8>,
        keep: impl FnOnce(u64) -> bool,
    ) -> Result<bool> {
        let mut delta = std::mem::take(&mut self.delta);
        let r = self.inflate(i, &mut delta).and_then(|_| {
            let size = delta::result_size(&delta)?;
            if size > MAX_OBJECT {
                bail!("declares {size} bytes");
            }
            if !keep(size) {
                return Ok(false);
            }
            delta::apply(base, &delta, out).map(|_| true)
        });
        self.delta = delta;
        r
    }

    /// Inflate object `i`'s zlib data into `out` (exactly its declared size).
    fn inflate(&mut self, i: u32, out: &mut Vec<u8>) -> Result<()> {
        let l = self.pack.layout;
        let (start, end, size) = (l.start[i as usize], l.end[i as usize], l.size[i as usize]);
        let zlen = (end - start) as usize;
        if size > MAX_OBJECT || size > zlen as u64 * 1100 + 64 {
            bail!("declares {size} bytes from {zlen} compressed");
        }
        self.zbuf.resize(zlen, 0);
        let n = read_full(self.pack.file, &mut self.zbuf, start)?;
        out.clear();
        out.reserve_exact(size as usize + 1); // one spare byte: longer data shows as corrupt
        self.inflater.reset(true);
        let status = self.inflater.decompress_vec(&self.zbuf[..n], out, FlushDecompress::Finish);
        match status {
            Ok(Status::StreamEnd) if out.len() as u64 == size => Ok(()),
            Ok(_) => bail!("zlib data does not end at its declared size ({size} bytes)"),
            Err(e) => bail!("corrupt zlib data: {e}"),
        }
    }
}
