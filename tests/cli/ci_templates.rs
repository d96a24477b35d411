//! The CI templates in the repository: valid YAML, and their commands, run here against a
//! repository built in a temporary directory, do what they promise.

use std::fs;
use std::path::Path;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::common::*;
use crate::gitrepo::TestRepo;

fn load(rel: &str) -> Yaml {
    let text = fs::read_to_string(root().join(rel)).unwrap();
    let mut docs =
        YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
    assert_eq!(docs.len(), 1, "{rel}");
    docs.remove(0)
}

/// A repository whose last commit adds a live key: `(repo, base, head)`.
fn repo_adding_a_key() -> (TestRepo, String, String) {
    let t = TestRepo::new();
    let base = t.commit(Some("refs/heads/main"), &[("README.md", "hi\n")], &[], "base");
    let key = Rng::new(120).lfk();
    let head = t.commit(
        Some("refs/heads/main"),
        &[("README.md", "hi\n"), ("deploy/app.env", &format!("K={key}\n"))],
        &[base],
        "pr",
    );
    t.head_to("refs/heads/main");
    (t, base.to_string(), head.to_string())
}

/// A directory holding the loftyscan under test, for PATH or `$RUNNER_TEMP/loftyscan/bin`.
fn bin_dir(under: &Path) -> std::path::PathBuf {
    let dir = under.join("loftyscan/bin");
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("loftyscan"), dir.join("loftyscan")).unwrap();
    dir
}

#[test]
fn templates_are_valid_yaml() {
    for rel in [
        "action.yml",
        "examples/ci/github-workflow.yml",
        "examples/ci/gitlab-ci.yml",
        ".pre-commit-hooks.yaml",
    ] {
        let doc = load(rel);
        assert!(!doc.is_badvalue() && !doc.is_null(), "{rel}");
    }
    let wf = load("examples/ci/github-workflow.yml");
    assert_eq!(wf["permissions"]["security-events"].as_str(), Some("write"));
    let job = &load("examples/ci/gitlab-ci.yml")["loftyscan_secret_detection"];
    assert_eq!(
        job["artifacts"]["reports"]["secret_detection"].as_str(),
        Some("gl-secret-detection-report.json")
    );
}

#[test]
fn github_action_steps_scan_the_range_write_sarif_and_fail() {
    let (t, base, head) = repo_adding_a_key();
    let action = load("action.yml");
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let step = |name: &str| steps.iter().find(|s| s["name"].as_str() == Some(name)).unwrap();
    let runner_temp = tempfile::tempdir().unwrap();
    bin_dir(runner_temp.path());
    let output = runner_temp.path().join("github_output");
    let scan = step("Scan")["run"].as_str().unwrap();
    let status = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", scan])
        .current_dir(t.path())
        .env("RUNNER_TEMP", runner_temp.path())
        .env("GITHUB_OUTPUT", &output)
        .envs([("BASE", base.as_str()), ("HEAD", head.as_str()), ("SARIF", "loftyscan.sarif"), ("ARGS", "")])
        .status()
        .unwrap();
    assert!(status.success(), "the scan step records the status instead of failing");
    assert_eq!(fs::read_to_string(&output).unwrap().trim(), "status=1");
    let sarif: serde_json::Value =
        serde_json::from_slice(&fs::read(t.path().join("loftyscan.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/app.env"
    );
    let fail = step("Fail on live keys")["run"].as_str().unwrap();
    let status =
        Command::new("bash").args(["-eo", "pipefail", "-c", fail]).env("STATUS", "1").status().unwrap();
    assert_eq!(status.code(), Some(1), "the job fails on findings");
}

#[test]
fn gitlab_job_script_writes_its_reports_and_fails() {
    let (t, base, head) = repo_adding_a_key();
    let job = &load("examples/ci/gitlab-ci.yml")["loftyscan_secret_detection"];
    let lines: Vec<&str> = job["script"].as_vec().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(lines[0].starts_with("cargo install"), "the first line installs loftyscan");
    let script = lines[1..].join("\n");
    let tools = tempfile::tempdir().unwrap();
    let path = format!("{}:{}", bin_dir(tools.path()).display(), std::env::var("PATH").unwrap());
    let status = Command::new("bash")
        .args(["-eo", "pipefail", "-c", &script])
        .current_dir(t.path())
        .env("PATH", path)
        .envs([("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.as_str()), ("CI_COMMIT_SHA", head.as_str())])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "the job fails on findings");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(t.path().join("gl-secret-detection-report.json")).unwrap()).unwrap();
    let v = &report["vulnerabilities"][0];
    assert_eq!(
        (v["location"]["file"].as_str(), v["location"]["commit"]["sha"].as_str()),
        (Some("deploy/app.env"), Some(head.as_str()))
    );
    assert!(t.path().join("loftyscan.sarif").is_file());
}
