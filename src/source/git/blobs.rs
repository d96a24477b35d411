//! Scanning git blobs in parallel: each unique blob read and scanned once.
//!
//! Takes the repository's git directory and a list of unique blob ids; gives the hits of
//! each blob that has any, and counts. Each worker thread opens its own repository
//! handle (git2 handles are not shared across threads) and reuses one scratch buffer;
//! blob contents are dropped as soon as they are scanned, so memory holds one blob per
//! thread. Blobs over the size limit, and missing or corrupt objects, are counted
//! warnings; the scan goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

use crate::detect::Detector;
use crate::detect::stream::{Hit, StreamScratch, scan_bytes};
use crate::progress::Progress;
use crate::report::text::human_bytes;
use crate::source::{SkipReason, Stats};

pub struct Scanned {
    pub hits: HashMap<Oid, Vec<Hit>>,
    pub stats: Stats,
}

pub struct BlobJob<'a> {
    pub git_dir: &'a Path,
    /// More object directories to read from (a pre-receive hook's quarantine).
    pub object_dirs: &'a [PathBuf],
    pub det: &'a Detector,
    pub max_size: u64,
    pub threads: usize,
    pub progress: &'a Progress,
    /// Names a blob in warnings (a path where it appears), never its content.
    pub describe: &'a (dyn Fn(Oid) -> String + Sync),
}

pub fn scan(job: &BlobJob, oids: &[Oid]) -> Result<Scanned> {
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
    let repo = Repository::open(job.git_dir)
        .with_context(|| format!("cannot open repository '{}'", job.git_dir.display()))?;
    let odb = repo.odb().context("cannot open the object database")?;
    super::prereceive::add_object_dirs(&odb, job.object_dirs)?;
    let (mut scratch, mut hits) = (StreamScratch::default(), Vec::new());
    let (mut found, mut stats) = (HashMap::new(), Stats::default());
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&oid) = oids.get(i) else { break };
        match odb.read_header(oid) {
            Ok((size, ObjectType::Blob)) if size as u64 > job.max_size => {
                let msg = format!(
                    "blob {oid}{} is {}, over --max-blob-size {}: not scanned",
                    place(job, oid),
                    human_bytes(size as u64),
                    human_bytes(job.max_size)
                );
                job.progress.warn(&msg);
                stats.skip(SkipReason::TooLarge);
                continue;
            }
            Ok((_, ObjectType::Blob)) => {}
            Ok(_) => continue, // a loose commit, tree or tag: not content
            Err(e) => {
                unreadable(job, &mut stats, oid, &e);
                continue;
            }
        }
        let obj = match odb.read(oid) {
            Ok(obj) => obj,
            Err(e) => {
                unreadable(job, &mut stats, oid, &e);
                continue;
            }
        };
        hits.clear();
        scan_bytes(job.det, obj.data(), &mut scratch, &mut hits);
        let what = || format!("blob {oid}{}", place(job, oid));
        crate::source::report_notices(&mut scratch.notices, what, job.progress, &mut stats);
        stats.files += 1;
        stats.bytes += obj.len() as u64;
        job.progress.item_done(obj.len() as u64, "blobs");
        if !hits.is_empty() {
            found.insert(oid, std::mem::take(&mut hits));
        }
    }
    let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
    out.hits.extend(found);
    out.stats.merge(&stats);
    Ok(())
}

/// ` (path)` after a blob id in a warning, where a path is known.
fn place(job: &BlobJob, oid: Oid) -> String {
    let path = (job.describe)(oid);
    if path.is_empty() { path } else { format!(" ({path})") }
}

fn unreadable(job: &BlobJob, stats: &mut Stats, oid: Oid, e: &git2::Error) {
    let msg = format!("cannot read blob {oid}{}: {}", place(job, oid), e.message());
    job.progress.warn(&crate::finding::escape_bytes(msg.as_bytes()));
    stats.skip(SkipReason::Unreadable);
}
