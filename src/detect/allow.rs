//! Inline allow markers: a line holding one suppresses the findings on it.
//!
//! Takes the buffer and a finding's byte range; gives whether its line carries
//! `loftyscan:allow` or another scanner's marker (for painless migration). The line is
//! searched at most [`LOOK`] bytes either side of the secret, so on a minified one-line
//! file a marker far away on the same line does not count.

use aho_corasick::AhoCorasick;
use memchr::{memchr, memrchr};

use super::stream::LOOK;

/// Markers honoured, ours first.
pub(crate) const MARKERS: &[&str] = &[
    "loftyscan:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
    "kingfisher:ignore",
];

#[derive(Debug)]
pub(crate) struct AllowMarkers(AhoCorasick);

impl Default for AllowMarkers {
    fn default() -> Self {
        Self::new()
    }
}

impl AllowMarkers {
    pub(crate) fn new() -> Self {
        AllowMarkers(AhoCorasick::new(MARKERS).expect("static markers compile"))
    }

    /// Does the line around `data[start..end]` carry a marker?
    pub(crate) fn on_line(&self, data: &[u8], start: usize, end: usize) -> bool {
        let lo_bound = start.saturating_sub(LOOK);
        let lo = memrchr(b'\n', &data[lo_bound..start]).map_or(lo_bound, |i| lo_bound + i + 1);
        let hi_bound = data.len().min(end + LOOK);
        let hi = memchr(b'\n', &data[end..hi_bound]).map_or(hi_bound, |i| end + i);
        self.0.is_match(&data[lo..hi])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_on_the_same_line_only() {
        let m = AllowMarkers::new();
        let data = b"a = KEY # loftyscan:allow\nb = KEY\nc = KEY // gitleaks:allow";
        let find = |from: usize| from + memchr::memmem::find(&data[from..], b"KEY").unwrap();
        let (k1, k2, k3) = (find(0), find(10), find(35));
        assert!(m.on_line(data, k1, k1 + 3));
        assert!(!m.on_line(data, k2, k2 + 3));
        assert!(m.on_line(data, k3, k3 + 3));
        assert!(m.on_line(b"x # pragma: allowlist secret\r\n", 0, 1));
    }
}
