//! One object at a time from the repository's own packs, for the object-by-object paths
//! (the `odb` engine, `--range`, `--staged`) where libgit2 does the reading: a check before
//! libgit2 sees an object, and a bounded reader for objects libgit2 cannot read.
//!
//! Takes the repository's `objects/pack/*.idx` files; gives, for an id, whether its chain
//! of delta bases is safe to hand to libgit2 (no cycle, no reserved type, no bad header,
//! not too deep: libgit2 loops forever on a cycle and git2 panics on a reserved type),
//! and the object itself decoded within `--max-blob-size` (a truncated pack libgit2 refuses
//! as a whole still gives the objects it holds).

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;

use super::delta;
use super::layout::{Base, header_at, read_full};
use super::resolve::{Lost, MAX_DELTA_DEPTH};
use super::sparse::SparseIndex;
use crate::source::git::kind::ObjectKind;

struct One {
    file: File,
    idx: SparseIndex,
    data_end: u64,
}

/// The packs are opened on first use: a whole-history scan of packs alone never needs
/// them, and each index is as large as the object count.
pub struct PackReader {
    git_dir: std::path::PathBuf,
    packs: std::sync::OnceLock<Vec<One>>,
}

/// One link of a delta chain: the pack, the offset of the object's data, its header.
struct Link {
    pack: usize,
    data: u64,
    size: u64,
    kind: ObjectKind,
}

impl PackReader {
    /// Every pack with a readable index under `git_dir/objects/pack` (others are left to
    /// libgit2, which reports them), read when first needed.
    pub fn open(git_dir: &Path) -> PackReader {
        PackReader { git_dir: git_dir.to_path_buf(), packs: std::sync::OnceLock::new() }
    }

    fn packs(&self) -> &[One] {
        self.packs.get_or_init(|| {
            let mut packs = Vec::new();
            let dir = self.git_dir.join("objects/pack");
            let mut names: Vec<_> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            names.sort();
            for idx_path in names {
                // Every 64th id in memory, the rest read from the file when looked up.
                let Ok(idx) = File::open(&idx_path).map_err(anyhow::Error::from).and_then(SparseIndex::open)
                else {
                    continue;
                };
                let Ok(file) = File::open(idx_path.with_extension("pack")) else { continue };
                let data_end = file.metadata().map_or(0, |m| m.len().saturating_sub(20));
                packs.push(One { file, idx, data_end });
            }
            packs
        })
    }

    fn locate(&self, oid: &Oid) -> Option<(usize, u64)> {
        self.packs()
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.idx.find(oid).and_then(|at| Some((i, p.idx.offset(at)?))))
    }

    /// The chain from `oid` down to its full base (`None`: not in these packs, or its base
    /// is outside them, e.g. loose: libgit2 reads it safely). `Err`: unsafe to read.
    fn chain(&self, oid: &Oid) -> Result<Option<Vec<Link>>, String> {
        let Some((mut pack, mut off)) = self.locate(oid) else { return Ok(None) };
        let mut chain: Vec<Link> = Vec::new();
        loop {
            if chain.len() > MAX_DELTA_DEPTH {
                return Err(format!("its delta chain is deeper than {MAX_DELTA_DEPTH}"));
            }
            let p = &self.packs()[pack];
            let h = header_at(&p.file, off).map_err(|e| format!("bad object header: {e:#}"))?;
            let link = Link { pack, data: off + h.len as u64, size: h.size, kind: h.kind };
            if chain.iter().any(|l| l.pack == pack && l.data == link.data) {
                return Err("its chain of delta bases is a cycle".into());
            }
            chain.push(link);
            match h.base {
                Base::None => return Ok(Some(chain)),
                Base::Offset(b) => off = b,
                Base::Id(base) => match self.locate(&base) {
                    Some((q, b)) => (pack, off) = (q, b),
                    None => return Ok(None),
                },
            }
        }
    }

    /// Why libgit2 must not be handed `oid`, if it must not.
    pub fn check(&self, oid: &Oid) -> Option<String> {
        match self.chain(oid) {
            Ok(Some(chain)) if !chain.last().is_some_and(|l| l.kind.is_object()) => {
                Some("its object type is reserved or unknown".into())
            }
            Ok(_) => None,
            Err(why) => Some(why),
        }
    }

    /// Decode `oid` from these packs, every object of its chain within `max` bytes.
    pub fn read(&self, oid: &Oid, max: u64) -> Result<Option<(ObjectKind, Vec<u8>)>, Lost> {
        let chain = match self.chain(oid) {
            Ok(Some(chain)) => chain,
            Ok(None) => return Ok(None),
            Err(why) => return Err(Lost::Broken(why)),
        };
        let full = chain.last().expect("a chain has its full object");
        if full.size > max {
            return Err(Lost::TooLarge(full.size));
        }
        let broken = |e: anyhow::Error| Lost::Broken(format!("{e:#}"));
        let mut z = Decompress::new(true);
        let mut data = self.inflate(&mut z, full).map_err(broken)?;
        let (mut d, mut out) = (Vec::new(), Vec::new());
        for link in chain.iter().rev().skip(1) {
            if link.size > max {
                return Err(Lost::TooLarge(link.size));
            }
            d = self.inflate(&mut z, link).map_err(broken)?;
            let size = delta::result_size(&d).map_err(broken)?;
            if size > max {
                return Err(Lost::TooLarge(size));
            }
            delta::apply(&data, &d, &mut out).map_err(broken)?;
            std::mem::swap(&mut data, &mut out);
        }
        drop(d);
        Ok(Some((full.kind, data)))
    }

    fn inflate(&self, z: &mut Decompress, link: &Link) -> Result<Vec<u8>> {
        let p = &self.packs()[link.pack];
        let end = link.data.saturating_add(link.size + link.size / 64 + 1024).min(p.data_end.max(link.data));
        let mut zbuf = vec![0; (end - link.data) as usize];
        let n = read_full(&p.file, &mut zbuf, link.data).context("cannot read the pack")?;
        let mut out = Vec::with_capacity(link.size as usize + 1);
        z.reset(true);
        match z.decompress_vec(&zbuf[..n], &mut out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) if out.len() as u64 == link.size => Ok(out),
            Ok(_) => bail!("object data ends early (pack truncated?): {} of {} bytes", out.len(), link.size),
            Err(e) => bail!("corrupt zlib data: {e}"),
        }
    }
}
