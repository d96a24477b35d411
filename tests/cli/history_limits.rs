//! `git --since DATE` and `git --branch REF` (gitleaks' `--log-opts` habits): both engines
//! find the same, on loose objects and on packs; the summary and the JSON say the scan
//! was limited; a bad date or ref is exit 2 with a clear message.

use git2::{Oid, Signature, Time};
use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// 2024-03-01T00:00:00Z.
const MARCH: i64 = 1_709_251_200;
const DAY: i64 = 86_400;

/// A commit authored at `authored`, committed at `committed`, on `refname`.
fn commit_at(
    t: &TestRepo,
    refname: Option<&str>,
    files: &[(&str, &str)],
    parents: &[Oid],
    at: (i64, i64),
) -> Oid {
    let tree = t.repo.find_tree(t.tree(files)).unwrap();
    let author = Signature::new("Ann", "ann@example.org", &Time::new(at.0, 0)).unwrap();
    let committer = Signature::new("Cid", "cid@example.org", &Time::new(at.1, 120)).unwrap();
    let parents: Vec<_> = parents.iter().map(|p| t.repo.find_commit(*p).unwrap()).collect();
    let refs: Vec<_> = parents.iter().collect();
    t.repo.commit(refname, &author, &committer, "c", &tree, &refs).unwrap()
}

struct Keys {
    old: String,
    feb: String,
    rebased: String,
    april: String,
    side: String,
    tagged: String,
}

/// main: old (Jan) → feb (Feb) → rebased (authored Jan, committed March) → april;
/// side (May) forks from feb; an orphan commit (May) only a tag reaches.
fn limited_repo(seed: u64) -> (TestRepo, Keys) {
    let mut rng = Rng::new(seed);
    let k = Keys {
        old: rng.lfk(),
        feb: rng.lfk(),
        rebased: rng.lfk(),
        april: rng.lofty(),
        side: rng.lfk(),
        tagged: rng.lfk(),
    };
    let t = TestRepo::new();
    let main = Some("refs/heads/main");
    let old = format!("K={}\n", k.old);
    let c0 = commit_at(&t, main, &[("old.env", &old)], &[], (MARCH - 60 * DAY, MARCH - 60 * DAY));
    let feb = format!("K={}\n", k.feb);
    let f1 = [("old.env", old.as_str()), ("feb.env", feb.as_str())];
    let c1 = commit_at(&t, main, &f1, &[c0], (MARCH - 20 * DAY, MARCH - 20 * DAY));
    let rebased = format!("K={}\n", k.rebased);
    let f2 = [f1[0], f1[1], ("rebased.env", rebased.as_str())];
    let c2 = commit_at(&t, main, &f2, &[c1], (MARCH - 50 * DAY, MARCH));
    let april = format!("LOFTY_CUSTOMER_KEY={}\n", k.april);
    let f3 = [f2[0], f2[1], f2[2], ("april.env", april.as_str())];
    commit_at(&t, main, &f3, &[c2], (MARCH + 40 * DAY, MARCH + 40 * DAY));
    let side = format!("K = '{}'\n", k.side);
    let fs = [f1[0], f1[1], ("side.py", side.as_str())];
    commit_at(&t, Some("refs/heads/side"), &fs, &[c1], (MARCH + 70 * DAY, MARCH + 70 * DAY));
    let tagged = format!("token {}\n", k.tagged);
    let orphan = commit_at(&t, None, &[("notes.md", &tagged)], &[], (MARCH + 75 * DAY, MARCH + 75 * DAY));
    t.repo.reference("refs/tags/v1", orphan, false, "tag").unwrap();
    t.head_to("refs/heads/main");
    (t, k)
}

/// (path, secret hash, commit) of every finding, with the JSON summary.
fn scan(t: &TestRepo, engine: &str, limits: &[&str]) -> (Vec<(String, String, String)>, Value) {
    let mut args = vec!["git", ".", "--git-engine", engine];
    args.extend(limits);
    let (v, r) = scan_json(t.path(), &args);
    assert!(!r.stderr.contains("warning"), "{engine} {limits:?}: {}", r.stderr);
    let list = findings(&v)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("path"), s("secret_sha256"), f["commit"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    (list, v)
}

fn paths(list: &[(String, String, String)]) -> Vec<&str> {
    list.iter().map(|(p, _, _)| p.as_str()).collect()
}

#[test]
fn since_and_branch_limit_the_history_and_both_engines_agree() {
    let (t, k) = limited_repo(140);
    let cases: [(&[&str], &[&str]); 6] = [
        (&[], &["april.env", "feb.env", "notes.md", "old.env", "rebased.env", "side.py"]),
        // Committer dates: the rebased commit (authored in January) is in; its parent is not,
        // so its whole tree is scanned and the older keys still there are reported at it.
        (
            &["--since", "2024-03-01"],
            &["april.env", "feb.env", "old.env", "rebased.env", "side.py", "notes.md"],
        ),
        (
            &["--since", "2024-03-01T00:00:01+00:00"],
            &["april.env", "feb.env", "old.env", "rebased.env", "side.py", "notes.md"],
        ),
        (&["--branch", "main"], &["april.env", "feb.env", "old.env", "rebased.env"]),
        (&["--branch", "side", "--branch", "refs/tags/v1"], &["feb.env", "notes.md", "old.env", "side.py"]),
        (&["--branch", "main", "--since", "2024-04-01"], &["april.env", "feb.env", "old.env", "rebased.env"]),
    ];
    let mut results = Vec::new();
    for (limits, want) in cases {
        let (odb, v) = scan(&t, "odb", limits);
        let mut got = paths(&odb);
        got.sort();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got, want, "{limits:?}");
        assert_eq!(scan(&t, "pack", limits).0, odb, "pack = odb, loose objects, {limits:?}");
        let l = &v["summary"]["history_limits"];
        assert_eq!(l.is_null(), limits.is_empty(), "{limits:?}: {l}");
        results.push((limits, odb));
    }
    let at = |case: usize, path: &str| {
        let list = &results[case].1;
        list.iter().find(|(p, _, _)| p == path).map(|(_, h, c)| (h.clone(), c.clone())).unwrap()
    };
    assert_eq!(at(0, "feb.env").0, sha256_hex(&k.feb));
    assert_eq!(at(0, "rebased.env").0, sha256_hex(&k.rebased));
    assert_ne!(at(0, "feb.env").1, at(1, "feb.env").1, "--since: reported at the window's first commit");
    assert_eq!(at(1, "feb.env").1, at(1, "rebased.env").1, "the rebased commit opens the window");
    assert_eq!(at(2, "rebased.env").1, at(2, "april.env").1, "one second later, the april commit does");
    let hashes: Vec<&str> = results[4].1.iter().map(|(_, h, _)| h.as_str()).collect();
    assert!(
        hashes.contains(&sha256_hex(&k.side).as_str()) && hashes.contains(&sha256_hex(&k.tagged).as_str())
    );
    assert!(!hashes.contains(&sha256_hex(&k.april).as_str()), "--branch side: not main's later commits");
    t.pack_with_libgit2();
    for (limits, odb) in &results {
        assert_eq!(&scan(&t, "pack", limits).0, odb, "pack = odb, packed, {limits:?}");
        assert_eq!(&scan(&t, "odb", limits).0, odb, "odb, packed, {limits:?}");
        assert_eq!(&scan(&t, "auto", limits).0, odb, "auto, packed, {limits:?}");
    }
}

#[test]
fn the_summary_and_json_say_the_scan_was_limited() {
    let (t, _) = limited_repo(141);
    let (_, v) = scan(&t, "auto", &["--since", "2024-03-01T02:00:00+02:00", "--branch", "main"]);
    assert_eq!(v["summary"]["history_limits"]["since"], "2024-03-01T00:00:00Z");
    assert_eq!(v["summary"]["history_limits"]["branches"], serde_json::json!(["main"]));
    assert_eq!(v["summary"]["commits_scanned"], 2, "the rebased and april commits");
    let r = run(bin().current_dir(t.path()).args([
        "git",
        "--since",
        "2024-03-01",
        "--branch",
        "side",
        "--no-progress",
    ]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all()
            .contains("; history limited to commits since 2024-03-01T00:00:00Z (committer date), from side"),
        "{}",
        r.all()
    );
    let outs: Vec<String> = ["1", "2"]
        .iter()
        .map(|j| {
            run(bin().current_dir(t.path()).args([
                "git",
                "--since",
                "2024-03-01",
                "-j",
                j,
                "--format",
                "json",
            ]))
            .stdout
        })
        .map(|s| s.lines().filter(|l| !l.contains("elapsed")).collect::<Vec<_>>().join("\n"))
        .collect();
    assert_eq!(outs[0], outs[1], "deterministic whatever the threads");
}

#[test]
fn bad_dates_and_refs_are_exit_2_with_a_clear_message() {
    let (t, _) = limited_repo(142);
    for bad in ["2024-13-01", "yesterday", "2024-03-01T10:00", "03/01/2024"] {
        let r = run(bin().current_dir(t.path()).args(["git", "--since", bad]));
        assert_eq!(r.code, 2, "{bad}: {}", r.all());
        assert!(r.stderr.contains("not a date: use YYYY-MM-DD (midnight UTC) or RFC 3339"), "{}", r.stderr);
    }
    let r = run(bin().current_dir(t.path()).args(["git", "--branch", "nope\x1b[2J"]));
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--branch: 'nope\\u{1b}[2J' names no commit"), "{}", r.stderr);
    for other in [&["--range", "main~1..main"][..], &["--staged"], &["--include-unreachable"]] {
        let r = run(bin().current_dir(t.path()).args(["git", "--since", "2024-01-01"]).args(other));
        assert_eq!(r.code, 2, "--since with {other:?}: {}", r.all());
        assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    }
}
