//! The three jobs as people run them: baselines in CI range and pre-commit modes, SARIF
//! for files outside the current directory, and what ignore rules leave out of `dir`.

use std::fs;
use std::path::Path;

use crate::common::*;
use crate::gitrepo::TestRepo;

#[test]
fn range_and_staged_scans_do_not_call_untouched_baseline_entries_stale() {
    let t = TestRepo::new();
    let key = Rng::new(160).lfk();
    let c1 = t.commit(Some("refs/heads/main"), &[("old.env", &format!("K={key}\n"))], &[], "old key");
    t.head_to("refs/heads/main");
    t.reset_index(c1);
    let bl = t.path().join("baseline.json");
    let (_, r) = scan_json(t.path(), &["git", "--baseline-out", bl.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    let files = [("old.env", format!("K={key}\n")), ("b.txt", "clean\n".to_string())];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let c2 = t.commit(Some("refs/heads/main"), &files, &[c1], "clean change");
    t.reset_index(c2);
    let range = format!("{c1}..{c2}");
    for args in [vec!["git", "--range", range.as_str()], vec!["git", "--staged"]] {
        let (v, r) = scan_json(t.path(), &[&args[..], &["--baseline", bl.to_str().unwrap()]].concat());
        assert_eq!(r.code, 0, "{}", r.all());
        assert_eq!(v["summary"]["baseline_stale"].as_array().map(Vec::len), Some(0), "{args:?}: {}", r.all());
        assert!(!r.stderr.contains("matched nothing"), "{args:?}: {}", r.stderr);
    }
    // A whole-history scan covers the entry's path: with the key gone from history, stale.
    let bare = TestRepo::new();
    bare.commit(Some("refs/heads/main"), &[("old.env", "K=none\n")], &[], "fixed");
    bare.head_to("refs/heads/main");
    let (v, _) = scan_json(bare.path(), &["git", "--baseline", bl.to_str().unwrap()]);
    assert_eq!(v["summary"]["baseline_stale"].as_array().map(Vec::len), Some(1));
}

fn sarif_of(cwd: &Path, target: &str, out: &Path) -> serde_json::Value {
    let r = run(bin().current_dir(cwd).args(["dir", target, "--format", "sarif", "-o"]).arg(out));
    assert_eq!(r.code, 1, "{}", r.all());
    validate_sarif(out);
    serde_json::from_slice(&fs::read(out).unwrap()).unwrap()
}

#[test]
fn sarif_uris_outside_the_current_directory_are_relative_to_a_stated_root() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = tmp.path().canonicalize().unwrap();
    let key = Rng::new(161).lfk();
    write(&tmp_path, "x/conf/a.env", &format!("K={key}\n"));
    write(&tmp_path, "w/keep", "");
    let cwd = tmp_path.join("w");
    let abs = tmp_path.join("x/conf/a.env");
    for target in [abs.to_str().unwrap(), "../x/conf/a.env", "../x"] {
        let v = sarif_of(&cwd, target, &tmp_path.join("out.sarif"));
        let run0 = &v["runs"][0];
        let loc = &run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = loc["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.split('/').any(|s| s == ".."), "{target}: {uri}");
        if target == "../x" {
            assert_eq!(uri, "conf/a.env", "a scanned directory is the root");
            continue;
        }
        assert_eq!((uri, loc["uriBaseId"].as_str()), ("a.env", Some("SCANROOT")), "{target}");
        let base = run0["originalUriBaseIds"]["SCANROOT"]["uri"].as_str().unwrap();
        assert_eq!(base, format!("file://{}/", tmp_path.join("x/conf").display()), "{target}");
    }
}

#[test]
fn dir_counts_what_ignore_rules_leave_out_and_scans_secret_prone_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git2::Repository::init(d).unwrap();
    let mut rng = Rng::new(162);
    let (env_key, build_key, notes_key) = (rng.lfk(), rng.lfk(), rng.lfk());
    write(d, ".gitignore", ".env\nbuild/\nnotes.txt\n");
    write(d, ".env", &format!("TRUSTLEADS_API_KEY={env_key}\n"));
    write(d, "build/out.txt", &format!("{build_key}\n"));
    write(d, "notes.txt", &format!("{notes_key}\n"));
    write(d, "src/main.rs", "fn main() {}\n");
    let (v, r) = scan_json(d, &["dir"]);
    let found: Vec<String> = findings(&v).iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(found, [".env"], "the ignored .env is scanned anyway: {}", r.all());
    assert_eq!(v["summary"]["skipped"]["ignored"], 2, "build/ and notes.txt: {}", r.all());
    assert!(r.stderr.contains("scanned 1 ignored file"), "{}", r.stderr);
    let text = run(bin().current_dir(d).args(["dir", "--no-progress"]));
    assert!(
        text.stdout.contains("2 ignored by .gitignore/.ignore (--no-ignore scans them)"),
        "{}",
        text.stdout
    );
    let (v, _) = scan_json(d, &["dir", "--no-ignore"]);
    assert_eq!(findings(&v).len(), 3);
    assert!(v["summary"]["skipped"].get("ignored").is_none());
}

#[test]
fn a_key_rotated_in_place_is_ordered_by_commit_date_then_id() {
    let t = TestRepo::new();
    let mut rng = Rng::new(163);
    let (k1, k2) = (rng.lfk(), rng.lfk());
    let c1 = t.commit(Some("refs/heads/main"), &[("a.env", &format!("K={k1}\n"))], &[], "first key");
    let c2 = t.commit(Some("refs/heads/main"), &[("a.env", &format!("K={k2}\n"))], &[c1], "rotated");
    t.head_to("refs/heads/main");
    let outs: Vec<String> = (0..6)
        .map(|i| {
            let j = if i % 2 == 0 { "1" } else { "2" };
            run(bin().current_dir(t.path()).args(["git", "--format", "json", "--no-progress", "-j", j]))
                .stdout
        })
        .collect();
    assert!(outs.windows(2).all(|w| w[0] == w[1]), "runs differ");
    let v: serde_json::Value = serde_json::from_str(&outs[0]).unwrap();
    let commits: Vec<String> =
        findings(&v).iter().map(|f| f["commit"].as_str().unwrap().to_string()).collect();
    assert_eq!(commits, [c1.to_string(), c2.to_string()], "older commit first");
}

#[test]
fn a_shallow_clone_says_so_and_how_to_fetch() {
    let t = TestRepo::new();
    let mut parent = Vec::new();
    for i in 0..3 {
        let c = t.commit(Some("refs/heads/main"), &[("f.txt", &format!("v{i}\n"))], &parent, "c");
        parent = vec![c];
    }
    t.head_to("refs/heads/main");
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("shallow");
    let url = format!("file://{}", t.path().display());
    let st = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(&clone)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(st.success());
    let r = run(bin().current_dir(&clone).args(["git", "--range", "HEAD~2..HEAD", "--no-progress"]));
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("shallow clone") && r.stderr.contains("fetch-depth: 0"), "{}", r.stderr);
    let r = run(bin().current_dir(&clone).args(["git", "--no-progress"]));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("history is cut short"), "{}", r.stderr);
}
