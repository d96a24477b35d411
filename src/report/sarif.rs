//! SARIF 2.1.0 report: one run, every active rule in `tool.driver.rules`, one result per
//! finding with a content fingerprint, the secret's SHA-256 and, in git mode, the commit.
//! Built for GitHub code scanning's upload rules, as plain JSON values (objects keep their
//! keys sorted, so the output is deterministic).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Report, iso8601};
use crate::detect::rules::Rule;
use crate::finding::{Finding, Level, Provenance};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub(crate) fn write(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = r.rules.iter().map(descriptor).collect();
    let driver = json!({
        "name": "loftyscan",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    let fps = r.fingerprints();
    let cwd = std::env::current_dir().unwrap_or_default();
    let uris = super::sarif_uri::uris(r.findings, &cwd);
    let base = uris.base.as_ref().map(|_| super::sarif_uri::BASE_ID);
    let results: Vec<Value> = r
        .findings
        .iter()
        .zip(fps)
        .zip(&uris.uris)
        .map(|((f, fp), uri)| result(r, f, fp, uri, base))
        .collect();
    let mut run =
        json!({ "tool": { "driver": driver }, "columnKind": "unicodeCodePoints", "results": results });
    if let Some(b) = uris.base.as_deref() {
        run["originalUriBaseIds"] = super::sarif_uri::base_ids(b);
    }
    super::sarif_trust::add(r, &mut run, |f| {
        result(r, f, f.identity()[..32].to_string() + ":suppressed", &f.location.path.uri(), None)
    });
    let sarif = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": [run] });
    serde_json::to_writer_pretty(&mut *w, &sarif)?;
    writeln!(w)
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
    }
}

fn descriptor(rule: &Rule) -> Value {
    let info = &rule.info;
    let name: String = info.title.split(|c: char| !c.is_ascii_alphanumeric()).map(capitalise).collect();
    json!({
        "id": info.id,
        "name": name,
        "shortDescription": { "text": info.title },
        "fullDescription": { "text": info.description },
        "help": {
            "text": info.help,
            "markdown": format!("**{}**\n\n{}\n\n{}", info.title, info.description, info.help),
        },
        "defaultConfiguration": { "level": info.level.as_str() },
        "properties": {
            "tags": ["security", "secret"],
            "security-severity": format!("{:.1}", info.security_severity),
            "precision": "very-high",
            "kind": rule.kind.as_str(),
        },
    })
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

fn result(r: &Report, f: &Finding, fingerprint: String, uri: &str, base: Option<&str>) -> Value {
    let l = &f.location;
    let region = json!({
        "startLine": l.line,
        "startColumn": l.column,
        "endLine": l.end_line,
        "endColumn": l.end_column,
    });
    let artifact = match base {
        Some(id) => json!({ "uri": uri, "uriBaseId": id }),
        None => json!({ "uri": uri }),
    };
    let location = json!({ "physicalLocation": { "artifactLocation": artifact, "region": region } });
    let state = super::expiry(f).map(|e| format!(" ({e})")).unwrap_or_default();
    let verified =
        r.verification(f).map(|v| format!(" [verified {}]", v.status.as_str())).unwrap_or_default();
    let message = format!("{} {}{state}{verified}", f.rule.title, r.shown(f));
    json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index(r, f),
        "level": level(f.level),
        "message": { "text": message },
        "locations": [location],
        "partialFingerprints": { "primaryLocationLineHash": fingerprint },
        "properties": properties(r, f),
    })
}

fn rule_index(r: &Report, f: &Finding) -> i64 {
    r.rules.iter().position(|x| x.info.id == f.rule.id).map_or(-1, |i| i as i64)
}

fn properties(r: &Report, f: &Finding) -> BTreeMap<String, Value> {
    let mut p = BTreeMap::new();
    p.insert("secretSha256".to_string(), json!(f.sha256_hex()));
    if let Some(expired) = f.expired {
        p.insert("expired".to_string(), json!(expired));
    }
    if f.entry.is_some() {
        p.insert("container".to_string(), json!(f.shown_path()));
    }
    if f.in_name {
        p.insert("inName".to_string(), json!(true));
    }
    if let Some(e) = f.encoding {
        p.insert("encoding".to_string(), json!(e.as_str()));
    }
    if let Some(t) = f.expires_at {
        p.insert("expiresAt".to_string(), json!(iso8601(t, 0)));
    }
    if let Provenance::Git { commit } = &f.provenance {
        p.insert("commit".to_string(), json!(commit.id));
        p.insert("author".to_string(), json!(commit.author));
        p.insert("date".to_string(), json!(iso8601(commit.time, commit.offset_minutes)));
    }
    if let Provenance::Unreachable { blob } = &f.provenance {
        p.insert("blob".to_string(), json!(blob));
    }
    if let Some(e) = &f.exposure {
        p.insert("presentAtHead".to_string(), json!(e.present_at_head));
        p.insert("refs".to_string(), json!(e.refs));
        p.insert("refsCount".to_string(), json!(e.refs_count));
        p.insert("commitsCount".to_string(), json!(e.commits_count));
    }
    if let Some(rev) = r.revocation(f) {
        p.insert("revocation".to_string(), json!(rev));
    }
    if let Some(v) = r.verification(f) {
        p.insert("verification".to_string(), json!(v));
    }
    p
}
