//! The HTML report's data: one row per finding, reported or hidden by the settings, with
//! its status; the table's JSON block; HTML and script-safe JSON escaping.
//!
//! Takes the report; gives [`Row`]s (sorted as the other reports sort findings) and the
//! JSON the inline script renders. Never a raw secret: rows carry the redacted form only,
//! whatever `--show-secrets` says, so the file can be handed on.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::finding::{Finding, Level, Provenance};
use crate::report::{Report, iso8601};
use crate::suppress::Suppression;

/// A finding's status, the report's main filter. Closed set, in display order.
///
/// `--verify` (issue #18) adds a `verification` to findings: its `invalid` and `unknown`
/// results become two more variants here (`VerifiedInvalid`, `VerifyUnknown`, ids
/// `invalid` / `unknown`), chosen in [`status`] before `Live`; the page and its script
/// take the list from the data, so nothing else changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Status {
    Live,
    Expired,
    Allowlisted,
    Baselined,
}

impl Status {
    pub(crate) const ALL: [Status; 4] =
        [Status::Live, Status::Expired, Status::Allowlisted, Status::Baselined];
    pub(crate) fn id(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Expired => "expired",
            Status::Allowlisted => "allowlisted",
            Status::Baselined => "baselined",
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Live => "Live",
            Status::Expired => "Expired",
            Status::Allowlisted => "Allowlisted",
            Status::Baselined => "Baselined",
        }
    }
    /// Still a leak someone must act on (reported, not hidden by the settings).
    pub(crate) fn reported(self) -> bool {
        matches!(self, Status::Live | Status::Expired)
    }
}

/// Hidden findings keep their reason; a reported one is live unless its `exp` passed.
pub(crate) fn status(f: &Finding, hidden: Option<Suppression>) -> Status {
    match hidden {
        Some(Suppression::DisabledRule | Suppression::Marker | Suppression::Path) => Status::Allowlisted,
        Some(Suppression::Baseline) => Status::Baselined,
        None if f.expired == Some(true) => Status::Expired,
        None => Status::Live,
    }
}

pub(crate) struct Row<'a> {
    pub f: &'a Finding,
    pub status: Status,
}

/// Every finding, reported and hidden, in report order.
pub(crate) fn rows<'a>(r: &'a Report) -> Vec<Row<'a>> {
    let mut rows: Vec<Row> = r.findings.iter().map(|f| Row { f, status: status(f, None) }).collect();
    rows.extend(
        r.summary.suppressed.iter().map(|s| Row { f: &s.finding, status: status(&s.finding, Some(s.why)) }),
    );
    rows.sort_by(|a, b| a.f.sort_key().cmp(&b.f.sort_key()).then(a.status.cmp(&b.status)));
    rows
}

/// The author date as `YYYY-MM-DD` (author's local date), in git mode.
pub(crate) fn date(f: &Finding) -> Option<String> {
    match &f.provenance {
        Provenance::Git { commit } => Some(iso8601(commit.time, commit.offset_minutes)[..10].to_string()),
        _ => None,
    }
}

/// The table's data: `statuses`, `rules`, `keys` (redacted, one per distinct secret) and
/// `rows`, each row an array (see `cols` in the data and report.js).
pub(crate) fn table(r: &Report, rows: &[Row]) -> Value {
    let rule_ids: Vec<&str> = r.rules.iter().map(|x| x.info.id.as_str()).collect();
    let mut rule_index: HashMap<&str, usize> = rule_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut rules: Vec<Value> =
        r.rules.iter().map(|x| json!({"id": x.info.id, "title": x.info.title})).collect();
    let mut keys: Vec<&str> = Vec::new();
    let mut key_index: HashMap<[u8; 32], usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let f = row.f;
        let rule = *rule_index.entry(f.rule.id.as_str()).or_insert_with(|| {
            rules.push(json!({"id": f.rule.id, "title": f.rule.title}));
            rules.len() - 1
        });
        let key = *key_index.entry(f.sha256).or_insert_with(|| {
            keys.push(&f.redacted);
            keys.len() - 1
        });
        out.push(row_json(f, row.status, rule, key));
    }
    let statuses: Vec<Value> =
        Status::ALL.iter().map(|s| json!({"id": s.id(), "label": s.label()})).collect();
    json!({
        "cols": ["rule", "level", "status", "key", "path", "line", "commit", "author", "date",
                 "head", "refs_count", "commits_count", "refs", "blob"],
        "statuses": statuses,
        "rules": rules,
        "keys": keys,
        "rows": out,
    })
}

fn row_json(f: &Finding, status: Status, rule: usize, key: usize) -> Value {
    let (commit, author) = match &f.provenance {
        Provenance::Git { commit } => {
            (Some(&commit.id[..commit.id.len().min(12)]), Some(commit.author.as_str()))
        }
        _ => (None, None),
    };
    let blob = match &f.provenance {
        Provenance::Unreachable { blob } => Some(blob.as_str()),
        _ => None,
    };
    let e = f.exposure.as_ref();
    json!([
        rule,
        u8::from(f.level == Level::Error),
        Status::ALL.iter().position(|s| *s == status),
        key,
        f.shown_path(),
        f.location.line,
        commit,
        author,
        date(f),
        e.map(|e| u8::from(e.present_at_head)),
        e.map(|e| e.refs_count),
        e.map(|e| e.commits_count),
        e.map(|e| &e.refs),
        blob,
    ])
}

/// Text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&`
/// (so no `</script>` or `<!--`), and no U+2028/U+2029.
pub(crate) fn script_json(v: &Value) -> String {
    let text = serde_json::to_string(v).expect("a JSON value serialises");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = json!({"p": "</script><script>alert(1)</script>&amp;<!--\u{2028}\u{2029}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v, "still the same JSON");
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>\u{1b}"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{fffd}"
        );
    }
}
