//! JSON report: `{"schema_version", "tool", "findings": [...], "summary": {...}}`.
//! Field names are stable and documented in README ("JSON report"). No timestamps, so two
//! runs over the same input are byte-identical.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Report, iso8601};
use crate::finding::{Level, Provenance};
use crate::revoke::Revocation;
use crate::verify::Verification;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    /// `--range`/`--staged`: findings an inline marker on an added line suppressed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed: Vec<JsonFinding<'a>>,
    summary: JsonSummary<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_title: &'a str,
    level: Level,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
    /// The key is in the path (or entry) name itself, shown redacted there.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    in_name: bool,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    redacted: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    secret_sha256: String,
    fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expired: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blob: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    present_at_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refs: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refs_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commits_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation: Option<&'a Revocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    findings: usize,
    errors: usize,
    warnings: usize,
    allowlisted: u64,
    path_allowlisted: u64,
    baselined: u64,
    baseline_stale: &'a [crate::baseline::Entry],
    disabled: u64,
    disabled_rules: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    settings_from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings_changes: Option<&'a [crate::config::trust::SettingsChange]>,
    files_scanned: u64,
    bytes_scanned: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    commits_scanned: Option<u64>,
    /// `--since`/`--branch`: only part of the history was scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    history_limits: Option<HistoryLimits>,
    skipped: BTreeMap<&'static str, u64>,
    read_warnings: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation: Option<RevocationSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<VerificationSummary>,
}

/// Unique keys by `--verify` status, and findings `--only-verified` left out.
#[derive(Serialize)]
struct VerificationSummary {
    live: usize,
    invalid: usize,
    unknown: usize,
    left_out: u64,
}

#[derive(Serialize)]
struct HistoryLimits {
    /// Commits dated (committer date) at or after this RFC 3339 UTC time.
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    /// Only the history these refs reach (empty: every ref).
    branches: Vec<String>,
}

#[derive(Serialize)]
struct RevocationSummary {
    revoked: usize,
    failed: usize,
    skipped: usize,
}

pub(crate) fn write(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let findings = json_findings(r, r.findings, r.fingerprints());
    let suppressed_fps =
        r.suppressed.iter().map(|f| f.identity()[..32].to_string() + ":suppressed").collect();
    let suppressed = json_findings(r, r.suppressed, suppressed_fps);
    let s = r.summary;
    let report = JsonReport {
        schema_version: 1,
        tool: Tool { name: "loftyscan", version: env!("CARGO_PKG_VERSION") },
        findings,
        suppressed,
        summary: JsonSummary {
            findings: r.findings.len(),
            errors: r.count(Level::Error),
            warnings: r.count(Level::Warning),
            allowlisted: s.allowlisted,
            path_allowlisted: s.path_allowlisted,
            baselined: s.baselined,
            baseline_stale: &s.baseline_stale,
            disabled: s.disabled,
            disabled_rules: &s.disabled_rules,
            settings_from: s.settings_from.as_deref(),
            settings_changes: s.settings_from.as_ref().map(|_| s.settings_changes.as_slice()),
            files_scanned: s.stats.files,
            bytes_scanned: s.stats.bytes,
            commits_scanned: s.stats.commits,
            history_limits: s
                .history_limits
                .as_ref()
                .map(|l| HistoryLimits { since: l.since_utc(), branches: l.branches.clone() }),
            skipped: s.stats.skipped.iter().map(|(k, v)| (k.key(), *v)).collect(),
            read_warnings: s.warnings,
            revocation: r.revocations.map(|_| {
                let (revoked, failed, skipped) = r.revocation_counts();
                RevocationSummary { revoked, failed, skipped }
            }),
            verification: r.verification_counts().map(|(live, invalid, unknown)| VerificationSummary {
                live,
                invalid,
                unknown,
                left_out: s.verify_left_out,
            }),
        },
    };
    serde_json::to_writer_pretty(&mut *w, &report)?;
    writeln!(w)
}

fn json_findings<'a>(
    r: &'a Report,
    list: &'a [crate::finding::Finding],
    fps: Vec<String>,
) -> Vec<JsonFinding<'a>> {
    list.iter()
        .zip(fps)
        .map(|(f, fingerprint)| {
            let commit = match &f.provenance {
                Provenance::Git { commit } => Some(commit),
                _ => None,
            };
            JsonFinding {
                rule_id: &f.rule.id,
                rule_title: &f.rule.title,
                level: f.level,
                path: f.location.path.lossy(),
                entry: f.entry.as_deref(),
                encoding: f.encoding.map(|e| e.as_str()),
                in_name: f.in_name,
                line: f.location.line,
                column: f.location.column,
                end_line: f.location.end_line,
                end_column: f.location.end_column,
                redacted: &f.redacted,
                secret: r.show_secrets.then(|| f.secret.expose_str()),
                secret_sha256: f.sha256_hex(),
                fingerprint,
                expired: f.expired,
                expires_at: f.expires_at.map(|t| iso8601(t, 0)),
                commit: commit.map(|c| c.id.as_str()),
                author: commit.map(|c| c.author.as_str()),
                date: commit.map(|c| iso8601(c.time, c.offset_minutes)),
                blob: match &f.provenance {
                    Provenance::Unreachable { blob } => Some(blob.as_str()),
                    _ => None,
                },
                present_at_head: f.exposure.as_ref().map(|e| e.present_at_head),
                refs: f.exposure.as_ref().map(|e| e.refs.as_slice()),
                refs_count: f.exposure.as_ref().map(|e| e.refs_count),
                commits_count: f.exposure.as_ref().map(|e| e.commits_count),
                revocation: r.revocation(f),
                verification: r.verification(f),
            }
        })
        .collect()
}
