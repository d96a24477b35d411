//! Progress bar and warnings on stderr.
//!
//! Takes counts from the sources as they go; gives a progress bar (only when stderr is a
//! terminal and `--no-progress` is absent) and warning lines that never tear the bar.
//! Nothing here ever sees a secret: callers pass paths and counts only.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    warnings: AtomicU64,
    items: AtomicU64,
}

impl Progress {
    /// A spinner when `enabled` and stderr is a terminal; otherwise silent.
    pub fn new(enabled: bool, what: &str) -> Self {
        let bar = (enabled && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} {what}: {{bytes}} ({{bytes_per_sec}}), {{msg}}, {{elapsed}}"
            ))
            .expect("static template");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(125));
            bar
        });
        Progress {
            bar,
            warnings: AtomicU64::new(0),
            items: AtomicU64::new(0),
        }
    }

    /// One more item (file) of `bytes` bytes scanned, on a spinner counting bytes.
    pub fn item_done(&self, bytes: u64, unit: &str) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            let n = self.items.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 64 == 1 {
                bar.set_message(format!("{n} {unit}"));
            }
        }
    }

    /// Print `loftyscan: warning: MSG` and count it. `msg` must hold no secret.
    pub fn warn(&self, msg: &str) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        let print = || {
            let _ = writeln!(std::io::stderr().lock(), "loftyscan: warning: {msg}");
        };
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    pub fn warnings(&self) -> u64 {
        self.warnings.load(Ordering::Relaxed)
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
