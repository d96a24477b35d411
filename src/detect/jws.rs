//! Compact JWS: find the token at an anchor, decode it, confirm it, look for a Lofty sign.
//!
//! Takes a buffer and an anchor position; gives a [`Candidate`] (the `a.b.c` run starting
//! there), then a decoded [`Jws`] when the header is a JSON object with a real `alg` (not
//! `none`, no `enc`), the payload a JSON object and the signature exactly as long as `alg`
//! implies. Work per anchor is bounded by the run's length, and an anchor inside a run
//! is rejected in O(1), so a megabyte of `eyJeyJ…` costs one pass.

use anyhow::{Result, bail};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use regex::bytes::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::stream::LOOK;

const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Whether `b` is in the base64url alphabet (`A-Z a-z 0-9 - _`, no padding).
pub fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A `header.payload.signature` run: byte range in the buffer and the two dots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Byte offset of the token's first byte.
    pub start: usize,
    /// Byte offset one past the token's last byte (trailing dots excluded).
    pub end: usize,
    dots: [usize; 2],
}

/// The JWS-shaped run that starts at `h`, if `h` starts one (not inside a longer token or
/// dotted run) and it has exactly three non-empty segments within `max_len` bytes.
/// Trailing dots (end of a sentence, `...`) are not part of the token.
pub fn candidate(data: &[u8], h: usize, max_len: usize) -> Option<Candidate> {
    if h > 0 {
        let p = data[h - 1];
        let escaped = || super::boundary::after_escape(data, h, is_b64url);
        if (is_b64url(p) && !escaped()) || (p == b'.' && h >= 2 && is_b64url(data[h - 2])) {
            return None;
        }
    }
    let limit = data.len().min(h + max_len + 1);
    let mut end = h;
    while end < limit && (is_b64url(data[end]) || data[end] == b'.') {
        end += 1;
    }
    if end > h + max_len {
        return None; // longer than any token we accept
    }
    while end > h && data[end - 1] == b'.' {
        end -= 1;
    }
    let mut dots = [0usize; 2];
    let mut n = 0;
    for (i, &b) in data[h..end].iter().enumerate() {
        if b == b'.' {
            if n == 2 {
                return None; // a JWE (five segments) or some other dotted name
            }
            dots[n] = h + i;
            n += 1;
        }
    }
    let ok = n == 2 && dots[0] > h && dots[1] > dots[0] + 1 && end > dots[1] + 1;
    ok.then_some(Candidate { start: h, end, dots })
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
    enc: Option<serde::de::IgnoredAny>,
}

/// A confirmed JWS. Its `Debug` shows no part of the token.
pub struct Jws {
    /// The decoded payload bytes (JSON) and its parse.
    pub payload_raw: Vec<u8>,
    /// The payload's top-level JSON object.
    pub claims: Map<String, Value>,
    /// `exp`, seconds since the epoch, where the payload has a numeric one.
    pub exp: Option<i64>,
}

impl std::fmt::Debug for Jws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Jws {{ payload: <{} bytes redacted>, exp: {:?} }}", self.payload_raw.len(), self.exp)
    }
}

/// Decode and confirm a candidate. `scratch` is reused for the header and signature.
pub fn decode(data: &[u8], c: &Candidate, scratch: &mut Vec<u8>) -> Option<Jws> {
    let header = &data[c.start..c.dots[0]];
    let payload = &data[c.dots[0] + 1..c.dots[1]];
    let sig = &data[c.dots[1] + 1..c.end];
    scratch.clear();
    B64URL.decode_vec(header, scratch).ok()?;
    let h: Header = serde_json::from_slice(scratch).ok()?;
    if h.enc.is_some() {
        return None; // a JWE header
    }
    let sig_len = SigLen::of(&h.alg)?; // `none` and unknown algs have no signature length
    scratch.clear();
    B64URL.decode_vec(sig, scratch).ok()?;
    if !sig_len.fits(scratch.len()) || distinct_bytes(scratch) < scratch.len() / 4 {
        return None; // wrong length, or a constant placeholder signature
    }
    let payload_raw = B64URL.decode(payload).ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload_raw).ok()?;
    let exp = claims.get("exp").and_then(Value::as_f64).map(|e| e.clamp(-1e15, 1e15) as i64);
    Some(Jws { payload_raw, claims, exp })
}

/// The signature length (bytes) an `alg` implies.
#[derive(Clone, Copy)]
enum SigLen {
    Exactly(usize),
    EitherOf(usize, usize),
    /// RSA: the modulus size, 1024 to 8192 bits.
    Rsa,
}

impl SigLen {
    fn of(alg: &str) -> Option<SigLen> {
        Some(match alg {
            "HS256" => SigLen::Exactly(32),
            "HS384" => SigLen::Exactly(48),
            "HS512" => SigLen::Exactly(64),
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => SigLen::Rsa,
            "ES256" | "ES256K" | "Ed25519" => SigLen::Exactly(64),
            "ES384" => SigLen::Exactly(96),
            "ES512" => SigLen::Exactly(132),
            "EdDSA" => SigLen::EitherOf(64, 114),
            "Ed448" => SigLen::Exactly(114),
            _ => return None,
        })
    }

    fn fits(self, n: usize) -> bool {
        match self {
            SigLen::Exactly(m) => n == m,
            SigLen::EitherOf(a, b) => n == a || n == b,
            SigLen::Rsa => (128..=1024).contains(&n) && n.is_multiple_of(8),
        }
    }
}

fn distinct_bytes(s: &[u8]) -> usize {
    let mut seen = [false; 256];
    s.iter().for_each(|&b| seen[b as usize] = true);
    seen.iter().filter(|&&x| x).count()
}

/// A rule's `[sign]` table as written in its TOML; [`Sign::compile`] checks and compiles it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignSpec {
    #[serde(default)]
    payload_contains: Vec<String>,
    #[serde(default)]
    claims: Vec<ClaimSpec>,
    context: Option<String>,
    #[serde(default = "default_context_bytes")]
    context_bytes: usize,
    /// Signs split around the token: `before` must match the text just before it (ending
    /// there) and `after` the text just after it (starting there), e.g. a header pair
    /// written value first, `{"value":"token …","key":"Authorization"}`.
    #[serde(default)]
    around: Vec<AroundSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AroundSpec {
    before: String,
    after: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimSpec {
    name: String,
    contains: String,
}

fn default_context_bytes() -> usize {
    256
}

/// What makes a JWS a given vendor's key: text in the payload, a claim naming the
/// vendor, or a pattern in the bytes just before the token.
#[derive(Debug)]
pub struct Sign {
    payload_contains: Vec<Vec<u8>>,
    claims: Vec<(String, String)>,
    context: Option<Regex>,
    context_bytes: usize,
    around: Vec<(Regex, Regex)>,
}

fn regex(p: &str, what: &str) -> Result<Regex> {
    Regex::new(p).map_err(|_| anyhow::anyhow!("invalid sign.{what}: not a valid regular expression"))
}

impl Sign {
    /// Compile the patterns of `spec`; an error names the bad field (`context_bytes` over
    /// [`LOOK`], an invalid regular expression).
    pub fn compile(spec: SignSpec) -> Result<Self> {
        if spec.context_bytes > LOOK {
            bail!("sign.context_bytes must be at most {LOOK}");
        }
        let context = spec.context.as_deref().map(|p| regex(p, "context")).transpose()?;
        let mut around = Vec::new();
        for a in &spec.around {
            around.push((regex(&a.before, "around.before")?, regex(&a.after, "around.after")?));
        }
        Ok(Sign {
            payload_contains: spec.payload_contains.into_iter().map(String::into_bytes).collect(),
            claims: spec.claims.into_iter().map(|c| (c.name, c.contains.to_ascii_lowercase())).collect(),
            context,
            context_bytes: spec.context_bytes,
            around,
        })
    }

    /// A sign inside the token.
    pub fn in_token(&self, jws: &Jws) -> bool {
        let raw = &jws.payload_raw;
        self.payload_contains.iter().any(|p| memchr::memmem::find(raw, p).is_some())
            || self
                .claims
                .iter()
                .any(|(name, needle)| jws.claims.get(name).is_some_and(|v| value_contains(v, needle)))
    }

    /// A sign in the `context_bytes` before the token at `start..end` (or split around
    /// it), read with its escapes decoded (`\"Authorization\"`, `&quot;`, `%20` read as
    /// what they stand for).
    pub fn in_context(&self, data: &[u8], start: usize, end: usize) -> bool {
        if self.context.is_none() && self.around.is_empty() {
            return false;
        }
        let from = start.saturating_sub(self.context_bytes);
        let mut text = Vec::with_capacity(start - from);
        super::context::unescape(&data[from..start], &mut text);
        if self.context.as_ref().is_some_and(|re| re.is_match(&text)) {
            return true;
        }
        let mut after = Vec::new();
        for (before, aft) in &self.around {
            if before.is_match(&text) {
                if after.is_empty() {
                    let to = data.len().min(end.saturating_add(self.context_bytes));
                    super::context::unescape(&data[end..to], &mut after);
                }
                if aft.is_match(&after) {
                    return true;
                }
            }
        }
        false
    }
}

/// A string claim containing `needle` (ASCII case-insensitive), or an array with one.
fn value_contains(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.to_ascii_lowercase().contains(needle),
        Value::Array(items) => items.iter().any(|i| value_contains(i, needle)),
        _ => false,
    }
}

#[cfg(test)]
#[path = "jws_tests.rs"]
mod tests;
