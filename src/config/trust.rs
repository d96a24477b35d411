//! Settings in `git --range A..B` and `git --staged`: read from the trusted base, never
//! from what is being checked.
//!
//! Takes the repository, the mode and the `--baseline` path; gives the settings that can
//! hide a finding as they are in the base (commit `A`; HEAD for `--staged`): the
//! `.loftyscan.toml` text, the rule files it names, a tracked baseline's text, and the list
//! of those files (and any root `.loftyscan*` file) that the range (or the index) changes,
//! so every report can show a reviewer that the scanner's settings were touched. Files
//! are read as blobs: a symbolic link, a submodule or a blob over the size cap is an error.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use git2::{ObjectType, Oid, Repository};
use serde::Serialize;

use super::file::{self, ConfigFile};
use crate::safe::{self, BASELINE_CAP, SETTINGS_CAP};
use crate::source::git::GitMode;
use crate::source::git::pack::single::PackReader;

/// What a range did to one settings file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the base, present after.
    Added,
    /// In both, with different content or mode.
    Modified,
    /// In the base, gone after.
    Deleted,
}

impl Change {
    /// The lowercase name reports print (`added`, `modified`, `deleted`).
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Deleted => "deleted",
        }
    }
}

/// A settings file (repository-relative path) the range or the index changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingsChange {
    /// Repository-relative, `/`-separated.
    pub path: String,
    /// What the range or the index did to it.
    pub change: Change,
}

/// The settings of a change-based scan, from its base.
pub struct BaseSettings {
    /// "base commit 1a2b3c4d5e6f" or "HEAD": where they were read.
    pub from: String,
    /// The base's `.loftyscan.toml`, parsed; `None` when it has none or under
    /// `--config`/`--no-config`.
    pub file: Option<ConfigFile>,
    /// `(name, text)` of each rule file the base config names.
    pub rules: Vec<(String, String)>,
    /// `Some` when `--baseline` names a tracked file: its text in the base (`None` inside:
    /// the base does not have it, so it suppresses nothing).
    pub baseline: Option<Option<(String, String)>>,
    /// The settings files that differ between the base and the checked side, sorted by path.
    pub changes: Vec<SettingsChange>,
}

/// One side of the comparison: a commit's tree, the index, or nothing (no commit yet).
enum Side<'r> {
    Tree(git2::Tree<'r>),
    Index(git2::Index),
    Empty,
}

impl Side<'_> {
    fn entry(&self, path: &str) -> Option<(Oid, i32)> {
        match self {
            Side::Tree(t) => t.get_path(Path::new(path)).ok().map(|e| (e.id(), e.filemode())),
            Side::Index(i) => i.get_path(Path::new(path), 0).map(|e| (e.id, e.mode as i32)),
            Side::Empty => None,
        }
    }
    /// Root-level names starting with `.loftyscan`.
    fn dot_files(&self) -> Vec<String> {
        let pick = |n: &[u8]| n.starts_with(b".loftyscan") && !n.contains(&b'/');
        match self {
            Side::Tree(t) => {
                t.iter().filter(|e| pick(e.name_bytes())).map(|e| lossy(e.name_bytes())).collect()
            }
            Side::Index(i) => i.iter().filter(|e| pick(&e.path)).map(|e| lossy(&e.path)).collect(),
            Side::Empty => Vec::new(),
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Settings for `mode` from its base; `None` for a whole-history scan (its settings are
/// the work tree's, as in `dir`; a bare repository's are HEAD's). `read_config` is false under `--config`/`--no-config`.
pub fn from_base(
    repo: &Repository,
    mode: &GitMode,
    read_config: bool,
    baseline: Option<&Path>,
) -> Result<Option<BaseSettings>> {
    let (from, base, before, after) = match mode {
        // A bare repository has no work tree: its whole history is scanned with the settings
        // committed at HEAD, as a clone of it would be (its work tree is HEAD's tree).
        GitMode::History if repo.is_bare() && read_config => {
            let (from, side) = match repo.head().ok().and_then(|h| h.peel_to_commit().ok()) {
                Some(head) => {
                    (format!("HEAD commit {}", &head.id().to_string()[..12]), Side::Tree(head.tree()?))
                }
                None => ("HEAD, which has no commit yet (built-in rules only)".to_string(), Side::Empty),
            };
            return read(repo, from, side, Side::Empty, Side::Empty, read_config, None);
        }
        // A pre-receive hook reads the server's own settings (its git directory), never pushed ones.
        GitMode::History | GitMode::PreReceive(_) => return Ok(None),
        GitMode::Range(spec) => match range_ends(repo, spec)? {
            (Some(a), b) => {
                let fork = repo.merge_base(a.id(), b.id()).ok().and_then(|m| repo.find_commit(m).ok());
                let before = fork.as_ref().unwrap_or(&a).tree()?;
                let from = format!("base commit {}", &a.id().to_string()[..12]);
                (from, Side::Tree(a.tree()?), Side::Tree(before), Side::Tree(b.tree()?))
            }
            // A new ref (`0000…..REF`): no trusted base, so no settings file can hide a finding.
            (None, b) => {
                let from = "no base commit (a new ref): built-in rules only".to_string();
                (from, Side::Empty, Side::Empty, Side::Tree(b.tree()?))
            }
        },
        GitMode::Staged => {
            let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
            let side = || head.clone().map_or(Side::Empty, Side::Tree);
            ("HEAD".to_string(), side(), side(), Side::Index(crate::source::git::read_index(repo)?))
        }
    };
    read(repo, from, base, before, after, read_config, baseline)
}

/// The settings on `base`, and the settings files that differ between `before` and `after`.
fn read(
    repo: &Repository,
    from: String,
    base: Side,
    before: Side,
    after: Side,
    read_config: bool,
    baseline: Option<&Path>,
) -> Result<Option<BaseSettings>> {
    let mut out = BaseSettings { from, file: None, rules: Vec::new(), baseline: None, changes: Vec::new() };
    let mut watched = vec![file::FILE_NAME.to_string()];
    watched.extend(before.dot_files());
    watched.extend(after.dot_files());
    if read_config && let Some(text) = blob_text(repo, &base, file::FILE_NAME, "config", SETTINGS_CAP)? {
        let cfg =
            file::parse(Path::new(file::FILE_NAME), &text).with_context(|| format!("in the {}", out.from))?;
        for r in &cfg.rules {
            let rel = inside_repo(r).with_context(|| format!("{} (in the {})", file::FILE_NAME, out.from))?;
            let text = blob_text(repo, &base, &rel, "rule file", SETTINGS_CAP)?.ok_or_else(|| {
                anyhow!(
                    "cannot read rule file '{rel}' (named in {}): not in the {}",
                    file::FILE_NAME,
                    out.from
                )
            })?;
            watched.push(rel.clone());
            out.rules.push((rel, text));
        }
        out.file = Some(cfg);
    }
    // Rule files the checked side's config would name: changing them is reported too.
    if let Some(text) = blob_text(repo, &after, file::FILE_NAME, "config", SETTINGS_CAP).ok().flatten()
        && let Ok(cfg) = file::parse(Path::new(file::FILE_NAME), &text)
    {
        watched.extend(cfg.rules.iter().filter_map(|r| inside_repo(r).ok()));
    }
    if let Some(rel) = baseline.and_then(|b| tracked(repo, b, &[&base, &before, &after])) {
        out.baseline =
            Some(blob_text(repo, &base, &rel, "baseline", BASELINE_CAP)?.map(|t| (rel.clone(), t)));
        watched.push(rel);
    }
    watched.sort();
    watched.dedup();
    for path in watched {
        let change = match (before.entry(&path), after.entry(&path)) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Deleted,
            (Some(x), Some(y)) if x != y => Change::Modified,
            _ => continue,
        };
        out.changes.push(SettingsChange { path, change });
    }
    Ok(Some(out))
}

/// `A..B` (`A..` = `A..HEAD`) as two commits.
pub fn range_ends<'r>(
    repo: &'r Repository,
    spec: &str,
) -> Result<(Option<git2::Commit<'r>>, git2::Commit<'r>)> {
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) if !a.is_empty() && !b.starts_with('.') => (a, if b.is_empty() { "HEAD" } else { b }),
        _ => bail!(
            "--range takes A..B (e.g. origin/main..HEAD), not '{}'",
            crate::finding::escape_bytes(spec.as_bytes())
        ),
    };
    // Checked before libgit2 reads them: a commit (or its tree) inside a delta cycle would
    // make it loop.
    let packs = PackReader::open(repo.path());
    let rev = |r: &str| {
        let oid = crate::source::git::revs::checked_commit_of(repo, &packs, r)?;
        let commit = repo.find_commit(oid).with_context(|| format!("--range: cannot read commit {oid}"))?;
        if let Some(why) = packs.check(&commit.tree_id()) {
            let why = crate::finding::escape_bytes(why.as_bytes());
            bail!("--range: cannot read the tree of commit {oid}: {why}");
        }
        Ok(commit)
    };
    let from = if crate::source::git::revs::is_zero(a) { None } else { Some(rev(a)?) };
    Ok((from, rev(b)?))
}

/// The text of the regular file at `path` on `side`, `None` when it is not there.
fn blob_text(repo: &Repository, side: &Side, path: &str, what: &str, cap: u64) -> Result<Option<String>> {
    let Some((oid, mode)) = side.entry(path) else { return Ok(None) };
    let name = crate::finding::escape_bytes(path.as_bytes());
    if mode != 0o100644 && mode != 0o100755 {
        bail!("{what} '{name}' is not a regular file in the repository (a link or a submodule): not read");
    }
    if let Some(why) = PackReader::open(repo.path()).check(&oid) {
        let why = crate::finding::escape_bytes(why.as_bytes());
        bail!("cannot read {what} '{name}' (object {oid}): {why}");
    }
    let odb = repo.odb().context("cannot open the object database")?;
    let (size, kind) = odb.read_header(oid).with_context(|| format!("cannot read {what} '{name}'"))?;
    if kind != ObjectType::Blob || size as u64 > cap {
        bail!("{what} '{name}' is over the {} KiB limit for {what}s: not read", cap >> 10);
    }
    let blob = repo.find_blob(oid).with_context(|| format!("cannot read {what} '{name}'"))?;
    safe::text_of(blob.content().to_vec(), &name, what, cap).map(Some)
}

/// A path a config names, as a repository-relative `/`-separated path; one that leaves
/// the repository (absolute, or `..` past the root) is an error.
fn inside_repo(p: &Path) -> Result<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir if parts.pop().is_some() => {}
            _ => bail!("rule file '{}' is outside the repository: not read", safe::shown(p)),
        }
    }
    if parts.is_empty() {
        bail!("rule file '{}' names no file", safe::shown(p));
    }
    Ok(parts.join("/"))
}

/// `--baseline FILE`'s repository-relative path when FILE lies in the work tree and one
/// of `sides` (or the index) tracks it.
fn tracked(repo: &Repository, file: &Path, sides: &[&Side]) -> Option<String> {
    let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let abs: PathBuf = std::fs::canonicalize(parent).ok()?.join(file.file_name()?);
    let rel = abs.strip_prefix(&workdir).ok()?;
    let rel = rel.to_str()?.replace('\\', "/");
    let in_index = repo.index().ok().is_some_and(|i| i.get_path(Path::new(&rel), 0).is_some());
    (in_index || sides.iter().any(|s| s.entry(&rel).is_some())).then_some(rel)
}
