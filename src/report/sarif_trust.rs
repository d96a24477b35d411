//! The trust parts of the SARIF run: settings files the change touches, as tool
//! configuration notifications (GitHub shows them on the analysis), the suppression counts
//! in `run.properties`, and findings an inline marker suppressed as results with an
//! `inSource` suppression, so code scanning lists them as suppressed, not as never seen.
//!
//! Takes the report and the run as JSON; adds to it.

use serde_json::{Value, json};

use super::Report;
use crate::finding::Finding;

pub(super) fn add(r: &Report, run: &mut Value, result: impl Fn(&Finding) -> Value) {
    let s = r.summary;
    let from = s.settings_from.as_deref().unwrap_or("base");
    let notes: Vec<Value> = s
        .settings_changes
        .iter()
        .map(|c| {
            json!({
                "descriptor": { "id": "settings-changed" },
                "level": "warning",
                "message": { "text": format!(
                    "This change touches scanner settings: {} {}. Settings were read from the {from}, not from the change.",
                    c.path, c.change.as_str()) },
                "locations": [{ "physicalLocation": { "artifactLocation": {
                    "uri": crate::finding::RelPath::new(c.path.as_bytes().to_vec()).uri() } } }],
            })
        })
        .collect();
    if !notes.is_empty() || s.settings_from.is_some() {
        run["invocations"] =
            json!([{ "executionSuccessful": true, "toolConfigurationNotifications": notes }]);
    }
    let mut props = json!({
        "suppressed": {
            "marker": s.allowlisted, "path": s.path_allowlisted, "baseline": s.baselined,
            "disabledRule": s.disabled,
        },
        "disabledRules": s.disabled_rules,
    });
    if let Some(from) = &s.settings_from {
        props["settingsFrom"] = json!(from);
        props["settingsChanges"] = json!(s.settings_changes);
    }
    run["properties"] = props;
    if r.suppressed.is_empty() {
        return;
    }
    let results = run["results"].as_array_mut().expect("a run has results");
    for f in r.suppressed {
        let mut v = result(f);
        v["suppressions"] = json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": "an inline allow marker (loftyscan:allow or another scanner's) on the line",
        }]);
        results.push(v);
    }
}
