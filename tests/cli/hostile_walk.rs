//! Hostile repositories, continued (issue #13): commits the revision walk cannot read (a
//! commit inside a delta cycle, as a parent or as a ref's tip) are counted warnings naming
//! the object in both engines and in `--range`, an error for `--staged` when HEAD is one
//! and for `--branch` naming one;
//! never a hang. Each repository is built in a temporary directory.

use git2::{ObjectType, Oid};

use crate::common::*;
use crate::gitrepo::TestRepo;
use crate::hostile::{capped, engines_agree, git_dir, skipped};
use crate::packwriter::{self, Body, Entry, delta};

/// A loose commit whose parent is `parent`, on `refname`.
fn raw_commit(t: &TestRepo, refname: &str, tree: Oid, parent: Oid) -> Oid {
    let text = format!(
        "tree {tree}\nparent {parent}\nauthor A <a@example.org> 1700000000 +0000\n\
         committer A <a@example.org> 1700000000 +0000\n\non a cycle\n"
    );
    let id = t.repo.odb().unwrap().write(ObjectType::Commit, text.as_bytes()).unwrap();
    t.repo.reference(refname, id, true, "hostile").unwrap();
    id
}

#[test]
fn a_commit_inside_a_delta_cycle_is_a_counted_warning_never_a_hang() {
    let key = Rng::new(1312).lfk();
    let (a, b) = (Oid::from_bytes(&[0xc1; 20]).unwrap(), Oid::from_bytes(&[0xd2; 20]).unwrap());
    let t = TestRepo::new();
    let base = t.commit(Some("refs/heads/main"), &[("README", "hello\n")], &[], "base");
    packwriter::write(
        &git_dir(&t),
        "cycle",
        &[
            Entry { id: a, body: Body::RefDelta(b, delta(3, 3, b"x")) },
            Entry { id: b, body: Body::RefDelta(a, delta(4, 3, b"")) },
        ],
        0,
        &[],
    );
    let tree = t.tree(&[("k.env", &format!("K={key}\n"))]);
    let top = raw_commit(&t, "refs/heads/main", tree, a); // `a` is its parent
    // Written by hand: libgit2 would read `b` to check it, and loop.
    std::fs::write(git_dir(&t).join("refs/heads/evil"), format!("{b}\n")).unwrap();
    t.repo.reference("refs/heads/old", base, true, "").unwrap();
    t.head_to("refs/heads/main");
    let (p, o) = engines_agree(t.path(), &[]);
    for r in [&p, &o] {
        assert_eq!(r.code, 1, "{}", r.stderr);
        for id in [a, b] {
            assert!(
                r.stderr.contains(&format!("cannot read {id} (reached from a ref)")),
                "{id}: {}",
                r.stderr
            );
        }
        assert!(r.stderr.contains("cycle") && skipped(r, "unreadable") >= 2, "{}", r.stderr);
        let got = findings(&r.json());
        assert!(
            got.iter().any(|f| f["path"] == "k.env" && f["commit"] == top.to_string().as_str()),
            "{got:?}"
        );
    }

    // A range over it: the cycle is a parent (a counted warning) or an end (an error).
    let r = capped(t.path(), &["git", ".", "--range", &format!("{base}..main")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("cannot read {a} (reached from a ref)")) && skipped(&r, "unreadable") == 1,
        "{}",
        r.stderr
    );
    for range in [format!("{a}..main"), "main..evil".to_string()] {
        let r = capped(t.path(), &["git", ".", "--range", &range]);
        assert_eq!(r.code, 2, "{range}: {}", r.stderr);
        assert!(r.stderr.contains("cannot read") && r.stderr.contains("cycle"), "{range}: {}", r.stderr);
    }

    // `--branch` into the cycle is an error naming why; past it, the branch's key is found.
    let r = capped(t.path(), &["git", ".", "--branch", "evil"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("'evil' names no commit") && r.stderr.contains("cycle"), "{}", r.stderr);
    let r = capped(t.path(), &["git", ".", "--branch", "main"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("cannot read {a} (reached from a ref)")), "{}", r.stderr);
    assert!(findings(&r.json()).iter().any(|f| f["path"] == "k.env"), "{}", r.stdout);

    // HEAD inside the cycle: --staged stops with an error naming it.
    t.head_to("refs/heads/evil");
    let r = capped(t.path(), &["git", ".", "--staged"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&b.to_string()), "{}", r.stderr);
}
