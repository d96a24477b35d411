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
