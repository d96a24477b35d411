//! The commits a push adds, read where git runs a `pre-receive` hook.
//!
//! Takes the receiving repository (opened as usual) and the ref updates; gives the findings
//! of `--range` over the commits the push adds: for an update, `old..new`; for a new ref,
//! the commits no existing ref reaches (`new --not --all`); a deletion adds nothing. The
//! pushed objects are still in git's quarantine (`GIT_OBJECT_DIRECTORY`, with the real
//! store in `GIT_ALTERNATE_OBJECT_DIRECTORIES`): those directories are added as in-memory
//! alternates of every handle (the main thread's and each blob worker's); nothing is ever
//! written to the repository.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use git2::{ObjectType, Odb, Oid, Repository};

use super::{Ctx, changes, order};
use crate::finding::Found;
use crate::prereceive::Push;
use crate::prereceive::input::RefUpdate;
use crate::source::Stats;

/// At most this many object directories taken from the environment.
const MAX_OBJECT_DIRS: usize = 64;

/// Add the quarantine's object directories (from git's environment) to `repo`; gives
/// them, for the blob workers' handles.
pub(crate) fn quarantine(repo: &Repository) -> Result<Vec<PathBuf>> {
    // git has hashed every pushed object already (index-pack), and the repository's own
    // before accepting them: re-hashing each object libgit2 reads would double the cost.
    git2::opts::strict_hash_verification(false);
    let dirs = object_dirs(&|k| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned()))?;
    add_object_dirs(&repo.odb().context("cannot open the object database")?, &dirs)?;
    Ok(dirs)
}

/// `dirs` as alternates of `odb` (in memory only).
pub(crate) fn add_object_dirs(odb: &Odb, dirs: &[PathBuf]) -> Result<()> {
    for d in dirs {
        let text = d.to_str().ok_or_else(|| anyhow!("object directory '{}' is not UTF-8", d.display()))?;
        odb.add_disk_alternate(text)
            .map_err(|e| anyhow!("cannot read object directory '{}' ({})", d.display(), e.message()))?;
    }
    Ok(())
}

/// `GIT_OBJECT_DIRECTORY` and each entry of `GIT_ALTERNATE_OBJECT_DIRECTORIES` (`:`-separated,
/// an entry C-quoted when it holds a `:` or starts with `"`), as absolute paths.
fn object_dirs(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<PathBuf>> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut out = Vec::new();
    if let Some(d) = env("GIT_OBJECT_DIRECTORY").filter(|d| !d.is_empty()) {
        out.push(cwd.join(d));
    }
    let alternates = env("GIT_ALTERNATE_OBJECT_DIRECTORIES").unwrap_or_default();
    let mut rest = alternates.as_str();
    while !rest.is_empty() {
        let (entry, tail) = if rest.starts_with('"') {
            unquote(rest).ok_or_else(|| anyhow!("GIT_ALTERNATE_OBJECT_DIRECTORIES: bad quoting"))?
        } else {
            let (e, t) = rest.split_once(':').unwrap_or((rest, ""));
            (e.to_string(), t)
        };
        if !entry.is_empty() {
            out.push(cwd.join(entry));
        }
        rest = tail;
    }
    if out.len() > MAX_OBJECT_DIRS {
        bail!("more than {MAX_OBJECT_DIRS} object directories in the environment: refused");
    }
    Ok(out)
}

/// A C-quoted string at the start of `s` (git's `quote_c_style`) and what follows its
/// closing quote and separator.
fn unquote(s: &str) -> Option<(String, &str)> {
    let b = s.as_bytes();
    let (mut out, mut i) = (Vec::new(), 1);
    while i < b.len() {
        match b[i] {
            b'"' => {
                let tail = &s[i + 1..];
                return Some((String::from_utf8(out).ok()?, tail.strip_prefix(':').unwrap_or(tail)));
            }
            b'\\' => {
                let c = *b.get(i + 1)?;
                i += 2;
                out.push(match c {
                    b'a' => 7,
                    b'b' => 8,
                    b'f' => 12,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 11,
                    b'0'..=b'3' => {
                        let oct = s.get(i - 1..i + 2)?;
                        i += 2;
                        u8::from_str_radix(oct, 8).ok()?
                    }
                    other => other,
                });
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}

/// Scan what `push` adds; records in `push` which update brought each scanned commit.
pub(crate) fn scan(repo: &Repository, ctx: &Ctx, push: &Push) -> Result<(Vec<Found>, Stats)> {
    let (commits, introduced) = pushed(repo, &push.updates)?;
    crate::progress::trace(&format!("pre-receive: {} commits pushed", commits.len()));
    let by_id = introduced.into_iter().map(|(oid, i)| (oid.to_string(), i)).collect();
    let _ = push.introduced.set(by_id);
    changes::added(repo, ctx, &commits)
}

/// The commits the updates add, parents first, and the update (index) that first brings each.
fn pushed(repo: &Repository, updates: &[RefUpdate]) -> Result<(Vec<order::Node>, HashMap<Oid, usize>)> {
    let mut introduced: HashMap<Oid, usize> = HashMap::new();
    let mut ids = Vec::new();
    let mut created = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        let Some(new) = u.new else { continue }; // a deletion adds nothing
        let tip = tip_commit(repo, new, u)?;
        let Some(old) = u.old else {
            created.push((i, tip));
            continue;
        };
        let old = repo.find_object(old, None).and_then(|o| o.peel(ObjectType::Commit)).map(|o| o.id()).ok();
        for oid in walk(repo, &[tip], old.as_slice())? {
            let oid = oid.context("cannot walk the commit graph")?;
            if let std::collections::hash_map::Entry::Vacant(e) = introduced.entry(oid) {
                e.insert(i);
                ids.push(oid);
            }
        }
    }
    if !created.is_empty() {
        let tips: Vec<Oid> = created.iter().map(|&(_, tip)| tip).collect();
        let mut new_ids = Vec::new();
        for oid in walk(repo, &tips, &existing_tips(repo))? {
            let oid = oid.context("cannot walk the commit graph")?;
            if !introduced.contains_key(&oid) {
                new_ids.push(oid);
            }
        }
        attribute(repo, &created, &new_ids, &mut introduced);
        ids.extend(new_ids);
    }
    let nodes = order::topo((repo, None), ids.into_iter().map(Ok))?;
    Ok((nodes, introduced))
}

/// Commits reachable from `tips` and from none of `hide`. libgit2 stops walking once only
/// hidden commits older than every shown one remain, but it takes its starting points in
/// the order they were given (last first) and keeps them in a date-sorted list only if they
/// start sorted: so they are given oldest first. In a repository with a thousand tags,
/// unsorted starting points make it walk most of the history.
fn walk<'r>(repo: &'r Repository, tips: &[Oid], hide: &[Oid]) -> Result<git2::Revwalk<'r>> {
    let mut starts: Vec<(i64, bool, Oid)> = Vec::with_capacity(tips.len() + hide.len());
    for (list, hidden) in [(tips, false), (hide, true)] {
        for &oid in list {
            // An unreadable commit to hide only widens the scan; one to show is an error below.
            let time = repo.find_commit(oid).map_or(i64::MIN, |c| c.time().seconds());
            starts.push((time, hidden, oid));
        }
    }
    starts.sort();
    let mut walk = repo.revwalk().context("cannot walk the commit graph")?;
    for (_, hidden, oid) in starts {
        if hidden {
            let _ = walk.hide(oid);
        } else {
            walk.push(oid).with_context(|| format!("cannot walk from {oid}"))?;
        }
    }
    Ok(walk)
}

/// The commit a pushed object names (annotated tags peeled). A ref to a tree or blob would
/// add content no commit scan sees: refused.
fn tip_commit(repo: &Repository, new: Oid, u: &RefUpdate) -> Result<Oid> {
    let obj = repo
        .find_object(new, None)
        .map_err(|e| anyhow!("{}: cannot read pushed object {new} ({})", u.name_escaped(), e.message()))?;
    let target = match obj.kind() {
        Some(ObjectType::Tag) => obj.peel(ObjectType::Any).map_err(|e| {
            anyhow!("{}: cannot read the object tag {new} names ({})", u.name_escaped(), e.message())
        })?,
        _ => obj,
    };
    match target.kind() {
        Some(ObjectType::Commit) => Ok(target.id()),
        kind => bail!(
            "{} points at a {}, not a commit: loftyscan push protection scans commits only, so this update is refused",
            u.name_escaped(),
            kind.map_or("object of unknown type", |k| k.str())
        ),
    }
}

/// The commits every existing ref (and HEAD) points at, tags peeled; refs to trees and
/// blobs (and broken refs) are left out.
fn existing_tips(repo: &Repository) -> Vec<Oid> {
    let mut tips = HashSet::new();
    if let Ok(refs) = repo.references() {
        for r in refs.flatten() {
            if let Ok(c) = r.peel_to_commit() {
                tips.insert(c.id());
            }
        }
    }
    if let Ok(c) = repo.head().and_then(|h| h.peel_to_commit()) {
        tips.insert(c.id());
    }
    tips.into_iter().collect()
}

/// Each new commit to the first created ref (in input order) whose tip reaches it.
fn attribute(repo: &Repository, created: &[(usize, Oid)], ids: &[Oid], introduced: &mut HashMap<Oid, usize>) {
    let set: HashSet<Oid> = ids.iter().copied().collect();
    for &(i, tip) in created {
        let mut stack = vec![tip];
        while let Some(oid) = stack.pop() {
            if !set.contains(&oid) || introduced.contains_key(&oid) {
                continue;
            }
            introduced.insert(oid, i);
            if let Ok(c) = repo.find_commit(oid) {
                stack.extend(c.parent_ids());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn object_dirs_from_the_environment() {
        let e = env(&[
            ("GIT_OBJECT_DIRECTORY", "/srv/r.git/objects/tmp_objdir-incoming-x"),
            ("GIT_ALTERNATE_OBJECT_DIRECTORIES", "/srv/r.git/objects:\"/a:b/o\\\"x\\303\\251\":/c"),
        ]);
        let dirs = object_dirs(&e).unwrap();
        let want = ["/srv/r.git/objects/tmp_objdir-incoming-x", "/srv/r.git/objects", "/a:b/o\"xé", "/c"];
        assert_eq!(dirs, want.iter().map(PathBuf::from).collect::<Vec<_>>());
        assert!(object_dirs(&env(&[])).unwrap().is_empty());
        let bad = env(&[("GIT_ALTERNATE_OBJECT_DIRECTORIES", "\"/unterminated")]);
        assert!(object_dirs(&bad).is_err());
    }
}
