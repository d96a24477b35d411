//! Hostile repositories: the pack index parser, delta application and tree parser on
//! arbitrary bytes never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loftyscan::source::git::pack::{delta, index::PackIndex, trees};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize).min(data.len());
    let (base, rest) = data.split_at(split);
    let mut out = Vec::new();
    let _ = delta::apply(base, rest, &mut out);
    let _ = delta::result_size(rest);
    let _ = trees::parse_tree(data, &mut |_, _, _| {});
    if let Ok(idx) = PackIndex::parse(data.to_vec()) {
        for &i in idx.by_offset().iter().take(64) {
            let _ = (idx.oid(i as usize), idx.offset(i as usize));
            let _ = idx.find(&idx.oid(i as usize));
        }
    }
});
