//! `--verify` in every format: one key per kind of answer (200, 401, 403, 429 then 200,
//! 500, a redirect to another host, a 1 GiB body), a key at two places, and keys that must
//! never be sent (expired, `jws-token`, allowlisted, baselined). Each run gets fresh
//! stand-in vendors and checks what they received: each key once, only in its header.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;
use crate::vendor_server::{Reply, Server};
use crate::verify::cmd;

fn assert_key_only_in_its_header(tl: &Server, lofty: &Server, keys: &[&String]) {
    for (server, path, header) in
        [(tl, "/v1/usage", "x-api-key"), (lofty, "/v1.0/leads?limit=1", "authorization")]
    {
        for req in server.requests() {
            assert_eq!(req.line, format!("GET {path} HTTP/1.1"), "{}", req.raw);
            let key = req.key().expect("every request carries a key");
            assert_eq!(req.raw.matches(key.as_str()).count(), 1, "the key once, in its header: {}", req.raw);
            let other = if header == "x-api-key" { "authorization" } else { "x-api-key" };
            assert!(req.header(other).is_none(), "{}", req.raw);
            if header == "authorization" {
                assert_eq!(req.header("authorization"), Some(format!("token {key}").as_str()));
            }
            for k in keys.iter().filter(|k| ***k != key) {
                assert!(!req.raw.contains(k.as_str()), "another key leaked into a request");
            }
        }
    }
}

struct Planted {
    tl: Vec<(String, Reply)>,
    lofty: Vec<(String, Reply)>,
    never_sent: Vec<String>,
}

/// Keys for each answer, a key at two places, and keys that must never be sent (expired,
/// jws-token, allowlisted, baselined). The baseline is written to `dir/../bl.json`.
fn plant(dir: &Path, redirect_to: &str, seed: u64) -> Planted {
    let mut rng = Rng::new(seed);
    let baselined = rng.lfk();
    write(dir, "old.env", &format!("TL={baselined}\n"));
    let bl = dir.parent().unwrap().join("bl.json");
    let r = run(bin().current_dir(dir).args(["dir", ".", "--no-progress", "--baseline-out"]).arg(&bl));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let tl: Vec<(String, Reply)> = vec![
        (rng.lfk(), Reply::Status(200)),
        (rng.lfk(), Reply::Status(401)),
        (rng.lfk(), Reply::Status(403)),
        (rng.lfk(), Reply::RateLimitedThenOk(1)),
        (rng.lfk(), Reply::Status(500)),
        (rng.lfk(), Reply::Redirect(format!("{redirect_to}/v1/usage"))),
        (rng.lfk(), Reply::HugeBody),
    ];
    let lofty: Vec<(String, Reply)> = vec![
        (rng.lofty(), Reply::Status(200)),
        (rng.lofty(), Reply::Status(401)),
        (rng.lofty(), Reply::Status(403)),
    ];
    let (expired, jws, allowed) = (
        rng.jws(r#"{"scope":"THIRD_PARTY_OPERATION","exp":1600000000}"#),
        rng.jws(r#"{"sub":"svc"}"#),
        rng.lfk(),
    );
    let tl_lines: String = tl.iter().enumerate().map(|(i, (k, _))| format!("TL{i}={k}\n")).collect();
    let lofty_lines: String =
        lofty.iter().enumerate().map(|(i, (k, _))| format!("LOFTY_{i}={k}\n")).collect();
    write(dir, "a.env", &format!("{tl_lines}{lofty_lines}OLD_LOFTY={expired}\n"));
    write(dir, "c.json", &format!("{{\"session\": \"{jws}\"}}\n"));
    write(dir, "b.env", &format!("again={}\nX={allowed} # loftyscan:allow\n", tl[0].0));
    Planted { tl, lofty, never_sent: vec![baselined, expired, jws, allowed] }
}

fn servers(p: &Planted) -> (Server, Server) {
    (Server::start(&p.tl), Server::start(&p.lofty))
}

/// The (status, http_status) each reply must give.
fn expect(reply: &Reply) -> (&'static str, u64) {
    match reply {
        Reply::Status(401) => ("invalid", 401),
        Reply::Status(s @ (200 | 403)) => ("live", *s as u64),
        Reply::Status(s) => ("unknown", *s as u64),
        Reply::Redirect(_) => ("unknown", 302),
        Reply::RateLimitedThenOk(_) | Reply::HugeBody | Reply::LastInWindow(_) => ("live", 200),
        Reply::RateLimited(_) => ("unknown", 429),
        Reply::Hang => panic!("no status for a hang"),
    }
}

/// (key, status, http_status) for each planted key.
fn expected(p: &Planted) -> Vec<(&String, &'static str, Option<u64>)> {
    p.tl.iter().chain(&p.lofty).map(|(k, r)| (k, expect(r).0, Some(expect(r).1))).collect()
}

fn all_keys(p: &Planted) -> Vec<&String> {
    p.tl.iter().chain(&p.lofty).map(|(k, _)| k).chain(&p.never_sent).collect()
}

/// After one run: each key sent once (the 429 one twice), never the others; the body of
/// the huge answer not read; the redirect not followed.
fn assert_requests(p: &Planted, tl: &Server, lofty: &Server, elsewhere: &Server) {
    for (k, reply) in &p.tl {
        let want = if matches!(reply, Reply::RateLimitedThenOk(_)) { 2 } else { 1 };
        assert_eq!(tl.sent(k), want, "{reply:?}");
    }
    for (k, _) in &p.lofty {
        assert_eq!(lofty.sent(k), 1);
    }
    for k in &p.never_sent {
        assert_eq!(
            tl.sent(k) + lofty.sent(k),
            0,
            "expired, jws-token, allowlisted, baselined: never sent: {k}"
        );
    }
    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
    assert!(tl.body_bytes_sent() < 64 << 20, "the huge body was read: {}", tl.body_bytes_sent());
    assert_key_only_in_its_header(tl, lofty, &all_keys(p));
}

/// The planted tree, its baseline, and a server the redirect points to.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    baseline: PathBuf,
    elsewhere: Server,
    p: Planted,
}

fn fixture(seed: u64) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    fs::create_dir(&dir).unwrap();
    let elsewhere = Server::start_on::<&str>("127.0.0.2", &[]);
    let p = plant(&dir, &elsewhere.url(), seed);
    Fixture { baseline: tmp.path().join("bl.json"), _tmp: tmp, dir, elsewhere, p }
}

/// One `--verify` run against fresh vendors, with `args` added; checks the requests.
fn verify_run(fx: &Fixture, args: &[&str], out: Option<&Path>) -> Run {
    let (tl, lofty) = servers(&fx.p);
    let mut c = cmd(&fx.dir, &tl, &lofty);
    c.args(["dir", ".", "--verify", "--verify-timeout", "5", "--baseline"]).arg(&fx.baseline).args(args);
    if let Some(o) = out {
        c.arg("-o").arg(o);
    }
    let r = run(&mut c);
    assert_eq!(r.code, 1, "live keys fail the run: {}", r.stderr);
    assert_requests(&fx.p, &tl, &lofty, &fx.elsewhere);
    for k in all_keys(&fx.p) {
        assert!(!r.all().contains(k.as_str()), "a raw key in loftyscan's output");
    }
    r
}

fn level_for(status: &str) -> &'static str {
    if status == "invalid" { "warning" } else { "error" }
}

#[test]
fn json_carries_each_keys_verification() {
    let fx = fixture(180);
    let r = verify_run(&fx, &["--format", "json"], None);
    let v = r.json();
    let fs = findings(&v);
    for (key, status, http) in expected(&fx.p) {
        let sha = sha256_hex(key);
        let of_key: Vec<&Value> = fs.iter().filter(|f| f["secret_sha256"] == sha.as_str()).collect();
        assert!(!of_key.is_empty());
        for f in of_key {
            let ver = &f["verification"];
            assert_eq!((ver["status"].as_str(), ver["http_status"].as_u64()), (Some(status), http), "{f}");
            assert!(!ver["message"].as_str().unwrap().is_empty());
            assert_eq!(f["level"], level_for(status), "{f}");
        }
    }
    let of = |k: &str| fs.iter().filter(|f| f["secret_sha256"] == sha256_hex(k).as_str()).collect::<Vec<_>>();
    assert_eq!(of(&fx.p.tl[0].0).len(), 2, "the key at two places: both findings carry the result");
    assert!(of(&fx.p.tl[2].0)[0]["verification"]["message"].as_str().unwrap().contains("lacks a scope"));
    assert!(fs.iter().any(|f| f["rule_id"] == "jws-token") && fs.iter().any(|f| f["expired"] == true));
    for f in fs.iter().filter(|f| f["expired"] == true || f["rule_id"] == "jws-token") {
        assert!(f.get("verification").is_none(), "{f}");
    }
    let sum = &v["summary"]["verification"];
    assert_eq!(
        (sum["live"].as_u64(), sum["invalid"].as_u64(), sum["unknown"].as_u64()),
        (Some(6), Some(2), Some(2))
    );
}

#[test]
fn sarif_carries_each_keys_verification() {
    let fx = fixture(181);
    let out = fx.dir.parent().unwrap().join("r.sarif");
    let r = verify_run(&fx, &["--format", "sarif"], Some(&out));
    assert!(r.stderr.contains("6 verified live, 2 invalid, 2 unknown"), "{}", r.stderr);
    let sarif: Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for (key, status, http) in expected(&fx.p) {
        let sha = sha256_hex(key);
        let of_key: Vec<&Value> =
            results.iter().filter(|x| x["properties"]["secretSha256"] == sha.as_str()).collect();
        assert!(!of_key.is_empty());
        for res in of_key {
            let ver = &res["properties"]["verification"];
            assert_eq!((ver["status"].as_str(), ver["http_status"].as_u64()), (Some(status), http));
            assert_eq!(res["level"], level_for(status));
        }
    }
    validate_sarif(&out);
}

#[test]
fn gitlab_report_shows_each_keys_verification() {
    let fx = fixture(182);
    let gl = verify_run(&fx, &["--format", "gitlab"], None).json();
    let vulns = gl["vulnerabilities"].as_array().unwrap();
    for (key, status, _) in expected(&fx.p) {
        let redacted = format!("…{}", &key[key.len() - 4..]);
        let v = vulns.iter().find(|x| x["description"].as_str().unwrap().contains(&redacted)).unwrap();
        let d = v["description"].as_str().unwrap();
        assert!(d.contains(&format!("Verification: {status} (")), "{d}");
        if status == "invalid" {
            assert_eq!(v["severity"], "Low");
        }
    }
}

#[test]
fn text_shows_each_keys_verification_and_the_counts() {
    let fx = fixture(183);
    let r = verify_run(&fx, &[], None);
    assert!(r.stdout.contains("6 verified live, 2 invalid, 2 unknown"), "{}", r.stdout);
    for (key, status, _) in expected(&fx.p) {
        let tail = format!("…{} ", &key[key.len() - 4..]);
        let line = r.stdout.lines().find(|l| l.contains(&tail)).unwrap();
        assert!(line.contains(&format!("[verified {status}: ")), "{line}");
        assert_eq!(line.contains(": warning "), status == "invalid", "{line}");
    }
}
