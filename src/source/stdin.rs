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
    super::report_notices(&mut scratch.notices, || format!("'{name}'"), progress, &mut stats);
    let path = RelPath::new(name.as_bytes().to_vec());
    let findings =
        hits.into_iter().map(|h| to_finding(det, h, path.clone(), Provenance::Stdin, now)).collect();
    (findings, stats)
}
