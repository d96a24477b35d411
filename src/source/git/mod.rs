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
mod place;
pub(crate) mod prereceive;
pub(crate) mod revs;
mod spill;
mod tags;
pub(crate) mod tree;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use git2::Oid;

use super::Stats;
use crate::detect::Detector;
use crate::finding::Found;
use crate::progress::Progress;
pub(crate) use place::commit_info;
pub(crate) use place::{Infos, Occurrence, assemble, bare_info};

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
