//! `--format html` as a file: self-contained (no URL, no external resource), a strict CSP
//! whose hashes match the inline script and style, every repository string escaped, the
//! data block unable to close its script, no raw secret even with `--show-secrets`.
//! (The rendered page is checked in Chromium by .ci/html-browser-test.py.)

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::gitrepo::TestRepo;

fn html(dir: &std::path::Path, args: &[&str]) -> String {
    let out = dir.join("report.html");
    let r =
        run(bin().current_dir(dir).args(args).args(["--format", "html", "--no-progress", "-o"]).arg(&out));
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    std::fs::read_to_string(out).unwrap()
}

/// The text between `open` (its end) and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    &text[start..start + text[start..].find(close).unwrap()]
}

fn csp_hash(s: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes())))
}

#[test]
fn html_is_self_contained_under_a_strict_csp() {
    let mut rng = Rng::new(1911);
    let key = rng.lfk();
    let t = TestRepo::new();
    t.commit(Some("refs/heads/main"), &[("a.env", &format!("K={key}\n"))], &[], "c");
    t.head_to("refs/heads/main");
    let page = html(t.path(), &["git", ".", "--show-secrets"]);
    assert!(!page.contains(&key), "no raw secret, even with --show-secrets");
    assert!(page.contains(&format!("{}…", &key[..7])) || page.contains("lfk_sk_…"), "the redacted key");
    for bad in ["http://", "https://", "src=", "href=", "url(", "@import", "//cdn", "<link", "<iframe"] {
        assert!(!page.contains(bad), "no network reference: found {bad}");
    }
    let csp = between(&page, "http-equiv=\"Content-Security-Policy\" content=\"", "\"");
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    let script = between(&page, "<script>", "</script>");
    let style = between(&page, "<style>", "</style>");
    assert!(csp.contains(&format!("script-src {};", csp_hash(script))), "script hash in {csp}");
    assert!(csp.contains(&format!("style-src {};", csp_hash(style))), "style hash in {csp}");
    assert_eq!(page.matches("<script").count(), 2, "the data block and the one script");
    assert!(!page.contains("onclick=") && !page.contains("onload="), "no inline handlers");
    assert!(!page.contains("style=\""), "no style attributes (CSP forbids them)");
}

#[test]
fn html_escapes_every_repository_string() {
    let mut rng = Rng::new(1912);
    let t = TestRepo::new();
    let evil = "x</script><img src=q onerror=alert(1)>&amp;\u{2028}.env";
    t.commit(Some("refs/heads/</script><b>"), &[(evil, &format!("K={}\n", rng.lfk()))], &[], "c");
    t.head_to("refs/heads/</script><b>");
    let page = html(t.path(), &["git", "."]);
    assert!(!page.contains("<img"), "no element from a file name");
    assert!(!page.contains("<b>"), "no element from a ref name");
    let data = between(&page, "<script type=\"application/json\" id=\"data\">", "</script>");
    assert!(!data.contains('<') && !data.contains('>') && !data.contains('&') && !data.contains('\u{2028}'));
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    let row = &v["rows"][0];
    let col = |name: &str| v["cols"].as_array().unwrap().iter().position(|c| c == name).unwrap();
    assert_eq!(row[col("path")], evil, "the data holds the name itself");
    assert_eq!(row[col("refs")][0], "refs/heads/</script><b>");
    assert!(page.contains("data-dir=\"x&lt;/\""), "the chart labels escape it");
}

#[test]
fn html_counts_hidden_findings_by_status() {
    let mut rng = Rng::new(1913);
    let dir = tempfile::tempdir().unwrap();
    let (live, allowed) = (rng.lfk(), rng.lfk());
    write(dir.path(), "a.env", &format!("K={live}\nJ={allowed} # gitleaks:allow\n"));
    let page = html(dir.path(), &["dir", "."]);
    assert!(page.contains("<td data-rule=\"lfk-secret-key\" data-status=\"live\">1</td>"), "{page}");
    assert!(page.contains("<td data-rule=\"lfk-secret-key\" data-status=\"allowlisted\">1</td>"));
    assert!(page.contains("<td data-rule=\"*\" data-status=\"*\">2</td>"));
    assert!(!page.contains(&allowed) && !page.contains(&live));
}

#[test]
fn html_of_an_empty_scan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "nothing here\n");
    let page = html(dir.path(), &["dir", "."]);
    assert!(page.contains("<td data-rule=\"*\" data-status=\"*\">0</td>"));
    assert!(page.contains("No reported findings."));
    assert!(page.contains("\"rows\":[]"));
}
