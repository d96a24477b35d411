//! Text report: one line per finding (`path:line:col: level rule secret (title)`), then
//! a summary line. Colour only when asked for (a terminal, and NO_COLOR unset).

use std::io::{self, Write};

use super::{Report, iso8601};
use crate::finding::{Finding, Level, Provenance};
use crate::vocab::human_bytes;

const RESET: &str = "\x1b[0m";

pub(crate) fn write(r: &Report, w: &mut dyn Write, color: bool) -> io::Result<()> {
    let paint = |code: &str, s: &str| {
        if color { format!("\x1b[{code}m{s}{RESET}") } else { s.to_string() }
    };
    for f in r.findings {
        let l = &f.location;
        let level = match f.level {
            Level::Error => paint("1;31", "error"),
            Level::Warning => paint("33", "warning"),
        };
        let shown_path = match &f.entry {
            Some(e) => format!("{}!{}", l.path.escaped(), crate::finding::escape_bytes(e.as_bytes())),
            None => l.path.escaped(),
        };
        let mut encoded = f.encoding.map(|e| format!(" [{}]", e.as_str())).unwrap_or_default();
        if f.in_name {
            encoded += " [in the name]";
        }
        let revoked = match r.revocation(f) {
            // A hook that printed nothing: `[revoked]`, not `[revoked: ]`.
            Some(rev) => match (rev.status, rev.message.is_empty()) {
                (crate::revoke::Status::Revoked, true) => " [revoked]".to_string(),
                (crate::revoke::Status::Revoked, false) => format!(" [revoked: {}]", rev.message),
                (other, true) => format!(" [revocation {}]", other.as_str()),
                (other, false) => format!(" [revocation {}: {}]", other.as_str(), rev.message),
            },
            None => String::new(),
        };
        let verified = match r.verification(f) {
            Some(v) => format!(" [verified {}: {}]", v.status.as_str(), v.message),
            None => String::new(),
        };
        writeln!(
            w,
            "{}:{}:{}: {level} {} {}{encoded} ({}{}){}{}{verified}{revoked}",
            paint("35", &shown_path),
            paint("32", &l.line.to_string()),
            l.column,
            paint("1", &f.rule.id),
            crate::finding::escape_bytes(r.shown(f).as_bytes()),
            crate::finding::escape_bytes(f.rule.title.as_bytes()),
            expiry(f),
            provenance(f),
            exposure(f),
        )?;
    }
    writeln!(w, "{}", summary_line(r))
}

fn expiry(f: &Finding) -> String {
    super::expiry(f).map(|e| format!(", {e}")).unwrap_or_default()
}

fn provenance(f: &Finding) -> String {
    match &f.provenance {
        Provenance::Git { commit } => format!(
            " in commit {} by {} on {}",
            &commit.id[..commit.id.len().min(12)],
            crate::finding::escape_bytes(commit.author.as_bytes()),
            iso8601(commit.time, commit.offset_minutes)
        ),
        Provenance::Unreachable { blob } => format!(" in blob {blob}, which no ref reaches"),
        Provenance::Staged => " (staged)".to_string(),
        Provenance::File | Provenance::Stdin => String::new(),
    }
}

/// ` [still at HEAD; in 2 refs (refs/heads/main, refs/tags/v1); in 5 commits]` (whole history).
fn exposure(f: &Finding) -> String {
    let Some(e) = &f.exposure else { return String::new() };
    let head = if e.present_at_head { "still at HEAD" } else { "not at HEAD" };
    let mut names: Vec<String> =
        e.refs.iter().take(3).map(|r| crate::finding::escape_bytes(r.as_bytes())).collect();
    if e.refs_count > names.len() as u64 {
        names.push(format!("+{} more", e.refs_count - names.len() as u64));
    }
    let refs = match e.refs_count {
        0 => "in no ref".to_string(),
        n => format!("in {} ({})", plural(n, "ref", "refs"), names.join(", ")),
    };
    format!(" [{head}; {refs}; in {}]", plural(e.commits_count, "commit", "commits"))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn summary_line(r: &Report) -> String {
    let s = r.summary;
    let (errors, warnings) = (r.count(Level::Error) as u64, r.count(Level::Warning) as u64);
    let scanned = match s.stats.commits {
        Some(c) => {
            format!("{} from {}", plural(s.stats.files, "blob", "blobs"), plural(c, "commit", "commits"))
        }
        None => plural(s.stats.files, "file", "files"),
    };

    let mut line = format!(
        "loftyscan: {} ({}, {}) in {scanned} ({}) in {:.2} s",
        plural(errors + warnings, "finding", "findings"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        human_bytes(s.stats.bytes),
        s.elapsed.as_secs_f64(),
    );
    if let Some(limits) = s.history_limits.as_ref().and_then(|l| l.describe()) {
        line += &format!("; history limited to {limits}");
    }
    line += &suppressed(s);
    line += &outcomes(r);
    if s.warnings > 0 {
        line += &format!("; {} on stderr", plural(s.warnings, "warning", "warnings"));
    }
    line
}

/// The summary line's counts of what settings, markers and baselines kept out.
fn suppressed(s: &super::Summary) -> String {
    let mut line = String::new();
    if s.allowlisted + s.path_allowlisted > 0 {
        line += &format!("; {} allowlisted", s.allowlisted + s.path_allowlisted);
        if s.path_allowlisted > 0 {
            line += &format!(" ({} by marker, {} by path)", s.allowlisted, s.path_allowlisted);
        }
    }
    if s.baselined > 0 || !s.baseline_stale.is_empty() {
        line += &format!("; {} in the baseline", s.baselined);
        if !s.baseline_stale.is_empty() {
            line += &format!(" ({} baseline entries matched nothing)", s.baseline_stale.len());
        }
    }
    if s.disabled > 0 || !s.disabled_rules.is_empty() {
        line += &format!(
            "; {} by disabled rules ({})",
            plural(s.disabled, "finding suppressed", "findings suppressed"),
            s.disabled_rules.join(", ")
        );
    }
    if !s.settings_changes.is_empty() {
        let list: Vec<String> = s
            .settings_changes
            .iter()
            .map(|c| format!("{} {}", crate::finding::escape_bytes(c.path.as_bytes()), c.change.as_str()))
            .collect();
        let from = s.settings_from.as_deref().unwrap_or("base");
        line += &format!("; settings changed by this change (read from the {from}): {}", list.join(", "));
    }
    line
}

/// The summary line's counts of what was skipped, verified and revoked.
fn outcomes(r: &Report) -> String {
    let (s, mut line) = (r.summary, String::new());
    if !s.stats.skipped.is_empty() {
        let parts: Vec<String> = s.stats.skipped.iter().map(|(k, n)| format!("{n} {}", k.as_str())).collect();
        line += &format!("; skipped: {}", parts.join(", "));
    }
    if let Some((live, invalid, unknown)) = r.verification_counts() {
        line += &format!("; {live} verified live, {invalid} invalid, {unknown} unknown");
        if s.verify_left_out > 0 {
            line += &format!(
                " ({} not verified live left out)",
                plural(s.verify_left_out, "finding", "findings")
            );
        }
    }
    if r.revocations.is_some() {
        let (revoked, failed, skipped) = r.revocation_counts();
        line += &format!("; {} revoked, {failed} failed", plural(revoked as u64, "key", "keys"));
        if skipped > 0 {
            line += &format!(", {skipped} skipped (dry run)");
        }
    }
    line
}
