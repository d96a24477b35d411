//! `loftyscan git --staged` as a real git pre-commit hook: real `git commit` in its forms
//! (`-a`, `PATH`, `--amend`), in a linked worktree and in a submodule, each through a hook
//! script git runs with its own environment (`GIT_INDEX_FILE`, `GIT_DIR`, ...).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Rng, write};

/// `git ARGS` in `dir`, isolated from the user's configuration; returns (success, output).
fn git(dir: &Path, args: &[&str]) -> (bool, String) {
    let home = dir.parent().unwrap_or(dir);
    let mut c = Command::new("git");
    for v in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES"]
    {
        c.env_remove(v);
    }
    let out = c
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ann Dev")
        .env("GIT_AUTHOR_EMAIL", "ann@example.org")
        .env("GIT_COMMITTER_NAME", "Ann Dev")
        .env("GIT_COMMITTER_EMAIL", "ann@example.org")
        .args(["-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"])
        .args(args)
        .output()
        .expect("git runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out) = git(dir, args);
    assert!(success, "git {args:?} failed: {out}");
    out
}

fn head(dir: &Path) -> String {
    ok(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A repository at `dir` with NOTES.md committed (without hooks).
fn init(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    ok(dir, &["init", "-q"]);
    write(dir, "NOTES.md", "# notes\n");
    ok(dir, &["add", "NOTES.md"]);
    ok(dir, &["commit", "-q", "--no-verify", "-m", "init"]);
}

/// Install the pre-commit hook in `hooks_dir`: the shipped hook's command, run by git.
fn install_hook(hooks_dir: &Path) {
    let bin: PathBuf = assert_cmd::cargo::cargo_bin("loftyscan");
    std::fs::create_dir_all(hooks_dir).unwrap();
    let hook = hooks_dir.join("pre-commit");
    std::fs::write(&hook, format!("#!/bin/sh\nexec '{}' git --staged --no-progress\n", bin.display()))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `git commit ARGS` must be refused by the hook, naming `path`, and leave HEAD alone.
fn refused(dir: &Path, args: &[&str], path: &str, key: &str) {
    let before = head(dir);
    let (success, out) = git(dir, &[&["commit", "-m", "x"], args].concat());
    assert!(!success, "git commit {args:?} went through with a key: {out}");
    assert_eq!(head(dir), before, "git commit {args:?} moved HEAD");
    assert!(out.contains(path) && out.contains("lfk-secret-key"), "hook output names {path}: {out}");
    assert!(!out.contains(key), "the hook printed the raw key: {out}");
}

fn accepted(dir: &Path, args: &[&str]) {
    let before = head(dir);
    let (success, out) = git(dir, &[&["commit", "-q", "-m", "y"], args].concat());
    assert!(success && head(dir) != before, "git commit {args:?} was refused: {out}");
}

#[test]
fn commit_all_and_commit_path_use_gits_temporary_index() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    init(&repo);
    install_hook(&repo.join(".git/hooks"));
    let mut rng = Rng::new(141);
    let key = rng.lfk();
    // The key is only in the work tree: `-a` and `PATH` stage it into a temporary index.
    write(&repo, "NOTES.md", &format!("# notes\nTRUSTLEADS_API_KEY={key}\n"));
    refused(&repo, &["-a"], "NOTES.md", &key);
    refused(&repo, &["NOTES.md"], "NOTES.md", &key);
    refused(&repo, &["--only", "NOTES.md"], "NOTES.md", &key);
    refused(&repo, &["--include", "NOTES.md"], "NOTES.md", &key);
    // A key staged in the real index is not part of `git commit CLEAN_PATH`.
    let other = rng.lfk();
    write(&repo, "deploy/app.env", &format!("KEY={other}\n"));
    ok(&repo, &["add", "deploy/app.env"]);
    write(&repo, "NOTES.md", "# notes\nclean edit\n");
    accepted(&repo, &["NOTES.md"]);
    refused(&repo, &[], "deploy/app.env", &other);
    ok(&repo, &["rm", "-q", "--cached", "deploy/app.env"]);
    write(&repo, "NOTES.md", "# notes\nanother clean edit\n");
    accepted(&repo, &["-a"]);
}

#[test]
fn amend_is_checked_and_a_staged_rename_keeps_its_committed_key() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    init(&repo);
    let mut rng = Rng::new(142);
    let old = rng.lfk();
    write(&repo, "config/old.env", &format!("KEY={old}\nREGION=eu\n"));
    ok(&repo, &["add", "config/old.env"]);
    ok(&repo, &["commit", "-q", "--no-verify", "-m", "a key from before the hook"]);
    install_hook(&repo.join(".git/hooks"));
    // `git mv` of a file whose key is already committed: the key is not new.
    ok(&repo, &["mv", "config/old.env", "config/renamed.env"]);
    accepted(&repo, &[]);
    // --amend: a key added while amending is refused; a clean amend goes through.
    let key = rng.lfk();
    write(&repo, "NOTES.md", &format!("# notes\n{key}\n"));
    ok(&repo, &["add", "NOTES.md"]);
    refused(&repo, &["--amend"], "NOTES.md", &key);
    write(&repo, "NOTES.md", "# notes\nfine\n");
    ok(&repo, &["add", "NOTES.md"]);
    accepted(&repo, &["--amend"]);
}

#[test]
fn linked_worktree_and_submodule_commits_are_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let main = tmp.path().join("main");
    init(&main);
    install_hook(&main.join(".git/hooks"));
    let mut rng = Rng::new(143);
    // Linked worktree: its index is .git/worktrees/NAME/index; hooks are the main repo's.
    let wt = tmp.path().join("linked");
    ok(&main, &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let key = rng.lfk();
    write(&wt, "NOTES.md", &format!("# notes\nK={key}\n"));
    refused(&wt, &["-a"], "NOTES.md", &key);
    write(&wt, "app.env", &format!("K={key}\n"));
    ok(&wt, &["add", "app.env"]);
    refused(&wt, &[], "app.env", &key);
    ok(&wt, &["rm", "-q", "--cached", "app.env"]);
    write(&wt, "NOTES.md", "# notes\nclean\n");
    accepted(&wt, &["-a"]);
    // Submodule: its git directory is the superproject's .git/modules/sub.
    let sub_src = tmp.path().join("sub-src");
    init(&sub_src);
    ok(&main, &["submodule", "add", "-q", sub_src.to_str().unwrap(), "sub"]);
    let sub = main.join("sub");
    install_hook(&main.join(".git/modules/sub/hooks"));
    let key = rng.lfk();
    write(&sub, "NOTES.md", &format!("# notes\nK={key}\n"));
    refused(&sub, &["-a"], "NOTES.md", &key);
    refused(&sub, &["NOTES.md"], "NOTES.md", &key);
    write(&sub, "NOTES.md", "# notes\nclean\n");
    accepted(&sub, &["-a"]);
}

#[test]
fn an_explicit_other_repository_ignores_the_hooks_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    init(&a);
    init(&b);
    let key = Rng::new(144).lfk();
    write(&b, "b.env", &format!("K={key}\n"));
    ok(&b, &["add", "b.env"]);
    // GIT_INDEX_FILE and GIT_DIR name repository `a`: scanning `b` reads b's own index.
    let r = crate::common::run(
        crate::common::bin()
            .current_dir(&a)
            .env("GIT_DIR", a.join(".git"))
            .env("GIT_INDEX_FILE", a.join(".git/index"))
            .args(["git", b.to_str().unwrap(), "--staged", "--no-progress"]),
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("b.env"), "{}", r.stdout);
    // With no [REPO], GIT_DIR decides, wherever the current directory is.
    let r = crate::common::run(
        crate::common::bin()
            .current_dir(tmp.path())
            .env("GIT_DIR", b.join(".git"))
            .env("GIT_WORK_TREE", &b)
            .args(["git", "--staged", "--no-progress"]),
    );
    assert_eq!(r.code, 1, "{}", r.all());
}
