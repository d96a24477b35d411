//! What a reviewer must see on stderr in `git --range` and `git --staged`: settings files
//! the change touches (which were not applied: the base's were), and the findings an
//! inline marker on a line the change adds suppressed.
//!
//! Takes the resolved config and the marker-suppressed findings; prints warnings (settings
//! changes, counted) and notes (suppressed findings, redacted), escaped for a terminal.

use crate::config::Config;
use crate::finding::Finding;
use crate::progress::Progress;

pub(crate) fn print(cfg: &Config, marked: &[Finding], progress: &Progress) {
    let from = cfg.settings_from.as_deref().unwrap_or("base");
    for c in &cfg.settings_changes {
        progress.warn(&format!(
            "this change touches scanner settings: '{}' {}; settings were read from the {from}, not from the change",
            crate::finding::escape_bytes(c.path.as_bytes()),
            c.change.as_str(),
        ));
    }
    for f in marked {
        let l = &f.location;
        progress.note(&format!(
            "suppressed by an inline marker on a line this change adds: {}:{}:{}: {} {}",
            f.shown_path_escaped(),
            l.line,
            l.column,
            f.rule.id,
            f.redacted
        ));
    }
}
