//! Commits decoded in the pack pass, so the whole-history walk and its ordering never
//! read a commit through libgit2 (one at a time, on one thread, twice each).
//!
//! Takes the commit objects the pack resolver decodes (on every thread); gives a
//! [`CommitTable`]: per commit, the order's [`Node`] (tree, parents, author date) and the
//! committer date, which the order later takes in place (`take`). A commit
//! goes in only if its bytes hash to its id and parse strictly as git writes commits
//! (`tree`, `parent`s, `author`, `committer` lines with well-formed dates); anything else
//! is left out, so the walk reads it through the checked libgit2 path, which warns exactly
//! as before. About 87 bytes a commit: a [`Node`] (72), the committer date and a 5-byte
//! table slot (at most 3/4 full).

use git2::{ObjectType, Oid};

use super::compact::{self, IdTable};
use super::resolve::{Lost, Visitor};
use crate::source::git::kind::ObjectKind;
use crate::source::git::order::Node;

/// Commits by id, as decoded from the packs: each as the order's [`Node`] (so the
/// order takes them in place, no second copy) and its committer date.
pub(crate) struct CommitTable {
    ids: IdTable,
    nodes: Vec<Node>,
    /// Committer date by node (the walk's queue key, `--since`).
    committer: Vec<i64>,
}

impl CommitTable {
    /// A table of the commits the workers decoded: their lists joined into the largest
    /// one (no second copy of them all); a commit held by two packs is kept once, and one
    /// with a copy refused is left out.
    pub(crate) fn new(mut parts: Vec<CommitVisitor>) -> Self {
        parts.sort_by_key(|p| std::cmp::Reverse(p.nodes.len()));
        let n = parts.iter().map(|p| p.nodes.len()).sum::<usize>();
        let mut parts = parts.into_iter();
        let CommitVisitor { mut nodes, mut committer, mut refused } = parts.next().unwrap_or_default();
        nodes.reserve_exact(n - nodes.len());
        committer.reserve_exact(n - committer.len());
        for p in parts {
            nodes.extend(p.nodes);
            committer.extend(p.committer);
            refused.extend(p.refused);
        }
        let (ids, mut leave) = index(&nodes);
        // A refused copy anywhere leaves the commit out (see `CommitVisitor::refused`).
        for oid in &refused {
            if let Some(i) = ids.get(oid, |j| nodes[j as usize].oid) {
                leave[i as usize] = true;
            }
        }
        if !leave.contains(&true) {
            return CommitTable { ids, nodes, committer };
        }
        drop(ids);
        retain_marked(&mut nodes, &leave, false);
        retain_marked(&mut committer, &leave, false);
        CommitTable { ids: index(&nodes).0, nodes, committer }
    }

    /// The position of commit `oid` in the table.
    pub(crate) fn index(&self, oid: &Oid) -> Option<usize> {
        self.ids.get(oid, |i| self.nodes[i as usize].oid).map(|i| i as usize)
    }

    /// The commit `oid` and its committer date, if it was decoded.
    pub(crate) fn get(&self, oid: &Oid) -> Option<(&Node, i64)> {
        self.index(oid).map(|i| self.at(i))
    }

    /// The commit at position `i` and its committer date.
    pub(crate) fn at(&self, i: usize) -> (&Node, i64) {
        (&self.nodes[i], self.committer[i])
    }

    /// The id of the commit at position `i`.
    pub(crate) fn oid(&self, i: usize) -> Oid {
        self.nodes[i].oid
    }

    /// Number of commits held.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes of the commits in `oids` (in table order), in place; gives back the ids
    /// of `oids` the table does not hold.
    pub(crate) fn take(self, oids: Vec<Oid>) -> (Vec<Node>, Vec<Oid>) {
        let mut keep = vec![false; self.nodes.len()];
        let mut missing = Vec::new();
        for oid in oids {
            match self.index(&oid) {
                Some(i) => keep[i] = true,
                None => missing.push(oid),
            }
        }
        let CommitTable { ids, mut nodes, committer } = self;
        drop((ids, committer));
        retain_marked(&mut nodes, &keep, true);
        nodes.shrink_to_fit();
        (nodes, missing)
    }
}

/// Keep the items of `items` whose mark in `marks` (one per item) is `keep`, in place.
fn retain_marked<T>(items: &mut Vec<T>, marks: &[bool], keep: bool) {
    let mut m = marks.iter();
    items.retain(|_| m.next() == Some(&keep));
}

/// The table's index over `nodes`, and which nodes repeat an earlier one's id.
fn index(nodes: &[Node]) -> (IdTable, Vec<bool>) {
    let mut ids = IdTable::with_capacity(nodes.len(), compact::seed());
    let mut dup = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        match ids.get(&n.oid, |j| nodes[j as usize].oid) {
            Some(_) => dup[i] = true,
            None => ids.insert(&n.oid, i as u32, |j| nodes[j as usize].oid),
        }
    }
    (ids, dup)
}

/// Collects the commits of one worker's delta trees.
#[derive(Default)]
pub(crate) struct CommitVisitor {
    /// The commits decoded and accepted.
    pub nodes: Vec<Node>,
    /// Their committer dates.
    pub committer: Vec<i64>,
    /// Commits with a copy not taken (bytes not their id's, an unusual header, not
    /// decoded): left out of the table even if another pack holds a good copy, so both
    /// engines read them through libgit2 alike.
    pub refused: Vec<Oid>,
}

impl Visitor for CommitVisitor {
    fn wants(&mut self, _oid: Oid, kind: ObjectKind, _size: u64) -> bool {
        kind == ObjectKind::Commit
    }

    fn object(&mut self, oid: Oid, _kind: ObjectKind, data: &[u8]) {
        // A commit whose bytes are not its id's is left to the checked path, which says so.
        let parsed = (Oid::hash_object(ObjectType::Commit, data).ok() == Some(oid))
            .then(|| parse(oid, data))
            .flatten();
        match parsed {
            Some((node, committer)) => {
                self.nodes.push(node);
                self.committer.push(committer);
            }
            None => self.refused.push(oid),
        }
    }

    /// Not decoded: the walk reads it through the checked path, which warns about it.
    fn broken(&mut self, oid: Oid, _why: &Lost, _lost: usize) {
        self.refused.push(oid);
    }
}

/// Commit `oid`'s header, strictly: `tree`, then `parent`s, then one `author` and one
/// `committer` line (each `name <email> SECONDS ±HHMM`), every line ending in `\n` and
/// none holding a NUL; `None` for anything else.
pub(crate) fn parse(oid: Oid, data: &[u8]) -> Option<(Node, i64)> {
    let mut rest = data;
    // One header line, without its `\n` (libgit2 requires one, the committer's too).
    let mut line = || -> Option<&[u8]> {
        let end = memchr::memchr(b'\n', rest)?;
        let l = &rest[..end];
        rest = &rest[end + 1..];
        Some(l)
    };
    let tree = hex_id(line()?.strip_prefix(b"tree ")?)?;
    let mut parents = Vec::new();
    let time = loop {
        let l = line()?;
        match l.strip_prefix(b"parent ") {
            Some(id) => parents.push(hex_id(id)?),
            None => break signature_time(l.strip_prefix(b"author ")?)?,
        }
    };
    let committer = signature_time(line()?.strip_prefix(b"committer ")?)?;
    // A NUL in the lines read is not what git writes (libgit2 may read it otherwise).
    if memchr::memchr(0, &data[..data.len() - rest.len()]).is_some() {
        return None;
    }
    Some((Node { oid, tree, time, parents: parents.into_iter().collect() }, committer))
}

fn hex_id(hex: &[u8]) -> Option<Oid> {
    if hex.len() != 40 || !hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
}

/// The seconds of `name <email> SECONDS ±HHMM`, with one `<` and one `>` in the line.
fn signature_time(sig: &[u8]) -> Option<i64> {
    let count = |c: u8| sig.iter().filter(|&&b| b == c).count();
    if count(b'<') != 1 || count(b'>') != 1 {
        return None;
    }
    let close = sig.iter().position(|&b| b == b'>')?;
    if sig.iter().position(|&b| b == b'<')? > close {
        return None;
    }
    let rest = sig[close + 1..].strip_prefix(b" ")?;
    let space = rest.iter().position(|&b| b == b' ')?;
    let (secs, zone) = (&rest[..space], &rest[space + 1..]);
    let digits = |s: &[u8], n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.iter().all(u8::is_ascii_digit)
    };
    let (sign, hhmm) = zone.split_first()?;
    if !digits(secs, 1..=15) || !matches!(sign, b'+' | b'-') || !digits(hhmm, 4..=4) {
        return None;
    }
    std::str::from_utf8(secs).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const PARENT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn commit(extra: &str, author: &str) -> String {
        format!("tree {TREE}\n{extra}author {author}\ncommitter C <c@x> 1700000100 -0130\n\nmessage\n")
    }

    #[test]
    fn parses_what_git_writes() {
        let c = commit(&format!("parent {PARENT}\nparent {TREE}\n"), "A U Thor <a@x> 1700000000 +0200");
        let (r, committer) = parse(Oid::ZERO_SHA1, c.as_bytes()).unwrap();
        assert_eq!(r.tree.to_string(), TREE);
        assert_eq!(r.parents.iter().map(Oid::to_string).collect::<Vec<_>>(), [PARENT, TREE]);
        assert_eq!((r.time, committer), (1_700_000_000, 1_700_000_100));
        assert!(
            parse(Oid::ZERO_SHA1, commit("", "A <a@x> 0 +0000").as_bytes()).unwrap().0.parents.is_empty()
        );
    }

    #[test]
    fn leaves_anything_unusual_to_libgit2() {
        for author in [
            "A <a@x>",
            "A <a@x> 1700000000",
            "A <a@x> 17x0000000 +0200",
            "A <a@x> 1700000000 0200",
            "A <a@x> 1700000000 +02",
            "A <a@x> -1700000000 +0200",
            "A <a@x>  1700000000 +0200",
            "A <<a@x> 1700000000 +0200",
            "A >a@x< 1700000000 +0200",
            "A a@x 1700000000 +0200",
            "A <a@x> 99999999999999999999 +0200",
        ] {
            assert!(parse(Oid::ZERO_SHA1, commit("", author).as_bytes()).is_none(), "{author}");
        }
        let ok = "A <a@x> 1 +0000";
        for extra in [format!("parent {}\n", &PARENT[1..]), format!("parent {}\n", PARENT.to_uppercase())] {
            assert!(parse(Oid::ZERO_SHA1, commit(&extra, ok).as_bytes()).is_none(), "{extra}");
        }
        let nul = commit("", "A\0B <a@x> 1 +0000");
        assert!(parse(Oid::ZERO_SHA1, nul.as_bytes()).is_none(), "a NUL in the header");
        let nul_in_message = commit("", ok) + "\0 after the header is the message's business\n";
        assert!(parse(Oid::ZERO_SHA1, nul_in_message.as_bytes()).is_some());
        let unterminated = format!("tree {TREE}\nauthor {ok}\ncommitter {ok}");
        assert!(parse(Oid::ZERO_SHA1, unterminated.as_bytes()).is_none(), "libgit2 wants the newline");
        let bare = format!("tree {TREE}\nauthor {ok}\ncommitter {ok}\n");
        assert!(parse(Oid::ZERO_SHA1, bare.as_bytes()).is_some(), "no message is fine");
        let no_committer = format!("tree {TREE}\nauthor {ok}\n\nmsg\n");
        assert!(parse(Oid::ZERO_SHA1, no_committer.as_bytes()).is_none());
        assert!(parse(Oid::ZERO_SHA1, format!("tree {TREE}").as_bytes()).is_none());
        assert!(parse(Oid::ZERO_SHA1, b"").is_none());
    }

    #[test]
    fn a_commit_whose_bytes_are_not_its_id_is_left_out_and_one_in_two_packs_is_held_once() {
        let c = commit("", "A <a@x> 1 +0000");
        let id = Oid::hash_object(ObjectType::Commit, c.as_bytes()).unwrap();
        let c2 = commit(&format!("parent {id}\n"), "A <a@x> 2 +0000");
        let id2 = Oid::hash_object(ObjectType::Commit, c2.as_bytes()).unwrap();
        let (mut v, mut again) = (CommitVisitor::default(), CommitVisitor::default());
        v.object(id, ObjectKind::Commit, c.as_bytes());
        v.object(Oid::from_str(PARENT).unwrap(), ObjectKind::Commit, c.as_bytes());
        again.object(id2, ObjectKind::Commit, c2.as_bytes());
        again.object(id, ObjectKind::Commit, c.as_bytes());
        let t = CommitTable::new(vec![v, again, CommitVisitor::default()]);
        assert_eq!(t.len(), 2, "a commit in two packs is held once");
        assert_eq!(t.get(&id).map(|(n, c)| (n.time, c)), Some((1, 1_700_000_100)));
        assert_eq!(t.get(&id2).map(|(n, _)| n.parents.to_vec()), Some(vec![id]));
        let other = Oid::from_str(PARENT).unwrap();
        assert!(t.get(&other).is_none());
        let (nodes, missing) = t.take(vec![other, id]);
        assert_eq!((nodes.len(), nodes[0].oid, missing), (1, id, vec![other]));

        // A bad copy in one pack (here: bytes that are not its id's) leaves a good one out.
        let (mut good, mut bad) = (CommitVisitor::default(), CommitVisitor::default());
        good.object(id, ObjectKind::Commit, c.as_bytes());
        good.object(id2, ObjectKind::Commit, c2.as_bytes());
        bad.object(id, ObjectKind::Commit, c2.as_bytes());
        let t = CommitTable::new(vec![good, bad]);
        assert!(t.get(&id).is_none() && t.get(&id2).is_some() && t.len() == 1);
    }
}
