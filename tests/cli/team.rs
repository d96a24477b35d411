//! Team workflow: `.loftyscan.toml`, baselines, GitLab's report format.

use std::fs;

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

fn paths(v: &Value) -> Vec<String> {
    findings(v).iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
}

#[test]
fn config_file_allowlists_paths_disables_rules_and_sets_the_format() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(110);
    write(d, "src/app.py", &format!("K = '{}'\n", rng.lfk()));
    write(d, "vendor/lib/x.js", &format!("k='{}'\n", rng.lfk()));
    write(d, "test/fixtures/keys.env", &format!("{}\n", rng.lfk()));
    write(d, "session.txt", &format!("s={}\n", rng.jws(r#"{"sub":"u"}"#)));
    write(
        d,
        "acme.toml",
        "[[rules]]\nid='acme-key'\ntitle='t'\ndescription='d'\nhelp='h'\nlevel='error'\nsecurity_severity=8.0\nanchors=['acme_']\npattern='acme_[0-9]{8}'\n",
    );
    write(d, "src/acme.txt", "acme_12345678\n");
    write(
        d,
        ".loftyscan.toml",
        "rules = ['acme.toml']\ndisable = ['jws-token']\nformat = 'json'\n[allowlist]\npaths = ['vendor/', '**/fixtures/**']\n",
    );
    let r = run(bin().current_dir(d).args(["dir", ".", "--no-progress"]));
    let v = r.json();
    assert_eq!(paths(&v), ["src/acme.txt", "src/app.py"], "{}", r.stdout);
    assert_eq!((v["summary"]["path_allowlisted"].as_u64(), r.code), (Some(2), 1));
    let r = run(bin().current_dir(d).args(["dir", ".", "--no-config", "--format", "json"]));
    assert_eq!(findings(&r.json()).len(), 4, "--no-config ignores it");
    fs::rename(d.join(".loftyscan.toml"), d.join("team.toml")).unwrap();
    let r = run(bin().current_dir(d).args(["dir", ".", "--config", "team.toml"]));
    assert_eq!(paths(&r.json()), ["src/acme.txt", "src/app.py"], "--config FILE");
}

#[test]
fn config_errors_name_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (text, says) in [
        ("colour = 'red'\n", "unknown field `colour`"),
        ("[allowlist]\nglobs = ['x']\n", "unknown field `globs`"),
        ("disable = ['no-such-rule']\n", "no rule has the id `no-such-rule`"),
        ("rules = ['missing.toml']\n", "cannot read rule file"),
        ("format = 'yaml'\n", "unknown variant …, expected"),
    ] {
        write(d, ".loftyscan.toml", text);
        let r = run(bin().current_dir(d).args(["dir", "."]));
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(says) && r.stderr.contains(".loftyscan.toml"), "{says}: {}", r.stderr);
    }
}

#[test]
fn this_repository_scans_clean_with_its_own_config() {
    let (v, r) = scan_json(&root(), &["dir", "."]);
    assert!(findings(&v).is_empty(), "{}", r.stdout);
    assert!(
        v["summary"]["path_allowlisted"].as_u64().unwrap() >= 20,
        "the fixtures are found, then allowlisted"
    );
    assert_eq!(r.code, 0);
}

#[test]
fn baseline_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(111);
    let (old1, old2, new) = (rng.lfk(), rng.lofty(), rng.lfk());
    write(d, "app.env", &format!("A={old1}\nB={old2}\n"));
    let r = run(bin().current_dir(d).args(["dir", ".", "--baseline-out", "base.json"]));
    assert_eq!(r.code, 1, "the scan itself still reports");
    let text = fs::read_to_string(d.join("base.json")).unwrap();
    assert!(!text.contains(&old1) && !text.contains(&old2), "no raw secret in the baseline");
    let b: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(b["findings"].as_array().unwrap().len(), 2);
    run(bin().current_dir(d).args(["dir", ".", "--baseline-out", "again.json"]));
    assert_eq!(text, fs::read_to_string(d.join("again.json")).unwrap(), "stable: sorted, no timestamps");
    let (v, r) = scan_json(d, &["dir", ".", "--baseline", "base.json"]);
    assert!(findings(&v).is_empty() && r.code == 0);
    assert_eq!(v["summary"]["baselined"], 2);
    // Lines moved: still suppressed.
    write(d, "app.env", &format!("# moved\n\nB={old2}\nA={old1}\n"));
    let (v, _) = scan_json(d, &["dir", ".", "--baseline", "base.json", "--revoke-hook", "touch hooked"]);
    assert!(findings(&v).is_empty());
    assert!(!d.join("hooked").exists(), "baselined keys are not revoked");
    // A new secret on an old line: reported; the old entry is stale.
    write(d, "app.env", &format!("# moved\n\nB={old2}\nA={new}\n"));
    let (v, r) = scan_json(d, &["dir", ".", "--baseline", "base.json"]);
    assert_eq!(findings(&v)[0]["secret_sha256"], sha256_hex(&new));
    assert_eq!((r.code, v["summary"]["baselined"].as_u64()), (1, Some(1)));
    let stale = v["summary"]["baseline_stale"].as_array().unwrap();
    assert_eq!((stale.len(), stale[0]["secret_sha256"].as_str()), (1, Some(sha256_hex(&old1).as_str())));
    assert!(
        r.stderr.contains("baseline entry matched nothing: lfk-secret-key app.env lfk_sk_…"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains(&old1) && !r.all().contains(&new));
    let text = run(bin().current_dir(d).args(["dir", ".", "--baseline", "base.json"]));
    assert!(
        text.stdout.contains("1 in the baseline (1 baseline entries matched nothing)"),
        "{}",
        text.stdout
    );
}

#[test]
fn baseline_survives_a_rebase_in_git_mode() {
    let t = TestRepo::new();
    let key = Rng::new(112).lfk();
    let c1 = t.commit(Some("refs/heads/main"), &[("cfg/.env", &format!("K={key}\n"))], &[], "one");
    t.head_to("refs/heads/main");
    let base = t.path().join("base.json");
    run(bin().current_dir(t.path()).args(["git", "--baseline-out"]).arg(&base));
    // Rewrite history: same content, new commits (as a rebase would).
    let c2 = t.commit(Some("refs/heads/main"), &[("README", "x\n")], &[], "new root");
    t.commit(
        Some("refs/heads/main"),
        &[("README", "x\n"), ("cfg/.env", &format!("# rebased\nK={key}\n"))],
        &[c2],
        "two",
    );
    let (v, r) = scan_json(t.path(), &["git", "--baseline", base.to_str().unwrap()]);
    assert!(findings(&v).is_empty() && r.code == 0, "{}", r.stdout);
    let _ = c1;
}

#[test]
fn baseline_problems_exit_2_before_scanning() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "k.env", &Rng::new(113).lfk());
    write(d, "bad.json", "{\"version\": 7, \"tool\": \"loftyscan\", \"findings\": []}");
    for (args, says) in [
        (vec!["--baseline", "missing.json"], "cannot read baseline 'missing.json'"),
        (vec!["--baseline", "k.env"], "is not a loftyscan baseline"),
        (vec!["--baseline", "bad.json"], "has version 7"),
        (vec!["--baseline-out", "no/dir/b.json"], "cannot write report to 'no/dir/b.json'"),
    ] {
        let r = run(bin().current_dir(d).args(["dir", ".", "--revoke-hook", "touch hooked"]).args(&args));
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
        assert!(!d.join("hooked").exists());
    }
}

#[test]
fn gitlab_report_has_the_schema_fields() {
    let t = TestRepo::new();
    let mut rng = Rng::new(114);
    let (k1, k2) = (rng.lfk(), rng.lfk());
    let c = t.commit(
        Some("refs/heads/main"),
        &[("a.env", &format!("{k1}\n{k1}\n")), ("b.env", &k2)],
        &[],
        "keys",
    );
    t.head_to("refs/heads/main");
    let r = run(bin().current_dir(t.path()).args(["git", "--format", "gitlab"]));
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(v["version"], "15.0.7");
    let scan = &v["scan"];
    assert_eq!((scan["type"].as_str(), scan["status"].as_str()), (Some("secret_detection"), Some("success")));
    let time = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").unwrap();
    for k in ["start_time", "end_time"] {
        assert!(time.is_match(scan[k].as_str().unwrap()), "{k}");
    }
    for tool in ["analyzer", "scanner"] {
        for f in ["id", "name", "version"] {
            assert!(!scan[tool][f].as_str().unwrap().is_empty());
        }
        assert_eq!(scan[tool]["vendor"]["name"], "loftyscan");
    }
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2, "same key twice in one file is one finding in git mode");
    let ids: std::collections::HashSet<&str> = vulns.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    for x in vulns {
        assert_eq!(x["location"]["commit"]["sha"], c.to_string());
        assert!(x["identifiers"][0]["value"].as_str().unwrap() == "lfk-secret-key");
        assert_eq!(x["severity"], "Critical");
        assert!(x["location"]["start_line"].as_u64().unwrap() >= 1);
        assert!(x.get("raw_source_code_extract").is_none());
    }
    assert!(!r.stdout.contains(&k1) && !r.stdout.contains(&k2));
    // Outside git: the job's commit, or "unknown".
    let r = run(bin()
        .env("CI_COMMIT_SHA", "abc123")
        .args(["stdin", "--format", "gitlab"])
        .write_stdin(k1.clone()));
    assert_eq!(r.json()["vulnerabilities"][0]["location"]["commit"]["sha"], "abc123");
    let r = run(bin().env_remove("CI_COMMIT_SHA").args(["stdin", "--format", "gitlab"]).write_stdin(k1));
    assert_eq!(r.json()["vulnerabilities"][0]["location"]["commit"]["sha"], "unknown");
}
