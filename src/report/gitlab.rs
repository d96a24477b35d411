//! GitLab secret-detection report (`--format gitlab`, `gl-secret-detection-report.json`),
//! following GitLab's published security report schema, version 15.0.7.
//!
//! Takes the report; writes `{version, scan, vulnerabilities}`. GitLab requires a commit
//! on every vulnerability: in `git` modes it is the finding's commit, otherwise
//! `$CI_COMMIT_SHA` (what a GitLab job scans), else the literal `unknown`. The raw secret
//! is never put in `raw_source_code_extract` or anywhere else unless `--show-secrets`.

use std::io::{self, Write};

use serde::Serialize;
use sha2::Digest;

use super::{Report, iso8601};
use crate::finding::{Finding, Level, Provenance};

pub(crate) const SCHEMA_VERSION: &str = "15.0.7";
const SCHEMA: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/secret-detection-report-format.json";

#[derive(Serialize)]
struct GlReport<'a> {
    version: &'static str,
    schema: &'static str,
    scan: Scan,
    vulnerabilities: Vec<Vulnerability<'a>>,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Tool,
    scanner: Tool,
    #[serde(rename = "type")]
    kind: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
    /// Settings files the change touches and suppression counts (schema `scan.messages`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<GlMessage>,
}

#[derive(Serialize)]
struct GlMessage {
    level: &'static str,
    value: String,
}

/// What a reviewer must see about the scan's settings, as `scan.messages`.
fn messages(r: &Report) -> Vec<GlMessage> {
    let s = r.summary;
    let from = s.settings_from.as_deref().unwrap_or("base");
    let mut out: Vec<GlMessage> = s
        .settings_changes
        .iter()
        .map(|c| GlMessage {
            level: "warn",
            value: format!(
                "This change touches scanner settings: {} {}. Settings were read from the {from}, not from the change.",
                c.path,
                c.change.as_str()
            ),
        })
        .collect();
    let suppressed = s.allowlisted + s.path_allowlisted + s.baselined + s.disabled;
    if suppressed > 0 {
        let value = format!(
            "{suppressed} findings suppressed: {} by inline marker, {} by path allowlist, {} by baseline, {} by disabled rules",
            s.allowlisted, s.path_allowlisted, s.baselined, s.disabled
        );
        out.push(GlMessage { level: "info", value });
    }
    out
}

#[derive(Serialize)]
struct Tool {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: String,
    name: &'a str,
    description: String,
    severity: &'static str,
    solution: &'a str,
    identifiers: Vec<Identifier<'a>>,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Identifier<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: &'a str,
}

#[derive(Serialize)]
struct Location<'a> {
    file: String,
    commit: Commit<'a>,
    start_line: u64,
    end_line: u64,
}

#[derive(Serialize)]
struct Commit<'a> {
    sha: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
}

fn tool() -> Tool {
    Tool {
        id: "loftyscan",
        name: "loftyscan",
        version: env!("CARGO_PKG_VERSION"),
        vendor: Vendor { name: "loftyscan" },
    }
}

/// GitLab's `yyyy-mm-ddThh:mm:ss` (UTC, no zone).
fn gl_time(secs: i64) -> String {
    iso8601(secs, 0).trim_end_matches('Z').to_string()
}

/// A UUID-shaped id from the finding's fingerprint (content identity and occurrence):
/// stable across runs, distinct per finding.
fn uuid(fingerprint: &str) -> String {
    let h = crate::finding::hex(&sha2::Sha256::digest(fingerprint.as_bytes()));
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn severity(r: &Report, f: &Finding) -> &'static str {
    let invalid = r.verification(f).is_some_and(|v| v.status == crate::verify::Status::Invalid);
    if f.expired == Some(true) || invalid {
        return "Low";
    }
    match f.rule.security_severity {
        s if s >= 9.0 && f.level == Level::Error => "Critical",
        s if s >= 7.0 => "High",
        s if s >= 4.0 => "Medium",
        _ => "Low",
    }
}

fn vulnerability<'a>(r: &Report, f: &'a Finding, fingerprint: &str) -> Vulnerability<'a> {
    let (sha, author, date) = match &f.provenance {
        Provenance::Git { commit } => (
            commit.id.clone(),
            Some(commit.author.as_str()),
            Some(iso8601(commit.time, commit.offset_minutes)),
        ),
        _ => (
            std::env::var("CI_COMMIT_SHA").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "unknown".into()),
            None,
            None,
        ),
    };
    let found = super::expiry(f).map(|e| format!(" ({e})")).unwrap_or_default();
    let verified = match r.verification(f) {
        Some(v) => format!(" Verification: {} ({}).", v.status.as_str(), v.message),
        None => String::new(),
    };
    Vulnerability {
        id: uuid(fingerprint),
        name: &f.rule.title,
        description: format!(
            "{} Found: {}{found} at {}:{}.{verified}",
            f.rule.description,
            r.shown(f),
            f.shown_path(),
            f.location.line
        ),
        severity: severity(r, f),
        solution: &f.rule.help,
        identifiers: vec![Identifier {
            kind: "loftyscan_rule_id",
            name: format!("loftyscan rule {}", f.rule.id),
            value: &f.rule.id,
        }],
        location: Location {
            file: f.location.path.lossy(),
            commit: Commit { sha, author, date },
            start_line: f.location.line,
            end_line: f.location.end_line,
        },
    }
}

pub(crate) fn write(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let fps = r.fingerprints();
    let vulnerabilities = r.findings.iter().zip(&fps).map(|(f, fp)| vulnerability(r, f, fp)).collect();
    let started = r.summary.started_at;
    let report = GlReport {
        version: SCHEMA_VERSION,
        schema: SCHEMA,
        scan: Scan {
            analyzer: tool(),
            scanner: tool(),
            kind: "secret_detection",
            start_time: gl_time(started),
            end_time: gl_time(started + r.summary.elapsed.as_secs() as i64),
            status: "success",
            messages: messages(r),
        },
        vulnerabilities,
    };
    serde_json::to_writer_pretty(&mut *w, &report)?;
    writeln!(w)
}
