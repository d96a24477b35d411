//! A resolver worker's read windows over a `.pack` file: one `pread` serves many objects.
//!
//! Takes byte ranges of the pack (an object's zlib data); gives their bytes as far as the
//! file has them, exactly what one positional read of the range would give. A range inside
//! a window is served from it; a miss next to a window reads a fresh window placed for the
//! direction the reads go (workers mostly go down the pack); a miss far from every window,
//! or a range larger than a window, is read on its own, as before there were windows.

use std::fs::File;

use anyhow::Result;

use super::super::layout::read_full;

/// Bytes one window holds, and windows a worker keeps: a delta tree's objects lie in a
/// few runs of the pack (a base here, its deltas there), each read downwards. Small: a
/// window copies all its bytes, and in the tree pass a third of the reads are over 16 KiB
/// from the one before (a 512 KiB window cost more sys time than it saved).
pub(super) const WINDOW: usize = 32 << 10;
const WINDOWS: usize = 8;
/// A miss at most this far from a window continues it (else it is read on its own).
const GAP: u64 = 32 << 10;

/// One window: the pack's bytes from `from` on (fewer than asked only where the file ends,
/// then `eof`), and when it last served a read.
#[derive(Default)]
struct Slot {
    buf: Vec<u8>,
    from: u64,
    eof: bool,
    used: u64,
}

impl Slot {
    /// Does it hold `[start, end)` (or all of it the file has)?
    fn has(&self, start: u64, end: u64) -> bool {
        let have = self.from + self.buf.len() as u64;
        !self.buf.is_empty() && start >= self.from && (end <= have || (self.eof && start <= have))
    }

    fn slice(&self, start: u64, end: u64) -> &[u8] {
        let have = self.from + self.buf.len() as u64;
        let (a, b) = (start.min(have), end.min(have));
        &self.buf[(a - self.from) as usize..(b.max(a) - self.from) as usize]
    }
}

/// A worker's windows, the least recently used one refilled on a miss.
pub(super) struct ReadWindow {
    slots: Vec<Slot>,
    /// The bytes of the last range larger than a window.
    big: Vec<u8>,
    size: usize,
    clock: u64,
}

impl Default for ReadWindow {
    fn default() -> Self {
        ReadWindow::with_size(WINDOW)
    }
}

impl ReadWindow {
    /// Windows of `size` bytes (tests use small ones).
    pub(super) fn with_size(size: usize) -> Self {
        let slots = (0..WINDOWS).map(|_| Slot::default()).collect();
        ReadWindow { slots, big: Vec::new(), size: size.max(1), clock: 0 }
    }

    /// The bytes of `file` in `[start, end)`, cut short only where the file ends.
    pub(super) fn read(&mut self, file: &File, start: u64, end: u64) -> Result<&[u8]> {
        let len = end.saturating_sub(start);
        if len == 0 {
            return Ok(&[]);
        }
        if len > self.size as u64 {
            self.big.resize(len as usize, 0);
            let n = read_full(file, &mut self.big, start)?;
            return Ok(&self.big[..n]);
        }
        self.clock += 1;
        let i = match self.slots.iter().position(|s| s.has(start, end)) {
            Some(i) => i,
            None => self.fill(file, start, end)?,
        };
        self.slots[i].used = self.clock;
        Ok(self.slots[i].slice(start, end))
    }

    /// Read `[start, end)` into the least recently used slot: a whole window when the
    /// range continues a window (just below it: the window ends at `end`, for the objects
    /// further down; just above it: it starts at `start`), else the range alone (objects
    /// far apart, as a delta chain's often are, cost one small read each, as without
    /// windows).
    fn fill(&mut self, file: &File, start: u64, end: u64) -> Result<usize> {
        let size = self.size as u64;
        let near = |s: &Slot| {
            let top = s.from + s.buf.len() as u64;
            let below = s.from >= end && s.from - end <= GAP;
            (below, !below && start >= top && start - top <= GAP)
        };
        let (mut down, mut up) = (false, false);
        for s in self.slots.iter().filter(|s| !s.buf.is_empty()) {
            let (d, u) = near(s);
            (down, up) = (down || d, up || u);
        }
        let (from, len) = match (down, up) {
            (true, _) => (end.saturating_sub(size), self.size),
            (false, true) => (start, self.size),
            _ => (start, (end - start) as usize),
        };
        let i = (0..self.slots.len()).min_by_key(|&i| self.slots[i].used).expect("windows");
        let s = &mut self.slots[i];
        s.buf.resize(len, 0);
        match read_full(file, &mut s.buf, from) {
            Ok(n) => {
                s.buf.truncate(n);
                (s.from, s.eof) = (from, n < len);
                Ok(i)
            }
            Err(e) => {
                s.buf.clear();
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn serves_every_range_as_one_read_would_across_window_edges() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let f = file(&bytes);
        let mut w = ReadWindow::with_size(64);
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for s in (0..1010u64).rev().step_by(13) {
            ranges.extend([(s, s + 5), (s, s + 64), (s, s + 65), (s, s + 200), (s, s)]);
        }
        ranges.extend([(990, 1200), (1000, 1001), (2000, 2010), (0, 1), (60, 70), (63, 64)]);
        for (s, e) in ranges {
            let want = &bytes[(s.min(1000) as usize)..(e.min(1000) as usize).max(s.min(1000) as usize)];
            assert_eq!(w.read(&f, s, e).unwrap(), want, "[{s}, {e})");
        }
    }

    #[test]
    fn runs_of_near_objects_are_served_from_windows_far_ones_read_alone() {
        let bytes: Vec<u8> = (0..8192u32).map(|i| i as u8).collect();
        let f = file(&bytes);
        let mut w = ReadWindow::with_size(1024);
        let froms = |w: &ReadWindow| w.slots.iter().map(|s| (s.from, s.buf.len())).collect::<Vec<_>>();
        w.read(&f, 3000, 3040).unwrap();
        assert!(froms(&w).contains(&(3000, 40)), "far from any window: read alone");
        w.read(&f, 3040, 3080).unwrap(); // just above: a window from here up
        w.read(&f, 2900, 2990).unwrap(); // just below: a window ending here
        let before = froms(&w);
        assert!(before.contains(&(3040, 1024)) && before.contains(&(2990 - 1024, 1024)));
        for s in (1970..2900u64).rev().step_by(50) {
            assert_eq!(w.read(&f, s, s + 40).unwrap(), &bytes[s as usize..s as usize + 40]);
            w.read(&f, 3040 + s % 7, 3100).unwrap(); // a second run, read in turn
            assert_eq!(froms(&w), before, "served from the windows");
        }
    }

    #[test]
    fn a_failed_read_errs_as_before_and_leaves_nothing_stale() {
        let path = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(path.path(), [5u8; 100]).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(path.path()).unwrap();
        let mut w = ReadWindow::with_size(64);
        for _ in 0..2 {
            let e = w.read(&f, 10, 20).unwrap_err();
            assert!(format!("{e:#}").starts_with("cannot read the pack"), "{e:#}");
        }
        assert!(w.read(&f, 0, 1000).is_err(), "larger than a window: read directly");
    }
}
