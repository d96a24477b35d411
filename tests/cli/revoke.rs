//! `--revoke-hook`: one call per unique live secret, the secret only on standard input,
//! timeouts, failures, dry runs, and the example hooks.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

/// A tree with: one lfk key in two files, a Lofty key, an expired Lofty key, an
/// allowlisted key, a jws-token and a placeholder. Returns (lfk, lofty).
fn planted(d: &Path, rng: &mut Rng) -> (String, String) {
    let (lfk, lofty) = (rng.lfk(), rng.lofty());
    let expired = rng.jws(r#"{"scope":"THIRD_PARTY_OPERATION","exp":1600000000}"#);
    let jws = rng.jws(r#"{"sub":"svc"}"#);
    fs::write(d.join("a.env"), format!("TL={lfk}\nLOFTY={lofty}\nOLD={expired}\n")).unwrap();
    fs::write(d.join("b.env"), format!("# copy\nTL={lfk}\nSESSION={jws}\n")).unwrap();
    fs::write(d.join("c.env"), format!("TL={} # loftyscan:allow\nX=lfk_sk_your_key_here\n", rng.lfk()))
        .unwrap();
    (lfk, lofty)
}

fn calls(log: &Path) -> Vec<Value> {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines().filter(|l| !l.is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn one_call_per_unique_live_secret_with_every_location() {
    let tmp = tempfile::tempdir().unwrap();
    let (lfk, lofty) = planted(tmp.path(), &mut Rng::new(60));
    let hook = "cat >> ../calls.jsonl; echo >> ../calls.jsonl; echo revoked it";
    let work = tmp.path().join("w");
    fs::create_dir(&work).unwrap();
    for f in ["a.env", "b.env", "c.env"] {
        fs::rename(tmp.path().join(f), work.join(f)).unwrap();
    }
    let (v, r) = scan_json(tmp.path(), &["dir", "w", "--revoke-hook", hook]);
    assert_eq!(r.code, 1, "the exit status stays the scan's");
    let got = calls(&tmp.path().join("calls.jsonl"));
    assert_eq!(got.len(), 2, "hook runs in the scanned root, once per unique live secret: {got:?}");
    assert_eq!(got[0]["rule_id"], "lfk-secret-key");
    assert_eq!(got[0]["secret"], lfk.as_str());
    assert_eq!(got[0]["secret_sha256"], sha256_hex(&lfk));
    assert_eq!(got[0]["redacted"], format!("lfk_sk_…{}", &lfk[lfk.len() - 4..]));
    let locs: Vec<_> = got[0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["path"].clone(), l["line"].clone()))
        .collect();
    assert_eq!(locs, [(Value::from("a.env"), Value::from(1)), (Value::from("b.env"), Value::from(2))]);
    assert_eq!(
        (got[1]["rule_id"].as_str(), got[1]["secret"].as_str()),
        (Some("lofty-api-key"), Some(lofty.as_str()))
    );
    let f = findings(&v);
    assert_eq!(f.len(), 5, "every finding reported");
    let with_rev: Vec<_> = f.iter().filter_map(|x| x.get("revocation")).collect();
    assert_eq!(with_rev.len(), 3, "both places of the lfk key and the Lofty key");
    assert!(with_rev.iter().all(|x| x["status"] == "revoked" && x["message"] == "revoked it"));
    assert_eq!(v["summary"]["revocation"]["revoked"], 2);
    let text = run(bin().current_dir(tmp.path()).args(["dir", "w", "--revoke-hook", "true"]));
    assert!(text.stdout.contains("2 keys revoked, 0 failed"), "{}", text.stdout);
}

#[test]
fn secret_never_in_arguments_or_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let (lfk, lofty) = planted(tmp.path(), &mut Rng::new(61));
    let hook = "tr '\\0' '\\n' < /proc/$$/cmdline >> argv.txt; env >> env.txt; cat >> stdin.txt";
    let (_, r) = scan_json(tmp.path(), &["dir", ".", "--revoke-hook", hook]);
    let read = |n: &str| fs::read_to_string(tmp.path().join(n)).unwrap();
    for k in [&lfk, &lofty] {
        assert!(!read("argv.txt").contains(k.as_str()) && !read("env.txt").contains(k.as_str()));
        assert!(read("stdin.txt").contains(k.as_str()), "the hook gets the secret on stdin");
        assert!(!r.all().contains(k.as_str()), "loftyscan's own output stays redacted");
    }
    assert!(read("argv.txt").contains("sh"), "argv was captured");
}

#[test]
fn a_hanging_hook_is_killed_with_its_process_group() {
    let tmp = tempfile::tempdir().unwrap();
    planted(tmp.path(), &mut Rng::new(62));
    let hook = "sleep 60 & echo $! >> bg.pid; sleep 60";
    let start = Instant::now();
    let (v, r) = scan_json(tmp.path(), &["dir", ".", "--revoke-hook", hook, "--revoke-timeout", "0.5"]);
    assert!(start.elapsed() < Duration::from_secs(20), "did not wait for the hook");
    assert_eq!(r.code, 1);
    let rev = &findings(&v)[0]["revocation"];
    assert_eq!(rev["status"], "failed");
    assert!(rev["message"].as_str().unwrap().contains("timed out after 0.5 s"), "{rev}");
    assert!(r.stderr.contains("warning: revoke hook failed"), "{}", r.stderr);
    for pid in fs::read_to_string(tmp.path().join("bg.pid")).unwrap().lines() {
        // SIGKILL is delivered asynchronously: give a loaded machine a moment.
        let gone = || fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "));
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone(), "background child {pid} still running");
    }
}

#[test]
fn a_failing_hook_is_reported_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (lfk, _) = planted(tmp.path(), &mut Rng::new(63));
    let hook = "read -r line; echo \"vendor said no to $line\"; exit 7";
    let out = tmp.path().join("r.sarif");
    let r = run(bin()
        .current_dir(tmp.path())
        .args(["dir", ".", "--format", "sarif", "--revoke-hook", hook, "-o"])
        .arg(&out));
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let rev = &results[0]["properties"]["revocation"];
    assert_eq!(rev["status"], "failed");
    let msg = rev["message"].as_str().unwrap();
    assert!(msg.starts_with("exit status 7: vendor said no to"), "{msg}");
    assert!(!msg.contains(&lfk) && msg.contains("lfk_sk_…"), "an echoed secret is redacted: {msg}");
    assert!(r.stderr.contains("0 keys revoked, 2 failed"), "{}", r.stderr);
    validate_sarif(&out);
}

#[test]
fn dry_run_calls_nothing_and_shows_redacted_input() {
    let tmp = tempfile::tempdir().unwrap();
    let (lfk, lofty) = planted(tmp.path(), &mut Rng::new(64));
    let (v, r) = scan_json(tmp.path(), &["dir", ".", "--revoke-hook", "touch called", "--revoke-dry-run"]);
    assert!(!tmp.path().join("called").exists());
    assert_eq!(
        r.stderr.matches("revoke hook (dry run) would receive: {\"rule_id\"").count(),
        2,
        "{}",
        r.stderr
    );
    assert!(!r.all().contains(lfk.as_str()) && !r.all().contains(lofty.as_str()));
    assert_eq!(v["summary"]["revocation"]["skipped"], 2);
    // Alone, the dry run previews what any hook would receive (habits.rs tests it).
    let r = run(bin().current_dir(tmp.path()).args(["dir", ".", "--revoke-dry-run", "--no-progress"]));
    assert_eq!(r.stderr.matches("revoke hook (dry run) would receive").count(), 2, "{}", r.stderr);
}

#[test]
fn every_mode_calls_the_hook() {
    let mut rng = Rng::new(65);
    let key = rng.lfk();
    let hook = "cat >> \"$LOG\"; echo >> \"$LOG\"";
    // stdin
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.jsonl");
    let r = run(bin()
        .env("LOG", &log)
        .args(["stdin", "--name", "x.env", "--revoke-hook", hook])
        .write_stdin(format!("{key}\n")));
    assert_eq!(r.code, 1);
    assert_eq!(calls(&log)[0]["locations"][0]["path"], "x.env");
    // git history, range and staged
    let t = TestRepo::new();
    let c1 = t.commit(Some("refs/heads/main"), &[("a.txt", "a")], &[], "init");
    let c2 = t.commit(Some("refs/heads/main"), &[("a.txt", "a"), ("k.env", &key)], &[c1], "key");
    t.head_to("refs/heads/main");
    for args in [vec!["git"], vec!["git", "--range", "HEAD~1..HEAD"]] {
        let log = tmp.path().join(format!("git{}.jsonl", args.len()));
        let r = run(bin().current_dir(t.path()).env("LOG", &log).args(&args).args(["--revoke-hook", hook]));
        assert_eq!(r.code, 1, "{}", r.stderr);
        let loc = &calls(&log)[0]["locations"][0];
        assert_eq!(
            (loc["path"].as_str(), loc["commit"].as_str()),
            (Some("k.env"), Some(c2.to_string().as_str()))
        );
    }
    t.reset_index(c2);
    t.stage("new.env", &rng.lofty());
    let log = tmp.path().join("staged.jsonl");
    let r =
        run(bin().current_dir(t.path()).env("LOG", &log).args(["git", "--staged", "--revoke-hook", hook]));
    assert_eq!(r.code, 1);
    let got = calls(&log);
    assert_eq!((got.len(), got[0]["rule_id"].as_str()), (1, Some("lofty-api-key")));
    assert!(got[0]["locations"][0].get("commit").is_none());
}

/// A one-request HTTP server on loopback that hands back what it received.
fn capture_one_post() -> (String, std::thread::JoinHandle<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let stream = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return format!("no request within 30 s: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        (&stream).write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").unwrap();
        String::from_utf8(body).unwrap()
    });
    (url, handle)
}

#[test]
fn example_hooks_work_and_never_pass_the_raw_key_on() {
    if std::process::Command::new("curl").arg("--version").output().is_err() {
        panic!("curl is needed by examples/revoke-hooks/incident-webhook.sh and its test");
    }
    let tmp = tempfile::tempdir().unwrap();
    let key = Rng::new(66).lfk();
    fs::write(tmp.path().join("k.env"), format!("TL={key}\n")).unwrap();
    let (url, server) = capture_one_post();
    let script = root().join("examples/revoke-hooks/incident-webhook.sh");
    let hook = format!("LOFTYSCAN_WEBHOOK_URL={url} sh {}", script.display());
    let (v2, _) = scan_json(tmp.path(), &["dir", ".", "--revoke-hook", &hook]);
    let received = server.join().unwrap();
    let body: Value = serde_json::from_str(&received).unwrap_or_else(|e| panic!("{e}: {received}"));
    assert_eq!(body["action"], "revoke");
    assert_eq!(body["secret_sha256"], sha256_hex(&key));
    assert!(!body.to_string().contains(&key), "the webhook never gets the raw key");
    assert!(body["text"].as_str().unwrap().contains("k.env:1"));
    let rev = &findings(&v2)[0]["revocation"];
    assert_eq!(
        (rev["status"].as_str(), rev["message"].as_str()),
        (Some("revoked"), Some("revocation requested via incident webhook"))
    );
    let hook = format!("LOFTYSCAN_WEBHOOK_URL= sh {}", script.display());
    let (v, _) = scan_json(tmp.path(), &["dir", ".", "--revoke-hook", &hook]);
    assert_eq!(findings(&v)[0]["revocation"]["status"], "failed", "no URL: a failure, not a crash");
    // audit log
    let log = tmp.path().join("audit.jsonl");
    let hook = format!("sh {}", root().join("examples/revoke-hooks/audit-log.sh").display());
    let r = run(bin().current_dir(tmp.path()).env("LOFTYSCAN_AUDIT_LOG", &log).args([
        "dir",
        ".",
        "--format",
        "json",
        "--revoke-hook",
        &hook,
    ]));
    let entry: Value =
        serde_json::from_str(fs::read_to_string(&log).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(entry["secret_sha256"], sha256_hex(&key));
    assert!(!fs::read_to_string(&log).unwrap().contains(&key));
    let rev = &r.json()["findings"][0]["revocation"];
    assert_eq!(rev["status"], "failed", "logging is not revoking");
    assert!(rev["message"].as_str().unwrap().contains("recorded in audit log"));
}
