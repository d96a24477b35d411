//! Attacks on the machine and on the scan (issue #12): outputs that name devices, FIFOs
//! and links; settings files used as an oracle; a change that tries to blind `--range` or
//! `--staged`; terminal escapes; the revoke hook's input. Every attack is built in a temp
//! directory (devices made with mknod there, never the real /dev).

use std::fs;
use std::path::Path;
use std::process::Command as Std;

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

fn mknod(path: &Path, major: &str, minor: &str) {
    let ok = Std::new("mknod").arg(path).args(["c", major, minor]).status().unwrap().success();
    assert!(ok, "mknod needs root (these tests run as root, as CI containers do)");
}

fn key_file(d: &Path, rng: &mut Rng) -> String {
    let k = rng.lfk();
    write(d, "app.env", &format!("K={k}\n"));
    k
}

/// No raw key, no `needle` from a settings file, on any stream.
fn clean(r: &Run, needles: &[&str]) {
    for n in needles {
        assert!(!r.all().contains(n), "leaks {:?}: {}", &n[..n.len().min(12)], r.all());
    }
}

#[test]
fn outputs_never_replace_devices_fifos_or_links() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let k = key_file(d, &mut Rng::new(1201));
    let (null, full) = (d.join("null"), d.join("full"));
    mknod(&null, "1", "3");
    mknod(&full, "1", "7");
    for out in [&null] {
        for flag in ["-o", "--baseline-out"] {
            let r = run(bin().current_dir(d).args(["dir", "app.env", "--no-progress", flag]).arg(out));
            assert_eq!(r.code, 1, "{}", r.stderr);
            let ft = fs::symlink_metadata(out).unwrap().file_type();
            assert!(std::os::unix::fs::FileTypeExt::is_char_device(&ft), "{flag} replaced the device");
        }
    }
    let r = run(bin().current_dir(d).args(["dir", "app.env", "--no-progress", "-o"]).arg(&full));
    assert_eq!(r.code, 2, "a full device is an error, not a success");
    assert!(r.stderr.contains("No space left"), "{}", r.stderr);
    clean(&r, &[&k]);
    // A FIFO is written to, with a reader on the other end, and stays a FIFO.
    let fifo = d.join("fifo");
    assert!(Std::new("mkfifo").arg(&fifo).status().unwrap().success());
    let f2 = fifo.clone();
    let reader = std::thread::spawn(move || fs::read_to_string(f2).unwrap());
    let r = run(bin()
        .current_dir(d)
        .args(["dir", "app.env", "--no-progress", "--format", "json", "-o"])
        .arg(&fifo));
    assert_eq!(r.code, 1);
    let got: Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(got["summary"]["findings"], 1);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo_like());
    // A link is written through; the link stays a link; a dangling one creates its target.
    std::os::unix::fs::symlink("real.json", d.join("link")).unwrap();
    for _ in 0..2 {
        let r = run(bin().current_dir(d).args(["dir", "app.env", "--format", "json", "-o", "link"]));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(fs::symlink_metadata(d.join("link")).unwrap().file_type().is_symlink());
        let v: Value = serde_json::from_slice(&fs::read(d.join("real.json")).unwrap()).unwrap();
        assert_eq!(v["summary"]["findings"], 1);
    }
    // A directory is refused before scanning.
    fs::create_dir(d.join("dir")).unwrap();
    let r = run(bin().current_dir(d).args(["dir", "app.env", "-o", "dir"]));
    assert!(r.code == 2 && r.stderr.contains("directory"), "{}", r.stderr);
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}
impl FifoLike for fs::FileType {
    fn is_fifo_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_fifo(self)
    }
}

#[test]
fn output_and_baseline_out_on_one_file_is_a_usage_error_before_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    key_file(d, &mut Rng::new(1202));
    std::os::unix::fs::symlink("x.json", d.join("alias")).unwrap();
    for (a, b) in [("x.json", "x.json"), ("x.json", "./x.json"), ("alias", "x.json")] {
        let r = run(bin().current_dir(d).args(["dir", "app.env", "-o", a, "--baseline-out", b]));
        assert_eq!(r.code, 2, "{a} {b}");
        assert!(r.stderr.contains("same file"), "{}", r.stderr);
        assert!(!d.join("x.json").exists(), "nothing written");
    }
    let r = run(bin().current_dir(d).args(["dir", "app.env", "-o", "r.json", "--baseline-out", "b.json"]));
    assert_eq!(r.code, 1);
    let names: Vec<String> =
        fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "no temporary left: {names:?}");
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
    let validator = root().join("../shared/tools/validate-sarif");
    if validator.exists() {
        let f = t.path().join("r.sarif");
        fs::write(&f, &r.stdout).unwrap();
        let out = run(assert_cmd::Command::new(&validator).arg(&f));
        assert_eq!(out.code, 0, "validate-sarif: {}", out.all());
    }
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
fn the_hook_gets_a_full_line_and_exact_bytes_and_a_daemon_costs_no_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(1208);
    let keys: Vec<String> = (0..5).map(|_| rng.lfk()).collect();
    write(d, "a.env", &keys.join("\n"));
    // `read -r line` only succeeds on a line that ends in a newline.
    let hook = "read -r line || exit 9; printf '%s\\n' \"$line\" >> calls.jsonl";
    let r = run(bin().current_dir(d).args(["dir", "a.env", "--revoke-hook", hook]));
    assert!(r.stdout.contains("5 keys revoked, 0 failed"), "{}", r.all());
    let calls: Vec<Value> = fs::read_to_string(d.join("calls.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    use base64::Engine;
    for c in &calls {
        let raw =
            base64::engine::general_purpose::STANDARD.decode(c["secret_base64"].as_str().unwrap()).unwrap();
        assert_eq!(raw, c["secret"].as_str().unwrap().as_bytes());
    }
    // A hook that leaves a daemon (its own session, out of reach of the group kill) holding
    // stdout: each call ends when the hook does, after a short grace, not when the daemon does.
    let daemon = "setsid sh -c 'sleep 30' & echo revoked; exit 0";
    let t0 = std::time::Instant::now();
    let r = run(bin().current_dir(d).args(["dir", "a.env", "--revoke-hook", daemon]));
    let took = t0.elapsed();
    assert!(r.stdout.contains("5 keys revoked"), "{}", r.all());
    assert!(took < std::time::Duration::from_secs(8), "5 keys took {took:?} (2 s each before)");
}

#[test]
fn a_secret_that_is_not_utf8_reaches_the_hook_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rule = "[[rules]]\nid='bin-key'\ntitle='Binary key'\ndescription='d'\nhelp='h'\nlevel='error'\nsecurity_severity=5.0\nanchors=['bink_']\npattern='bink_(?-u:[\\x80-\\xff]{8})'\nexamples=['bink_éééé']\nnegatives=['bink_abcdefgh']\n";
    write(d, "r.toml", rule);
    let secret: &[u8] = b"bink_\xff\xfe\x80\x81\xc0\xc1\xf5\xf6";
    fs::write(d.join("blob.bin"), [b"x = ".as_slice(), secret, b"\n"].concat()).unwrap();
    let hook = "cat > input.json";
    let r = run(bin().current_dir(d).args(["dir", "blob.bin", "--rules", "r.toml", "--revoke-hook", hook]));
    assert_eq!(r.code, 1, "{}", r.all());
    let input = fs::read_to_string(d.join("input.json")).unwrap();
    assert!(input.ends_with('\n'));
    let v: Value = serde_json::from_str(&input).unwrap();
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD.decode(v["secret_base64"].as_str().unwrap()).unwrap();
    assert_eq!(raw, secret);
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&raw).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v["secret_sha256"], sha);
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
