//! Git repositories built with git2 in temporary directories, one commit per call, each
//! commit given as its full set of files.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

use git2::{FileMode, Oid, Repository, Signature, Time};

pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
    clock: Cell<i64>,
}

pub type Files<'a> = &'a [(&'a str, &'a str)];

impl TestRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        TestRepo { dir, repo, clock: Cell::new(1_700_000_000) }
    }

    pub fn bare() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        TestRepo { dir, repo, clock: Cell::new(1_700_000_000) }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A tree holding exactly `files` (paths with `/` make subtrees).
    pub fn tree(&self, files: Files) -> Oid {
        let mut map: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut blobs = Vec::new();
        for (path, text) in files {
            match path.split_once('/') {
                Some((dir, rest)) => {
                    map.entry(dir.to_string()).or_default().push((rest.into(), text.to_string()))
                }
                None => blobs.push((path.to_string(), self.repo.blob(text.as_bytes()).unwrap())),
            }
        }
        let mut tb = self.repo.treebuilder(None).unwrap();
        for (name, oid) in blobs {
            tb.insert(name, oid, FileMode::Blob.into()).unwrap();
        }
        for (dir, entries) in map {
            let refs: Vec<(&str, &str)> = entries.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            tb.insert(dir, self.tree(&refs), FileMode::Tree.into()).unwrap();
        }
        tb.write().unwrap()
    }

    /// Commit `files` on top of `parents`, updating `refname` (e.g. "refs/heads/main").
    /// Author dates advance by an hour per commit.
    pub fn commit(&self, refname: Option<&str>, files: Files, parents: &[Oid], msg: &str) -> Oid {
        let tree_id = self.tree(files);
        self.commit_tree(refname, tree_id, parents, msg)
    }

    pub fn commit_tree(&self, refname: Option<&str>, tree_id: Oid, parents: &[Oid], msg: &str) -> Oid {
        self.clock.set(self.clock.get() + 3600);
        let sig = Signature::new("Ann Dev", "ann@example.org", &Time::new(self.clock.get(), 60)).unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        let parents: Vec<_> = parents.iter().map(|p| self.repo.find_commit(*p).unwrap()).collect();
        let refs: Vec<_> = parents.iter().collect();
        let oid = self.repo.commit(None, &sig, &sig, msg, &tree, &refs).unwrap();
        if let Some(r) = refname {
            self.repo.reference(r, oid, true, msg).unwrap();
        }
        oid
    }

    /// Point HEAD at `refname` (a branch, possibly not created yet).
    pub fn head_to(&self, refname: &str) {
        self.repo.set_head(refname).unwrap();
    }

    /// Stage `text` at `path` in the index (writing the blob), without touching the work tree.
    pub fn stage(&self, path: &str, text: &str) {
        let mut index = self.repo.index().unwrap();
        let oid = self.repo.blob(text.as_bytes()).unwrap();
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: text.len() as u32,
            id: oid,
            flags: path.len() as u16,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add(&entry).unwrap();
        index.write().unwrap();
    }

    /// Make the index match commit `oid`'s tree (as after a checkout).
    pub fn reset_index(&self, oid: Oid) {
        let tree = self.repo.find_commit(oid).unwrap().tree().unwrap();
        let mut index = self.repo.index().unwrap();
        index.read_tree(&tree).unwrap();
        index.write().unwrap();
    }
}

impl TestRepo {
    /// Move every object into one pack written by libgit2's pack builder (with deltas),
    /// and delete the loose objects.
    pub fn pack_with_libgit2(&self) {
        let mut pb = self.repo.packbuilder().unwrap();
        let mut walk = self.repo.revwalk().unwrap();
        walk.push_glob("*").unwrap();
        pb.insert_walk(&mut walk).unwrap();
        for r in self.repo.references().unwrap().flatten() {
            // Annotated tags, and the tags they tag (bounded: a chain may be a test's point).
            let mut at = r.target();
            for _ in 0..100_000 {
                let Some(oid) = at else { break };
                pb.insert_object(oid, None).unwrap();
                at = self.repo.find_tag(oid).ok().map(|t| t.target_id());
            }
        }
        let objects = self.repo.path().join("objects");
        pb.write(&objects.join("pack"), 0o644).unwrap();
        self.remove_loose();
    }

    /// `git repack -adf` (real git's packs); false when git is not installed.
    pub fn pack_with_git(&self) -> bool {
        let ok = std::process::Command::new("git")
            .args(["repack", "-adfq"])
            .current_dir(self.repo.path())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            self.remove_loose();
        }
        ok
    }

    /// Delete every loose object (the packs stay).
    pub fn remove_loose(&self) {
        let objects = self.repo.path().join("objects");
        for e in std::fs::read_dir(&objects).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.len() == 2 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                std::fs::remove_dir_all(e.path()).unwrap();
            }
        }
    }

    pub fn pack_file(&self) -> std::path::PathBuf {
        let dir = self.repo.path().join("objects/pack");
        let mut packs: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pack"))
            .collect();
        assert_eq!(packs.len(), 1);
        packs.pop().unwrap()
    }
}
