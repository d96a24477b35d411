//! UTF-16 text (little or big endian, with or without a BOM): a Windows script saved as
//! "Unicode", a registry export, a .NET config.
//!
//! Derived anchors are the rule anchors as UTF-16 code units (`l\0f\0k\0…`). At a hit, a
//! window around it (4 KiB of context before, a whole token and 4 KiB after) is decoded
//! to UTF-8, each decoded byte mapped to its code unit's offset.

use super::{Decoded, Derived, Encoding};
use crate::detect::limits::{LOOK, MAX_TOKEN};

/// The anchor as UTF-16LE and UTF-16BE code units (ASCII anchors only).
pub(crate) fn anchors(anchor: &[u8]) -> Vec<Derived> {
    if !anchor.is_ascii() {
        return Vec::new();
    }
    let le = anchor.iter().flat_map(|&b| [b, 0]).collect();
    let be = anchor.iter().flat_map(|&b| [0, b]).collect();
    vec![
        Derived { text: le, kind: Encoding::Utf16le, phase: 0 },
        Derived { text: be, kind: Encoding::Utf16be, phase: 0 },
    ]
}

/// Decode the UTF-16 window around hit `h` (the anchor's first code unit).
#[allow(clippy::unnecessary_wraps)] // the decoders share one shape (`encoded::decode` picks one)
pub(crate) fn decode_at(data: &[u8], h: usize, kind: Encoding) -> Option<Decoded> {
    let start = h - (h.min(2 * LOOK) & !1);
    let end = start + ((data.len().min(h + 2 * (MAX_TOKEN + LOOK)) - start) & !1);
    let unit = |i: usize| match kind {
        Encoding::Utf16be => u16::from_be_bytes([data[i], data[i + 1]]),
        _ => u16::from_le_bytes([data[i], data[i + 1]]),
    };
    let units = (start..end).step_by(2).map(unit);
    let (mut bytes, mut map) = (Vec::with_capacity((end - start) / 2), Vec::with_capacity((end - start) / 2));
    let mut at = start;
    for c in char::decode_utf16(units) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            bytes.push(b);
            map.push(at);
        }
        at += 2 * c.len_utf16();
    }
    map.push(at);
    // Whatever starts in the next MAX_TOKEN code units is inside this window: done.
    let consumed_until = h + 2 * MAX_TOKEN;
    Some(Decoded { kind, own: 0..bytes.len(), bytes, map, consumed_until })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_byte_orders_and_maps_back() {
        let text = "set KEY=lfk_sk_abc\r\n";
        for (kind, bytes) in [
            (Encoding::Utf16le, text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>()),
            (Encoding::Utf16be, text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect::<Vec<u8>>()),
        ] {
            let a = anchors(b"lfk_sk_").into_iter().find(|d| d.kind == kind).unwrap();
            let h = bytes.windows(a.text.len()).position(|w| w == a.text).unwrap();
            let d = decode_at(&bytes, h, kind).unwrap();
            assert_eq!(&d.bytes[d.own.clone()], text.as_bytes());
            assert_eq!(d.outer(8, 9), (16, 18), "{kind:?}");
        }
    }
}
