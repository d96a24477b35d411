//! Panics never escape as exit 101 or an abort: a panic hook that prints one line on
//! stderr (and ignores a stderr that cannot be written, e.g. a full device), a counter of
//! internal errors, and [`isolate`] to contain a panic inside one unit of work.
//!
//! Takes closures to run; gives their result, or `None` after counting a panic. `main`
//! turns a non-zero count into exit status 2 after the report is written.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

static INTERNAL: AtomicU64 = AtomicU64::new(0);

/// Install the panic hook: `loftyscan: internal error: MSG (at FILE:LINE)`, counted.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        INTERNAL.fetch_add(1, Ordering::Relaxed);
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info.location().map(|l| format!(" (at {}:{})", l.file(), l.line())).unwrap_or_default();
        let line = crate::finding::escape_bytes(format!("internal error: {msg}{at}").as_bytes());
        let _ = writeln!(std::io::stderr().lock(), "loftyscan: {line}");
    }));
}

/// Internal errors (panics) so far.
pub fn internal_errors() -> u64 {
    INTERNAL.load(Ordering::Relaxed)
}

/// Run `f`; a panic inside it is counted (by the hook) and gives `None`.
pub fn isolate<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// `eprintln!` that never panics (stderr may be a full device or closed).
pub fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn isolate_contains_a_panic_and_counts_it() {
        super::install();
        let before = super::internal_errors();
        assert_eq!(super::isolate(|| 7), Some(7));
        let r: Option<()> = super::isolate(|| panic!("boom"));
        assert!(r.is_none());
        assert!(super::internal_errors() > before);
    }
}
