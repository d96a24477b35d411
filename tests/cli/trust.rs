//! Attacks on the scan (issue #12): settings files used as an oracle; a change that tries
//! to blind `--range` or `--staged`; terminal escapes; keys in names. Every attack is
//! built in a temporary directory or repository (outputs and the hook: `trust_io.rs`).

use std::fs;

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// No raw key, no `needle` from a settings file, on any stream.
fn clean(r: &Run, needles: &[&str]) {
    for n in needles {
        assert!(!r.all().contains(n), "leaks {:?}: {}", &n[..n.len().min(12)], r.all());
    }
}

#[test]
fn settings_files_are_no_oracle_for_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, outside) = (tmp.path().join("repo"), tmp.path().join("home"));
    let mut rng = Rng::new(1203);
    let k = rng.lfk();
    write(&outside, ".aws/credentials", &format!("[default]\naws_secret_access_key = {k}\n"));
    write(&root, "secrets.env", &format!("TOKEN={k}\n"));
    write(&root, "big.toml", &"# padding\n".repeat(200_000));
    let canary = "CANARY_VALUE_0123456789";
    let cases: Vec<(String, &str)> = vec![
        ("rules = ['/proc/self/environ']\n".into(), "outside the scanned root"),
        ("rules = ['../home/.aws/credentials']\n".into(), "outside the scanned root"),
        ("rules = ['/dev/zero']\n".into(), "outside the scanned root"),
        ("rules = ['secrets.env']\n".into(), "rule file"),
        ("rules = ['big.toml']\n".into(), "limit"),
        (format!("format = '{k}'\n"), "unknown variant"),
        (format!("disable = ['{k}']\n"), "no rule has the id"),
        (format!("rules = 7\nx = '{k}'\n"), "invalid type"),
        (format!("{k} = 1\n"), "unknown field"),
        (format!("[allowlist]\npaths = ['{k}', 3]\n"), ".loftyscan.toml:2:"),
        (format!("TOKEN={k}\n"), ".loftyscan.toml:1:"),
    ];
    for (text, says) in &cases {
        write(&root, ".loftyscan.toml", text);
        let r = run(bin().current_dir(&root).env("LOFTY_CANARY", canary).args(["dir", ".", "--no-progress"]));
        assert_eq!(r.code, 2, "{text}: {}", r.all());
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
        clean(&r, &[&k, &k[7..20], canary]);
    }
    fs::remove_file(root.join(".loftyscan.toml")).unwrap();
    // A config that is a link out of the tree is refused too.
    std::os::unix::fs::symlink("/proc/self/environ", root.join(".loftyscan.toml")).unwrap();
    let r = run(bin().current_dir(&root).env("LOFTY_CANARY", canary).args(["dir", "."]));
    assert!(r.code == 2 && r.stderr.contains("outside"), "{}", r.stderr);
    clean(&r, &[canary]);
    fs::remove_file(root.join(".loftyscan.toml")).unwrap();
    // The command line may point anywhere, but still gets no content in errors, and a cap.
    for args in [
        vec!["--rules", "secrets.env"],
        vec!["--rules", "../home/.aws/credentials"],
        vec!["--config", "secrets.env"],
        vec!["--baseline", "secrets.env"],
        vec!["--rules", "/dev/zero"],
        vec!["--rules", "/proc/self/environ"],
    ] {
        let r = run(bin().current_dir(&root).env("LOFTY_CANARY", canary).args(["dir", "."]).args(&args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.all());
        clean(&r, &[&k, &k[7..20], canary]);
    }
}

fn base_and_head(t: &TestRepo, base: Files, head: Files) -> String {
    let a = t.commit(Some("refs/heads/main"), base, &[], "base");
    t.commit(Some("refs/heads/pr"), head, &[a], "pr");
    format!("{a}..pr")
}

use crate::gitrepo::Files;

const EVIL_RULE: &str = "[[rules]]\nid='mine'\ntitle='t'\ndescription='d'\nhelp='h'\nlevel='warning'\nsecurity_severity=1.0\npriority=100\nanchors=['lfk_sk_']\npattern='lfk_sk_[A-Za-z0-9]{40}'\n";

#[test]
fn a_range_cannot_blind_the_scan_with_settings_it_adds() {
    let mut rng = Rng::new(1204);
    let k = rng.lfk();
    let env = format!("K={k}\n");
    let base_cfg = "[allowlist]\npaths = ['fixtures/']\n";
    let attacks: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![(".loftyscan.toml", "[allowlist]\npaths = ['**']\n".into())], ".loftyscan.toml"),
        (
            vec![(".loftyscan.toml", "disable = ['lfk-secret-key', 'lofty-api-key']\n".into())],
            ".loftyscan.toml",
        ),
        (
            vec![(".loftyscan.toml", "rules = ['evil.toml']\n".into()), ("evil.toml", EVIL_RULE.into())],
            "evil.toml",
        ),
        (vec![(".loftyscan-baseline.json", baseline_of(&k, "app.env"))], ".loftyscan-baseline.json"),
    ];
    for (files, changed) in attacks {
        let t = TestRepo::new();
        let other = baseline_of(&rng.lfk(), "old.env");
        let mut head: Vec<(&str, &str)> =
            vec![(".loftyscan.toml", base_cfg), (".loftyscan-baseline.json", &other), ("app.env", &env)];
        for (p, text) in &files {
            head.retain(|(q, _)| q != p);
            head.push((p, text));
        }
        let base_files = [(".loftyscan.toml", base_cfg), (".loftyscan-baseline.json", other.as_str())];
        let range = base_and_head(&t, &base_files, &head);
        // The work tree holds the attacker's files too, as a CI checkout of the head does.
        for (p, text) in &head {
            write(t.path(), p, text);
        }
        let base = ["git", "--range", &range, "--baseline", ".loftyscan-baseline.json", "--no-progress"];
        let r = run(bin().current_dir(t.path()).args(base));
        assert_eq!(r.code, 1, "{changed}: the key is still reported: {}", r.all());
        assert!(r.stdout.contains("app.env:1:3: error lfk-secret-key"), "{}", r.stdout);
        assert!(r.stderr.contains("touches scanner settings") && r.stderr.contains(changed), "{}", r.stderr);
        assert!(r.stdout.contains("settings changed by this change"), "{}", r.stdout);
        let j = run(bin().current_dir(t.path()).args(base).args(["--format", "json"])).json();
        let changes = j["summary"]["settings_changes"].as_array().unwrap();
        assert!(changes.iter().any(|c| c["path"] == changed), "{changes:?}");
        assert_eq!(j["summary"]["settings_from"].as_str().unwrap().len(), "base commit ".len() + 12);
        let s: Value = run(bin().current_dir(t.path()).args(base).args(["--format", "sarif"])).json();
        let notes = &s["runs"][0]["invocations"][0]["toolConfigurationNotifications"];
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == changed)
        );
        let g: Value = run(bin().current_dir(t.path()).args(base).args(["--format", "gitlab"])).json();
        assert!(g["scan"]["messages"].to_string().contains(changed), "{}", g["scan"]);
        clean(&r, &[&k]);
    }
}

fn baseline_of(k: &str, path: &str) -> String {
    format!(
        "{{\"version\":1,\"tool\":\"loftyscan\",\"findings\":[{{\"rule_id\":\"lfk-secret-key\",\"path\":\"{path}\",\"secret_sha256\":\"{}\",\"redacted\":\"lfk_sk_…{}\"}}]}}\n",
        sha256_hex(k),
        &k[k.len() - 4..]
    )
}

#[test]
fn the_base_settings_apply_and_disabled_rules_are_counted() {
    let mut rng = Rng::new(1205);
    let (old, new) = (rng.lfk(), rng.lfk());
    let cfg = "disable = ['lfk-secret-key']\n";
    let t = TestRepo::new();
    let bl = baseline_of(&old, "app.env");
    let range = base_and_head(
        &t,
        &[(".loftyscan.toml", "[allowlist]\npaths = ['vendor/']\n"), (".loftyscan-baseline.json", &bl)],
        &[
            (".loftyscan.toml", "[allowlist]\npaths = ['vendor/']\n"),
            (".loftyscan-baseline.json", &bl),
            ("vendor/x.env", &format!("K={new}\n")),
            ("app.env", &format!("K={old}\n")),
        ],
    );
    write(t.path(), ".loftyscan-baseline.json", &bl);
    let (v, r) = scan_json(t.path(), &["git", "--range", &range, "--baseline", ".loftyscan-baseline.json"]);
    assert_eq!(
        (r.code, findings(&v).len()),
        (0, 0),
        "base allowlist and tracked baseline apply: {}",
        r.stdout
    );
    assert_eq!(
        (v["summary"]["path_allowlisted"].as_u64(), v["summary"]["baselined"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["summary"]["settings_changes"], serde_json::json!([]));
    // A rule disabled by the base is counted, with what it suppressed.
    let t = TestRepo::new();
    let range = base_and_head(&t, &[(".loftyscan.toml", cfg)], &[(".loftyscan.toml", cfg), ("a.env", &new)]);
    let (v, r) = scan_json(t.path(), &["git", "--range", &range]);
    assert_eq!(v["summary"]["disabled"], 1);
    assert_eq!(v["summary"]["disabled_rules"], serde_json::json!(["lfk-secret-key"]));
    let text = run(bin().current_dir(t.path()).args(["git", "--range", &range]));
    assert!(
        text.stdout.contains("1 finding suppressed by disabled rules (lfk-secret-key)"),
        "{}",
        text.stdout
    );
    assert_eq!(r.code, 0);
    // A base config that is a link to /proc/self/environ is not read.
    let t = TestRepo::new();
    let link = t.repo.blob(b"/proc/self/environ").unwrap();
    let mut tb = t.repo.treebuilder(None).unwrap();
    tb.insert(".loftyscan.toml", link, 0o120000).unwrap();
    let a = t.commit_tree(Some("refs/heads/main"), tb.write().unwrap(), &[], "base");
    t.commit(Some("refs/heads/pr"), &[("a.env", &new)], &[a], "pr");
    let r = run(bin().current_dir(t.path()).env("LOFTY_CANARY", "CANARY_42").args([
        "git",
        "--range",
        &format!("{a}..pr"),
    ]));
    assert!(r.code == 2 && r.stderr.contains("not a regular file"), "{}", r.stderr);
    clean(&r, &["CANARY_42"]);
}

#[test]
fn markers_a_change_adds_are_counted_listed_and_suppressed_in_sarif() {
    let mut rng = Rng::new(1206);
    let k = rng.lfk();
    let t = TestRepo::new();
    let marked = format!("K={k} # loftyscan:allow\n");
    let range = base_and_head(&t, &[("README", "hi\n")], &[("README", "hi\n"), ("a.env", &marked)]);
    let r = run(bin().current_dir(t.path()).args(["git", "--range", &range, "--format", "sarif"]));
    assert_eq!(r.code, 0, "a marker is a deliberate choice: it does not fail the scan");
    assert!(
        r.stderr.contains("suppressed by an inline marker") && r.stderr.contains("a.env:1:3"),
        "{}",
        r.stderr
    );
    let v = r.json();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(v["runs"][0]["properties"]["suppressed"]["marker"], 1);
    let (j, _) = scan_json(t.path(), &["git", "--range", &range]);
    assert_eq!((findings(&j).len(), j["suppressed"].as_array().unwrap().len()), (0, 1));
    clean(&r, &[&k]);
    let f = t.path().join("r.sarif");
    fs::write(&f, &r.stdout).unwrap();
    validate_sarif(&f);
}

#[test]
fn staged_reads_settings_from_head_and_reports_staged_changes() {
    let mut rng = Rng::new(1207);
    let k = rng.lfk();
    let t = TestRepo::new();
    let c = t.commit(Some("refs/heads/main"), &[("README", "hi\n")], &[], "base");
    t.head_to("refs/heads/main");
    t.reset_index(c);
    t.stage(".loftyscan.toml", "[allowlist]\npaths = ['**']\n");
    t.stage("a.env", &format!("K={k}\n"));
    write(t.path(), ".loftyscan.toml", "[allowlist]\npaths = ['**']\n");
    let r = run(bin().current_dir(t.path()).args(["git", "--staged", "--no-progress"]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("a.env:1:3: error") && r.stderr.contains("'.loftyscan.toml' added"),
        "{}",
        r.all()
    );
    assert!(r.stdout.contains("read from the HEAD"), "{}", r.stdout);
    clean(&r, &[&k]);
}

#[test]
fn terminal_escapes_from_settings_and_paths_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "x.txt", "acme_12345678\n");
    let esc = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
    let rule = format!(
        "[[rules]]\nid='acme'\ntitle='T{esc}'\ndescription='d'\nhelp='h'\nlevel='error'\nsecurity_severity=5.0\nanchors=['acme_']\npattern='acme_[0-9]{{8}}'\n"
    );
    write(d, "r.toml", &rule);
    let bl = format!(
        "{{\"version\":1,\"tool\":\"loftyscan\",\"findings\":[{{\"rule_id\":\"r{esc}\",\"path\":\"p{esc}\",\"secret_sha256\":\"00\",\"redacted\":\"…{esc}\"}}]}}"
    );
    write(d, "b.json", &bl);
    let runs = [
        run(bin().current_dir(d).args([
            "dir",
            ".",
            "--rules",
            "r.toml",
            "--baseline",
            "b.json",
            "--color",
            "never",
        ])),
        run(bin().current_dir(d).args(["rules", "--rules", "r.toml"])),
        run(bin().current_dir(d).args(["dir", &format!("missing{esc}")])),
        run(bin().current_dir(d).args(["dir", ".", "--rules", &format!("r{esc}.toml")])),
    ];
    for r in runs {
        assert!(!r.all().contains('\u{1b}') && !r.all().contains('\u{7}'), "raw escape: {:?}", r.all());
    }
    write(d, ".loftyscan.toml", &format!("disable = ['{esc}']\n"));
    let r = run(bin().current_dir(d).args(["dir", "."]));
    assert!(r.code == 2 && !r.all().contains('\u{1b}'), "{:?}", r.all());
}

#[test]
fn a_marker_hidden_in_a_gzip_is_listed_too() {
    let k = Rng::new(1209).lfk();
    let t = TestRepo::new();
    let a = t.commit(Some("refs/heads/main"), &[("README", "hi\n")], &[], "base");
    let gz = gzip(format!("K={k} # gitleaks:allow\n").as_bytes(), "dump.sql");
    let blob = t.repo.blob(&gz).unwrap();
    let mut tb = t.repo.treebuilder(None).unwrap();
    tb.insert("dump.sql.gz", blob, 0o100644).unwrap();
    t.commit_tree(Some("refs/heads/pr"), tb.write().unwrap(), &[a], "pr");
    let (v, r) = scan_json(t.path(), &["git", "--range", &format!("{a}..pr")]);
    assert_eq!(v["suppressed"][0]["path"], "dump.sql.gz", "{}", r.stdout);
    assert!(r.stderr.contains("dump.sql.gz!dump.sql:1:3"), "{}", r.stderr);
    clean(&r, &[&k]);
}

#[test]
fn keys_in_names_are_findings_and_are_redacted_wherever_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(1210);
    let (k1, k2, k3, k4) = (rng.lfk(), rng.lfk(), rng.lfk(), rng.lfk());
    write(d, &format!("{k1}/notes.txt"), &format!("K={k2}\n"));
    write(d, &format!("backup-{k3}.env"), "nothing here\n");
    fs::write(d.join("a.zip"), zip(&[(&format!("{k4}.txt"), b"hello\n", false)], None)).unwrap();
    for format in ["text", "json", "sarif", "gitlab"] {
        let r = run(bin().current_dir(d).args(["dir", ".", "--no-progress", "--format", format]));
        assert_eq!(r.code, 1, "{}", r.all());
        clean(&r, &[&k1, &k2, &k3, &k4, &k1[7..], &k3[7..], &k4[7..]]);
    }
    let (v, _) = scan_json(d, &["dir", "."]);
    let f = findings(&v);
    let in_name: Vec<&Value> = f.iter().filter(|f| f["in_name"] == true).collect();
    assert_eq!(in_name.len(), 3, "{f:?}");
    let shas: Vec<String> = [&k1, &k3, &k4].iter().map(|k| sha256_hex(k)).collect();
    assert!(in_name.iter().all(|f| shas.contains(&f["secret_sha256"].as_str().unwrap().to_string())));
    let content = f.iter().find(|f| f["secret_sha256"] == sha256_hex(&k2)).unwrap();
    assert!(content["path"].as_str().unwrap().starts_with("lfk_sk_…"), "{content}");
    // A baseline written from it holds no raw key either.
    run(bin().current_dir(d).args(["dir", ".", "--baseline-out", "b.json"]));
    let bl = fs::read_to_string(d.join("b.json")).unwrap();
    assert!(![&k1, &k2, &k3, &k4].iter().any(|k| bl.contains(&k[7..])));
    // stdin --name, and a path a range adds.
    let r = run(bin().current_dir(d).args(["stdin", "--name", &k1, "--format", "json"]).write_stdin("x\n"));
    assert_eq!((r.code, findings(&r.json()).len()), (1, 1));
    clean(&r, &[&k1[7..]]);
    let t = TestRepo::new();
    let range =
        base_and_head(&t, &[("README", "hi\n")], &[("README", "hi\n"), (&format!("keys/{k3}"), "x\n")]);
    let r = run(bin().current_dir(t.path()).args(["git", "--range", &range, "--format", "json"]));
    let f = findings(&r.json());
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(f[0]["commit"].is_string() && f[0]["in_name"] == true);
    clean(&r, &[&k3[7..]]);
}

#[test]
fn a_key_in_a_ref_name_is_a_finding_in_history_scans() {
    let k = Rng::new(1211).lfk();
    let t = TestRepo::new();
    t.commit(Some(&format!("refs/heads/{k}")), &[("README", "hi\n")], &[], "c");
    let r = run(bin().current_dir(t.path()).args(["git", "--format", "json", "--no-progress"]));
    let f = findings(&r.json());
    assert_eq!(f.len(), 1, "{}", r.all());
    assert!(f[0]["path"].as_str().unwrap().starts_with("refs/heads/lfk_sk_…"));
    clean(&r, &[&k[7..]]);
}
