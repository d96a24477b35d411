//! Hostile repositories (issue #13): every shape finishes in seconds under a 1 GiB address
//! space cap, with the documented exit status and a counted warning, and both engines
//! (and `--range`) agree. Each repository is built in a temporary directory.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::Duration;

use git2::{ObjectType, Oid};
use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;
use crate::packwriter::{self, Body, Entry, delta, tree_bytes};

/// `loftyscan ARGS --format json --no-progress -j 2` in `dir`, under a 1 GiB address space
/// cap and a 60 s timeout.
pub fn capped(dir: &Path, args: &[&str]) -> Run {
    let mut std_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("loftyscan"));
    std_cmd.current_dir(dir).args(args).args(["--format", "json", "--no-progress", "-j", "2"]);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    #[allow(unsafe_code)]
    unsafe {
        std_cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 1 << 30, rlim_max: 1 << 30 };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut cmd = assert_cmd::Command::from_std(std_cmd);
    cmd.env_remove("NO_COLOR").timeout(Duration::from_secs(60));
    let r = run(&mut cmd);
    assert!(matches!(r.code, 0..=2), "killed or crashed ({}): {}", r.code, r.stderr);
    r
}

/// Both engines on the whole history: same exit status, same findings (rule, path, commit).
fn engines_agree(dir: &Path, extra: &[&str]) -> (Run, Run) {
    let mut runs = Vec::new();
    for engine in ["pack", "odb"] {
        let mut args = vec!["git", ".", "--git-engine", engine];
        args.extend_from_slice(extra);
        runs.push(capped(dir, &args));
    }
    let (p, o) = (runs.remove(0), runs.remove(0));
    assert_eq!(p.code, o.code, "engines disagree:\npack: {}\nodb: {}", p.stderr, o.stderr);
    if p.code != 2 {
        assert_eq!(ids(&p.json()), ids(&o.json()), "pack: {}\nodb: {}", p.stderr, o.stderr);
    }
    (p, o)
}

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        findings(v).iter().map(|f| format!("{} {} {}", f["rule_id"], f["path"], f["commit"])).collect();
    out.sort();
    out
}

fn skipped(r: &Run, key: &str) -> u64 {
    r.json()["summary"]["skipped"][key].as_u64().unwrap_or(0)
}

/// A repository whose `main` commit's root tree is the raw `tree` (written loose).
fn with_tree(t: &TestRepo, tree: &[u8]) -> Oid {
    let tree = t.repo.odb().unwrap().write(ObjectType::Tree, tree).unwrap();
    let c = t.commit_tree(Some("refs/heads/main"), tree, &[], "hostile");
    t.head_to("refs/heads/main");
    c
}

fn git_dir(t: &TestRepo) -> std::path::PathBuf {
    t.path().join(".git")
}

#[test]
fn a_long_delta_chain_is_decoded_in_bounded_memory() {
    let mut rng = Rng::new(1301);
    let key = rng.lfk();
    // 2,000 deltas stacked on a 512 KiB blob: 1 GB if every base were held at once.
    let mut content: Vec<u8> = (0..512 * 1024).map(|i| b"abcdefghij\n"[i % 11]).collect();
    let mut entries = vec![Entry::blob(&content)];
    for i in 1..=2000 {
        let insert = if i == 2000 { format!("\nkey = {key}\n") } else { format!(" {i}") };
        let d = delta(content.len(), content.len(), insert.as_bytes());
        content.extend_from_slice(insert.as_bytes());
        let id = Oid::hash_object(ObjectType::Blob, &content).unwrap();
        entries.push(Entry { id, body: Body::OfsDelta(i - 1, d) });
    }
    let t = TestRepo::new();
    let last = entries.last().unwrap().id;
    packwriter::write(&git_dir(&t), "chain", &entries, 0, &[]);
    with_tree(&t, &tree_bytes(&[("100644", "deep.txt", last)]));
    let (p, _) = engines_agree(t.path(), &[]);
    assert_eq!(p.code, 1, "{}", p.stderr);
    assert_eq!(p.json()["summary"]["files_scanned"], 2001, "every object of the chain is scanned");

    // --max-blob-size covers the bases too: nothing over it is ever materialised.
    let (p, o) = engines_agree(t.path(), &["--max-blob-size", "256K"]);
    assert_eq!(p.code, 0);
    assert_eq!(skipped(&p, "too_large"), 2001, "{}", p.stderr);
    assert!(p.stderr.contains("over --max-blob-size"), "{}", p.stderr);
    assert!(o.stderr.contains("(deep.txt") && o.stderr.contains("over --max-blob-size"), "{}", o.stderr);
}

#[test]
fn a_sparse_pack_tail_is_not_read() {
    let key = Rng::new(1302).lfk();
    let blob = Entry::blob(format!("token = {key}\n").as_bytes());
    let id = blob.id;
    let t = TestRepo::new();
    packwriter::write(&git_dir(&t), "sparse", &[blob], 6 << 30, &[]);
    with_tree(&t, &tree_bytes(&[("100644", "k.env", id)]));
    let (p, _) = engines_agree(t.path(), &[]);
    assert_eq!(p.code, 1, "{}", p.stderr);
}

/// Two REF_DELTA objects naming each other: one is the blob a commit holds.
#[test]
fn a_delta_base_cycle_is_a_counted_warning_in_both_engines_and_range() {
    let (a, b) = (Oid::from_bytes(&[0xa1; 20]).unwrap(), Oid::from_bytes(&[0xb2; 20]).unwrap());
    let entries = [
        Entry { id: a, body: Body::RefDelta(b, delta(3, 3, b"x")) },
        Entry { id: b, body: Body::RefDelta(a, delta(4, 3, b"")) },
    ];
    let t = TestRepo::new();
    let base = t.commit(Some("refs/heads/main"), &[("README", "hello\n")], &[], "base");
    packwriter::write(&git_dir(&t), "cycle", &entries, 0, &[]);
    let tree = t.repo.odb().unwrap().write(ObjectType::Tree, &tree_bytes(&[("100644", "k.env", a)])).unwrap();
    t.commit_tree(Some("refs/heads/main"), tree, &[base], "cycle");
    t.head_to("refs/heads/main");
    let (p, o) = engines_agree(t.path(), &[]);
    for r in [&p, &o] {
        assert_eq!(r.code, 0);
        assert!(r.stderr.contains(&a.to_string()) && r.stderr.contains("cycle"), "{}", r.stderr);
        assert!(skipped(r, "unreadable") >= 1, "{}", r.stderr);
    }
    let r = capped(t.path(), &["git", ".", "--range", "HEAD~1..HEAD"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("cycle") && skipped(&r, "unreadable") >= 1, "{}", r.stderr);
}

/// An object of reserved type 5 where a commit expects a blob; a good blob with a key after it.
#[test]
fn a_reserved_object_type_is_a_counted_warning_never_a_panic() {
    let key = Rng::new(1303).lfk();
    let good = Entry::blob(format!("token = {key}\n").as_bytes());
    let bad = Oid::hash_object(ObjectType::Blob, b"what the commit expects").unwrap();
    let (good_id, entries) = (good.id, [Entry { id: bad, body: Body::Full(5, b"???".to_vec()) }, good]);
    let t = TestRepo::new();
    packwriter::write(&git_dir(&t), "reserved", &entries, 0, &[]);
    let root = tree_bytes(&[("100644", "a.bin", bad), ("100644", "k.env", good_id)]);
    with_tree(&t, &root);
    let (p, o) = engines_agree(t.path(), &[]);
    for r in [&p, &o] {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(&bad.to_string()) && !r.stderr.contains("internal error"), "{}", r.stderr);
        assert_eq!(skipped(r, "unreadable"), 1, "{}", r.stderr);
    }
    let r = capped(t.path(), &["git", ".", "--range", "HEAD~0..HEAD"]);
    assert!(r.code != 101 && !r.stderr.contains("panicked"), "{}", r.stderr);
}

/// A pack cut short inside its second object: the first is still scanned, in both engines.
#[test]
fn a_truncated_pack_decodes_what_is_readable() {
    let key = Rng::new(1304).lfk();
    let first = Entry::blob(format!("token = {key}\n").as_bytes());
    let filler: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let second = Entry::blob(&filler);
    let (k, s) = (first.id, second.id);
    let t = TestRepo::new();
    let w = packwriter::write(&git_dir(&t), "cut", &[first, second], 0, &[]);
    let pack = git_dir(&t).join("objects/pack/pack-cut.pack");
    std::fs::write(&pack, &w.pack[..w.offsets[1] as usize + 40]).unwrap();
    with_tree(&t, &tree_bytes(&[("100644", "big.bin", s), ("100644", "k.env", k)]));
    let (p, o) = engines_agree(t.path(), &[]);
    for r in [&p, &o] {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(&s.to_string()), "{}", r.stderr);
        assert!(skipped(r, "unreadable") >= 1, "{}", r.stderr);
    }
}

/// An index entry pointing into the middle of a neighbour: the neighbour is still scanned.
#[test]
fn a_lying_index_entry_loses_nothing_else() {
    let key = Rng::new(1305).lfk();
    let text: String = (0..300).map(|i| format!("line {i} of a config file\n")).collect();
    let first = Entry::blob(format!("{text}token = {key}\n").as_bytes());
    let (second, third) = (Entry::blob(b"second\n"), Entry::blob(b"third\n"));
    let (k, s) = (first.id, second.id);
    let t = TestRepo::new();
    let w = packwriter::pack(&[Entry::blob(b"x")]); // only for the first offset
    let mid = w.offsets[0] + 40;
    packwriter::write(&git_dir(&t), "lie", &[first, second, third], 0, &[(1, mid)]);
    with_tree(&t, &tree_bytes(&[("100644", "k.env", k)]));
    let (p, _) = engines_agree(t.path(), &[]);
    assert_eq!(p.code, 1, "{}", p.stderr);
    assert!(p.stderr.contains(&s.to_string()) && skipped(&p, "unreadable") >= 1, "{}", p.stderr);
}

#[test]
fn a_tag_pointing_straight_at_a_blob_or_tree_is_history() {
    let mut rng = Rng::new(1306);
    let (k1, k2) = (rng.lfk(), rng.lfk());
    let t = TestRepo::new();
    t.commit(Some("refs/heads/main"), &[("README", "hi\n")], &[], "init");
    t.head_to("refs/heads/main");
    let blob = t.repo.blob(format!("token = {k1}\n").as_bytes()).unwrap();
    let tree = t.tree(&[("cfg/k.env", &format!("K={k2}\n"))]);
    let sig = git2::Signature::now("T", "t@example.org").unwrap();
    let blob_tag = t.repo.tag("b1", &t.repo.find_object(blob, None).unwrap(), &sig, "blob", false).unwrap();
    t.repo.tag_lightweight("t1", &t.repo.find_object(tree, None).unwrap(), false).unwrap();
    for packed in [false, true] {
        if packed {
            assert!(t.pack_with_git(), "git repack"); // keeps what only tags reach
        }
        let (p, _) = engines_agree(t.path(), &[]);
        assert_eq!(p.code, 1, "{}", p.stderr);
        let v = p.json();
        let got = findings(&v);
        assert_eq!(got.len(), 2, "{}", p.stdout);
        assert!(!p.stderr.contains("dangling"), "{}", p.stderr);
        let commits: Vec<String> =
            got.iter().map(|f| f["commit"].as_str().unwrap_or("").to_string()).collect();
        assert!(commits.contains(&blob_tag.to_string()), "the tag is the provenance: {commits:?}");
    }
}

#[test]
fn thread_counts_past_the_ceiling_are_clamped_with_a_note() {
    let t = TestRepo::new();
    t.commit(Some("refs/heads/main"), &[("a.txt", "x\n")], &[], "init");
    t.head_to("refs/heads/main");
    for args in [&["dir", "."][..], &["git", "."]] {
        for j in ["65535", "3000"] {
            let r = run(bin().current_dir(t.path()).args(args).args(["-j", j, "--no-progress"]));
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert!(r.stderr.contains(&format!("-j {j} is over the ceiling")), "{}", r.stderr);
        }
    }
}

#[test]
fn stderr_on_a_full_device_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let st = std::process::Command::new("mknod").arg(&full).args(["c", "1", "7"]).status().unwrap();
    assert!(st.success(), "mknod of a full device in the test's own directory");
    write(dir.path(), "k.env", &format!("K={}\n", Rng::new(1307).lfk()));
    for args in [&["dir", "k.env", "-j", "9999"][..], &["git", "nowhere"], &["stdin"]] {
        let err = std::fs::OpenOptions::new().write(true).open(&full).unwrap();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("loftyscan"));
        cmd.current_dir(dir.path()).args(args).stderr(err);
        cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
        let code = cmd.status().unwrap().code().unwrap_or(-1);
        assert!(matches!(code, 0..=2), "{args:?}: exit {code}");
    }
}

/// `levels` trees, each holding the one below `fanout` times; the bottom one holds `leaf`
/// `fanout` times. Returns the top tree.
fn bomb(t: &TestRepo, levels: usize, fanout: usize, leaf: Oid) -> Oid {
    let odb = t.repo.odb().unwrap();
    let names: Vec<String> = (0..fanout).map(|i| format!("f{i}")).collect();
    let entries: Vec<(&str, &str, Oid)> = names.iter().map(|n| ("100644", n.as_str(), leaf)).collect();
    let mut tree = odb.write(ObjectType::Tree, &tree_bytes(&entries)).unwrap();
    for _ in 0..levels {
        let entries: Vec<(&str, &str, Oid)> = names.iter().map(|n| ("40000", n.as_str(), tree)).collect();
        tree = odb.write(ObjectType::Tree, &tree_bytes(&entries)).unwrap();
    }
    tree
}

#[test]
fn a_git_bomb_is_capped_per_commit_and_the_rest_of_history_is_scanned() {
    let mut rng = Rng::new(1308);
    let (k1, k2) = (rng.lfk(), rng.lfk());
    let t = TestRepo::new();
    let base = t.commit(Some("refs/heads/main"), &[("README", "hi\n")], &[], "base");
    let leaf = t.repo.blob(format!("token = {k1}\n").as_bytes()).unwrap();
    let top = bomb(&t, 10, 10, leaf); // 10^11 paths from 11 objects
    let boom = t.commit_tree(Some("refs/heads/main"), top, &[base], "bomb");
    let mut tb = t.repo.treebuilder(Some(&t.repo.find_tree(top).unwrap())).unwrap();
    tb.insert("other.env", t.repo.blob(format!("K={k2}\n").as_bytes()).unwrap(), 0o100644).unwrap();
    let after = tb.write().unwrap();
    t.commit_tree(Some("refs/heads/main"), after, &[boom], "after");
    t.head_to("refs/heads/main");
    for packed in [false, true] {
        if packed {
            t.pack_with_libgit2();
        }
        let (p, o) = engines_agree(t.path(), &[]);
        let r = capped(t.path(), &["git", ".", "--range", &format!("{base}..HEAD")]);
        for r in [&p, &o, &r] {
            assert_eq!(r.code, 1, "{}", r.stderr);
            assert!(r.stderr.contains(&format!("commit {boom}: tree expansion capped")), "{}", r.stderr);
            assert!(r.stderr.contains("git bomb") && skipped(r, "capped") > 0, "{}", r.stderr);
            let got = findings(&r.json());
            assert!(got.iter().any(|f| f["path"] == "other.env"), "the rest of history is scanned");
            assert!(got.len() <= 1 + 10 * 256, "{} findings", got.len());
        }
    }
}

#[test]
fn a_tree_nested_past_the_depth_cap_is_a_counted_warning() {
    let key = Rng::new(1309).lfk();
    let t = TestRepo::new();
    let odb = t.repo.odb().unwrap();
    let leaf = t.repo.blob(format!("token = {key}\n").as_bytes()).unwrap();
    let mut tree = odb.write(ObjectType::Tree, &tree_bytes(&[("100644", "k.env", leaf)])).unwrap();
    for _ in 0..5000 {
        tree = odb.write(ObjectType::Tree, &tree_bytes(&[("40000", "d", tree)])).unwrap();
    }
    let c = t.commit_tree(Some("refs/heads/main"), tree, &[], "deep");
    t.head_to("refs/heads/main");
    let (p, o) = engines_agree(t.path(), &[]);
    for r in [&p, &o] {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("commit {c}")) && r.stderr.contains("deeper than"),
            "{}",
            r.stderr
        );
        assert_eq!(skipped(r, "capped"), 1, "{}", r.stderr);
    }
}

#[test]
fn messages_say_what_is_wrong() {
    let t = TestRepo::new();
    t.commit(Some("refs/heads/main"), &[("a.txt", "x\n")], &[], "init");
    t.head_to("refs/heads/main");
    let gl = t.path().join("gl.json");
    std::fs::write(&gl, r#"[{"Description":"Secret Text","RuleID":"generic"}]"#).unwrap();
    let r = run(bin().current_dir(t.path()).args(["dir", "a.txt", "--no-progress", "--baseline", "gl.json"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a loftyscan baseline") && r.stderr.contains("gitleaks"), "{}", r.stderr);
    assert!(!r.stderr.contains("Secret Text") && !r.stderr.contains("invalid type"), "{}", r.stderr);

    let r = run(bin().current_dir(t.path()).args([
        "git",
        ".",
        "--no-progress",
        "--range",
        "HEAD^{/nothing}..HEAD",
    ]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("matched nothing") && !r.stderr.contains("(no error)"), "{}", r.stderr);

    std::fs::write(t.path().join(".git/index"), b"garbage, not an index at all").unwrap();
    let r = run(bin().current_dir(t.path()).args(["git", ".", "--no-progress", "--staged"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("corrupt"), "{}", r.stderr);

    // A zip entry name with a tab: shown escaped once (`\t`), not twice (`\\t`).
    let key = Rng::new(1310).lfk();
    let z = zip(&[("a\tb.env", format!("K={key}\n").as_bytes(), true)], None);
    std::fs::write(t.path().join("k.zip"), z).unwrap();
    let r = run(bin().current_dir(t.path()).args(["dir", "k.zip", "--no-progress", "--color", "never"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("k.zip!a\\tb.env") && !r.stdout.contains("a\\\\tb"), "{}", r.stdout);
}

/// `dir` on /proc: pseudo-files are read without blocking and at most 1 MiB each (here
/// the scanner's own environment, made 1.2 MB long).
#[test]
fn dir_on_proc_is_bounded() {
    let mut cmd = bin();
    for i in 0..12 {
        cmd.env(format!("LOFTYSCAN_TEST_PAD_{i}"), "x".repeat(100_000));
    }
    cmd.timeout(Duration::from_secs(60));
    let r = run(cmd.args([
        "dir",
        "/proc/self/environ",
        "/proc/self/status",
        "--no-progress",
        "--format",
        "json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("pseudo-file") && r.stderr.contains("environ"), "{}", r.stderr);
    assert_eq!(skipped(&r, "capped"), 1, "{}", r.stderr);
    let r = run(bin().timeout(Duration::from_secs(60)).args(["dir", "/proc/self", "--no-progress"]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
}
