//! The JWS candidate finder and decoder on arbitrary bytes: never panics, candidates lie
//! inside the input and start at the anchor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loftyscan::detect::jws;

fuzz_target!(|data: &[u8]| {
    let mut scratch = Vec::new();
    for h in memchr::memmem::find_iter(data, b"eyJ") {
        if let Some(c) = jws::candidate(data, h, 16384) {
            assert!(c.start == h && c.end <= data.len() && c.end > h);
            let _ = jws::decode(data, &c, &mut scratch);
        }
    }
});
