//! Base64 (standard or URL-safe, padded or not) around a derived anchor.
//!
//! An anchor's base64 form depends on where it falls in a 3-byte group; for each of the 3
//! alignments the characters fixed by the anchor's bytes alone are a literal to search for
//! (`lfk_sk_` gives `bGZrX3NrX`, `xma19za1`, `sZmtfc2tf`). At a hit, the base64 run around it
//! is decoded from the 4-character group boundary the anchor's phase gives, with up to
//! 256 decoded bytes before it for context; nothing else is ever decoded.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::{Decoded, Derived, Encoding};
use crate::detect::limits::MAX_TOKEN;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Shortest derived anchor worth searching for (shorter ones match random base64).
const MIN_ANCHOR: usize = 6;

/// The base64 forms of `anchor` at each alignment, in both alphabets where they differ.
pub(crate) fn anchors(anchor: &[u8]) -> Vec<Derived> {
    let mut out = Vec::new();
    for k in 0..3 {
        let mut bytes = vec![0u8; k];
        bytes.extend_from_slice(anchor);
        let enc = STANDARD.encode(&bytes);
        let (first, last) = ((8 * k).div_ceil(6), (8 * (k + anchor.len())) / 6);
        if last < first + MIN_ANCHOR {
            continue;
        }
        let text = enc.as_bytes()[first..last].to_vec();
        let url: Vec<u8> = text
            .iter()
            .map(|&c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        let phase = first % 4;
        if url != text {
            out.push(Derived { text: url, kind: Encoding::Base64, phase });
        }
        out.push(Derived { text, kind: Encoding::Base64, phase });
    }
    out
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// Decode the base64 run around hit `h` (anchor phase `phase` in its 4-character group).
/// A run wrapped at a fixed width (64 or 76 columns: MIME, PEM-like blocks, `base64`
/// output; any multiple of 4 from 48 to 128), indented or not, is followed across its line
/// breaks, backwards as far as the context needs and forwards up to the token cap.
pub(crate) fn decode_at(data: &[u8], h: usize, phase: usize, context: usize) -> Option<Decoded> {
    let group = h.checked_sub(phase)?;
    let back = context.div_ceil(3) * 4 + 4;
    let mut start = group;
    while start >= 4 && group - start < back && data[start - 4..start].iter().all(|&c| is_b64(c)) {
        start -= 4;
    }
    let mut segs = earlier_lines(data, start, back.saturating_sub(group - start));
    let limit = (MAX_TOKEN + context) / 3 * 4 + 8;
    let mut total: usize = segs.iter().map(|s| s.len()).sum();
    let mut width = segs.first().map(|s| s.len());
    let (mut from, mut line_start) = (start, run_start(data, group));
    loop {
        let mut end = from;
        while end < data.len() && total + (end - from) < limit && is_b64(data[end]) {
            end += 1;
        }
        segs.push(from..end);
        total += end - from;
        let len = end - line_start;
        if total >= limit || !wrap_width(len) || width.is_some_and(|w| w != len) {
            break;
        }
        match next_line(data, end) {
            Some(n) if data.get(n).is_some_and(|&c| is_b64(c)) => {
                (width, line_start, from) = (Some(len), n, n)
            }
            _ => break,
        }
    }
    let (mut text, mut pos) = (Vec::with_capacity(total), Vec::with_capacity(total));
    for seg in &segs {
        for i in seg.clone() {
            text.push(match data[i] {
                b'-' => b'+',
                b'_' => b'/',
                c => c,
            });
            pos.push(i);
        }
    }
    let usable = if text.len() % 4 == 1 { text.len() - 1 } else { text.len() };
    let decoded = LENIENT.decode(&text[..usable]).ok()?;
    let first = segs[0].start;
    let ctx_from = first.saturating_sub(context);
    let mut bytes = data[ctx_from..first].to_vec();
    let own_start = bytes.len();
    bytes.extend_from_slice(&decoded);
    let end = segs.last().map_or(first, |s| s.end);
    let mut map: Vec<usize> =
        (0..decoded.len()).map(|i| pos.get(i * 4 / 3).copied().unwrap_or(end)).collect();
    map.push(end);
    Some(Decoded { kind: Encoding::Base64, own: own_start..bytes.len(), bytes, map, consumed_until: end })
}

/// Widths base64 text is wrapped at.
fn wrap_width(n: usize) -> bool {
    n.is_multiple_of(4) && (48..=128).contains(&n)
}

/// Where the base64 run that reaches `at` starts on its line (at most 129 back).
fn run_start(data: &[u8], at: usize) -> usize {
    let mut s = at;
    while s > 0 && at - s <= 128 && is_b64(data[s - 1]) {
        s -= 1;
    }
    s
}

/// Whole wrapped lines of one width just before the run starting at `start` (which must
/// begin its line), up to `budget` characters; in order.
fn earlier_lines(data: &[u8], start: usize, mut budget: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = start;
    if at > 0 && is_b64(data[at - 1]) {
        return out;
    }
    while let Some(pe) = prev_line_end(data, at) {
        let ps = run_start(data, pe);
        let len = pe - ps;
        if len == 0 || !wrap_width(len) || out.last().is_some_and(|r: &std::ops::Range<usize>| r.len() != len)
        {
            break;
        }
        if budget < len {
            break;
        }
        budget -= len;
        out.push(ps..pe);
        at = ps;
    }
    out.reverse();
    out
}

/// After a line break at `pos` (`\n` or `\r\n`) and the next line's indentation.
fn next_line(data: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos + usize::from(data.get(pos) == Some(&b'\r'));
    if data.get(p) != Some(&b'\n') {
        return None;
    }
    p += 1;
    Some(p + data[p..].iter().take(32).take_while(|&&c| c == b' ' || c == b'\t').count())
}

/// Before a line's text at `pos` (after its indentation): where the previous line ends.
fn prev_line_end(data: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos;
    while p > 0 && pos - p < 32 && matches!(data[p - 1], b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 || data[p - 1] != b'\n' {
        return None;
    }
    p -= 1;
    Some(p - usize::from(p > 0 && data[p - 1] == b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_at_each_alignment() {
        let texts: Vec<String> =
            anchors(b"lfk_sk_").iter().map(|d| String::from_utf8(d.text.clone()).unwrap()).collect();
        assert_eq!(texts, ["bGZrX3NrX", "xma19za1", "sZmtfc2tf"]);
        // Each appears in the encoding of some text holding lfk_sk_ at that alignment.
        for (k, t) in texts.iter().enumerate() {
            let enc = STANDARD.encode(format!("{}lfk_sk_abc", "x".repeat(k)));
            assert!(enc.contains(t.as_str()), "{enc} lacks {t}");
        }
        assert!(anchors(b"eyJ").is_empty(), "too short to be useful");
    }

    #[test]
    fn decodes_around_a_hit_with_context_and_maps_back() {
        let inner = "LOFTY_CUSTOMER_KEY=eyJhbGciOiJIUzI1NiJ9.x";
        let enc = STANDARD.encode(inner);
        let data = format!("apiVersion: v1\ndata:\n  env: {enc}\n");
        let d = anchors(b"eyJhbGci")
            .into_iter()
            .find(|d| data.contains(std::str::from_utf8(&d.text).unwrap()))
            .unwrap();
        let h = data.find(std::str::from_utf8(&d.text).unwrap()).unwrap();
        let dec = decode_at(data.as_bytes(), h, d.phase, 256).unwrap();
        assert_eq!(&dec.bytes[dec.own.clone()], inner.as_bytes());
        assert!(std::str::from_utf8(&dec.bytes[..dec.own.start]).unwrap().ends_with("env: "));
        let at = dec.own.start + inner.find("eyJ").unwrap();
        let (s, _) = dec.outer(at, at + 3);
        assert!(s >= data.find(&enc).unwrap() && s < h + 4);
        assert_eq!(dec.consumed_until, data.find(&enc).unwrap() + enc.trim_end_matches('=').len());
    }

    #[test]
    fn follows_wrapped_lines_both_ways_and_maps_each_byte() {
        let inner =
            format!("{}LOFTY_CUSTOMER_KEY=eyJhbGciOiJIUzI1NiJ9.x{}", "a".repeat(200), "b".repeat(300));
        let enc = STANDARD.encode(&inner);
        for (width, nl, indent) in [(76, "\n", ""), (64, "\r\n", "    "), (76, "\n", "\t")] {
            let lines: Vec<&str> =
                enc.as_bytes().chunks(width).map(|c| std::str::from_utf8(c).unwrap()).collect();
            let body: String = lines.iter().map(|l| format!("{indent}{l}{nl}")).collect();
            let data = format!("Content-Transfer-Encoding: base64{nl}{nl}{body}");
            let d = anchors(b"eyJhbGci")
                .into_iter()
                .find(|d| data.contains(std::str::from_utf8(&d.text).unwrap()))
                .expect("the anchor is on one line here");
            let h = data.find(std::str::from_utf8(&d.text).unwrap()).unwrap();
            let dec = decode_at(data.as_bytes(), h, d.phase, 256).unwrap();
            let got = String::from_utf8_lossy(&dec.bytes[dec.own.clone()]).into_owned();
            assert!(inner.ends_with(&got) && got.contains("LOFTY_CUSTOMER_KEY=eyJhbGci"), "{width}: {got}");
            let at = dec.own.start + got.find("eyJ").unwrap();
            let (s, _) = dec.outer(at, at + 3);
            assert!(s <= h && s + 8 >= h, "{width}: {s} vs {h}");
            assert_eq!(dec.consumed_until, data.trim_end().trim_end_matches('=').len(), "{width}");
        }
    }
}
