//! Keys inside encoded and packed content: base64, escapes, UTF-16, gzip and zip, in every
//! mode; decoys rejected; zip bombs and truncated archives warned about, never followed.

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::common::*;
use crate::gitrepo::TestRepo;

fn only(v: &Value) -> Value {
    let f = findings(v);
    assert_eq!(f.len(), 1, "{v:#}");
    f[0].clone()
}

#[test]
fn base64_forms_in_kubernetes_secrets_npmrc_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(100);
    let plain = rng.jws(r#"{"sub":"42","iat":1767225600}"#); // a Lofty key only by its name
    let k8s =
        format!("apiVersion: v1\nkind: Secret\ndata:\n  LOFTY_CUSTOMER_KEY: {}\n", STANDARD.encode(&plain));
    fs::write(tmp.path().join("secret.yaml"), &k8s).unwrap();
    let lfk = rng.lfk();
    fs::write(tmp.path().join(".npmrc"), format!("//r/:_auth={}\n", STANDARD.encode(format!("ci:{lfk}"))))
        .unwrap();
    let lfk2 = rng.lfk();
    let blob = URL_SAFE_NO_PAD.encode(format!("{{\"apiKey\":\"{lfk2}\"}}"));
    fs::write(tmp.path().join("cfg.json"), format!("{{\n  \"blob\": \"{blob}\"\n}}\n")).unwrap();
    fs::write(
        tmp.path().join("decoy.txt"),
        STANDARD.encode("key: lfk_sk_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    )
    .unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    let got: Vec<(String, String, String, u64)> = findings(&v)
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap().to_string();
            (
                p,
                f["rule_id"].as_str().unwrap().into(),
                f["encoding"].as_str().unwrap_or("").into(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (".npmrc".into(), "lfk-secret-key".into(), "base64".into(), 1),
            ("cfg.json".into(), "lfk-secret-key".into(), "base64".into(), 2),
            ("secret.yaml".into(), "lofty-api-key".into(), "base64".into(), 4),
        ],
        "{}",
        r.stderr
    );
    let shas: Vec<String> =
        findings(&v).iter().map(|f| f["secret_sha256"].as_str().unwrap().to_string()).collect();
    assert_eq!(shas, [sha256_hex(&lfk), sha256_hex(&lfk2), sha256_hex(&plain)]);
    let col = findings(&v)[2]["column"].as_u64().unwrap();
    assert_eq!(col, 23, "the base64 run's column on its line");
    assert!(!r.all().contains(&lfk) && !r.all().contains(&plain));
}

#[test]
fn escaped_forms_in_json_and_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(101);
    let (a, b) = (rng.lfk(), rng.lfk());
    let json = format!("{{\"token\": \"{}\"}}\n", a.replace('_', "\\u005f"));
    fs::write(tmp.path().join("a.json"), json).unwrap();
    fs::write(tmp.path().join("b.log"), format!("GET /hook?key={}&x=1\n", b.replace('_', "%5F"))).unwrap();
    let (v, _) = scan_json(tmp.path(), &["dir", "."]);
    let f = findings(&v);
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0]["encoding"].as_str(), f[0]["secret_sha256"].as_str()),
        (Some("json-escape"), Some(sha256_hex(&a).as_str()))
    );
    assert_eq!((f[1]["encoding"].as_str(), f[1]["column"].as_u64()), (Some("percent"), Some(15)));
}

#[test]
fn utf16_text_with_and_without_bom() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(102);
    let (a, b) = (rng.lfk(), rng.lofty());
    let text_a = format!("@echo off\r\nset TL={a}\r\n");
    let mut le = vec![0xff, 0xfe];
    le.extend(text_a.encode_utf16().flat_map(|u| u.to_le_bytes()));
    fs::write(tmp.path().join("win.cmd"), le).unwrap();
    let text_b = format!("[keys]\nlofty = {b}\n");
    fs::write(
        tmp.path().join("be.ini"),
        text_b.encode_utf16().flat_map(|u| u.to_be_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
    let (v, _) = scan_json(tmp.path(), &["dir", "."]);
    let f = findings(&v);
    assert_eq!(f.len(), 2, "{v:#}");
    let pos =
        |x: &Value| (x["encoding"].as_str().map(String::from), x["line"].as_u64(), x["column"].as_u64());
    assert_eq!(pos(&f[0]), (Some("utf-16be".into()), Some(2), Some(9)));
    assert_eq!(pos(&f[1]), (Some("utf-16le".into()), Some(2), Some(8)));
    assert_eq!(f[1]["secret_sha256"], sha256_hex(&a));
}

#[test]
fn gzip_and_zip_entries_nested_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(103);
    let (a, b, c) = (rng.lfk(), rng.lfk(), rng.lofty());
    let sql = format!("-- dump\nCREATE TABLE t;\nINSERT INTO keys VALUES ('{a}');\n");
    fs::write(tmp.path().join("backup.sql.gz"), gzip(sql.as_bytes(), "backup.sql")).unwrap();
    let inner_jar = zip(&[("secrets.properties", format!("key={b}\n").as_bytes(), true)], None);
    let app = zip(
        &[
            ("config/.env", format!("X=1\nLOFTY={c}\n").as_bytes(), false),
            ("lib/inner.jar", &inner_jar, false),
        ],
        None,
    );
    fs::write(tmp.path().join("app.zip"), app).unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "."]);
    let got: Vec<(String, String, String, u64)> = findings(&v)
        .iter()
        .map(|f| {
            let e = f["entry"].as_str().unwrap_or("").to_string();
            (
                f["path"].as_str().unwrap().into(),
                e,
                f["encoding"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("app.zip".into(), "config/.env".into(), "zip".into(), 2),
            ("app.zip".into(), "lib/inner.jar!secrets.properties".into(), "zip".into(), 1),
            ("backup.sql.gz".into(), "backup.sql".into(), "gzip".into(), 3),
        ],
        "{}",
        r.stderr
    );
    let text = run(bin().current_dir(tmp.path()).args(["dir", "."]));
    assert!(
        text.stdout.contains("app.zip!lib/inner.jar!secrets.properties:1:5: error lfk-secret-key"),
        "{}",
        text.stdout
    );
    let out = tmp.path().join("r.sarif");
    run(bin().current_dir(tmp.path()).args(["dir", ".", "--format", "sarif", "-o"]).arg(&out));
    let sarif: Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let p = &sarif["runs"][0]["results"][0]["properties"];
    assert_eq!((p["container"].as_str(), p["encoding"].as_str()), (Some("app.zip!config/.env"), Some("zip")));
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app.zip"
    );
}

#[test]
fn zip_bombs_and_truncated_archives_are_warned_about_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(104);
    let (a, b) = (rng.lfk(), rng.lfk());
    // A zip whose entry claims 300 MiB: never inflated.
    fs::write(tmp.path().join("liar.zip"), zip(&[("x.bin", b"tiny", true)], Some(300 << 20))).unwrap();
    // A gzip of 300 MiB of zeros with a key after them: the cap stops it first.
    let mut bomb = vec![0u8; 300 << 20];
    bomb.extend_from_slice(a.as_bytes());
    fs::write(tmp.path().join("bomb.gz"), gzip(&bomb, "bomb")).unwrap();
    drop(bomb);
    // A truncated gzip: what came before the cut is still scanned.
    let sql = format!("INSERT INTO k VALUES ('{b}');\n{}", "padding line\n".repeat(5000));
    let gz = gzip(sql.as_bytes(), "cut.sql");
    fs::write(tmp.path().join("cut.sql.gz"), &gz[..gz.len() / 2]).unwrap();
    let r =
        run(bin().current_dir(tmp.path()).env("LOFTYSCAN_TRACE", "1").args(["dir", ".", "--format", "json"]));
    let v = r.json();
    assert_eq!(only(&v)["secret_sha256"], sha256_hex(&b), "{}", r.stderr);
    assert!(r.stderr.contains("'liar.zip': zip entry 'x.bin' would expand to 300 MiB"), "{}", r.stderr);
    assert!(r.stderr.contains("'bomb.gz': gzip expands past"), "{}", r.stderr);
    assert!(r.stderr.contains("'cut.sql.gz': corrupt or truncated gzip data"), "{}", r.stderr);
    let s = &v["summary"]["skipped"];
    assert_eq!((s["archive_limit"].as_u64(), s["corrupt_archive"].as_u64()), (Some(2), Some(1)));
    let rss = r.stderr.lines().rfind(|l| l.ends_with("done")).unwrap().to_string();
    let kb: u64 = rss.split("peak RSS").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(kb < 128 * 1024, "{rss}");
}

#[test]
fn packed_content_in_stdin_and_git_blobs() {
    let mut rng = Rng::new(105);
    let (a, b) = (rng.lfk(), rng.lofty());
    let r = run(bin()
        .args(["stdin", "--name", "dump.gz", "--format", "json"])
        .write_stdin(gzip(format!("k={a}\n").as_bytes(), "dump")));
    let f = only(&r.json());
    assert_eq!(
        (f["path"].as_str(), f["entry"].as_str(), f["encoding"].as_str()),
        (Some("dump.gz"), Some("dump"), Some("gzip"))
    );
    let t = TestRepo::new();
    let archive = zip(&[("deploy/.env", format!("LOFTY={b}\n").as_bytes(), true)], None);
    let files = [("release.zip", archive)];
    let tree = {
        let mut tb = t.repo.treebuilder(None).unwrap();
        for (n, data) in &files {
            tb.insert(n, t.repo.blob(data).unwrap(), 0o100644).unwrap();
        }
        tb.write().unwrap()
    };
    let c = t.commit_tree(Some("refs/heads/main"), tree, &[], "release");
    t.head_to("refs/heads/main");
    for engine in ["pack", "odb"] {
        let (v, _) = scan_json(t.path(), &["git", ".", "--git-engine", engine]);
        let f = only(&v);
        assert_eq!(
            (f["entry"].as_str(), f["commit"].as_str()),
            (Some("deploy/.env"), Some(c.to_string().as_str())),
            "{engine}"
        );
    }
}
