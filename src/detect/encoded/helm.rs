//! Helm release Secrets: base64 (Kubernetes' `data:`) of base64 (Helm's) of gzip of the
//! release JSON (`kubectl get secret sh.helm.release.v1.NAME.v1 -o yaml`).
//!
//! Takes a buffer and a hit on [`ANCHOR`] (base64 of base64 of gzip's first four bytes);
//! gives the release JSON, each byte mapped to a blob byte at the same fraction, for the detector to scan
//! like any decoded text (the chart's manifest and values, Secrets' base64 data inside it).
//! Bounded: the blob is read up to [`MAX_BLOB`] characters (a Kubernetes object is at most
//! 1 MiB) and inflated under the archive caps; a blob past either cap is counted, not
//! decoded.

use std::io::Read;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::{Decoded, Encoding};
use crate::detect::archive;

/// `base64(base64("\x1f\x8b\x08\x00"))`: how every Helm release Secret's value starts.
pub(crate) const ANCHOR: &[u8] = b"SDRzSUFB";

/// Most base64 characters read from one blob.
pub(crate) const MAX_BLOB: usize = 4 << 20;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// What became of a blob.
pub(crate) enum Outcome {
    Decoded(Decoded),
    /// Past a cap (blob size or expansion): counted, not scanned.
    Capped,
    NotHelm,
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
}

/// Decode the Helm blob starting at `h`.
pub(crate) fn decode_at(data: &[u8], h: usize) -> Outcome {
    let run = data[h..].iter().take(MAX_BLOB + 1).take_while(|&&c| is_b64(c)).count();
    let end = h + run;
    if run > MAX_BLOB {
        return Outcome::Capped;
    }
    let Some(inner) = unpad(&data[h..end]).and_then(|t| LENIENT.decode(t).ok()) else {
        return Outcome::NotHelm;
    };
    let Some(gz) = unpad(inner.trim_ascii()).and_then(|t| LENIENT.decode(t).ok()) else {
        return Outcome::NotHelm;
    };
    let budget = archive::budget(gz.len() as u64);
    let mut json = Vec::new();
    let mut dec = flate2::read::GzDecoder::new(&gz[..]).take(budget + 1);
    if dec.read_to_end(&mut json).is_err() && json.is_empty() {
        return Outcome::NotHelm;
    }
    if json.len() as u64 > budget {
        return Outcome::Capped;
    }
    // No byte of the blob stands for one byte of the JSON: each maps to the blob's byte at
    // the same fraction of its length, so two secrets in one release keep distinct spans.
    let mut map: Vec<usize> = (0..json.len()).map(|i| h + i * run / json.len()).collect();
    map.push(end);
    Outcome::Decoded(Decoded {
        kind: Encoding::Gzip,
        own: 0..json.len(),
        bytes: json,
        map,
        consumed_until: end,
    })
}

/// The text without trailing `=` and cut to a decodable length.
fn unpad(t: &[u8]) -> Option<&[u8]> {
    let t = &t[..t.len() - t.iter().rev().take_while(|&&c| c == b'=').count()];
    let t = if t.len() % 4 == 1 { &t[..t.len() - 1] } else { t };
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testgen::helm_blob;

    #[test]
    fn the_anchor_starts_every_release() {
        assert!(helm_blob("{}").as_bytes().starts_with(ANCHOR));
    }

    #[test]
    fn decodes_a_release_and_maps_it_to_the_blob() {
        let blob = helm_blob(r#"{"name":"web","manifest":"kind: Secret\n"}"#);
        let data = format!("data:\n  release: {blob}\ntype: helm.sh/release.v1\n");
        let h = data.find("SDRz").unwrap();
        let Outcome::Decoded(d) = decode_at(data.as_bytes(), h) else { panic!("not decoded") };
        assert!(String::from_utf8_lossy(&d.bytes).contains("kind: Secret"));
        let (s, e) = d.outer(3, 9);
        assert!(h <= s && s < e && e <= h + blob.len());
        assert_eq!(d.consumed_until, h + blob.len());
    }

    #[test]
    fn garbage_and_oversized_blobs_are_not_decoded() {
        assert!(matches!(decode_at(b"SDRzSUFBnotgzip", 0), Outcome::NotHelm));
        let big = format!("SDRzSUFB{}", "A".repeat(MAX_BLOB));
        assert!(matches!(decode_at(big.as_bytes(), 0), Outcome::Capped));
    }
}
