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
use git2::{Oid, Repository};

use super::commits::{self, Reached};
use super::pack::single::PackReader;

/// The commits of `spec` (`A..B`, `A..` = `A..HEAD`), walked with the pack check (what
/// cannot be read is in `unreadable`), and whether A was the zero id.
pub(crate) fn range_walk(repo: &Repository, packs: &PackReader, spec: &str) -> Result<(Reached, bool)> {
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) if !a.is_empty() && !b.starts_with('.') => (a, if b.is_empty() { "HEAD" } else { b }),
        _ => bail!("--range takes A..B (e.g. origin/main..HEAD), not '{spec}'"),
    };
    let to = checked_commit_of(repo, packs, b)?;
    let zero = is_zero(a);
    let mut hide = Vec::new();
    if zero {
        hide_other_refs(repo, packs, &mut hide, to, own_ref(repo, b).as_deref())?;
    } else {
        hide.push(checked_commit_of(repo, packs, a)?);
    }
    Ok((commits::walk((repo, packs, None), &[to], &hide), zero))
}

/// [`commit_of`], with the pack check on the object a plain name (a ref, a full id)
/// names before libgit2 reads it: a tip inside a delta cycle is an error, not a hang.
pub(crate) fn checked_commit_of(repo: &Repository, packs: &PackReader, rev: &str) -> Result<Oid> {
    let named = Oid::from_str(rev).ok().filter(|_| rev.len() == 40).or_else(|| {
        let r = repo.resolve_reference_from_short_name(rev).ok()?;
        r.resolve().ok()?.target()
    });
    if let Some(id) = named {
        let mut bad = Vec::new();
        if let Some(c) = commits::peel(repo, packs, id, &mut bad) {
            return Ok(c);
        }
        if let Some((oid, why)) = bad.first() {
            let (rev, why) =
                (crate::finding::escape_bytes(rev.as_bytes()), crate::finding::escape_bytes(why.as_bytes()));
            bail!("--range: cannot read '{rev}' (object {oid}): {why}");
        }
    }
    commit_of(repo, rev)
}

/// `0000…` (40 or 64 zeros): git's name for "no commit".
pub(crate) fn is_zero(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b == b'0')
}

/// Hide every commit another ref reaches. `own` is the scanned ref's full name: it and its
/// remote-tracking copies are not "other" (`refs/remotes/origin/new-branch` in a CI
/// checkout); with no name, refs whose tip is `tip` are not.
pub(crate) fn hide_other_refs(
    repo: &Repository,
    packs: &PackReader,
    hide: &mut Vec<Oid>,
    tip: Oid,
    own: Option<&str>,
) -> Result<()> {
    let branch = own.and_then(|n| n.strip_prefix("refs/heads/").or_else(|| remote_branch(n)));
    for r in repo.references().context("cannot read the repository's refs")? {
        let Ok(r) = r else { continue };
        let target = r.target().or_else(|| r.resolve().ok().and_then(|r| r.target()));
        // A tag of a blob or tree, or a tip the pack check refuses (hiding less only widens the scan).
        let Some(at) = target.and_then(|t| commits::peel(repo, packs, t, &mut Vec::new())) else { continue };
        let name = r.name_bytes();
        let is_own = match own {
            Some(own) => {
                name == own.as_bytes()
                    || branch
                        .is_some_and(|b| std::str::from_utf8(name).ok().and_then(remote_branch) == Some(b))
            }
            None => at == tip,
        };
        if !is_own {
            hide.push(at);
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

pub(crate) fn commit_of(repo: &Repository, rev: &str) -> Result<Oid> {
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
