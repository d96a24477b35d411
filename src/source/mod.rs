//! Sources: where content comes from (files on disk, standard input, git objects).
//!
//! Each source reads content, hands it to the detector, and gives each hit with what only
//! it knows (the path and the provenance) as a [`Found`]; the finding stage
//! ([`crate::finding::build`]) makes the findings. It also counts what it scanned and what
//! it skipped, so nothing is skipped silently.

pub(crate) mod fs;
pub mod git;
mod ignored;
pub(crate) mod names;
pub(crate) mod pseudo;
pub(crate) mod stdin;

use std::collections::BTreeMap;

use crate::detect::stream::{Notice, NoticeKind};
#[cfg(doc)]
use crate::finding::Found;
use crate::progress::Progress;

/// Why something was not scanned. Every skip is counted in the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// FIFO, socket or device: never opened, so a scan cannot hang on one.
    NotRegular,
    /// A symbolic link, not followed (`--follow` follows them).
    Symlink,
    /// Could not be opened or read (the warning on stderr says why); in git mode also a
    /// missing or corrupt object.
    Unreadable,
    /// A git blob over `--max-blob-size` (a warning on stderr names it).
    TooLarge,
    /// A submodule (gitlink): its commits live in another repository.
    Submodule,
    /// Part of an archive past a zip-bomb limit (a warning says which).
    ArchiveLimit,
    /// Corrupt compressed data inside a file (a warning says where).
    CorruptArchive,
    /// A file or directory `dir` left out by `.gitignore`, `.ignore` or git's excludes.
    Ignored,
    /// Past a cap on hostile repository shapes: tree expansion paths or depth (git
    /// bombs), delta chain depth or bytes (a warning names the commit or object).
    Capped,
    /// A zip or gzip nested inside as many containers as the depth cap allows: not
    /// opened, scanned as raw bytes (a warning names its entry path).
    NestedTooDeep,
}

impl SkipReason {
    /// What the summary prints for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NotRegular => "not a regular file",
            SkipReason::Symlink => "symlink not followed",
            SkipReason::Unreadable => "unreadable",
            SkipReason::TooLarge => "over the size limit (--max-blob-size, --max-target-megabytes)",
            SkipReason::Submodule => "submodule not followed",
            SkipReason::ArchiveLimit => "archive part over a limit",
            SkipReason::CorruptArchive => "corrupt archive part",
            SkipReason::Ignored => "ignored by .gitignore/.ignore (--no-ignore scans them)",
            SkipReason::Capped => "past a repository cap",
            SkipReason::NestedTooDeep => "container nested past the depth cap (not opened)",
        }
    }
    /// The reason's key in the JSON summary's `skipped` (`snake_case`, stable).
    pub fn key(self) -> &'static str {
        match self {
            SkipReason::NotRegular => "not_regular",
            SkipReason::Symlink => "symlink",
            SkipReason::Unreadable => "unreadable",
            SkipReason::TooLarge => "too_large",
            SkipReason::Submodule => "submodule",
            SkipReason::ArchiveLimit => "archive_limit",
            SkipReason::CorruptArchive => "corrupt_archive",
            SkipReason::Ignored => "ignored",
            SkipReason::Capped => "capped",
            SkipReason::NestedTooDeep => "nested_too_deep",
        }
    }
}

/// What a source scanned. In git mode `files` counts unique blobs and `commits` is set.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Files read (in git mode, unique blobs).
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// `git` only: commits walked.
    pub commits: Option<u64>,
    /// What was not scanned, counted by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
}

impl Stats {
    /// Count one skip for `why`.
    pub fn skip(&mut self, why: SkipReason) {
        *self.skipped.entry(why).or_default() += 1;
    }
    /// Add another source's (or worker's) counts to these.
    pub fn merge(&mut self, other: &Stats) {
        self.files += other.files;
        self.bytes += other.bytes;
        if let Some(c) = other.commits {
            self.commits = Some(self.commits.unwrap_or(0) + c);
        }
        for (k, v) in &other.skipped {
            *self.skipped.entry(*k).or_default() += v;
        }
    }
}

/// Warn about and count what a scan of `what` could not fully do (archive limits,
/// corrupt packed data), then forget it. `what` names the scanned item; it is built only
/// when there is something to report, not for every file or blob.
pub fn report_notices(
    notices: &mut Vec<Notice>,
    what: impl FnOnce() -> String,
    progress: &Progress,
    stats: &mut Stats,
) {
    if notices.is_empty() {
        return;
    }
    let what = what();
    for n in notices.drain(..) {
        let message = match n.kind {
            NoticeKind::TooDeep(kind) => too_deep_message(kind, &n.message),
            _ => n.message,
        };
        progress.warn(&format!("{what}: {message}"));
        stats.skip(match n.kind {
            NoticeKind::ArchiveLimit => SkipReason::ArchiveLimit,
            NoticeKind::Corrupt => SkipReason::CorruptArchive,
            NoticeKind::TooDeep(_) => SkipReason::NestedTooDeep,
        });
    }
}

/// `entry 'a.zip!b.zip!c.zip' is a zip inside 3 containers (the depth cap): not opened, …`.
fn too_deep_message(kind: crate::detect::archive::Kind, entry: &str) -> String {
    let kind = match kind {
        crate::detect::archive::Kind::Zip => "zip",
        crate::detect::archive::Kind::Gzip => "gzip",
    };
    let depth = crate::detect::archive::CAPS.depth;
    let shown = if entry.is_empty() { format!("a {kind}") } else { format!("entry '{entry}' is a {kind}") };
    format!("{shown} inside {depth} containers (the depth cap): not opened, scanned as raw bytes")
}
