//! Which commits `--range A..B` covers, and what to say when they cannot be found.
//!
//! Takes the range text and an open repository; gives a revwalk of the commits reachable
//! from B and not from A. `A` all zeros (git's "no commit": `github.event.before` on a new
//! branch's first push, a pre-receive hook's old value for a new ref) means "what B adds
//! that no other ref has": every other ref is hidden. When B names a ref (`refs/heads/x`,
//! `x`, a tag), "other" is every ref but that one and its remote-tracking copies
//! (`refs/remotes/*/x`); when B is a commit id, every ref whose tip is not B. An unknown
//! revision in a shallow clone says the clone is shallow and how to fetch the history.

use anyhow::{Context, Result, anyhow, bail};
use git2::{Oid, Repository, Revwalk};

/// The commits of `spec` (`A..B`, `A..` = `A..HEAD`), and whether A was the zero id.
pub fn range_walk<'r>(repo: &'r Repository, spec: &str) -> Result<(Revwalk<'r>, bool)> {
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) if !a.is_empty() && !b.starts_with('.') => (a, if b.is_empty() { "HEAD" } else { b }),
        _ => bail!("--range takes A..B (e.g. origin/main..HEAD), not '{spec}'"),
    };
    let to = commit_of(repo, b)?;
    let mut walk = repo.revwalk().context("cannot walk the commit graph")?;
    walk.push(to)?;
    let zero = is_zero(a);
    if zero {
        hide_other_refs(repo, &mut walk, to, own_ref(repo, b).as_deref())?;
    } else {
        walk.hide(commit_of(repo, a)?)?;
    }
    Ok((walk, zero))
}

/// `0000…` (40 or 64 zeros): git's name for "no commit".
pub fn is_zero(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b == b'0')
}

/// Hide every commit another ref reaches. `own` is the scanned ref's full name: it and its
/// remote-tracking copies are not "other" (`refs/remotes/origin/new-branch` in a CI
/// checkout); with no name, refs whose tip is `tip` are not.
pub fn hide_other_refs(repo: &Repository, walk: &mut Revwalk, tip: Oid, own: Option<&str>) -> Result<()> {
    let branch = own.and_then(|n| n.strip_prefix("refs/heads/").or_else(|| remote_branch(n)));
    for r in repo.references().context("cannot read the repository's refs")? {
        let Ok(r) = r else { continue };
        let Ok(at) = r.peel_to_commit() else { continue }; // a tag of a blob or tree
        let name = r.name_bytes();
        let is_own = match own {
            Some(own) => {
                name == own.as_bytes()
                    || branch
                        .is_some_and(|b| std::str::from_utf8(name).ok().and_then(remote_branch) == Some(b))
            }
            None => at.id() == tip,
        };
        if !is_own {
            walk.hide(at.id())?;
        }
    }
    Ok(())
}

/// The full name of the ref `rev` names (through a symbolic ref such as HEAD on a branch).
fn own_ref(repo: &Repository, rev: &str) -> Option<String> {
    let r = repo.resolve_reference_from_short_name(rev).ok()?;
    let name = match r.symbolic_target().ok().flatten() {
        Some(target) => target.to_string(),
        None => r.name().ok()?.to_string(),
    };
    name.starts_with("refs/").then_some(name)
}

/// `refs/remotes/REMOTE/BRANCH` → `BRANCH`.
fn remote_branch(name: &str) -> Option<&str> {
    name.strip_prefix("refs/remotes/")?.split_once('/').map(|(_, b)| b)
}

pub fn commit_of(repo: &Repository, rev: &str) -> Result<Oid> {
    repo.revparse_single(rev).and_then(|o| o.peel_to_commit()).map(|c| c.id()).map_err(|e| {
        let shallow = if repo.is_shallow() {
            "; this is a shallow clone, so older commits are missing: fetch the history \
             (actions/checkout: `fetch-depth: 0`; GitLab: GIT_DEPTH: \"0\"; else `git fetch --unshallow`)"
        } else {
            ""
        };
        let rev = crate::finding::escape_bytes(rev.as_bytes());
        match e.message() {
            "" | "no error" | "(no error)" => anyhow!("--range: revision '{rev}' matched nothing"),
            m => anyhow!(
                "--range: unknown revision '{rev}' ({}){shallow}",
                crate::finding::escape_bytes(m.as_bytes())
            ),
        }
    })
}
