//! Whole history: every commit reachable from any ref (branches, tags, remotes, HEAD).
//!
//! Takes an open repository; gives findings at the oldest commit where each secret
//! appears at each path. Each commit's tree is compared with its first parent's (already
//! walked: parents come first), so every (blob, path) pair is met at its first commit and
//! identical subtrees are never read twice; each unique blob is then scanned once.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::tree::{self, Paths, Walked};
use super::{Ctx, Occurrence, blobs, order};
use crate::finding::{Finding, Provenance};
use crate::progress::trace;
use crate::source::{SkipReason, Stats};

pub fn scan(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Finding>, Stats)> {
    ctx.progress.status("walking history");
    let mut walk = repo.revwalk().context("cannot walk the commit graph")?;
    walk.push_glob("*").context("cannot read the repository's refs")?;
    if repo.head().is_ok() {
        walk.push_head().context("cannot read HEAD")?;
    }
    trace("history: start");
    let commits = order::topo(repo, walk)?;
    trace(&format!("history: {} commits ordered", commits.len()));
    let tree_of: HashMap<Oid, Oid> = commits.iter().map(|n| (n.oid, n.tree)).collect();
    let (mut paths, mut walked) = (Paths::new(), Walked::default());
    let mut first: HashMap<(Oid, u32), u32> = HashMap::new();
    let (mut blobs, mut blob_path) = (Vec::new(), HashMap::new());
    for (order, node) in commits.iter().enumerate() {
        let parent_tree = node.parents.first().and_then(|p| tree_of.get(p)).copied();
        tree::changes(repo, &mut paths, node.tree, parent_tree, &mut walked, &mut |c| {
            first.entry((c.blob, c.path)).or_insert(order as u32);
            blob_path.entry(c.blob).or_insert_with(|| {
                blobs.push(c.blob);
                c.path
            });
        });
        if order % 256 == 0 {
            ctx.progress.set_message(format!("{order} commits, {} blobs", blobs.len()));
        }
    }
    trace(&format!(
        "history: trees walked, {} unique blobs, {} (blob, path) pairs",
        blobs.len(),
        first.len()
    ));
    let mut stats = Stats { commits: Some(commits.len() as u64), ..Stats::default() };
    report_walk(ctx, &walked, &mut stats);
    ctx.progress.bar("scanning blobs", blobs.len() as u64, "blobs");
    let describe = |oid: Oid| blob_path.get(&oid).map_or(String::new(), |&p| paths.escaped(p));
    let job = blobs::BlobJob {
        git_dir: repo.path(),
        det: ctx.det,
        max_size: ctx.opts.max_blob_size,
        threads: ctx.opts.threads,
        progress: ctx.progress,
        describe: &describe,
    };
    let scanned = blobs::scan(&job, &blobs)?;
    trace("history: blobs scanned");
    stats.merge(&scanned.stats);
    let occurrences: Vec<Occurrence> = first
        .iter()
        .filter(|((blob, _), _)| scanned.hits.contains_key(blob))
        .map(|(&(blob, path), &order)| Occurrence { blob, path, order, old: Vec::new() })
        .collect();
    let infos = super::infos(&commits);
    let provenance = |order: u32| Provenance::Git { commit: infos[order as usize].clone() };
    Ok((super::assemble(ctx, &scanned.hits, &occurrences, &paths, &provenance), stats))
}

/// Count (and warn about) what the walk could not follow.
pub fn report_walk(ctx: &Ctx, walked: &Walked, stats: &mut Stats) {
    for _ in &walked.submodules {
        stats.skip(SkipReason::Submodule);
    }
    let unreadable: HashSet<_> = walked.unreadable.iter().collect();
    for oid in unreadable {
        ctx.progress
            .warn(&format!("cannot read tree {oid}: missing or corrupt object; its files were not scanned"));
        stats.skip(SkipReason::Unreadable);
    }
}
