//! `--verify`: the real binary against stand-in vendor APIs on 127.0.0.1 (see
//! `vendor_server.rs`): every answer mapped to live / invalid / unknown in every format,
//! each key sent once and only in its header, rate limits honoured, nothing sent without
//! `--verify`, non-loopback overrides refused, the revoke hook skipping invalid keys.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use crate::common::*;
use crate::vendor_server::{Reply, Server};

const PROXY_VARS: [&str; 8] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// loftyscan in `dir`, with the vendors replaced by the two servers and no proxy.
fn cmd(dir: &Path, tl: &Server, lofty: &Server) -> Command {
    let mut c = bin();
    for v in PROXY_VARS {
        c.env_remove(v);
    }
    c.current_dir(dir)
        .env("LOFTYSCAN_VERIFY_URL_TRUSTLEADS", tl.url())
        .env("LOFTYSCAN_VERIFY_URL_LOFTY", lofty.url())
        .arg("--no-progress");
    c
}

/// Every request the servers got: the vendor's path, the key in its own header only.
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

#[test]
fn every_answer_is_classified_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    fs::create_dir(&dir).unwrap();
    let elsewhere = Server::start_on::<&str>("127.0.0.2", &[]);
    let p = plant(&dir, &elsewhere.url(), 180);
    let bl = tmp.path().join("bl.json");
    let base = |c: &mut Command| {
        c.args(["dir", ".", "--verify", "--verify-timeout", "5", "--baseline"]).arg(&bl);
    };
    // JSON
    let (tl, lofty) = servers(&p);
    let mut c = cmd(&dir, &tl, &lofty);
    base(&mut c);
    let r = run(c.args(["--format", "json"]));
    assert_eq!(r.code, 1, "live keys fail the run: {}", r.stderr);
    assert_requests(&p, &tl, &lofty, &elsewhere);
    let v = r.json();
    let fs = findings(&v);
    for (key, status, http) in expected(&p) {
        let sha = sha256_hex(key);
        let of_key: Vec<&Value> = fs.iter().filter(|f| f["secret_sha256"] == sha.as_str()).collect();
        assert!(!of_key.is_empty());
        for f in of_key {
            let ver = &f["verification"];
            assert_eq!((ver["status"].as_str(), ver["http_status"].as_u64()), (Some(status), http), "{f}");
            assert!(!ver["message"].as_str().unwrap().is_empty());
            let level = if status == "invalid" { "warning" } else { "error" };
            assert_eq!(f["level"], level, "{f}");
        }
    }
    let two = fs.iter().filter(|f| f["secret_sha256"] == sha256_hex(&p.tl[0].0).as_str()).count();
    assert_eq!(two, 2, "the key at two places: both findings carry the result");
    let scope = fs.iter().find(|f| f["secret_sha256"] == sha256_hex(&p.tl[2].0).as_str()).unwrap();
    assert!(scope["verification"]["message"].as_str().unwrap().contains("lacks a scope"));
    assert!(fs.iter().any(|f| f["rule_id"] == "jws-token") && fs.iter().any(|f| f["expired"] == true));
    for f in fs.iter().filter(|f| f["expired"] == true || f["rule_id"] == "jws-token") {
        assert!(f.get("verification").is_none(), "{f}");
    }
    let sum = &v["summary"]["verification"];
    assert_eq!(
        (sum["live"].as_u64(), sum["invalid"].as_u64(), sum["unknown"].as_u64()),
        (Some(6), Some(2), Some(2))
    );
    for k in all_keys(&p) {
        assert!(!r.all().contains(k.as_str()), "a raw key in loftyscan's output");
    }
    // SARIF
    let (tl, lofty) = servers(&p);
    let out = tmp.path().join("r.sarif");
    let mut c = cmd(&dir, &tl, &lofty);
    base(&mut c);
    let r = run(c.args(["--format", "sarif", "-o"]).arg(&out));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_requests(&p, &tl, &lofty, &elsewhere);
    assert!(r.stderr.contains("6 verified live, 2 invalid, 2 unknown"), "{}", r.stderr);
    let sarif: Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for (key, status, http) in expected(&p) {
        let sha = sha256_hex(key);
        for res in results.iter().filter(|x| x["properties"]["secretSha256"] == sha.as_str()) {
            let ver = &res["properties"]["verification"];
            assert_eq!((ver["status"].as_str(), ver["http_status"].as_u64()), (Some(status), http));
            assert_eq!(res["level"], if status == "invalid" { "warning" } else { "error" });
        }
    }
    let validator = root().join("../shared/tools/validate-sarif");
    if validator.exists() {
        let check = run(Command::new(&validator).arg(&out));
        assert_eq!(check.code, 0, "{}", check.all());
    }
    // GitLab
    let (tl, lofty) = servers(&p);
    let mut c = cmd(&dir, &tl, &lofty);
    base(&mut c);
    let r = run(c.args(["--format", "gitlab"]));
    assert_requests(&p, &tl, &lofty, &elsewhere);
    let gl = r.json();
    let vulns = gl["vulnerabilities"].as_array().unwrap();
    for (key, status, _) in expected(&p) {
        let redacted = format!("…{}", &key[key.len() - 4..]);
        let v = vulns.iter().find(|x| x["description"].as_str().unwrap().contains(&redacted)).unwrap();
        let d = v["description"].as_str().unwrap();
        assert!(d.contains(&format!("Verification: {status} (")), "{d}");
        if status == "invalid" {
            assert_eq!(v["severity"], "Low");
        }
    }
    // text
    let (tl, lofty) = servers(&p);
    let mut c = cmd(&dir, &tl, &lofty);
    base(&mut c);
    let r = run(&mut c);
    assert_requests(&p, &tl, &lofty, &elsewhere);
    assert!(r.stdout.contains("6 verified live, 2 invalid, 2 unknown"), "{}", r.stdout);
    for (key, status, _) in expected(&p) {
        let tail = format!("…{} ", &key[key.len() - 4..]);
        let line = r.stdout.lines().find(|l| l.contains(&tail)).unwrap();
        assert!(line.contains(&format!("[verified {status}: ")), "{line}");
        assert_eq!(line.contains(": warning "), status == "invalid", "{line}");
    }
    for k in all_keys(&p) {
        assert!(!r.all().contains(k.as_str()));
    }
}

#[test]
fn a_hang_and_a_rate_limit_past_the_budget_are_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(181);
    let (hang, limited, queued) = (rng.lfk(), rng.lofty(), rng.lofty());
    let tl = Server::start(&[(hang.as_str(), Reply::Hang)]);
    let lofty =
        Server::start(&[(limited.as_str(), Reply::RateLimited(3600)), (queued.as_str(), Reply::Status(200))]);
    write(tmp.path(), "a.env", &format!("TL={hang}\nLOFTY={limited}\n"));
    write(tmp.path(), "b.env", &format!("LOFTY={queued}\n"));
    let start = Instant::now();
    let r = run(cmd(tmp.path(), &tl, &lofty).args([
        "dir",
        ".",
        "--format",
        "json",
        "--verify",
        "--verify-timeout",
        "1.5",
    ]));
    assert!(start.elapsed() < Duration::from_secs(30), "the budget bounds every wait");
    assert_eq!(r.code, 1, "unknown keys stay errors: {}", r.stderr);
    let fs = findings(&r.json());
    let ver = |k: &str| {
        fs.iter().find(|f| f["secret_sha256"] == sha256_hex(k).as_str()).unwrap()["verification"].clone()
    };
    let h = ver(&hang);
    assert_eq!(h["status"], "unknown");
    assert!(h.get("http_status").is_none() && h["message"].as_str().unwrap().contains("no answer"), "{h}");
    let l = ver(&limited);
    assert_eq!((l["status"].as_str(), l["http_status"].as_u64()), (Some("unknown"), Some(429)));
    assert!(l["message"].as_str().unwrap().contains("rate limited"), "{l}");
    let q = ver(&queued);
    assert_eq!(q["status"], "unknown");
    assert!(q["message"].as_str().unwrap().contains("not sent"), "waits for the window, not past it: {q}");
    assert_eq!(
        (tl.sent(&hang), lofty.sent(&limited), lofty.sent(&queued)),
        (1, 1, 0),
        "no retry past the budget"
    );
    assert!(r.stderr.matches("warning: cannot verify").count() == 3, "{}", r.stderr);
    assert!(!r.all().contains(&hang) && !r.all().contains(&limited));
}

#[test]
fn an_exhausted_window_delays_the_next_request_until_its_reset() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(182);
    let (first, second) = (rng.lfk(), rng.lfk());
    let tl =
        Server::start(&[(first.as_str(), Reply::LastInWindow(2)), (second.as_str(), Reply::Status(200))]);
    let lofty = Server::empty();
    write(tmp.path(), "a.env", &format!("A={first}\nB={second}\n"));
    let (v, _) = {
        let r = run(cmd(tmp.path(), &tl, &lofty).args(["dir", ".", "--format", "json", "--verify"]));
        (r.json(), r)
    };
    assert!(findings(&v).iter().all(|f| f["verification"]["status"] == "live"));
    let reqs = tl.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(gap >= Duration::from_millis(900), "X-RateLimit-Remaining: 0 was not honoured: {gap:?}");
}

#[test]
fn without_verify_no_connection_is_ever_made() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(183);
    let (lfk, lofty_key) = (rng.lfk(), rng.lofty());
    let (tl, lofty, proxy) = (Server::empty(), Server::empty(), Server::empty());
    write(tmp.path(), "k.env", &format!("TL={lfk}\nLOFTY={lofty_key}\n"));
    let t = crate::gitrepo::TestRepo::new();
    t.commit(Some("refs/heads/main"), &[("k.env", &format!("TL={lfk}\n"))], &[], "key");
    t.head_to("refs/heads/main");
    let with_env = |dir: &Path| {
        let mut c = cmd(dir, &tl, &lofty);
        for v in ["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"] {
            c.env(v, proxy.url());
        }
        c
    };
    for format in ["text", "json", "sarif", "gitlab"] {
        let r = run(with_env(tmp.path()).args(["dir", ".", "--format", format, "--revoke-hook", "true"]));
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    let r = run(with_env(tmp.path()).args(["stdin"]).write_stdin(format!("{lfk}\n")));
    assert_eq!(r.code, 1);
    let r = run(with_env(t.path()).args(["git", "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.json()["findings"][0].get("verification").is_none());
    assert_eq!((tl.connections(), lofty.connections(), proxy.connections()), (0, 0, 0));
}

#[test]
fn a_non_loopback_override_is_refused_before_any_request() {
    let tmp = tempfile::tempdir().unwrap();
    let key = Rng::new(184).lfk();
    write(tmp.path(), "k.env", &format!("TL={key}\n"));
    let (tl, lofty) = (Server::start(&[(key.as_str(), Reply::Status(200))]), Server::empty());
    for bad in [
        "https://api.evil.example",
        "http://10.1.2.3:8080",
        "http://127.0.0.1.evil.example",
        "http://127.0.0.1@evil.example",
        "http://[::ffff:10.0.0.1]",
    ] {
        let r = run(cmd(tmp.path(), &tl, &lofty)
            .env("LOFTYSCAN_VERIFY_URL_LOFTY", bad)
            .args(["dir", ".", "--verify"]));
        assert_eq!(r.code, 2, "{bad}: {}", r.all());
        assert!(
            r.stderr.contains("LOFTYSCAN_VERIFY_URL_LOFTY") && r.stderr.contains("loopback"),
            "{}",
            r.stderr
        );
        assert!(!r.all().contains(&key));
    }
    let r = run(cmd(tmp.path(), &tl, &lofty)
        .env("HTTPS_PROXY", "socks5://127.0.0.1:1")
        .args(["dir", ".", "--verify"]));
    assert_eq!(r.code, 2, "a proxy that would be ignored is refused: {}", r.all());
    assert_eq!(tl.connections(), 0, "refused before any request, even to the valid override");
    let r = run(cmd(tmp.path(), &tl, &lofty).args(["dir", ".", "--only-verified"]));
    assert_eq!(r.code, 2, "--only-verified needs --verify");
}

#[test]
fn the_vendor_hosts_go_through_https_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(185);
    let (lfk, lofty_key) = (rng.lfk(), rng.lofty());
    write(tmp.path(), "k.env", &format!("TL={lfk}\nLOFTY={lofty_key}\n"));
    // The proxy refuses the tunnel: nothing leaves the machine, and the request line shows
    // where loftyscan asked to go.
    let proxy = Server::empty();
    let mut c = bin();
    for v in PROXY_VARS {
        c.env_remove(v);
    }
    let r = run(c
        .current_dir(tmp.path())
        .env_remove("LOFTYSCAN_VERIFY_URL_TRUSTLEADS")
        .env_remove("LOFTYSCAN_VERIFY_URL_LOFTY")
        .env("HTTPS_PROXY", proxy.url())
        .args(["dir", ".", "--verify", "--verify-timeout", "5", "--format", "json", "--no-progress"]));
    let mut lines: Vec<String> = proxy.requests().iter().map(|r| r.line.clone()).collect();
    lines.sort();
    assert_eq!(lines, ["CONNECT api.lofty.com:443 HTTP/1.1", "CONNECT api.trustleads.ai:443 HTTP/1.1"]);
    for req in proxy.requests() {
        assert!(!req.raw.contains(&lfk) && !req.raw.contains(&lofty_key), "the key only inside the tunnel");
    }
    let fs = findings(&r.json());
    assert!(fs.iter().all(|f| f["verification"]["status"] == "unknown"), "{fs:?}");
    assert!(!r.all().contains(&lfk) && !r.all().contains(&lofty_key));
}

#[test]
fn invalid_keys_pass_the_gate_and_never_reach_the_revoke_hook() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(186);
    let (dead, live, flaky) = (rng.lfk(), rng.lofty(), rng.lfk());
    let tl = Server::start(&[(dead.as_str(), Reply::Status(401)), (flaky.as_str(), Reply::Status(503))]);
    let lofty = Server::start(&[(live.as_str(), Reply::Status(200))]);
    let dir = tmp.path().join("w");
    write(&dir, "a.env", &format!("TL={dead}\n"));
    let hook = "cat >> ../calls.jsonl; echo >> ../calls.jsonl";
    let r = run(cmd(&dir, &tl, &lofty).args(["dir", ".", "--verify", "--revoke-hook", hook]));
    assert_eq!(r.code, 0, "a verified-invalid key is a warning: {}", r.stdout);
    assert!(!tmp.path().join("calls.jsonl").exists(), "the hook ran for an invalid key");
    let r = run(cmd(&dir, &tl, &lofty).args(["dir", ".", "--verify", "--fail-on", "warning"]));
    assert_eq!(r.code, 1, "--fail-on warning still fails on it");
    write(&dir, "b.env", &format!("LOFTY={live}\nTL={flaky}\n"));
    let r = run(cmd(&dir, &tl, &lofty).args(["dir", ".", "--verify", "--revoke-hook", hook]));
    assert_eq!(r.code, 1);
    let calls: Vec<Value> = fs::read_to_string(tmp.path().join("calls.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(calls.len(), 2, "live and unknown keys go to the hook: {calls:?}");
    let by_sha =
        |k: &str| calls.iter().find(|c| c["secret_sha256"] == sha256_hex(k).as_str()).unwrap().clone();
    assert_eq!(by_sha(&live)["verification"]["status"], "live");
    assert_eq!(by_sha(&flaky)["verification"]["status"], "unknown");
    let r = run(cmd(&dir, &tl, &lofty).args(["dir", ".", "--revoke-hook", "cat > ../plain.json"]));
    assert_eq!(r.code, 1);
    let plain = fs::read_to_string(tmp.path().join("plain.json")).unwrap();
    assert!(!plain.contains("verification"), "no verification field without --verify: {plain}");
}

#[test]
fn only_verified_keeps_the_verified_live_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(187);
    let (live, dead, flaky) = (rng.lfk(), rng.lfk(), rng.lfk());
    let tl = Server::start(&[
        (live.as_str(), Reply::Status(200)),
        (dead.as_str(), Reply::Status(401)),
        (flaky.as_str(), Reply::Status(500)),
    ]);
    let lofty = Server::empty();
    let expired = rng.jws(r#"{"scope":"THIRD_PARTY_OPERATION","exp":1600000000}"#);
    write(tmp.path(), "a.env", &format!("A={live}\nB={dead}\nC={flaky}\nD={expired}\nE={live}\n"));
    let r = run(cmd(tmp.path(), &tl, &lofty).args([
        "dir",
        ".",
        "--verify",
        "--only-verified",
        "--format",
        "json",
    ]));
    assert_eq!(r.code, 1);
    let v = r.json();
    let fs = findings(&v);
    assert_eq!(fs.len(), 2, "{fs:?}");
    assert!(
        fs.iter().all(
            |f| f["secret_sha256"] == sha256_hex(&live).as_str() && f["verification"]["status"] == "live"
        )
    );
    assert_eq!(v["summary"]["verification"]["left_out"], 3);
    let r = run(cmd(tmp.path(), &tl, &lofty).args(["dir", ".", "--verify", "--only-verified"]));
    assert!(
        r.stdout.contains("1 verified live, 1 invalid, 1 unknown (3 findings not verified live left out)"),
        "{}",
        r.stdout
    );
}
