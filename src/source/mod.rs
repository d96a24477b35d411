//! Sources: where content comes from (files on disk, standard input, git objects).
//!
//! Each source reads content, hands it to the detector, and turns the [`Hit`]s into
//! [`Finding`]s by adding what only it knows: the path and the provenance. It also
//! counts what it scanned and what it skipped, so nothing is skipped silently.

pub mod fs;
pub mod git;
mod ignored;
pub mod names;
pub mod pseudo;
pub mod stdin;

use std::collections::BTreeMap;

use crate::detect::Detector;
use crate::detect::stream::{Hit, Notice, NoticeKind};
use crate::finding::{Finding, Level, Provenance, RelPath, redact};
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
}

impl SkipReason {
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
        }
    }
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
        }
    }
}

/// What a source scanned. In git mode `files` counts unique blobs and `commits` is set.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub commits: Option<u64>,
    pub skipped: BTreeMap<SkipReason, u64>,
}

impl Stats {
    pub fn skip(&mut self, why: SkipReason) {
        *self.skipped.entry(why).or_default() += 1;
    }
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

/// A hit at `path` becomes a finding; `now` decides whether a token's `exp` has passed.
pub fn to_finding(det: &Detector, hit: Hit, path: RelPath, provenance: Provenance, now: i64) -> Finding {
    let rule = &det.rules[hit.rule];
    let expired = hit.exp.map(|exp| exp <= now);
    let level = if expired == Some(true) { Level::Warning } else { rule.info.level };
    let secret = hit.secret;
    Finding {
        rule: rule.info.clone(),
        level,
        redacted: redact(secret.expose(), rule.redact_prefix),
        sha256: secret.sha256(),
        location: crate::finding::Location {
            path,
            line: hit.line,
            column: hit.column,
            end_line: hit.end_line,
            end_column: hit.end_column,
        },
        provenance,
        secret,
        expired,
        expires_at: hit.exp,
        allowed: hit.allowed,
        encoding: hit.encoding,
        entry: hit.entry,
        in_name: hit.in_name,
        exposure: None,
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
        progress.warn(&format!("{what}: {}", n.message));
        stats.skip(match n.kind {
            NoticeKind::ArchiveLimit => SkipReason::ArchiveLimit,
            NoticeKind::Corrupt => SkipReason::CorruptArchive,
        });
    }
}
