//! Baselines: accept the findings a repository already has, report only new ones.
//!
//! Takes the findings of a scan; `--baseline-out` writes their identities (rule, path,
//! SHA-256 of the secret: no line, no commit, never the secret) sorted and without
//! timestamps, so the file diffs cleanly in review; `--baseline` drops findings whose
//! identity it lists and tells which of its entries matched nothing. Moving a line or
//! rebasing keeps a finding's identity; a new secret on an old line has a new one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::finding::Finding;

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
pub struct Entry {
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
pub fn render(findings: &[Finding]) -> String {
    let entries: BTreeSet<Entry> = findings.iter().map(Entry::of).collect();
    let file = File { version: VERSION, tool: "loftyscan".into(), findings: entries.into_iter().collect() };
    let mut text = serde_json::to_string_pretty(&file).expect("plain data serializes");
    text.push('\n');
    text
}

/// Why `text` is not a baseline, by position only (never quoting the file).
fn not_a_baseline(path: &Path, text: &str, e: &serde_json::Error) -> anyhow::Error {
    let shape = match text.trim_start().as_bytes().first() {
        Some(b'[') => " (a JSON array: another scanner's baseline, e.g. gitleaks'?)".to_string(),
        _ if e.is_syntax() || e.is_eof() => format!(" (not JSON: line {}, column {})", e.line(), e.column()),
        _ => format!(" (line {}, column {})", e.line(), e.column()),
    };
    anyhow::anyhow!("'{}' is not a loftyscan baseline{shape}; write one with --baseline-out", path.display())
}

/// A loaded baseline, remembering which entries matched.
pub struct Baseline {
    entries: BTreeMap<(String, String, String), Entry>,
    matched: BTreeSet<(String, String, String)>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline '{}'", path.display()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| not_a_baseline(path, &text, &e))?;
        if file.version != VERSION {
            bail!(
                "baseline '{}' has version {}; this loftyscan reads version {VERSION}",
                path.display(),
                file.version
            );
        }
        let entries = file.findings.into_iter().map(|e| (e.key(), e)).collect();
        Ok(Baseline { entries, matched: BTreeSet::new() })
    }

    /// Split findings into (new, baselined).
    pub fn apply(&mut self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
        let (mut new, mut old) = (Vec::new(), Vec::new());
        for f in findings {
            let key = Entry::of(&f).key();
            if self.entries.contains_key(&key) {
                self.matched.insert(key);
                old.push(f);
            } else {
                new.push(f);
            }
        }
        (new, old)
    }

    /// Entries that matched no finding: keys fixed (or moved to another path) since.
    pub fn stale(&self) -> Vec<&Entry> {
        self.entries.iter().filter(|(k, _)| !self.matched.contains(*k)).map(|(_, e)| e).collect()
    }
}
