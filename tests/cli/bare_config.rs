//! A bare repository has no work tree: its whole history is scanned with the settings
//! committed at HEAD (as a clone of it would be), never a `.loftyscan.toml` lying in its
//! git directory or in the current directory; `--config`/`--no-config` override, and
//! `--range` still reads the base commit's settings.

use crate::common::*;
use crate::gitrepo::TestRepo;

const SETTINGS: &str = "rules = [\"ci/acme-rules.toml\"]\n[allowlist]\npaths = [\"fixtures/\"]\n";
const ACME: &str = "acme_5f2c9e01b7d4a8e36c0f92d15b7ae4c8";

/// HEAD commits a settings file (a custom rule, an allowlisted path) and three keys: one
/// only the custom rule finds, one under the allowlisted path, one plain.
fn bare_with_settings(seed: u64) -> (TestRepo, String, String) {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rules = crate::readme::block_with(&text, "id = \"acme-token\"").to_string();
    let mut rng = Rng::new(seed);
    let (plain, fixture) = (rng.lfk(), rng.lfk());
    let t = TestRepo::bare();
    let files = [
        (".loftyscan.toml", SETTINGS),
        ("ci/acme-rules.toml", rules.as_str()),
        ("app.env", &format!("K={plain}\nT = {ACME}\n")),
        ("fixtures/sample.env", &format!("K={fixture}\n")),
    ];
    t.commit(Some("refs/heads/main"), &files, &[], "settings");
    t.head_to("refs/heads/main");
    (t, plain, fixture)
}

fn rule_ids(v: &serde_json::Value) -> Vec<String> {
    findings(v)
        .iter()
        .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["rule_id"].as_str().unwrap()))
        .collect()
}

#[test]
fn bare_history_uses_heads_settings_not_files_in_the_git_or_current_directory() {
    let (t, _, _) = bare_with_settings(1410);
    // Planted files that would hide every Trust Leads key if they were read.
    let planted = "disable = [\"lfk-secret-key\"]\n";
    write(t.path(), ".loftyscan.toml", planted);
    let cwd = tempfile::tempdir().unwrap();
    write(cwd.path(), ".loftyscan.toml", planted);
    let r = run(bin().current_dir(cwd.path()).arg("git").arg(t.path()).args([
        "--format",
        "json",
        "--no-progress",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    let want = ["app.env:lfk-secret-key", "app.env:acme-token", "ci/acme-rules.toml:acme-token"];
    assert_eq!(rule_ids(&v), want, "the custom rule is on (its own example too), fixtures/ allowlisted");
    assert_eq!(v["summary"]["path_allowlisted"], 1);
    let from = v["summary"]["settings_from"].as_str().unwrap();
    assert!(from.starts_with("HEAD commit ") && from.len() == 24, "{from}");
    let note = format!(
        "a bare repository has no work tree: settings (.loftyscan.toml and the rule files it names) were read from the {from}"
    );
    assert!(r.stderr.contains(&note), "{}", r.stderr);
    // The same repository as a clone (work tree = HEAD) is scanned with the same settings.
    let clone = tempfile::tempdir().unwrap();
    git2::Repository::clone(t.path().to_str().unwrap(), clone.path()).unwrap();
    let (cv, _) = scan_json(clone.path(), &["git"]);
    assert_eq!(rule_ids(&cv), rule_ids(&v), "bare and clone agree");
}

#[test]
fn config_flags_override_and_an_empty_head_reads_nothing() {
    let (t, _, _) = bare_with_settings(1411);
    let (v, r) = scan_json(t.path(), &["git", ".", "--no-config"]);
    assert_eq!(
        rule_ids(&v),
        ["app.env:lfk-secret-key", "fixtures/sample.env:lfk-secret-key"],
        "{}",
        r.stderr
    );
    assert!(v["summary"].get("settings_from").is_none() && !r.stderr.contains("settings ("));
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "mine.toml", "disable = [\"lfk-secret-key\"]\n");
    let (v, _) =
        scan_json(t.path(), &["git", ".", "--config", other.path().join("mine.toml").to_str().unwrap()]);
    assert_eq!(rule_ids(&v), Vec::<String>::new(), "--config FILE is read instead");
    let empty = TestRepo::bare();
    write(empty.path(), ".loftyscan.toml", "not toml [");
    let (v, r) = scan_json(empty.path(), &["git", "."]);
    assert!(
        findings(&v).is_empty() && r.code == 0,
        "no HEAD: the git directory's file is not read: {}",
        r.stderr
    );
    assert_eq!(v["summary"]["settings_from"], "HEAD, which has no commit yet (built-in rules only)");
}

#[test]
fn range_in_a_bare_repository_still_reads_the_base_commits_settings() {
    let mut rng = Rng::new(1412);
    let key = rng.lfk();
    let t = TestRepo::bare();
    let base = t.commit(Some("refs/heads/main"), &[("a.txt", "a\n")], &[], "base");
    // The head commit adds a key and a settings file that allowlists it: not applied.
    let files =
        [(".loftyscan.toml", "[allowlist]\npaths = [\"leak.env\"]\n"), ("leak.env", &format!("K={key}\n"))];
    let head = t.commit(Some("refs/heads/main"), &files, &[base], "head");
    t.head_to("refs/heads/main");
    let range = format!("{base}..{head}");
    let (v, r) = scan_json(t.path(), &["git", ".", "--range", &range]);
    assert_eq!(rule_ids(&v), ["leak.env:lfk-secret-key"], "{}", r.stderr);
    assert!(v["summary"]["settings_from"].as_str().unwrap().starts_with("base commit "));
    assert!(
        r.stderr.contains("this change touches scanner settings: '.loftyscan.toml' added"),
        "{}",
        r.stderr
    );
    // A whole-history scan reads HEAD's settings (the repository's own, as a clone would).
    let (v, _) = scan_json(t.path(), &["git", "."]);
    assert_eq!(v["summary"]["path_allowlisted"], 1);
}
