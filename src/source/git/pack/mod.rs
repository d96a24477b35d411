//! Every blob in the object store, streamed pack by pack in delta-tree order (the `pack`
//! engine of whole-history scans), then the loose objects.
//!
//! Takes a repository; gives the hits of every blob that has any, by id, and counts. No
//! commit or tree is read here: which commits and paths hold a blob is worked out
//! afterwards, and only for blobs with hits. A blob stored in several packs is scanned
//! once. Corrupt pack data and unreadable loose objects are counted warnings.

pub mod bombs;
pub(crate) mod commit_table;
pub(crate) mod compact;
pub mod delta;
pub mod header;
pub mod index;
pub mod layout;
pub(crate) mod oversize;
pub mod resolve;
pub(crate) mod single;
pub(crate) mod sparse;
pub(crate) mod tree_format;
pub mod trees;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use self::layout::Layout;
use self::resolve::{Lost, Pack, Visitor};
use super::{Ctx, blobs};
use crate::detect::stream::{Hit, StreamScratch, scan_bytes};
use crate::source::git::kind::ObjectKind;
use crate::source::{SkipReason, Stats};
use crate::vocab::human_bytes;

/// What the blob pass over every pack gives.
pub struct AllBlobs {
    /// The hits in each blob that has any.
    pub hits: HashMap<Oid, Vec<Hit>>,
    /// Blobs scanned, bytes, and what was skipped by reason.
    pub stats: Stats,
    /// Over `--max-blob-size`: counted, warned about once placed (to name a path).
    pub refused: Vec<oversize::Refused>,
}

impl AllBlobs {
    fn new() -> Self {
        AllBlobs { hits: HashMap::new(), stats: Stats::default(), refused: Vec::new() }
    }
}

/// The pack engine reads `objects/` itself; it leaves repositories with alternates
/// (objects borrowed from elsewhere) or a `commondir` (whose `objects/` libgit2 reads
/// instead) to the object-by-object engine.
pub fn usable(repo: &Repository) -> bool {
    let objects = repo.path().join("objects");
    objects.is_dir() && !objects.join("info/alternates").exists() && !repo.path().join("commondir").exists()
}

struct OpenPack {
    file: File,
    idx: index::PackIndex,
    layout: Layout,
}

/// The object store, opened: every pack's index and layout, and the loose object ids.
pub struct Store {
    packs: Vec<OpenPack>,
    loose: Vec<Oid>,
}

impl Store {
    /// Read every pack's index and lay each pack out (headers read on `threads`
    /// threads); errors for an `objects/` that cannot be listed.
    pub fn open(repo: &Repository, threads: usize) -> Result<Store> {
        let objects = repo.path().join("objects");
        let mut packs = Vec::new();
        for (pack_path, idx_path) in pack_files(&objects)? {
            let bytes =
                std::fs::read(&idx_path).with_context(|| format!("cannot read '{}'", idx_path.display()))?;
            let mut idx =
                index::PackIndex::parse(bytes).with_context(|| format!("'{}'", idx_path.display()))?;
            let file =
                File::open(&pack_path).with_context(|| format!("cannot open '{}'", pack_path.display()))?;
            let layout =
                Layout::read(&file, &idx, threads).with_context(|| format!("'{}'", pack_path.display()))?;
            // The layout holds the offsets now: only the ids are read from here on.
            idx.keep_ids_only();
            packs.push(OpenPack { file, idx, layout });
        }
        let indexes: Vec<&index::PackIndex> = packs.iter().map(|p| &p.idx).collect();
        let loose = loose_objects(&objects, &indexes);
        Ok(Store { packs, loose })
    }

    fn pack<'a>(&'a self, p: &'a OpenPack, repo: &'a Repository, max_object: u64) -> Pack<'a> {
        Pack { file: &p.file, idx: &p.idx, layout: &p.layout, git_dir: repo.path(), max_object }
    }

    /// Scan every blob: pack by pack in delta-tree order, then the loose ones.
    pub fn scan_blobs(&self, repo: &Repository, ctx: &Ctx) -> Result<AllBlobs> {
        let mut all = AllBlobs::new();
        let mut done: HashSet<Oid> = HashSet::new();
        for (k, p) in self.packs.iter().enumerate() {
            let later = &self.packs[k + 1..];
            let seen = scan_pack(
                &self.pack(p, repo, ctx.opts.max_blob_size),
                repo,
                ctx,
                &done,
                &mut all,
                !later.is_empty(),
            );
            // Only what a later pack holds again needs remembering (a blob in one pack is
            // met once): a history in one pack keeps no set of blob ids.
            done.extend(seen.into_iter().filter(|o| later.iter().any(|q| q.idx.find(o).is_some())));
        }
        let loose: Vec<Oid> = self.loose.iter().filter(|o| !done.contains(o)).copied().collect();
        let (refused, loose) = oversize::split_loose(repo, loose, ctx.opts.max_blob_size, &mut all.stats);
        all.refused.extend(refused);
        if !loose.is_empty() {
            ctx.progress.bar("scanning loose objects", loose.len() as u64, "objects");
            let none = |_: Oid| String::new();
            let job = ctx.blob_job(&none);
            let scanned = blobs::scan(&job, &loose)?;
            all.hits.extend(scanned.hits);
            all.stats.merge(&scanned.stats);
        }
        Ok(all)
    }

    /// Every tree, pack by pack and then the loose ones, as a graph keeping the edges to
    /// subtrees and to the `hits` blobs; also the number of trees that could not be read.
    pub fn read_trees(
        &self,
        repo: &Repository,
        ctx: &Ctx,
        hits: &HashSet<Oid>,
        label: &str,
    ) -> (trees::Graph, u64) {
        let per_pack: Vec<Vec<(u32, ObjectKind)>> = self
            .packs
            .iter()
            .map(|p| roots_of(&self.pack(p, repo, ctx.opts.max_blob_size), repo, ObjectKind::Tree))
            .collect();
        let totals: Vec<usize> = (self.packs.iter().zip(&per_pack))
            .map(|(p, roots)| roots.iter().map(|&(r, _)| p.layout.subtree_len(r)).sum())
            .collect();
        let graph = Mutex::new(trees::Graph::with_capacity(totals.iter().sum()));
        let mut unreadable = 0;
        let hits = trees::Hits::new(hits);
        let make = || trees::TreeVisitor { ctx, hits: &hits, graph: &graph, unreadable: 0 };
        for ((p, roots), total) in self.packs.iter().zip(&per_pack).zip(totals) {
            let pack = self.pack(p, repo, ctx.opts.max_blob_size);
            ctx.progress.bar(label, total as u64, "trees");
            for v in resolve::resolve(&pack, roots, ctx.opts.threads, &make) {
                unreadable += v.unreadable;
            }
        }
        let mut loose = make();
        trees::add_loose(repo, &self.loose, &mut loose);
        unreadable += loose.unreadable;
        (graph.into_inner().unwrap_or_else(|p| p.into_inner()), unreadable)
    }

    /// Every commit of every pack that hashes to its id and parses strictly, decoded on
    /// all threads; loose commits, and any other, are left to libgit2 (the checked walk).
    pub(crate) fn read_commits(&self, repo: &Repository, ctx: &Ctx) -> commit_table::CommitTable {
        let mut rows = Vec::new();
        for p in &self.packs {
            let pack = self.pack(p, repo, ctx.opts.max_blob_size);
            let roots = roots_of(&pack, repo, ObjectKind::Commit);
            let total = roots.iter().map(|&(r, _)| p.layout.subtree_len(r)).sum::<usize>();
            ctx.progress.bar("reading commits", total as u64, "commits");
            let make = commit_table::CommitVisitor::default;
            rows.extend(resolve::resolve(&pack, &roots, ctx.opts.threads, &make));
        }
        commit_table::CommitTable::new(rows)
    }
}

/// The roots of `pack`'s delta trees of `kind` (each with that kind, as `resolve` takes them).
fn roots_of(pack: &Pack, repo: &Repository, kind: ObjectKind) -> Vec<(u32, ObjectKind)> {
    let l = pack.layout;
    l.roots().filter(|&r| resolve::root_kind(pack, repo, r) == Some(kind)).map(|r| (r, kind)).collect()
}

/// Scan one pack's blobs (those not in `done`); gives the ids scanned if `track`.
fn scan_pack(
    pack: &Pack,
    repo: &Repository,
    ctx: &Ctx,
    done: &HashSet<Oid>,
    all: &mut AllBlobs,
    track: bool,
) -> Vec<Oid> {
    let l = pack.layout;
    let mut roots = Vec::new();
    for r in l.roots() {
        match resolve::root_kind(pack, repo, r) {
            Some(k @ (ObjectKind::Blob | ObjectKind::Broken)) => roots.push((r, k)),
            Some(_) => {}
            None => {
                let oid = pack.idx.oid(l.pos(r));
                ctx.progress.warn(&format!("pack object {oid}: its delta base is missing; not scanned"));
                all.stats.skipped.entry(SkipReason::Unreadable).and_modify(|n| *n += 1).or_insert(1);
            }
        }
    }
    for i in l.in_cycles() {
        let oid = pack.idx.oid(l.pos(i));
        ctx.progress.warn(&format!("pack object {oid}: its chain of delta bases is a cycle; not scanned"));
        all.stats.skip(SkipReason::Unreadable);
    }
    let total: usize = roots.iter().map(|&(r, _)| l.subtree_len(r)).sum();
    ctx.progress.bar("scanning blobs", total as u64, "blobs");
    let make = || BlobVisitor {
        ctx,
        skip: done,
        track,
        scratch: StreamScratch::default(),
        out: AllBlobs::new(),
        seen: Vec::new(),
    };
    let (mut seen, mut refused) = (Vec::new(), Vec::new());
    for v in resolve::resolve(pack, &roots, ctx.opts.threads, &make) {
        all.hits.extend(v.out.hits);
        all.stats.merge(&v.out.stats);
        seen.extend(v.seen);
        refused.extend(v.out.refused);
    }
    oversize::add_built_on(pack, &mut refused);
    all.refused.extend(refused);
    seen
}

struct BlobVisitor<'a> {
    ctx: &'a Ctx<'a>,
    skip: &'a HashSet<Oid>,
    /// Keep the ids scanned (for the packs after this one).
    track: bool,
    scratch: StreamScratch,
    out: AllBlobs,
    seen: Vec<Oid>,
}

impl Visitor for BlobVisitor<'_> {
    fn wants(&mut self, oid: Oid, kind: ObjectKind, size: u64) -> bool {
        if kind != ObjectKind::Blob || self.skip.contains(&oid) {
            return false;
        }
        if size > self.ctx.opts.max_blob_size {
            self.out.stats.skip(SkipReason::TooLarge);
            self.out.refused.push(oversize::Refused { oid, size, lost: 1, built_on: Vec::new() });
            return false;
        }
        true
    }

    fn object(&mut self, oid: Oid, _kind: ObjectKind, data: &[u8]) {
        let mut hits = Vec::new();
        scan_bytes(self.ctx.det, data, &mut self.scratch, &mut hits);
        crate::source::report_notices(
            &mut self.scratch.notices,
            || format!("blob {oid}"),
            self.ctx.progress,
            &mut self.out.stats,
        );
        if !hits.is_empty() {
            self.out.hits.insert(oid, hits);
        }
        self.out.stats.files += 1;
        self.out.stats.bytes += data.len() as u64;
        if self.track {
            self.seen.push(oid);
        }
        self.ctx.progress.item_done(data.len() as u64, "blobs");
    }

    fn broken(&mut self, oid: Oid, why: &Lost, lost: usize) {
        if let Lost::TooLarge(size) = *why {
            *self.out.stats.skipped.entry(SkipReason::TooLarge).or_default() += lost as u64;
            self.out.refused.push(oversize::Refused { oid, size, lost, built_on: Vec::new() });
            return;
        }
        let (reason, msg) = lost_message(oid, why, lost, "not scanned");
        self.ctx.progress.warn(&msg);
        *self.out.stats.skipped.entry(reason).or_default() += lost as u64;
    }
}

/// The skip reason and the warning for objects a delta tree lost at `oid`.
pub fn lost_message(oid: Oid, why: &Lost, lost: usize, consequence: &str) -> (SkipReason, String) {
    let also = |n: usize| if n > 0 { format!(" (and {n} objects built on it)") } else { String::new() };
    match why {
        Lost::Broken(e) => (
            SkipReason::Unreadable,
            format!("cannot decode pack object {oid}{}: {e}; {consequence}", also(lost - 1)),
        ),
        Lost::TooLarge(size) => (
            SkipReason::TooLarge,
            format!(
                "pack object {oid}{} is {}, over --max-blob-size: {consequence}",
                also(lost - 1),
                human_bytes(*size)
            ),
        ),
        Lost::Capped(e) => {
            (SkipReason::Capped, format!("{lost} pack objects built on {oid}: {e}; {consequence}"))
        }
    }
}

/// `objects/pack/*.pack` that have an `.idx`, sorted.
fn pack_files(objects: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let dir = objects.join("pack");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for e in entries {
        let p = e.with_context(|| format!("cannot list '{}'", dir.display()))?.path();
        if p.extension().is_some_and(|x| x == "pack") && p.with_extension("idx").is_file() {
            out.push((p.clone(), p.with_extension("idx")));
        }
    }
    out.sort();
    Ok(out)
}

/// Loose objects (`objects/xx/yyyy…`) not in any pack.
fn loose_objects(objects: &Path, packs: &[&index::PackIndex]) -> Vec<Oid> {
    let mut out = Vec::new();
    for fan in 0..=255u8 {
        let Ok(entries) = std::fs::read_dir(objects.join(format!("{fan:02x}"))) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(rest) = name.to_str().filter(|n| n.len() == 38) else { continue };
            let Ok(oid) = Oid::from_str(&format!("{fan:02x}{rest}")) else { continue };
            if packs.iter().all(|p| p.find(&oid).is_none()) {
                out.push(oid);
            }
        }
    }
    out.sort();
    out
}
