//! Reports, redaction, exit statuses, rules and standard input. (Bad flags, missing paths
//! and unwritable outputs are in bad_input.rs.)

use std::io::Read;
use std::process::Stdio;

use serde_json::Value;

use crate::common::*;

fn all_fixture_keys() -> Vec<String> {
    [
        "keys/lfk-secret-key",
        "keys/lofty-api-key",
        "keys/jws-token",
        "expired/lofty-api-key",
        "allowed/markers",
    ]
    .iter()
    .flat_map(|f| keys_in(&std::fs::read_to_string(fixture(f)).unwrap()))
    .collect()
}

#[test]
fn no_raw_secret_in_any_format_unless_show_secrets() {
    let keys = all_fixture_keys();
    assert!(keys.len() >= 20);
    for format in ["text", "json", "sarif"] {
        let r = run(bin().current_dir(root()).args(["dir", "fixtures", "--format", format]));
        assert_eq!(r.code, 1);
        for k in &keys {
            assert!(!r.all().contains(k.as_str()), "{format} leaks {}", &k[..10]);
            assert!(!r.all().contains(&k[7..]), "{format} leaks a key body");
        }
        assert!(r.stdout.contains("lfk_sk_…"), "{format} shows redacted keys");
    }
    let r = run(bin().current_dir(root()).args(["dir", "fixtures/keys", "--show-secrets"]));
    let shown = keys_in(&std::fs::read_to_string(fixture("keys/lfk-secret-key")).unwrap());
    assert!(shown.iter().all(|k| r.stdout.contains(k.as_str())));
}

#[test]
fn sarif_has_the_contract_fields_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results.sarif");
    let r =
        run(bin().current_dir(root()).args(["dir", ".", "--no-config", "--format", "sarif", "-o"]).arg(&out));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "loftyscan");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    for id in ["lfk-secret-key", "lofty-api-key", "jws-token"] {
        let rule = rules.iter().find(|r| r["id"] == id).unwrap();
        assert!(rule["shortDescription"]["text"].is_string() && rule["help"]["text"].is_string());
        assert!(rule["properties"]["security-severity"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    }
    let results = run0["results"].as_array().unwrap();
    assert!(results.len() >= 20);
    for res in results {
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with("./") && !uri.starts_with('/') && root().join(uri).is_file(), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert!(
            loc["region"]["endColumn"].as_u64().unwrap() > loc["region"]["startColumn"].as_u64().unwrap()
        );
        assert!(res["partialFingerprints"]["primaryLocationLineHash"].is_string());
        assert_eq!(res["properties"]["secretSha256"].as_str().unwrap().len(), 64);
        let level = res["level"].as_str().unwrap();
        let expired = res["properties"]["expired"] == true;
        let want = if res["ruleId"] == "jws-token" || expired { "warning" } else { "error" };
        assert_eq!(level, want, "{res}");
    }
    validate_sarif(&out);
}

#[test]
fn reports_are_deterministic_whatever_the_threads() {
    for format in ["json", "sarif"] {
        let outs: Vec<String> = ["1", "2", "8"]
            .iter()
            .map(|j| {
                run(bin().current_dir(root()).args(["dir", "fixtures", "--format", format, "-j", j])).stdout
            })
            .collect();
        assert!(outs.windows(2).all(|w| w[0] == w[1]), "{format} differs between thread counts");
    }
}

#[test]
fn closed_pipe_is_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(31);
    let text: String = (0..20_000).map(|_| format!("k={}\n", rng.lfk())).collect();
    std::fs::write(tmp.path().join("many.env"), text).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("loftyscan"))
        .args(["dir", "."])
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn colour_only_when_asked() {
    let keys = fixture("keys/lfk-secret-key");
    let plain = run(bin().args(["dir", "--no-config"]).arg(&keys));
    assert!(!plain.stdout.contains('\x1b'));
    let coloured = run(bin().args(["dir", "--no-config"]).arg(&keys).args(["--color", "always"]));
    assert!(coloured.stdout.contains("\x1b[1;31merror"));
}

#[test]
fn rules_lists_builtin_and_user_rules() {
    let r = run(bin().arg("rules"));
    assert_eq!(r.code, 0);
    for id in ["lfk-secret-key", "lofty-api-key", "jws-token"] {
        assert!(r.stdout.contains(id));
    }
    let tmp = tempfile::tempdir().unwrap();
    let user = tmp.path().join("acme.toml");
    std::fs::write(
        &user,
        "[[rules]]\nid = 'acme-key'\ntitle = 'Acme key'\ndescription = 'd'\nhelp = 'h'\nlevel = 'error'\n\
         security_severity = 8.0\nanchors = ['acme_']\npattern = 'acme_[0-9a-f]{32}'\n\
         examples = ['acme_0123456789abcdef0123456789abcdef']\nnegatives = ['acme_']\n",
    )
    .unwrap();
    let r = run(bin().arg("rules").arg("--rules").arg(&user).args(["--format", "json"]));
    assert!(r.json().as_array().unwrap().iter().any(|x| x["id"] == "acme-key"));
    std::fs::write(tmp.path().join("a.txt"), "x = acme_ffffffffffffffffffffffffffff0000\n").unwrap();
    let (v, r) = scan_json(tmp.path(), &["dir", "a.txt", "--rules", user.to_str().unwrap()]);
    assert_eq!(findings(&v)[0]["rule_id"], "acme-key");
    assert_eq!(r.code, 1);
}

#[test]
fn bad_user_rules_exit_2_naming_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let user = tmp.path().join("bad.toml");
    let base =
        "[[rules]]\nid = 'acme-key'\ntitle = 't'\ndescription = 'd'\nhelp = 'h'\nsecurity_severity = 8.0\n";
    for (extra, says) in [
        ("pattern = 'acme_[0-9]{4}'\nexamples = ['acme_12']\n", "example 1 is not reported"),
        ("pattern = 'acme_[0-9]{4}'\nnegatives = ['acme_1234']\n", "negative 1 is reported"),
        ("pattern = 'acme_['\n", "invalid `pattern`"),
        ("pattern = 'x'\nseverity = 1\n", "unknown field `severity`"),
        ("id = 'again'\n", "duplicate key"),
    ] {
        std::fs::write(&user, format!("{base}{extra}")).unwrap();
        let r = run(bin().args(["dir", "."]).arg("--rules").arg(&user).current_dir(tmp.path()));
        assert_eq!(r.code, 2, "{extra}");
        assert!(r.stderr.contains(says) && r.stderr.contains("bad.toml"), "{says}: {}", r.stderr);
    }
    std::fs::write(&user, base.replace("acme-key", "lfk-secret-key") + "pattern = 'x'\n").unwrap();
    let r = run(bin().args(["rules"]).arg("--rules").arg(&user));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`lfk-secret-key` is defined twice"), "{}", r.stderr);
    let r = run(bin().args(["rules", "--rules", "/no/such/rules.toml"]));
    assert_eq!(r.code, 2);
}

#[test]
fn stdin_is_scanned_under_its_name() {
    let mut rng = Rng::new(32);
    let (k1, k2) = (rng.lfk(), rng.lofty());
    let input = format!("# settings\nTL={k1}\nLOFTY={k2}\n");
    let r = run(bin().args(["stdin", "--name", "deploy/app.env", "--format", "json"]).write_stdin(input));
    assert_eq!(r.code, 1);
    let v = r.json();
    let f = findings(&v);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["path"], "deploy/app.env");
    assert_eq!((f[0]["line"].as_u64(), f[1]["line"].as_u64()), (Some(2), Some(3)));
    assert_eq!(f[1]["rule_id"], "lofty-api-key");
    let r = run(bin().arg("stdin").write_stdin("nothing here\n"));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("0 findings"));
}
