//! Baselines: accept the findings a repository already has, report only new ones.
//!
//! Takes the findings of a scan; `--baseline-out` writes their identities (rule, path,
//! SHA-256 of the secret: no line, no commit, never the secret) sorted and without
//! timestamps, so the file diffs cleanly in review; `--baseline` drops findings whose
//! identity it lists and tells which of its entries matched nothing. Moving a line or
//! rebasing keeps a finding's identity; a new secret on an old line has a new one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::safe::{self, BASELINE_CAP};

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub rule_id: String,
    pub path: String,
    pub secret_sha256: String,
    /// For the reviewer only (`lfk_sk_…s9t0`); not part of the identity.
    pub redacted: String,
}

impl Entry {
    fn of(f: &Finding) -> Entry {
        Entry {
            rule_id: f.rule.id.clone(),
            path: f.shown_path(),
            secret_sha256: f.sha256_hex(),
            redacted: f.redacted.clone(),
        }
    }
    fn key(&self) -> (String, String, String) {
        (self.rule_id.clone(), self.path.clone(), self.secret_sha256.clone())
    }
}

/// The baseline file for `findings`: every identity once, sorted.
pub(crate) fn render<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> String {
    let entries: BTreeSet<Entry> = findings.into_iter().map(Entry::of).collect();
    let file = File { version: VERSION, tool: "loftyscan".into(), findings: entries.into_iter().collect() };
    let mut text = serde_json::to_string_pretty(&file).expect("plain data serializes");
    text.push('\n');
    text
}

/// Why `text` is not a baseline, by position only (never quoting the file).
fn not_a_baseline(name: &str, text: &str, e: &serde_json::Error) -> anyhow::Error {
    let hint = match text.trim_start().as_bytes().first() {
        Some(b'[') => " (a JSON array: another scanner's baseline, e.g. gitleaks'?)",
        _ => "",
    };
    let what = format!("'{name}' is not a loftyscan baseline{hint}; write one with --baseline-out");
    match (hint.is_empty(), crate::baseline_schema::check(name, text)) {
        (false, _) => anyhow::anyhow!(what),
        (true, Err(why)) => why.context(what),
        // The shape checks out but the parser still refused it: its position only.
        (true, Ok(())) => anyhow::anyhow!("{what} ({name}:{}:{})", e.line(), e.column()),
    }
}

/// A loaded baseline, remembering which entries matched.
pub(crate) struct Baseline {
    entries: BTreeMap<(String, String, String), Entry>,
    matched: BTreeSet<(String, String, String)>,
}

impl Baseline {
    /// Read the baseline at `path` (at most [`BASELINE_CAP`] bytes).
    pub(crate) fn load(path: &Path) -> Result<Baseline> {
        let text = safe::read_capped(path, "baseline", BASELINE_CAP)?;
        Baseline::parse(&safe::shown(path), &text)
    }

    /// A baseline that lists nothing (a tracked baseline the trusted base does not have).
    pub(crate) fn empty() -> Baseline {
        Baseline { entries: BTreeMap::new(), matched: BTreeSet::new() }
    }

    /// Parse a baseline's text; `name` names it in errors, which never quote the text.
    /// A `redacted` field that does not look like a redaction (a raw key pasted in) is
    /// replaced by `…`, so the tool never echoes it.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Baseline> {
        let file: File = serde_json::from_str(text).map_err(|e| not_a_baseline(name, text, &e))?;
        if file.version != VERSION {
            bail!("baseline '{name}' has version {}; this loftyscan reads version {VERSION}", file.version);
        }
        let entries = file
            .findings
            .into_iter()
            .map(|mut e| {
                if !looks_redacted(&e.redacted) {
                    e.redacted = "…".into();
                }
                (e.key(), e)
            })
            .collect();
        Ok(Baseline { entries, matched: BTreeSet::new() })
    }

    /// Whether the baseline lists `f` (remembered: the entry is not stale).
    pub(crate) fn lists(&mut self, f: &Finding) -> bool {
        let key = Entry::of(f).key();
        let listed = self.entries.contains_key(&key);
        if listed {
            self.matched.insert(key);
        }
        listed
    }

    /// Entries that matched no finding: keys fixed (or moved to another path) since.
    pub(crate) fn stale(&self) -> Vec<&Entry> {
        self.entries.iter().filter(|(k, _)| !self.matched.contains(*k)).map(|(_, e)| e).collect()
    }
}

/// What [`crate::finding::redact`] writes: at most 16 characters, an ellipsis, at most 4.
fn looks_redacted(s: &str) -> bool {
    s.split_once('…').is_some_and(|(head, tail)| head.chars().count() <= 16 && tail.chars().count() <= 4)
}

impl Entry {
    /// `rule path redacted`, escaped for a terminal.
    pub(crate) fn shown(&self) -> String {
        let e = |s: &str| crate::finding::escape_bytes(s.as_bytes());
        format!("{} {} {}", e(&self.rule_id), e(&self.path), e(&self.redacted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_key_in_redacted_is_never_kept_and_errors_quote_nothing() {
        let key = "lfk_sk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0";
        let text = format!(
            r#"{{"version":1,"tool":"loftyscan","findings":[{{"rule_id":"r","path":"p","secret_sha256":"00","redacted":"{key}"}}]}}"#
        );
        let b = Baseline::parse("b.json", &text).unwrap();
        assert_eq!(b.stale()[0].redacted, "…");
        let bad = format!(
            r#"{{"version":1,"tool":"loftyscan","findings":[{{"rule_id":"r","path":"p","secret_sha256":"00","redacted":"x","{key}":1}}]}}"#
        );
        let err = format!("{:#}", Baseline::parse("b.json", &bad).err().unwrap());
        assert!(
            err.contains("b.json: findings entry 1 has an unexpected field (") && !err.contains("a1b2c3"),
            "{err}"
        );
        let err =
            format!("{:#}", Baseline::parse("b.json", &format!("{{\"version\": \"{key}\"}}")).err().unwrap());
        assert!(!err.contains("a1b2c3"), "{err}");
    }
}
