//! Standard input: streamed through the detector in chunks, reported under `--name`.
//!
//! Takes the name to report; gives findings and counts (one "file"). A read error part
//! way is a counted warning; what was found before it is still reported.

use super::{SkipReason, Stats, to_finding};
use crate::detect::Detector;
use crate::detect::stream::{StreamScratch, scan_reader};
use crate::finding::{Finding, Provenance, RelPath};
use crate::progress::Progress;

pub fn scan(det: &Detector, name: &str, now: i64, progress: &Progress) -> (Vec<Finding>, Stats) {
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
    let mut findings: Vec<Finding> =
        hits.into_iter().map(|h| to_finding(det, h, path.clone(), Provenance::Stdin, now)).collect();
    findings.extend(super::names::findings(det, name_hits, 0, &path, &Provenance::Stdin, now));
    (findings, stats)
}
