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
use crate::detect::stream::MAX_TOKEN;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Shortest derived anchor worth searching for (shorter ones match random base64).
const MIN_ANCHOR: usize = 6;

/// The base64 forms of `anchor` at each alignment, in both alphabets where they differ.
pub fn anchors(anchor: &[u8]) -> Vec<Derived> {
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
pub fn decode_at(data: &[u8], h: usize, phase: usize, context: usize) -> Option<Decoded> {
    let group = h.checked_sub(phase)?;
    let back = context.div_ceil(3) * 4 + 4;
    let mut start = group;
    while start >= 4 && group - start < back && data[start - 4..start].iter().all(|&c| is_b64(c)) {
        start -= 4;
    }
    let limit = data.len().min(group + (MAX_TOKEN + context) / 3 * 4 + 8);
    let mut end = group;
    while end < limit && is_b64(data[end]) {
        end += 1;
    }
    let text: Vec<u8> = data[start..end]
        .iter()
        .map(|&c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    let usable = if text.len() % 4 == 1 { text.len() - 1 } else { text.len() };
    let decoded = LENIENT.decode(&text[..usable]).ok()?;
    let ctx_from = start.saturating_sub(context);
    let mut bytes = data[ctx_from..start].to_vec();
    let own_start = bytes.len();
    bytes.extend_from_slice(&decoded);
    let mut map: Vec<usize> = (0..decoded.len()).map(|i| start + i * 4 / 3).collect();
    map.push(start + (decoded.len() * 4).div_ceil(3));
    Some(Decoded { kind: Encoding::Base64, own: own_start..bytes.len(), bytes, map, consumed_until: end })
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
}
