//! Shared helpers: run the real binary, generate random keys, read fixture keys.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub fn bin() -> Command {
    let mut c = Command::cargo_bin("loftyscan").unwrap();
    c.env_remove("NO_COLOR");
    c
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `loftyscan ARGS --format json --no-progress`, run in `dir`.
pub fn scan_json(dir: &Path, args: &[&str]) -> (Value, Run) {
    let r = run(bin().current_dir(dir).args(args).args(["--format", "json", "--no-progress"]));
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    (r.json(), r)
}

pub fn findings(v: &Value) -> Vec<Value> {
    v["findings"].as_array().unwrap().clone()
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The run's seed: `LOFTYSCAN_TEST_SEED` when set, else the clock. Every random key in the
/// suite comes from it (mixed with a per-test constant), so a failure reproduces with
/// `LOFTYSCAN_TEST_SEED=<printed seed> cargo test --locked --test cli <name>`.
pub fn run_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| match std::env::var("LOFTYSCAN_TEST_SEED") {
        Ok(s) => s.trim().parse().unwrap_or_else(|_| panic!("LOFTYSCAN_TEST_SEED={s:?} is not a u64")),
        Err(_) => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        }
    })
}

/// The suite's one PRNG (xorshift64): seeded from [`run_seed`] and a per-test constant, so
/// every run plants fresh keys and any run can be replayed. The seed is printed (shown with
/// the output of a failing test).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let run = run_seed();
        eprintln!("random keys: LOFTYSCAN_TEST_SEED={run} (test constant {seed})");
        Rng::fixed(seed ^ run)
    }
    /// The same generator from `seed` alone: for inputs that must not change between runs
    /// (the report snapshots).
    pub fn fixed(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn lfk(&mut self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let body: String = (0..40).map(|_| A[(self.next() % 62) as usize] as char).collect();
        format!("lfk_sk_{body}")
    }
    pub fn jws(&mut self, payload: &str) -> String {
        let sig: Vec<u8> = (0..32).map(|_| self.next() as u8).collect();
        let e = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        format!("{}.{}.{}", e(br#"{"alg":"HS256"}"#), e(payload.as_bytes()), e(&sig))
    }
    /// A live Lofty key: THIRD_PARTY_OPERATION scope, expiring in 2100.
    pub fn lofty(&mut self) -> String {
        let p = format!(
            r#"{{"sub":"{}","scope":"THIRD_PARTY_OPERATION","exp":4102444800}}"#,
            self.next() % 99999
        );
        self.jws(&p)
    }
}

/// The raw keys in a fixture file: the lfk_sk_ and eyJ tokens on each line.
pub fn keys_in(text: &str) -> Vec<String> {
    let re = regex::Regex::new(
        r"lfk_sk_[A-Za-z0-9]{40}|(?:eyJ|ewog|ewoJ|ew0K)[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
    )
    .unwrap();
    re.find_iter(text).map(|m| m.as_str().to_string()).collect()
}

/// A zip archive of `(name, bytes, deflate?)` entries; `claim` overrides the uncompressed
/// size written in the headers (a zip bomb's lie).
pub fn zip(entries: &[(&str, &[u8], bool)], claim: Option<u32>) -> Vec<u8> {
    use std::io::Write;
    let (mut out, mut central) = (Vec::new(), Vec::new());
    let le16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for (name, data, deflate) in entries {
        let body = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let crc = flate2::Crc::new();
        let mut crc = crc;
        crc.update(data);
        let (method, size) = (if *deflate { 8 } else { 0 }, claim.unwrap_or(data.len() as u32));
        let local = out.len() as u32;
        for (v, sig) in [(&mut out, 0x0403_4b50u32), (&mut central, 0x0201_4b50)] {
            le32(v, sig);
            if sig == 0x0201_4b50 {
                le16(v, 20);
            }
            for x in [20u16, 0, method, 0, 0] {
                le16(v, x);
            }
            for x in [crc.sum(), body.len() as u32, size] {
                le32(v, x);
            }
            le16(v, name.len() as u16);
            le16(v, 0);
            if sig == 0x0201_4b50 {
                for x in [0u16, 0, 0] {
                    le16(v, x);
                }
                le32(v, 0);
                le32(v, local);
            }
            v.extend_from_slice(name.as_bytes());
        }
        out.extend_from_slice(&body);
    }
    let (dir_at, dir_len) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    for x in [0u16, 0, entries.len() as u16, entries.len() as u16] {
        le16(&mut out, x);
    }
    le32(&mut out, dir_len);
    le32(&mut out, dir_at);
    le16(&mut out, 0);
    out
}

/// Gzip `data`, naming it `name` in the header.
pub fn gzip(data: &[u8], name: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::GzBuilder::new().filename(name).write(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Whether an external tool the test needs is here. When it is not, the test says so and
/// skips its part; under CI (the `CI` environment variable set, as .ci/run and every CI
/// service do) the absence is a failure, so no gate passes by skipping.
pub fn tool_present(present: bool, what: &str) -> bool {
    if !present {
        assert!(std::env::var_os("CI").is_none(), "CI is set but {what} is missing (.ci/run installs it)");
        eprintln!("SKIPPED (not in CI): {what} is missing");
    }
    present
}

/// Whether `program --version` runs (through [`tool_present`]).
pub fn have(program: &str) -> bool {
    let ok = std::process::Command::new(program).arg("--version").output().is_ok();
    tool_present(ok, &format!("`{program}`"))
}

/// The SARIF validator (../shared/tools/validate-sarif), run on `file`; a missing
/// validator is a skip outside CI and a failure in CI ([`tool_present`]).
pub fn validate_sarif(file: &Path) {
    let validator = root().join("../shared/tools/validate-sarif");
    if tool_present(validator.exists(), "../shared/tools/validate-sarif") {
        let r = run(Command::new(&validator).arg(file));
        assert_eq!(r.code, 0, "validate-sarif {}: {}", file.display(), r.all());
    }
}

/// Write `text` at `dir/rel`, creating directories.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}
