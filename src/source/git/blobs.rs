//! Scanning git blobs in parallel: each unique blob read and scanned once.
//!
//! Takes how the repository was opened and a list of unique blob ids; gives the hits of
//! each blob that has any, and counts. Each worker thread opens its own repository
//! handle (git2 handles are not shared across threads) and reuses one scratch buffer;
//! blob contents are dropped as soon as they are scanned, so memory holds one blob per
//! thread. Blobs over the size limit, and missing or corrupt objects, are counted
//! warnings; the scan goes on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use git2::{ObjectType, Oid};

use super::kind::ObjectKind;
use super::pack::resolve::Lost;
use super::pack::single::PackReader;
use crate::detect::Detector;
use crate::detect::stream::{Hit, StreamScratch, scan_bytes};
use crate::guard;
use crate::progress::Progress;
use crate::source::{SkipReason, Stats};
use crate::vocab::human_bytes;

pub(super) struct Scanned {
    pub hits: HashMap<Oid, Vec<Hit>>,
    pub stats: Stats,
}

pub struct BlobJob<'a> {
    pub repo: &'a super::open::RepoSpec,
    /// More object directories to read from (a pre-receive hook's quarantine).
    pub object_dirs: &'a [PathBuf],
    pub det: &'a Detector,
    pub max_size: u64,
    pub threads: usize,
    pub progress: &'a Progress,
    /// Names a blob in warnings (a path where it appears), never its content.
    pub describe: &'a (dyn Fn(Oid) -> String + Sync),
    /// Checked before libgit2 reads a blob; reads what libgit2 cannot (a truncated pack).
    pub packs: &'a PackReader,
}

pub(super) fn scan(job: &BlobJob, oids: &[Oid]) -> Result<Scanned> {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Scanned { hits: HashMap::new(), stats: Stats::default() });
    let threads = job.threads.clamp(1, oids.len().max(1));
    std::thread::scope(|s| -> Result<()> {
        let workers: Vec<_> = (0..threads).map(|_| s.spawn(|| worker(job, oids, &next, &out))).collect();
        for w in workers {
            w.join().expect("blob worker panicked")?;
        }
        Ok(())
    })?;
    Ok(out.into_inner().expect("no worker panicked"))
}

fn worker(job: &BlobJob, oids: &[Oid], next: &AtomicUsize, out: &Mutex<Scanned>) -> Result<()> {
    let repo = job.repo.reopen()?;
    let odb = repo.odb().context("cannot open the object database")?;
    super::prereceive::add_object_dirs(&odb, job.object_dirs)?;
    let (mut scratch, mut hits) = (StreamScratch::default(), Vec::new());
    let (mut found, mut stats) = (HashMap::new(), Stats::default());
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&oid) = oids.get(i) else { break };
        let Some(blob) = load(job, &odb, oid, &mut stats) else { continue };
        let data: &[u8] = match &blob {
            Blob::Odb(obj) => obj.data(),
            Blob::Packed(v) => v,
        };
        hits.clear();
        scan_bytes(job.det, data, &mut scratch, &mut hits);
        let what = || format!("blob {oid}{}", place(job, oid));
        crate::source::report_notices(&mut scratch.notices, what, job.progress, &mut stats);
        stats.files += 1;
        stats.bytes += data.len() as u64;
        job.progress.item_done(data.len() as u64, "blobs");
        if !hits.is_empty() {
            found.insert(oid, std::mem::take(&mut hits));
        }
    }
    let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
    out.hits.extend(found);
    out.stats.merge(&stats);
    Ok(())
}

enum Blob<'o> {
    Odb(git2::OdbObject<'o>),
    Packed(Vec<u8>),
}

/// Blob `oid`, or `None` after a counted warning (over the size limit, unreadable, or not
/// a blob). libgit2 never sees an object the pack check refuses, and a panic inside it is
/// contained; what libgit2 cannot read is read from the packs directly.
fn load<'o>(job: &BlobJob, odb: &'o git2::Odb, oid: Oid, stats: &mut Stats) -> Option<Blob<'o>> {
    if let Some(why) = job.packs.check(&oid) {
        unreadable(job, stats, oid, &why);
        return None;
    }
    let header = match guard::isolate(|| odb.read_header(oid)) {
        Some(Ok((size, kind))) => Ok((size as u64, kind)),
        Some(Err(e)) => Err(e.message().to_string()),
        None => Err("libgit2 cannot parse it".to_string()),
    };
    let read = match header {
        Ok((size, ObjectType::Blob)) if size > job.max_size => return too_large(job, stats, oid, size),
        Ok((_, ObjectType::Blob)) => guard::isolate(|| odb.read(oid)).and_then(|r| r.ok()),
        Ok(_) => return None, // a loose commit, tree or tag: not content
        Err(_) => None,
    };
    if let Some(obj) = read {
        return Some(Blob::Odb(obj));
    }
    match job.packs.read(&oid, job.max_size) {
        Ok(Some((ObjectKind::Blob, data))) => Some(Blob::Packed(data)),
        Ok(Some(_)) => None,
        Ok(None) => {
            let why = header.err().unwrap_or_else(|| "libgit2 cannot read it".into());
            unreadable(job, stats, oid, &why);
            None
        }
        Err(Lost::TooLarge(size)) => too_large(job, stats, oid, size),
        Err(e) => {
            unreadable(job, stats, oid, &e.to_string());
            None
        }
    }
}

fn too_large<T>(job: &BlobJob, stats: &mut Stats, oid: Oid, size: u64) -> Option<T> {
    let msg = format!(
        "blob {oid}{} is {}, over --max-blob-size {}: not scanned",
        place(job, oid),
        human_bytes(size),
        human_bytes(job.max_size)
    );
    job.progress.warn(&msg); // the path is escaped already, the rest is ours
    stats.skip(SkipReason::TooLarge);
    None
}

/// ` (path)` after a blob id in a warning, where a path is known.
fn place(job: &BlobJob, oid: Oid) -> String {
    let path = (job.describe)(oid);
    if path.is_empty() { path } else { format!(" ({path})") }
}

fn unreadable(job: &BlobJob, stats: &mut Stats, oid: Oid, why: &str) {
    // The path is escaped already (escaped once); the reason may come from libgit2.
    let why = crate::finding::escape_bytes(why.as_bytes());
    job.progress.warn(&format!("cannot read blob {oid}{}: {why}; not scanned", place(job, oid)));
    stats.skip(SkipReason::Unreadable);
}
