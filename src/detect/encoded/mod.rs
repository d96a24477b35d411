//! Keys hidden in encoded text: base64 (standard and URL-safe, any alignment), percent and
//! JSON/JS escapes, UTF-16 (LE and BE, with or without BOM).
//!
//! Takes the rules' anchors; gives derived anchors (the encoded forms of each anchor) for
//! the one prefilter pass, and, at a hit on one, the decoded text of a bounded window
//! around it with a map from decoded offsets back to the encoded ones. The detector scans
//! the decoded text like any other, and reports what it finds at the encoded location.

pub(crate) mod base64;
pub(crate) mod escape;
pub(crate) mod helm;
pub(crate) mod utf16;

use serde::Serialize;

/// How a secret was hidden. A closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Base64,
    Percent,
    JsonEscape,
    Utf16le,
    Utf16be,
    Gzip,
    Zip,
    /// Not an encoding: adjacent string literals joined (`"lfk_sk_…" + "…"`).
    Joined,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent",
            Encoding::JsonEscape => "json-escape",
            Encoding::Utf16le => "utf-16le",
            Encoding::Utf16be => "utf-16be",
            Encoding::Gzip => "gzip",
            Encoding::Zip => "zip",
            Encoding::Joined => "joined",
        }
    }
}

/// A derived anchor: what to look for, and how to decode around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Derived {
    pub text: Vec<u8>,
    pub kind: Encoding,
    /// Base64 only: the anchor's offset inside its 4-character group, so the decode starts
    /// on a group boundary.
    pub phase: usize,
}

/// Derived anchors for `anchors` (the rules' literal anchors); `long` are longer literal
/// forms of a secret's start (a JWS header's first bytes) that make usable base64 anchors
/// where the rule anchor itself is too short.
pub(crate) fn derive(anchors: &[&str], long: &[&str]) -> Vec<Derived> {
    let mut out: Vec<Derived> = Vec::new();
    let mut push = |d: Derived| {
        if !out.contains(&d) {
            out.push(d);
        }
    };
    for a in anchors.iter().chain(long) {
        base64::anchors(a.as_bytes()).into_iter().for_each(&mut push);
    }
    // Base64 of base64 (a Kubernetes Secret holding a base64 config value): the base64
    // forms of the rule anchors' and the first long anchor's standard-alphabet forms. Kept
    // to these (about 20 patterns) so the prefilter stays one fast packed search.
    for a in anchors.iter().chain(long.first()) {
        for inner in base64::anchors(a.as_bytes()) {
            if inner.text.iter().any(|&c| c == b'-' || c == b'_') {
                continue;
            }
            base64::anchors(&inner.text)
                .into_iter()
                .filter(|d| !d.text.iter().any(|&c| c == b'-' || c == b'_'))
                .for_each(&mut push);
        }
    }
    for a in anchors {
        escape::anchors(a.as_bytes()).into_iter().for_each(&mut push);
        utf16::anchors(a.as_bytes()).into_iter().for_each(&mut push);
    }
    if !anchors.is_empty() {
        push(Derived { text: helm::ANCHOR.to_vec(), kind: Encoding::Gzip, phase: 0 });
    }
    out
}

/// Decoded text and where each decoded byte came from.
pub(crate) struct Decoded {
    pub kind: Encoding,
    /// Outer context first (for Lofty signs next to the encoded text), then the decoded
    /// window; `own` is the decoded part.
    pub bytes: Vec<u8>,
    pub own: std::ops::Range<usize>,
    /// `map[i]` is the outer offset of `bytes[own.start + i]`; one extra entry for the end.
    pub map: Vec<usize>,
    /// Outer bytes up to here are done: later hits inside them decode nothing new.
    pub consumed_until: usize,
}

impl Decoded {
    /// The outer byte range of decoded range `start..end` (offsets in `bytes`).
    pub(crate) fn outer(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map[start - self.own.start];
        let e = self.map[end - self.own.start];
        (s, e.max(s + 1))
    }
}

/// Decode around hit `h` of derived anchor `d` in `data`. A form too large to decode
/// (a Helm release past its caps) adds one to `capped`.
pub(crate) fn decode_at(
    d: &Derived,
    data: &[u8],
    h: usize,
    context: usize,
    capped: &mut u64,
) -> Option<Decoded> {
    match d.kind {
        Encoding::Base64 => base64::decode_at(data, h, d.phase, context),
        Encoding::Percent | Encoding::JsonEscape => escape::decode_at(data, h, d.kind, context),
        Encoding::Utf16le | Encoding::Utf16be => utf16::decode_at(data, h, d.kind),
        Encoding::Gzip => match helm::decode_at(data, h) {
            helm::Outcome::Decoded(dec) => Some(dec),
            helm::Outcome::Capped => {
                *capped += 1;
                None
            }
            helm::Outcome::NotHelm => None,
        },
        Encoding::Zip | Encoding::Joined => None,
    }
}
