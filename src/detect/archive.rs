//! Packed content: gzip members and zip (jar, apk, …) entries, opened under caps.
//!
//! Takes bytes that start with a container's magic; gives the entries' names and
//! decompressed bytes, never more than [`Caps`] allow (depth, one entry's size, an
//! archive's total, the expansion ratio), so a zip bomb costs a bounded amount of work and
//! memory and is reported, not followed. The zip reader follows the documented format
//! (APPNOTE.TXT): the central directory gives each entry's sizes and local header; entries
//! are stored (method 0) or deflated (method 8). ZIP64 and encrypted entries are reported.
//! The caps here are the only place zip-bomb limits are set.

use anyhow::{Result, bail};
use flate2::{Decompress, FlushDecompress, Status};

/// Limits on opening containers.
pub(crate) struct Caps {
    pub depth: usize,
    /// Most bytes taken out of one container (all its entries).
    pub total: u64,
    /// Most bytes out per compressed byte (an archive under 1 MiB may always expand to 1 MiB).
    pub ratio: u64,
}

pub(crate) const CAPS: Caps = Caps { depth: 3, total: 256 << 20, ratio: 1000 };

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gzip,
    Zip,
}

pub(crate) fn sniff(head: &[u8]) -> Option<Kind> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if head.starts_with(b"PK\x03\x04") {
        Some(Kind::Zip)
    } else {
        None
    }
}

/// The most a container of `compressed` bytes may expand to.
pub(crate) fn budget(compressed: u64) -> u64 {
    CAPS.total.min(compressed.saturating_mul(CAPS.ratio).max(1 << 20))
}

/// One zip entry, from the central directory.
#[derive(Debug)]
pub(crate) struct Entry {
    pub name: Vec<u8>,
    /// Declared uncompressed size.
    pub size: u64,
    method: u16,
    flags: u16,
    compressed: u64,
    local: u64,
}

fn le16(b: &[u8], at: usize) -> Result<u16> {
    Ok(u16::from_le_bytes(b.get(at..at + 2).ok_or_else(short)?.try_into().expect("2 bytes")))
}

fn le32(b: &[u8], at: usize) -> Result<u32> {
    Ok(u32::from_le_bytes(b.get(at..at + 4).ok_or_else(short)?.try_into().expect("4 bytes")))
}

fn short() -> anyhow::Error {
    anyhow::anyhow!("truncated zip structure")
}

/// The entries of a zip held in `data`.
pub(crate) fn zip_entries(data: &[u8]) -> Result<Vec<Entry>> {
    let tail_from = data.len().saturating_sub(65_557);
    let Some(eocd) =
        (tail_from..data.len().saturating_sub(21)).rev().find(|&i| data[i..].starts_with(b"PK\x05\x06"))
    else {
        bail!("no zip central directory (truncated archive?)");
    };
    let (count, dir_at) = (le16(data, eocd + 10)? as usize, le32(data, eocd + 16)? as usize);
    if dir_at == 0xffff_ffff || count == 0xffff {
        bail!("ZIP64 archives are not supported");
    }
    let mut entries = Vec::with_capacity(count.min(65_536));
    let mut at = dir_at;
    for _ in 0..count {
        if le32(data, at)? != 0x0201_4b50 {
            bail!("corrupt zip central directory");
        }
        let (n, x, c) =
            (le16(data, at + 28)? as usize, le16(data, at + 30)? as usize, le16(data, at + 32)? as usize);
        entries.push(Entry {
            flags: le16(data, at + 8)?,
            method: le16(data, at + 10)?,
            compressed: le32(data, at + 20)? as u64,
            size: le32(data, at + 24)? as u64,
            local: le32(data, at + 42)? as u64,
            name: data.get(at + 46..at + 46 + n).ok_or_else(short)?.to_vec(),
        });
        at += 46 + n + x + c;
    }
    Ok(entries)
}

/// An entry's bytes (callers check `e.size` against their budget first; the data must
/// then match it, so a lying size cannot make more).
pub(crate) fn zip_entry(data: &[u8], e: &Entry) -> Result<Vec<u8>> {
    if e.flags & 1 != 0 {
        bail!("encrypted entry");
    }
    let at = e.local as usize;
    if le32(data, at)? != 0x0403_4b50 {
        bail!("corrupt local header");
    }
    let start = at + 30 + le16(data, at + 26)? as usize + le16(data, at + 28)? as usize;
    let raw = data.get(start..start.saturating_add(e.compressed as usize)).ok_or_else(short)?;
    match e.method {
        0 => Ok(raw.to_vec()),
        8 => {
            let mut out = Vec::with_capacity(e.size as usize + 1);
            let mut z = Decompress::new(false);
            match z.decompress_vec(raw, &mut out, FlushDecompress::Finish) {
                Ok(Status::StreamEnd) if out.len() as u64 == e.size => Ok(out),
                Ok(_) => bail!("deflate data does not match its declared size"),
                Err(err) => bail!("corrupt deflate data ({err})"),
            }
        }
        m => bail!("compression method {m} is not supported"),
    }
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
