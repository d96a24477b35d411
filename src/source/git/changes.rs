//! Change-based modes: a commit range (CI) and the index (pre-commit).
//!
//! Takes a range `A..B` or the index; gives only the secrets that were added: found in a
//! blob a commit (or the index) put at a path, and not already at that path in the
//! commit's parents (or in HEAD). Cost follows the size of the change, not the repository:
//! only changed subtrees are read and only changed blobs (and their previous versions,
//! to tell old secrets from new) are scanned.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Oid, Repository};

use super::caps::Budget;
use super::tree::{self, Paths, Walked};
use super::{Ctx, Occurrence, blobs, order};
use crate::finding::{CommitInfo, Found, Provenance};
use crate::source::{SkipReason, Stats};

/// `loftyscan git --range A..B`.
pub(super) fn range(repo: &Repository, ctx: &Ctx, spec: &str) -> Result<(Vec<Found>, Stats)> {
    let (reached, _) = super::revs::range_walk(repo, &ctx.packs, spec)?;
    let commits = order::topo((repo, None), reached.commits.into_iter().map(Ok))?;
    let (findings, mut stats) = added(repo, ctx, &commits)?;
    super::history::report_unreadable_commits(ctx, reached.unreadable, &mut stats);
    Ok((findings, stats))
}

/// What `commits` (parents before children) added, as `--range` reports it; also the
/// pre-receive hook's scan of a push.
pub(super) fn added(repo: &Repository, ctx: &Ctx, commits: &[order::Node]) -> Result<(Vec<Found>, Stats)> {
    let (mut paths, mut walked) = (Paths::new(), Walked::default());
    let mut occurrences = Vec::new();
    let mut cut = false;
    for (i, node) in commits.iter().enumerate() {
        // A parent the pack check refuses counts as missing (its warning comes from the walk).
        let readable = |p: &&Oid| ctx.packs.check(p).is_none();
        let parent_trees: Vec<Oid> = node
            .parents
            .iter()
            .filter(readable)
            .filter_map(|p| repo.find_commit(*p).ok().map(|c| c.tree_id()))
            .collect();
        cut |= parent_trees.len() < node.parents.len() || (node.parents.is_empty() && repo.is_shallow());
        let mut budget = Budget::default();
        let objects = tree::Objects { repo, packs: &ctx.packs };
        let (tree, walks) = (node.tree, (&mut paths, &mut walked, &mut budget));
        added_by(&objects, walks, tree, &parent_trees, i as u32, &mut occurrences);
        walked.note_caps(&budget, &format!("commit {}", node.oid));
    }
    if cut && repo.is_shallow() {
        ctx.progress.warn(super::history::SHALLOW_RANGE);
    }
    let mut stats = Stats { commits: Some(commits.len() as u64), ..Stats::default() };
    super::place::report_walk(ctx, &walked, &mut stats);
    // Commit metadata for the commits with occurrences only, read before the (threaded) finish.
    let infos = super::Infos::new(repo, commits, Vec::new());
    let read: HashMap<u32, Arc<CommitInfo>> =
        occurrences.iter().map(|o| (o.order, infos.get(o.order))).collect();
    let provenance = |order: u32| Provenance::Git {
        commit: read
            .get(&order)
            .cloned()
            .unwrap_or_else(|| Arc::new(super::bare_info(&commits[order as usize]))),
    };
    finish(ctx, &paths, occurrences, stats, &provenance)
}

/// The blobs commit tree `tree` put at paths where none of its parents had them: changed
/// relative to every parent (a merge adds only what no side had).
fn added_by(
    objects: &tree::Objects,
    (paths, walked, budget): (&mut Paths, &mut Walked, &mut Budget),
    tree: Oid,
    parents: &[Oid],
    order: u32,
    out: &mut Vec<Occurrence>,
) {
    let mut per_path: BTreeMap<u32, (Oid, Vec<Oid>, usize)> = BTreeMap::new();
    let sides: Vec<Option<Oid>> =
        if parents.is_empty() { vec![None] } else { parents.iter().map(|&p| Some(p)).collect() };
    for side in &sides {
        tree::changes(objects, paths, (tree, *side), walked, budget, &mut |c| {
            let slot = per_path.entry(c.path).or_insert((c.blob, Vec::new(), 0));
            slot.1.extend(c.old);
            slot.2 += 1;
        });
    }
    for (path, (blob, old, changed_sides)) in per_path {
        if changed_sides == sides.len() {
            out.push(Occurrence { blob, path, order, old });
        }
    }
}

/// `loftyscan git --staged`: index entries that differ from HEAD, read from the object
/// database as staged (never the working tree). Works before the first commit. The index
/// is the one git hands a hook (`GIT_INDEX_FILE`: `git commit -a`, `git commit PATH`).
pub(super) fn staged(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Found>, Stats)> {
    let index = super::read_index(repo)?;
    let head_tree = match repo.head() {
        Ok(head) => {
            check_head(repo, ctx, head.target())?;
            Some(head.peel_to_tree().context("cannot read HEAD's tree")?)
        }
        Err(_) => None, // no commit yet: everything staged is new
    };
    let mut opts = DiffOptions::new();
    opts.include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .context("cannot compare the index with HEAD")?;
    // A staged `git mv` keeps its secrets: a renamed file's old version is its source.
    let mut similar = DiffFindOptions::new();
    similar.renames(true);
    diff.find_similar(Some(&mut similar)).context("cannot detect renames in the index")?;
    let (mut paths, mut stats) = (Paths::new(), Stats::default());
    let mut occurrences = Vec::new();
    for delta in diff.deltas() {
        let (new, old) = (delta.new_file(), delta.old_file());
        let path = paths.intern_path(new.path_bytes().unwrap_or_default());
        match delta.status() {
            Delta::Added | Delta::Modified | Delta::Typechange | Delta::Renamed => {}
            Delta::Conflicted => {
                ctx.progress
                    .warn(&format!("'{}' is unmerged in the index: not scanned", paths.escaped(path)));
                stats.skip(SkipReason::Unreadable);
                continue;
            }
            _ => continue,
        }
        if new.mode() == FileMode::Commit {
            stats.skip(SkipReason::Submodule);
            continue;
        }
        let is_blob = |m: FileMode| matches!(m, FileMode::Blob | FileMode::BlobExecutable | FileMode::Link);
        let old_blob = (is_blob(old.mode()) && !old.id().is_zero()).then(|| old.id());
        occurrences.push(Occurrence { blob: new.id(), path, order: 0, old: old_blob.into_iter().collect() });
    }
    finish(ctx, &paths, occurrences, stats, &|_| Provenance::Staged)
}

/// Scan the new and old blobs of `occurrences` once each and keep the added secrets.
fn finish(
    ctx: &Ctx,
    paths: &Paths,
    occurrences: Vec<Occurrence>,
    mut stats: Stats,
    provenance: &(dyn Fn(u32) -> Provenance + Sync),
) -> Result<(Vec<Found>, Stats)> {
    let mut seen = HashSet::new();
    let mut where_: HashMap<Oid, (u32, u32)> = HashMap::new();
    let mut oids = Vec::new();
    for o in &occurrences {
        for &b in std::iter::once(&o.blob).chain(&o.old) {
            where_.entry(b).or_insert((o.path, o.order));
            if seen.insert(b) {
                oids.push(b);
            }
        }
    }
    ctx.progress.bar("scanning blobs", oids.len() as u64, "blobs");
    // Warnings name a path and, in a range, the commit that put the blob there.
    let describe = |oid: Oid| {
        where_.get(&oid).map_or(String::new(), |&(p, order)| match provenance(order) {
            Provenance::Git { commit } => format!("{} in commit {}", paths.escaped(p), commit.id),
            _ => paths.escaped(p),
        })
    };
    let job = ctx.blob_job(&describe);
    let scanned = blobs::scan(&job, &oids)?;
    stats.merge(&scanned.stats);
    let mut found = super::assemble(&scanned.hits, &occurrences, paths, provenance);
    let added = occurrences.iter().filter(|o| o.old.is_empty());
    let added = added.map(|o| (paths.path(o.path), o.order, provenance(o.order)));
    crate::source::names::in_git(ctx.det, &mut found, added);
    Ok((found, stats))
}

/// HEAD's commit and its tree, through the pack check before libgit2 reads them (a commit
/// inside a delta cycle would make it loop): an error naming the object if refused.
fn check_head(repo: &Repository, ctx: &Ctx, target: Option<Oid>) -> Result<()> {
    let Some(id) = target else { return Ok(()) };
    let mut bad = Vec::new();
    let tree = super::commits::peel(repo, &ctx.packs, id, &mut bad)
        .and_then(|c| repo.find_commit(c).ok())
        .map(|c| c.tree_id());
    if let Some(why) = tree.and_then(|t| ctx.packs.check(&t).map(|w| (t, w))) {
        bad.push(why);
    }
    match bad.first() {
        Some((oid, why)) => {
            let why = crate::finding::escape_bytes(why.as_bytes());
            anyhow::bail!("cannot read HEAD (object {oid}): {why}")
        }
        None => Ok(()),
    }
}
