//! Keys in names: a file, directory, archive entry or ref name scanned like content, and
//! the name with each key replaced by its redacted form.
//!
//! Takes the detector and a name's bytes; gives the hits in it (line 1, columns within the
//! name) and the redacted name. Sources (`source::names`) and containers call it on the
//! names they meet.

use super::Detector;
use super::stream::{Hit, StreamScratch, scan_bytes};
use crate::vocab::redact;

/// Keys in `name`, each hit's `offset` its byte offset in the name.
pub(crate) fn scan(det: &Detector, name: &[u8]) -> Vec<Hit> {
    scan_with(det, name, &mut StreamScratch::default())
}

/// [`scan`] with scratch space reused from name to name (a walk meets thousands).
pub(crate) fn scan_with(det: &Detector, name: &[u8], sc: &mut StreamScratch) -> Vec<Hit> {
    let mut hits = Vec::new();
    if name.is_empty() {
        return hits;
    }
    scan_bytes(det, name, sc, &mut hits);
    sc.notices.clear(); // a name is not a container: nothing of one is noticed
    // A name is not a container: only hits in the plain bytes of the name count.
    hits.retain(|h| h.entry.is_none());
    hits
}

/// `name` with every hit's bytes replaced by its redacted form.
pub(crate) fn redacted(det: &Detector, name: &[u8], hits: &[Hit]) -> Vec<u8> {
    let mut spans: Vec<(usize, usize, String)> = hits
        .iter()
        .map(|h| {
            let start = h.offset as usize;
            let len = locate_len(name, start, h);
            (start, start + len, redact(h.secret.expose(), det.rules[h.rule].redact_prefix))
        })
        .collect();
    spans.sort();
    let (mut out, mut at) = (Vec::with_capacity(name.len()), 0);
    for (s, e, shown) in spans {
        if s < at || e > name.len() {
            continue;
        }
        out.extend_from_slice(&name[at..s]);
        out.extend_from_slice(shown.as_bytes());
        at = e;
    }
    out.extend_from_slice(&name[at..]);
    out
}

/// Bytes the hit spans in the name: the secret itself when it is there verbatim, else
/// (an encoded form) up to the hit's end column on line 1.
fn locate_len(name: &[u8], start: usize, h: &Hit) -> usize {
    let secret = h.secret.expose();
    if name.get(start..start + secret.len()) == Some(secret) {
        return secret.len();
    }
    let text = String::from_utf8_lossy(&name[start.min(name.len())..]);
    let chars = (h.end_column.saturating_sub(h.column)) as usize;
    text.chars().take(chars).map(char::len_utf8).sum()
}
