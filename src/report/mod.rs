//! Reports: the findings and the summary, written as text, JSON or SARIF.
//!
//! Takes the sorted, reportable findings (allowlisted ones are only counted), the summary
//! and the rules; writes one format to a writer. Secrets appear only as `redacted` unless
//! `show_secrets`. Output is deterministic: no timestamps, findings in sorted order.

pub(crate) mod gitlab;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod sarif;
mod sarif_trust;
mod sarif_uri;
pub(crate) mod text;

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use crate::cli::Format;
use crate::detect::rules::Rule;
use crate::finding::Finding;
use crate::revoke::{Revocation, Status};
use crate::source::Stats;
use crate::suppress::Suppressed;
pub(crate) use crate::vocab::iso8601;

/// What the scan covered, for the summary line and the JSON/SARIF properties.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    pub stats: Stats,
    /// Warnings printed on stderr (unreadable files, ...).
    pub warnings: u64,
    /// Findings on lines with an allow marker: not reported.
    pub allowlisted: u64,
    /// Findings under a path the config file's allowlist names: not reported.
    pub path_allowlisted: u64,
    /// Findings the `--baseline` file lists: not reported.
    pub baselined: u64,
    /// Baseline entries that matched no finding.
    pub baseline_stale: Vec<crate::baseline::Entry>,
    /// Findings of rules the config file disables: not reported.
    pub disabled: u64,
    /// The ids of those rules.
    pub disabled_rules: Vec<String>,
    /// `--range`/`--staged`: where the settings were read ("base commit …", "HEAD").
    pub settings_from: Option<String>,
    /// Settings files the range (or the index) changes.
    pub settings_changes: Vec<crate::config::trust::SettingsChange>,
    /// Findings `--only-verified` left out of the report (not verified live).
    pub verify_left_out: u64,
    /// When the scan started (seconds since the epoch).
    pub started_at: i64,
    pub elapsed: Duration,
    /// What was scanned and how, for the HTML report's header.
    pub scan: ScanInfo,
    /// `--since`/`--branch`: the whole-history scan covered only part of the history.
    pub history_limits: Option<crate::source::git::limits::Limits>,
    /// Findings the settings hide (allow marker, path allowlist, baseline), kept only for
    /// the HTML report, which lists them with their status; other formats only count them.
    pub suppressed: Vec<Suppressed>,
}

/// The scan's target and settings, as the HTML report shows them.
#[derive(Clone, Debug, Default)]
pub(crate) struct ScanInfo {
    /// The scanned root (repository, directory) as given.
    pub target: String,
    /// "whole history", "range A..B", "staged changes", "directory", "standard input".
    pub mode: String,
    /// Settings that shape what was found, as (name, value).
    pub settings: Vec<(String, String)>,
    /// The first warning lines (all are counted in `Summary::warnings`).
    pub warning_lines: Vec<String>,
}

pub(crate) struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    /// The active rules (not those the config disables).
    pub rules: &'a [Rule],
    /// `--range`/`--staged`: findings an inline marker suppressed, listed (SARIF
    /// `suppressions`) so a reviewer sees what the change itself chose to allow.
    pub suppressed: &'a [Finding],
    pub show_secrets: bool,
    /// Revoke hook results by secret SHA-256, when `--revoke-hook` was given.
    pub revocations: Option<&'a HashMap<[u8; 32], Revocation>>,
    /// `--verify` results by secret SHA-256, when `--verify` was given.
    pub verifications: Option<&'a crate::verify::Verifications>,
}

impl Report<'_> {
    /// The secret as this report may show it.
    pub(crate) fn shown(&self, f: &Finding) -> String {
        if self.show_secrets { f.secret.expose_str() } else { f.redacted.clone() }
    }

    /// One fingerprint per finding, parallel to `findings`: the content identity (rule,
    /// path, secret hash; no line, no commit) and the occurrence of that identity in the
    /// file, so it is stable across runs and line moves.
    pub(crate) fn fingerprints(&self) -> Vec<String> {
        let mut seen: HashMap<String, u32> = HashMap::new();
        self.findings
            .iter()
            .map(|f| {
                let id = f.identity();
                let n = seen.entry(id.clone()).or_default();
                *n += 1;
                format!("{}:{n}", &id[..32])
            })
            .collect()
    }

    /// The revoke hook's result for this finding's secret, if it ran for it.
    pub(crate) fn revocation(&self, f: &Finding) -> Option<&Revocation> {
        self.revocations.and_then(|m| m.get(&f.sha256))
    }

    /// Unique secrets by revocation status: (revoked, failed, skipped).
    pub(crate) fn revocation_counts(&self) -> (usize, usize, usize) {
        let all = self.revocations.into_iter().flat_map(|m| m.values());
        let n = |st: Status| all.clone().filter(|r| r.status == st).count();
        (n(Status::Revoked), n(Status::Failed), n(Status::Skipped))
    }

    /// What `--verify` found out about this finding's key, if it asked.
    pub(crate) fn verification(&self, f: &Finding) -> Option<&crate::verify::Verification> {
        self.verifications.and_then(|m| crate::verify::of(m, f))
    }

    /// Unique keys by verification status: (live, invalid, unknown).
    pub(crate) fn verification_counts(&self) -> Option<(usize, usize, usize)> {
        self.verifications.map(crate::verify::counts)
    }

    pub(crate) fn count(&self, level: crate::finding::Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

pub(crate) fn write(format: Format, r: &Report, w: &mut dyn Write, color: bool) -> io::Result<()> {
    match format {
        Format::Text => text::write(r, w, color),
        Format::Json => json::write(r, w),
        Format::Sarif => sarif::write(r, w),
        Format::Gitlab => gitlab::write(r, w),
        Format::Html => html::write(r, w),
    }
}

/// The hidden findings, each with why, sorted as the reported ones are.
/// "expired DATE" or "expires DATE" for a token that carries `exp`.
pub(crate) fn expiry(f: &Finding) -> Option<String> {
    let t = f.expires_at?;
    let verb = if f.expired == Some(true) { "expired" } else { "expires" };
    Some(format!("{verb} {}", iso8601(t, 0)))
}

/// `loftyscan rules`: the active rules, as a table (text) or JSON.
pub(crate) fn rules_list(rules: &[Rule], format: Format, w: &mut dyn Write) -> io::Result<()> {
    if format == Format::Sarif {
        // A run with every rule described and no results (what code scanning would know).
        let summary = Summary::default();
        let r = Report {
            findings: &[],
            summary: &summary,
            rules,
            show_secrets: false,
            revocations: None,
            suppressed: &[],
            verifications: None,
        };
        return sarif::write(&r, w);
    }
    if format != Format::Text {
        let list: Vec<_> = rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.info.id, "title": r.info.title, "level": r.info.level,
                    "kind": r.kind.as_str(), "anchors": r.anchors,
                    "security_severity": r.info.security_severity, "source": r.source,
                    "revocable": r.info.revocable,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *w, &list)?;
        return writeln!(w);
    }
    writeln!(w, "{:<16} {:<8} {:<6} {:<12} {:<18} TITLE", "ID", "LEVEL", "KIND", "ANCHORS", "SOURCE")?;
    for r in rules {
        let kind = r.kind.as_str();
        let anchors = if r.anchors.is_empty() { "(none)".to_string() } else { r.anchors.join(",") };
        let e = |s: &str| crate::finding::escape_bytes(s.as_bytes());
        writeln!(
            w,
            "{:<16} {:<8} {:<6} {:<12} {:<18} {}",
            r.info.id,
            r.info.level.as_str(),
            kind,
            e(&anchors),
            e(&r.source),
            e(&r.info.title)
        )?;
    }
    Ok(())
}
