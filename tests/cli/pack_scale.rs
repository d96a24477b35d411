//! The pack engine's compact records (issue 21): a blob held by several packs is scanned
//! once, and findings, counts and order are the same on one thread or many, and the same
//! as the object-by-object engine's, on a history spread over overlapping packs.

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// `git pack-objects` of every object reachable from a ref into one more pack (which
/// overlaps the packs already there); false when git is not installed.
fn pack_everything_again(t: &TestRepo) -> bool {
    let git = std::process::Command::new("git")
        .args(["-c", "pack.threads=1", "pack-objects", "-q", "--all", "objects/pack/pack"])
        .current_dir(t.repo.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status();
    git.is_ok_and(|s| s.success())
}

fn scan(t: &TestRepo, extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec!["git", "."];
    args.extend_from_slice(extra);
    let (v, r) = scan_json(t.path(), &args);
    assert_eq!(r.code, 1, "{extra:?}: {}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{extra:?}: {}", r.stderr);
    let mut summary = v["summary"].clone();
    summary.as_object_mut().unwrap().remove("duration_ms");
    (findings(&v), summary)
}

#[test]
fn a_blob_in_overlapping_packs_is_scanned_once_on_any_thread_count() {
    let mut rng = Rng::new(2100);
    let t = TestRepo::new();
    let (k1, k2) = (rng.lfk(), rng.lfk());
    let mut head = t.commit(Some("refs/heads/main"), &[("a/b/c.env", &format!("KEY={k1}\n"))], &[], "init");
    for n in 0..60 {
        let text = format!("n = {n}\n");
        head =
            t.commit(Some("refs/heads/main"), &[("a/b/c.env", "X=1\n"), ("a/d.txt", &text)], &[head], "edit");
    }
    t.head_to("refs/heads/main");
    if !t.pack_with_git() {
        eprintln!("note: git is not installed; overlapping git packs not tested");
        return;
    }
    // More history, then one more pack with everything: every old blob is in two packs.
    head = t.commit(Some("refs/heads/main"), &[("e.txt", &format!("{k2}\n"))], &[head], "more");
    t.commit(
        Some("refs/heads/main"),
        &[("e.txt", "gone\n"), ("a/b/c.env", &format!("KEY={k1}\n"))],
        &[head],
        "again",
    );
    assert!(pack_everything_again(&t), "git pack-objects failed");
    let packs = std::fs::read_dir(t.repo.path().join("objects/pack")).unwrap().flatten();
    assert_eq!(packs.filter(|e| e.path().extension().is_some_and(|x| x == "pack")).count(), 2);
    let reference = scan(&t, &["--git-engine", "odb", "-j", "1"]);
    // 60 versions of a/d.txt, two of a/b/c.env, two of e.txt: each blob scanned once.
    assert_eq!(reference.1["files_scanned"].as_u64(), Some(64), "{}", reference.1);
    assert_eq!(reference.0.len(), 2);
    for j in ["1", "2", "5"] {
        assert_eq!(scan(&t, &["--git-engine", "pack", "-j", j]), reference, "-j {j}");
    }
}
