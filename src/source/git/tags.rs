//! Tags that point straight at a blob or a tree (no commit): still history, since
//! `git clone` fetches them. Each becomes a root of its own, with the tag as provenance.
//!
//! Takes a repository; gives every blob or tree some ref reaches through tags only, with
//! the ref name (the path of a tagged blob) and the tag's metadata, sorted by ref name;
//! and `peel`, the one checked walk down a chain of tags (the commit walk's too).

use std::collections::HashSet;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use super::pack::single::PackReader;
use crate::finding::CommitInfo;

/// Tags on tags followed at most this deep.
const MAX_TAG_CHAIN: usize = 64;

pub(super) struct TagRoot {
    pub target: Oid,
    pub is_tree: bool,
    pub refname: String,
    /// The outermost annotated tag (id, tagger, date), or the target's id for a lightweight one.
    pub info: Arc<CommitInfo>,
}

pub(super) fn roots(repo: &Repository, packs: &PackReader) -> Vec<TagRoot> {
    let Ok(refs) = repo.references() else { return Vec::new() };
    let mut out: Vec<TagRoot> = Vec::new();
    for r in refs.flatten() {
        let (Some(target), Ok(name)) = (r.target(), r.name()) else { continue };
        if let Some(root) = follow(repo, packs, target, name) {
            out.push(root);
        }
    }
    out.sort_by(|a, b| a.refname.cmp(&b.refname));
    let mut seen = HashSet::new();
    out.retain(|t| seen.insert(t.target));
    out
}

/// Where a chain of tags from a ref ends.
pub(super) enum Peeled<'r> {
    /// The first object that is not a tag, its kind, and the outermost tag (if any).
    Object(Oid, ObjectType, Option<git2::Tag<'r>>),
    /// An object on the way cannot be read (the pack check refuses it, libgit2 fails on
    /// it, or the chain is over `MAX_TAG_CHAIN` tags): its id and why.
    Unreadable(Oid, String),
    /// A tag libgit2 reads the header of but cannot parse.
    Gone,
}

/// Follow tags from `id`, each object checked before libgit2 reads it.
pub(super) fn peel<'r>(repo: &'r Repository, packs: &PackReader, mut id: Oid) -> Peeled<'r> {
    let Ok(odb) = repo.odb() else { return Peeled::Gone };
    let mut outer = None;
    for _ in 0..MAX_TAG_CHAIN {
        if let Some(why) = packs.check(&id) {
            return Peeled::Unreadable(id, why);
        }
        let kind = match crate::guard::isolate(|| odb.read_header(id)) {
            Some(Ok((_, kind))) => kind,
            Some(Err(e)) => return Peeled::Unreadable(id, e.message().to_string()),
            None => return Peeled::Unreadable(id, "libgit2 cannot parse it".into()),
        };
        if kind != ObjectType::Tag {
            return Peeled::Object(id, kind, outer);
        }
        let Some(Ok(tag)) = crate::guard::isolate(|| repo.find_tag(id)) else { return Peeled::Gone };
        id = tag.target_id();
        outer.get_or_insert(tag);
    }
    Peeled::Unreadable(id, format!("a tag at the end of a chain of over {MAX_TAG_CHAIN} tags"))
}

/// A tag chain that ends at a blob or a tree; what cannot be read is left alone (the
/// commit walk, which meets the same ref, warns about it).
fn follow(repo: &Repository, packs: &PackReader, id: Oid, refname: &str) -> Option<TagRoot> {
    let Peeled::Object(target, kind @ (ObjectType::Blob | ObjectType::Tree), outer) = peel(repo, packs, id)
    else {
        return None; // a commit (the revision walk has it), or unreadable
    };
    let info = outer.map_or_else(
        || CommitInfo { id: target.to_string(), author: String::new(), time: 0, offset_minutes: 0 },
        |tag| tag_info(&tag),
    );
    Some(TagRoot {
        target,
        is_tree: kind == ObjectType::Tree,
        refname: refname.to_string(),
        info: Arc::new(info),
    })
}

fn tag_info(tag: &git2::Tag) -> CommitInfo {
    let (author, time, offset_minutes) = match tag.tagger() {
        Some(s) => {
            let name = String::from_utf8_lossy(s.name_bytes());
            let email = String::from_utf8_lossy(s.email_bytes());
            (format!("{name} <{email}>"), s.when().seconds(), s.when().offset_minutes())
        }
        None => (String::new(), 0, 0),
    };
    CommitInfo { id: tag.id().to_string(), author, time, offset_minutes }
}
