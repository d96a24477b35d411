//! Findings: one confirmed secret at one place, with where it came from.
//!
//! Takes what the detector confirmed (rule, bytes, position) and what the source knows
//! (path, commit); gives the record every report, the baseline and the revoke hook read.
//! The raw secret lives only in [`Secret`] (in [`crate::vocab`]), whose `Debug` is
//! redacted; reports print [`Finding::redacted`] unless `--show-secrets`.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::detect::Detector;
use crate::detect::stream::Hit;
pub use crate::vocab::{Level, RuleInfo, Secret, escape_bytes, escape_controls, hex, redact};

/// What a source gives for one hit: the detector's hit and its origin (path, provenance;
/// whole-history git scans also the exposure). The finding stage ([`build`]) adds what
/// no source needs to know: the rule's record, the level, the redaction and the hash.
#[derive(Clone, Debug)]
pub struct Found {
    /// The detector's hit: rule, position, secret bytes.
    pub hit: Hit,
    /// The path it was found at, relative to the scanned root.
    pub path: RelPath,
    /// Where the content came from (file, stdin, index, commit, unreachable blob).
    pub provenance: Provenance,
    /// Whole-history `git` only: where the secret still lives.
    pub exposure: Option<Exposure>,
}

impl Found {
    /// A hit with its origin and no exposure.
    pub fn new(hit: Hit, path: RelPath, provenance: Provenance) -> Found {
        Found { hit, path, provenance, exposure: None }
    }
}

/// The finding stage: each hit with its origin becomes a [`Finding`]; `now` decides
/// whether a token's `exp` has passed (an expired token is a warning).
pub fn build(det: &Detector, found: Vec<Found>, now: i64) -> Vec<Finding> {
    found.into_iter().map(|f| one(det, f, now)).collect()
}

fn one(det: &Detector, found: Found, now: i64) -> Finding {
    let Found { hit, path, provenance, exposure } = found;
    let rule = &det.rules[hit.rule];
    let expired = hit.exp.map(|exp| exp <= now);
    let level = if expired == Some(true) { Level::Warning } else { rule.info.level };
    let secret = hit.secret;
    Finding {
        rule: rule.info.clone(),
        level,
        redacted: redact(secret.expose(), rule.redact_prefix),
        sha256: secret.sha256(),
        location: Location {
            path,
            line: hit.line,
            column: hit.column,
            end_line: hit.end_line,
            end_column: hit.end_column,
        },
        provenance,
        secret,
        expired,
        expires_at: hit.exp,
        allowed: hit.allowed,
        encoding: hit.encoding,
        entry: hit.entry,
        in_name: hit.in_name,
        exposure,
    }
}

/// A path relative to the scanned root, `/`-separated, as raw bytes (file names need not
/// be UTF-8). Renderings for each output live beside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(Vec<u8>);

impl RelPath {
    /// Wrap raw path bytes (already relative and `/`-separated).
    pub fn new(bytes: Vec<u8>) -> Self {
        RelPath(bytes)
    }
    /// The raw bytes, as the source gave them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// For JSON and messages: invalid UTF-8 becomes U+FFFD.
    pub fn lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
    /// For terminals and logs: control characters and invalid bytes escaped, so a name
    /// cannot break a line or inject escape sequences.
    pub fn escaped(&self) -> String {
        escape_bytes(&self.0)
    }
    /// For SARIF: a relative URI reference, every byte outside unreserved and `/` percent-encoded.
    pub fn uri(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for &b in &self.0 {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

/// Where in the file: 1-based line, 1-based columns in Unicode code points (SARIF
/// `columnKind: unicodeCodePoints`), `end_column` one past the last character.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file (or, for stdin, the `--name`) it was found in.
    pub path: RelPath,
    /// 1-based line where the secret starts.
    pub line: u64,
    /// 1-based column where it starts, in Unicode code points.
    pub column: u64,
    /// 1-based line where it ends.
    pub end_line: u64,
    /// Column one past its last character, in Unicode code points.
    pub end_column: u64,
}

/// Commit metadata for a finding in `git` mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    /// The commit id, 40 hex digits.
    pub id: String,
    /// `Name <email>` as the commit records it; empty where only the id is known.
    pub author: String,
    /// Author date, seconds since the epoch, and the author's UTC offset in minutes.
    pub time: i64,
    /// The author's UTC offset, in minutes (east positive).
    pub offset_minutes: i32,
}

/// Where the content came from (content and provenance kept apart, as Nosey Parker does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// A file on disk (`dir`).
    File,
    /// Standard input (`stdin`).
    Stdin,
    /// In git's index (`git --staged`): about to be committed.
    Staged,
    /// A blob in a commit (`git`: history or `--range`).
    Git {
        /// The commit that added it at this path (shared by its findings).
        commit: Arc<CommitInfo>,
    },
    /// A blob no ref reaches (`git --include-unreachable`): its id is all that is known.
    Unreachable {
        /// The blob id, 40 hex digits.
        blob: String,
    },
}

/// Where a secret found in whole history still lives (`git`, whole history).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Still at this path in HEAD's tip.
    pub present_at_head: bool,
    /// Ref tips that hold it at this path: the first [`Exposure::MAX_REFS`] by name.
    pub refs: Vec<String>,
    /// How many ref tips hold it at this path (all of them, not only those in `refs`).
    pub refs_count: u64,
    /// Commits (reachable from any ref) that hold it at this path.
    pub commits_count: u64,
}

impl Exposure {
    /// Ref names kept in [`Exposure::refs`]; the rest are only counted.
    pub const MAX_REFS: usize = 20;
}

/// One secret at one place: what every report, the baseline and the revoke hook read.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule that found it.
    pub rule: Arc<RuleInfo>,
    /// The rule's level, lowered to warning when the token has expired.
    pub level: Level,
    /// Path, line and columns.
    pub location: Location,
    /// Where the content came from.
    pub provenance: Provenance,
    /// The raw secret; its `Debug` is redacted.
    pub secret: Secret,
    /// The redacted form reports print (`prefix…last4`).
    pub redacted: String,
    /// SHA-256 of the raw secret.
    pub sha256: [u8; 32],
    /// `Some` only where the token carries `exp`.
    pub expired: Option<bool>,
    /// The token's `exp`, seconds since the epoch, where it carries one.
    pub expires_at: Option<i64>,
    /// On a line with an allow marker: counted, never reported or revoked.
    pub allowed: bool,
    /// How the secret was hidden (base64, UTF-16, gzip, zip, ...), if it was.
    pub encoding: Option<crate::detect::encoded::Encoding>,
    /// Inside a container (`backup.zip`): the entry (`config/.env`); line and column
    /// are within it.
    pub entry: Option<String>,
    /// Found in the name itself (a file, directory, archive entry or ref named like a
    /// key), not in the content; the path is shown with the key redacted.
    pub in_name: bool,
    /// Whole-history `git` scans only: where the secret still lives.
    pub exposure: Option<Exposure>,
}

impl Finding {
    /// [`Finding::sha256`] as 64 lowercase hex digits.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
    /// Content identity, hex: rule + path + SHA-256 of the secret; no line, no commit.
    /// Baselines and SARIF fingerprints use it, so moving a line keeps a finding's
    /// identity and a new secret on an old line gets a new one.
    pub fn identity(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"loftyscan-identity-v1\0");
        h.update(self.rule.id.as_bytes());
        h.update(b"\0");
        h.update(self.location.path.as_bytes());
        if let Some(entry) = &self.entry {
            h.update(b"!");
            h.update(entry.as_bytes());
        }
        h.update(b"\0");
        h.update(self.sha256);
        hex(&h.finalize())
    }
    /// Deterministic report order: path, entry, line, column, rule; then (two secrets at
    /// one place in different commits: a key rotated in place) commit date, commit id, and
    /// the secret's hash.
    pub fn sort_key(&self) -> SortKey<'_> {
        let l = &self.location;
        let (time, id) = match &self.provenance {
            Provenance::Git { commit } => (commit.time, commit.id.as_str()),
            _ => (0, ""),
        };
        (
            l.path.as_bytes(),
            self.entry.as_deref(),
            l.line,
            l.column,
            &self.rule.id,
            time,
            id,
            &self.sha256[..],
        )
    }

    /// [`Finding::shown_path`] for a terminal: control characters and invalid bytes escaped.
    pub fn shown_path_escaped(&self) -> String {
        let path = self.location.path.escaped();
        match &self.entry {
            Some(e) => format!("{path}!{}", escape_bytes(e.as_bytes())),
            None => path,
        }
    }

    /// The path as shown to people: `backup.zip!config/.env` inside a container.
    pub fn shown_path(&self) -> String {
        let path = self.location.path.lossy();
        match &self.entry {
            Some(e) => format!("{path}!{e}"),
            None => path,
        }
    }
}

/// [`Finding::sort_key`]: path, entry, line, column, rule, commit time, commit id, secret hash.
pub type SortKey<'a> = (&'a [u8], Option<&'a str>, u64, u64, &'a str, i64, &'a str, &'a [u8]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_safely() {
        let p = RelPath::new(b"dir/a b\n\xffc:.env".to_vec());
        assert_eq!(p.uri(), "dir/a%20b%0A%FFc%3A.env");
        assert_eq!(p.escaped(), "dir/a b\\n\\xffc:.env");
        assert_eq!(p.lossy(), "dir/a b\n\u{fffd}c:.env");
    }
}
