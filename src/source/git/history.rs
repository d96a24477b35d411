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
use super::pack::commit_table::CommitTable;
use super::spill::Spilled;
use super::tags::{self, TagRoot};
use super::tree::{self, Paths, Walked};
use super::{Ctx, GitEngine, blobs, commits, exposure, order, pack};
use crate::finding::Found;
use crate::progress::trace;
use crate::source::{SkipReason, Stats};

/// A shallow clone's history stops at its grafted commits.
pub(super) const SHALLOW_HISTORY: &str = "this is a shallow clone: history is cut short, older commits \
     were not scanned (fetch it all: actions/checkout `fetch-depth: 0`, or `git fetch --unshallow`)";
pub(super) const SHALLOW_RANGE: &str = "this is a shallow clone and the range reaches its cut: the \
     oldest commits scanned are compared with nothing, older ones are missing (fetch the \
     history: actions/checkout `fetch-depth: 0`, or `git fetch --unshallow`)";

pub(super) fn scan(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Found>, Stats)> {
    trace("history: start");
    if repo.is_shallow() {
        ctx.progress.warn(SHALLOW_HISTORY);
    }
    // A `--since` window reads few blobs: auto walks it object by object.
    let auto_pack = ctx.opts.limits.since.is_none();
    let usable = pack::usable(repo) && ctx.spec.objects_in_git_dir();
    let use_pack = match ctx.opts.engine {
        GitEngine::Pack if !usable => anyhow::bail!(
            "--git-engine pack cannot read this repository: its objects are not all in its own \
             objects/ directory (alternates, GIT_OBJECT_DIRECTORY, a commondir); use --git-engine auto or odb"
        ),
        GitEngine::Pack => true,
        GitEngine::Auto => auto_pack && usable,
        GitEngine::Odb => false,
    };
    if use_pack { scan_pack_first(repo, ctx) } else { scan_walk_first(repo, ctx) }
}

fn scan_pack_first(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Found>, Stats)> {
    // libgit2 only reads commits here (and refs): small pack windows keep memory down.
    super::open::tune(super::open::Tuning::CommitsOnly);
    let store = pack::Store::open(repo, ctx.opts.threads)?;
    let mut all = store.scan_blobs(repo, ctx)?;
    trace(&format!("history: all blobs scanned, {} with hits", all.hits.len()));
    let mut stats = std::mem::take(&mut all.stats);
    // The commits before the trees, decoded from the packs on every thread, walked and
    // ordered, their table freed, then set aside in a temporary file while the trees are
    // read: the store, the commit table and the tree graph (each tens of bytes an object)
    // are never all alive at once.
    let commits = Spilled::new(pack_commits(repo, ctx, &store, &mut stats)?);
    if all.hits.is_empty() && all.refused.is_empty() {
        bombs_only(repo, ctx, store, commits, &mut stats)?;
        return Ok((Vec::new(), stats));
    }
    // Over-size blobs are placed too, for their warnings to name a path.
    let mut hit_ids: HashSet<Oid> = all.hits.keys().copied().collect();
    hit_ids.extend(all.refused.iter().flat_map(|r| r.ids()));
    let (mut graph, unreadable) = store.read_trees(repo, ctx, &hit_ids, "placing findings: reading trees");
    drop(store);
    graph.load_edges()?;
    let commits = commits.restore()?;
    trace(&format!("history: {} trees read, store freed", graph.len()));
    stats.commits = Some(commits.len() as u64);
    let tags = tag_roots(repo, ctx);
    let n = commits.len();
    let mut roots: Vec<Oid> = commits.iter().map(|n| n.tree).collect();
    // A tagged blob is its own root: it gets no tree slot (an id no tree has).
    roots.extend(tags.iter().map(|t| if t.is_tree { t.target } else { Oid::ZERO_SHA1 }));
    let mut paths = Paths::new();
    let mut marks = graph.marks();
    let (mut first, capped) = graph.place(&marks, &roots, &mut paths);
    drop(roots);
    for (k, t) in tags.iter().enumerate().filter(|(_, t)| !t.is_tree && hit_ids.contains(&t.target)) {
        first.entry((t.target, paths.intern_path(t.refname.as_bytes()))).or_insert((n + k) as u32);
    }
    if !all.refused.is_empty() {
        warn_refused(ctx, &mut all.refused, (&first, &paths), &commits, &tags);
        marks = graph.marks_of(&|b| all.hits.contains_key(b));
    }
    let bombs = pack::bombs::of_history(&graph, (&commits, &tags), capped, ctx.opts.threads);
    let any_capped = !bombs.is_empty();
    super::place::report_caps(ctx, &commits, &tags, bombs, &mut stats);
    trace(&format!("history: {} (blob, path) pairs placed", first.len()));
    if unreadable > 0 {
        *stats.skipped.entry(SkipReason::Unreadable).or_default() += unreadable;
    }
    let placed: HashSet<Oid> = first.keys().map(|(b, _)| *b).collect();
    let mut findings =
        super::place::finish(&super::place::infos(repo, &commits, &tags), &paths, &first, &all.hits);
    trace("history: findings assembled");
    let trees = exposure::Trees { graph: &graph, marks: &marks };
    exposure::annotate(ctx, repo, &trees, &commits, &mut paths, &all.hits, &mut findings);
    trace("history: exposure facts");
    super::place::unreachable(ctx, &all.hits, &placed, any_capped, &mut findings);
    Ok((findings, stats))
}

/// No blob has hits: the trees are still read, for the git bombs the odb engine's walk
/// would report (on an ordinary history no tree's bound reaches a cap). The store is
/// freed once the trees are read.
fn bombs_only(
    repo: &Repository,
    ctx: &Ctx,
    store: pack::Store,
    commits: Spilled,
    stats: &mut Stats,
) -> Result<()> {
    let (mut graph, unreadable) = store.read_trees(repo, ctx, &HashSet::new(), "checking trees");
    drop(store);
    graph.load_edges()?;
    let commits = commits.restore()?;
    if unreadable > 0 {
        *stats.skipped.entry(SkipReason::Unreadable).or_default() += unreadable;
    }
    let suspects = pack::bombs::suspects(&graph);
    trace(&format!(
        "history: {} trees read, {} suspect",
        graph.len(),
        suspects.iter().filter(|&&s| s).count()
    ));
    stats.commits = Some(commits.len() as u64);
    if !suspects.contains(&true) {
        return Ok(());
    }
    let tags = tag_roots(repo, ctx);
    let capped =
        pack::bombs::capped(&graph, &suspects, pack::bombs::roots(&commits, &tags), ctx.opts.threads);
    super::place::report_caps(ctx, &commits, &tags, capped, stats);
    Ok(())
}

/// Every commit of the history in order, those in the packs decoded there (all of them,
/// unless grafts or a shallow cut make libgit2 read parents otherwise than they are
/// written: then libgit2 reads every commit, as the `odb` engine does).
fn pack_commits(
    repo: &Repository,
    ctx: &Ctx,
    store: &pack::Store,
    stats: &mut Stats,
) -> Result<Vec<order::Node>> {
    let grafted = repo.is_shallow() || repo.commondir().join("info/grafts").exists();
    let table = (!grafted).then(|| store.read_commits(repo, ctx));
    trace(&format!("history: {} commits decoded", table.as_ref().map_or(0, |t| t.len())));
    ordered_commits(repo, ctx, stats, table)
}

/// The over-size warnings, each naming the blob's first path and commit (or tag).
fn warn_refused(
    ctx: &Ctx,
    refused: &mut [pack::oversize::Refused],
    (first, paths): (&HashMap<(Oid, u32), u32>, &Paths),
    commits: &[order::Node],
    tags: &[TagRoot],
) {
    let wanted: HashSet<Oid> = refused.iter().flat_map(|r| r.ids()).collect();
    let mut earliest: HashMap<Oid, (u32, u32)> = HashMap::new();
    for (&(blob, path), &order) in first.iter().filter(|((b, _), _)| wanted.contains(b)) {
        let e = earliest.entry(blob).or_insert((order, path));
        *e = (*e).min((order, path));
    }
    let describe = |blob: Oid| {
        let &(order, path) = earliest.get(&blob)?;
        Some(match (order as usize).checked_sub(commits.len()) {
            None => format!("{} in commit {}", paths.escaped(path), commits[order as usize].oid),
            Some(k) => format!(
                "{} in tag {}",
                paths.escaped(path),
                crate::finding::escape_bytes(tags[k].refname.as_bytes())
            ),
        })
    };
    pack::oversize::warn(ctx.progress, refused, ctx.opts.max_blob_size, &describe);
}

fn scan_walk_first(repo: &Repository, ctx: &Ctx) -> Result<(Vec<Found>, Stats)> {
    let mut stats = Stats::default();
    let commits = ordered_commits(repo, ctx, &mut stats, None)?;
    let tags = tag_roots(repo, ctx);
    let w = walk(repo, ctx, &commits, &tags);
    stats.commits = Some(commits.len() as u64);
    super::place::report_walk(ctx, &w.walked, &mut stats);
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
    let mut findings =
        super::place::finish(&super::place::infos(repo, &commits, &tags), &w.paths, &w.first, &scanned.hits);
    reached.retain(|b| scanned.hits.contains_key(b));
    if !reached.is_empty() {
        let graph = exposure::graph_from_odb(repo, &commits, &reached);
        let marks = graph.marks();
        let trees = exposure::Trees { graph: &graph, marks: &marks };
        let mut paths = w.paths;
        exposure::annotate(ctx, repo, &trees, &commits, &mut paths, &scanned.hits, &mut findings);
    }
    super::place::unreachable(ctx, &scanned.hits, &reached, false, &mut findings);
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

/// Every commit reachable from any ref and HEAD (or from the `--branch` refs), committed at
/// or after `--since`, unordered; what cannot be read (a commit inside a delta cycle, a
/// corrupt one) is a counted warning.
fn commit_walk(
    repo: &Repository,
    ctx: &Ctx,
    stats: &mut Stats,
    table: Option<&CommitTable>,
) -> Result<Vec<Oid>> {
    let limits = &ctx.opts.limits;
    let mut unreadable = Vec::new();
    let tips = if limits.branches.is_empty() {
        commits::ref_tips(repo, &ctx.packs, &mut unreadable)
    } else {
        limits.tips(repo, &ctx.packs)?
    };
    let mut reached = commits::walk((repo, &ctx.packs, table), &tips, &[]);
    unreadable.append(&mut reached.unreadable);
    report_unreadable_commits(ctx, unreadable, stats);
    let mut all = reached.commits;
    if limits.since.is_some() {
        // Every commit here passed the pack check, so libgit2 may read it.
        all.retain(|oid| match table.and_then(|t| t.get(oid)) {
            Some((_, committer)) => limits.admits(committer),
            None => repo.find_commit(*oid).map_or(true, |c| limits.admits(c.committer().when().seconds())),
        });
    }
    Ok(all)
}

/// The tag roots in the limits: with `--branch`, only tags named; with `--since`, only
/// annotated tags dated at or after it.
fn tag_roots(repo: &Repository, ctx: &Ctx) -> Vec<TagRoot> {
    let limits = &ctx.opts.limits;
    let named = limits.names(repo);
    let mut roots = tags::roots(repo, &ctx.packs);
    roots.retain(|t| {
        (limits.branches.is_empty() || named.contains(&t.refname))
            && (limits.since.is_none() || (t.info.time != 0 && limits.admits(t.info.time)))
    });
    roots
}

/// One counted warning per commit (or tag) the commit walk could not read.
pub(super) fn report_unreadable_commits(ctx: &Ctx, mut unreadable: Vec<(Oid, String)>, stats: &mut Stats) {
    unreadable.sort();
    unreadable.dedup_by_key(|(o, _)| *o);
    for (oid, why) in unreadable {
        let why = crate::finding::escape_bytes(why.as_bytes());
        ctx.progress.warn(&format!(
            "cannot read {oid} (reached from a ref): {why}; it and the history only it reaches \
             were not scanned"
        ));
        stats.skip(SkipReason::Unreadable);
    }
}

fn ordered_commits(
    repo: &Repository,
    ctx: &Ctx,
    stats: &mut Stats,
    table: Option<CommitTable>,
) -> Result<Vec<order::Node>> {
    ctx.progress.status("walking history", "ordering commits".into());
    let walk = commit_walk(repo, ctx, stats, table.as_ref())?;
    let commits = order::topo((repo, table), walk.into_iter().map(Ok))?;
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
