//! Commits decoded in the pack pass, so the whole-history walk and its ordering never
//! read a commit through libgit2 (one at a time, on one thread, twice each).
//!
//! Takes the commit objects the pack resolver decodes (on every thread); gives a
//! [`CommitTable`]: per commit, the order's [`Node`] (tree, parents, author date) and the
//! committer date, which the order later takes in place (`take`). A commit
//! goes in only if its bytes hash to its id and parse strictly as git writes commits
//! (`tree`, `parent`s, `author`, `committer` lines with well-formed dates); anything else
//! is left out, so the walk reads it through the checked libgit2 path, which warns exactly
//! as before. About 85 bytes a commit: a [`Node`] (72), the committer date and a 4-byte
//! table slot.

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
    /// A table of `commits` (duplicates, a commit held by two packs, kept once).
    pub(crate) fn new(commits: Vec<Vec<(Node, i64)>>) -> Self {
        let n = commits.iter().map(Vec::len).sum();
        let mut t = CommitTable {
            ids: IdTable::with_capacity(n, compact::seed()),
            nodes: Vec::with_capacity(n),
            committer: Vec::with_capacity(n),
        };
        for (node, committer) in commits.into_iter().flatten() {
            let nodes = &t.nodes;
            if t.ids.get(&node.oid, |i| nodes[i as usize].oid).is_some() {
                continue;
            }
            let (oid, i) = (node.oid, t.nodes.len() as u32);
            t.nodes.push(node);
            t.committer.push(committer);
            let nodes = &t.nodes;
            t.ids.insert(&oid, i, |i| nodes[i as usize].oid);
        }
        t
    }

    fn index(&self, oid: &Oid) -> Option<usize> {
        self.ids.get(oid, |i| self.nodes[i as usize].oid).map(|i| i as usize)
    }

    /// The commit `oid` and its committer date, if it was decoded.
    pub(crate) fn get(&self, oid: &Oid) -> Option<(&Node, i64)> {
        self.index(oid).map(|i| (&self.nodes[i], self.committer[i]))
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
        let mut k = keep.iter();
        nodes.retain(|_| k.next() == Some(&true));
        nodes.shrink_to_fit();
        (nodes, missing)
    }
}

/// Collects the commits of one worker's delta trees.
#[derive(Default)]
pub(crate) struct CommitVisitor {
    /// The commits decoded and accepted, with their committer dates.
    pub rows: Vec<(Node, i64)>,
}

impl Visitor for CommitVisitor {
    fn wants(&mut self, _oid: Oid, kind: ObjectKind, _size: u64) -> bool {
        kind == ObjectKind::Commit
    }

    fn object(&mut self, oid: Oid, _kind: ObjectKind, data: &[u8]) {
        // A commit whose bytes are not its id's is left to the checked path, which says so.
        if Oid::hash_object(ObjectType::Commit, data).ok() != Some(oid) {
            return;
        }
        if let Some(row) = parse(oid, data) {
            self.rows.push(row);
        }
    }

    /// Not decoded: the walk reads it through the checked path, which warns about it.
    fn broken(&mut self, _oid: Oid, _why: &Lost, _lost: usize) {}
}

/// Commit `oid`'s header, strictly: `tree`, then `parent`s, then one `author` and one
/// `committer` line (each `name <email> SECONDS ±HHMM`); `None` for anything else.
pub(crate) fn parse(oid: Oid, data: &[u8]) -> Option<(Node, i64)> {
    let mut lines = data.split(|&b| b == b'\n');
    let tree = hex_id(lines.next()?.strip_prefix(b"tree ")?)?;
    let mut parents = Vec::new();
    let time = loop {
        let line = lines.next()?;
        match line.strip_prefix(b"parent ") {
            Some(id) => parents.push(hex_id(id)?),
            None => break signature_time(line.strip_prefix(b"author ")?)?,
        }
    };
    let committer = signature_time(lines.next()?.strip_prefix(b"committer ")?)?;
    // A NUL in the lines read is not what git writes (libgit2 may read it otherwise).
    let read = data.len() - lines.map(|l| l.len() + 1).sum::<usize>().min(data.len());
    if memchr::memchr(0, &data[..read]).is_some() {
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
        let no_committer = format!("tree {TREE}\nauthor {ok}\n\nmsg\n");
        assert!(parse(Oid::ZERO_SHA1, no_committer.as_bytes()).is_none());
        assert!(parse(Oid::ZERO_SHA1, format!("tree {TREE}").as_bytes()).is_none());
        assert!(parse(Oid::ZERO_SHA1, b"").is_none());
    }

    #[test]
    fn a_commit_whose_bytes_are_not_its_id_is_left_out() {
        let c = commit("", "A <a@x> 1 +0000");
        let id = Oid::hash_object(ObjectType::Commit, c.as_bytes()).unwrap();
        let mut v = CommitVisitor::default();
        v.object(id, ObjectKind::Commit, c.as_bytes());
        v.object(Oid::from_str(PARENT).unwrap(), ObjectKind::Commit, c.as_bytes());
        let again =
            v.rows.iter().map(|(n, c)| (Node { parents: n.parents.iter().copied().collect(), ..*n }, *c));
        let again: Vec<_> = again.collect();
        let t = CommitTable::new(vec![std::mem::take(&mut v.rows), again]);
        assert_eq!(t.len(), 1, "a commit in two packs is held once");
        assert_eq!(t.get(&id).map(|(n, c)| (n.time, c)), Some((1, 1_700_000_100)));
        let other = Oid::from_str(PARENT).unwrap();
        assert!(t.get(&other).is_none());
        let (nodes, missing) = t.take(vec![other, id]);
        assert_eq!((nodes.len(), nodes[0].oid, missing), (1, id, vec![other]));
    }
}
