//! Outputs and the revoke hook under attack (issue #12): `-o`/`--baseline-out` naming
//! devices, FIFOs and links (made with mknod/mkfifo in a temp directory, never the real
//! /dev), and the hook's input line: newline-terminated, exact bytes, no stall on a daemon.

use std::fs;
use std::path::Path;
use std::process::Command as Std;

use serde_json::Value;

use crate::common::*;

fn mknod(path: &Path, major: &str, minor: &str) {
    let ok = Std::new("mknod").arg(path).args(["c", major, minor]).status().unwrap().success();
    assert!(ok, "mknod needs root (these tests run as root, as CI containers do)");
}

fn key_file(d: &Path, rng: &mut Rng) -> String {
    let k = rng.lfk();
    write(d, "app.env", &format!("K={k}\n"));
    k
}

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
