//! The whole detector on arbitrary bytes: never panics, every hit lies inside the input
//! (a plain one holds exactly the bytes there; an encoded one, the decoded secret), and reading in small chunks finds exactly what one
//! whole-buffer scan finds (same rules, offsets, lines, columns).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use loftyscan::detect::Detector;
use loftyscan::detect::rules;
use loftyscan::detect::stream::{LOOK, MAX_TOKEN, StreamScratch, scan_bytes, scan_reader_chunked};

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::new(rules::builtin().unwrap()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let det = detector();
    let mut whole = Vec::new();
    scan_bytes(det, data, &mut StreamScratch::default(), &mut whole);
    for h in &whole {
        let at = h.offset as usize;
        match h.encoding {
            // A plain secret is exactly the bytes at its offset...
            None => assert_eq!(&data[at..at + h.secret.expose().len()], h.secret.expose()),
            // ...an encoded one is decoded: its encoded span starts inside the input.
            Some(_) => assert!(at < data.len() && !h.secret.expose().is_empty()),
        }
    }
    let mut chunked = Vec::new();
    let chunk = MAX_TOKEN + 2 * LOOK + 1;
    scan_reader_chunked(det, data, chunk, &mut StreamScratch::default(), &mut chunked).unwrap();
    assert_eq!(whole, chunked);
});
