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

use super::archive::{self, CAPS};
use super::container;
use super::encoded::Encoding;
use super::{Detector, Match, Scratch};
use crate::vocab::Secret;

pub use super::limits::{LOOK, MAX_TOKEN};
/// Bytes read per chunk.
pub const CHUNK: usize = 8 * 1024 * 1024;

/// A match with its position in the whole input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in [`Detector::rules`].
    pub rule: usize,
    /// Byte offset in the whole input where the match starts.
    pub offset: u64,
    /// 1-based line of the secret's first character.
    pub line: u64,
    /// 1-based column of the first character, in Unicode code points.
    pub column: u64,
    /// 1-based line of the secret's last character.
    pub end_line: u64,
    /// Column one past the last character, in Unicode code points.
    pub end_column: u64,
    /// The secret's bytes (decoded, when it was found inside an encoding); `Debug` prints
    /// it redacted.
    pub secret: Secret,
    /// A JWS's `exp` claim, seconds since the epoch, where it has a numeric one.
    pub exp: Option<i64>,
    /// On a line with an allow marker: counted, never reported.
    pub allowed: bool,
    /// How the secret was hidden (base64, UTF-16, gzip, zip, ...), if it was.
    pub encoding: Option<Encoding>,
    /// Inside a container: the entry path (`config/.env`, nested ones joined with `!`);
    /// line and column are then within that entry.
    pub entry: Option<String>,
    /// Found in a name (an archive entry's), not in content.
    pub in_name: bool,
}

/// Something a scan could not fully do (a container limit hit, corrupt packed data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What kind of limit or damage.
    pub kind: NoticeKind,
    /// What was not scanned and where, escaped and redacted: safe to print.
    pub message: String,
}

/// What a [`Notice`] is about; each kind is counted under its own skip reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// Part of a container past a zip-bomb limit.
    ArchiveLimit,
    /// Corrupt or truncated compressed data (gzip, a zip or one of its entries).
    Corrupt,
    /// A zip or gzip inside [`CAPS`]`.depth` containers: not opened. Its message is the
    /// entry path to it (outermost first, joined with `!`; escaped and redacted), which
    /// each enclosing container prefixes.
    TooDeep(archive::Kind),
}

/// The depth to scan bytes as raw (never opened as a container, and not "too deep").
pub const RAW: usize = usize::MAX;

/// Per-thread state for streaming scans: the read buffer, the detector's scratch, and the
/// notices of the last scans (the source reports and clears them).
#[derive(Default)]
pub struct StreamScratch {
    /// The read buffer, reused across scans (one chunk plus the overlap).
    pub buf: Vec<u8>,
    det: Scratch,
    matches: Vec<Match>,
    /// What the last scans could not fully do; the source reports and clears them.
    pub notices: Vec<Notice>,
}

impl StreamScratch {
    /// Record a [`Notice`] of `kind` (`message` must already be escaped and redacted).
    pub fn notice(&mut self, kind: NoticeKind, message: String) {
        self.notices.push(Notice { kind, message });
    }
}

/// Scan bytes already in memory.
pub fn scan_bytes(det: &Detector, data: &[u8], sc: &mut StreamScratch, out: &mut Vec<Hit>) {
    scan_bytes_at(det, data, 0, sc, out)
}

/// [`scan_bytes`] at container depth `depth` (containers are opened below [`CAPS`]`.depth`).
pub fn scan_bytes_at(det: &Detector, data: &[u8], depth: usize, sc: &mut StreamScratch, out: &mut Vec<Hit>) {
    if depth < CAPS.depth && container::bytes(det, data, depth, sc, out) {
        return;
    }
    too_deep(data, depth, sc);
    sc.matches.clear();
    det.scan(data, 0..data.len(), &mut sc.det, &mut sc.matches);
    nesting_notice(&mut sc.det, &mut sc.notices);
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
    scan_reader_at(det, r, CHUNK, 0, sc, out)
}

/// [`scan_reader`] with a chosen chunk size (more than `MAX_TOKEN + 2 * LOOK`).
pub fn scan_reader_chunked<R: Read>(
    det: &Detector,
    r: R,
    chunk: usize,
    sc: &mut StreamScratch,
    out: &mut Vec<Hit>,
) -> io::Result<u64> {
    scan_reader_at(det, r, chunk, 0, sc, out)
}

/// [`scan_reader_chunked`] at container depth `depth`.
pub fn scan_reader_at<R: Read>(
    det: &Detector,
    mut r: R,
    chunk: usize,
    depth: usize,
    sc: &mut StreamScratch,
    out: &mut Vec<Hit>,
) -> io::Result<u64> {
    assert!(chunk > MAX_TOKEN + 2 * LOOK, "chunk too small for the overlap");
    sc.buf.clear();
    let (mut base, mut own_from, mut total) = (0u64, 0usize, 0u64);
    let mut lines = Lines::default();
    loop {
        let want = chunk.saturating_sub(sc.buf.len()) as u64;
        let before = sc.buf.len();
        // On a read error, what was read is still scanned (as the last chunk) first.
        let failed = (&mut r).take(want).read_to_end(&mut sc.buf).err();
        let got = (sc.buf.len() - before) as u64;
        total += got;
        if base == 0
            && depth < CAPS.depth
            && let Some(kind) = archive::sniff(&sc.buf)
        {
            let head = std::mem::take(&mut sc.buf);
            return container::reader(det, head, &mut r, kind, depth, sc, out);
        }
        if base == 0
            && depth == CAPS.depth
            && let Some(kind) = archive::sniff(&sc.buf)
        {
            sc.notice(NoticeKind::TooDeep(kind), String::new());
        }
        let eof = got < want || failed.is_some();
        let own_to = if eof { sc.buf.len() } else { sc.buf.len() - MAX_TOKEN - LOOK };
        let StreamScratch { buf, det: dsc, matches, notices } = sc;
        matches.clear();
        det.scan(buf, own_from..own_to, dsc, matches);
        to_hits(matches, buf, base, &mut lines, out);
        nesting_notice(dsc, notices);
        if let Some(e) = failed {
            return Err(e);
        }
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

/// A container met at the depth cap is a counted notice (then scanned as raw bytes).
fn too_deep(head: &[u8], depth: usize, sc: &mut StreamScratch) {
    if depth == CAPS.depth
        && let Some(kind) = archive::sniff(head)
    {
        sc.notice(NoticeKind::TooDeep(kind), String::new());
    }
}

/// Encoded text nested deeper than the detector decodes, or too large to decode: a
/// counted warning.
fn nesting_notice(det: &mut Scratch, notices: &mut Vec<Notice>) {
    let n = std::mem::take(&mut det.nesting_capped);
    if n > 0 {
        let message = format!(
            "{n} encoded form(s) nested more than {} levels deep were not decoded",
            super::MAX_NESTING
        );
        notices.push(Notice { kind: NoticeKind::ArchiveLimit, message });
    }
    let n = std::mem::take(&mut det.size_capped);
    if n > 0 {
        let message = format!(
            "{n} Helm release blob(s) over {} MiB or expanding past the zip bomb limit were not decoded",
            super::encoded::helm::MAX_BLOB >> 20
        );
        notices.push(Notice { kind: NoticeKind::ArchiveLimit, message });
    }
}

fn to_hits(matches: &[Match], data: &[u8], base: u64, lines: &mut Lines, out: &mut Vec<Hit>) {
    for m in matches {
        lines.advance(data, base, base + m.start as u64);
        let mut end = lines.clone();
        end.advance(data, base, base + m.end as u64);
        let encoding = m.decoded.as_ref().map(|d| d.0);
        let (column, end_column) = match encoding {
            Some(e @ (Encoding::Utf16le | Encoding::Utf16be)) => {
                (lines.utf16_column(base + m.start as u64, e), end.utf16_column(base + m.end as u64, e))
            }
            _ => (lines.col, end.col),
        };
        let secret = m.decoded.as_ref().map_or_else(|| data[m.start..m.end].to_vec(), |d| d.1.clone());
        out.push(Hit {
            rule: m.rule,
            offset: base + m.start as u64,
            line: lines.line,
            column,
            end_line: end.line,
            end_column,
            secret: Secret::new(secret),
            exp: m.exp,
            allowed: m.allowed,
            encoding,
            entry: None,
            in_name: false,
        });
    }
}

/// A position in the input with its line and column, advanced only forwards.
#[derive(Clone, Debug)]
struct Lines {
    pos: u64,
    line: u64,
    col: u64,
    /// Offset just past the last newline byte (0 on the first line).
    line_start: u64,
}

impl Default for Lines {
    fn default() -> Self {
        Lines { pos: 0, line: 1, col: 1, line_start: 0 }
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
                self.line_start = self.pos + last as u64 + 1;
            }
            None => self.col += chars(seg),
        }
        self.pos = to;
    }

    /// The column of absolute offset `at` (this position) in UTF-16 text: code units since
    /// the line's first one (in UTF-16LE the newline's 0x00 half follows the 0x0A byte).
    fn utf16_column(&self, at: u64, e: Encoding) -> u64 {
        let first_unit =
            if e == Encoding::Utf16le && self.line > 1 { self.line_start + 1 } else { self.line_start };
        1 + at.saturating_sub(first_unit) / 2
    }
}

/// Code points in UTF-8 text: every byte but continuation bytes (0x80-0xBF) counts.
fn chars(s: &[u8]) -> u64 {
    s.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
