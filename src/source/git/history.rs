//! Whole history: every commit reachable from any ref (branches, tags, remotes, HEAD).
//!
//! Takes an open repository; gives findings at the oldest commit where each secret
//! appears at each path. Two engines find the same findings:
//! - `pack`: every blob in the object store is decoded in pack order and scanned first;
//!   only if some blob has hits are commits and trees walked, to place those blobs.
//! - `odb`: commits and trees are walked first, then each reachable blob is read by id.
//!
//! The walk compares each commit's tree with its first parent's (parents come first), so
//! every (blob, path) pair is met at its first commit and identical subtrees are skipped.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::caps::Budget;
use super::tags::{self, TagRoot};
use super::tree::{self, Paths, Walked};
use super::{Ctx, GitEngine, Occurrence, blobs, exposure, order, pack};
use crate::detect::stream::Hit;
use crate::finding::{Exposure, Finding, Provenance, RelPath};
use crate::progress::trace;
use crate::source::to_finding;
use crate::source::{SkipReason, Stats};

/// A shallow clone's history stops at its grafted commits.
pub const SHALLOW_HISTORY: &str = "this is a shallow clone: history is cut short, older commits \
     were not scanned (fetch it all: actions/checkout `fetch-depth: 0`, or `git fetch --unshallow`)";
pub const SHALLOW_RANGE: &str = "this is a shallow clone and the range reaches its cut: the \
     oldest commits scanned are compared with nothing, older ones are missing (fetch the \
     history: actions/checkout `fetch-depth: 0`, or `git fetch --unshallow`)";

pub fn scan(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Finding>, Stats)> {
    trace("history: start");
    if repo.is_shallow() {
        ctx.progress.warn(SHALLOW_HISTORY);
    }
    let use_pack = match ctx.opts.engine {
        GitEngine::Pack | GitEngine::Auto => pack::usable(repo) && ctx.spec.objects_in_git_dir(),
        GitEngine::Odb => false,
    };
    if use_pack { scan_pack_first(repo, ctx) } else { scan_walk_first(repo, ctx) }
}

fn scan_pack_first(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Finding>, Stats)> {
    // libgit2 only reads commits here (and refs): small pack windows keep memory down.
    // SAFETY: global libgit2 options, set from the main thread while no other thread uses libgit2.
    #[allow(unsafe_code)]
    unsafe {
        let _ = git2::opts::set_mwindow_size(8 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
        let _ = git2::opts::set_cache_max_size(16 << 20);
        // Each commit is read once: cached ones would stay for the whole scan.
        let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 0);
    }
    let store = pack::Store::open(repo, ctx.opts.threads)?;
    let all = store.scan_blobs(repo, ctx)?;
    trace(&format!("history: all blobs scanned, {} with hits", all.hits.len()));
    let mut stats = all.stats;
    if all.hits.is_empty() {
        stats.commits = Some(commit_walk(repo)?.count() as u64);
        return Ok((Vec::new(), stats));
    }
    let commits = ordered_commits(repo, ctx)?;
    stats.commits = Some(commits.len() as u64);
    let tags = tags::roots(repo);
    let n = commits.len();
    let mut roots: Vec<Oid> = commits.iter().map(|n| n.tree).collect();
    // A tagged blob is its own root: it gets no tree slot (an id no tree has).
    roots.extend(tags.iter().map(|t| if t.is_tree { t.target } else { Oid::ZERO_SHA1 }));
    let hit_ids: HashSet<Oid> = all.hits.keys().copied().collect();
    let mut paths = Paths::new();
    let pack::Placed { mut first, unreadable, capped, graph, marks } =
        store.place(repo, ctx, &hit_ids, &roots, &mut paths);
    for (k, t) in tags.iter().enumerate().filter(|(_, t)| !t.is_tree && hit_ids.contains(&t.target)) {
        first.entry((t.target, paths.intern_path(t.refname.as_bytes()))).or_insert((n + k) as u32);
    }
    let any_capped = !capped.is_empty();
    for (order, budget) in capped {
        let what = match (order as usize).checked_sub(n) {
            None => format!("commit {}", commits[order as usize].oid),
            Some(k) => format!("tag {}", crate::finding::escape_bytes(tags[k].refname.as_bytes())),
        };
        ctx.progress.warn(&budget.warning(&what).unwrap_or_default());
        *stats.skipped.entry(SkipReason::Capped).or_default() += budget.left_out();
    }
    trace(&format!("history: {} (blob, path) pairs placed", first.len()));
    if unreadable > 0 {
        *stats.skipped.entry(SkipReason::Unreadable).or_default() += unreadable;
    }
    let placed: HashSet<Oid> = first.keys().map(|(b, _)| *b).collect();
    let mut findings = finish(ctx, &infos(repo, &commits, &tags), &paths, &first, &all.hits);
    trace("history: findings assembled");
    let trees = exposure::Trees { graph: &graph, marks: &marks };
    exposure::annotate(ctx, repo, &trees, &commits, &mut paths, &all.hits, &mut findings);
    trace("history: exposure facts");
    unreachable(ctx, &all.hits, &placed, any_capped, &mut findings);
    Ok((findings, stats))
}

/// Blobs with hits that no commit reachable from a ref holds: reported (by blob id) with
/// `--include-unreachable`, else only counted in a note.
fn unreachable(
    ctx: &Ctx,
    hits: &HashMap<Oid, Vec<Hit>>,
    placed: &HashSet<Oid>,
    any_capped: bool,
    findings: &mut Vec<Finding>,
) {
    let mut dangling: Vec<Oid> = hits.keys().filter(|b| !placed.contains(b)).copied().collect();
    if dangling.is_empty() {
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
                let mut f =
                    to_finding(ctx.det, h.clone(), path, Provenance::Unreachable { blob: id }, ctx.now);
                f.exposure = Some(Exposure::default());
                findings.push(f);
            }
        }
    }
}

fn scan_walk_first(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Finding>, Stats)> {
    let commits = ordered_commits(repo, ctx)?;
    let tags = tags::roots(repo);
    let w = walk(repo, ctx, &commits, &tags);
    let mut stats = Stats { commits: Some(commits.len() as u64), ..Stats::default() };
    report_walk(ctx, &w.walked, &mut stats);
    ctx.progress.bar("scanning blobs", w.blobs.len() as u64, "blobs");
    // Warnings name a path the blob has and the first commit with it there.
    let describe = |oid: Oid| {
        w.blob_path.get(&oid).map_or(String::new(), |&p| {
            match w.first.get(&(oid, p)).and_then(|&o| commits.get(o as usize)) {
                Some(c) => format!("{} in commit {}", w.paths.escaped(p), c.oid),
                None => w.paths.escaped(p),
            }
        })
    };
    let job = ctx.blob_job(&describe);
    let mut scanned = blobs::scan(&job, &w.blobs)?;
    trace("history: blobs scanned");
    stats.merge(&scanned.stats);
    let mut reached: HashSet<Oid> = w.blob_path.keys().copied().collect();
    if ctx.opts.include_unreachable {
        let extra = unreached_objects(repo, &reached)?;
        let more = blobs::scan(&job, &extra)?;
        stats.merge(&more.stats);
        scanned.hits.extend(more.hits);
    }
    let mut findings = finish(ctx, &infos(repo, &commits, &tags), &w.paths, &w.first, &scanned.hits);
    reached.retain(|b| scanned.hits.contains_key(b));
    if !reached.is_empty() {
        let graph = exposure::graph_from_odb(repo, &commits, &reached);
        let marks = graph.marks();
        let trees = exposure::Trees { graph: &graph, marks: &marks };
        let mut paths = w.paths;
        exposure::annotate(ctx, repo, &trees, &commits, &mut paths, &scanned.hits, &mut findings);
    }
    unreachable(ctx, &scanned.hits, &reached, false, &mut findings);
    Ok((findings, stats))
}

/// Every object in the store that the walk did not reach as a blob (commits and trees
/// among them are skipped by the blob scan).
fn unreached_objects(repo: &Repository, reached: &HashSet<Oid>) -> Result<Vec<Oid>> {
    let odb = repo.odb().context("cannot open the object database")?;
    let mut out = Vec::new();
    odb.foreach(|oid| {
        if !reached.contains(oid) {
            out.push(*oid);
        }
        true
    })
    .context("cannot list the object database")?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every commit reachable from any ref, unordered.
fn commit_walk(repo: &Repository) -> Result<git2::Revwalk<'_>> {
    let mut walk = repo.revwalk().context("cannot walk the commit graph")?;
    walk.push_glob("*").context("cannot read the repository's refs")?;
    if repo.head().is_ok() {
        walk.push_head().context("cannot read HEAD")?;
    }
    Ok(walk)
}

fn ordered_commits(repo: &Repository, ctx: &Ctx) -> Result<Vec<order::Node>> {
    ctx.progress.status("walking history");
    ctx.progress.set_message("ordering commits".to_string());
    let commits = order::topo(repo, commit_walk(repo)?)?;
    trace(&format!("history: {} commits ordered", commits.len()));
    Ok(commits)
}

/// What the tree walk found: each wanted (blob, path) pair's first commit, by order.
struct Walk {
    paths: Paths,
    walked: Walked,
    first: HashMap<(Oid, u32), u32>,
    blobs: Vec<Oid>,
    blob_path: HashMap<Oid, u32>,
}

fn walk(repo: &Repository, ctx: &Ctx, commits: &[order::Node], tags: &[TagRoot]) -> Walk {
    let tree_of: HashMap<Oid, Oid> = commits.iter().map(|n| (n.oid, n.tree)).collect();
    let mut w = Walk {
        paths: Paths::new(),
        walked: Walked::default(),
        first: HashMap::new(),
        blobs: Vec::new(),
        blob_path: HashMap::new(),
    };
    let objects = tree::Objects { repo, packs: &ctx.packs };
    for (order, node) in commits.iter().enumerate() {
        let parent_tree = node.parents.first().and_then(|p| tree_of.get(p)).copied();
        let Walk { paths, walked, first, blobs, blob_path } = &mut w;
        let mut budget = Budget::default();
        tree::changes(&objects, paths, (node.tree, parent_tree), walked, &mut budget, &mut |c| {
            first.entry((c.blob, c.path)).or_insert(order as u32);
            blob_path.entry(c.blob).or_insert_with(|| {
                blobs.push(c.blob);
                c.path
            });
        });
        walked.note_caps(&budget, &format!("commit {}", node.oid));
        if order % 256 == 0 {
            ctx.progress.set_message(format!("{order} commits, {} blobs", w.blobs.len()));
        }
    }
    for (k, t) in tags.iter().enumerate() {
        let order = (commits.len() + k) as u32;
        let Walk { paths, walked, first, blobs, blob_path } = &mut w;
        let mut add = |blob: Oid, path: u32| {
            first.entry((blob, path)).or_insert(order);
            blob_path.entry(blob).or_insert_with(|| {
                blobs.push(blob);
                path
            });
        };
        if t.is_tree {
            let mut budget = Budget::default();
            tree::changes(&objects, paths, (t.target, None), walked, &mut budget, &mut |c| {
                add(c.blob, c.path)
            });
            walked.note_caps(&budget, &format!("tag {}", crate::finding::escape_bytes(t.refname.as_bytes())));
        } else {
            add(t.target, paths.intern_path(t.refname.as_bytes()));
        }
    }
    trace(&format!("history: trees walked, {} blobs, {} (blob, path) pairs", w.blobs.len(), w.first.len()));
    w
}

/// Provenance by order: the commits, then the tag roots.
fn infos<'a>(repo: &'a Repository, commits: &'a [order::Node], tags: &[TagRoot]) -> super::Infos<'a> {
    super::Infos::new(repo, commits, tags.iter().map(|t| t.info.clone()).collect())
}

fn finish(
    ctx: &Ctx,
    infos: &super::Infos,
    paths: &Paths,
    first: &HashMap<(Oid, u32), u32>,
    hits: &HashMap<Oid, Vec<Hit>>,
) -> Vec<Finding> {
    let occurrences: Vec<Occurrence> = first
        .iter()
        .filter(|((blob, _), _)| hits.contains_key(blob))
        .map(|(&(blob, path), &order)| Occurrence { blob, path, order, old: Vec::new() })
        .collect();
    let provenance = |order: u32| Provenance::Git { commit: infos.get(order) };
    super::assemble(ctx, hits, &occurrences, paths, &provenance)
}

/// Count (and warn about) what the walk could not follow.
pub fn report_walk(ctx: &Ctx, walked: &Walked, stats: &mut Stats) {
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
