//! The bad-input matrix: each case's message and exit status: bad flags, missing paths,
//! unwritable outputs, unreadable files, devices. (Also covered elsewhere: FIFOs, symlinks,
//! 0-byte, binary and oddly named files in walk.rs, git repositories in git.rs and
//! git_engines.rs; huge single-line files in bench/huge_lines.sh.)

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// Peak RSS (kB) the binary reported for itself (LOFTYSCAN_TRACE=1, last trace line).
fn peak_rss_kb(stderr: &str) -> u64 {
    let line = stderr.lines().rfind(|l| l.contains("trace:") && l.ends_with("done"));
    let line = line.unwrap_or_else(|| panic!("no trace line: {stderr}"));
    let kb = line.split("peak RSS").nth(1).unwrap().split_whitespace().next().unwrap();
    kb.parse().unwrap()
}

#[test]
fn a_path_that_is_a_file_is_scanned_as_given() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("conf")).unwrap();
    fs::write(tmp.path().join("conf/app.env"), format!("K={}\n", Rng::new(80).lfk())).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "conf/app.env"]);
    assert_eq!((findings(&v)[0]["path"].as_str(), r.code), (Some("conf/app.env"), 1));
}

#[cfg(unix)]
#[test]
fn permission_denied_file_and_directory_as_a_non_root_user() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let mut rng = Rng::new(81);
    for (path, mode) in [("open/ok.env", 0o644), ("locked.env", 0o000), ("closed/inner.env", 0o644)] {
        fs::create_dir_all(d.join(path).parent().unwrap()).unwrap();
        fs::write(d.join(path), format!("{}\n", rng.lfk())).unwrap();
        fs::set_permissions(d.join(path), fs::Permissions::from_mode(mode)).unwrap();
    }
    for dir in ["open", "closed"] {
        fs::set_permissions(
            d.join(dir),
            fs::Permissions::from_mode(if dir == "open" { 0o755 } else { 0o000 }),
        )
        .unwrap();
    }
    let bin_path = assert_cmd::cargo::cargo_bin("loftyscan");
    let is_root = fs::read(d.join("locked.env")).is_ok();
    let mut cmd = if is_root {
        // Root reads everything: run as nobody, where the denials are real.
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&bin_path);
        c
    } else {
        std::process::Command::new(&bin_path)
    };
    let out = cmd.current_dir(d).args(["dir", ".", "--format", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let parsed = serde_json::from_slice::<serde_json::Value>(&out.stdout);
    let v = match parsed {
        Ok(v) => v,
        Err(_)
            if is_root && !tool_present(false, &format!("setpriv dropping root's privileges: {stderr}")) =>
        {
            return;
        }
        Err(e) => panic!("{e}: {stderr}"),
    };
    assert_eq!(findings(&v).len(), 1, "{stderr}");
    assert_eq!(findings(&v)[0]["path"], "open/ok.env");
    assert_eq!(v["summary"]["skipped"]["unreadable"], 2, "{stderr}");
    assert!(stderr.contains("warning: cannot read 'locked.env': Permission denied"), "{stderr}");
    assert!(stderr.contains("closed") && stderr.contains("Permission denied"), "{stderr}");
    fs::set_permissions(d.join("closed"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn devices_are_never_opened() {
    let r = run(bin().args(["dir", "/dev/null", "/dev/zero", "--format", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["skipped"]["not_regular"], 2);
    let tmp = tempfile::tempdir().unwrap();
    let made =
        std::process::Command::new("mknod").arg(tmp.path().join("zero")).args(["c", "1", "5"]).status();
    if tool_present(made.is_ok_and(|s| s.success()), "mknod (root)") {
        let (v, _) = scan_json(tmp.path(), &["dir", "."]);
        assert_eq!(v["summary"]["skipped"]["not_regular"], 1);
    }
}

#[test]
fn a_hundred_megabyte_token_shaped_run_is_linear_and_bounded() {
    let mut input = b"eyJ".to_vec();
    input.extend(std::iter::repeat_n(b'A', 50 << 20));
    input.push(b'.');
    input.extend(std::iter::repeat_n(b'B', 50 << 20));
    input.extend_from_slice(b".sig\n");
    let r = run(bin()
        .env("LOFTYSCAN_TRACE", "1")
        .args(["stdin", "--format", "json"])
        .write_stdin(input)
        .timeout(Duration::from_secs(120)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(findings(&r.json()).is_empty());
    assert!(peak_rss_kb(&r.stderr) < 128 * 1024, "{}", r.stderr);
}

#[test]
fn utf16_and_invalid_utf8_are_scanned_without_error() {
    let tmp = tempfile::tempdir().unwrap();
    let utf16: Vec<u8> = "set KEY=value\r\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    fs::write(tmp.path().join("win.cmd"), utf16).unwrap();
    fs::write(tmp.path().join("latin1.txt"), b"caf\xe9 \xff\xfe na\xefve\n").unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    assert_eq!((v["summary"]["files_scanned"].as_u64(), r.code), (Some(2), 0));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn corrupt_loose_object_is_a_counted_warning_in_both_engines() {
    let t = TestRepo::new();
    let mut rng = Rng::new(84);
    let (good, bad) = (rng.lfk(), rng.lfk());
    let c = t.commit(Some("refs/heads/main"), &[("good.env", &good), ("bad.env", &bad)], &[], "init");
    t.head_to("refs/heads/main");
    let blob = t.repo.find_commit(c).unwrap().tree().unwrap().get_name("bad.env").unwrap().id().to_string();
    let path = t.path().join(format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    let mut perms = fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&path, perms).unwrap();
    fs::write(&path, b"this is not zlib data").unwrap();
    for engine in ["odb", "pack"] {
        let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
        assert_eq!(findings(&v).len(), 1, "{engine}: the good blob is still reported");
        assert_eq!(v["summary"]["skipped"]["unreadable"], 1, "{engine}");
        assert!(r.stderr.contains(&format!("cannot read blob {blob}")), "{engine}: {}", r.stderr);
        assert!(!r.all().contains(&bad), "{engine}");
    }
}

#[test]
fn bad_and_conflicting_flags_and_missing_paths_exit_2_with_a_message() {
    for (args, says) in [
        (vec!["scan", "."], "unrecognized subcommand 'scan'"),
        (vec!["dir", ".", "--format", "xml"], "invalid value 'xml'"),
        (vec!["dir", ".", "-j", "many"], "invalid value 'many'"),
        (vec!["git", "--max-blob-size", "huge"], "'huge' is not a size"),
        (vec!["dir", ".", "--revoke-hook", "true", "--revoke-timeout", "0"], "not a number of seconds"),
        (vec!["git", "--staged", "--range", "a..b"], "cannot be used with"),
        (vec!["stdin", "--git-engine", "pack"], "unexpected argument '--git-engine'"),
        (vec!["dir", "--no-such-flag"], "--no-such-flag"),
        (vec!["dir", "/no/such/path", "--format", "yaml"], "invalid value 'yaml'"),
        (vec!["dir", "/no/such/path"], "cannot scan '/no/such/path'"),
        (vec!["dir", ".", "-j", "0"], "invalid value '0'"),
    ] {
        let r = run(bin().args(&args));
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn unwritable_output_stops_before_any_scan_or_hook_and_a_written_one_leaves_no_temp() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("k.env"), Rng::new(85).lfk()).unwrap();
    let r = run(bin().current_dir(tmp.path()).args([
        "dir",
        ".",
        "-o",
        "missing/dir/out.json",
        "--revoke-hook",
        "touch hooked",
    ]));
    assert_eq!(r.code, 2);
    assert!(!tmp.path().join("hooked").exists(), "nothing ran");
    assert!(!Path::new(&tmp.path().join("missing")).exists());
    let r = run(bin().current_dir(root()).args(["dir", "fixtures", "-o", "/no/such/dir/out.sarif"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot write report to '/no/such/dir/out.sarif'"), "{}", r.stderr);
    // A writable output: the report goes there only, and no temporary file is left behind.
    let out = tmp.path().join("out.json");
    let r = run(bin().current_dir(root()).args(["dir", "fixtures", "--format", "json", "-o"]).arg(&out));
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty() && r.stderr.contains("findings"));
    let mut names: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["k.env", "out.json"], "no temporary file left behind");
}
