//! Over-size objects in the pack engine: `--max-blob-size` warnings that name a path and a
//! commit where one exists, as the odb engine's do.
//!
//! Takes what the blob scan refused as over the limit (a blob, or a delta base with the
//! objects built on it) and, once blobs are placed, a way to name a blob's first path and
//! commit; gives one warning per refused object (sorted by id), naming its own path, or
//! one of an object built on it. Counting is done when the object is refused.

use git2::{ObjectType, Oid, Repository};

use super::layout::Layout;
use super::resolve::Pack;
use crate::progress::Progress;
use crate::source::{SkipReason, Stats};
use crate::vocab::human_bytes;

/// Objects built on one refused base that are kept to name a path; more are counted only.
const MAX_BUILT_ON: usize = 4096;

pub struct Refused {
    pub oid: Oid,
    pub size: u64,
    /// Objects not scanned because of it, itself included.
    pub lost: usize,
    /// Ids of (some of) the objects built on it, in delta-tree order.
    pub built_on: Vec<Oid>,
}

impl Refused {
    /// Every id a path may be found for.
    pub fn ids(&self) -> impl Iterator<Item = Oid> + '_ {
        std::iter::once(self.oid).chain(self.built_on.iter().copied())
    }
}

/// Fill in `built_on` for the bases of `pack` among `refused`.
pub(crate) fn add_built_on(pack: &Pack, refused: &mut [Refused]) {
    if refused.iter().all(|r| r.lost <= 1) {
        return;
    }
    let l: &Layout = pack.layout;
    let mut by_position = vec![u32::MAX; l.len()];
    for i in 0..l.len() as u32 {
        by_position[l.pos(i)] = i;
    }
    for r in refused.iter_mut().filter(|r| r.lost > 1) {
        let Some(&at) = pack.idx.find(&r.oid).and_then(|p| by_position.get(p)) else { continue };
        let mut stack: Vec<u32> = l.children(at).to_vec();
        while let Some(i) = stack.pop() {
            if r.built_on.len() >= MAX_BUILT_ON {
                break;
            }
            r.built_on.push(pack.idx.oid(l.pos(i)));
            stack.extend_from_slice(l.children(i));
        }
    }
}

/// The loose objects that are blobs over `max` (refused and counted in `stats`), and the
/// rest, to scan.
pub(crate) fn split_loose(
    repo: &Repository,
    loose: Vec<Oid>,
    max: u64,
    stats: &mut Stats,
) -> (Vec<Refused>, Vec<Oid>) {
    let Ok(odb) = repo.odb() else { return (Vec::new(), loose) };
    let mut refused = Vec::new();
    let mut rest = Vec::with_capacity(loose.len());
    for oid in loose {
        match crate::guard::isolate(|| odb.read_header(oid)) {
            Some(Ok((size, ObjectType::Blob))) if size as u64 > max => {
                stats.skip(SkipReason::TooLarge);
                refused.push(Refused { oid, size: size as u64, lost: 1, built_on: Vec::new() });
            }
            _ => rest.push(oid),
        }
    }
    (refused, rest)
}

/// One warning per refused object; `describe` names a blob's first path and commit
/// (escaped), if it has one.
pub(crate) fn warn(
    progress: &Progress,
    refused: &mut [Refused],
    max: u64,
    describe: &dyn Fn(Oid) -> Option<String>,
) {
    refused.sort_by_key(|r| r.oid);
    for r in refused.iter() {
        let own = describe(r.oid).map_or(String::new(), |d| format!(" ({d})"));
        let (size, max) = (human_bytes(r.size), human_bytes(max));
        let msg = if r.lost <= 1 {
            format!("blob {}{own} is {size}, over --max-blob-size {max}: not scanned", r.oid)
        } else {
            let among = r.built_on.iter().find_map(|&o| describe(o));
            let among = among.map_or(String::new(), |d| format!(", among them {d}"));
            let n = r.lost - 1;
            let objects = if n == 1 { "object" } else { "objects" };
            format!(
                "pack object {}{own} (and {n} {objects} built on it{among}) is {size}, over \
                 --max-blob-size {max}: not scanned",
                r.oid
            )
        };
        progress.warn(&msg);
    }
}
