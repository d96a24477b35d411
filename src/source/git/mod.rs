//! Git repositories, read with git2 (never the `git` command): whole history, a commit
//! range (CI), or the index (pre-commit).
//!
//! Takes a repository path and a mode; gives findings whose paths are relative to the
//! repository root, with provenance kept apart from content: blobs are scanned once each
//! (by id), and only blobs with hits are mapped back to paths and commits. The same secret
//! at the same path is one finding, at its oldest occurrence.

mod blobs;
mod changes;
mod exposure;
mod history;
mod order;
pub mod pack;
pub mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow};
use git2::{Commit, Oid, Repository, RepositoryOpenFlags};

use super::{Stats, to_finding};
use crate::detect::Detector;
use crate::detect::stream::Hit;
use crate::finding::{CommitInfo, Finding, Provenance, RelPath};
use crate::progress::Progress;

#[derive(Clone, Debug)]
pub enum GitMode {
    /// Every commit reachable from any ref.
    History,
    /// `A..B`: what commits reachable from B and not from A added.
    Range(String),
    /// Index entries that differ from HEAD, as staged.
    Staged,
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

pub struct GitOptions {
    pub repo: PathBuf,
    pub mode: GitMode,
    pub engine: GitEngine,
    pub max_blob_size: u64,
    pub threads: usize,
    /// Whole history: also report blobs no ref reaches, by blob id.
    pub include_unreachable: bool,
}

/// What every git mode needs besides the repository.
pub struct Ctx<'a> {
    pub det: &'a Detector,
    pub now: i64,
    pub opts: &'a GitOptions,
    pub progress: &'a Progress,
}

impl Ctx<'_> {
    /// A blob scan of this repository with these settings; `describe` names a blob (by a
    /// path it has) in warnings.
    pub fn blob_job<'a>(
        &'a self,
        repo: &'a Repository,
        describe: &'a (dyn Fn(Oid) -> String + Sync),
    ) -> blobs::BlobJob<'a> {
        blobs::BlobJob {
            git_dir: repo.path(),
            det: self.det,
            max_size: self.opts.max_blob_size,
            threads: self.opts.threads,
            progress: self.progress,
            describe,
        }
    }
}

pub fn scan(
    det: &Detector,
    opts: &GitOptions,
    now: i64,
    progress: &Progress,
) -> Result<(Vec<Finding>, Stats)> {
    let repo = open(&opts.repo)?;
    let ctx = Ctx { det, now, opts, progress };
    match &opts.mode {
        GitMode::History => history::scan(&repo, &ctx),
        GitMode::Range(range) => changes::range(&repo, &ctx, range),
        GitMode::Staged => changes::staged(&repo, &ctx),
    }
}

/// Open the repository at or above `path` (bare or not). Owner validation is off: loftyscan
/// only reads objects and runs nothing a repository configures, and CI checkouts are
/// often owned by another user.
pub fn open(path: &Path) -> Result<Repository> {
    // SAFETY: global libgit2 options, set before any repository is opened, from the main
    // thread. Memory: pack windows are mapped 64 MiB at a time and at most 192 MiB stay
    // mapped (libgit2's 64-bit default maps up to 8 GiB); decoded objects cached up to 64 MiB.
    unsafe {
        let _ = git2::opts::set_verify_owner_validation(false);
        let _ = git2::opts::set_mwindow_size(64 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(192 << 20);
        let _ = git2::opts::set_cache_max_size(64 << 20);
    }
    let none: &[&std::ffi::OsStr] = &[];
    Repository::open_ext(path, RepositoryOpenFlags::empty(), none)
        .map_err(|e| anyhow!("not a git repository: '{}' ({})", path.display(), e.message()))
}

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
    pub blob: Oid,
    pub path: u32,
    pub order: u32,
    pub old: Vec<Oid>,
}

/// One finding per (rule, secret, path): the occurrence with the lowest `order`, then
/// the first in the blob. A secret also found in an `old` blob is not new: left out.
pub fn assemble(
    ctx: &Ctx,
    hits: &HashMap<Oid, Vec<Hit>>,
    occurrences: &[Occurrence],
    paths: &tree::Paths,
    provenance: &dyn Fn(u32) -> Provenance,
) -> Vec<Finding> {
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
            to_finding(ctx.det, hit.clone(), rel, provenance(order), ctx.now)
        })
        .collect()
}

/// Commit metadata shared by all of a commit's findings.
pub fn infos(commits: &[order::Node]) -> Vec<Arc<CommitInfo>> {
    commits.iter().map(|n| n.info.clone()).collect()
}
