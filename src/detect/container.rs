//! Scanning inside containers: a gzip stream or a zip found at the start of a file, blob
//! or standard input is opened and its content scanned like any other (nested, up to
//! [`CAPS`]`.depth` levels), its hits tagged with the entry and the container kind.
//!
//! Takes the detector, the container's bytes (or a reader positioned at its start) and
//! the depth; gives hits plus notices for every limit hit and every corrupt container. A
//! gzip is streamed (memory stays one chunk); a zip is held in memory up to 64 MiB and its
//! entries are decompressed one at a time (a larger zip is scanned as raw bytes).

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use super::Detector;
use super::archive::{self, Kind};
use super::encoded::Encoding;
use super::stream::{self, Hit, NoticeKind, StreamScratch};

/// A zip larger than this is scanned as raw bytes.
const ZIP_IN_MEMORY: u64 = 64 << 20;
/// The largest single zip entry opened.
const ENTRY_MAX: u64 = 64 << 20;

/// Tag hits found inside a container entry.
fn tag(mut hits: Vec<Hit>, entry: &str, kind: Encoding, out: &mut Vec<Hit>) {
    for h in &mut hits {
        // A gzip with no stored name adds no entry: `backup.env.gz:1:5 [gzip]`.
        h.entry = match h.entry.take() {
            Some(inner) if !entry.is_empty() => Some(format!("{entry}!{inner}")),
            Some(inner) => Some(inner),
            None if entry.is_empty() => None,
            None => Some(entry.to_string()),
        };
        h.encoding.get_or_insert(kind);
    }
    out.extend(hits);
}

/// The notices from `from` on came from inside `entry` (escaped, redacted; empty for a
/// gzip with no stored name): a too-deep container's path gets it as its next component.
fn within(notices: &mut [stream::Notice], from: usize, entry: &str) {
    for n in notices[from..].iter_mut().filter(|n| matches!(n.kind, NoticeKind::TooDeep(_))) {
        if !entry.is_empty() {
            n.message =
                if n.message.is_empty() { entry.to_string() } else { format!("{entry}!{}", n.message) };
        }
    }
}

/// Scan a container held in memory (a git blob). False if `data` is not one.
pub(crate) fn bytes(
    det: &Detector,
    data: &[u8],
    depth: usize,
    sc: &mut StreamScratch,
    out: &mut Vec<Hit>,
) -> bool {
    match archive::sniff(data) {
        Some(Kind::Zip) if data.len() as u64 <= ZIP_IN_MEMORY => zip(det, data, depth, sc, out),
        Some(Kind::Gzip) => {
            gzip(det, data, depth, sc, out);
        }
        _ => return false,
    }
    true
}

/// Scan a container read from `r` (its first bytes already in `head`). Returns the bytes
/// read from `r` and `head` together.
pub(crate) fn reader(
    det: &Detector,
    head: Vec<u8>,
    r: &mut dyn Read,
    kind: Kind,
    depth: usize,
    sc: &mut StreamScratch,
    out: &mut Vec<Hit>,
) -> io::Result<u64> {
    let input = io::Cursor::new(head).chain(r);
    match kind {
        Kind::Gzip => Ok(gzip(det, input, depth, sc, out)),
        Kind::Zip => {
            let mut data = Vec::new();
            let mut input = input;
            (&mut input).take(ZIP_IN_MEMORY + 1).read_to_end(&mut data)?;
            if data.len() as u64 <= ZIP_IN_MEMORY {
                zip(det, &data, depth, sc, out);
                return Ok(data.len() as u64);
            }
            sc.notice(
                NoticeKind::ArchiveLimit,
                "zip over 64 MiB: its entries were not opened; scanned as raw bytes".into(),
            );
            let mut inner = StreamScratch::default();
            let raw = io::Cursor::new(data).chain(input);
            let n = stream::scan_reader_at(det, raw, stream::CHUNK, stream::RAW, &mut inner, out)?;
            sc.notices.append(&mut inner.notices);
            Ok(n)
        }
    }
}

/// Counts what the gzip decoder takes in, and ends its output once it passes the ratio
/// or total cap (flagging it), so a gzip bomb stops early.
struct Counting<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

struct Capped<R> {
    inner: R,
    input: Rc<Cell<u64>>,
    produced: u64,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.produced > archive::budget(self.input.get()) {
            self.hit = true;
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        Ok(n)
    }
}

fn gzip(det: &Detector, input: impl Read, depth: usize, sc: &mut StreamScratch, out: &mut Vec<Hit>) -> u64 {
    let read = Rc::new(Cell::new(0));
    let mut dec = flate2::read::MultiGzDecoder::new(Counting { inner: input, read: read.clone() });
    let mut capped = Capped { inner: &mut dec, input: read.clone(), produced: 0, hit: false };
    let (mut inner, mut hits) = (StreamScratch::default(), Vec::new());
    let res = stream::scan_reader_at(det, &mut capped, stream::CHUNK, depth + 1, &mut inner, &mut hits);
    let (hit_cap, produced) = (capped.hit, capped.produced);
    let raw = dec.header().and_then(|h| h.filename()).unwrap_or_default().to_vec();
    let name_hits = crate::detect::names::scan(det, &raw);
    let name = String::from_utf8_lossy(&crate::detect::names::redacted(det, &raw, &name_hits)).into_owned();
    tag(name_hits.into_iter().map(|h| Hit { in_name: true, ..h }).collect(), &name, Encoding::Gzip, out);
    tag(hits, &name, Encoding::Gzip, out);
    within(&mut inner.notices, 0, &crate::vocab::escape_bytes(name.as_bytes()));
    sc.notices.append(&mut inner.notices);
    if hit_cap {
        let msg =
            format!("gzip expands past {} MiB: the rest was not scanned (zip bomb limit)", produced >> 20);
        sc.notice(NoticeKind::ArchiveLimit, msg);
    }
    if let Err(e) = res {
        sc.notice(NoticeKind::Corrupt, format!("corrupt or truncated gzip data: {e}"));
    }
    read.get()
}

fn zip(det: &Detector, data: &[u8], depth: usize, sc: &mut StreamScratch, out: &mut Vec<Hit>) {
    let entries = match archive::zip_entries(data) {
        Ok(e) => e,
        Err(e) => {
            sc.notice(NoticeKind::Corrupt, format!("cannot read zip: {e:#}; scanned as raw bytes"));
            let mut inner = StreamScratch::default();
            stream::scan_bytes_at(det, data, stream::RAW, &mut inner, out);
            return;
        }
    };
    let mut left = archive::budget(data.len() as u64);
    let mut inner = StreamScratch::default();
    for e in entries.iter() {
        let name_hits = crate::detect::names::scan(det, &e.name);
        let shown = crate::detect::names::redacted(det, &e.name, &name_hits);
        let name = crate::vocab::escape_bytes(&shown);
        let in_name: Vec<Hit> = name_hits.into_iter().map(|h| Hit { in_name: true, line: 1, ..h }).collect();
        tag(in_name, &name, Encoding::Zip, out);
        if e.name.ends_with(b"/") {
            continue;
        }
        if e.size > left.min(ENTRY_MAX) {
            let msg = format!(
                "zip entry '{name}' would expand to {} MiB: not scanned (zip bomb limit)",
                e.size >> 20
            );
            sc.notice(NoticeKind::ArchiveLimit, msg);
            continue;
        }
        match archive::zip_entry(data, e) {
            Ok(bytes) => {
                left -= bytes.len() as u64;
                let mut hits = Vec::new();
                let before = inner.notices.len();
                stream::scan_bytes_at(det, &bytes, depth + 1, &mut inner, &mut hits);
                within(&mut inner.notices, before, &name);
                // Reports escape the entry when they print it: tag it unescaped (escaped once).
                tag(hits, &String::from_utf8_lossy(&e.name), Encoding::Zip, out);
            }
            Err(err) => sc.notice(NoticeKind::Corrupt, format!("zip entry '{name}': {err:#}; not scanned")),
        }
    }
    sc.notices.append(&mut inner.notices);
}
