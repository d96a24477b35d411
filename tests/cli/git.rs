//! `loftyscan git`: whole history, `--range`, `--staged`, on repositories built in temp dirs.

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

fn git_json(t: &TestRepo, extra: &[&str]) -> (Value, Run) {
    let mut args = vec!["git", "."];
    args.extend_from_slice(extra);
    scan_json(t.path(), &args)
}

fn summary(f: &Value) -> (String, String, String) {
    (
        f["path"].as_str().unwrap().into(),
        f["rule_id"].as_str().unwrap().into(),
        f["commit"].as_str().unwrap_or("").into(),
    )
}

#[test]
fn key_added_then_deleted_is_found_at_the_introducing_commit() {
    let t = TestRepo::new();
    let key = Rng::new(50).lfk();
    let env = format!("A=1\nTL={key}\n");
    let c1 = t.commit(Some("refs/heads/main"), &[("README.md", "hi\n")], &[], "init");
    let c2 = t.commit(Some("refs/heads/main"), &[("README.md", "hi\n"), ("config/.env", &env)], &[c1], "add");
    let env2 = format!("{env}B=2\n");
    let c3 =
        t.commit(Some("refs/heads/main"), &[("README.md", "hi\n"), ("config/.env", &env2)], &[c2], "edit");
    let c4 = t.commit(Some("refs/heads/main"), &[("README.md", "bye\n")], &[c3], "remove");
    t.head_to("refs/heads/main");
    let (v, r) = git_json(&t, &[]);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "one result however many versions carry it: {}", r.stdout);
    assert_eq!(summary(&f[0]), ("config/.env".into(), "lfk-secret-key".into(), c2.to_string()));
    assert_eq!((f[0]["line"].as_u64(), f[0]["column"].as_u64()), (Some(2), Some(4)));
    assert_eq!(f[0]["author"], "Ann Dev <ann@example.org>");
    assert!(f[0]["date"].as_str().unwrap().ends_with("+01:00"));
    assert_eq!(v["summary"]["commits_scanned"], 4);
    assert_eq!(r.code, 1);
    let _ = c4;
}

#[test]
fn every_ref_is_walked_branches_tags_remotes() {
    let t = TestRepo::new();
    let mut rng = Rng::new(51);
    let (k1, k2, k3) = (rng.lfk(), rng.lofty(), rng.lfk());
    let base = t.commit(Some("refs/heads/main"), &[("a.txt", "a\n")], &[], "init");
    let side = t.commit(Some("refs/heads/feature"), &[("a.txt", "a\n"), ("side.env", &k1)], &[base], "side");
    let orphan = t.commit(None, &[("tag.txt", &format!("key {k2}\n"))], &[], "orphan");
    let sig = git2::Signature::now("T", "t@example.org").unwrap();
    let obj = t.repo.find_object(orphan, None).unwrap();
    t.repo.tag("v1", &obj, &sig, "annotated", false).unwrap();
    let remote =
        t.commit(Some("refs/remotes/origin/wip"), &[("r/x.py", &format!("K='{k3}'\n"))], &[base], "wip");
    t.head_to("refs/heads/main");
    let (v, _) = git_json(&t, &[]);
    let got: Vec<_> = findings(&v).iter().map(summary).collect();
    assert_eq!(
        got,
        [
            ("r/x.py".into(), "lfk-secret-key".into(), remote.to_string()),
            ("side.env".into(), "lfk-secret-key".into(), side.to_string()),
            ("tag.txt".into(), "lofty-api-key".into(), orphan.to_string()),
        ]
    );
}

#[test]
fn same_key_two_paths_two_results_same_path_one() {
    let t = TestRepo::new();
    let key = Rng::new(52).lfk();
    let line = format!("k={key}\n");
    let twice = format!("{line}{line}");
    let c1 = t.commit(Some("refs/heads/main"), &[("a.env", &line), ("b.env", &twice)], &[], "one");
    t.commit(
        Some("refs/heads/main"),
        &[("a.env", &twice), ("b.env", &twice), ("c/a.env", &line)],
        &[c1],
        "two",
    );
    t.head_to("refs/heads/main");
    let (v, _) = git_json(&t, &[]);
    let got: Vec<_> = findings(&v).iter().map(|f| (f["path"].clone(), f["line"].clone())).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], (Value::from("a.env"), Value::from(1)));
    assert_eq!(got[1], (Value::from("b.env"), Value::from(1)));
    assert_eq!(got[2], (Value::from("c/a.env"), Value::from(1)));
}

#[test]
fn range_sees_only_what_the_range_added() {
    let t = TestRepo::new();
    let mut rng = Rng::new(53);
    let (old, new, merged) = (rng.lfk(), rng.lfk(), rng.lofty());
    let old_env = format!("OLD={old}\n");
    let c1 = t.commit(Some("refs/heads/main"), &[("app.env", &old_env)], &[], "base");
    let both = format!("{old_env}NEW={new}\n");
    let c2 = t.commit(Some("refs/heads/main"), &[("app.env", &both)], &[c1], "adds one");
    let moved = format!("# moved\n{both}");
    let c3 = t.commit(Some("refs/heads/main"), &[("app.env", &moved)], &[c2], "moves lines");
    let side = t.commit(None, &[("app.env", &old_env), ("s.env", &merged)], &[c1], "side");
    let m =
        t.commit(Some("refs/heads/main"), &[("app.env", &moved), ("s.env", &merged)], &[c3, side], "merge");
    t.head_to("refs/heads/main");
    let (v, r) = git_json(&t, &["--range", &format!("{c1}..{m}")]);
    let got: Vec<_> = findings(&v).iter().map(summary).collect();
    assert_eq!(
        got,
        [
            ("app.env".into(), "lfk-secret-key".into(), c2.to_string()),
            ("s.env".into(), "lofty-api-key".into(), side.to_string()),
        ],
        "{}",
        r.stdout
    );
    assert_eq!(v["summary"]["commits_scanned"], 4);
    let (v, r) = git_json(&t, &["--range", &format!("{c2}..{c3}")]);
    assert!(findings(&v).is_empty(), "moving lines adds nothing");
    assert_eq!(r.code, 0);
    let (v, _) = git_json(&t, &["--range", &format!("{c3}..")]);
    assert_eq!(findings(&v).len(), 1, "A.. means A..HEAD");
}

#[test]
fn staged_sees_the_index_not_the_work_tree() {
    let t = TestRepo::new();
    let mut rng = Rng::new(54);
    let (committed, staged, unstaged) = (rng.lfk(), rng.lofty(), rng.lfk());
    // Before the first commit: everything staged is new.
    t.stage("first.env", &format!("K={committed}\n"));
    let (v, r) = scan_json(t.path(), &["git", "--staged"]);
    assert_eq!(findings(&v).len(), 1, "{}", r.stdout);
    let c1 = t.commit(Some("refs/heads/main"), &[("first.env", &format!("K={committed}\n"))], &[], "init");
    t.head_to("refs/heads/main");
    t.reset_index(c1);
    let (v, r) = scan_json(t.path(), &["git", "--staged"]);
    assert!(findings(&v).is_empty() && r.code == 0, "nothing staged");
    t.stage("first.env", &format!("K={committed}\nL={staged}\n"));
    std::fs::write(t.path().join("first.env"), format!("K={committed}\nL={staged}\nM={unstaged}\n")).unwrap();
    std::fs::write(t.path().join("untracked.env"), format!("{unstaged}\n")).unwrap();
    let (v, r) = scan_json(t.path(), &["git", "--staged"]);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!((f[0]["path"].as_str(), f[0]["line"].as_u64()), (Some("first.env"), Some(2)));
    assert_eq!(f[0]["secret_sha256"], sha256_hex(&staged));
    assert!(f[0].get("commit").is_none());
    assert_eq!(r.code, 1);
    let text = run(bin().current_dir(t.path()).args(["git", "--staged"]));
    assert!(text.stdout.contains("first.env:2:3: error lofty-api-key") && text.stdout.contains("(staged)"));
}

#[test]
fn bad_repositories_and_ranges() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(bin().current_dir(tmp.path()).args(["git", "."]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a git repository"), "{}", r.stderr);
    let empty = TestRepo::new();
    let (v, r) = git_json(&empty, &[]);
    assert!(findings(&v).is_empty() && r.code == 0);
    assert_eq!(v["summary"]["commits_scanned"], 0);
    let t = TestRepo::new();
    let c = t.commit(Some("refs/heads/main"), &[("a", "a")], &[], "init");
    t.head_to("refs/heads/main");
    for (range, says) in [
        ("nosuch..HEAD", "unknown revision 'nosuch'"),
        ("HEAD", "--range takes A..B"),
        ("a...b", "--range takes A..B"),
    ] {
        let r = run(bin().current_dir(t.path()).args(["git", "--range", range]));
        assert_eq!(r.code, 2, "{range}");
        assert!(r.stderr.contains(says), "{range}: {}", r.stderr);
    }
    let r = run(bin().current_dir(t.path()).args(["git", "--range", "x..y", "--staged"]));
    assert_eq!(r.code, 2, "conflicting flags");
    let _ = c;
}

#[test]
fn bare_repository_and_a_subdirectory() {
    let t = TestRepo::bare();
    let key = Rng::new(55).lfk();
    t.commit(Some("refs/heads/main"), &[("deep/dir/k.txt", &key)], &[], "init");
    t.head_to("refs/heads/main");
    let (v, _) = git_json(&t, &[]);
    assert_eq!(findings(&v)[0]["path"], "deep/dir/k.txt");
    let w = TestRepo::new();
    w.commit(Some("refs/heads/main"), &[("deep/k.txt", &key)], &[], "init");
    w.head_to("refs/heads/main");
    std::fs::create_dir_all(w.path().join("deep")).unwrap();
    let (v, _) = scan_json(&w.path().join("deep"), &["git"]);
    assert_eq!(findings(&v)[0]["path"], "deep/k.txt", "paths stay relative to the repository root");
}

#[test]
fn submodules_missing_objects_big_blobs_and_shallow_history() {
    let t = TestRepo::new();
    let mut rng = Rng::new(56);
    let (k1, k2, k3) = (rng.lfk(), rng.lfk(), rng.lfk());
    let lost = t.repo.blob(format!("gone {k1}\n").as_bytes()).unwrap();
    let mut tb = t.repo.treebuilder(None).unwrap();
    tb.insert("lost.txt", lost, 0o100644).unwrap();
    let gitlink = git2::Oid::from_str("1111111111111111111111111111111111111111").unwrap();
    tb.insert("vendor-sub", gitlink, 0o160000).unwrap();
    let big = format!("{}{k2}\n", "x".repeat(3000));
    tb.insert("big.txt", t.repo.blob(big.as_bytes()).unwrap(), 0o100644).unwrap();
    tb.insert("ok.txt", t.repo.blob(format!("{k3}\n").as_bytes()).unwrap(), 0o100644).unwrap();
    let c1 = t.commit_tree(Some("refs/heads/main"), tb.write().unwrap(), &[], "init");
    let c2 = t.commit(Some("refs/heads/main"), &[("ok.txt", &format!("{k3}\n"))], &[c1], "next");
    t.head_to("refs/heads/main");
    let hex = lost.to_string();
    std::fs::remove_file(t.path().join(format!(".git/objects/{}/{}", &hex[..2], &hex[2..]))).unwrap();
    // The odb engine reads every reachable object by id, so it notices the missing one.
    let (v, r) = git_json(&t, &["--max-blob-size", "2K", "--git-engine", "odb"]);
    assert_eq!(findings(&v).iter().map(|f| f["path"].as_str().unwrap()).collect::<Vec<_>>(), ["ok.txt"]);
    let skipped = &v["summary"]["skipped"];
    assert_eq!((skipped["unreadable"].as_u64(), skipped["too_large"].as_u64()), (Some(1), Some(1)));
    assert_eq!(skipped["submodule"], 1);
    assert!(r.stderr.contains(&format!("cannot read blob {hex} (lost.txt in commit {c1})")), "{}", r.stderr);
    let big = format!("(big.txt in commit {c1}) is 3.0 KiB, over --max-blob-size 2.0 KiB");
    assert!(r.stderr.contains(&big), "{}", r.stderr);
    for k in [&k1, &k2, &k3] {
        assert!(!r.all().contains(k.as_str()), "a warning leaks a secret");
    }
    // Shallow: only c2 is there; its parent is cut off.
    std::fs::write(t.path().join(".git/shallow"), format!("{c2}\n")).unwrap();
    let (v, r) = git_json(&t, &[]);
    assert_eq!(v["summary"]["commits_scanned"], 1, "{}", r.stderr);
    assert_eq!(findings(&v)[0]["commit"], c2.to_string());
}

#[test]
fn git_sarif_carries_commit_author_date_and_validates() {
    let t = TestRepo::new();
    let key = Rng::new(57).lofty();
    let c =
        t.commit(Some("refs/heads/main"), &[("src/settings.py", &format!("LOFTY = '{key}'\n"))], &[], "init");
    t.head_to("refs/heads/main");
    let out = t.path().join("results.sarif");
    let r = run(bin().current_dir(t.path()).args(["git", ".", "--format", "sarif", "-o"]).arg(&out));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let res = &v["runs"][0]["results"][0];
    assert_eq!(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "src/settings.py");
    let p = &res["properties"];
    assert_eq!(p["commit"], c.to_string());
    assert_eq!(p["author"], "Ann Dev <ann@example.org>");
    assert_eq!(p["date"], "2023-11-15T00:13:20+01:00");
    assert_eq!(p["expired"], false);
    validate_sarif(&out);
}
