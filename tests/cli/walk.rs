//! `loftyscan dir` on trees built in temporary directories: what is walked and what is not.

use std::fs;

use crate::common::*;

fn paths(v: &serde_json::Value) -> Vec<String> {
    findings(v).iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
}

#[test]
fn hidden_files_in_git_dir_out_gitignore_honoured() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(40);
    fs::create_dir(d.join(".git")).unwrap();
    write(d, ".env", &format!("TL={}\n", rng.lfk()));
    write(d, ".npmrc", &format!("//registry/:_authToken=x\nlofty={}\n", rng.lofty()));
    write(d, ".git/config", &format!("[x]\nk={}\n", rng.lfk()));
    write(d, ".gitignore", "build/\n*.log\n");
    write(d, "build/out.txt", &format!("{}\n", rng.lfk()));
    write(d, "debug.log", &format!("{}\n", rng.lfk()));
    write(d, ".ignore", "vendor/\n");
    write(d, "vendor/lib.js", &format!("{}\n", rng.lfk()));
    write(d, "src/app.py", &format!("KEY = '{}'\n", rng.lfk()));
    let (v, r) = scan_json(d, &["dir", "."]);
    assert_eq!(paths(&v), [".env", ".npmrc", "src/app.py"], "{}", r.stdout);
    let (v, _) = scan_json(d, &["dir", ".", "--no-ignore"]);
    assert_eq!(paths(&v), [".env", ".npmrc", "build/out.txt", "debug.log", "src/app.py", "vendor/lib.js"]);
    // Scanning the directory from outside: paths stay relative to it.
    let (v, _) = scan_json(d.parent().unwrap(), &["dir", d.to_str().unwrap()]);
    assert_eq!(paths(&v), [".env", ".npmrc", "src/app.py"]);
}

#[test]
fn ignore_rules_outside_a_repository_only_from_dot_ignore() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(45);
    // No repository: `.gitignore` is not read (as by git), nothing is left out.
    write(d, "plain/.gitignore", "*.log\n");
    write(d, "plain/debug.log", &format!("{}\n", rng.lfk()));
    let (v, r) = scan_json(&d.join("plain"), &["dir", "."]);
    assert_eq!(paths(&v), ["debug.log"], "{}", r.all());
    assert!(v["summary"]["skipped"].get("ignored").is_none(), "{}", r.stdout);
    // `.ignore` applies anywhere: counted, and a secret-prone file scanned anyway.
    write(d, "dotignore/.ignore", "*.log\n*.env\n");
    write(d, "dotignore/debug.log", &format!("{}\n", rng.lfk()));
    write(d, "dotignore/sub/prod.env", &format!("{}\n", rng.lfk()));
    let (v, r) = scan_json(&d.join("dotignore"), &["dir", "."]);
    assert_eq!(paths(&v), ["sub/prod.env"], "{}", r.all());
    assert_eq!(v["summary"]["skipped"]["ignored"], 1, "{}", r.stdout);
    // Rules from above the scanned directory count too.
    let (v, r) = scan_json(&d.join("dotignore/sub"), &["dir", "."]);
    assert_eq!(paths(&v), ["prod.env"], "{}", r.all());
    assert!(r.stderr.contains("scanned 1 ignored file"), "{}", r.stderr);
}

#[test]
fn several_paths_are_relative_to_the_current_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(41);
    write(tmp.path(), "a/one.env", &format!("{}\n", rng.lfk()));
    write(tmp.path(), "b/two.env", &format!("{}\n", rng.lfk()));
    let (v, _) = scan_json(tmp.path(), &["dir", "./a", "b/two.env"]);
    assert_eq!(paths(&v), ["a/one.env", "b/two.env"]);
}

#[cfg(unix)]
#[test]
fn symlinks_not_followed_and_fifos_never_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, outside) = (&tmp.path().join("root"), &tmp.path().join("outside"));
    let mut rng = Rng::new(42);
    write(d, "real/key.env", &format!("{}\n", rng.lfk()));
    write(outside, "far.env", &format!("{}\n", rng.lfk()));
    std::os::unix::fs::symlink(d.join("real/key.env"), d.join("link.env")).unwrap();
    std::os::unix::fs::symlink(d, d.join("real/loop")).unwrap();
    fs::create_dir_all(d.join("sub")).unwrap();
    std::os::unix::fs::symlink(outside, d.join("sub/out")).unwrap();
    let fifo = d.join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (v, _) = scan_json(d, &["dir", "."]);
    assert_eq!(paths(&v), ["real/key.env"]);
    assert_eq!(v["summary"]["skipped"]["symlink"], 3, "not followed by default");
    assert_eq!(v["summary"]["skipped"]["not_regular"], 1);
    let r = run(bin().current_dir(d).args(["dir", "."]));
    assert!(
        r.stdout.contains("3 symlink not followed") && r.stdout.contains("1 not a regular file"),
        "{}",
        r.stdout
    );
    let (v, r) = scan_json(d, &["dir", ".", "--follow"]);
    assert_eq!(paths(&v), ["link.env", "real/key.env", "sub/out/far.env"], "{}", r.stderr);
    assert!(r.stderr.contains("warning:") && r.stderr.contains("loop"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn odd_file_names_do_not_break_any_format() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"we\xffird\nname:1.env");
    fs::write(tmp.path().join(name), format!("{}\n", Rng::new(43).lfk())).unwrap();
    let (v, _) = scan_json(tmp.path(), &["dir", "."]);
    assert_eq!(paths(&v), ["we\u{fffd}ird\nname:1.env"]);
    let r = run(bin().current_dir(tmp.path()).args(["dir", ".", "--format", "sarif"]));
    assert!(r.stdout.contains("\"uri\": \"we%FFird%0Aname%3A1.env\""), "{}", r.stdout);
    let r = run(bin().current_dir(tmp.path()).args(["dir", "."]));
    assert!(r.stdout.starts_with("we\\xffird\\nname:1.env:1:1: error"), "{}", r.stdout);
}

#[test]
fn empty_binary_and_minified_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = Rng::new(44);
    write(d, "empty", "");
    let key = rng.lfk();
    let mut bin_data: Vec<u8> = (0..5000).map(|i| (i * 7 % 256) as u8).collect();
    bin_data.extend_from_slice(b"\0\0");
    bin_data.extend_from_slice(key.as_bytes());
    bin_data.extend_from_slice(b"\0\xff");
    fs::write(d.join("app.bin"), &bin_data).unwrap();
    let lofty = rng.lofty();
    let mut min = "var a=1;".repeat(2 << 17);
    let col = min.len() + 5;
    min.push_str(&format!("k=\"{lofty}\";"));
    min.push_str(&"var b=2;".repeat(1000));
    write(d, "bundle.min.js", &min);
    let (v, _) = scan_json(d, &["dir", "."]);
    let f = findings(&v);
    assert_eq!(paths(&v), ["app.bin", "bundle.min.js"]);
    assert_eq!(f[0]["secret_sha256"], sha256_hex(&key));
    assert_eq!((f[1]["line"].as_u64(), f[1]["column"].as_u64()), (Some(1), Some(col as u64 - 1)));
    assert_eq!(v["summary"]["files_scanned"], 3);
}
