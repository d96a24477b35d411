//! What scripts migrating from gitleaks and Kingfisher pass: `--redact`, `--exit-code N`,
//! `-q`/`-v`, `version`, `dir --max-target-megabytes`, `--revoke-dry-run` alone, `rules
//! --format sarif`, and the small text fixes (a gzip with no stored name, `[revoked: …]`).

use std::fs;
use std::io::Write;

use crate::common::*;

fn tree_with_key(seed: u64) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let key = Rng::new(seed).lfk();
    write(tmp.path(), "a.env", &format!("K={key}\n"));
    (tmp, key)
}

#[test]
fn exit_code_redact_quiet_verbose_and_version() {
    let (tmp, key) = tree_with_key(170);
    let r = run(bin().current_dir(tmp.path()).args(["dir", "--exit-code", "7", "--redact", "--no-progress"]));
    assert_eq!(r.code, 7, "{}", r.all());
    assert!(r.stdout.contains("a.env:1:3") && !r.all().contains(&key), "{}", r.all());
    let r = run(bin().current_dir(tmp.path()).args(["dir", "--exit-code", "0"]));
    assert_eq!(r.code, 0, "--exit-code 0 never fails");
    for bad in ["2", "300", "x"] {
        let r = run(bin().args(["dir", "--exit-code", bad]));
        assert_eq!(r.code, 2, "--exit-code {bad}: {}", r.all());
    }
    let r = run(bin().args(["dir", "--redact", "--show-secrets"]));
    assert_eq!(r.code, 2, "--redact and --show-secrets contradict: {}", r.all());
    let out = tmp.path().join("out.json");
    let r =
        run(bin().current_dir(tmp.path()).args(["dir", "a.env", "-q", "--format", "json", "-o"]).arg(&out));
    assert_eq!((r.code, r.stderr.as_str()), (1, ""), "-q: no summary line on stderr");
    let r = run(bin().current_dir(tmp.path()).args(["dir", "-v", "--no-progress"]));
    assert!(r.stderr.contains("trace:") && r.stderr.contains("peak RSS"), "{}", r.stderr);
    let r = run(bin().arg("version"));
    assert_eq!((r.code, r.stdout.trim()), (0, format!("loftyscan {}", env!("CARGO_PKG_VERSION")).as_str()));
}

#[test]
fn dir_size_cap_is_a_counted_warning() {
    let (tmp, _) = tree_with_key(171);
    let big = Rng::new(172).lfk();
    let mut text = format!("K={big}\n").into_bytes();
    text.resize(3 << 20, b'x');
    fs::write(tmp.path().join("big.log"), &text).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "--max-target-megabytes", "2"]);
    let paths: Vec<String> = findings(&v).iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, ["a.env"], "{}", r.all());
    assert_eq!(v["summary"]["skipped"]["too_large"], 1);
    assert!(r.stderr.contains("'big.log' is 3.0 MiB, over --max-target-megabytes (2.0 MiB)"), "{}", r.stderr);
    let (v, _) = scan_json(tmp.path(), &["dir"]);
    assert_eq!(findings(&v).len(), 2, "no cap by default");
}

#[test]
fn revoke_dry_run_alone_previews_and_runs_nothing() {
    let (tmp, key) = tree_with_key(173);
    let (v, r) = scan_json(tmp.path(), &["dir", "--revoke-dry-run"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("revoke hook (dry run) would receive") && r.stderr.contains("\"path\":\"a.env\"")
    );
    assert!(!r.all().contains(&key), "the preview is redacted");
    assert_eq!(findings(&v)[0]["revocation"]["status"], "skipped");
}

#[test]
fn rules_as_sarif_and_small_text_fixes() {
    let r = run(bin().args(["rules", "--format", "sarif"]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"lfk-secret-key") && ids.contains(&"lofty-api-key"), "{ids:?}");
    // A gzip with no stored name: no empty entry after the `!`.
    let tmp = tempfile::tempdir().unwrap();
    let key = Rng::new(174).lfk();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(format!("K={key}\n").as_bytes()).unwrap();
    fs::write(tmp.path().join("backup.env.gz"), e.finish().unwrap()).unwrap();
    let r = run(bin().current_dir(tmp.path()).args(["dir", "--no-progress"]));
    assert!(r.stdout.contains("backup.env.gz:1:3: error lfk-secret-key"), "{}", r.stdout);
    assert!(!r.stdout.contains("gz!"), "{}", r.stdout);
    // A revoked key reads `[revoked: …]`, not `[revocation revoked: …]`.
    let r = run(bin().current_dir(tmp.path()).args([
        "dir",
        "--no-progress",
        "--revoke-hook",
        "cat >/dev/null; echo done",
    ]));
    assert!(r.stdout.contains("[revoked: done]"), "{}", r.stdout);
}

#[test]
fn baseline_errors_are_in_loftyscans_words_and_an_empty_hook_message_reads_revoked() {
    let (tmp, key) = tree_with_key(175);
    let d = tmp.path();
    let entry = |e: &str| format!("{{\"version\":1,\"tool\":\"loftyscan\",\"findings\":[{e}]}}");
    for (text, says) in [
        (format!("{{\"version\": 1, \"tool\": \"{key}\""), "b.json:1:"),
        ("{\"version\":1,\"tool\":\"loftyscan\",\"extra\":[]}".to_string(), "unexpected field `extra`"),
        (entry("{\"rule_id\":\"lfk-secret-key\"}"), "findings entry 1: `path` is missing or not a string"),
        (entry(&format!("{{\"{key}\":1}}")), "findings entry 1 has an unexpected field (it has only"),
        ("{\"version\":\"one\",\"tool\":\"loftyscan\",\"findings\":[]}".to_string(), "`version` is missing"),
    ] {
        write(d, "b.json", &text);
        let r = run(bin().current_dir(d).args(["dir", "a.env", "--no-progress", "--baseline", "b.json"]));
        assert_eq!(r.code, 2, "{text}: {}", r.all());
        assert!(
            r.stderr.contains("'b.json' is not a loftyscan baseline") && r.stderr.contains(says),
            "{says}: {}",
            r.stderr
        );
        for serde_words in
            [", expected", "invalid type", "unknown field", "missing field", "EOF", " at line "]
        {
            assert!(!r.stderr.contains(serde_words), "serde's wording `{serde_words}`: {}", r.stderr);
        }
        assert!(!r.stderr.contains(&key[7..]), "the file's content is never quoted: {}", r.stderr);
    }
    // A hook that revokes and prints nothing: `[revoked]`, not `[revoked: ]`.
    let r = run(bin().current_dir(d).args(["dir", "--no-progress", "--revoke-hook", "cat >/dev/null"]));
    assert!(r.stdout.contains("lfk-secret-key") && r.stdout.contains(" [revoked]"), "{}", r.stdout);
    assert!(!r.stdout.contains("[revoked: ") && !r.stdout.contains("[revocation revoked"), "{}", r.stdout);
    // One that fails with nothing to say: its exit status, no dangling colon.
    let r =
        run(bin().current_dir(d).args(["dir", "--no-progress", "--revoke-hook", "cat >/dev/null; exit 3"]));
    assert!(r.stdout.contains(" [revocation failed: exit status 3]"), "{}", r.stdout);
}

#[test]
fn audit_log_hook_by_absolute_path_logs_outside_the_scanned_tree() {
    let (tmp, key) = tree_with_key(176);
    let (elsewhere, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let hook = format!("sh {}", root().join("examples/revoke-hooks/audit-log.sh").display());
    // Run from another directory, as a CI job scanning a checkout does.
    let r = run(bin()
        .current_dir(elsewhere.path())
        .env_remove("LOFTYSCAN_AUDIT_LOG")
        .env("XDG_STATE_HOME", state.path())
        .arg("dir")
        .arg(tmp.path())
        .args(["--no-progress", "--revoke-hook", &hook]));
    assert_eq!(r.code, 1, "{}", r.all());
    let log = state.path().join("loftyscan/audit.jsonl");
    let text = fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}; {}", log.display(), r.all()));
    assert!(text.contains(&sha256_hex(&key)) && !text.contains(&key), "{text}");
    let names: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["a.env"], "nothing written into the scanned tree");
    assert!(r.stdout.contains("[revocation failed: exit status 1: recorded in audit log"), "{}", r.stdout);
}

/// A repository of `n` commits, each changing one file, written by `git fast-import`.
fn long_history(dir: &std::path::Path, n: usize) {
    let git = |args: &[&str]| std::process::Command::new("git").current_dir(dir).args(args).output().unwrap();
    assert!(git(&["init", "-q", "-b", "main"]).status.success());
    let mut stream = String::new();
    for i in 0..n {
        let data = format!("line {i}\n");
        stream += &format!(
            "commit refs/heads/main\ncommitter T <t@example.com> {} +0000\ndata 2\nc\n",
            1_700_000_000 + i
        );
        stream += &format!("M 644 inline f{}.txt\ndata {}\n{data}\n", i % 50, data.len());
    }
    let mut child = std::process::Command::new("git")
        .current_dir(dir)
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn odb_progress_on_a_terminal_never_shows_an_empty_message() {
    if !have("script") {
        return; // `script` (util-linux) gives loftyscan a terminal; a failure under CI
    }
    let tmp = tempfile::tempdir().unwrap();
    long_history(tmp.path(), 3000);
    let bin_path = assert_cmd::cargo::cargo_bin("loftyscan");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{} git . --git-engine odb --color never", bin_path.display()), "/dev/null"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("walking history: "), "the history phase was drawn: {screen}");
    assert!(!screen.contains("history: ,") && !screen.contains(": , "), "an empty message: {screen}");
}
