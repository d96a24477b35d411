//! `loftyscan git --pre-receive`: real `git push` to a bare repository on disk with the
//! example hook of examples/server-hooks/ installed (its settings lines rewritten to point
//! at the built binary): rejections, accepted pushes, new refs, tags, deletions, force
//! pushes, merges, several refs at once, the bypass and its audit log, bad input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;

/// A bare `server.git` with a hook and a `client` clone, in one temp dir.
struct Push {
    tmp: tempfile::TempDir,
}

struct Git {
    code: i32,
    out: String,
}

impl Push {
    /// `hook`: the example under examples/server-hooks/; `bypass`/`audit`: its settings.
    fn new(hook: &str, bypass: bool, audit: bool) -> Self {
        let p = Push { tmp: tempfile::tempdir().unwrap() };
        p.git(p.tmp.path(), &["init", "-q", "--bare", "server.git"]);
        p.git(p.tmp.path(), &["init", "-q", "-b", "main", "client"]);
        p.server_git(&["config", "receive.advertisePushOptions", "true"]);
        p.install(hook, bypass, audit);
        p
    }
    fn server(&self) -> PathBuf {
        self.tmp.path().join("server.git")
    }
    fn client(&self) -> PathBuf {
        self.tmp.path().join("client")
    }
    fn audit_log(&self) -> PathBuf {
        self.tmp.path().join("audit.jsonl")
    }
    /// Copy the example hook with its settings lines rewritten.
    fn install(&self, hook: &str, bypass: bool, audit: bool) {
        let text = fs::read_to_string(root().join("examples/server-hooks").join(hook)).unwrap();
        let bin = assert_cmd::cargo::cargo_bin("loftyscan");
        let audit_path = if audit { self.audit_log().display().to_string() } else { String::new() };
        let text: String = text
            .lines()
            .map(|l| match l.split_once('=').map(|(k, _)| k) {
                Some("LOFTYSCAN") => format!("LOFTYSCAN='{}'", bin.display()),
                Some("REMEDIATION") => "REMEDIATION='Ask #sec-help'".to_string(),
                Some("ALLOW_BYPASS") => format!("ALLOW_BYPASS={}", if bypass { "yes" } else { "no" }),
                Some("AUDIT_LOG") => format!("AUDIT_LOG='{audit_path}'"),
                _ => l.to_string(),
            })
            .map(|l| l + "\n")
            .collect();
        assert!(text.contains("exec \"$LOFTYSCAN\""), "{hook} runs loftyscan");
        let dest = self.server().join("hooks/pre-receive");
        fs::write(&dest, text).unwrap();
        Command::new("chmod").arg("+x").arg(&dest).status().unwrap();
    }
    fn git(&self, dir: &Path, args: &[&str]) -> Git {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("HOME", self.tmp.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ann Dev")
            .env("GIT_AUTHOR_EMAIL", "ann@example.org")
            .env("GIT_COMMITTER_NAME", "Ann Dev")
            .env("GIT_COMMITTER_EMAIL", "ann@example.org")
            .env("GL_USERNAME", "ann")
            .env_remove("GIT_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let out_text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        Git { code: out.status.code().unwrap_or(-1), out: out_text }
    }
    fn client_git(&self, args: &[&str]) -> Git {
        let g = self.git(&self.client(), args);
        assert!(args[0] == "push" || g.code == 0, "git {args:?}: {}", g.out);
        g
    }
    fn server_git(&self, args: &[&str]) -> Git {
        let g = self.git(&self.server(), args);
        assert_eq!(g.code, 0, "git {args:?}: {}", g.out);
        g
    }
    /// Commit `files` (path, text) on the current branch; gives the commit id.
    fn commit(&self, files: &[(&str, &str)], msg: &str) -> String {
        for (path, text) in files {
            write(&self.client(), path, text);
            self.client_git(&["add", path]);
        }
        self.client_git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.rev_client("HEAD")
    }
    fn rev_client(&self, rev: &str) -> String {
        self.client_git(&["rev-parse", rev]).out.trim().to_string()
    }
    /// The server's refs, name → id.
    fn refs(&self) -> BTreeMap<String, String> {
        let out = self.server_git(&["for-each-ref", "--format=%(refname) %(objectname)"]).out;
        out.lines().filter_map(|l| l.split_once(' ')).map(|(a, b)| (a.into(), b.into())).collect()
    }
    fn push(&self, args: &[&str]) -> Git {
        let mut a = vec!["push", "../server.git"];
        a.extend_from_slice(args);
        self.client_git(&a)
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The README's sample rejection is what git shows: its fixed lines verbatim, its finding
/// line in the same shape.
fn readme_sample_matches(out: &str) {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let sample = readme.split("The pusher sees").nth(1).unwrap().split("```").nth(1).unwrap();
    let lines: Vec<&str> = sample.lines().filter(|l| l.starts_with("remote: ")).collect();
    assert_eq!(lines.len(), 8, "{sample}");
    let shape = regex::Regex::new(r"remote: loftyscan:   refs/heads/main commit [0-9a-f]{12} config/app.env:2: Trust Leads API key lfk_sk_…[A-Za-z0-9]{4}").unwrap();
    for line in lines {
        if line.contains("refs/heads/main commit ") {
            assert!(shape.is_match(line) && shape.is_match(out), "{line} / {out}");
        } else if !line.contains("Questions?") {
            assert!(out.contains(line), "README line {line:?} in {out}");
        }
    }
}

fn rejected(g: &Git) -> bool {
    g.code != 0 && g.out.contains("pre-receive hook declined")
}

#[test]
fn key_in_a_new_commit_is_rejected_the_ref_kept_and_the_repository_untouched() {
    let p = Push::new("plain-git/pre-receive", false, false);
    let key = Rng::new(200).lfk();
    p.commit(&[("README.md", "hello\n")], "init");
    let clean = p.push(&["main"]);
    assert_eq!(clean.code, 0, "clean push accepted: {}", clean.out);
    let base = p.rev_client("HEAD");
    assert_eq!(p.refs()["refs/heads/main"], base);
    let bad = p.commit(&[("config/app.env", &format!("A=1\nTL={key}\n"))], "add config");
    let before = snapshot(&p.server());
    let g = p.push(&["main"]);
    assert!(rejected(&g), "{}", g.out);
    assert_eq!(p.refs()["refs/heads/main"], base, "ref not updated");
    assert_eq!(snapshot(&p.server()), before, "nothing written to the repository");
    for want in [
        "remote: loftyscan: push rejected: 1 secret",
        &format!("refs/heads/main commit {} config/app.env:2", &bad[..12]),
        "lfk_sk_…",
        "git commit --amend",
        "git rebase -i",
        "remote: loftyscan: Ask #sec-help",
    ] {
        assert!(g.out.contains(want), "{want:?} in {}", g.out);
    }
    assert!(!g.out.contains(&key) && !g.out.contains("loftyscan.skip"), "{}", g.out);
    readme_sample_matches(&g.out);
    // Remove the key by amending, push again: accepted.
    p.client_git(&["rm", "-q", "config/app.env"]);
    p.client_git(&["commit", "-q", "--amend", "--allow-empty", "-m", "config later"]);
    let g = p.push(&["main"]);
    assert_eq!(g.code, 0, "{}", g.out);
    assert_eq!(p.refs()["refs/heads/main"], p.rev_client("HEAD"));
}

#[test]
fn new_branches_scan_only_commits_no_existing_ref_reaches() {
    let p = Push::new("plain-git/pre-receive", false, false);
    let key = Rng::new(201).lfk();
    // A key already on the server (pushed before the hook existed) is not pushed again.
    fs::rename(p.server().join("hooks/pre-receive"), p.tmp.path().join("hook")).unwrap();
    p.commit(&[("old.env", &format!("TL={key}\n"))], "old key");
    assert_eq!(p.push(&["main"]).code, 0);
    fs::rename(p.tmp.path().join("hook"), p.server().join("hooks/pre-receive")).unwrap();
    let g = p.push(&["main:refs/heads/copy"]);
    assert_eq!(g.code, 0, "a new ref at an existing commit adds nothing: {}", g.out);
    p.client_git(&["checkout", "-q", "-b", "feature"]);
    p.commit(&[("b.txt", "clean\n")], "clean on feature");
    let g = p.push(&["feature"]);
    assert_eq!(g.code, 0, "only the new clean commit is scanned: {}", g.out);
    let key2 = Rng::new(202).lofty();
    p.commit(&[("src/client.py", &format!("LOFTY_CUSTOMER_KEY = '{key2}'\n"))], "lofty");
    p.client_git(&["checkout", "-q", "-b", "topic"]);
    let g = p.push(&["topic"]);
    assert!(rejected(&g), "{}", g.out);
    assert!(g.out.contains("refs/heads/topic commit") && g.out.contains("src/client.py:1"), "{}", g.out);
    assert!(!p.refs().contains_key("refs/heads/topic"));
}

#[test]
fn tags_deletions_and_force_pushes() {
    let p = Push::new("plain-git/pre-receive", false, false);
    let key = Rng::new(203).lfk();
    let c1 = p.commit(&[("a.txt", "a\n")], "one");
    assert_eq!(p.push(&["main"]).code, 0);
    p.client_git(&["tag", "-a", "-m", "release", "v1"]);
    assert_eq!(p.push(&["v1"]).code, 0, "annotated tag at a pushed commit");
    let c2 = p.commit(&[("b.txt", "b\n")], "two");
    assert_eq!(p.push(&["main"]).code, 0);
    // Rewrite main from c1 onto a key: a tag at it, and a force push, are rejected.
    p.client_git(&["reset", "-q", "--hard", &c1]);
    p.commit(&[("k.env", &format!("TL={key}\n"))], "tagged key");
    p.client_git(&["tag", "v2"]);
    let g = p.push(&["v2"]);
    assert!(rejected(&g) && g.out.contains("refs/tags/v2 commit"), "{}", g.out);
    let g = p.push(&["--force", "main"]);
    assert!(rejected(&g) && g.out.contains("refs/heads/main commit"), "{}", g.out);
    assert_eq!(p.refs()["refs/heads/main"], c2, "the old tip stays");
    // A force push that only drops commits: accepted.
    p.client_git(&["reset", "-q", "--hard", &c1]);
    let g = p.push(&["--force", "main"]);
    assert_eq!(g.code, 0, "{}", g.out);
    assert_eq!(p.refs()["refs/heads/main"], c1);
    // Deleting refs adds nothing, even one whose commits hold a key.
    fs::rename(p.server().join("hooks/pre-receive"), p.tmp.path().join("hook")).unwrap();
    assert_eq!(p.push(&["v2"]).code, 0);
    fs::rename(p.tmp.path().join("hook"), p.server().join("hooks/pre-receive")).unwrap();
    let g = p.push(&["--delete", "v2", "v1"]);
    assert_eq!(g.code, 0, "{}", g.out);
    assert!(!p.refs().contains_key("refs/tags/v2") && !p.refs().contains_key("refs/tags/v1"));
}

#[test]
fn merges_and_several_refs_in_one_push() {
    let p = Push::new("gitlab/pre-receive", false, false);
    let mut rng = Rng::new(204);
    let base = p.commit(&[("a.txt", "a\n")], "base");
    assert_eq!(p.push(&["main"]).code, 0);
    p.client_git(&["checkout", "-q", "-b", "side"]);
    p.commit(&[("side.txt", "side\n")], "side");
    p.client_git(&["checkout", "-q", "main"]);
    p.commit(&[("main.txt", "main\n")], "main");
    p.client_git(&["merge", "-q", "--no-edit", "side"]);
    let g = p.push(&["main", "side"]);
    assert_eq!(g.code, 0, "clean merge and branch: {}", g.out);
    // An evil merge: the key appears only in the merge commit.
    p.client_git(&["checkout", "-q", "-b", "side2", &base]);
    p.commit(&[("s2.txt", "x\n")], "side2");
    p.client_git(&["checkout", "-q", "main"]);
    p.client_git(&["merge", "-q", "--no-commit", "side2"]);
    write(&p.client(), "merged.env", &format!("TL={}\n", rng.lfk()));
    p.client_git(&["add", "merged.env"]);
    p.client_git(&["commit", "-q", "--no-edit"]);
    let merge = p.rev_client("HEAD");
    // Several refs in one push, one of them clean and new: all refused together.
    p.client_git(&["tag", "clean-tag", &base]);
    let before = p.refs();
    let g = p.push(&["main", "side2", "clean-tag"]);
    assert!(rejected(&g), "{}", g.out);
    assert!(g.out.contains(&format!("refs/heads/main commit {} merged.env:1", &merge[..12])), "{}", g.out);
    assert_eq!(p.refs(), before, "no ref of the push updated");
    let g = p.push(&["side2", "clean-tag"]);
    assert_eq!(g.code, 0, "{}", g.out);
}

#[test]
fn bypass_only_when_the_server_allows_it_and_always_logged() {
    let mut rng = Rng::new(205);
    let key = rng.lfk();
    for (hook, allow) in [("plain-git/pre-receive", false), ("gitea/pre-receive", true)] {
        let p = Push::new(hook, allow, true);
        p.commit(&[("a.txt", "a\n")], "one");
        assert_eq!(p.push(&["main"]).code, 0);
        let bad = p.commit(&[("deploy/.env", &format!("TL={key}\n"))], "key");
        let g = p.push(&["-o", "loftyscan.skip", "-o", "loftyscan.reason=incident 7", "main"]);
        assert!(!g.out.contains(&key), "{}", g.out);
        if !allow {
            assert!(rejected(&g), "{}", g.out);
            assert!(g.out.contains("does not allow a bypass"), "{}", g.out);
            assert!(!p.audit_log().exists());
            continue;
        }
        assert_eq!(g.code, 0, "{}", g.out);
        assert_eq!(p.refs()["refs/heads/main"], bad);
        assert!(g.out.contains("remote: loftyscan: bypass: push accepted with 1 secret"), "{}", g.out);
        assert!(g.out.contains("remote: loftyscan: audit: {"), "{}", g.out);
        let log = fs::read_to_string(p.audit_log()).unwrap();
        assert!(!log.contains(&key));
        let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 1);
        let a = &lines[0];
        assert_eq!((a["who"].as_str(), a["who_from"].as_str()), (Some("ann"), Some("GL_USERNAME")));
        assert_eq!(a["reason"], "incident 7");
        assert_eq!(a["refs"][0]["ref"], "refs/heads/main");
        assert_eq!(a["refs"][0]["new"], bad.as_str());
        let f = &a["findings"][0];
        assert_eq!((f["path"].as_str(), f["commit"].as_str()), (Some("deploy/.env"), Some(bad.as_str())));
        assert_eq!(f["secret_sha256"], sha256_hex(&key).as_str());
        assert!(f["redacted"].as_str().unwrap().starts_with("lfk_sk_…"));
        assert!(a["time"].as_str().unwrap().ends_with('Z'));
        // Without the option the same server rejects, and says how to bypass.
        p.commit(&[("deploy/2.env", &format!("TL={}\n", rng.lfk()))], "key 2");
        let g = p.push(&["main"]);
        assert!(rejected(&g) && g.out.contains("git push -o loftyscan.skip"), "{}", g.out);
    }
}

#[test]
fn an_unwritable_audit_log_refuses_the_bypass() {
    let p = Push::new("plain-git/pre-receive", true, true);
    fs::create_dir(p.audit_log()).unwrap(); // a directory: cannot be appended to
    p.commit(&[("a.env", &format!("TL={}\n", Rng::new(206).lfk()))], "key");
    let g = p.push(&["-o", "loftyscan.skip", "main"]);
    assert!(rejected(&g) && g.out.contains("bypass refused"), "{}", g.out);
    assert!(p.refs().is_empty());
}

#[test]
fn settings_in_the_pushed_content_do_not_apply() {
    let p = Push::new("github-enterprise/pre-receive.sh", false, false);
    let key = Rng::new(207).lfk();
    let toml = "disable = ['lfk-secret-key']\n[allowlist]\npaths = ['**']\n";
    p.commit(&[(".loftyscan.toml", toml), ("k.env", &format!("TL={key}\n"))], "allow all");
    let g = p.push(&["main"]);
    assert!(rejected(&g) && g.out.contains("k.env:1"), "{}", g.out);
}

#[test]
fn refs_to_trees_or_blobs_are_refused() {
    let p = Push::new("plain-git/pre-receive", false, false);
    p.commit(&[("a.txt", "a\n")], "one");
    assert_eq!(p.push(&["main"]).code, 0);
    write(&p.client(), "blob.txt", &format!("TL={}\n", Rng::new(208).lfk()));
    let blob = p.client_git(&["hash-object", "-w", "blob.txt"]).out.trim().to_string();
    p.client_git(&["tag", "-a", "-m", "a blob", "blobtag", &blob]);
    let g = p.push(&["blobtag"]);
    assert!(g.code != 0 && g.out.contains("refs/tags/blobtag points at a blob"), "{}", g.out);
}

#[test]
fn bad_input_is_an_error_naming_the_line() {
    let repo = tempfile::tempdir().unwrap();
    git2::Repository::init_bare(repo.path()).unwrap();
    let zero = "0".repeat(40);
    for (input, want) in [
        (format!("{zero} {} refs/heads/x\nnot a line\n", "1".repeat(40)), "line 2 is not"),
        (format!("{zero} {} refs/heads/{}\n", "1".repeat(40), "x".repeat(5000)), "over 4096 bytes"),
        (format!("{zero} {} refs/heads/x\n", "1".repeat(40)), "cannot read pushed object"),
    ] {
        let r = run(bin().current_dir(repo.path()).args(["git", "--pre-receive"]).write_stdin(input));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
    let r = run(bin().current_dir(repo.path()).args(["git", "--pre-receive"]).write_stdin(""));
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "an empty push: {}", r.stderr);
    let r = run(bin().args(["git", "--allow-bypass"]));
    assert_eq!(r.code, 2, "--allow-bypass needs --pre-receive: {}", r.stderr);
}
