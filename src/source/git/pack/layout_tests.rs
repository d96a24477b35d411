//! Tests of the pack layout: the same columns read on one thread or many.

use super::*;
use std::io::Write;

/// A pack of `n` small blobs and trees with deltas (`git fast-import`), with its index.
fn pack(n: usize) -> (tempfile::TempDir, File, PackIndex) {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| std::process::Command::new("git").args(args).current_dir(dir.path()).output();
    assert!(git(&["init", "-q", "--bare", "r.git"]).unwrap().status.success());
    let mut fi = std::process::Command::new("git")
        .args(["-C", "r.git", "fast-import", "--quiet"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut s = String::new();
    for i in 0..n {
        let body = format!("line {i}\n{}\n", "same text for deltas ".repeat(8));
        s += &format!("commit refs/heads/main\ncommitter A <a@b> {} +0000\ndata 1\nx\n", 1000 + i);
        s += &format!("M 100644 inline f{}/g.txt\ndata {}\n{body}\n", i % 7, body.len());
    }
    fi.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    assert!(fi.wait().unwrap().success());
    let packs = dir.path().join("r.git/objects/pack");
    let mut idx = std::fs::read_dir(&packs).unwrap().flatten().map(|e| e.path());
    let idx = idx.find(|p| p.extension().is_some_and(|x| x == "idx")).unwrap();
    let file = File::open(idx.with_extension("pack")).unwrap();
    (dir, file, PackIndex::parse(std::fs::read(&idx).unwrap()).unwrap())
}

#[test]
fn layout_is_the_same_read_on_one_thread_or_many() {
    let (_dir, file, idx) = pack(300);
    let one = Layout::read(&file, &idx, 1).unwrap();
    MIN_RUN.store(7, std::sync::atomic::Ordering::Relaxed);
    let many = Layout::read(&file, &idx, 5).unwrap();
    MIN_RUN.store(1 << 16, std::sync::atomic::Ordering::Relaxed);
    assert!(one.len() > 1000 && one.roots().count() < one.len(), "deltas in the pack");
    type Row = (usize, crate::source::git::kind::ObjectKind, u64, u32, (u64, u64), Vec<u32>);
    let all = |l: &Layout| -> Vec<Row> {
        (0..l.len() as u32)
            .map(|i| (l.pos(i), l.kind(i), l.size(i), l.base(i), l.data(i), l.children(i).to_vec()))
            .collect()
    };
    assert_eq!(all(&one), all(&many));
    assert!(one.broken.is_empty() && one.external.is_empty());
}
