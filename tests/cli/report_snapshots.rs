//! Report snapshots: the text, JSON, SARIF, GitLab and HTML outputs of one fixed input (a
//! directory and a git history, keys from a fixed seed, fixed commit dates), compared with
//! the files in tests/cli/snapshots/ (insta). Any change to a report shows in review as a
//! change to a `.snap` file. A mismatch fails: `.ci/run` sets `INSTA_UPDATE=no`; to accept
//! an intended change, run `INSTA_UPDATE=always cargo test --locked --test cli snapshot`
//! and review the diff (or `cargo insta review`, if installed).
//!
//! Normalised before comparing: the temp directory (`[TMP]`), the version (`[VERSION]`)
//! the scan's own clock (elapsed seconds, start and end times) and the machine's thread
//! count; the HTML page's style sheet and script are left out (their hashes stay). The pack
//! and odb engines must give the same bytes for the git history.

use std::path::Path;

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// Fixed keys: the same bytes every run (not the run's random seed), so the snapshots hold.
struct Keys {
    lfk: String,
    allowed: String,
    lofty: String,
    expired: String,
    jws: String,
}

fn keys() -> Keys {
    let mut rng = Rng::fixed(20_261_202);
    Keys {
        lfk: rng.lfk(),
        allowed: rng.lfk(),
        lofty: rng.lofty(),
        expired: rng.jws(r#"{"sub":"7","scope":"THIRD_PARTY_OPERATION","exp":1600000000}"#),
        jws: rng.jws(r#"{"sub":"svc","aud":"web"}"#),
    }
}

/// The directory every finding family, a marker and a gzip entry are planted in.
fn plant_dir(d: &Path, k: &Keys) {
    write(d, "app/config.env", &format!("# settings\nTL_API_KEY={}\n", k.lfk));
    write(d, "deploy.sh", &format!("#!/bin/sh\nlofty-cli auth set {}\n", k.lofty));
    write(d, "old/notes.md", &format!("retired: LOFTY_CUSTOMER_KEY={}\n", k.expired));
    write(d, "web/session.txt", &format!("SESSION_JWT={}\n", k.jws));
    write(d, "tests/sample.py", &format!("KEY = \"{}\"  # loftyscan:allow\n", k.allowed));
    let gz = gzip(format!("INSERT INTO keys VALUES ('{}');\n", k.lfk).as_bytes(), "dump.sql");
    std::fs::write(d.join("backup.sql.gz"), gz).unwrap();
}

/// A history: the key added, moved, then deleted; a second branch with the Lofty key.
fn plant_repo(k: &Keys) -> TestRepo {
    let t = TestRepo::new();
    let key_line = format!("TL_API_KEY={}\n", k.lfk);
    let c1 =
        t.commit(Some("refs/heads/main"), &[("README.md", "demo\n"), ("app/.env", &key_line)], &[], "add");
    let c2 = t.commit(
        Some("refs/heads/main"),
        &[("README.md", "demo\n"), ("config/.env", &key_line)],
        &[c1],
        "mv",
    );
    let lofty = format!("lofty-cli auth set {}\n", k.lofty);
    t.commit(Some("refs/heads/main"), &[("README.md", "demo\n")], &[c2], "remove the key");
    t.commit(Some("refs/heads/feature"), &[("README.md", "demo\n"), ("deploy.sh", &lofty)], &[c2], "deploy");
    t.head_to("refs/heads/main");
    t
}

/// The run's output with the temp directory, version and scan clock replaced.
fn normalise(out: &str, dir: &Path) -> String {
    let mut s = out.to_string();
    for d in [dir.canonicalize().unwrap(), dir.to_path_buf()] {
        s = s.replace(d.to_str().unwrap(), "[TMP]");
    }
    s = s.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let secs = regex::Regex::new(r" in \d+\.\d+ s").unwrap();
    s = secs.replace_all(&s, " in [SECS] s").into_owned();
    for (field, with) in [("Time", "[SECS]"), ("Started", "[TIME]"), ("Threads", "[CPUS]")] {
        let html = regex::Regex::new(&format!("<dt>{field}</dt><dd>[^<]*</dd>")).unwrap();
        s = html.replace_all(&s, format!("<dt>{field}</dt><dd>{with}</dd>")).into_owned();
    }
    // The page's own style sheet and script: their hashes stay (in the CSP line).
    let code = regex::Regex::new(r"(?s)<style>.*?</style>|<script>.*?</script>").unwrap();
    s = code.replace_all(&s, "[CODE: see the Content-Security-Policy hashes]").into_owned();
    if let Ok(mut v) = serde_json::from_str::<Value>(&s) {
        scrub_clock(&mut v);
        s = serde_json::to_string_pretty(&v).unwrap() + "\n";
    }
    s
}

/// The scan's own start and end times (GitLab's `scan` object), wherever they are.
fn scrub_clock(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (key, val) in m.iter_mut() {
                if key == "start_time" || key == "end_time" {
                    *val = Value::String("[TIME]".into());
                } else {
                    scrub_clock(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub_clock),
        _ => {}
    }
}

/// `loftyscan ARGS --no-config --no-progress --format FORMAT` in `dir`, exit 1, normalised.
fn report(dir: &Path, args: &[&str], format: &str) -> String {
    let r = run(bin().current_dir(dir).args(args).args(["--no-config", "--no-progress", "--format", format]));
    assert_eq!(r.code, 1, "{format}: {}", r.stderr);
    let k = keys();
    for key in [k.lfk, k.allowed, k.lofty, k.expired, k.jws] {
        assert!(!r.all().contains(&key), "{format} shows a raw key");
    }
    normalise(&r.stdout, dir)
}

#[test]
fn snapshot_dir_reports() {
    let tmp = tempfile::tempdir().unwrap();
    plant_dir(tmp.path(), &keys());
    insta::assert_snapshot!("dir_text", report(tmp.path(), &["dir", "."], "text"));
    insta::assert_snapshot!("dir_json", report(tmp.path(), &["dir", "."], "json"));
    insta::assert_snapshot!("dir_sarif", report(tmp.path(), &["dir", "."], "sarif"));
    insta::assert_snapshot!("dir_gitlab", report(tmp.path(), &["dir", "."], "gitlab"));
    insta::assert_snapshot!("dir_html", report(tmp.path(), &["dir", "."], "html"));
}

#[test]
fn snapshot_git_history_reports() {
    let t = plant_repo(&keys());
    for format in ["text", "json", "sarif", "gitlab", "html"] {
        let pack = report(t.path(), &["git", ".", "--git-engine", "pack"], format);
        let odb = report(t.path(), &["git", ".", "--git-engine", "odb"], format);
        let said = |e: &str| format!("<dt>Git engine</dt><dd>{e}</dd>");
        assert_eq!(pack.replace(&said("pack"), &said("odb")), odb, "{format}: the engines differ");
        insta::assert_snapshot!(format!("git_{format}"), pack);
    }
}
