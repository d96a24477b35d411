//! Keys in the shapes real leaks come in (issue 15), built in temporary directories:
//! wrapped and layered encodings, a header sign that belongs to another header, the word
//! "lofty" in prose, and public demo tokens. Each file states one expectation.

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::common::*;

/// `(path, rule, line)` of every finding, sorted by path.
fn got(v: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = findings(v)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn wrap(text: &str, width: usize, nl: &str) -> String {
    text.as_bytes().chunks(width).map(|c| format!("{}{nl}", std::str::from_utf8(c).unwrap())).collect()
}

#[test]
fn wrapped_and_layered_encodings_are_decoded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(1501);
    let w = |name: &str, text: String| fs::write(tmp.path().join(name), text).unwrap();
    // MIME mail, base64 wrapped at 76 columns: the key on the third line of the body.
    let jws = rng.jws(r#"{"sub":"31","iat":1767225600}"#);
    let body = STANDARD.encode(format!("Hello,\r\n\r\n{}\r\nLOFTY_CUSTOMER_KEY={jws}\r\n", "x".repeat(150)));
    assert!(["ZXlKaGJHY2", "leUpoYkdja", "V5SmhiR2Np"].iter().any(|a| wrap(&body, 76, "").contains(a)));
    w(
        "mail.eml",
        format!("Subject: keys\r\nContent-Transfer-Encoding: base64\r\n\r\n{}", wrap(&body, 76, "\r\n")),
    );
    // A PEM-like block at 64 columns, indented in YAML.
    let lfk = rng.lfk();
    let pem = STANDARD.encode(format!("{}\ntrustleads: {lfk}\n", "# generated\n".repeat(9)));
    let block: String = wrap(&pem, 64, "\n").lines().map(|l| format!("    {l}\n")).collect();
    w("values.yaml", format!("config: |\n{block}"));
    // Base64 of base64 (a .dockerconfigjson's `auth`).
    let lfk2 = rng.lfk();
    let auth = STANDARD.encode(format!("ci:{lfk2}"));
    let cfg = STANDARD.encode(format!(r#"{{"auths":{{"registry.example":{{"auth":"{auth}"}}}}}}"#));
    w("pull-secret.yaml", format!("kind: Secret\ndata:\n  .dockerconfigjson: {cfg}\n"));
    // Base64 of JSON-escaped text (a key after `\n`, a sign in escaped quotes) and of a
    // percent-encoded URL.
    let (lfk3, jws2) = (rng.lfk(), rng.jws(r#"{"sub":"32"}"#));
    let event = format!(r#"{{"log":"loaded:\n{lfk3}","env":"{{\"LOFTY_CUSTOMER_KEY\":\"{jws2}\"}}"}}"#);
    w("event.b64", format!("{}\n", STANDARD.encode(event)));
    let lfk4 = rng.lfk();
    w(
        "state.b64",
        format!(
            "state={}\n",
            STANDARD.encode(format!("https://app.example/cb?next=%2Fx%3Fkey%3D{lfk4}%26v%3D1"))
        ),
    );
    // Double percent-encoding of the key's own underscores and of what precedes it.
    let lfk5 = rng.lfk();
    w(
        "redirect.log",
        format!("GET /login?r=https%253A%252F%252Fx%252F%253Fk%253D{}\n", lfk5.replace('_', "%255F")),
    );
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    let line_of = |plain: &str, at: &str, width: usize, first: u64| {
        first + (plain.find(at).unwrap() * 4 / 3 / width) as u64
    };
    let mail_line =
        line_of(&format!("Hello,\r\n\r\n{}\r\nLOFTY_CUSTOMER_KEY={jws}\r\n", "x".repeat(150)), "eyJ", 76, 4);
    let yaml_line = line_of(&format!("{}\ntrustleads: {lfk}\n", "# generated\n".repeat(9)), "lfk_sk_", 64, 2);
    let want = [
        ("event.b64", "lfk-secret-key", 1),
        ("event.b64", "lofty-api-key", 1),
        ("mail.eml", "lofty-api-key", mail_line),
        ("pull-secret.yaml", "lfk-secret-key", 3),
        ("redirect.log", "lfk-secret-key", 1),
        ("state.b64", "lfk-secret-key", 1),
        ("values.yaml", "lfk-secret-key", yaml_line),
    ];
    let want: Vec<_> = want.iter().map(|(p, r, l)| (p.to_string(), r.to_string(), *l)).collect();
    assert_eq!(got(&v), want, "{}", r.stderr);
    let hashes: Vec<String> =
        findings(&v).iter().map(|f| f["secret_sha256"].as_str().unwrap().to_string()).collect();
    for k in [&jws, &jws2, &lfk, &lfk2, &lfk3, &lfk4, &lfk5] {
        assert!(hashes.contains(&sha256_hex(k)), "the decoded key's hash");
    }
    assert_eq!(r.code, 1);
}

#[test]
fn a_sign_for_another_header_or_in_prose_is_no_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(1502);
    let jws = rng.jws(r#"{"sub":"7","iat":1767225600}"#);
    // gitleaks' cmd/generate/config/rules/curl.go shape: a scheme-less JWS under a line
    // that sends another token with `Authorization: Token`.
    let curl = format!(
        "curl -H \"Authorization: Token 9b5f0c1e2d3a4b5c6d7e8f90a1b2c3d4e5f60718\" https://a.example\n\
         curl -H 'Authorization:{jws}' https://b.example\n"
    );
    fs::write(tmp.path().join("curl.go"), curl).unwrap();
    let prose =
        format!("The unit has lofty ceilings, Lofty's CRM says.\nviewing session: {}\n", rng.jws("{}"));
    fs::write(tmp.path().join("listing.md"), prose).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    let want =
        [("curl.go".to_string(), "jws-token".to_string(), 2), ("listing.md".into(), "jws-token".into(), 2)];
    assert_eq!(got(&v), want, "{}", r.stderr);
    assert_eq!(r.code, 0, "no live key");
}

#[test]
fn demo_tokens_signed_with_published_secrets_are_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let new_jwt_io = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.KMUFsIDTnFmyG3nMiGM6H9FNFUROf3wh7SmqJp-QV30"; // loftyscan:allow
    let text = format!("export LOFTY_CUSTOMER_KEY={new_jwt_io}\nAuthorization: token {new_jwt_io}\n");
    fs::write(tmp.path().join("README.md"), text).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    assert!(findings(&v).is_empty(), "{}", r.stdout);
    assert_eq!(r.code, 0);
}

#[test]
fn encodings_nested_deeper_than_the_cap_are_a_counted_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(1503);
    let (k1, k2) = (rng.lfk(), rng.lfk());
    // base64 of base64 of text holding a plain key (two layers: found) and a
    // percent-encoded one (a third layer: beyond the cap, counted).
    let inner = format!("a={k1}&b={}", k2.replace('_', "%5F"));
    let two = STANDARD.encode(STANDARD.encode(inner));
    fs::write(tmp.path().join("deep.txt"), format!("blob: {two}\n")).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["secret_sha256"], sha256_hex(&k1).as_str());
    assert_eq!(v["summary"]["skipped"]["archive_limit"], 1, "{v:#}");
    assert!(r.stderr.contains("deep.txt") && r.stderr.contains("nested more than 2 levels"), "{}", r.stderr);
    assert!(!r.stderr.contains(&k2[7..]) && !r.stderr.contains(&k1[7..]), "no secret in the warning");
}
