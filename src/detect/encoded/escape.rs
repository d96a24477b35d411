//! Percent-encoding (`lfk%5Fsk%5F…`) and JSON/JS escapes (`lfk\u005fsk\u005f…`, `\/`).
//!
//! Derived anchors are the rule anchors with their punctuation escaped (upper and lower
//! hex). At a hit, the token run that starts there (token characters and escapes) is
//! unescaped, with the 256 bytes before it (unescaped too) as context, and every decoded
//! byte remembers the offset of the escape it came from.

use super::{Decoded, Derived, Encoding};
use crate::detect::limits::MAX_TOKEN;

/// Anchors with every non-alphanumeric byte escaped (none if there is nothing to escape).
pub(crate) fn anchors(anchor: &[u8]) -> Vec<Derived> {
    if anchor.iter().all(u8::is_ascii_alphanumeric) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (kind, upper, prefix) in [
        (Encoding::Percent, true, "%"),
        (Encoding::Percent, false, "%"),
        (Encoding::Percent, true, "%25"),
        (Encoding::Percent, false, "%25"),
        (Encoding::JsonEscape, true, "\\u00"),
        (Encoding::JsonEscape, false, "\\u00"),
    ] {
        let mut text = Vec::new();
        for &b in anchor {
            if b.is_ascii_alphanumeric() {
                text.push(b);
                continue;
            }
            let hex = if upper { format!("{b:02X}") } else { format!("{b:02x}") };
            text.extend_from_slice(format!("{prefix}{hex}").as_bytes());
        }
        out.push(Derived { text, kind, phase: 0 });
    }
    out.dedup();
    out
}

/// One unescaped byte at `data[i..]`: the byte and the escape's length.
fn unescape_one(data: &[u8], i: usize, kind: Encoding) -> (u8, usize) {
    let hex = |s: &[u8]| std::str::from_utf8(s).ok().and_then(|t| u8::from_str_radix(t, 16).ok());
    match (kind, data[i]) {
        // `%25XX` is a percent-encoded `%XX` (double encoding): both layers at once.
        (Encoding::Percent, b'%') if data.get(i + 1..i + 3) == Some(b"25") => {
            data.get(i + 3..i + 5).and_then(hex).map_or((b'%', 3), |b| (b, 5))
        }
        (Encoding::Percent, b'%') => data.get(i + 1..i + 3).and_then(hex).map_or((b'%', 1), |b| (b, 3)),
        (Encoding::JsonEscape, b'\\') => match data.get(i + 1) {
            Some(b'/') => (b'/', 2),
            Some(b'u') if data.get(i + 2..i + 4) == Some(b"00") => {
                data.get(i + 4..i + 6).and_then(hex).filter(|b| b.is_ascii()).map_or((b'\\', 1), |b| (b, 6))
            }
            _ => (b'\\', 1),
        },
        (_, b) => (b, 1),
    }
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Unescape from `from` while bytes (after unescaping) are token characters, at most
/// `limit` decoded bytes; gives the decoded bytes, their outer offsets and the end.
fn unescape_run(
    data: &[u8],
    from: usize,
    kind: Encoding,
    limit: usize,
    token_only: bool,
) -> (Vec<u8>, Vec<usize>, usize) {
    let (mut out, mut map, mut i) = (Vec::new(), Vec::new(), from);
    while i < data.len() && out.len() < limit {
        let (b, n) = unescape_one(data, i, kind);
        if token_only && !is_token(b) {
            break;
        }
        out.push(b);
        map.push(i);
        i += n;
    }
    (out, map, i)
}

/// Unescape the token run starting at hit `h`, with context before it.
#[allow(clippy::unnecessary_wraps)] // the decoders share one shape (`encoded::decode` picks one)
pub(crate) fn decode_at(data: &[u8], h: usize, kind: Encoding, context: usize) -> Option<Decoded> {
    let ctx_from = h.saturating_sub(context * 6);
    let (mut bytes, _, _) = unescape_run(&data[..h], ctx_from, kind, usize::MAX, false);
    let keep_from = bytes.len().saturating_sub(context);
    bytes.drain(..keep_from);
    let own_start = bytes.len();
    let (run, mut map, end) = unescape_run(data, h, kind, MAX_TOKEN + 1, true);
    map.push(end);
    bytes.extend_from_slice(&run);
    Some(Decoded { kind, own: own_start..bytes.len(), bytes, map, consumed_until: end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_escape_punctuation() {
        let texts: Vec<String> =
            anchors(b"lfk_sk_").iter().map(|d| String::from_utf8(d.text.clone()).unwrap()).collect();
        assert_eq!(
            texts,
            [
                "lfk%5Fsk%5F",
                "lfk%5fsk%5f",
                "lfk%255Fsk%255F",
                "lfk%255fsk%255f",
                "lfk\\u005Fsk\\u005F",
                "lfk\\u005fsk\\u005f"
            ]
        );
        assert!(anchors(b"eyJ").is_empty());
    }

    #[test]
    fn unescapes_and_maps_back() {
        let data = br#"{"k": "lfk\u005fsk\u005fAbC\/x", "n": 1}"#;
        let h = 7;
        let d = decode_at(data, h, Encoding::JsonEscape, 256).unwrap();
        assert_eq!(&d.bytes[d.own.clone()], b"lfk_sk_AbC");
        assert_eq!(&d.bytes[..d.own.start], br#"{"k": ""#);
        assert_eq!(d.outer(d.own.start + 3, d.own.start + 4), (10, 16), "the escape's span");
        let data = b"key=lfk%5Fsk%5fAbC&x=1";
        let d = decode_at(data, 4, Encoding::Percent, 256).unwrap();
        assert_eq!(&d.bytes[d.own.clone()], b"lfk_sk_AbC");
        assert_eq!(d.consumed_until, 18);
        let data = b"u=x%253Flfk%255Fsk%255FAbC%2526";
        let d = decode_at(data, 8, Encoding::Percent, 256).unwrap();
        assert_eq!(&d.bytes[d.own.clone()], b"lfk_sk_AbC");
        assert_eq!(&d.bytes[..d.own.start], b"u=x?");
    }
}
