//! Findings: one confirmed secret at one place, with where it came from.
//!
//! Takes what the detector confirmed (rule, bytes, position) and what the source knows
//! (path, commit); gives the record every report, the baseline and the revoke hook read.
//! The raw secret lives only in [`Secret`], whose `Debug` is redacted; reports print
//! [`Finding::redacted`] unless `--show-secrets`.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::detect::Detector;
use crate::detect::stream::Hit;

/// What a source gives for one hit: the detector's hit and its origin (path, provenance;
/// whole-history git scans also the exposure). The finding stage ([`build`]) adds what
/// no source needs to know: the rule's record, the level, the redaction and the hash.
#[derive(Clone, Debug)]
pub struct Found {
    pub hit: Hit,
    pub path: RelPath,
    pub provenance: Provenance,
    pub exposure: Option<Exposure>,
}

impl Found {
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

/// How serious a finding is; also each rule's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// What a report needs to know about a rule (shared by every finding of that rule).
#[derive(Debug)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub help: String,
    pub level: Level,
    pub security_severity: f32,
    /// Rules that hand live findings to the revoke hook (the two key families).
    pub revocable: bool,
}

/// A raw secret. Never printed by `Debug`; only `--show-secrets` and the revoke hook's
/// standard input ever see [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    pub fn expose_str(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.0).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

/// `prefix…last4`: the first `keep` characters (a key's fixed prefix, a JWS header), an
/// ellipsis, then the last four. Short secrets show less, never the whole.
pub fn redact(secret: &[u8], keep: usize) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let tail = if n >= 16 { 4 } else { n / 4 };
    let head = keep.min(n.saturating_sub(tail + 8));
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[n - tail..]);
    out
}

/// A path relative to the scanned root, `/`-separated, as raw bytes (file names need not
/// be UTF-8). Renderings for each output live beside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(Vec<u8>);

impl RelPath {
    pub fn new(bytes: Vec<u8>) -> Self {
        RelPath(bytes)
    }
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
        crate::finding::escape_bytes(&self.0)
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

/// Escape control characters and invalid UTF-8 (`\n`, `\x1b`, `\xff`).
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The last line of defence before a terminal, for messages whose parts were escaped
/// already: control characters (escape sequences, bells, line breaks) escaped as
/// [`escape_bytes`] does, everything else, backslashes included, left as it is.
pub fn escape_controls(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { escape_bytes(c.to_string().as_bytes()) } else { c.to_string() })
        .collect()
}

/// Where in the file: 1-based line, 1-based columns in Unicode code points (SARIF
/// `columnKind: unicodeCodePoints`), `end_column` one past the last character.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub path: RelPath,
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
}

/// Commit metadata for a finding in `git` mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    /// Author date, seconds since the epoch, and the author's UTC offset in minutes.
    pub time: i64,
    pub offset_minutes: i32,
}

/// Where the content came from (content and provenance kept apart, as Nosey Parker does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    File,
    Stdin,
    /// In git's index (`git --staged`): about to be committed.
    Staged,
    Git {
        commit: Arc<CommitInfo>,
    },
    /// A blob no ref reaches (`git --include-unreachable`): its id is all that is known.
    Unreachable {
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
    pub refs_count: u64,
    /// Commits (reachable from any ref) that hold it at this path.
    pub commits_count: u64,
}

impl Exposure {
    pub const MAX_REFS: usize = 20;
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: Arc<RuleInfo>,
    pub level: Level,
    pub location: Location,
    pub provenance: Provenance,
    pub secret: Secret,
    pub redacted: String,
    pub sha256: [u8; 32],
    /// `Some` only where the token carries `exp`.
    pub expired: Option<bool>,
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

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_prefix_and_last_four() {
        let key = b"lfk_sk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0";
        assert_eq!(redact(key, 7), "lfk_sk_…s9t0");
        let jws = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        assert_eq!(redact(jws, 10), "eyJhbGciOi…DEFG");
    }

    #[test]
    fn redaction_of_short_secrets_hides_most() {
        assert_eq!(redact(b"abcdefgh", 7), "…gh");
        assert_eq!(redact(b"", 7), "…");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new(b"lfk_sk_topsecret".to_vec());
        assert!(!format!("{s:?}").contains("topsecret"));
    }

    #[test]
    fn paths_render_safely() {
        let p = RelPath::new(b"dir/a b\n\xffc:.env".to_vec());
        assert_eq!(p.uri(), "dir/a%20b%0A%FFc%3A.env");
        assert_eq!(p.escaped(), "dir/a b\\n\\xffc:.env");
        assert_eq!(p.lossy(), "dir/a b\n\u{fffd}c:.env");
    }
}
