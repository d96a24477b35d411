//! Placement: where in a history each hit was first seen, and who committed it.
//!
//! Takes the hits by blob id, the (blob, path) occurrences a walk met in commit order and
//! the ordered commits; gives one `Found` per (rule, secret, path) at its oldest
//! occurrence, with the commit's provenance read on demand ([`Infos`]: only the commits
//! that findings name are read again), and counts what the walk could not follow; blobs
//! with hits that no reachable commit holds are reported by id or counted in a note
//! ([`unreachable`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use git2::{Commit, Oid, Repository};

use super::caps::Budget;
use super::tags::TagRoot;
use super::tree::{self, Paths, Walked};
use super::{Ctx, order};
use crate::detect::stream::Hit;
use crate::finding::{CommitInfo, Exposure, Found, Provenance, RelPath};
use crate::source::{SkipReason, Stats};

/// A commit's provenance: id, author as `name <email>` (lossy UTF-8), author time and UTC
/// offset.
pub(crate) fn commit_info(c: &Commit) -> CommitInfo {
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
pub(crate) struct Occurrence {
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
pub(crate) fn assemble(
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
pub(crate) fn bare_info(node: &order::Node) -> CommitInfo {
    CommitInfo { id: node.oid.to_string(), author: String::new(), time: node.time, offset_minutes: 0 }
}

/// Commit metadata for provenance by order (the commits, then `extra`, e.g. tag roots),
/// shared by all of a commit's findings. A commit is read again on first use: only the
/// few with findings are, so no metadata is held per commit of the history.
pub(crate) struct Infos<'a> {
    repo: &'a git2::Repository,
    commits: &'a [order::Node],
    extra: Vec<Arc<CommitInfo>>,
    read: std::cell::RefCell<HashMap<u32, Arc<CommitInfo>>>,
}

impl<'a> Infos<'a> {
    /// Provenance for `commits` (walk order) and then `extra`, read from `repo` on demand.
    pub(crate) fn new(
        repo: &'a git2::Repository,
        commits: &'a [order::Node],
        extra: Vec<Arc<CommitInfo>>,
    ) -> Self {
        Infos { repo, commits, extra, read: Default::default() }
    }

    /// The metadata of the commit (or extra root) at position `order`.
    pub(crate) fn get(&self, order: u32) -> Arc<CommitInfo> {
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

/// Provenance by order: the commits, then the tag roots.
pub(super) fn infos<'a>(repo: &'a Repository, commits: &'a [order::Node], tags: &[TagRoot]) -> Infos<'a> {
    Infos::new(repo, commits, tags.iter().map(|t| t.info.clone()).collect())
}

/// The findings of a whole-history scan: each blob with hits at its first (blob, path)
/// position, with that commit's provenance.
pub(super) fn finish(
    infos: &Infos,
    paths: &Paths,
    first: &HashMap<(Oid, u32), u32>,
    hits: &HashMap<Oid, Vec<Hit>>,
) -> Vec<Found> {
    let occurrences: Vec<Occurrence> = first
        .iter()
        .filter(|((blob, _), _)| hits.contains_key(blob))
        .map(|(&(blob, path), &order)| Occurrence { blob, path, order, old: Vec::new() })
        .collect();
    let provenance = |order: u32| Provenance::Git { commit: infos.get(order) };
    assemble(hits, &occurrences, paths, &provenance)
}

/// Count (and warn about) what the walk could not follow.
pub(super) fn report_walk(ctx: &Ctx, walked: &Walked, stats: &mut Stats) {
    for _ in &walked.submodules {
        stats.skip(SkipReason::Submodule);
    }
    let mut seen = HashSet::new();
    for (oid, why) in &walked.unreadable {
        if seen.insert(oid) {
            let msg = format!("cannot read tree {oid}: {why}; its files were not scanned");
            ctx.progress.warn(&crate::finding::escape_bytes(msg.as_bytes()));
            stats.skip(SkipReason::Unreadable);
        }
    }
    for (warning, left_out) in &walked.capped {
        ctx.progress.warn(warning);
        *stats.skipped.entry(SkipReason::Capped).or_default() += left_out;
    }
}

/// Warn about (and count) each root whose tree walk hit a cap; `capped` is by position
/// among the commits, then the tags.
pub(super) fn report_caps(
    ctx: &Ctx,
    commits: &[order::Node],
    tags: &[TagRoot],
    mut capped: Vec<(u32, Budget<u32>)>,
    stats: &mut Stats,
) {
    capped.sort_by_key(|(o, _)| *o);
    for (order, budget) in capped {
        let what = match (order as usize).checked_sub(commits.len()) {
            None => format!("commit {}", commits[order as usize].oid),
            Some(k) => format!("tag {}", crate::finding::escape_bytes(tags[k].refname.as_bytes())),
        };
        ctx.progress.warn(&budget.warning(&what).unwrap_or_default());
        *stats.skipped.entry(SkipReason::Capped).or_default() += budget.left_out();
    }
}

/// Blobs with hits that no commit reachable from a ref holds: reported (by blob id) with
/// `--include-unreachable`, else only counted in a note.
pub(super) fn unreachable(
    ctx: &Ctx,
    hits: &HashMap<Oid, Vec<Hit>>,
    placed: &HashSet<Oid>,
    any_capped: bool,
    findings: &mut Vec<Found>,
) {
    let mut dangling: Vec<Oid> = hits.keys().filter(|b| !placed.contains(b)).copied().collect();
    if dangling.is_empty() {
        return;
    }
    if ctx.opts.limits.is_limited() {
        ctx.progress.note(&format!(
            "{} blob(s) with secrets are only in commits outside --since/--branch (or in none): not reported",
            dangling.len()
        ));
        return;
    }
    if any_capped && !ctx.opts.include_unreachable {
        ctx.progress
            .note(&format!("{} blob(s) with secrets are only past a cap (see the warnings)", dangling.len()));
        return;
    }
    if !ctx.opts.include_unreachable {
        ctx.progress.note(&format!(
            "{} blob(s) with secrets are in no commit reachable from a ref (dangling objects): \
             not reported (--include-unreachable reports them; `git fsck --unreachable` lists them)",
            dangling.len()
        ));
        return;
    }
    dangling.sort();
    for blob in dangling {
        let mut once = HashSet::new();
        for h in &hits[&blob] {
            if once.insert((h.rule, h.secret.expose())) {
                let id = blob.to_string();
                let path = RelPath::new(id.clone().into_bytes());
                let mut f = Found::new(h.clone(), path, Provenance::Unreachable { blob: id });
                f.exposure = Some(Exposure::default());
                findings.push(f);
            }
        }
    }
}
