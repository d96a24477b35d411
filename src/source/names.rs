//! Names are content too: a key in a file, directory, archive entry or ref name is a
//! finding, and the name is printed with the key redacted.
//!
//! Takes the hits the detector finds in a name ([`scan`], [`redacted`]: in
//! `detect::names`, which containers use too); gives them as findings located at the
//! redacted name, so every report and warning shows only the redacted name.

use crate::detect::Detector;
use crate::detect::stream::Hit;
use crate::finding::{Finding, Found, Provenance, RelPath};

pub(crate) use crate::detect::names::{redacted, scan};

/// Findings for the keys in a name: located at the (redacted) path itself, line 1, the
/// key's column in the name. `from` is where this entry's own part of the name starts
/// (hits before it belong to a parent directory, reported there).
pub(crate) fn findings(hits: Vec<Hit>, from: usize, path: &RelPath, provenance: &Provenance) -> Vec<Found> {
    hits.into_iter()
        .filter(|h| h.offset as usize >= from)
        .map(|h| Found::new(Hit { in_name: true, ..h }, path.clone(), provenance.clone()))
        .collect()
}

/// (rule, secret, raw path): one finding per key and name.
type NameKey = (usize, Vec<u8>, Vec<u8>);

/// Git modes: keys in the paths a change adds are findings (at the commit that added the
/// path, once per key and path). Paths are redacted in the pipeline ([`redact_paths`]).
pub(crate) fn in_git(
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
pub(crate) fn redact_paths(det: &Detector, found: &mut [Finding]) {
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
pub(crate) fn refs(repo: &git2::Repository, det: &Detector, keep: &dyn Fn(&[u8]) -> bool) -> Vec<Found> {
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
