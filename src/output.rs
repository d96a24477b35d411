//! Where reports go: standard output, or `-o`/`--baseline-out` FILE, never replacing what
//! loftyscan did not create.
//!
//! Takes the paths the user named; gives writers that hold the whole report and put it in
//! place at [`Output::commit`]. A regular file (or a new path) gets a temporary file of its
//! own in the same directory (created exclusively, so nothing there is followed), renamed
//! over it at the end: it is written whole or not at all. A symbolic link is written
//! through to its target (the link itself stays). A character device, FIFO or socket is
//! written to directly, never replaced, once the report is complete. Directories and block
//! devices are refused. [`check_distinct`] makes `-o X --baseline-out X` a usage error.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};

use crate::finding::escape_bytes;

/// Symbolic links followed from an output path before giving up (as the kernel's 40).
const MAX_LINKS: usize = 40;

/// A path for messages: escaped, so a name cannot inject terminal sequences.
pub(crate) fn shown(p: &Path) -> String {
    escape_bytes(p.as_os_str().as_encoded_bytes())
}

/// `-o` and `--baseline-out` naming the same file (by path, through links, or as the same
/// existing inode) is a usage error: one would overwrite the other.
pub(crate) fn check_distinct(output: Option<&Path>, baseline_out: Option<&Path>) -> Result<()> {
    let (Some(a), Some(b)) = (output, baseline_out) else { return Ok(()) };
    let same_inode = match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    };
    let (ra, rb) = (resolve(a)?, resolve(b)?);
    if same_inode || ra == rb {
        bail!("-o and --baseline-out name the same file '{}': give two different files", shown(a));
    }
    Ok(())
}

/// Where a path leads once its symbolic links are followed: the final path (which may not
/// exist yet), absolute, parent directories canonical.
fn resolve(path: &Path) -> Result<PathBuf> {
    let mut p = absolute(path)?;
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)
                    .with_context(|| format!("cannot read the link '{}'", shown(&p)))?;
                p = absolute(&p.parent().unwrap_or(Path::new("/")).join(target))?;
            }
            _ => return Ok(p),
        }
    }
    bail!("'{}': too many levels of symbolic links", shown(path))
}

/// `path` made absolute with its parent directory canonical (the file itself untouched).
fn absolute(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().with_context(|| format!("output path '{}' has no file name", shown(path)))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(parent)
        .with_context(|| format!("cannot write report to '{}': its directory does not exist", shown(path)))?;
    Ok(dir.join(name))
}

/// Standard output, or a file's writer (see the module header).
pub(crate) enum Output {
    Stdout(io::StdoutLock<'static>),
    /// A temporary file beside the target, renamed over it at commit.
    Atomic {
        w: BufWriter<File>,
        tmp: PathBuf,
        dest: PathBuf,
        done: bool,
    },
    /// A device, FIFO or socket: the report is held, then written at commit.
    Direct {
        buf: Vec<u8>,
        sink: Box<dyn Write>,
        dest: PathBuf,
    },
}

impl Output {
    pub(crate) fn open(path: Option<&Path>) -> Result<Self> {
        let Some(given) = path else {
            return Ok(Output::Stdout(io::stdout().lock()));
        };
        let dest = resolve(given)?;
        let err = || format!("cannot write report to '{}'", shown(given));
        match std::fs::metadata(&dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Self::atomic(dest, given),
            Err(e) => Err(e).with_context(err),
            Ok(m) if m.is_file() => Self::atomic(dest, given),
            Ok(m) if m.is_dir() => bail!("{}: it is a directory", err()),
            Ok(m) if m.file_type().is_block_device() => {
                bail!("{}: it is a block device (refused: a report never overwrites a disk)", err())
            }
            Ok(m) if m.file_type().is_socket() => {
                let s = std::os::unix::net::UnixStream::connect(&dest).with_context(err)?;
                Ok(Output::Direct { buf: Vec::new(), sink: Box::new(s), dest })
            }
            Ok(_) => {
                // Character device or FIFO: opened as is (no create, no truncate); a FIFO
                // waits for its reader, as a shell's `>` does.
                let f = OpenOptions::new().write(true).open(&dest).with_context(err)?;
                Ok(Output::Direct { buf: Vec::new(), sink: Box::new(f), dest })
            }
        }
    }

    fn atomic(dest: PathBuf, given: &Path) -> Result<Self> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let name = dest.file_name().expect("resolved paths have a file name").to_os_string();
        let mode = std::fs::metadata(&dest).map_or(0o666, |m| m.mode() & 0o777);
        for _ in 0..100 {
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(&name);
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            tmp_name.push(format!(".loftyscan-{}-{n}.tmp", std::process::id()));
            let tmp = dest.with_file_name(tmp_name);
            match OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp) {
                Ok(f) => return Ok(Output::Atomic { w: BufWriter::new(f), tmp, dest, done: false }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot write report to '{}'", shown(given)));
                }
            }
        }
        bail!("cannot write report to '{}': no free temporary name beside it", shown(given))
    }

    /// Put the complete report in place.
    pub(crate) fn commit(&mut self) -> Result<()> {
        match self {
            Output::Stdout(s) => ignore_broken_pipe(s.flush()),
            Output::Atomic { w, tmp, dest, done } => {
                let err = || format!("cannot write report to '{}'", shown(dest));
                w.flush().with_context(err)?;
                w.get_ref().sync_all().with_context(err)?;
                std::fs::rename(&*tmp, &*dest).with_context(err)?;
                *done = true;
                Ok(())
            }
            Output::Direct { buf, sink, dest } => {
                let err = || format!("cannot write report to '{}'", shown(dest));
                sink.write_all(buf).with_context(err)?;
                sink.flush().with_context(err)?;
                buf.clear();
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(s) => s.write(data),
            Output::Atomic { w, .. } => w.write(data),
            Output::Direct { buf, .. } => buf.write(data),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(s) => s.flush(),
            Output::Atomic { w, .. } => w.flush(),
            Output::Direct { .. } => Ok(()),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::Atomic { tmp, done: false, .. } = self {
            let _ = std::fs::remove_file(tmp); // a failed scan leaves no partial report
        }
    }
}

/// A closed pipe (`loftyscan dir . | head`) is not an error.
pub(crate) fn ignore_broken_pipe(r: io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
