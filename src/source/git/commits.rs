//! Commit walks that never let libgit2 near an object the pack check refuses: libgit2's
//! own revision walk reads commits itself, and loops forever on a commit inside a delta
//! cycle.
//!
//! Takes the repository, its pack reader, the tips to walk from and the tips to hide (a
//! range `A..B`: what B reaches and A does not); gives the commits reached (unordered) and
//! each commit that could not be read, with why, for a counted warning. With tips to hide,
//! commits are taken newest first and the walk stops once only hidden ones are left, as
//! `git rev-list` does, so a range costs the size of the change, not of the history.

use std::collections::BinaryHeap;

use git2::{ErrorCode, Oid, Repository};

use super::pack::commit_table::CommitTable;
use super::pack::compact::{self, IdTable};
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

/// `Walk::parents` of a commit not read (yet, or at all).
const UNREAD: u32 = u32::MAX;

/// Per commit met, by dense id: its state and parents; about 16 bytes a commit (no hash
/// map entry, no `Vec` per commit). A commit in the table has its table index as dense id
/// (the table holds its id); any other is numbered after them, its id kept here (20 more
/// bytes, and a table slot).
struct Walk<'a> {
    repo: &'a Repository,
    packs: &'a PackReader,
    /// Commits already decoded from the packs (whole-history scans): read from here.
    table: Option<&'a CommitTable>,
    /// Dense ids below this are the table's.
    in_table: u32,
    ids: IdTable,
    oids: Vec<Oid>,
    state: Vec<State>,
    /// A read commit's parents: (start, count) in `parent_list`; `UNREAD` if not read.
    parents: Vec<(u32, u32)>,
    parent_list: Vec<u32>,
    queue: BinaryHeap<(i64, Oid)>,
    /// Queued and not hidden: the walk ends when none is left.
    live: usize,
    out: Reached,
}

/// Every commit `push` reaches and `hide` does not; those in `table` are read from it.
pub(super) fn walk(
    (repo, packs, table): (&Repository, &PackReader, Option<&CommitTable>),
    push: &[Oid],
    hide: &[Oid],
) -> Reached {
    // With a table, its commits have their rows from the start: sized once, no growth.
    let n = table.map_or(0, CommitTable::len);
    let mut w = Walk {
        repo,
        packs,
        table,
        in_table: n as u32,
        ids: IdTable::with_capacity(0, compact::seed()),
        oids: Vec::new(),
        state: vec![State::default(); n],
        parents: vec![(UNREAD, 0); n],
        parent_list: Vec::with_capacity(n),
        queue: BinaryHeap::new(),
        live: 0,
        out: Reached::default(),
    };
    for &h in hide {
        let i = w.id(h);
        w.mark_hidden(i);
        w.enqueue(i);
    }
    for &p in push {
        let i = w.id(p);
        w.enqueue(i);
    }
    while w.live > 0 {
        let Some((_, oid)) = w.queue.pop() else { break };
        let i = w.id(oid);
        w.state[i as usize].done = true;
        let hidden = w.state[i as usize].hidden;
        if !hidden {
            w.live -= 1;
        }
        let parents = w.parents_of(i).unwrap_or_default().to_vec();
        for p in parents {
            if hidden {
                w.mark_hidden(p);
            }
            w.enqueue(p);
        }
    }
    let reached = (0..w.state.len() as u32).filter(|&i| {
        let s = w.state[i as usize];
        s.done && !s.hidden && !s.unreadable
    });
    let commits = reached.map(|i| w.oid(i)).collect();
    let mut out = std::mem::take(&mut w.out);
    out.commits = commits;
    out.commits.sort_unstable();
    out
}

impl Walk<'_> {
    /// The dense id of `oid`: its table index, or one given on first sight.
    fn id(&mut self, oid: Oid) -> u32 {
        if let Some(i) = self.table.and_then(|t| t.index(&oid)) {
            return i as u32;
        }
        let (i, new) = self.ids.intern(&mut self.oids, oid);
        if new {
            self.state.push(State::default());
            self.parents.push((UNREAD, 0));
        }
        self.in_table + i
    }

    /// The object id of dense id `i`.
    fn oid(&self, i: u32) -> Oid {
        match self.table.filter(|_| i < self.in_table) {
            Some(t) => t.oid(i as usize),
            None => self.oids[(i - self.in_table) as usize],
        }
    }

    /// The parents of commit `i`, if it was read.
    fn parents_of(&self, i: u32) -> Option<&[u32]> {
        let (start, n) = self.parents[i as usize];
        (start != UNREAD).then(|| &self.parent_list[start as usize..(start + n) as usize])
    }

    /// Read commit `i` (once) and queue it by commit time; an unreadable commit is noted.
    fn enqueue(&mut self, i: u32) {
        let s = self.state[i as usize];
        if s.queued {
            return;
        }
        self.state[i as usize].queued = true;
        let Some(time) = self.read(i) else {
            let s = &mut self.state[i as usize];
            (s.done, s.unreadable) = (true, true);
            return;
        };
        if !s.hidden {
            self.live += 1;
        }
        self.queue.push((time, self.oid(i)));
    }

    fn read(&mut self, i: u32) -> Option<i64> {
        let (repo, oid) = (self.repo, self.oid(i));
        // A commit the table holds has its position as dense id: no second lookup.
        if let Some((node, committer)) = self.table.filter(|_| i < self.in_table).map(|t| t.at(i as usize)) {
            self.set_parents(i, node.parents.iter().copied());
            return Some(committer);
        }
        if let Some(why) = self.packs.check(&oid) {
            self.out.unreadable.push((oid, why));
            return None;
        }
        match crate::guard::isolate(|| repo.find_commit(oid)) {
            Some(Ok(c)) => {
                self.set_parents(i, c.parent_ids());
                Some(c.time().seconds())
            }
            // A shallow clone's cut: its missing parents are said once, elsewhere.
            Some(Err(e)) if e.code() == ErrorCode::NotFound && repo.is_shallow() => None,
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

    /// Record commit `i`'s parents (given dense ids on first sight).
    fn set_parents(&mut self, i: u32, parents: impl Iterator<Item = Oid>) {
        let start = self.parent_list.len() as u32;
        for p in parents {
            let p = self.id(p);
            self.parent_list.push(p);
        }
        self.parents[i as usize] = (start, self.parent_list.len() as u32 - start);
    }

    /// Mark commit `i` and (as far as they were read) its ancestors hidden.
    fn mark_hidden(&mut self, i: u32) {
        let mut stack = vec![i];
        while let Some(o) = stack.pop() {
            let s = self.state[o as usize];
            if s.hidden {
                continue;
            }
            self.state[o as usize].hidden = true;
            let read = self.parents[o as usize].0 != UNREAD;
            if s.queued && !s.done && read {
                self.live -= 1;
            }
            if s.done {
                stack.extend(self.parents_of(o).into_iter().flatten().copied());
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
