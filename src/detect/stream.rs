//! Scanning a whole input: bytes in memory or a reader read in chunks, with line numbers.
//!
//! Takes a [`Detector`] and either a byte slice (a git blob) or a `Read` (a file, stdin);
//! gives [`Hit`]s: matches with 1-based line and column (Unicode code points) and the
//! secret's bytes. A reader is read in [`CHUNK`]-sized pieces into one reused buffer, each
//! piece overlapping the previous by [`MAX_TOKEN`] + 2×[`LOOK`], so memory stays bounded
//! on a 2 GiB one-line file. Line numbers are computed only up to matches (and across a
//! chunk boundary), never per line.

use std::io::{self, Read};

use memchr::{memchr_iter, memrchr};

use super::{Detector, Match, Scratch};
use crate::finding::Secret;

/// The longest secret loftyscan reports (the JWS cap; see README "Limits").
pub const MAX_TOKEN: usize = 16 * 1024;
/// Context kept before and after a secret (Lofty signs, allow markers).
pub const LOOK: usize = 4 * 1024;
/// Bytes read per chunk.
pub const CHUNK: usize = 8 * 1024 * 1024;

/// A match with its position in the whole input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub offset: u64,
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
    /// The secret's bytes; `Debug` prints it redacted.
    pub secret: Secret,
    pub exp: Option<i64>,
    pub allowed: bool,
}

/// Per-thread state for streaming scans: the read buffer and the detector's scratch.
#[derive(Default)]
pub struct StreamScratch {
    pub buf: Vec<u8>,
    det: Scratch,
    matches: Vec<Match>,
}

/// Scan bytes already in memory.
pub fn scan_bytes(det: &Detector, data: &[u8], sc: &mut StreamScratch, out: &mut Vec<Hit>) {
    sc.matches.clear();
    det.scan(data, 0..data.len(), &mut sc.det, &mut sc.matches);
    let mut lines = Lines::default();
    to_hits(&sc.matches, data, 0, &mut lines, out);
}

/// Scan a reader to its end; returns the number of bytes read.
pub fn scan_reader<R: Read>(
    det: &Detector,
    r: R,
    sc: &mut StreamScratch,
    out: &mut Vec<Hit>,
) -> io::Result<u64> {
    scan_reader_chunked(det, r, CHUNK, sc, out)
}

/// [`scan_reader`] with a chosen chunk size (more than `MAX_TOKEN + 2 * LOOK`).
pub fn scan_reader_chunked<R: Read>(
    det: &Detector,
    mut r: R,
    chunk: usize,
    sc: &mut StreamScratch,
    out: &mut Vec<Hit>,
) -> io::Result<u64> {
    assert!(chunk > MAX_TOKEN + 2 * LOOK, "chunk too small for the overlap");
    let StreamScratch { buf, det: dsc, matches } = sc;
    buf.clear();
    let (mut base, mut own_from, mut total) = (0u64, 0usize, 0u64);
    let mut lines = Lines::default();
    loop {
        let want = chunk.saturating_sub(buf.len()) as u64;
        let got = (&mut r).take(want).read_to_end(buf)? as u64;
        total += got;
        let eof = got < want;
        let own_to = if eof { buf.len() } else { buf.len() - MAX_TOKEN - LOOK };
        matches.clear();
        det.scan(buf, own_from..own_to, dsc, matches);
        to_hits(matches, buf, base, &mut lines, out);
        if eof {
            return Ok(total);
        }
        lines.advance(buf, base, base + own_to as u64);
        let keep_from = own_to - LOOK;
        buf.drain(..keep_from);
        base += keep_from as u64;
        own_from = LOOK;
    }
}

fn to_hits(matches: &[Match], data: &[u8], base: u64, lines: &mut Lines, out: &mut Vec<Hit>) {
    for m in matches {
        lines.advance(data, base, base + m.start as u64);
        let mut end = lines.clone();
        end.advance(data, base, base + m.end as u64);
        out.push(Hit {
            rule: m.rule,
            offset: base + m.start as u64,
            line: lines.line,
            column: lines.col,
            end_line: end.line,
            end_column: end.col,
            secret: Secret::new(data[m.start..m.end].to_vec()),
            exp: m.exp,
            allowed: m.allowed,
        });
    }
}

/// A position in the input with its line and column, advanced only forwards.
#[derive(Clone, Debug)]
struct Lines {
    pos: u64,
    line: u64,
    col: u64,
}

impl Default for Lines {
    fn default() -> Self {
        Lines { pos: 0, line: 1, col: 1 }
    }
}

impl Lines {
    /// Move to absolute offset `to`; `data[0]` is at absolute offset `base`.
    fn advance(&mut self, data: &[u8], base: u64, to: u64) {
        if to <= self.pos {
            return;
        }
        let seg = &data[(self.pos - base) as usize..(to - base) as usize];
        match memrchr(b'\n', seg) {
            Some(last) => {
                self.line += memchr_iter(b'\n', seg).count() as u64;
                self.col = 1 + chars(&seg[last + 1..]);
            }
            None => self.col += chars(seg),
        }
        self.pos = to;
    }
}

/// Code points in UTF-8 text: every byte but continuation bytes (0x80-0xBF) counts.
fn chars(s: &[u8]) -> u64 {
    s.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
