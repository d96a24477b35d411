//! History exposure: for each finding of a whole-history scan, whether its secret is still
//! at that path in HEAD's tip, which ref tips hold it there (the first 20 by name, all of
//! them counted) and how many commits carry it.
//!
//! Takes the tree graph the placement step built (subtree edges and edges to blobs with
//! hits only, with the trees that hold such a blob marked), the ordered commits and the
//! repository's refs; gives each finding its [`Exposure`]. Only marked trees are walked,
//! so the cost follows the trees that hold a leaked blob, not the size of the history.
//! Commits are counted by pushing per-tree commit counts down the marked trees level by
//! level (a path has one blob per commit, so counts add up without double counting).
//! The work is capped by [`MAX_VISITS`]; past it a counted warning says the counts are low.

use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Oid, Repository};

use super::Ctx;
use super::order::Node;
use super::pack::trees::Graph;
use super::tree::Paths;
use crate::detect::stream::Hit;
use crate::finding::{Exposure, Found};

/// Tree visits and entries (a tree at a path, from one root) before the facts are cut short.
pub(super) const MAX_VISITS: u64 = 1 << 20;

/// The ref tips and HEAD, as root trees.
pub(super) struct Tips {
    /// Ref names, sorted: an index into this list orders refs by name.
    names: Vec<String>,
    /// Each distinct tip tree and the refs (indices into `names`) whose tip has it.
    roots: HashMap<Oid, Vec<u32>>,
    head: Option<Oid>,
}

impl Tips {
    /// Every ref that peels to a commit (branches, tags, remotes, notes, stash), and HEAD.
    pub(super) fn read(repo: &Repository, packs: &super::pack::single::PackReader) -> Tips {
        // Peeled with the pack check first (the commit walk warns about what it refuses).
        let tree_of = |target: Option<Oid>| {
            let c = super::commits::peel(repo, packs, target?, &mut Vec::new())?;
            Some(repo.find_commit(c).ok()?.tree_id())
        };
        let mut tips: Vec<(String, Oid)> = Vec::new();
        if let Ok(refs) = repo.references() {
            for r in refs.flatten() {
                let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
                let target = r.target().or_else(|| r.resolve().ok().and_then(|r| r.target()));
                if let Some(tree) = tree_of(target) {
                    tips.push((name, tree));
                }
            }
        }
        tips.sort();
        tips.dedup();
        let mut roots: HashMap<Oid, Vec<u32>> = HashMap::new();
        for (i, (_, tree)) in tips.iter().enumerate() {
            roots.entry(*tree).or_default().push(i as u32);
        }
        let head = tree_of(repo.head().ok().and_then(|h| h.target()));
        Tips { names: tips.into_iter().map(|(n, _)| n).collect(), roots, head }
    }
}

/// What is known about one (blob, path) pair.
#[derive(Default, Clone)]
struct Facts {
    at_head: bool,
    /// The smallest ref indices (so the first refs by name), at most `MAX_REFS`.
    refs: Vec<u32>,
    refs_count: u64,
    commits: u64,
}

impl Facts {
    fn add_refs(&mut self, refs: &[u32]) {
        self.refs_count += refs.len() as u64;
        self.refs.extend_from_slice(refs);
        self.refs.sort_unstable();
        self.refs.dedup();
        self.refs.truncate(Exposure::MAX_REFS);
    }
    fn merge(&mut self, o: &Facts) {
        self.at_head |= o.at_head;
        self.commits += o.commits;
        let count = self.refs_count + o.refs_count;
        self.add_refs(&o.refs);
        self.refs_count = count;
    }
}

/// The graph and its marks, as placement left them.
pub(super) struct Trees<'a> {
    pub graph: &'a Graph,
    pub marks: &'a [bool],
}

/// Give each finding its exposure facts, from the ref tips of `repo` and the tree graph.
pub(super) fn annotate(
    ctx: &Ctx,
    repo: &Repository,
    trees: &Trees,
    commits: &[Node],
    paths: &mut Paths,
    hits: &HashMap<Oid, Vec<Hit>>,
    findings: &mut [Found],
) {
    let tips = &Tips::read(repo, &ctx.packs);
    let mut budget = MAX_VISITS;
    let mut facts = commit_counts(trees, commits, paths, &mut budget);
    for (root, refs) in &tips.roots {
        each_pair(trees, *root, paths, &mut budget, &mut |pair| {
            facts.entry(pair).or_default().add_refs(refs)
        });
    }
    if let Some(head) = tips.head {
        each_pair(trees, head, paths, &mut budget, &mut |pair| facts.entry(pair).or_default().at_head = true);
    }
    if budget == 0 {
        ctx.progress.warn(&format!(
            "history exposure: over {MAX_VISITS} tree entries visited (a git bomb?); refs and commit counts may be too low"
        ));
    }
    let by_key = by_secret(&facts, hits, ctx, paths);
    for f in findings {
        let rule = ctx.det.rules[f.hit.rule].info.id.as_str();
        let key = (rule, f.hit.secret.expose(), f.path.as_bytes().to_vec());
        let got = by_key.get(&key).cloned().unwrap_or_default();
        f.exposure = Some(Exposure {
            present_at_head: got.at_head,
            refs: got.refs.iter().map(|&i| tips.names[i as usize].clone()).collect(),
            refs_count: got.refs_count,
            commits_count: got.commits,
        });
    }
}

/// Facts per (rule, secret, path): the blobs at a path that hold the same secret, merged.
fn by_secret<'h>(
    facts: &HashMap<(Oid, u32), Facts>,
    hits: &'h HashMap<Oid, Vec<Hit>>,
    ctx: &'h Ctx,
    paths: &Paths,
) -> HashMap<(&'h str, &'h [u8], Vec<u8>), Facts> {
    let mut out: HashMap<(&str, &[u8], Vec<u8>), Facts> = HashMap::new();
    for (&(blob, path), f) in facts {
        let Some(blob_hits) = hits.get(&blob) else { continue };
        let path = paths.path(path);
        let mut once = HashSet::new();
        for h in blob_hits {
            let rule = ctx.det.rules[h.rule].info.id.as_str();
            if once.insert((rule, h.secret.expose())) {
                out.entry((rule, h.secret.expose(), path.clone())).or_default().merge(f);
            }
        }
    }
    out
}

/// Commits holding each (blob, path): commit counts per root tree, pushed down the marked
/// trees one depth at a time.
fn commit_counts(
    trees: &Trees,
    commits: &[Node],
    paths: &mut Paths,
    budget: &mut u64,
) -> HashMap<(Oid, u32), Facts> {
    let mut level: HashMap<(u32, u32), u64> = HashMap::new();
    for n in commits {
        if let Some(t) = trees.graph.tree(n.tree).filter(|&t| trees.marks[t as usize]) {
            *level.entry((t, 0)).or_default() += 1;
        }
    }
    let mut out: HashMap<(Oid, u32), Facts> = HashMap::new();
    while !level.is_empty() && *budget > 0 {
        let mut next: HashMap<(u32, u32), u64> = HashMap::new();
        for ((t, dir), count) in level {
            let (subtrees, blobs) = (trees.graph.subtrees(t), trees.graph.blobs(t));
            *budget = budget.saturating_sub(1 + (subtrees.len() + blobs.len()) as u64);
            for &(n, blob) in blobs {
                out.entry((blob, paths.child(dir, trees.graph.name_of(n)))).or_default().commits += count;
            }
            for (n, c) in subtrees.filter(|&(_, c)| trees.marks[c as usize]) {
                *next.entry((c, paths.child(dir, trees.graph.name_of(n)))).or_default() += count;
            }
        }
        level = next;
    }
    out
}

/// Every (blob, path) pair under one root tree, through marked trees only.
fn each_pair(trees: &Trees, root: Oid, paths: &mut Paths, budget: &mut u64, f: &mut dyn FnMut((Oid, u32))) {
    let Some(r) = trees.graph.tree(root).filter(|&r| trees.marks[r as usize]) else { return };
    let mut stack = vec![(r, 0u32)];
    while let Some((t, dir)) = stack.pop() {
        if *budget == 0 {
            return;
        }
        let (subtrees, blobs) = (trees.graph.subtrees(t), trees.graph.blobs(t));
        *budget = budget.saturating_sub(1 + (subtrees.len() + blobs.len()) as u64);
        for &(n, blob) in blobs {
            f((blob, paths.child(dir, trees.graph.name_of(n))));
        }
        for (n, c) in subtrees.filter(|&(_, c)| trees.marks[c as usize]) {
            stack.push((c, paths.child(dir, trees.graph.name_of(n))));
        }
    }
}

/// The `odb` engine has no tree graph: read every tree reachable from the commits once,
/// through libgit2, keeping subtree edges and edges to blobs with hits (as the pack
/// engine's graph does). Unreadable trees were warned about by the walk.
pub(super) fn graph_from_odb(repo: &Repository, commits: &[Node], hits: &HashSet<Oid>) -> Graph {
    let mut graph = Graph::default();
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut stack: Vec<Oid> = commits.iter().map(|n| n.tree).collect();
    while let Some(oid) = stack.pop() {
        if !seen.insert(oid) {
            continue;
        }
        let Ok(tree) = repo.find_tree(oid) else { continue };
        let mut keep: Vec<(Vec<u8>, Oid, bool)> = Vec::new();
        for e in tree.iter() {
            match e.kind() {
                Some(ObjectType::Tree) => {
                    stack.push(e.id());
                    keep.push((e.name_bytes().to_vec(), e.id(), true));
                }
                Some(ObjectType::Blob) if hits.contains(&e.id()) => {
                    keep.push((e.name_bytes().to_vec(), e.id(), false))
                }
                _ => {}
            }
        }
        let keep: Vec<(&[u8], Oid, bool)> = keep.iter().map(|(n, o, t)| (n.as_slice(), *o, *t)).collect();
        graph.add(oid, &keep, keep.len());
    }
    graph
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_keep_the_first_by_name_and_count_all() {
        let mut a = Facts::default();
        a.add_refs(&(5..30).collect::<Vec<u32>>());
        let mut b = Facts { at_head: true, commits: 3, ..Facts::default() };
        b.add_refs(&[0, 1]);
        a.merge(&b);
        assert_eq!(a.refs_count, 27);
        assert_eq!(a.refs.len(), Exposure::MAX_REFS);
        assert_eq!(&a.refs[..3], &[0, 1, 5]);
        assert!(a.at_head);
        assert_eq!(a.commits, 3);
    }
}
