//! `--verify`: the real binary against stand-in vendor APIs on 127.0.0.1 (see
//! `vendor_server.rs`; every answer in every format is in `verify_formats.rs`): timeouts
//! and rate limits honoured, nothing sent without `--verify`, non-loopback overrides
//! refused, the proxy used, the revoke hook skipping invalid keys, `--only-verified`.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use crate::common::*;
use crate::vendor_server::{Reply, Server};

pub const PROXY_VARS: [&str; 8] = [
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
pub fn cmd(dir: &Path, tl: &Server, lofty: &Server) -> Command {
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
