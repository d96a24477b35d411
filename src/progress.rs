//! Progress bar and warnings on stderr.
//!
//! Takes counts from the sources as they go; gives a progress display (only when stderr
//! is a terminal and `--no-progress` is absent) and warning lines that never tear it.
//! Nothing here ever sees a secret: callers pass paths, object ids and counts only.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::vocab::human_bytes;

pub struct Progress {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
    /// True when the bar counts items (a known total), false when it counts bytes.
    counts_items: AtomicU64,
    items: AtomicU64,
    bytes: AtomicU64,
    warnings: AtomicU64,
    /// The first [`KEPT_WARNINGS`] warning lines, for reports that list them (HTML).
    kept: Mutex<Vec<String>>,
}

/// Warning lines kept for the HTML report (all are counted).
pub(crate) const KEPT_WARNINGS: usize = 200;

impl Progress {
    /// Draws only when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Self {
        Progress {
            enabled: enabled && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            bar: Mutex::new(None),
            counts_items: AtomicU64::new(0),
            items: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            warnings: AtomicU64::new(0),
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Show `bar` with `first` as its message from its first frame (never `label: , 2s`).
    fn start(&self, bar: ProgressBar, template: &str, items: bool, first: String) {
        if !self.enabled {
            return;
        }
        bar.set_message(first);
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(ProgressStyle::with_template(template).expect("static template"));
        bar.enable_steady_tick(Duration::from_millis(125));
        self.counts_items.store(u64::from(items), Ordering::Relaxed);
        self.items.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        if let Some(old) = self.lock().replace(bar) {
            old.finish_and_clear();
        }
    }

    /// A spinner counting bytes and items (`unit`, e.g. "files") with no known total.
    pub fn spinner(&self, label: &str) {
        let t = format!("{{spinner}} {label}: {{bytes}} ({{bytes_per_sec}}), {{msg}}, {{elapsed}}");
        self.start(ProgressBar::no_length(), &t, false, "starting".into());
    }

    /// A spinner with a message only (e.g. "walking history: 12000 commits"), `first` until
    /// the first [`Progress::set_message`].
    pub fn status(&self, label: &str, first: String) {
        let t = format!("{{spinner}} {label}: {{msg}}, {{elapsed}}");
        self.start(ProgressBar::no_length(), &t, false, first);
    }

    /// A bar over `total` items (`unit`, e.g. "blobs"), with bytes, rate and ETA.
    pub fn bar(&self, label: &str, total: u64, unit: &str) {
        let t = format!("{label}: {{bar:30}} {{pos}}/{{len}} {unit}, {{msg}}, ETA {{eta}}");
        self.start(ProgressBar::new(total), &t, true, "0 B".into());
    }

    /// One more item of `bytes` bytes done.
    pub fn item_done(&self, bytes: u64, unit: &str) {
        if !self.enabled {
            return;
        }
        let guard = self.lock();
        let Some(bar) = guard.as_ref() else { return };
        let n = self.items.fetch_add(1, Ordering::Relaxed) + 1;
        let b = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if self.counts_items.load(Ordering::Relaxed) == 1 {
            bar.inc(1);
            if n % 64 == 1 {
                let rate = b as f64 / bar.elapsed().as_secs_f64().max(0.001);
                bar.set_message(format!("{} ({}/s)", human_bytes(b), human_bytes(rate as u64)));
            }
        } else {
            bar.inc(bytes);
            if n % 64 == 1 {
                bar.set_message(format!("{n} {unit}"));
            }
        }
    }

    pub fn set_message(&self, msg: String) {
        if let Some(bar) = self.lock().as_ref() {
            bar.set_message(msg);
        }
    }

    /// Print `loftyscan: warning: MSG` and count it. `msg` must hold no secret.
    pub fn warn(&self, msg: &str) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        self.note(&format!("warning: {msg}"));
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < KEPT_WARNINGS {
            kept.push(msg.to_string());
        }
    }

    /// The first warning lines (see [`KEPT_WARNINGS`]).
    pub fn kept_warnings(&self) -> Vec<String> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Print `loftyscan: MSG` on stderr (not counted). `msg` must hold no secret.
    pub fn note(&self, msg: &str) {
        let print = || {
            let msg = crate::finding::escape_controls(msg);
            let _ = writeln!(std::io::stderr().lock(), "loftyscan: {msg}");
        };
        match self.lock().as_ref() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    pub fn warnings(&self) -> u64 {
        self.warnings.load(Ordering::Relaxed)
    }

    pub fn finish(&self) {
        if let Some(bar) = self.lock().take() {
            bar.finish_and_clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `LOFTYSCAN_TRACE=1`: phase timings and peak RSS on stderr, for benchmarks and profiling.
pub(crate) fn trace(phase: &str) {
    use std::sync::OnceLock;
    static START: OnceLock<Option<std::time::Instant>> = OnceLock::new();
    let start = START.get_or_init(|| std::env::var_os("LOFTYSCAN_TRACE").map(|_| std::time::Instant::now()));
    let Some(start) = start else { return };
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l[6..].trim().to_string()))
        .unwrap_or_default();
    // SAFETY: getrusage only writes the struct it is given.
    #[allow(unsafe_code)]
    let cpu = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        s(u.ru_utime) + s(u.ru_stime)
    };
    crate::guard::eprint_line(&format!(
        "loftyscan: trace: {:>8.3} s  cpu {cpu:>8.3} s  peak RSS {rss:>12}  {phase}",
        start.elapsed().as_secs_f64()
    ));
}
