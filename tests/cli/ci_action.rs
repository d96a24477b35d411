//! action.yml on every kind of event: its shell steps run here against repositories built
//! in temp dirs (a new branch's all-zeros base, no base at all, hostile `args`, fork pull
//! requests, annotations), and every action it and the examples use is pinned by commit.

use std::fs;
use std::path::Path;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::common::*;
use crate::gitrepo::TestRepo;

const ZEROS: &str = "0000000000000000000000000000000000000000";

fn yaml(rel: &str) -> Yaml {
    YamlLoader::load_from_str(&fs::read_to_string(root().join(rel)).unwrap()).unwrap().remove(0)
}

fn step_run(name: &str) -> String {
    let action = yaml("action.yml");
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let s =
        steps.iter().find(|s| s["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("no step {name}"));
    s["run"].as_str().unwrap().to_string()
}

/// Run the step `name` in `dir` with `env`; gives (exit code, stdout+stderr, GITHUB_OUTPUT).
fn run_step(name: &str, dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let temp = tempfile::tempdir().unwrap();
    let bin = temp.path().join("loftyscan/bin");
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("loftyscan"), bin.join("loftyscan")).unwrap();
    let output = temp.path().join("github_output");
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &step_run(name)])
        .current_dir(dir)
        .env("RUNNER_TEMP", temp.path())
        .env("GITHUB_OUTPUT", &output)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), log, fs::read_to_string(&output).unwrap_or_default())
}

/// main has an old key; branch `feature` (checked out, also as origin/feature) adds one.
fn new_branch_repo(rng: &mut Rng) -> (TestRepo, String, String, String) {
    let t = TestRepo::new();
    let (old, new) = (rng.lfk(), rng.lfk());
    let m1 = t.commit(Some("refs/heads/main"), &[("old.env", &format!("K={old}\n"))], &[], "old key");
    let m2 = t.commit(Some("refs/heads/main"), &[("old.env", &format!("K={old}\n")), ("a", "1")], &[m1], "m");
    t.repo.reference("refs/remotes/origin/main", m2, true, "fetch").unwrap();
    let f = t.commit(
        Some("refs/heads/feature"),
        &[("old.env", &format!("K={old}\n")), ("a", "1"), ("new.env", &format!("N={new}\n"))],
        &[m2],
        "new key",
    );
    t.repo.reference("refs/remotes/origin/feature", f, true, "fetch").unwrap();
    t.head_to("refs/heads/feature");
    (t, f.to_string(), old, new)
}

fn sarif_paths(dir: &Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("loftyscan.sarif")).unwrap()).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let uri =
        |r: &serde_json::Value| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].clone();
    results.iter().map(|r| uri(r).as_str().unwrap().to_string()).collect()
}

#[test]
fn new_branch_push_scans_what_no_other_ref_has() {
    let (t, head, _, _) = new_branch_repo(&mut Rng::new(150));
    let env = [("BASE", ZEROS), ("HEAD", head.as_str()), ("SARIF", "loftyscan.sarif"), ("ARGS", "")];
    let by_ref = [("GITHUB_SHA", head.as_str()), ("GITHUB_REF", "refs/heads/feature")];
    let (code, log, out) = run_step("Scan", t.path(), &[&env[..], &by_ref[..]].concat());
    assert_eq!((code, out.trim()), (0, "status=1"), "{log}");
    assert!(log.contains("new ref"), "{log}");
    assert_eq!(sarif_paths(t.path()), ["new.env"], "only the branch's own commit: {log}");
    // By commit id alone (no GITHUB_REF), the same commits.
    let (_, log, out) = run_step("Scan", t.path(), &env);
    assert_eq!((out.trim(), sarif_paths(t.path())), ("status=1", vec!["new.env".to_string()]), "{log}");
    // A new tag on main's tip adds nothing, although origin/main is at the same commit.
    let main = t.repo.refname_to_id("refs/heads/main").unwrap().to_string();
    t.repo.reference("refs/tags/v9", main.parse().unwrap(), true, "tag").unwrap();
    let tag = [("BASE", ZEROS), ("HEAD", &main), ("SARIF", "loftyscan.sarif"), ("ARGS", "")];
    let by_tag = [("GITHUB_SHA", main.as_str()), ("GITHUB_REF", "refs/tags/v9")];
    let (_, log, out) = run_step("Scan", t.path(), &[&tag[..], &by_tag[..]].concat());
    assert_eq!((out.trim(), sarif_paths(t.path()).len()), ("status=0", 0), "{log}");
}

#[test]
fn no_base_scans_the_whole_history() {
    let (t, head, _, _) = new_branch_repo(&mut Rng::new(151));
    let env = [("BASE", ""), ("HEAD", head.as_str()), ("SARIF", "loftyscan.sarif"), ("ARGS", "")];
    let (code, log, out) = run_step("Scan", t.path(), &env);
    assert_eq!((code, out.trim()), (0, "status=1"), "{log}");
    assert!(log.contains("whole history"), "{log}");
    assert_eq!(sarif_paths(t.path()), ["new.env", "old.env"]);
}

#[test]
fn args_are_shell_words_never_expanded() {
    let (t, head, _, _) = new_branch_repo(&mut Rng::new(152));
    let base = t.repo.refname_to_id("refs/heads/main").unwrap().to_string();
    // A quoted path with a space is one word: this baseline accepts the new key.
    let b = run(bin().current_dir(t.path()).args(["git", "--range", &format!("{base}..{head}")]).args([
        "--no-progress",
        "--baseline-out",
        "my baseline.json",
    ]));
    assert_eq!(b.code, 1, "{}", b.all());
    let call = |args: &str| {
        let env =
            [("BASE", base.as_str()), ("HEAD", head.as_str()), ("SARIF", "loftyscan.sarif"), ("ARGS", args)];
        run_step("Scan", t.path(), &env)
    };
    let (_, log, out) = call("--fail-on warning --baseline 'my baseline.json'");
    assert_eq!(out.trim(), "status=0", "{log}");
    // Command substitution, variables and globs reach loftyscan as plain text.
    let (_, log, out) = call("--rules '$(touch pwned)' --rules $HOME --rules *");
    assert_eq!(out.trim(), "status=2", "{log}");
    assert!(!t.path().join("pwned").exists(), "ARGS was executed: {log}");
    assert!(log.contains("$(touch pwned)") || log.contains("cannot read rule file"), "{log}");
    let (code, log, out) = call("--baseline 'unbalanced");
    assert_eq!((code, out.trim()), (0, "status=2"), "{log}");
}

#[test]
fn upload_is_skipped_where_the_token_cannot_write_and_never_fails_a_clean_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let decide = |wanted: &str, status: &str, fork: &str, actor: &str| {
        let env = [("WANTED", wanted), ("STATUS", status), ("FORK", fork), ("ACTOR", actor)];
        let (code, log, out) = run_step("Decide on the SARIF upload", tmp.path(), &env);
        assert_eq!(code, 0, "{log}");
        (out.trim().to_string(), log)
    };
    assert_eq!(decide("true", "0", "false", "ann").0, "upload=true");
    assert_eq!(decide("true", "1", "false", "ann").0, "upload=true");
    let (out, log) = decide("true", "0", "true", "ann");
    assert!(out == "upload=false" && log.contains("fork"), "{log}");
    assert_eq!(decide("true", "0", "false", "dependabot[bot]").0, "upload=false");
    assert_eq!(decide("true", "2", "false", "ann").0, "upload=false");
    assert_eq!(decide("false", "1", "false", "ann").0, "upload=false");
    // The upload may fail without failing the job: only the scan's status decides.
    let action = yaml("action.yml");
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let upload = steps.iter().find(|s| s["id"].as_str() == Some("sarif")).unwrap();
    assert_eq!(upload["continue-on-error"].as_bool(), Some(true));
    let (code, _, _) = run_step("Fail on live keys", tmp.path(), &[("STATUS", "0")]);
    assert_eq!(code, 0);
    let (code, log, _) = run_step("Report a failed upload", tmp.path(), &[]);
    assert!(code == 0 && log.contains("::warning::"), "{log}");
}

#[test]
fn findings_are_annotated_with_hostile_paths_escaped() {
    let t = TestRepo::new();
    let key = Rng::new(153).lfk();
    let name = "we,ird:na%me\n::error::pwned.env";
    t.commit(Some("refs/heads/main"), &[(name, &format!("K={key}\n"))], &[], "k");
    t.head_to("refs/heads/main");
    let r = run(bin().current_dir(t.path()).args([
        "git",
        "--format",
        "sarif",
        "-o",
        "loftyscan.sarif",
        "--no-progress",
    ]));
    assert_eq!(r.code, 1, "{}", r.all());
    let (code, log, _) = run_step("Annotate findings", t.path(), &[("SARIF", "loftyscan.sarif")]);
    assert_eq!(code, 0, "{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 1, "one annotation, no injected command: {log}");
    assert!(
        lines[0].starts_with("::error file=we%2Cird%3Ana%25me%0A%3A%3Aerror%3A%3Apwned.env,line=1::"),
        "{log}"
    );
    assert!(!log.contains(&key), "{log}");
}

#[test]
fn actions_are_pinned_by_commit_and_the_workflow_has_its_permissions() {
    let pinned = regex::Regex::new(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$").unwrap();
    let mut uses = Vec::new();
    for s in yaml("action.yml")["runs"]["steps"].as_vec().unwrap() {
        uses.extend(s["uses"].as_str().map(str::to_string));
    }
    let wf = yaml("examples/ci/github-workflow.yml");
    for s in wf["jobs"]["loftyscan"]["steps"].as_vec().unwrap() {
        uses.extend(s["uses"].as_str().filter(|u| !u.starts_with("your-org/")).map(str::to_string));
    }
    assert!(uses.iter().any(|u| u.starts_with("github/codeql-action/upload-sarif@")), "{uses:?}");
    for u in &uses {
        assert!(pinned.is_match(u), "{u} is not pinned by a commit id");
    }
    for (k, v) in [("contents", "read"), ("security-events", "write"), ("actions", "read")] {
        assert_eq!(wf["permissions"][k].as_str(), Some(v), "{k}");
    }
    let events = wf["on"].as_hash().unwrap();
    for e in ["pull_request", "push", "workflow_dispatch", "schedule"] {
        assert!(events.contains_key(&Yaml::String(e.into())), "{e}");
    }
}
