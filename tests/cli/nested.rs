//! Containers nested past the depth cap (zip in gzip in zip … ) are not opened, and never
//! silently: a counted warning names the entry path (escaped, redacted) and the summary and
//! JSON `skipped.nested_too_deep` count it, in `dir`, `stdin` and a git history.

use std::fs;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// outer.zip ⊃ a/l1.gz (gzip named l2.zip) ⊃ l2.zip ⊃ `ESC[2J <key>.zip` ⊃ secret.env: the
/// fourth container is past the cap (3). Returns the archive, the key in the too-deep
/// zip's name and the key inside it.
fn deep_archive(seed: u64) -> (Vec<u8>, String, String) {
    let mut rng = Rng::new(seed);
    let (named, inside) = (rng.lfk(), rng.lfk());
    let innermost = zip(&[("secret.env", format!("K={inside}\n").as_bytes(), true)], None);
    let evil = format!("\x1b[2J {named}.zip");
    let l2 = zip(&[(&evil, &innermost, true)], None);
    let l1 = gzip(&l2, "l2.zip");
    (zip(&[("a/l1.gz", &l1, true)], None), named, inside)
}

/// The warning, the JSON count and the summary line say what was not opened, and where.
fn assert_counted(r: &Run, v: &serde_json::Value, what: &str, named: &str, inside: &str) {
    let all = r.all();
    let warning = all.lines().find(|l| l.contains("inside 3 containers")).unwrap_or_else(|| panic!("{all}"));
    assert!(warning.contains(what), "{warning}");
    assert!(
        warning.contains("entry 'a/l1.gz!l2.zip!\\u{1b}[2J lfk_sk_…"),
        "path, escaped and redacted: {warning}"
    );
    assert!(
        warning.ends_with(
            ".zip' is a zip inside 3 containers (the depth cap): not opened, scanned as raw bytes"
        )
    );
    assert!(!all.contains(named) && !all.contains(inside) && !all.contains('\x1b'), "{all}");
    assert_eq!(v["summary"]["skipped"]["nested_too_deep"], 1, "{:#}", v["summary"]);
    let hashes: Vec<String> =
        findings(v).iter().map(|f| f["secret_sha256"].as_str().unwrap().to_string()).collect();
    assert!(hashes.contains(&sha256_hex(named)), "the key in the deep zip's name is still found");
    assert!(!hashes.contains(&sha256_hex(inside)), "the too-deep zip is not opened");
}

#[test]
fn dir_and_stdin_count_a_container_past_the_depth_cap() {
    let (archive, named, inside) = deep_archive(1401);
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("outer.zip"), &archive).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir"]);
    assert_counted(&r, &v, "'outer.zip'", &named, &inside);
    let text = run(bin().current_dir(tmp.path()).args(["dir", "--no-progress"]));
    assert!(
        text.all().contains("skipped: 1 container nested past the depth cap (not opened)"),
        "{}",
        text.all()
    );
    let r = run(bin().args(["stdin", "--format", "json"]).write_stdin(archive.clone()));
    assert_counted(&r, &r.json(), "'stdin'", &named, &inside);
    // One level less is opened: no warning, the key inside is found.
    let shallow = zip(
        &[(
            "a/l1.gz",
            &gzip(&zip(&[("secret.env", format!("K={inside}\n").as_bytes(), true)], None), "x"),
            true,
        )],
        None,
    );
    let r = run(bin().args(["stdin", "--format", "json"]).write_stdin(shallow));
    assert!(
        !r.stderr.contains("depth cap") && r.json()["summary"]["skipped"].get("nested_too_deep").is_none()
    );
    assert_eq!(findings(&r.json())[0]["secret_sha256"], sha256_hex(&inside));
}

#[test]
fn git_history_counts_it_with_either_engine() {
    let (archive, named, inside) = deep_archive(1402);
    let t = TestRepo::new();
    let blob = t.repo.blob(&archive).unwrap();
    let mut tb = t.repo.treebuilder(None).unwrap();
    tb.insert("outer.zip", blob, 0o100644).unwrap();
    let tree = tb.write().unwrap();
    t.commit_tree(Some("refs/heads/main"), tree, &[], "deep");
    t.head_to("refs/heads/main");
    t.pack_with_libgit2();
    // The odb engine knows the blob's path while scanning; the pack engine scans blobs
    // before any tree is read, so it names the blob.
    for (engine, what) in [("odb", "outer.zip in commit ".to_string()), ("pack", format!("blob {blob}: "))] {
        let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
        assert_counted(&r, &v, &what, &named, &inside);
    }
}
