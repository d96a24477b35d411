//! Standard input: streamed through the detector in chunks, reported under `--name`.
//!
//! Takes the name to report; gives hits with their origin and counts (one "file"). A read error part
//! way is a counted warning; what was found before it is still reported.

use super::{SkipReason, Stats};
use crate::detect::Detector;
use crate::detect::stream::{StreamScratch, scan_reader};
use crate::finding::{Found, Provenance, RelPath};
use crate::progress::Progress;

pub(crate) fn scan(det: &Detector, name: &str, progress: &Progress) -> (Vec<Found>, Stats) {
    let mut scratch = StreamScratch::default();
    let mut hits = Vec::new();
    let mut stats = Stats::default();
    match scan_reader(det, std::io::stdin().lock(), &mut scratch, &mut hits) {
        Ok(bytes) => {
            stats.files = 1;
            stats.bytes = bytes;
        }
        Err(err) => {
            progress.warn(&format!("cannot read standard input: {err}"));
            stats.skip(SkipReason::Unreadable);
        }
    }
    let name_hits = super::names::scan(det, name.as_bytes());
    let path = RelPath::new(super::names::redacted(det, name.as_bytes(), &name_hits));
    super::report_notices(&mut scratch.notices, || format!("'{}'", path.escaped()), progress, &mut stats);
    let mut findings: Vec<Found> =
        hits.into_iter().map(|h| Found::new(h, path.clone(), Provenance::Stdin)).collect();
    findings.extend(super::names::findings(name_hits, 0, &path, &Provenance::Stdin));
    (findings, stats)
}
