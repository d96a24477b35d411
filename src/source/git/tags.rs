//! Tags that point straight at a blob or a tree (no commit): still history, since
//! `git clone` fetches them. Each becomes a root of its own, with the tag as provenance.
//!
//! Takes a repository; gives every blob or tree some ref reaches through tags only, with
//! the ref name (the path of a tagged blob) and the tag's metadata, sorted by ref name.

use std::collections::HashSet;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use super::pack::single::PackReader;
use crate::finding::CommitInfo;

/// Tags on tags followed at most this deep.
const MAX_TAG_CHAIN: usize = 64;

pub struct TagRoot {
    pub target: Oid,
    pub is_tree: bool,
    pub refname: String,
    /// The outermost annotated tag (id, tagger, date), or the target's id for a lightweight one.
    pub info: Arc<CommitInfo>,
}

pub fn roots(repo: &Repository, packs: &PackReader) -> Vec<TagRoot> {
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

/// Follow tags from `id`; an object the pack check refuses is left alone (the commit
/// walk, which meets the same ref, warns about it).
fn follow(repo: &Repository, packs: &PackReader, mut id: Oid, refname: &str) -> Option<TagRoot> {
    let odb = repo.odb().ok()?;
    let mut info = None;
    for _ in 0..MAX_TAG_CHAIN {
        if packs.check(&id).is_some() {
            return None;
        }
        let (_, kind) = crate::guard::isolate(|| odb.read_header(id))?.ok()?;
        match kind {
            ObjectType::Tag => {
                let tag = crate::guard::isolate(|| repo.find_tag(id))?.ok()?;
                info.get_or_insert_with(|| tag_info(&tag));
                id = tag.target_id();
            }
            ObjectType::Blob | ObjectType::Tree => {
                let info = info.unwrap_or_else(|| CommitInfo {
                    id: id.to_string(),
                    author: String::new(),
                    time: 0,
                    offset_minutes: 0,
                });
                let is_tree = kind == ObjectType::Tree;
                return Some(TagRoot {
                    target: id,
                    is_tree,
                    refname: refname.to_string(),
                    info: Arc::new(info),
                });
            }
            _ => return None, // a commit: the revision walk has it
        }
    }
    None
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
