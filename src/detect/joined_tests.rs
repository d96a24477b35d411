//! Unit tests of keys split across string literals: one line and two-line shapes (which the
//! one-key-per-line fixtures cannot hold), the joined secret and where it is reported.

use super::super::stream::{Hit, StreamScratch, scan_bytes};
use super::super::testgen::Rng;
use super::super::{Detector, rules};

fn hits(data: &str) -> Vec<Hit> {
    let det = Detector::new(rules::builtin().unwrap()).unwrap();
    let mut out = Vec::new();
    scan_bytes(&det, data.as_bytes(), &mut StreamScratch::default(), &mut out);
    out
}

/// `shape` with `{a}`, `{b}`, `{c}` replaced by the parts of a random body split `cut`.
fn split(rng: &mut Rng, shape: &str, cut: &[usize]) -> (String, String) {
    let body = rng.alnum(40);
    let (mut parts, mut at) = (Vec::new(), 0);
    for &n in cut.iter().chain([&40]) {
        parts.push(&body[at..n]);
        at = n;
    }
    let mut s = shape.to_string();
    for (name, p) in ["{a}", "{b}", "{c}"].iter().zip(&parts) {
        s = s.replace(name, p);
    }
    (s, format!("lfk_sk_{body}"))
}

#[test]
fn split_keys_are_found_at_their_start_with_the_joined_secret() {
    let mut rng = Rng::new(1515);
    let shapes: &[(&str, &[usize])] = &[
        ("String k = \"lfk_sk_{a}\" + \"{b}\";", &[20]),
        ("k = 'lfk_sk_{a}' + '{b}'", &[7]),
        ("K = \"lfk_sk_{a}\" \"{b}\"", &[33]),
        ("char *k = \"lfk_sk_{a}\" \"{b}\" \"{c}\";", &[13, 27]),
        ("k := \"lfk_sk_\" + \"{a}\"", &[]),
        ("String k = \"lfk_sk_{a}\" +\n        \"{b}\";", &[20]),
        ("String k = \"lfk_sk_{a}\"\n    + \"{b}\";", &[20]),
        ("K = (\"lfk_sk_{a}\"\r\n     \"{b}\")", &[20]),
        ("const k =\n  'lfk_sk_{a}' +\n  '{b}' +\n  '{c}';", &[10, 30]),
    ];
    for (shape, cut) in shapes {
        let (text, key) = split(&mut rng, shape, cut);
        let h = hits(&text);
        assert_eq!(h.len(), 1, "{text}");
        assert_eq!(h[0].secret.expose(), key.as_bytes(), "{text}");
        let line_start = text.find("lfk_sk_").unwrap();
        let line = text[..line_start].matches('\n').count() + 1;
        assert_eq!(h[0].line as usize, line, "{text}");
    }
}

#[test]
fn splits_that_are_not_one_key_are_not_found() {
    let mut rng = Rng::new(1516);
    let shapes: &[(&str, &[usize])] = &[
        ("k = \"lfk_sk_{a}\" + \"{b}x\"", &[20]),
        ("k = \"lfk_sk_{a}\" + \"{b}\" + \"{c}\" + \"x\"", &[10, 20]),
        ("k = \"xlfk_sk_{a}\" + \"{b}\"", &[20]),
        ("k = \"lfk_sk_{a}\" + v + \"{b}\"", &[20]),
        ("k = \"lfk_sk_{a}\"\n\n\"{b}\"", &[20]),
        ("k = \"lfk_sk_{a}\"\"{b}\"", &[20]),
        ("k = \"lfk_sk_{a}\" - \"{b}\"", &[20]),
        ("k = \"lfk_sk_{a}\" + + \"{b}\"", &[20]),
    ];
    for (shape, cut) in shapes {
        let (text, _) = split(&mut rng, shape, cut);
        assert!(hits(&text).is_empty(), "{text}");
    }
    let short = format!("k = \"lfk_sk_{}\" + \"{}\"", rng.alnum(20), rng.alnum(19));
    assert!(hits(&short).is_empty(), "39 characters");
    assert!(hits("k = \"lfk_sk_\" + apiKeyBody;").is_empty());
    assert!(hits("k = \"lfk_sk_xxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxx\"").is_empty());
    assert!(hits("k = \"lfk_sk_PasteYourTrustLeads\" + \"ApiKeyHereBeforeUsing\"").is_empty());
}
