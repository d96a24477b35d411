//! The shared vocabulary every stage speaks, importing nothing from any stage: a raw
//! secret and its redaction, a finding's level and its rule's record, escaping for
//! terminals, sizes and dates as people read them.
//!
//! A leaf: the detector, the sources, the finding stage and the reports all use it, and it
//! uses none of them, so each stage can be read on its own.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How serious a finding is; also each rule's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Reported, but does not fail the run unless `--fail-on warning`.
    Warning,
    /// Fails the run (exit status 1) by default.
    Error,
}

impl Level {
    /// The lowercase name reports print (`warning`, `error`).
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
    /// Stable rule id (`lfk-secret-key`), used in baselines, SARIF and `disable`.
    pub id: String,
    /// One-line name.
    pub title: String,
    /// What the rule finds.
    pub description: String,
    /// What to do about a finding (rotate, revoke, ...).
    pub help: String,
    /// The level of its findings (an expired token's is lowered to warning).
    pub level: Level,
    /// SARIF `security-severity`: above 0, at most 10.
    pub security_severity: f32,
    /// Rules that hand live findings to the revoke hook (the two key families).
    pub revocable: bool,
}

/// A raw secret. Never printed by `Debug`; only `--show-secrets` and the revoke hook's
/// standard input ever see [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wrap raw secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }
    /// The raw bytes: for `--show-secrets`, hashing and the revoke hook only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// The raw secret as text, invalid UTF-8 as U+FFFD (same restrictions as [`Secret::expose`]).
    pub fn expose_str(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
    /// SHA-256 of the raw bytes.
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

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A size as people read it, in powers of 1024: `512 B`, `1.5 KiB`, `64.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// ISO 8601 date-time for seconds since the epoch at a UTC offset in minutes.
pub fn iso8601(secs: i64, offset_minutes: i32) -> String {
    let local = secs.saturating_add(offset_minutes as i64 * 60);
    let (days, sod) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let time = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60);
    if offset_minutes == 0 {
        return time + "Z";
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!("{time}{sign}{:02}:{:02}", off / 60, off % 60)
}

/// Gregorian (year, month, day) of a day count since 1970-01-01 (Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// What a run found, as `main` maps it to an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at the --fail-on level.
    Clean,
    /// At least one reported finding at or above the --fail-on level.
    Found,
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
    fn dates() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000, 0), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(4_102_444_800, 0), "2100-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400, 0), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000, 120), "2023-11-15T00:13:20+02:00");
        assert_eq!(iso8601(1_700_000_000, -330), "2023-11-14T16:43:20-05:30");
    }
}
