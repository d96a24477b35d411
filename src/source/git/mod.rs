//! Git repositories, read with git2 (never the `git` command): whole history, a commit
//! range (CI), or the index (pre-commit).
//!
//! Takes a repository path and a mode; gives findings whose paths are relative to the
//! repository root, with provenance kept apart from content: blobs are scanned once each
//! (by id), and only blobs with hits are mapped back to paths and commits. The same secret
//! at the same path is one finding, at its oldest occurrence.

mod blobs;
pub mod caps;
mod changes;
mod commits;
mod exposure;
mod history;
pub mod kind;
pub(crate) mod limits;
pub(crate) mod open;
mod order;
pub mod pack;
pub(crate) mod prereceive;
pub(crate) mod revs;
mod tags;
pub(crate) mod tree;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use git2::{Commit, Oid};

use super::Stats;
use crate::detect::Detector;
use crate::detect::stream::Hit;
use crate::finding::{CommitInfo, Found, Provenance, RelPath};
use crate::progress::Progress;

/// What part of a repository `loftyscan git` scans.
#[derive(Clone, Debug)]
pub enum GitMode {
    /// Every commit reachable from any ref.
    History,
    /// `A..B`: what commits reachable from B and not from A added.
    Range(String),
    /// Index entries that differ from HEAD, as staged.
    Staged,
    /// A git server's pre-receive hook: what the push adds (read from standard input).
    PreReceive(Arc<crate::prereceive::Push>),
}

/// How a whole-history scan reads blobs (`--git-engine`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GitEngine {
    /// `pack` where the repository allows it, else `odb`.
    Auto,
    /// Decode every pack in pack order, then place only blobs with hits.
    Pack,
    /// Walk commits and trees, then read each reachable blob by id.
    Odb,
}

/// A git scan's settings, resolved from the command line and the trusted config.
pub struct GitOptions {
    /// What to scan.
    pub mode: GitMode,
    /// How a whole-history scan reads blobs.
    pub engine: GitEngine,
    /// Blobs larger than this many bytes are skipped with a counted warning.
    pub max_blob_size: u64,
    /// Worker threads (`-j`), at least 1.
    pub threads: usize,
    /// Whole history: also report blobs no ref reaches, by blob id.
    pub include_unreachable: bool,
    /// Whole history: `--since`/`--branch`.
    pub limits: limits::Limits,
}

/// What every git mode needs besides the repository.
pub struct Ctx<'a> {
    /// The compiled rules.
    pub det: &'a Detector,
    /// The repository's packs, checked before libgit2 reads an object from them.
    pub packs: pack::single::PackReader,
    /// The scan's settings.
    pub opts: &'a GitOptions,
    /// The progress bar (hidden unless asked for on a terminal).
    pub progress: &'a Progress,
    /// How the repository was opened: worker threads reopen it the same way.
    pub spec: &'a open::RepoSpec,
    /// More object directories to read from (a pre-receive hook's quarantine).
    pub object_dirs: &'a [PathBuf],
}

impl Ctx<'_> {
    /// A blob scan of this repository with these settings; `describe` names a blob (by a
    /// path it has) in warnings.
    pub fn blob_job<'a>(&'a self, describe: &'a (dyn Fn(Oid) -> String + Sync)) -> blobs::BlobJob<'a> {
        blobs::BlobJob {
            repo: self.spec,
            object_dirs: self.object_dirs,
            det: self.det,
            max_size: self.opts.max_blob_size,
            threads: self.opts.threads,
            progress: self.progress,
            describe,
            packs: &self.packs,
        }
    }
}

/// Scan the repository `config` opened ([`open::open`]), in `opts.mode`.
pub fn scan(
    det: &Detector,
    opened: &open::Opened,
    opts: &GitOptions,
    progress: &Progress,
) -> Result<(Vec<Found>, Stats)> {
    let open::Opened { repo, spec } = opened;
    let packs = pack::single::PackReader::open(repo.path());
    let object_dirs = match &opts.mode {
        GitMode::PreReceive(_) => prereceive::quarantine(repo)?,
        _ => Vec::new(),
    };
    let ctx = Ctx { det, packs, opts, progress, spec, object_dirs: &object_dirs };
    match &opts.mode {
        GitMode::History => {
            let (mut found, stats) = history::scan(repo, &ctx)?;
            // Keys in ref names (of the refs `--branch` names, if given).
            let named = opts.limits.names(repo);
            let keep =
                |name: &[u8]| opts.limits.branches.is_empty() || named.iter().any(|n| n.as_bytes() == name);
            found.extend(super::names::refs(repo, det, &keep));
            Ok((found, stats))
        }
        GitMode::Range(range) => changes::range(repo, &ctx, range),
        GitMode::Staged => changes::staged(repo, &ctx),
        GitMode::PreReceive(push) => prereceive::scan(repo, &ctx, push),
    }
}

/// A commit's provenance: id, author as `name <email>` (lossy UTF-8), author time and UTC
/// offset.
pub fn commit_info(c: &Commit) -> CommitInfo {
    let a = c.author();
    let name = String::from_utf8_lossy(a.name_bytes());
    let email = String::from_utf8_lossy(a.email_bytes());
    CommitInfo {
        id: c.id().to_string(),
        author: format!("{name} <{email}>"),
        time: a.when().seconds(),
        offset_minutes: a.when().offset_minutes(),
    }
}

/// A blob at a path, seen first at position `order` (oldest first); `old` are the blobs
/// the commit's parents had at that path (range and staged modes only).
pub struct Occurrence {
    /// The blob's id.
    pub blob: Oid,
    /// The path's index in the scan's [`tree::Paths`].
    pub path: u32,
    /// Position of the commit in the walk order (0 = oldest).
    pub order: u32,
    /// The parents' blobs at the same path.
    pub old: Vec<Oid>,
}

/// One finding per (rule, secret, path): the occurrence with the lowest `order`, then
/// the first in the blob. A secret also found in an `old` blob is not new: left out.
pub fn assemble(
    hits: &HashMap<Oid, Vec<Hit>>,
    occurrences: &[Occurrence],
    paths: &tree::Paths,
    provenance: &dyn Fn(u32) -> Provenance,
) -> Vec<Found> {
    let mut best: HashMap<(usize, &[u8], u32), (u32, &Hit)> = HashMap::new();
    for o in occurrences {
        let Some(blob_hits) = hits.get(&o.blob) else { continue };
        for h in blob_hits {
            let old = o.old.iter().filter_map(|b| hits.get(b)).flatten();
            if old.clone().any(|x| x.secret == h.secret) {
                continue;
            }
            let slot = best.entry((h.rule, h.secret.expose(), o.path)).or_insert((o.order, h));
            if o.order < slot.0 {
                *slot = (o.order, h);
            }
        }
    }
    best.into_iter()
        .map(|((_, _, path), (order, hit))| {
            let rel = RelPath::new(paths.path(path));
            Found::new(hit.clone(), rel, provenance(order))
        })
        .collect()
}

/// What is known of a commit without reading it again: its id and author date.
pub fn bare_info(node: &order::Node) -> CommitInfo {
    CommitInfo { id: node.oid.to_string(), author: String::new(), time: node.time, offset_minutes: 0 }
}

/// Commit metadata for provenance by order (the commits, then `extra`, e.g. tag roots),
/// shared by all of a commit's findings. A commit is read again on first use: only the
/// few with findings are, so no metadata is held per commit of the history.
pub struct Infos<'a> {
    repo: &'a git2::Repository,
    commits: &'a [order::Node],
    extra: Vec<Arc<CommitInfo>>,
    read: std::cell::RefCell<HashMap<u32, Arc<CommitInfo>>>,
}

impl<'a> Infos<'a> {
    /// Provenance for `commits` (walk order) and then `extra`, read from `repo` on demand.
    pub fn new(repo: &'a git2::Repository, commits: &'a [order::Node], extra: Vec<Arc<CommitInfo>>) -> Self {
        Infos { repo, commits, extra, read: Default::default() }
    }

    /// The metadata of the commit (or extra root) at position `order`.
    pub fn get(&self, order: u32) -> Arc<CommitInfo> {
        let Some(node) = self.commits.get(order as usize) else {
            return self.extra[order as usize - self.commits.len()].clone();
        };
        let mut read = self.read.borrow_mut();
        let info = read.entry(order).or_insert_with(|| {
            Arc::new(match self.repo.find_commit(node.oid) {
                Ok(c) => commit_info(&c),
                // It was read when the history was ordered: only a store changing under
                // the scan gets here; the id and date are still known.
                Err(_) => bare_info(node),
            })
        });
        info.clone()
    }
}

/// The index git hands this process (`GIT_INDEX_FILE` in a hook), with a clear error when
/// it is corrupt.
pub fn read_index(repo: &git2::Repository) -> Result<git2::Index> {
    repo.index().map_err(|e| match repo.path().join("index").is_file() {
        true => {
            anyhow::anyhow!("the index '.git/index' is corrupt ({}); `git reset` rebuilds it", e.message())
        }
        false => anyhow::anyhow!("cannot read the index ({})", e.message()),
    })
}
