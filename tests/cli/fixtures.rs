//! `fixtures/`: the layout states the expectation (see fixtures/README.md).

use crate::common::*;

fn nonempty_lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().filter(|l| !l.trim().is_empty()).count()
}

#[test]
fn each_line_of_keys_rule_is_one_finding_of_that_rule() {
    for entry in std::fs::read_dir(fixture("keys")).unwrap() {
        let path = entry.unwrap().path();
        let rule = path.file_name().unwrap().to_str().unwrap().to_string();
        let (v, r) = scan_json(&root(), &["dir", "--no-config", path.to_str().unwrap()]);
        let f = findings(&v);
        let lines = nonempty_lines(&path);
        assert_eq!(f.len(), lines, "{rule}: {}", r.stdout);
        for (i, finding) in f.iter().enumerate() {
            assert_eq!(finding["rule_id"], rule.as_str());
            assert_eq!(finding["line"], (i + 1) as u64, "{rule}");
            assert!(finding.get("expired").is_none_or(|e| e == false), "{rule}");
        }
        let live_family = rule != "jws-token";
        assert_eq!(r.code, i32::from(live_family), "{rule}: exit status");
    }
}

#[test]
fn expired_keys_are_warnings_and_fail_only_with_fail_on_warning() {
    let path = fixture("expired/lofty-api-key");
    let (v, r) = scan_json(&root(), &["dir", "--no-config", path.to_str().unwrap()]);
    let f = findings(&v);
    assert_eq!(f.len(), nonempty_lines(&path));
    assert!(f.iter().all(|x| x["expired"] == true && x["level"] == "warning"));
    assert_eq!(r.code, 0);
    let (_, r) = scan_json(&root(), &["dir", "--no-config", path.to_str().unwrap(), "--fail-on", "warning"]);
    assert_eq!(r.code, 1);
}

#[test]
fn clean_fixtures_have_no_findings() {
    let (v, r) = scan_json(&root(), &["dir", "--no-config", "fixtures/clean"]);
    assert_eq!(findings(&v), Vec::<serde_json::Value>::new(), "{}", r.stdout);
    assert_eq!(r.code, 0);
    assert!(v["summary"]["files_scanned"].as_u64().unwrap() >= 4);
}

#[test]
fn allow_markers_suppress_and_are_counted() {
    let path = fixture("allowed/markers");
    let (v, r) = scan_json(&root(), &["dir", "--no-config", path.to_str().unwrap()]);
    assert!(findings(&v).is_empty());
    assert_eq!(v["summary"]["allowlisted"], nonempty_lines(&path) as u64);
    assert_eq!(r.code, 0);
}

#[test]
fn secret_sha256_is_of_the_exact_secret_text() {
    for rule in ["lfk-secret-key", "lofty-api-key"] {
        let path = fixture(&format!("keys/{rule}"));
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let keys = keys_in(&text);
        let (v, _) = scan_json(&root(), &["dir", "--no-config", path.to_str().unwrap()]);
        // Lines whose key is encoded (a Helm release, say) show no key to hash here; their
        // findings are checked by the per-line fixture test.
        let visible = |f: &&serde_json::Value| {
            let line = f["line"].as_u64().unwrap() as usize;
            !keys_in(lines[line - 1]).is_empty()
        };
        let got: Vec<String> = findings(&v)
            .iter()
            .filter(visible)
            .map(|f| f["secret_sha256"].as_str().unwrap().to_string())
            .collect();
        let want: Vec<String> = keys.iter().map(|k| sha256_hex(k)).collect();
        assert_eq!(got, want, "{rule}");
    }
}
