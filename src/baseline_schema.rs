//! Why a file is not a loftyscan baseline, in loftyscan's own words (never a parser's, never
//! the file's content): not JSON (with the position), the wrong top-level shape, or which
//! field of which entry is missing, unexpected or of the wrong type.
//!
//! Takes the file's name and text; gives `Ok` for a well-formed baseline, else the reason.
//! Only names from the schema are printed; a field name from the file is shown only when it
//! is a plain short word (`safe::plain_key`), else as "a field".

use anyhow::{Result, anyhow};
use serde_json::{Map, Value};

use crate::safe::plain_key;

const TOP: [&str; 3] = ["version", "tool", "findings"];
const ENTRY: [&str; 4] = ["rule_id", "path", "secret_sha256", "redacted"];

/// `Ok` when `text` has a baseline's shape.
pub(crate) fn check(name: &str, text: &str) -> Result<()> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let how = if e.is_eof() { "it ends early" } else { "a syntax error" };
        anyhow!("{name}:{}:{}: not valid JSON ({how})", e.line(), e.column())
    })?;
    let top = value.as_object().ok_or_else(|| anyhow!("{name}: the top level is not a JSON object"))?;
    fields(top, &TOP, "the top level").map_err(|e| anyhow!("{name}: {e}"))?;
    let whole = top.get("version").and_then(Value::as_u64).is_some_and(|n| u32::try_from(n).is_ok());
    if !whole {
        return Err(anyhow!("{name}: `version` is missing or not a whole number"));
    }
    if !top.get("tool").is_some_and(Value::is_string) {
        return Err(anyhow!("{name}: `tool` is missing or not a string"));
    }
    let list = top.get("findings").and_then(Value::as_array);
    let list = list.ok_or_else(|| anyhow!("{name}: `findings` is missing or not a list"))?;
    for (i, entry) in list.iter().enumerate() {
        let at = format!("findings entry {}", i + 1);
        let obj = entry.as_object().ok_or_else(|| anyhow!("{name}: {at} is not a JSON object"))?;
        fields(obj, &ENTRY, &at).map_err(|e| anyhow!("{name}: {e}"))?;
        if let Some(missing) = ENTRY.iter().find(|k| !obj.get(**k).is_some_and(Value::is_string)) {
            return Err(anyhow!("{name}: {at}: `{missing}` is missing or not a string"));
        }
    }
    Ok(())
}

/// Every field of `obj` is one of `known`.
fn fields(obj: &Map<String, Value>, known: &[&str], at: &str) -> Result<()> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => {
            let shown = if plain_key(k) { format!(" `{k}`") } else { String::new() };
            Err(anyhow!("{at} has an unexpected field{shown} (it has only {})", known.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", check("b.json", text).unwrap_err())
    }

    #[test]
    fn each_problem_in_plain_words() {
        let key = "lfk_sk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0";
        assert_eq!(err("{\"version\": 1,"), "b.json:1:14: not valid JSON (it ends early)");
        assert_eq!(err(key), "b.json:1:1: not valid JSON (a syntax error)");
        assert_eq!(err("5"), "b.json: the top level is not a JSON object");
        assert_eq!(
            err("{\"x\":1}"),
            "b.json: the top level has an unexpected field `x` (it has only version, tool, findings)"
        );
        assert_eq!(
            err(&format!("{{\"version\":\"{key}\"}}")),
            "b.json: `version` is missing or not a whole number"
        );
        assert_eq!(err("{\"version\":1}"), "b.json: `tool` is missing or not a string");
        assert_eq!(
            err("{\"version\":1,\"tool\":\"t\",\"findings\":{}}"),
            "b.json: `findings` is missing or not a list"
        );
        let entry = |e: &str| err(&format!("{{\"version\":1,\"tool\":\"t\",\"findings\":[{e}]}}"));
        assert_eq!(entry("1"), "b.json: findings entry 1 is not a JSON object");
        assert_eq!(
            entry(&format!("{{\"{key}\":1}}")),
            "b.json: findings entry 1 has an unexpected field (it has only rule_id, path, secret_sha256, redacted)"
        );
        assert_eq!(
            entry("{\"rule_id\":5}"),
            "b.json: findings entry 1: `rule_id` is missing or not a string"
        );
        for e in ["expected", "invalid type", "unknown field", "EOF"] {
            assert!(!entry("{\"rule_id\":5}").contains(e) && !err("{").contains(e));
        }
        check("b.json", "{\"version\":1,\"tool\":\"t\",\"findings\":[]}").unwrap();
    }
}
