//! Secrets stay inside: progress output on a terminal, warnings, and every format of
//! every mode carry no raw secret unless `--show-secrets`. (Reports and the revoke hook's
//! argv and environment are checked in output.rs and revoke.rs.)

use std::fs;

use crate::common::*;
use crate::gitrepo::TestRepo;

#[test]
fn progress_on_a_terminal_shows_no_secret() {
    if !have("script") {
        return; // `script` (util-linux) gives loftyscan a terminal; a failure under CI
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(90);
    let keys: Vec<String> = (0..50).map(|_| rng.lfk()).collect();
    for (i, k) in keys.iter().enumerate() {
        fs::write(tmp.path().join(format!("f{i}.env")), format!("K={k}\n")).unwrap();
    }
    let big = fs::File::create(tmp.path().join("big.bin")).unwrap();
    big.set_len(1 << 30).unwrap(); // a second or so of scanning: the bar is drawn
    let bin_path = assert_cmd::cargo::cargo_bin("loftyscan");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{} dir . --color never", bin_path.display()), "/dev/null"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("scanning:"), "the progress bar was drawn: {screen}");
    assert!(screen.contains("lfk_sk_…"), "findings shown redacted");
    for k in &keys {
        assert!(!screen.contains(k.as_str()) && !screen.contains(&k[7..]), "a secret on the terminal");
    }
}

#[test]
fn git_mode_outputs_and_warnings_stay_redacted() {
    let t = TestRepo::new();
    let mut rng = Rng::new(91);
    let (k1, k2) = (rng.lfk(), rng.lofty());
    let big = format!("{}{k1}\n", "x".repeat(5000));
    t.commit(Some("refs/heads/main"), &[("a.env", &format!("{k1}\n{k2}\n")), ("big.txt", &big)], &[], "init");
    t.head_to("refs/heads/main");
    for format in ["text", "json", "sarif"] {
        let r = run(bin().current_dir(t.path()).args(["git", "--max-blob-size", "4K", "--format", format]));
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("over --max-blob-size"));
        for k in [&k1, &k2] {
            assert!(!r.all().contains(k.as_str()), "{format}");
        }
    }
    let r = run(bin().current_dir(t.path()).args(["git", "--show-secrets"]));
    assert!(r.stdout.contains(&k1) && r.stdout.contains(&k2));
}
