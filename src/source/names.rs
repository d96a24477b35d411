//! Names are content too: a key in a file, directory, archive entry or ref name is a
//! finding, and the name is printed with the key redacted.
//!
//! Takes the detector and a name's bytes; gives the hits in it (line 1, columns within
//! the name) and the name with each key replaced by its redacted form. Sources call
//! [`scan`] on the names they meet and build the finding's path from [`redacted`], so
//! every report and warning shows only the redacted name.

use crate::detect::Detector;
use crate::detect::stream::{Hit, StreamScratch, scan_bytes};
use crate::finding::{Finding, Found, Provenance, RelPath, redact};

/// Keys in `name`, each hit's `offset` its byte offset in the name.
pub fn scan(det: &Detector, name: &[u8]) -> Vec<Hit> {
    let (mut sc, mut hits) = (StreamScratch::default(), Vec::new());
    if name.is_empty() {
        return hits;
    }
    scan_bytes(det, name, &mut sc, &mut hits);
    // A name is not a container: only hits in the plain bytes of the name count.
    hits.retain(|h| h.entry.is_none());
    hits
}

/// `name` with every hit's bytes replaced by its redacted form.
pub fn redacted(det: &Detector, name: &[u8], hits: &[Hit]) -> Vec<u8> {
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

/// Findings for the keys in a name: located at the (redacted) path itself, line 1, the
/// key's column in the name. `from` is where this entry's own part of the name starts
/// (hits before it belong to a parent directory, reported there).
pub fn findings(hits: Vec<Hit>, from: usize, path: &RelPath, provenance: &Provenance) -> Vec<Found> {
    hits.into_iter()
        .filter(|h| h.offset as usize >= from)
        .map(|h| Found::new(Hit { in_name: true, ..h }, path.clone(), provenance.clone()))
        .collect()
}

/// (rule, secret, raw path): one finding per key and name.
type NameKey = (usize, Vec<u8>, Vec<u8>);

/// Git modes: keys in the paths a change adds are findings (at the commit that added the
/// path, once per key and path). Paths are redacted in the pipeline ([`redact_paths`]).
pub fn in_git(
    det: &Detector,
    found: &mut Vec<Found>,
    added: impl Iterator<Item = (Vec<u8>, u32, Provenance)>,
) {
    let mut best: std::collections::HashMap<NameKey, (u32, Found)> = Default::default();
    for (raw, order, prov) in added {
        let hits = scan(det, &raw);
        if hits.is_empty() {
            continue;
        }
        let shown = RelPath::new(redacted(det, &raw, &hits));
        for f in findings(hits, 0, &shown, &prov) {
            let key = (f.hit.rule, f.hit.secret.expose().to_vec(), raw.clone());
            match best.get(&key) {
                Some((o, _)) if *o <= order => {}
                _ => {
                    best.insert(key, (order, f));
                }
            }
        }
    }
    found.extend(best.into_values().map(|(_, f)| f));
}

/// Redact the keys in every finding's path and container entry.
pub fn redact_paths(det: &Detector, found: &mut [Finding]) {
    for f in found {
        let raw = f.location.path.as_bytes().to_vec();
        let hits = scan(det, &raw);
        if !hits.is_empty() {
            f.location.path = RelPath::new(redacted(det, &raw, &hits));
        }
        if let Some(e) = &f.entry {
            let hits = scan(det, e.as_bytes());
            if !hits.is_empty() {
                f.entry = Some(String::from_utf8_lossy(&redacted(det, e.as_bytes(), &hits)).into_owned());
            }
        }
    }
}

/// Whole history: keys in ref names (`refs/heads/lfk_sk_…`) are findings, located at the
/// ref's (redacted) name, at the commit it points to.
/// `keep` picks the refs (by full name) whose names are scanned (`--branch`: those named).
pub fn refs(repo: &git2::Repository, det: &Detector, keep: &dyn Fn(&[u8]) -> bool) -> Vec<Found> {
    let Ok(refs) = repo.references() else { return Vec::new() };
    let mut out = Vec::new();
    for r in refs.flatten() {
        let raw = r.name_bytes().to_vec();
        if !keep(&raw) {
            continue;
        }
        let hits = scan(det, &raw);
        if hits.is_empty() {
            continue;
        }
        let prov = match r.peel_to_commit() {
            Ok(c) => Provenance::Git { commit: std::sync::Arc::new(super::git::commit_info(&c)) },
            Err(_) => continue,
        };
        let shown = RelPath::new(redacted(det, &raw, &hits));
        out.extend(findings(hits, 0, &shown, &prov));
    }
    out
}
