//! Unit tests of chunked reading: the same hits, lines and columns as a whole-buffer scan.

use super::*;
use crate::detect::testgen::Rng;
use crate::detect::{Detector, rules};

fn detector() -> Detector {
    Detector::new(rules::builtin().unwrap()).unwrap()
}

/// Text with keys at random places, some near the chunk boundaries of `chunk`.
fn corpus(rng: &mut Rng, len: usize, chunk: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(len + 1024);
    let mut boundary = chunk - MAX_TOKEN - LOOK;
    while data.len() < len {
        let near = boundary.saturating_sub(data.len());
        if near < 200 {
            data.extend(std::iter::repeat_n(b'.', near.saturating_sub(rng.next_u64() as usize % 60)));
            boundary += chunk - MAX_TOKEN - 2 * LOOK;
        }
        match rng.next_u64() % 9 {
            0 => data.extend_from_slice(rng.lfk().as_bytes()),
            1 => data.extend_from_slice(rng.lofty().as_bytes()),
            2 => data.extend_from_slice("ünïcödé ".as_bytes()),
            3 => data.extend_from_slice(b"\r\n"),
            4 => data.push(b'\n'),
            _ => data.extend_from_slice(b"const x = 1; "),
        }
    }
    data
}

#[test]
fn chunked_equals_whole() {
    let det = detector();
    let mut rng = Rng::new(20);
    for chunk in [MAX_TOKEN + 2 * LOOK + 100, 64 * 1024, 200 * 1024] {
        let data = corpus(&mut rng, 1 << 20, chunk);
        let mut whole = Vec::new();
        scan_bytes(&det, &data, &mut StreamScratch::default(), &mut whole);
        let mut chunked = Vec::new();
        let n =
            scan_reader_chunked(&det, data.as_slice(), chunk, &mut StreamScratch::default(), &mut chunked)
                .unwrap();
        assert_eq!(n, data.len() as u64);
        assert!(whole.len() > 50, "corpus has keys");
        assert_eq!(chunked, whole, "chunk size {chunk}");
    }
}

#[test]
fn empty_and_tiny_inputs() {
    let det = detector();
    let mut out = Vec::new();
    assert_eq!(scan_reader(&det, &b""[..], &mut StreamScratch::default(), &mut out).unwrap(), 0);
    assert_eq!(scan_reader(&det, &b"x"[..], &mut StreamScratch::default(), &mut out).unwrap(), 1);
    assert!(out.is_empty());
}

#[test]
fn lines_and_columns() {
    let det = detector();
    let key = Rng::new(21).lfk();
    let data = format!("one\ntwo\n\nabc {key} {key}\nλ{key}");
    let mut out = Vec::new();
    scan_bytes(&det, data.as_bytes(), &mut StreamScratch::default(), &mut out);
    let pos: Vec<_> = out.iter().map(|h| (h.line, h.column, h.end_line, h.end_column)).collect();
    assert_eq!(pos, [(4, 5, 4, 52), (4, 53, 4, 100), (5, 2, 5, 49)]);
}
