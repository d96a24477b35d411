//! Git delta application: rebuild an object from its base and a delta stream.
//!
//! Takes the base bytes and an inflated delta (two size varints, then copy and insert
//! instructions, as in git's Documentation/gitformat-pack.txt); gives the result, or an
//! error for a delta that does not fit its base (a corrupt object).

use anyhow::{Result, bail};

/// The result size a delta declares (read from its header), without applying it.
pub fn result_size(delta: &[u8]) -> Result<u64> {
    let mut pos = 0;
    let _base = varint(delta, &mut pos)?;
    varint(delta, &mut pos)
}

/// Apply `delta` to `base`, writing the result into `out` (cleared first).
pub fn apply(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let mut pos = 0;
    let base_size = varint(delta, &mut pos)?;
    let size = varint(delta, &mut pos)? as usize;
    if base_size != base.len() as u64 {
        bail!("delta expects a base of {base_size} bytes, found {}", base.len());
    }
    // Each instruction byte yields at most 64 KiB (a copy with no size bytes): a larger
    // declared size is a lie, and is never allocated.
    if size as u64 > (delta.len() as u64).saturating_mul(0x10000) {
        bail!("delta declares {size} bytes from a {}-byte delta", delta.len());
    }
    out.clear();
    out.reserve(size.min(64 << 20));
    while pos < delta.len() {
        let op = delta[pos];
        pos += 1;
        if op & 0x80 != 0 {
            let (mut off, mut len) = (0usize, 0usize);
            for (bit, shift) in [(0x01, 0), (0x02, 8), (0x04, 16), (0x08, 24)] {
                if op & bit != 0 {
                    off |= (*delta.get(pos).ok_or_else(short)? as usize) << shift;
                    pos += 1;
                }
            }
            for (bit, shift) in [(0x10, 0), (0x20, 8), (0x40, 16)] {
                if op & bit != 0 {
                    len |= (*delta.get(pos).ok_or_else(short)? as usize) << shift;
                    pos += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            let Some(src) = base.get(off..off.saturating_add(len)) else {
                bail!("delta copies past its base")
            };
            out.extend_from_slice(src);
        } else if op != 0 {
            let n = op as usize;
            let Some(lit) = delta.get(pos..pos + n) else { bail!("delta insert runs past its end") };
            out.extend_from_slice(lit);
            pos += n;
        } else {
            bail!("delta has a reserved instruction");
        }
    }
    if out.len() != size {
        bail!("delta result has {} bytes, expected {size}", out.len());
    }
    Ok(())
}

fn short() -> anyhow::Error {
    anyhow::anyhow!("delta instruction runs past its end")
}

fn varint(b: &[u8], pos: &mut usize) -> Result<u64> {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let Some(&c) = b.get(*pos) else { bail!("delta header runs past its end") };
        *pos += 1;
        if shift > 63 {
            bail!("delta size is too large");
        }
        v |= ((c & 0x7f) as u64) << shift;
        shift += 7;
        if c & 0x80 == 0 {
            return Ok(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_inserts() {
        let base = b"hello, world";
        // base 12, result 16: copy(0, 7) "hello, ", insert "big ", copy(7, 5) "world"
        let delta = [12, 16, 0x80 | 0x10, 7, 4, b'b', b'i', b'g', b' ', 0x80 | 0x01 | 0x10, 7, 5];
        let mut out = Vec::new();
        apply(base, &delta, &mut out).unwrap();
        assert_eq!(out, b"hello, big world");
        assert_eq!(result_size(&delta).unwrap(), 16);
    }

    #[test]
    fn corrupt_deltas_are_errors_not_panics() {
        let mut out = Vec::new();
        assert!(apply(b"abc", &[4, 1, 1, b'x'], &mut out).is_err(), "wrong base size");
        assert!(apply(b"abc", &[3, 9, 0x80 | 0x01 | 0x10, 2, 9], &mut out).is_err(), "copy past base");
        assert!(apply(b"abc", &[3, 2, 5, b'x'], &mut out).is_err(), "insert past end");
        assert!(apply(b"abc", &[3, 1, 0], &mut out).is_err(), "reserved op");
        assert!(apply(b"abc", &[3, 5, 1, b'x'], &mut out).is_err(), "size mismatch");
        assert!(apply(b"abc", &[0x80], &mut out).is_err(), "truncated header");
        assert!(apply(b"abc", &[3, 1, 0x80 | 0x01], &mut out).is_err(), "truncated copy");
        assert!(apply(b"abc", &[3, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, b'x'], &mut out).is_err(), "absurd size");
    }
}

#[cfg(test)]
mod fuzz_smoke {
    #[test]
    fn random_deltas_never_panic() {
        let mut rng = crate::detect::testgen::Rng::from_state(0x9e37_79b9_7f4a_7c15);
        let mut next = || rng.next_u64();
        let base: Vec<u8> = (0..300).map(|i| i as u8).collect();
        let mut out = Vec::new();
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let mut delta: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if next() % 2 == 0 && len > 2 {
                delta[0] = 0xac; // base size 300 as a varint: 0xac 0x02
                delta[1] = 0x02;
            }
            let _ = super::apply(&base, &delta, &mut out);
            let _ = super::result_size(&delta);
        }
    }
}
