//! `--since DATE` and `--branch REF` (gitleaks' `--log-opts="--since=… --branches=…"`):
//! a whole-history scan limited to the commits some named refs reach, committed at or
//! after a date.
//!
//! Takes the flags' text; gives [`Limits`] (the date as seconds since the epoch, the refs
//! resolved to commits) and a one-line description for the summary. A commit whose parent
//! is outside the limits is compared with nothing: the window's oldest commits are scanned
//! whole, so a key still present when the window opens is reported there.

use anyhow::{Result, anyhow};
use git2::{Oid, Repository};

use super::pack::single::PackReader;
use crate::finding::escape_bytes;

/// The limits as given on the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Committer date lower bound, seconds since the epoch (`--since`), with its text.
    pub since: Option<(i64, String)>,
    /// `--branch` refs, in the order given; empty: every ref and HEAD.
    pub branches: Vec<String>,
}

impl Limits {
    pub fn is_limited(&self) -> bool {
        self.since.is_some() || !self.branches.is_empty()
    }

    /// The `--since` bound as an RFC 3339 UTC time.
    pub fn since_utc(&self) -> Option<String> {
        self.since.as_ref().map(|(secs, _)| crate::vocab::iso8601(*secs, 0))
    }

    /// `commits since 2024-01-01T00:00:00Z (committer date), from main, v2` (escaped), if limited.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(since) = self.since_utc() {
            parts.push(format!("since {since} (committer date)"));
        }
        if !self.branches.is_empty() {
            let refs: Vec<String> = self.branches.iter().map(|b| escape_bytes(b.as_bytes())).collect();
            parts.push(format!("from {}", refs.join(", ")));
        }
        (!parts.is_empty()).then(|| format!("commits {}", parts.join(", ")))
    }

    /// Whether a commit (or a tag) dated `time` is inside the `--since` bound.
    pub fn admits(&self, time: i64) -> bool {
        self.since.as_ref().is_none_or(|(since, _)| time >= *since)
    }

    /// The commits the `--branch` refs name, each object on the way checked before libgit2
    /// reads it (a ref into a delta cycle is an error, not a hang).
    pub fn tips(&self, repo: &Repository, packs: &PackReader) -> Result<Vec<Oid>> {
        self.branches.iter().map(|b| tip(repo, packs, b)).collect()
    }

    /// The full ref names the `--branch` values name (for tag roots and ref names); no
    /// object is read.
    pub fn names(&self, repo: &Repository) -> Vec<String> {
        let name = |b: &String| {
            repo.resolve_reference_from_short_name(b).ok().and_then(|r| r.name().ok().map(str::to_string))
        };
        self.branches.iter().filter_map(name).collect()
    }
}

fn tip(repo: &Repository, packs: &PackReader, rev: &str) -> Result<Oid> {
    let shown = escape_bytes(rev.as_bytes());
    let no_commit =
        |why: &str| anyhow!("--branch: '{shown}' names no commit ({})", escape_bytes(why.as_bytes()));
    // A ref (or a full id) gives its target's id without libgit2 reading the object; only
    // another revision expression goes through libgit2's parser.
    let target = match repo.resolve_reference_from_short_name(rev).ok().and_then(|r| r.target()) {
        Some(id) => id,
        None => match Oid::from_str(rev) {
            Ok(id) if rev.len() == 40 => id,
            _ => repo.revparse_single(rev).map_err(|e| no_commit(e.message()))?.id(),
        },
    };
    let mut unreadable = Vec::new();
    match super::commits::peel(repo, packs, target, &mut unreadable) {
        Some(id) => Ok(id),
        None => Err(no_commit(unreadable.first().map_or("not a commit", |(_, why)| why.as_str()))),
    }
}

/// `--since`: `YYYY-MM-DD` (midnight UTC) or RFC 3339 (`2024-05-01T12:00:00Z`,
/// `…+02:00`, fractions of a second ignored).
pub(crate) fn parse_since(s: &str) -> Result<(i64, String), String> {
    let bad =
        || "not a date: use YYYY-MM-DD (midnight UTC) or RFC 3339 (e.g. 2024-05-01T12:00:00Z)".to_string();
    let b = s.as_bytes();
    let day = date(b.get(..10).ok_or_else(bad)?).ok_or_else(bad)?;
    let secs = match b.get(10) {
        None => 0,
        Some(b'T' | b't' | b' ') => time(&b[11..]).ok_or_else(bad)?,
        Some(_) => return Err(bad()),
    };
    Ok((day * 86_400 + secs, s.to_string()))
}

fn digits(b: &[u8]) -> Option<i64> {
    (!b.is_empty() && b.iter().all(u8::is_ascii_digit))
        .then(|| b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

/// `YYYY-MM-DD` → days since 1970-01-01 (a real calendar day only).
fn date(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `HH:MM:SS[.frac](Z|±HH:MM)` → seconds to add to midnight UTC (may be negative).
fn time(b: &[u8]) -> Option<i64> {
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&b[..2])?, digits(&b[3..5])?, digits(&b[6..8])?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut rest = &b[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), oh @ .., b':', m1, m2] if oh.len() == 2 => {
            let (oh, om) = (digits(oh)?, digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    Some(h * 3600 + m * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_and_rfc3339() {
        assert_eq!(parse_since("1970-01-01").unwrap().0, 0);
        assert_eq!(parse_since("2024-03-01").unwrap().0, 1_709_251_200);
        assert_eq!(parse_since("2024-03-01T00:00:00Z").unwrap().0, 1_709_251_200);
        assert_eq!(parse_since("2024-03-01T02:30:00+02:30").unwrap().0, 1_709_251_200);
        assert_eq!(parse_since("2024-02-29T23:00:00.123-01:00").unwrap().0, 1_709_251_200);
        assert_eq!(parse_since("1969-12-31T23:59:59Z").unwrap().0, -1);
    }

    #[test]
    fn bad_dates_say_what_is_accepted() {
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2023-02-29",
            "2024-1-01",
            "2024-03-01T25:00:00Z",
            "2024-03-01T00:00:00",
            "yesterday",
            "2024-03-01T00:00:00+0200",
            "2024-03-01x",
        ] {
            let e = parse_since(bad).unwrap_err();
            assert!(e.starts_with("not a date") && e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }

    #[test]
    fn describe_names_both_limits() {
        let l =
            Limits { since: Some((0, "1970-01-01".into())), branches: vec!["main".into(), "v\n1".into()] };
        assert_eq!(
            l.describe().unwrap(),
            "commits since 1970-01-01T00:00:00Z (committer date), from main, v\\n1"
        );
        assert!(Limits::default().describe().is_none() && l.admits(0) && !l.admits(-1));
    }
}
