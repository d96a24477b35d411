//! The whole detector on arbitrary bytes: never panics, every hit lies inside the input
//! and holds exactly the bytes there, and reading in small chunks finds exactly what one
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
        assert_eq!(&data[at..at + h.secret.expose().len()], h.secret.expose());
    }
    let mut chunked = Vec::new();
    let chunk = MAX_TOKEN + 2 * LOOK + 1;
    scan_reader_chunked(det, data, chunk, &mut StreamScratch::default(), &mut chunked).unwrap();
    assert_eq!(whole, chunked);
});
