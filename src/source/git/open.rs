//! Opening a repository the way git itself would: the one place that decides which git
//! directory, index, work tree and object directories a scan reads.
//!
//! Takes the `[REPO]` argument (or none) and the process environment; gives an open
//! [`Repository`] and a [`RepoSpec`] that reopens the very same view on worker threads.
//!
//! Git hooks run with the repository described by the environment, not by the current
//! directory alone: `git commit -a` and `git commit PATH` hand the pre-commit hook a
//! temporary index in `GIT_INDEX_FILE`; linked worktrees and submodules may set `GIT_DIR`
//! and `GIT_WORK_TREE`; a pre-receive hook reads the pushed, still quarantined objects
//! through `GIT_OBJECT_DIRECTORY` and `GIT_ALTERNATE_OBJECT_DIRECTORIES`. libgit2's
//! open-from-env mode honours all of them (plus `GIT_CEILING_DIRECTORIES`,
//! `GIT_DISCOVERY_ACROSS_FILESYSTEM`, `GIT_COMMON_DIR`, `GIT_NAMESPACE`), exactly as
//! `git` does. With no `[REPO]` the environment decides alone. With a `[REPO]`, the
//! environment is used only when it describes that same repository (so a hook running
//! `loftyscan git . --staged` sees git's temporary index, while `loftyscan git
//! /other/repo` from inside a hook never reads this repository's index or objects).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use git2::{Repository, RepositoryOpenFlags};

/// An open repository and how it was opened (worker threads reopen it from `spec`).
pub struct Opened {
    pub repo: Repository,
    pub spec: RepoSpec,
}

/// How the repository was opened, so every thread opens the same view of it.
#[derive(Clone, Debug)]
pub struct RepoSpec {
    /// The git directory (`.git`, a linked worktree's `.git/worktrees/NAME`, a bare repository).
    pub git_dir: PathBuf,
    /// Opened from the environment: `GIT_OBJECT_DIRECTORY` and friends apply.
    pub from_env: bool,
}

/// The variables that move the object database away from `<git dir>/objects`.
const OBJECT_VARS: [&str; 2] = ["GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"];

impl RepoSpec {
    /// Open the repository again, as it was first opened.
    pub fn reopen(&self) -> Result<Repository> {
        if !self.from_env {
            return open_git_dir(&self.git_dir);
        }
        let flags = RepositoryOpenFlags::FROM_ENV | RepositoryOpenFlags::NO_SEARCH;
        Repository::open_ext(&self.git_dir, flags, none())
            .map_err(|e| anyhow!("cannot open repository '{}' ({})", self.git_dir.display(), e.message()))
    }

    /// Whether every object is in `<git dir>/objects` (no `GIT_OBJECT_DIRECTORY` or
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES` in effect): what engines that read
    /// `objects/` themselves need.
    pub fn objects_in_git_dir(&self) -> bool {
        !self.from_env || OBJECT_VARS.iter().all(|v| std::env::var_os(v).is_none_or(|x| x.is_empty()))
    }
}

/// Open the repository at or above `path` (bare or not), or, with no path, the one the
/// environment names (`GIT_DIR`, else the current directory and its parents).
/// Owner validation is off: loftyscan only reads objects and runs nothing a repository
/// configures, and CI checkouts are often owned by another user.
pub(crate) fn open(path: Option<&Path>) -> Result<Opened> {
    tune(Tuning::Scan);
    let from_env = || Repository::open_from_env().map_err(|e| e.message().to_string());
    let repo = match path {
        None => from_env().map(|r| (r, true)).map_err(|msg| not_a_repo(Path::new("."), &msg))?,
        Some(p) => {
            let plain = Repository::open_ext(p, RepositoryOpenFlags::empty(), none())
                .map_err(|e| not_a_repo(p, e.message()))?;
            match from_env() {
                Ok(env) if same_dir(env.path(), plain.path()) => (env, true),
                _ => (plain, false),
            }
        }
    };
    let spec = RepoSpec { git_dir: repo.0.path().to_path_buf(), from_env: repo.1 };
    Ok(Opened { repo: repo.0, spec })
}

/// Open the git directory `git_dir` itself, environment aside (what worker threads that
/// read `objects/` directly use).
pub(crate) fn open_git_dir(git_dir: &Path) -> Result<Repository> {
    Repository::open_ext(git_dir, RepositoryOpenFlags::NO_SEARCH, none())
        .map_err(|e| anyhow!("cannot open repository '{}' ({})", git_dir.display(), e.message()))
}

fn not_a_repo(path: &Path, msg: &str) -> anyhow::Error {
    let via = match std::env::var_os("GIT_DIR") {
        Some(d) if !d.is_empty() => format!(", GIT_DIR='{}'", Path::new(&d).display()),
        _ => String::new(),
    };
    anyhow!("not a git repository: '{}'{via} ({msg})", path.display())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn none() -> &'static [&'static OsStr] {
    &[]
}

/// How libgit2 is tuned (its process-global options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tuning {
    /// Every scan, before the repository is opened: owner validation off (see [`open`]);
    /// pack windows mapped 64 MiB at a time, at most 192 MiB mapped (libgit2's 64-bit
    /// default maps up to 8 GiB); decoded objects cached up to 64 MiB.
    Scan,
    /// The pack engine's whole-history scan, where libgit2 reads only commits and refs:
    /// small windows (8 MiB, 32 MiB mapped), a 16 MiB cache, and no cached commits (each
    /// is read once: cached ones would stay for the whole scan).
    CommitsOnly,
}

/// Set libgit2's process-global options: the one place they are set.
#[allow(unsafe_code)] // the one unsafe block below; its SAFETY note says why it is sound
pub(crate) fn tune(t: Tuning) {
    let (window, mapped, cache) = match t {
        Tuning::Scan => (64 << 20, 192 << 20, 64 << 20),
        Tuning::CommitsOnly => (8 << 20, 32 << 20, 16 << 20),
    };
    // SAFETY: libgit2's global options are not synchronised: both tunings are set from the
    // main thread while no other thread uses libgit2 (before the repository is opened, and
    // before the pack engine starts its workers). glibc's `mallopt` takes its own lock.
    unsafe {
        // The pack engine frees tables of millions of entries between its passes: with
        // glibc's sliding mmap threshold they would come back as heap that is never
        // returned (about 50 MiB more peak on 5 M objects); a fixed 1 MiB keeps them mapped.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if t == Tuning::CommitsOnly {
            let _ = libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
        let _ = git2::opts::set_verify_owner_validation(false);
        let _ = git2::opts::set_mwindow_size(window);
        let _ = git2::opts::set_mwindow_mapped_limit(mapped);
        let _ = git2::opts::set_cache_max_size(cache);
        if t == Tuning::CommitsOnly {
            let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 0);
        }
    }
}
