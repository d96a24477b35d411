//! Placeholder checks: tells a random key body from `your_key_here`, `xxxx…`, `abcdef…`,
//! `a1b2c3…` or a documented example.
//!
//! Takes a rule's `[rules.placeholder]` table and a candidate's body bytes; gives
//! "placeholder" or "looks random". Thresholds are data; the defaults (in `rules/lfk.toml`)
//! are set so that a random 40-character body is rejected with probability below 1e-6.

use anyhow::{Result, bail};
use regex::bytes::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceholderSpec {
    /// Capture group the checks apply to (`body`, or the whole secret when absent).
    group: Option<String>,
    #[serde(default)]
    known: Vec<String>,
    #[serde(default)]
    known_sha256: Vec<String>,
    #[serde(default)]
    words: Vec<String>,
    /// Published HMAC secrets (jwt.io's): a JWS signed with one is a public demo token.
    #[serde(default)]
    published_secrets: Vec<String>,
    min_entropy: Option<f64>,
    max_sequential: Option<f64>,
    max_run: Option<usize>,
    max_period: Option<usize>,
    /// Most of the body that may be dictionary words (`rules/words.txt`) before it is a
    /// placeholder (`PasteYourKeyHere…`).
    max_word_share: Option<f64>,
}

/// Equal placeholders reject the same secrets (the detector checks a token once per
/// distinct placeholder).
#[derive(Debug, PartialEq)]
pub struct Placeholder {
    pub group: Option<String>,
    known: Vec<Vec<u8>>,
    known_sha256: Vec<[u8; 32]>,
    words: Vec<Vec<u8>>,
    published_secrets: super::demo::Published,
    min_entropy: Option<f64>,
    max_sequential: Option<f64>,
    max_run: Option<usize>,
    max_period: Option<usize>,
    max_word_share: Option<f64>,
}

impl Placeholder {
    pub fn compile(spec: PlaceholderSpec) -> Result<Self> {
        let mut known_sha256 = Vec::new();
        for h in &spec.known_sha256 {
            known_sha256.push(parse_sha256(h)?);
        }
        if let Some(g) = &spec.group
            && g != "body"
            && g != "secret"
        {
            bail!("placeholder.group must be \"body\" or \"secret\"");
        }
        Ok(Placeholder {
            group: spec.group,
            known: spec.known.into_iter().map(String::into_bytes).collect(),
            known_sha256,
            words: spec.words.iter().map(|w| w.to_ascii_lowercase().into_bytes()).collect(),
            published_secrets: super::demo::Published::new(
                spec.published_secrets.into_iter().map(String::into_bytes).collect(),
            ),
            min_entropy: spec.min_entropy,
            max_sequential: spec.max_sequential,
            max_run: spec.max_run,
            max_period: spec.max_period,
            max_word_share: spec.max_word_share,
        })
    }

    /// The `group` must exist in the rule's pattern.
    pub fn check_group(&self, re: &Regex) -> Result<()> {
        match &self.group {
            Some(g) if !re.capture_names().flatten().any(|n| n == g) => {
                bail!("placeholder.group `{g}` is not a named group of `pattern`")
            }
            _ => Ok(()),
        }
    }

    /// Is `secret` (the whole token) known, or its `body` (the random part) not random?
    pub fn rejects(&self, secret: &[u8], body: &[u8]) -> bool {
        if !self.known_sha256.is_empty() {
            let digest: [u8; 32] = Sha256::digest(secret).into();
            if self.known_sha256.contains(&digest) {
                return true;
            }
        }
        self.known.iter().any(|k| k == body || k == secret)
            || self.published_secrets.signed(secret)
            || self.has_word(body)
            || self.min_entropy.is_some_and(|m| entropy(body) < m)
            || self.max_sequential.is_some_and(|m| sequential_ratio(body) > m)
            || self.max_run.is_some_and(|m| longest_run(body) > m)
            || self.max_period.is_some_and(|m| period(body).is_some_and(|p| p <= m))
            || self.max_word_share.is_some_and(|m| super::words::word_share(body) > m)
    }

    /// A listed word, written as a person writes it (`Example`, `EXAMPLE`, `example`:
    /// random text rarely keeps one case over five letters).
    fn has_word(&self, body: &[u8]) -> bool {
        self.words.iter().any(|w| {
            body.windows(w.len()).any(|win| win.eq_ignore_ascii_case(w) && super::words::person_case(win))
        })
    }
}

fn parse_sha256(h: &str) -> Result<[u8; 32]> {
    let bytes = h.as_bytes();
    if bytes.len() != 64 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        bail!("known_sha256 entries are 64 hex digits");
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).expect("hex digits are ASCII");
        out[i] = u8::from_str_radix(s, 16).expect("checked hex");
    }
    Ok(out)
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Share of positions that continue a visible sequence: neighbours one apart (`abc`,
/// `321`), or every other character counting up (`a1b2c3`).
pub(crate) fn sequential_ratio(s: &[u8]) -> f64 {
    if s.len() < 3 {
        return 0.0;
    }
    let step = |a: u8, b: u8| (a as i16 - b as i16).abs() == 1;
    let hits = (0..s.len() - 1)
        .filter(|&i| step(s[i], s[i + 1]) || (i + 2 < s.len() && s[i + 2] as i16 - s[i] as i16 == 1))
        .count();
    hits as f64 / (s.len() - 1) as f64
}

/// Longest run of one repeated byte.
pub(crate) fn longest_run(s: &[u8]) -> usize {
    let (mut best, mut cur) = (0, 0);
    for (i, &b) in s.iter().enumerate() {
        cur = if i > 0 && s[i - 1] == b { cur + 1 } else { 1 };
        best = best.max(cur);
    }
    best
}

/// Smallest period `p < len` with `s[i] == s[i + p]` everywhere (`deadbeefdeadbeef` → 8).
pub(crate) fn period(s: &[u8]) -> Option<usize> {
    (1..s.len()).find(|&p| s[p..].iter().zip(s).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lfk_like() -> Placeholder {
        let spec: PlaceholderSpec = toml::from_str(
            "known=['a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0']\nwords=['example','xxxxx']\n\
             min_entropy=3.5\nmax_sequential=0.4\nmax_run=6\nmax_period=10\n",
        )
        .unwrap();
        Placeholder::compile(spec).unwrap()
    }

    #[test]
    fn placeholders_are_rejected() {
        let p = lfk_like();
        for body in [
            "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0",
            "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0",
            "0000000000000000000000000000000000000000",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
            "9876543210987654321098765432109876543210",
            "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
            "ThisIsAnExampleKeyPleaseReplaceItNow1234",
            "aaaaaaaQ3mZ8pL2nV7xK4cR9tY1wE6uI5oB0sD3f",
        ] {
            assert!(p.rejects(body.as_bytes(), body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn random_bodies_pass() {
        // A small deterministic PRNG: 20,000 random 40-character bodies, none rejected.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = crate::detect::testgen::Rng::from_state(0x9e37_79b9_7f4a_7c15);
        let p = lfk_like();
        for _ in 0..20_000 {
            let body: Vec<u8> = (0..40).map(|_| alphabet[(rng.next_u64() % 62) as usize]).collect();
            assert!(!p.rejects(&body, &body), "{}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn measures() {
        assert_eq!(longest_run(b"abbbc"), 3);
        assert_eq!(period(b"abcabcab"), Some(3));
        assert_eq!(period(b"abcd"), None);
        assert!(entropy(b"aaaa") < 0.01);
        assert!((entropy(b"ab") - 1.0).abs() < 1e-9);
        assert!(sequential_ratio(b"a1b2c3d4") > 0.8);
    }
}
