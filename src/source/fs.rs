//! Files on disk: a parallel walk (the `ignore` crate, as ripgrep), each file streamed
//! through the detector with one reused buffer per thread.
//!
//! Takes the paths to scan and the walk options; gives findings (paths relative to the one
//! directory scanned, or as given when several paths or a file are named) and counts.
//! Hidden files are scanned, `.git/` is left out, `.gitignore`/`.ignore` are honoured
//! unless `--no-ignore`; symlinks are not followed unless `--follow`; FIFOs, sockets and
//! devices are never opened. What ignore rules leave out is counted, and secret-prone
//! ignored files (`.env`, `*.pem`, ...) are scanned anyway (see `ignored.rs`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::ignored::Seen;
use super::{SkipReason, Stats};
use crate::detect::Detector;
use crate::detect::stream::{Hit, StreamScratch, scan_reader};
use crate::finding::{Found, Provenance, RelPath};
use crate::progress::Progress;
use crate::vocab::human_bytes;

pub(crate) struct FsOptions {
    pub paths: Vec<PathBuf>,
    pub no_ignore: bool,
    pub follow: bool,
    /// `--max-target-megabytes`, in bytes: larger files are skipped with a counted warning.
    pub max_size: Option<u64>,
    pub threads: usize,
}

/// Walk and scan; errors only for a path that does not exist (nothing scanned then).
pub(crate) fn scan(det: &Detector, opts: &FsOptions, progress: &Progress) -> Result<(Vec<Found>, Stats)> {
    for p in &opts.paths {
        std::fs::metadata(p).with_context(|| format!("cannot scan '{}'", p.display()))?;
    }
    let Some((first, rest)) = opts.paths.split_first() else { bail!("no path to scan") };
    let root = match opts.paths.as_slice() {
        [one] if one.is_dir() => Some(one.clone()),
        _ => None,
    };
    let mut wb = WalkBuilder::new(first);
    rest.iter().for_each(|p| {
        wb.add(p);
    });
    let filters = !opts.no_ignore;
    let repo_seen = Arc::new(AtomicBool::new(false));
    let repo_inside = Arc::clone(&repo_seen);
    wb.hidden(false)
        .ignore(filters)
        .git_ignore(filters)
        .git_global(filters)
        .git_exclude(filters)
        .parents(filters)
        .follow_links(opts.follow)
        .threads(opts.threads)
        .filter_entry(move |e| {
            let git = e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir());
            if git {
                repo_inside.store(true, Ordering::Relaxed);
            }
            !git
        });
    let shared = Mutex::new((Vec::new(), Stats::default()));
    let seen = Mutex::new(Seen::default());
    let track = filters.then_some(&seen);
    let max_size = opts.max_size;
    let mut builder =
        Builder { det, root: root.as_deref(), progress, shared: &shared, seen: track, max_size };
    wb.build_parallel().visit(&mut builder);
    if filters {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.sources |= repo_seen.load(Ordering::Relaxed) || opts.paths.iter().any(|p| ignore_above(p));
        if seen.sources {
            sweep_ignored(&mut builder, &seen);
        }
    }
    Ok(shared.into_inner().expect("no visitor panicked"))
}

/// Does a directory above `path` hold ignore rules (`.ignore`) or make it part of a git or
/// jj repository (`.git`, `.jj`: `.gitignore`s, excludes and global excludes then apply)?
fn ignore_above(path: &Path) -> bool {
    let abs = [std::path::absolute(path).ok(), std::fs::canonicalize(path).ok()];
    abs.iter()
        .flatten()
        .flat_map(|p| p.ancestors())
        .any(|dir| [".git", ".jj", ".ignore"].iter().any(|n| std::fs::symlink_metadata(dir.join(n)).is_ok()))
}

/// Count what ignore rules left out; scan its secret-prone files (see `ignored.rs`).
fn sweep_ignored(builder: &mut Builder, seen: &Seen) {
    builder.seen = None;
    let mut visitor = builder.visitor();
    let swept = super::ignored::sweep(seen, &mut |p| {
        let shown = visitor.name(p);
        visitor.scan_file(p, shown)
    });
    let left_out = swept.ignored - swept.scanned;
    if left_out > 0 {
        *visitor.stats.skipped.entry(SkipReason::Ignored).or_default() += left_out;
    }
    if swept.scanned > 0 {
        builder.progress.note(&format!(
            "scanned {} ignored file(s) that usually hold secrets (.env, *.pem, .npmrc, credentials, ...)",
            swept.scanned
        ));
    }
}

struct Builder<'a> {
    det: &'a Detector,
    root: Option<&'a Path>,
    progress: &'a Progress,
    shared: &'a Mutex<(Vec<Found>, Stats)>,
    seen: Option<&'a Mutex<Seen>>,
    max_size: Option<u64>,
}

impl<'s> Builder<'s> {
    fn visitor(&self) -> Visitor<'s> {
        Visitor {
            det: self.det,
            root: self.root,
            progress: self.progress,
            shared: self.shared,
            scratch: StreamScratch::default(),
            name_scratch: StreamScratch::default(),
            hits: Vec::new(),
            findings: Vec::new(),
            stats: Stats::default(),
            seen_global: self.seen,
            seen: Seen::default(),
            max_size: self.max_size,
        }
    }
}

impl<'s> ParallelVisitorBuilder<'s> for Builder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(self.visitor())
    }
}

/// One per walker thread: its own buffer and results, merged once when the thread ends.
struct Visitor<'a> {
    det: &'a Detector,
    root: Option<&'a Path>,
    progress: &'a Progress,
    shared: &'a Mutex<(Vec<Found>, Stats)>,
    scratch: StreamScratch,
    /// For scanning entry names (kept apart: a name's notices are not a file's).
    name_scratch: StreamScratch,
    hits: Vec<Hit>,
    findings: Vec<Found>,
    stats: Stats,
    /// Where to merge `seen` when the thread ends (only when ignore rules apply).
    seen_global: Option<&'a Mutex<Seen>>,
    seen: Seen,
    max_size: Option<u64>,
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(e) => self.entry(&e),
            Err(err) => {
                self.progress.warn(&walk_error(&err));
                self.stats.skip(SkipReason::Unreadable);
            }
        }
        WalkState::Continue
    }
}

impl Visitor<'_> {
    fn entry(&mut self, e: &DirEntry) {
        let Some(ft) = e.file_type() else { return };
        if self.seen_global.is_some() {
            self.seen.record(e.path(), e.depth(), ft.is_dir());
        }
        let shown = self.name(e.path());
        if ft.is_dir() {
            return;
        }
        if ft.is_symlink() {
            self.stats.skip(SkipReason::Symlink);
            return;
        }
        if !ft.is_file() {
            self.stats.skip(SkipReason::NotRegular);
            return;
        }
        self.scan_file(e.path(), shown);
    }

    /// The entry's path as reported, keys in it redacted; a key in the entry's own name
    /// (not a parent's, reported at the parent) is a finding.
    fn name(&mut self, path: &Path) -> RelPath {
        let raw = display_bytes(path, self.root);
        let hits = crate::detect::names::scan_with(self.det, &raw, &mut self.name_scratch);
        if hits.is_empty() {
            return RelPath::new(raw);
        }
        let shown = RelPath::new(crate::detect::names::redacted(self.det, &raw, &hits));
        let own = raw.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
        let found = super::names::findings(hits, own, &shown, &Provenance::File);
        self.findings.extend(found);
        shown
    }

    fn scan_file(&mut self, path: &Path, shown: RelPath) {
        if let Some(max) = self.max_size {
            let len = std::fs::metadata(path).map_or(0, |m| m.len());
            if len > max {
                let (size, cap) = (human_bytes(len), human_bytes(max));
                self.progress.warn(&format!(
                    "'{}' is {size}, over --max-target-megabytes ({cap}): not scanned",
                    shown.escaped()
                ));
                self.stats.skip(SkipReason::TooLarge);
                return;
            }
        }
        self.hits.clear();
        let mut pseudo = false;
        let result = File::open(path).and_then(|f| {
            pseudo = super::pseudo::is_pseudo(&f);
            if !pseudo {
                return scan_reader(self.det, f, &mut self.scratch, &mut self.hits);
            }
            super::pseudo::set_nonblocking(&f);
            let limited = std::io::Read::take(f, super::pseudo::PSEUDO_MAX + 1);
            scan_reader(self.det, limited, &mut self.scratch, &mut self.hits)
        });
        if pseudo && result.as_ref().is_ok_and(|&n| n > super::pseudo::PSEUDO_MAX) {
            let max = super::pseudo::PSEUDO_MAX >> 20;
            let msg = format!(
                "'{}' is a kernel pseudo-file that goes on past {max} MiB: the rest is not scanned",
                shown.escaped()
            );
            self.progress.warn(&msg);
            self.stats.skip(SkipReason::Capped);
        }
        match result {
            Ok(n) => {
                self.stats.files += 1;
                self.stats.bytes += n;
                self.progress.item_done(n, "files");
            }
            Err(err) => {
                // Hits found before a read error are kept: nothing found is lost.
                self.progress.warn(&format!("cannot read '{}': {err}", shown.escaped()));
                self.stats.skip(SkipReason::Unreadable);
            }
        }
        super::report_notices(
            &mut self.scratch.notices,
            || format!("'{}'", shown.escaped()),
            self.progress,
            &mut self.stats,
        );
        for hit in self.hits.drain(..) {
            self.findings.push(Found::new(hit, shown.clone(), Provenance::File));
        }
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.0.append(&mut self.findings);
        shared.1.merge(&self.stats);
        if let Some(global) = self.seen_global {
            let mut g = global.lock().unwrap_or_else(|p| p.into_inner());
            g.merge(&mut self.seen);
        }
    }
}

fn walk_error(err: &ignore::Error) -> String {
    let text = err.to_string();
    crate::finding::escape_bytes(text.as_bytes())
}

/// The path as reported: relative to `root` when one directory is scanned, else as
/// given; `./` prefixes dropped, `/`-separated.
pub(crate) fn display_bytes(path: &Path, root: Option<&Path>) -> Vec<u8> {
    if let Some(rest) = root.and_then(|r| plain_rest(os_bytes(path.as_os_str()), os_bytes(r.as_os_str()))) {
        return rest.to_vec();
    }
    let rel = root.and_then(|r| path.strip_prefix(r).ok()).unwrap_or(path);
    let mut out = Vec::new();
    for comp in rel.components() {
        use std::path::Component;
        let part = match comp {
            Component::CurDir => continue,
            Component::RootDir => {
                out.push(b'/');
                continue;
            }
            other => other.as_os_str(),
        };
        if !out.is_empty() && out.last() != Some(&b'/') {
            out.push(b'/');
        }
        out.extend_from_slice(os_bytes(part));
    }
    out
}

/// The walker's own paths (`ROOT/dir/file`) without parsing components: the part after
/// `root/` when it needs no normalising (no `.` segment, no doubled or trailing `/`).
fn plain_rest<'p>(path: &'p [u8], root: &[u8]) -> Option<&'p [u8]> {
    let root = root.strip_suffix(b"/").unwrap_or(root);
    if !cfg!(unix) || root.is_empty() || root.ends_with(b"/") {
        return None;
    }
    let rest = path.strip_prefix(root)?.strip_prefix(b"/")?;
    let odd = |seg: &[u8]| seg.is_empty() || seg == b".";
    (!rest.is_empty() && !rest.split(|&b| b == b'/').any(odd)).then_some(rest)
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> &[u8] {
    std::os::unix::ffi::OsStrExt::as_bytes(s)
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> &[u8] {
    s.to_str().map(str::as_bytes).unwrap_or(b"?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths() {
        let p = |s: &str, r: Option<&str>| {
            String::from_utf8(display_bytes(Path::new(s), r.map(Path::new))).unwrap()
        };
        assert_eq!(p("./src/a.rs", Some(".")), "src/a.rs");
        assert_eq!(p("repo/src/a.rs", Some("repo/")), "src/a.rs");
        assert_eq!(p("./src/a.rs", None), "src/a.rs");
        assert_eq!(p("/abs/a.rs", None), "/abs/a.rs");
        assert_eq!(p("../x/a.rs", None), "../x/a.rs");
        assert_eq!(p("repo/src//./a.rs", Some("repo")), "src/a.rs");
        assert_eq!(p("./x/./a.rs", Some("./x")), "a.rs");
        assert_eq!(p("/a.rs", Some("/")), "a.rs");
        assert_eq!(p("repo2/a.rs", Some("repo")), "repo2/a.rs");
    }
}
