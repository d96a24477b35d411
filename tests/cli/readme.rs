//! The README's snippets are true: each YAML snippet is the file it names, the rule and
//! settings examples load and work, the release tag they name is this version's, and the
//! licence Cargo.toml states is shipped.

use std::fs;

use crate::common::*;

fn readme() -> String {
    fs::read_to_string(root().join("README.md")).unwrap()
}

/// The fenced block that follows `from` in `text`.
fn block_after(text: &str, from: usize) -> &str {
    let start = text[from..].find("```").map(|i| from + i).unwrap();
    let body = start + text[start..].find('\n').unwrap() + 1;
    let end = body + text[body..].find("\n```").unwrap();
    &text[body..end + 1]
}

/// The fenced block containing `needle`.
pub fn block_with<'a>(text: &'a str, needle: &str) -> &'a str {
    let at = text.find(needle).unwrap_or_else(|| panic!("README has no {needle}"));
    let start = text[..at].rfind("```").unwrap();
    block_after(text, start)
}

#[test]
fn yaml_snippets_are_the_files_they_name() {
    let text = readme();
    let marker = "<!-- snippet: ";
    let mut checked = 0;
    for (at, _) in text.match_indices(marker) {
        let rest = &text[at + marker.len()..];
        let rel = &rest[..rest.find(" -->").unwrap()];
        let file = fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut lines = file.lines();
        for want in block_after(&text, at).lines() {
            assert!(
                lines.any(|l| l.trim_end() == want.trim_end()),
                "README snippet line not in {rel} (in order): {want}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 3, "pre-commit, GitHub and GitLab snippets");
    let blocks = text.matches("```yaml").count();
    assert_eq!(blocks, checked, "every YAML snippet names its file");
}

#[test]
fn the_rule_file_and_settings_examples_load_and_work() {
    let text = readme();
    let tmp = tempfile::tempdir().unwrap();
    let rules = block_with(&text, "id = \"acme-token\"");
    write(tmp.path(), "ci/acme-rules.toml", rules);
    let r = run(bin().args(["rules", "--rules"]).arg(tmp.path().join("ci/acme-rules.toml")));
    assert_eq!(r.code, 0, "the README's rule example must load: {}", r.all());
    assert!(r.stdout.contains("acme-token"), "{}", r.stdout);
    // An example that its own placeholder list rejects: the error says so, without quoting it.
    let body = "5f2c9e01b7d4a8e36c0f92d15b7ae4c8";
    let own =
        rules.replace("known = [\"00000000000000000000000000000000\"]", &format!("known = [\"{body}\"]"));
    assert_ne!(own, rules, "the README's rule has a `known` list");
    write(tmp.path(), "ci/own.toml", &own);
    let r = run(bin().args(["rules", "--rules"]).arg(tmp.path().join("ci/own.toml")));
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("rule `acme-token`: example 1 is not reported by the rule"), "{}", r.stderr);
    assert!(r.stderr.contains("rejected as a placeholder") && !r.stderr.contains(body), "{}", r.stderr);
    let settings = block_with(&text, "rules = [\"ci/acme-rules.toml\"]");
    write(tmp.path(), ".loftyscan.toml", settings);
    write(tmp.path(), "app.cfg", "token = acme_9d3f5b7e1c2a4068b9e7d1f3a5c70b2e\n");
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    let at =
        |f: &serde_json::Value| format!("{} {}", f["path"].as_str().unwrap(), f["rule_id"].as_str().unwrap());
    let found: Vec<String> = findings(&v).iter().map(at).collect();
    assert!(found.contains(&"app.cfg acme-token".to_string()), "{found:?} {}", r.all());
}

#[test]
fn tags_named_are_this_version_and_the_licence_is_shipped() {
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let re = regex::Regex::new(r#"(?:loftyscan@|rev: |LOFTYSCAN_REF: ")(v[0-9][^ "`]*)"#).unwrap();
    let mut seen = 0;
    for rel in [
        "README.md",
        "examples/ci/github-workflow.yml",
        "examples/ci/gitlab-ci.yml",
        "examples/pre-commit-config.yaml",
    ] {
        for c in re.captures_iter(&fs::read_to_string(root().join(rel)).unwrap()) {
            assert_eq!(&c[1], version, "{rel} names a tag that is not this version");
            seen += 1;
        }
    }
    assert!(seen >= 6, "{seen}");
    let licence = fs::read_to_string(root().join("LICENSE")).unwrap();
    assert!(licence.starts_with("MIT License"));
    assert!(fs::read_to_string(root().join("Cargo.toml")).unwrap().contains("license = \"MIT\""));
}

#[test]
fn every_flag_in_the_gitleaks_table_is_one_loftyscan_takes() {
    let text = readme();
    let start = text.find("### Coming from gitleaks").unwrap();
    let table = &text[start..start + text[start..].find("\nNot mapped").unwrap()];
    let mut help = String::new();
    for sub in ["dir", "git", "stdin"] {
        help += &run(bin().args([sub, "--help"])).stdout;
    }
    let flag = regex::Regex::new(r"--[a-z][a-z-]+").unwrap();
    let mut checked = 0;
    for row in table.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| gitleaks")) {
        let ours = row.trim_end_matches('|').rsplit(" | ").next().unwrap();
        for m in flag.find_iter(ours) {
            assert!(
                help.contains(m.as_str()),
                "README maps to {} which loftyscan does not take: {row}",
                m.as_str()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} flags checked");
}

#[test]
fn the_text_and_json_output_examples_are_what_the_binary_prints() {
    let text = readme();
    let block = block_with(&text, "$ loftyscan dir fixtures");
    let r = run(bin().current_dir(root()).args(["dir", "fixtures", "--no-progress", "--color", "never"]));
    let time = regex::Regex::new(r" in [0-9]+\.[0-9]+ s").unwrap();
    let shown = time.replace_all(&r.stdout, " in 0.00 s");
    for line in block.lines().skip(1).filter(|l| *l != "…") {
        assert!(shown.lines().any(|l| l == line), "README output line not printed: {line}\n{shown}");
    }
    // The JSON example: every field it shows is one the report has, at the same place.
    let example: serde_json::Value =
        serde_json::from_str(block_with(&text, "\"schema_version\": 1")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let fixture = fs::read_to_string(fixture("expired/lofty-api-key")).unwrap();
    let line = fixture.lines().find(|l| l.starts_with("LOFTY_CUSTOMER_KEY=")).unwrap();
    write(tmp.path(), "config/app.env", &format!("# app\n# settings\n{line}\n"));
    std::os::unix::fs::symlink("config/app.env", tmp.path().join("link.env")).unwrap();
    let (real, _) = scan_json(tmp.path(), &["dir", "."]);
    let place = |v: &serde_json::Value| {
        let f = &v["findings"][0];
        (f["path"].clone(), f["line"].clone(), f["column"].clone(), f["level"].clone())
    };
    assert_eq!(place(&real), place(&example), "the example's finding is where the README says");
    fn same_fields(want: &serde_json::Value, got: &serde_json::Value, at: &str) {
        if let (Some(w), Some(g)) = (want.as_object(), got.as_object()) {
            for (k, v) in w {
                let sub =
                    g.get(k).unwrap_or_else(|| panic!("README's JSON has {at}.{k}; the report does not"));
                same_fields(v, sub, &format!("{at}.{k}"));
            }
        } else if let (Some(w), Some(g)) = (want.as_array(), got.as_array()) {
            same_fields(&w[0], &g[0], &format!("{at}[0]"));
        } else {
            assert_eq!(want.is_number(), got.is_number(), "{at}: {want} vs {got}");
        }
    }
    same_fields(&example, &real, "");
    assert_eq!(real["tool"]["name"], example["tool"]["name"]);
    assert_eq!(real["schema_version"], example["schema_version"]);
}
