//! Commit walks that never let libgit2 near an object the pack check refuses: libgit2's
//! own revision walk reads commits itself, and loops forever on a commit inside a delta
//! cycle.
//!
//! Takes the repository, its pack reader, the tips to walk from and the tips to hide (a
//! range `A..B`: what B reaches and A does not); gives the commits reached (unordered) and
//! each commit that could not be read, with why, for a counted warning. With tips to hide,
//! commits are taken newest first and the walk stops once only hidden ones are left, as
//! `git rev-list` does, so a range costs the size of the change, not of the history.

use std::collections::{BinaryHeap, HashMap};

use git2::{ErrorCode, Oid, Repository};

use super::pack::single::PackReader;
use super::tags::Peeled;

#[derive(Default)]
pub(crate) struct Reached {
    pub commits: Vec<Oid>,
    pub unreadable: Vec<(Oid, String)>,
}

#[derive(Default, Clone, Copy)]
struct State {
    hidden: bool,
    queued: bool,
    done: bool,
    unreadable: bool,
}

struct Walk<'a> {
    repo: &'a Repository,
    packs: &'a PackReader,
    state: HashMap<Oid, State>,
    parents: HashMap<Oid, Vec<Oid>>,
    queue: BinaryHeap<(i64, Oid)>,
    /// Queued and not hidden: the walk ends when none is left.
    live: usize,
    out: Reached,
}

/// Every commit `push` reaches and `hide` does not.
pub(super) fn walk(repo: &Repository, packs: &PackReader, push: &[Oid], hide: &[Oid]) -> Reached {
    let mut w = Walk {
        repo,
        packs,
        state: HashMap::new(),
        parents: HashMap::new(),
        queue: BinaryHeap::new(),
        live: 0,
        out: Reached::default(),
    };
    for &h in hide {
        w.mark_hidden(h);
        w.enqueue(h);
    }
    push.iter().for_each(|&p| w.enqueue(p));
    while w.live > 0 {
        let Some((_, oid)) = w.queue.pop() else { break };
        let s = w.state.entry(oid).or_default();
        s.done = true;
        let hidden = s.hidden;
        if !hidden {
            w.live -= 1;
        }
        let parents = w.parents.get(&oid).cloned().unwrap_or_default();
        for p in parents {
            if hidden {
                w.mark_hidden(p);
            }
            w.enqueue(p);
        }
    }
    let Walk { state, mut out, .. } = w;
    let reached = state.iter().filter(|(_, s)| s.done && !s.hidden && !s.unreadable);
    out.commits = reached.map(|(o, _)| *o).collect();
    out.commits.sort();
    out
}

impl Walk<'_> {
    /// Read `oid` (once) and queue it by commit time; an unreadable commit is noted.
    fn enqueue(&mut self, oid: Oid) {
        let s = *self.state.entry(oid).or_default();
        if s.queued {
            return;
        }
        self.state.entry(oid).or_default().queued = true;
        let Some(time) = self.read(oid) else {
            let s = self.state.entry(oid).or_default();
            (s.done, s.unreadable) = (true, true);
            return;
        };
        if !s.hidden {
            self.live += 1;
        }
        self.queue.push((time, oid));
    }

    fn read(&mut self, oid: Oid) -> Option<i64> {
        if let Some(why) = self.packs.check(&oid) {
            self.out.unreadable.push((oid, why));
            return None;
        }
        match crate::guard::isolate(|| self.repo.find_commit(oid)) {
            Some(Ok(c)) => {
                self.parents.insert(oid, c.parent_ids().collect());
                Some(c.time().seconds())
            }
            // A shallow clone's cut: its missing parents are said once, elsewhere.
            Some(Err(e)) if e.code() == ErrorCode::NotFound && self.repo.is_shallow() => None,
            Some(Err(e)) => {
                self.out.unreadable.push((oid, e.message().to_string()));
                None
            }
            None => {
                self.out.unreadable.push((oid, "libgit2 cannot parse it".into()));
                None
            }
        }
    }

    /// Mark `oid` and (as far as they were read) its ancestors hidden.
    fn mark_hidden(&mut self, oid: Oid) {
        let mut stack = vec![oid];
        while let Some(o) = stack.pop() {
            let s = self.state.entry(o).or_default();
            if s.hidden {
                continue;
            }
            s.hidden = true;
            if s.queued && !s.done && self.parents.contains_key(&o) {
                self.live -= 1;
            }
            if s.done {
                stack.extend(self.parents.get(&o).into_iter().flatten().copied());
            }
        }
    }
}

/// The commit a ref's target leads to (through tags), checked at each step; `None` for a
/// ref to a blob or a tree, or one that cannot be read (noted in `unreadable`).
pub(super) fn peel(
    repo: &Repository,
    packs: &PackReader,
    id: Oid,
    unreadable: &mut Vec<(Oid, String)>,
) -> Option<Oid> {
    match super::tags::peel(repo, packs, id) {
        Peeled::Object(id, git2::ObjectType::Commit, _) => Some(id),
        Peeled::Unreadable(id, why) => {
            unreadable.push((id, why));
            None
        }
        Peeled::Object(..) | Peeled::Gone => None,
    }
}

/// Every ref's commit (tags peeled) and HEAD's: the tips of a whole-history walk.
pub(super) fn ref_tips(
    repo: &Repository,
    packs: &PackReader,
    unreadable: &mut Vec<(Oid, String)>,
) -> Vec<Oid> {
    let mut tips = Vec::new();
    if let Ok(refs) = repo.references() {
        for r in refs.flatten() {
            let target = r.target().or_else(|| r.resolve().ok().and_then(|r| r.target()));
            tips.extend(target.and_then(|t| peel(repo, packs, t, unreadable)));
        }
    }
    if let Some(head) =
        repo.find_reference("HEAD").ok().and_then(|r| r.resolve().ok()).and_then(|r| r.target())
    {
        tips.extend(peel(repo, packs, head, unreadable));
    }
    tips.sort();
    tips.dedup();
    tips
}
