//! A small pack writer for hostile repositories: objects and deltas written exactly as
//! asked (reserved types, delta cycles, lying sizes, sparse tails), with a version 2
//! `.idx` whose entries can lie too. git would refuse to write most of these.
//!
//! Takes entries (an id and what to store under it); gives `objects/pack/pack-*.{pack,idx}`.

use std::io::Write;
use std::path::Path;

use git2::{ObjectType, Oid};

pub const BLOB: u8 = 3;

pub enum Body {
    /// A whole object of `kind` (any 3-bit value, reserved ones included).
    Full(u8, Vec<u8>),
    /// A REF_DELTA on the object with this id.
    RefDelta(Oid, Vec<u8>),
    /// An OFS_DELTA on the entry at this index (written before this one).
    OfsDelta(usize, Vec<u8>),
    /// An OFS_DELTA whose base is this many bytes back, as given (0: itself; past the
    /// start of the pack: nowhere).
    OfsRaw(u64, Vec<u8>),
}

pub struct Entry {
    pub id: Oid,
    pub body: Body,
}

impl Entry {
    pub fn blob(data: &[u8]) -> Entry {
        Entry { id: Oid::hash_object(ObjectType::Blob, data).unwrap(), body: Body::Full(BLOB, data.to_vec()) }
    }
}

/// The pack and index bytes, and each entry's offset; `lie` replaces index offsets.
pub struct Written {
    pub pack: Vec<u8>,
    pub offsets: Vec<u64>,
}

/// A delta turning a base of `base_len` bytes into `base[..keep] + insert`.
pub fn delta(base_len: usize, keep: usize, insert: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    varint(&mut d, base_len as u64);
    varint(&mut d, (keep + insert.len()) as u64);
    let mut off = 0;
    while off < keep {
        let len = (keep - off).min(0xff_ffff);
        d.push(0x80 | 0x0f | 0x70);
        d.extend_from_slice(&(off as u32).to_le_bytes());
        d.extend_from_slice(&(len as u32).to_le_bytes()[..3]);
        off += len;
    }
    for chunk in insert.chunks(127) {
        d.push(chunk.len() as u8);
        d.extend_from_slice(chunk);
    }
    d
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn header(out: &mut Vec<u8>, kind: u8, size: u64) {
    let mut c = (kind << 4) | (size & 15) as u8;
    let mut rest = size >> 4;
    while rest != 0 {
        out.push(c | 0x80);
        c = (rest & 0x7f) as u8;
        rest >>= 7;
    }
    out.push(c);
}

/// Pack bytes for `entries` (without the trailing checksum) and each entry's offset.
pub fn pack(entries: &[Entry]) -> Written {
    let mut p = b"PACK".to_vec();
    p.extend_from_slice(&2u32.to_be_bytes());
    p.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut offsets = Vec::new();
    for e in entries {
        let at = p.len() as u64;
        offsets.push(at);
        match &e.body {
            Body::Full(kind, data) => {
                header(&mut p, *kind, data.len() as u64);
                p.extend(zlib(data));
            }
            Body::RefDelta(base, d) => {
                header(&mut p, 7, d.len() as u64);
                p.extend_from_slice(base.as_bytes());
                p.extend(zlib(d));
            }
            Body::OfsDelta(_, d) | Body::OfsRaw(_, d) => {
                header(&mut p, 6, d.len() as u64);
                let mut rel = match &e.body {
                    Body::OfsDelta(base, _) => at - offsets[*base],
                    Body::OfsRaw(rel, _) => *rel,
                    _ => unreachable!(),
                };
                let mut enc = vec![(rel & 0x7f) as u8];
                rel >>= 7;
                while rel != 0 {
                    rel -= 1;
                    enc.push(0x80 | (rel & 0x7f) as u8);
                    rel >>= 7;
                }
                enc.reverse();
                p.extend(enc);
                p.extend(zlib(d));
            }
        }
    }
    Written { pack: p, offsets }
}

/// A version 2 index of `(id, offset)` pairs; `checksum` is the pack's trailer.
pub fn index(mut entries: Vec<(Oid, u64)>, checksum: &[u8; 20]) -> Vec<u8> {
    entries.sort();
    let mut b = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    for fan in 0..256usize {
        let n = entries.iter().filter(|(id, _)| id.as_bytes()[0] as usize <= fan).count() as u32;
        b.extend_from_slice(&n.to_be_bytes());
    }
    entries.iter().for_each(|(id, _)| b.extend_from_slice(id.as_bytes()));
    entries.iter().for_each(|_| b.extend_from_slice(&[0; 4]));
    entries.iter().for_each(|(_, off)| b.extend_from_slice(&(*off as u32).to_be_bytes()));
    b.extend_from_slice(checksum);
    b.extend_from_slice(&[0; 20]);
    b
}

/// Write `entries` as `objects/pack/pack-NAME.{pack,idx}` under `git_dir`; `tail` zero
/// bytes (a sparse hole) follow the last object; `idx_offsets` overrides index offsets.
pub fn write(git_dir: &Path, name: &str, entries: &[Entry], tail: u64, lie: &[(usize, u64)]) -> Written {
    let mut w = pack(entries);
    let dir = git_dir.join("objects/pack");
    std::fs::create_dir_all(&dir).unwrap();
    let checksum = [0x5a; 20];
    let path = dir.join(format!("pack-{name}.pack"));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&w.pack).unwrap();
    if tail > 0 {
        f.set_len(w.pack.len() as u64 + tail).unwrap(); // a hole: no disk, no memory
        use std::os::unix::fs::FileExt;
        f.write_at(&checksum, w.pack.len() as u64 + tail).unwrap();
    } else {
        f.write_all(&checksum).unwrap();
    }
    let mut offsets = w.offsets.clone();
    for &(i, off) in lie {
        offsets[i] = off;
    }
    let ids = entries.iter().map(|e| e.id).zip(offsets).collect();
    std::fs::write(dir.join(format!("pack-{name}.idx")), index(ids, &checksum)).unwrap();
    w.pack.extend_from_slice(&checksum);
    w
}

/// A raw tree object's bytes: `(mode, name, id)` entries, sorted as given.
pub fn tree_bytes(entries: &[(&str, &str, Oid)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (mode, name, id) in entries {
        b.extend_from_slice(format!("{mode} {name}\0").as_bytes());
        b.extend_from_slice(id.as_bytes());
    }
    b
}
