//! Hostile repositories: the pack index parser, object headers, delta application (alone
//! and chained, within the materialised-bytes cap), the tree parser and the tree expansion
//! caps on arbitrary bytes never panic, and the caps always stop the work they bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loftyscan::source::git::caps::{Budget, MAX_SAME_TREE, MAX_TREE_DEPTH, Oid};
use loftyscan::source::git::pack::{delta, index::PackIndex, layout, trees};

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
    assert!(expanded <= 4 * MAX_SAME_TREE as u64 && budget.left_out() + expanded == data.chunks(3).len() as u64);
    if let Ok(idx) = PackIndex::parse(data.to_vec()) {
        for &i in idx.by_offset().iter().take(64) {
            let _ = (idx.oid(i as usize), idx.offset(i as usize));
            let _ = idx.find(&idx.oid(i as usize));
        }
    }
});
