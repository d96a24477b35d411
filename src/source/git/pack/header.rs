//! Pack object headers: the type bits, the size varint and the delta base (offset or id),
//! read from a pack file with positional reads.
//!
//! Takes a pack file (or its bytes) and an offset; gives the [`Header`] there, or an error
//! naming what is wrong (a reserved type, a size or offset that overflows, a pack that ends
//! early); never the bytes themselves.

use std::fs::File;

use anyhow::{Context, Result, bail};
use git2::Oid;

use crate::source::git::kind::ObjectKind;

/// Where a pack object's delta base is.
pub enum Base {
    /// Not a delta.
    None,
    /// An offset delta: the base's pack offset.
    Offset(u64),
    /// A ref delta: the base's id (in this pack or elsewhere).
    Id(Oid),
}

/// A pack object's header.
pub struct Header {
    /// The type bits' kind (a delta's own kind, not its base's).
    pub kind: ObjectKind,
    /// Declared size in bytes: of the object, or for a delta, of its delta stream.
    pub size: u64,
    /// The delta base, if any.
    pub base: Base,
    /// Header length in bytes (the zlib data follows).
    pub len: usize,
}

/// The header of the object at `off` (one small read).
pub fn header_at(file: &File, off: u64) -> Result<Header> {
    let mut w = Window { file, buf: vec![0; 64], from: off };
    let n = read_full(file, &mut w.buf, off)?;
    w.buf.truncate(n);
    w.header(off)
}

/// Sequential reads of a pack through a 1 MiB window.
pub(super) struct Window<'a> {
    file: &'a File,
    buf: Vec<u8>,
    from: u64,
}

impl<'a> Window<'a> {
    pub(super) fn new(file: &'a File) -> Self {
        Window { file, buf: Vec::new(), from: 0 }
    }

    /// At least 32 bytes (or to the end of the file) starting at `off`.
    fn at(&mut self, off: u64) -> Result<&[u8]> {
        let have = off >= self.from && off + 32 <= self.from + self.buf.len() as u64;
        if !have {
            self.buf.resize(1 << 20, 0);
            let n = read_full(self.file, &mut self.buf, off)?;
            self.buf.truncate(n);
            self.from = off;
        }
        Ok(&self.buf[(off - self.from) as usize..])
    }

    pub(super) fn header(&mut self, off: u64) -> Result<Header> {
        parse_header(self.at(off)?, off)
    }
}

/// The object header in `b`, the bytes of a pack from offset `off` on.
pub fn parse_header(b: &[u8], off: u64) -> Result<Header> {
    let mut i = 0;
    let mut c = *b.first().context("pack ends early")?;
    let bits = (c >> 4) & 7;
    let mut size = (c & 15) as u64;
    let mut shift = 4;
    while c & 0x80 != 0 {
        i += 1;
        c = *b.get(i).context("pack ends early")?;
        size |= ((c & 0x7f) as u64).checked_shl(shift).context("object size overflows")?;
        shift += 7;
    }
    i += 1;
    let Some(kind) = ObjectKind::from_pack_bits(bits) else {
        bail!("object type {bits} is reserved or unknown")
    };
    let base = match kind {
        ObjectKind::OfsDelta => {
            let mut c = *b.get(i).context("pack ends early")?;
            let mut rel = (c & 0x7f) as u64;
            while c & 0x80 != 0 {
                i += 1;
                c = *b.get(i).context("pack ends early")?;
                if rel >= 1 << 56 {
                    bail!("delta offset overflows");
                }
                rel = ((rel + 1) << 7) | (c & 0x7f) as u64;
            }
            i += 1;
            if rel == 0 {
                bail!("delta is its own base");
            }
            Base::Offset(off.checked_sub(rel).context("delta base before the pack start")?)
        }
        ObjectKind::RefDelta => {
            let id = b.get(i..i + 20).context("pack ends early")?;
            i += 20;
            Base::Id(Oid::from_bytes(id).expect("20 bytes"))
        }
        _ => Base::None,
    };
    Ok(Header { kind, size, base, len: i })
}

/// `pread` until `buf` is full or the file ends; returns the bytes read.
pub fn read_full(file: &File, buf: &mut [u8], mut off: u64) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match read_at(file, &mut buf[n..], off) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                off += k as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("cannot read the pack"),
        }
    }
    Ok(n)
}

/// Positional read: `pread` on Unix, `ReadFile` at an offset on Windows.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, off)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, off)
}
