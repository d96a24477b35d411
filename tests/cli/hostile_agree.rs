//! Hostile repositories, continued (issue #13): the two engines count the same warnings
//! on each shape, whether or not a blob has a key; over-size warnings name a path.
//! Each repository is built in a temporary directory and scanned under the 1 GiB cap.

use git2::{ObjectType, Oid};
use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;
use crate::hostile::{bomb, capped, engines_agree, git_dir, ids, skipped, with_tree};
use crate::packwriter::{self, Body, Entry, delta, tree_bytes};

/// The summary's counts of what was not scanned, and of read warnings.
fn counts(r: &Run) -> (Value, Value) {
    let v = r.json();
    (v["summary"]["skipped"].clone(), v["summary"]["read_warnings"].clone())
}

/// Both engines (and both storages: loose objects, then one pack) give the same counted
/// cap warning for a git bomb, with a key in its leaf blob or without one.
#[test]
fn both_engines_count_a_git_bomb_alike_with_or_without_a_key() {
    for with_key in [false, true] {
        let key = Rng::new(1311).lfk();
        let t = TestRepo::new();
        let base = t.commit(Some("refs/heads/main"), &[("README", "hi\n")], &[], "base");
        let text = if with_key { format!("token = {key}\n") } else { "nothing to see\n".to_string() };
        let top = bomb(&t, 10, 10, t.repo.blob(text.as_bytes()).unwrap());
        let boom = t.commit_tree(Some("refs/heads/main"), top, &[base], "bomb");
        t.head_to("refs/heads/main");
        for packed in [false, true] {
            if packed {
                t.pack_with_libgit2();
            }
            let (p, o) = engines_agree(t.path(), &[]);
            assert_eq!(p.code, i32::from(with_key), "{}", p.stderr);
            assert_eq!(
                counts(&p),
                counts(&o),
                "key: {with_key}, packed: {packed}\npack: {}\nodb: {}",
                p.stderr,
                o.stderr
            );
            for r in [&p, &o] {
                assert!(r.stderr.contains(&format!("commit {boom}: tree expansion capped")), "{}", r.stderr);
                // From the fourth level down, each level meets 2,560 trees and expands 256.
                assert!(skipped(r, "capped") > 10_000, "{}", r.stderr);
            }
        }
    }
}

/// A commit on top of a bomb that changes one file: only the bomb's own commit is capped.
#[test]
fn a_bomb_is_counted_once_not_at_every_later_commit() {
    let t = TestRepo::new();
    let leaf = t.repo.blob(b"plain\n").unwrap();
    let top = bomb(&t, 6, 10, leaf);
    let boom = t.commit_tree(Some("refs/heads/main"), top, &[], "bomb");
    let mut tb = t.repo.treebuilder(Some(&t.repo.find_tree(top).unwrap())).unwrap();
    tb.insert("README", t.repo.blob(b"later\n").unwrap(), 0o100644).unwrap();
    let later = t.commit_tree(Some("refs/heads/main"), tb.write().unwrap(), &[boom], "later");
    t.head_to("refs/heads/main");
    t.pack_with_libgit2();
    let (p, o) = engines_agree(t.path(), &[]);
    assert_eq!(counts(&p), counts(&o), "pack: {}\nodb: {}", p.stderr, o.stderr);
    for r in [&p, &o] {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains(&format!("commit {boom}: tree expansion")), "{}", r.stderr);
        assert!(!r.stderr.contains(&later.to_string()), "{}", r.stderr);
        assert_eq!(r.json()["summary"]["read_warnings"], 1, "{}", r.stderr);
    }
    let r = capped(t.path(), &["git", ".", "--range", &format!("{boom}..{later}")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(skipped(&r, "capped"), 0, "{}", r.stderr);
}

/// `--max-blob-size` warnings name the path and commit of an over-size blob in both
/// engines, loose or packed; a refused delta base names an object built on it.
#[test]
fn over_size_warnings_name_a_path_and_a_commit() {
    let t = TestRepo::new();
    let big: Vec<u8> = (0..300_000u32).map(|i| b"abcdefgh\n"[i as usize % 9]).collect();
    let blob = t.repo.blob(&big).unwrap();
    let c = with_tree(&t, &tree_bytes(&[("100644", "big.bin", blob)]));
    for packed in [false, true] {
        if packed {
            t.pack_with_libgit2();
        }
        let (p, o) = engines_agree(t.path(), &["--max-blob-size", "100K"]);
        assert_eq!(counts(&p), counts(&o), "pack: {}\nodb: {}", p.stderr, o.stderr);
        for r in [&p, &o] {
            assert_eq!(r.code, 0, "{}", r.stderr);
            let named = format!("blob {blob} (big.bin in commit {c}) is ");
            assert!(r.stderr.contains(&named) && r.stderr.contains("over --max-blob-size"), "{}", r.stderr);
            assert_eq!(skipped(r, "too_large"), 1, "{}", r.stderr);
        }
    }

    // A base no tree holds, with the committed blob built on it as a delta.
    let t = TestRepo::new();
    let mut content = big.clone();
    let base = Entry::blob(&content);
    let d = delta(content.len(), content.len(), b"\nmore\n");
    content.extend_from_slice(b"\nmore\n");
    let child =
        Entry { id: Oid::hash_object(ObjectType::Blob, &content).unwrap(), body: Body::OfsDelta(0, d) };
    let (base_id, child_id) = (base.id, child.id);
    packwriter::write(&git_dir(&t), "over", &[base, child], 0, &[]);
    let c = with_tree(&t, &tree_bytes(&[("100644", "deep.txt", child_id)]));
    let (p, o) = engines_agree(t.path(), &["--max-blob-size", "100K"]);
    let among =
        format!("pack object {base_id} (and 1 object built on it, among them deep.txt in commit {c})");
    assert!(p.stderr.contains(&among), "{}", p.stderr);
    assert!(o.stderr.contains(&format!("blob {child_id} (deep.txt in commit {c}) is ")), "{}", o.stderr);
}

/// The pack engine reads a pack's commits itself, on every thread. A commit it does not
/// take as git writes it (a signature without a date, a second author line, bytes that are
/// not its id's) is read by libgit2 as before: both engines place the same findings at the
/// same commits and count the same commits and warnings, loose or packed.
#[test]
fn commits_the_pack_engine_decodes_itself_agree_with_libgit2() {
    let key = Rng::new(2101).lfk();
    let t = TestRepo::new();
    let raw = |tree: Oid, parents: &[Oid], author: &str| {
        let mut c = format!("tree {tree}\n");
        parents.iter().for_each(|p| c.push_str(&format!("parent {p}\n")));
        c.push_str(&format!("author {author}\ncommitter C <c@x> 1700000100 +0000\n\nmsg\n"));
        t.repo.odb().unwrap().write(ObjectType::Commit, c.as_bytes()).unwrap()
    };
    let secret = format!("token = {key}\n");
    let a = raw(t.tree(&[("README", "hi\n")]), &[], "A <a@x> 1700000000 +0100");
    let b = raw(t.tree(&[("README", "hi\n"), ("k.env", &secret)]), &[a], "Odd Author <a@x>");
    let c = raw(t.tree(&[("README", "bye\n")]), &[b], "A <a@x> 1700000200 +0100\nauthor B <b@x> 1 +0000");
    let d = raw(t.tree(&[("README", "bye\n"), ("d/k.env", &secret)]), &[c], "A <a@x> 1700000300 -0000");
    t.repo.reference("refs/heads/main", d, true, "test").unwrap();
    t.head_to("refs/heads/main");
    // No newline after the committer line: libgit2 refuses it (a counted warning).
    let raw_e =
        format!("tree {}\nparent {d}\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000", t.tree(&[]));
    let e = t.repo.odb().unwrap().write(ObjectType::Commit, raw_e.as_bytes()).unwrap();
    t.repo.reference("refs/heads/odd", e, true, "test").unwrap();
    for packed in [false, true] {
        if packed {
            t.repo.find_reference("refs/heads/odd").unwrap().delete().unwrap();
            t.pack_with_libgit2();
            let odd = Entry { id: e, body: Body::Full(1, raw_e.clone().into_bytes()) };
            packwriter::write(&git_dir(&t), "odd", &[odd], 0, &[]);
            t.repo.reference("refs/heads/odd", e, true, "test").unwrap();
        }
        let (p, o) = engines_agree(t.path(), &[]);
        assert_eq!(p.code, 1, "{}", p.stderr);
        assert_eq!(counts(&p), counts(&o), "pack: {}\nodb: {}", p.stderr, o.stderr);
        for r in [&p, &o] {
            assert!(r.stderr.contains(&format!("cannot read {e}")), "{}", r.stderr);
            assert_eq!(r.json()["summary"]["commits_scanned"], 4, "{}", r.stderr);
            let at: Vec<String> = ids(&r.json());
            assert_eq!(at.len(), 2, "{at:?}");
            assert!(at.iter().any(|f| f.contains(&b.to_string()) && f.contains("k.env")), "{at:?}");
            assert!(at.iter().any(|f| f.contains(&d.to_string()) && f.contains("d/k.env")), "{at:?}");
        }
    }

    // A commit whose stored bytes are another commit's: libgit2 refuses it, in both engines.
    let t = TestRepo::new();
    let real = t.commit(None, &[("k.env", &secret)], &[], "real");
    let bytes = t.repo.odb().unwrap().read(real).unwrap().data().to_vec();
    let liar = Oid::from_bytes(&[0x42; 20]).unwrap();
    packwriter::write(&git_dir(&t), "liar", &[Entry { id: liar, body: Body::Full(1, bytes) }], 0, &[]);
    t.repo.reference("refs/heads/main", real, true, "test").unwrap();
    t.head_to("refs/heads/main");
    std::fs::write(git_dir(&t).join("refs/heads/liar"), format!("{liar}\n")).unwrap();
    let (p, o) = engines_agree(t.path(), &[]);
    assert_eq!(counts(&p), counts(&o), "pack: {}\nodb: {}", p.stderr, o.stderr);
    for r in [&p, &o] {
        assert!(r.stderr.contains(&format!("cannot read {liar}")), "{}", r.stderr);
        assert_eq!(r.json()["summary"]["commits_scanned"], 1, "{}", r.stderr);
    }
}
