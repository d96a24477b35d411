//! History exposure (`present_at_head`, `refs`, `refs_count`, `commits_count`) in every
//! format and with both engines, and `--include-unreachable`.

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// main: a.env gets `kept` (c1), is edited around it (c2), `brief` comes and goes (c3, c4);
/// side (from c1): a.env removed, `kept` moved to d/b.txt; tag v1 at c2.
fn exposed_repo(kept: &str, brief: &str) -> TestRepo {
    let t = TestRepo::new();
    let a1 = format!("KEY={kept}\n");
    let a2 = format!("KEY={kept}\nTIMEOUT=3\n");
    let c1 = t.commit(Some("refs/heads/main"), &[("a.env", &a1)], &[], "c1");
    let c2 = t.commit(Some("refs/heads/main"), &[("a.env", &a2)], &[c1], "c2");
    t.repo.reference("refs/tags/v1", c2, true, "tag").unwrap();
    let c3 = t.commit(Some("refs/heads/main"), &[("a.env", &a2), ("tmp/k.txt", brief)], &[c2], "c3");
    t.commit(Some("refs/heads/main"), &[("a.env", &a2)], &[c3], "c4");
    t.commit(Some("refs/heads/side"), &[("d/b.txt", &format!("K={kept}\n"))], &[c1], "side");
    t.head_to("refs/heads/main");
    t
}

fn by_path<'a>(found: &'a [Value], path: &str) -> &'a Value {
    found.iter().find(|f| f["path"] == path).unwrap_or_else(|| panic!("no finding at {path}: {found:?}"))
}

#[test]
fn exposure_facts_in_json_with_both_engines() {
    let mut rng = Rng::new(1901);
    let (kept, brief) = (rng.lfk(), rng.lfk());
    let t = exposed_repo(&kept, &brief);
    for engine in ["pack", "odb"] {
        let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
        assert_eq!(r.code, 1, "{engine}: {}", r.stderr);
        let found = findings(&v);
        assert_eq!(found.len(), 3, "{engine}: {found:?}");
        let a = by_path(&found, "a.env");
        assert_eq!(a["present_at_head"], true, "{engine}");
        assert_eq!(a["refs"], serde_json::json!(["refs/heads/main", "refs/tags/v1"]), "{engine}");
        assert_eq!(a["refs_count"], 2);
        assert_eq!(a["commits_count"], 4, "{engine}: c1..c4 on main");
        let b = by_path(&found, "d/b.txt");
        assert_eq!(b["present_at_head"], false);
        assert_eq!(b["refs"], serde_json::json!(["refs/heads/side"]));
        assert_eq!(b["commits_count"], 1);
        let k = by_path(&found, "tmp/k.txt");
        assert_eq!(
            (&k["present_at_head"], &k["refs_count"], &k["commits_count"]),
            (&false.into(), &0.into(), &1.into())
        );
        assert_eq!(k["refs"], serde_json::json!([]));
    }
}

#[test]
fn exposure_facts_in_sarif_and_text() {
    let mut rng = Rng::new(1902);
    let t = exposed_repo(&rng.lfk(), &rng.lfk());
    let r = run(bin().current_dir(t.path()).args(["git", ".", "--format", "sarif", "--no-progress"]));
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let a = results
        .iter()
        .find(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.env")
        .unwrap();
    let p = &a["properties"];
    assert_eq!(p["presentAtHead"], true);
    assert_eq!(p["refs"], serde_json::json!(["refs/heads/main", "refs/tags/v1"]));
    assert_eq!((&p["refsCount"], &p["commitsCount"]), (&2.into(), &4.into()));
    let r = run(bin().current_dir(t.path()).args(["git", ".", "--no-progress"]));
    let line = r.stdout.lines().find(|l| l.starts_with("a.env:")).unwrap();
    assert!(
        line.ends_with("[still at HEAD; in 2 refs (refs/heads/main, refs/tags/v1); in 4 commits]"),
        "{line}"
    );
    let line = r.stdout.lines().find(|l| l.starts_with("tmp/k.txt:")).unwrap();
    assert!(line.ends_with("[not at HEAD; in no ref; in 1 commit]"), "{line}");
}

#[test]
fn at_most_twenty_refs_are_named_and_all_are_counted() {
    let mut rng = Rng::new(1903);
    let t = TestRepo::new();
    let c = t.commit(Some("refs/heads/main"), &[("k.env", &format!("K={}\n", rng.lfk()))], &[], "c");
    for i in 0..25 {
        t.repo.reference(&format!("refs/heads/b{i:02}"), c, true, "b").unwrap();
    }
    t.head_to("refs/heads/main");
    let (v, _) = scan_json(t.path(), &["git", "."]);
    let f = &findings(&v)[0];
    assert_eq!(f["refs_count"], 26);
    let refs: Vec<&str> = f["refs"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    let want: Vec<String> = (0..20).map(|i| format!("refs/heads/b{i:02}")).collect();
    assert_eq!(refs, want, "the first 20 by name");
}

#[test]
fn include_unreachable_reports_dangling_blobs_by_id() {
    let mut rng = Rng::new(1904);
    let (live, dangling) = (rng.lfk(), rng.lfk());
    let t = TestRepo::new();
    let c = t.commit(Some("refs/heads/main"), &[("a.env", &format!("K={live}\n"))], &[], "c");
    t.commit(None, &[("gone.env", &format!("K={dangling}\n"))], &[c], "force-pushed away");
    t.head_to("refs/heads/main");
    let blob = t.repo.blob(format!("K={dangling}\n").as_bytes()).unwrap().to_string();
    for engine in ["pack", "odb"] {
        let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
        assert_eq!(findings(&v).len(), 1, "{engine}: only the reachable key by default");
        if engine == "pack" {
            assert!(r.stderr.contains("--include-unreachable reports them"), "{}", r.stderr);
        }
        let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", engine, "--include-unreachable"]);
        let found = findings(&v);
        assert_eq!(found.len(), 2, "{engine}: {}", r.stderr);
        let d = found.iter().find(|f| f["blob"] == blob.as_str()).expect("the dangling blob, by id");
        assert_eq!(d["path"], blob.as_str());
        assert!(d.get("commit").is_none());
        assert_eq!((&d["present_at_head"], &d["refs_count"]), (&false.into(), &0.into()));
        assert!(!r.stdout.contains(&dangling), "redacted");
    }
    let r = run(bin().current_dir(t.path()).args(["git", ".", "--include-unreachable", "--staged"]));
    assert_eq!(r.code, 2, "whole history only: {}", r.stderr);
}

#[test]
fn range_scans_carry_no_exposure_facts() {
    let mut rng = Rng::new(1905);
    let t = exposed_repo(&rng.lfk(), &rng.lfk());
    let (v, _) = scan_json(t.path(), &["git", ".", "--range", "main~3..main"]);
    let found = findings(&v);
    assert!(!found.is_empty());
    assert!(found.iter().all(|f| f.get("present_at_head").is_none() && f.get("refs").is_none()));
}
