//! Hostile repositories, continued (issue #13): shapes beyond the table. Each is
//! built in a temporary directory and scanned by both engines under the 1 GiB cap; each
//! ends with the documented exit status and a counted warning, and the engines agree.

use git2::{ObjectType, Oid};

use crate::common::*;
use crate::gitrepo::TestRepo;
use crate::hostile::{engines_agree, git_dir, skipped, with_tree};
use crate::packwriter::{self, Body, Entry, delta, tree_bytes};

/// An OFS_DELTA whose base is itself, and one whose base lies before the pack's start.
#[test]
fn an_ofs_delta_on_itself_or_before_the_pack_is_a_counted_warning() {
    let key = Rng::new(1313).lfk();
    let good = Entry::blob(format!("token = {key}\n").as_bytes());
    let (me, before, good_id) =
        (Oid::from_bytes(&[0x61; 20]).unwrap(), Oid::from_bytes(&[0x62; 20]).unwrap(), good.id);
    let entries = [
        good,
        Entry { id: me, body: Body::OfsRaw(0, delta(1, 1, b"")) },
        Entry { id: before, body: Body::OfsRaw(1 << 20, delta(1, 1, b"")) },
    ];
    let t = TestRepo::new();
    packwriter::write(&git_dir(&t), "ofs", &entries, 0, &[]);
    with_tree(
        &t,
        &tree_bytes(&[
            ("100644", "far.bin", before),
            ("100644", "k.env", good_id),
            ("100644", "self.bin", me),
        ]),
    );
    let (p, o) = engines_agree(t.path(), &[]);
    for r in [&p, &o] {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(&me.to_string()) && r.stderr.contains(&before.to_string()), "{}", r.stderr);
        assert_eq!(skipped(r, "unreadable"), 2, "{}", r.stderr);
    }
}

/// Tree entry modes read alike by both engines: `040000` is a tree (walked), `1040000`
/// (over 16 bits) makes its tree unreadable (a counted warning), the rest still scanned.
#[test]
fn absurd_tree_entry_modes_are_read_alike_by_both_engines() {
    let mut rng = Rng::new(1314);
    let (k1, k2, k3) = (rng.lfk(), rng.lfk(), rng.lfk());
    let t = TestRepo::new();
    let odb = t.repo.odb().unwrap();
    let blob = |k: &str| t.repo.blob(format!("K={k}\n").as_bytes()).unwrap();
    let zero_led = odb.write(ObjectType::Tree, &tree_bytes(&[("100644", "a.env", blob(&k1))])).unwrap();
    let absurd = odb.write(ObjectType::Tree, &tree_bytes(&[("1040000", "x", blob(&k2))])).unwrap();
    let root =
        tree_bytes(&[("40000", "bad", absurd), ("100644", "k.env", blob(&k3)), ("040000", "odd", zero_led)]);
    with_tree(&t, &root);
    for packed in [false, true] {
        if packed {
            pack_all_as_written(&t); // libgit2's pack builder refuses the absurd mode
        }
        let (p, o) = engines_agree(t.path(), &[]);
        for r in [&p, &o] {
            assert_eq!(r.code, 1, "{}", r.stderr);
            let mut paths: Vec<String> =
                findings(&r.json()).iter().map(|f| f["path"].as_str().unwrap_or("").to_string()).collect();
            paths.sort();
            assert_eq!(paths, ["k.env", "odd/a.env"], "{}", r.stderr);
            assert!(r.stderr.contains(&absurd.to_string()), "{}", r.stderr);
            assert_eq!(skipped(r, "unreadable"), 1, "{}", r.stderr);
        }
    }
}

/// A commit reached only through a chain of 10,000 annotated tags: past the chain cap
/// (64), a counted warning naming the tag where the walk stopped, in both engines.
#[test]
fn a_chain_of_ten_thousand_tags_is_a_counted_warning() {
    let key = Rng::new(1315).lfk();
    let t = TestRepo::new();
    t.commit(Some("refs/heads/main"), &[("README", "hi\n")], &[], "init");
    t.head_to("refs/heads/main");
    let hidden = t.commit(None, &[("k.env", &format!("K={key}\n"))], &[], "behind the tags");
    let sig = git2::Signature::now("T", "t@example.org").unwrap();
    let mut target = t.repo.find_object(hidden, None).unwrap();
    for i in 0..10_000 {
        let id = t.repo.tag_annotation_create(&format!("t{i}"), &target, &sig, "chain").unwrap();
        target = t.repo.find_object(id, Some(ObjectType::Tag)).unwrap();
    }
    t.repo.reference("refs/tags/deep", target.id(), true, "").unwrap();
    for packed in [false, true] {
        if packed {
            t.pack_with_libgit2();
        }
        let (p, o) = engines_agree(t.path(), &[]);
        for r in [&p, &o] {
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert!(
                r.stderr.contains("chain of over 64 tags") && r.stderr.contains("(reached from a ref)"),
                "{}",
                r.stderr
            );
            assert_eq!(skipped(r, "unreadable"), 1, "{}", r.stderr);
        }
    }
}

/// Every loose object, as stored, into one pack of whole objects (the test pack writer),
/// and the loose copies removed.
fn pack_all_as_written(t: &TestRepo) {
    let odb = t.repo.odb().unwrap();
    let mut ids = Vec::new();
    odb.foreach(|id| {
        ids.push(*id);
        true
    })
    .unwrap();
    let kind = |k: ObjectType| match k {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Blob => 3,
        _ => 4,
    };
    let entries: Vec<Entry> = ids
        .iter()
        .map(|&id| {
            let o = odb.read(id).unwrap();
            Entry { id, body: Body::Full(kind(o.kind()), o.data().to_vec()) }
        })
        .collect();
    packwriter::write(&git_dir(t), "all", &entries, 0, &[]);
    t.remove_loose();
}
