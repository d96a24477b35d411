//! Tree comparison: the blobs a tree has that another tree (a parent's) has not.
//!
//! Takes two tree ids (the second optional: none means "everything is new") and gives,
//! through a callback, each blob entry that differs, with its interned path and the old
//! blob at that path. Both trees are walked together in git's entry order, so identical
//! subtrees (same id) are skipped without being read and unchanged entries cost a
//! comparison, not a hash lookup. Paths are interned as (parent, name) pairs.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository};

use super::kind::ObjectKind;

use super::caps::Budget;
use super::pack::single::PackReader;

/// Interned paths: id → (parent id, name). Id 0 is the root (empty path).
#[derive(Default)]
pub struct Paths {
    ids: HashMap<(u32, Box<[u8]>), u32>,
    nodes: Vec<(u32, Box<[u8]>)>,
}

impl Paths {
    pub fn new() -> Self {
        Paths { ids: HashMap::new(), nodes: vec![(0, Box::default())] }
    }
    pub fn child(&mut self, parent: u32, name: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(&(parent, Box::from(name))) {
            return id;
        }
        let id = self.nodes.len() as u32;
        self.nodes.push((parent, Box::from(name)));
        self.ids.insert((parent, Box::from(name)), id);
        id
    }
    /// Intern a `/`-separated path.
    pub fn intern_path(&mut self, path: &[u8]) -> u32 {
        path.split(|&b| b == b'/').filter(|c| !c.is_empty()).fold(0, |dir, name| self.child(dir, name))
    }
    /// The path of `id` for a warning line (control characters escaped).
    pub fn escaped(&self, id: u32) -> String {
        crate::finding::escape_bytes(&self.path(id))
    }
    /// The full `/`-separated path of `id`.
    pub fn path(&self, mut id: u32) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = Vec::new();
        while id != 0 {
            let (parent, name) = &self.nodes[id as usize];
            parts.push(name);
            id = *parent;
        }
        parts.reverse();
        parts.join(&b'/')
    }
}

/// A blob entry of the new tree that the old tree lacks at that path.
pub(crate) struct Changed {
    pub path: u32,
    pub blob: Oid,
    /// The blob at that path in the old tree, if it had one.
    pub old: Option<Oid>,
}

/// What a comparison ran into besides blobs.
#[derive(Default)]
pub(crate) struct Walked {
    /// Paths of gitlinks (submodules) seen among the changes: not followed.
    pub submodules: HashSet<u32>,
    /// Trees that could not be read (missing or corrupt objects), by id, with why.
    pub unreadable: Vec<(Oid, String)>,
    /// Commits whose tree expansion hit a cap: the warning, and the trees left out.
    pub capped: Vec<(String, u64)>,
}

impl Walked {
    /// Keep `budget`'s warning for `what` (a commit or a tag), if its walk hit a cap.
    pub(crate) fn note_caps(&mut self, budget: &Budget, what: &str) {
        if let Some(w) = budget.warning(what) {
            self.capped.push((w, budget.left_out()));
        }
    }
}

/// The repository's objects as the walks read them: libgit2, behind the pack check.
pub(crate) struct Objects<'a> {
    pub repo: &'a Repository,
    pub packs: &'a PackReader,
}

impl Objects<'_> {
    /// The tree `id`, or why it cannot be read (never a loop or a panic inside libgit2).
    fn tree(&self, id: Oid) -> Result<git2::Tree<'_>, String> {
        if let Some(why) = self.packs.check(&id) {
            return Err(why);
        }
        match crate::guard::isolate(|| self.repo.find_tree(id)) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.message().to_string()),
            None => Err("libgit2 cannot parse it".into()),
        }
    }
}

/// Every blob of tree `new` that differs from `old` at the same path (all of them if `old`
/// is `None`), passed to `each`, within `budget` (see [`super::caps`]).
pub(crate) fn changes(
    objects: &Objects,
    paths: &mut Paths,
    (new, old): (Oid, Option<Oid>),
    walked: &mut Walked,
    budget: &mut Budget,
    each: &mut dyn FnMut(Changed),
) {
    let mut stack = vec![(new, old, 0u32, 0usize)];
    while let Some((new, old, dir, depth)) = stack.pop() {
        if Some(new) == old || !budget.expand(new, depth) {
            continue;
        }
        let new_tree = match objects.tree(new) {
            Ok(t) => t,
            Err(why) => {
                walked.unreadable.push((new, why));
                continue;
            }
        };
        budget.entries(new_tree.len());
        let old_tree = old.and_then(|o| objects.tree(o).ok());
        let (mut i, mut j) = (0, 0);
        while i < new_tree.len() {
            let e = new_tree.get(i).expect("index in range");
            let (name, kind) = (e.name_bytes(), kind_of(&e));
            let mut prev = None;
            if let Some(ot) = &old_tree {
                while let Some(o) = ot.get(j) {
                    match git_order(o.name_bytes(), kind_of(&o), name, kind) {
                        Ordering::Less => j += 1,
                        Ordering::Equal => {
                            prev = Some((o.id(), kind_of(&o)));
                            j += 1;
                            break;
                        }
                        Ordering::Greater => break,
                    }
                }
            }
            i += 1;
            if prev == Some((e.id(), kind)) {
                continue; // unchanged entry
            }
            let old_same_kind = prev.filter(|p| p.1 == kind).map(|p| p.0);
            match kind {
                Some(ObjectKind::Tree) => {
                    stack.push((e.id(), old_same_kind, paths.child(dir, name), depth + 1))
                }
                Some(ObjectKind::Blob) => {
                    each(Changed { path: paths.child(dir, name), blob: e.id(), old: old_same_kind })
                }
                Some(ObjectKind::Commit) => {
                    walked.submodules.insert(paths.child(dir, name));
                }
                _ => {}
            }
        }
    }
}

/// A tree entry's kind (`None`: a mode libgit2 does not know).
fn kind_of(e: &git2::TreeEntry) -> Option<ObjectKind> {
    e.kind().and_then(ObjectKind::from_git2)
}

/// Git's tree order: names compare bytewise, a tree's name as if it ended in `/`.
fn git_order(a: &[u8], ak: Option<ObjectKind>, b: &[u8], bk: Option<ObjectKind>) -> Ordering {
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        Ordering::Equal => {}
        other => return other,
    }
    let end = |name: &[u8], kind: Option<ObjectKind>| match name.get(common) {
        Some(&c) => c,
        None if kind == Some(ObjectKind::Tree) => b'/',
        None => 0,
    };
    end(a, ak).cmp(&end(b, bk)).then(a.len().cmp(&b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_order_puts_trees_after_their_prefix_files() {
        let t = Some(ObjectKind::Tree);
        let b = Some(ObjectKind::Blob);
        // git sorts "foo.c" < "foo/" < "foo0": '.' (0x2e) < '/' (0x2f) < '0' (0x30)
        assert_eq!(git_order(b"foo.c", b, b"foo", t), Ordering::Less);
        assert_eq!(git_order(b"foo", t, b"foo0", b), Ordering::Less);
        assert_eq!(git_order(b"foo", b, b"foo", t), Ordering::Less);
        assert_eq!(git_order(b"foo", t, b"foo", t), Ordering::Equal);
        assert_eq!(git_order(b"a", b, b"b", b), Ordering::Less);
    }

    #[test]
    fn paths_intern_and_rebuild() {
        let mut p = Paths::new();
        let src = p.child(0, b"src");
        let a = p.child(src, b"a.rs");
        assert_eq!(p.child(src, b"a.rs"), a);
        assert_eq!(p.path(a), b"src/a.rs");
        assert_eq!(p.path(0), b"");
    }
}
