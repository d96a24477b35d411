//! Hostile repositories: the pack index parser, object headers, delta application (alone
//! and chained, within the materialised-bytes cap), the tree parser and the tree expansion
//! caps on arbitrary bytes never panic, and the caps always stop the work they bound. The
//! resolver decodes a pack made of the input (objects at offsets the input picks, so
//! headers, delta chains and zlib data are all hostile) within its depth and size caps, and
//! the git-bomb bound and walks end on any tree graph the input describes, cycles included.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use loftyscan::source::git::caps::{Budget, MAX_SAME_TREE, MAX_TREE_DEPTH, Oid};
use loftyscan::source::git::kind::ObjectKind;
use loftyscan::source::git::pack::resolve::{self, Lost, Visitor};
use loftyscan::source::git::pack::{bombs, delta, index::PackIndex, layout, trees};

/// Counts what the resolver hands over.
#[derive(Default)]
struct Count {
    objects: usize,
    lost: usize,
}

impl Visitor for Count {
    fn wants(&mut self, _: Oid, _: ObjectKind, _: u64) -> bool {
        true
    }
    fn object(&mut self, _: Oid, _: ObjectKind, data: &[u8]) {
        assert!(data.len() as u64 <= 1 << 20, "over the size cap");
        self.objects += 1;
    }
    fn broken(&mut self, _: Oid, _: &Lost, lost: usize) {
        self.lost += lost;
    }
}

/// A version 2 index for `entries` (id byte, offset); ids are `[b; 20]`, so distinct.
fn index(entries: &mut Vec<(u8, u64)>) -> Vec<u8> {
    entries.sort();
    entries.dedup_by_key(|e| e.0);
    let mut b = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    for fan in 0..256usize {
        let n = entries.iter().filter(|(id, _)| *id as usize <= fan).count() as u32;
        b.extend_from_slice(&n.to_be_bytes());
    }
    entries.iter().for_each(|(id, _)| b.extend_from_slice(&[*id; 20]));
    entries.iter().for_each(|_| b.extend_from_slice(&[0; 4]));
    entries.iter().for_each(|(_, off)| b.extend_from_slice(&(*off as u32).to_be_bytes()));
    b.extend_from_slice(&[0; 40]);
    b
}

/// The input as a pack: the first bytes pick object offsets in it, the rest is its data.
fn resolve_pack(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else { return };
    let n = (first as usize % 16 + 1).min(rest.len() / 2);
    let (offsets, body) = rest.split_at(2 * n);
    if n == 0 || body.is_empty() {
        return;
    }
    let mut entries: Vec<(u8, u64)> = offsets
        .chunks(2)
        .enumerate()
        .map(|(i, o)| (i as u8 + 1, 12 + u16::from_le_bytes([o[0], o[1]]) as u64 % body.len() as u64))
        .collect();
    let Ok(idx) = PackIndex::parse(index(&mut entries)) else { return };
    let path = std::env::temp_dir().join(format!("loftyscan-fuzz-{}.pack", std::process::id()));
    let mut f = std::fs::File::create(&path).expect("temp file");
    f.write_all(b"PACK\0\0\0\x02").and_then(|_| f.write_all(&(n as u32).to_be_bytes())).expect("write");
    f.write_all(body).and_then(|_| f.write_all(&[0; 20])).expect("write");
    let file = std::fs::File::open(&path).expect("reopen");
    let Ok(l) = layout::Layout::read(&file, &idx, 1) else { return };
    let pack = resolve::Pack {
        file: &file,
        idx: &idx,
        layout: &l,
        git_dir: std::path::Path::new("/nonexistent"),
        max_object: 1 << 20,
    };
    let roots: Vec<(u32, ObjectKind)> =
        l.roots().filter(|&r| l.base(r) == layout::NO_BASE).map(|r| (r, l.kind(r))).collect();
    let total: usize = roots.iter().map(|&(r, _)| l.subtree_len(r)).sum();
    let counts = resolve::resolve(&pack, &roots, 1, &Count::default);
    let seen: usize = counts.iter().map(|c| c.objects + c.lost).sum();
    assert!(seen <= total, "an object handed over twice: {seen} of {total}");
    let _ = l.in_cycles();
}

/// Trees 1..=16, each naming up to three subtrees the input picks (itself included): the
/// bound pass, the marks and the capped walks end, and a walk reports only what it left out.
fn tree_graph(data: &[u8]) {
    let tid = |b: u8| Oid::from_bytes(&[b % 16 + 1; 20]).expect("20 bytes");
    let names: [&[u8]; 3] = [b"a", b"b", b"c"];
    let mut g = trees::Graph::default();
    for chunk in data.chunks(4).take(64) {
        let entries: Vec<(&[u8], Oid, bool)> =
            chunk[1..].iter().zip(names).map(|(&c, name)| (name, tid(c), true)).collect();
        g.add(tid(chunk[0]), &entries, chunk[0] as usize * 4096);
    }
    let suspects = bombs::suspects(&g);
    let roots: Vec<(Oid, Option<Oid>)> = (0..16u8).map(|i| (tid(i), Some(tid(i / 2)))).collect();
    for (at, b) in bombs::capped(&g, &suspects, roots.iter().copied()) {
        assert!(b.left_out() > 0 && (at as usize) < roots.len());
    }
    let _ = g.marks();
}

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    let (base, rest) = data.split_at(split);
    let mut out = Vec::new();
    let _ = delta::apply(base, rest, &mut out);
    let _ = delta::result_size(rest);
    // A chain: each delta applied to the previous result, as the resolver does, never
    // materialising more than 64 KiB per instruction byte.
    let mut cur = base.to_vec();
    for d in rest.chunks(16).take(64) {
        if delta::apply(&cur, d, &mut out).is_ok() {
            assert!(out.len() as u64 <= (d.len() as u64) * 0x10000);
            std::mem::swap(&mut cur, &mut out);
        }
    }
    for off in 0..data.len().min(32) {
        if let Ok(h) = layout::parse_header(&data[off..], off as u64 + 12) {
            assert!(h.len <= data.len() - off);
        }
    }
    let _ = trees::parse_tree(data, &mut |_, _, _| {});
    // Expansion caps: whatever trees and depths come, expansions stay within the caps.
    let mut budget = Budget::default();
    let mut expanded = 0u64;
    for w in data.chunks(3) {
        let id = Oid::from_bytes(&[w[0] % 4; 20]).unwrap();
        let depth = w.get(1).map_or(0, |&d| d as usize * 32);
        if budget.expand(id, depth) {
            expanded += 1;
            assert!(depth <= MAX_TREE_DEPTH);
            budget.entries(w.get(2).map_or(0, |&n| n as usize) << 12);
        }
    }
    assert!(
        expanded <= 4 * MAX_SAME_TREE as u64 && budget.left_out() + expanded == data.chunks(3).len() as u64
    );
    resolve_pack(data);
    tree_graph(data);
    if let Ok(idx) = PackIndex::parse(data.to_vec()) {
        for &i in idx.by_offset(1).iter().take(64) {
            let _ = (idx.oid(i as usize), idx.offset(i as usize));
            let _ = idx.find(&idx.oid(i as usize));
        }
    }
});
