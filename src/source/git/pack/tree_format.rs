//! Git's tree object format, parsed as libgit2 parses it (so both engines agree on odd
//! entries): `mode SP name NUL id(20)`, repeated.
//!
//! Takes a decoded tree's bytes; gives each entry's mode, name and raw id, or `None` for a
//! malformed tree (the caller counts it as unreadable).

/// The file-type bits of a tree entry's mode, and the two types that are not files.
pub const FMT: u16 = 0o170000;
/// A subtree's mode bits.
pub const DIR: u16 = 0o040000;
/// A submodule's (gitlink's) mode bits: a commit of another repository.
pub const GITLINK: u16 = 0o160000;

/// Git's tree format: `mode SP name NUL id(20)`, repeated; gives (mode, name, raw id).
/// Read as libgit2 (the other engine) reads it, so both agree on odd entries. `None` if
/// malformed.
pub fn parse_tree<'d>(mut data: &'d [u8], each: &mut dyn FnMut(u16, &'d [u8], &'d [u8])) -> Option<()> {
    while !data.is_empty() {
        let sp = memchr::memchr(b' ', data)?;
        let mode = parse_mode(&data[..sp])?;
        let nul = sp + 1 + memchr::memchr(0, &data[sp + 1..])?;
        if nul == sp + 1 || nul - sp - 1 > u16::MAX as usize {
            return None; // no name, or one libgit2 refuses
        }
        let id = data.get(nul + 1..nul + 21)?;
        each(mode, &data[sp + 1..nul], id);
        data = &data[nul + 21..];
    }
    Some(())
}

/// An entry's mode as libgit2 reads it: an optional sign, octal digits, at most 0xffff
/// (`040000` is a tree, `1040000` and `9` are malformed).
fn parse_mode(b: &[u8]) -> Option<u16> {
    let (negative, digits) = match b.first() {
        Some(b'+') => (false, &b[1..]),
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v = 0u32;
    for &c in digits {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v * 8 + (c - b'0') as u32;
        if v > u16::MAX as u32 {
            return None;
        }
    }
    (!negative || v == 0).then_some(v as u16)
}
