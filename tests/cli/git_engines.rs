//! The `pack` engine (pack-order decoding) and the `odb` engine (object by object) give the
//! same findings and provenance, on loose objects and on packs written by libgit2 and git.

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// A history with long delta chains: a config file edited in 40 commits, keys added,
/// edited around, removed, duplicated, on a side branch, merged, and under a tag.
fn busy_repo(rng: &mut Rng) -> TestRepo {
    let t = TestRepo::new();
    let (k1, k2, k3, k4) = (rng.lfk(), rng.lofty(), rng.lfk(), rng.lfk());
    let mut config: Vec<String> = (0..400).map(|i| format!("setting_{i} = {}", i * 7)).collect();
    let mut head = t.commit(Some("refs/heads/main"), &[("app/config.ini", &config.join("\n"))], &[], "init");
    for n in 0..40 {
        config[(n * 13) % 400] = format!("setting_{n} = changed {n}");
        if n == 10 {
            config.insert(200, format!("api_key = {k1}"));
        }
        if n == 30 {
            config.retain(|l| !l.contains(&k1));
        }
        let env = if (15..25).contains(&n) { format!("LOFTY_CUSTOMER_KEY={k2}\n") } else { "X=1\n".into() };
        let files =
            [("app/config.ini", config.join("\n")), ("deploy/.env", env), ("copy.txt", format!("{k1}\n"))];
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
        head = t.commit(Some("refs/heads/main"), &refs, &[head], &format!("edit {n}"));
    }
    let side = t.commit(Some("refs/heads/side"), &[("side.py", &format!("K = '{k3}'\n"))], &[head], "side");
    t.commit(
        Some("refs/heads/main"),
        &[("app/config.ini", &config.join("\n")), ("side.py", &format!("K = '{k3}'\n"))],
        &[head, side],
        "merge",
    );
    let tagged = t.commit(None, &[("release/notes.md", &format!("token {k4}\n"))], &[], "orphan");
    let sig = git2::Signature::now("T", "t@example.org").unwrap();
    t.repo.tag("v1", &t.repo.find_object(tagged, None).unwrap(), &sig, "tag", false).unwrap();
    t.head_to("refs/heads/main");
    t
}

fn findings_with(t: &TestRepo, engine: &str) -> Vec<Value> {
    let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
    assert_eq!(r.code, 1, "{engine}: {}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{engine}: {}", r.stderr);
    findings(&v)
}

/// The pack really holds delta chains (so the resolver is exercised), where git can tell.
fn assert_deltas(t: &TestRepo) {
    let out = std::process::Command::new("git").arg("verify-pack").arg("-v").arg(t.pack_file()).output();
    if !tool_present(out.is_ok(), "`git` (git verify-pack)") {
        return;
    }
    let out = out.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("chain length = 2"), "no delta chains in the pack:\n{text}");
}

#[test]
fn engines_agree_on_loose_objects_and_on_packs() {
    let t = busy_repo(&mut Rng::new(70));
    let reference = findings_with(&t, "odb");
    let places: Vec<_> =
        reference.iter().map(|f| (f["path"].as_str().unwrap(), f["line"].as_u64().unwrap())).collect();
    assert_eq!(
        places,
        [
            ("app/config.ini", 201),
            ("copy.txt", 1),
            ("deploy/.env", 1),
            ("release/notes.md", 1),
            ("side.py", 1)
        ]
    );
    assert_eq!(findings_with(&t, "pack"), reference, "loose objects");
    t.pack_with_libgit2();
    assert_deltas(&t);
    assert_eq!(findings_with(&t, "pack"), reference, "libgit2 pack");
    assert_eq!(findings_with(&t, "odb"), reference, "libgit2 pack, odb engine");
    if tool_present(t.pack_with_git(), "`git` (git repack)") {
        assert_deltas(&t);
        assert_eq!(findings_with(&t, "pack"), reference, "git pack");
        assert_eq!(findings_with(&t, "auto"), reference, "git pack, auto engine");
    }
}

#[test]
fn clean_packed_history_reads_no_tree() {
    let t = TestRepo::new();
    let mut head = t.commit(Some("refs/heads/main"), &[("a.txt", "a\n")], &[], "init");
    for n in 0..20 {
        head = t.commit(Some("refs/heads/main"), &[("a.txt", &format!("a {n}\n"))], &[head], "edit");
    }
    t.head_to("refs/heads/main");
    t.pack_with_libgit2();
    let (v, r) = scan_json(t.path(), &["git", "."]);
    assert!(findings(&v).is_empty() && r.code == 0);
    assert_eq!(
        (v["summary"]["commits_scanned"].as_u64(), v["summary"]["files_scanned"].as_u64()),
        (Some(21), Some(21))
    );
}

#[test]
fn corrupt_pack_data_is_a_counted_warning_and_the_rest_is_scanned() {
    let t = TestRepo::new();
    let mut rng = Rng::new(71);
    let key = rng.lfk();
    let noise: String = (0..40_000).map(|_| format!("{:x}", rng.next() % 16)).collect();
    t.commit(Some("refs/heads/main"), &[("big.txt", &noise), ("k.env", &key)], &[], "init");
    t.head_to("refs/heads/main");
    t.pack_with_libgit2();
    let pack = t.pack_file();
    let mut bytes = std::fs::read(&pack).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    std::fs::write(&pack, bytes).unwrap();
    let (v, r) = scan_json(t.path(), &["git", ".", "--git-engine", "pack"]);
    assert!(r.stderr.contains("warning: cannot decode pack object"), "{}", r.stderr);
    assert_eq!(v["summary"]["skipped"]["unreadable"], 1);
    assert_eq!(findings(&v)[0]["secret_sha256"], sha256_hex(&key), "the rest is still scanned");
}

#[test]
fn git_reports_are_identical_whatever_the_threads() {
    let t = busy_repo(&mut Rng::new(72));
    t.pack_with_libgit2();
    for engine in ["pack", "odb"] {
        for format in ["json", "sarif"] {
            let outs: Vec<String> = ["1", "2", "5"]
                .iter()
                .map(|j| {
                    run(bin().current_dir(t.path()).args([
                        "git",
                        "--git-engine",
                        engine,
                        "--format",
                        format,
                        "-j",
                        j,
                    ]))
                    .stdout
                })
                .collect();
            assert!(outs[0].len() > 500);
            assert!(outs.windows(2).all(|w| w[0] == w[1]), "{engine} {format} differs between thread counts");
        }
    }
}

/// `--git-engine pack` is the pack engine or an error: on a repository whose objects are
/// borrowed through alternates (which it does not read) it is exit 2 naming the reason,
/// never a silent fall back to `odb` (what `auto` does there, with the same findings).
#[test]
fn git_engine_pack_on_alternates_is_exit_2() {
    let lender = TestRepo::new();
    let mut rng = Rng::new(73);
    let key = rng.lfk();
    lender.commit(Some("refs/heads/main"), &[("k.env", &format!("{key}\n"))], &[], "init");
    lender.head_to("refs/heads/main");
    let t = TestRepo::new();
    let objects = lender.repo.path().join("objects");
    std::fs::create_dir_all(t.repo.path().join("objects/info")).unwrap();
    std::fs::write(t.repo.path().join("objects/info/alternates"), format!("{}\n", objects.display()))
        .unwrap();
    // The ref written as git would, pointing at a commit only the alternate holds.
    let head = lender.repo.head().unwrap().target().unwrap();
    std::fs::write(t.repo.path().join("refs/heads/main"), format!("{head}\n")).unwrap();
    t.head_to("refs/heads/main");
    let r = run(bin().current_dir(t.path()).args(["git", ".", "--git-engine", "pack", "--no-progress"]));
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--git-engine pack cannot read this repository"), "{}", r.stderr);
    assert!(!r.all().contains(&key[8..]), "{}", r.all());
    for engine in ["auto", "odb"] {
        let (v, _) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
        assert_eq!(findings(&v)[0]["secret_sha256"], sha256_hex(&key), "{engine}");
    }
}
