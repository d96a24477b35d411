//! What the HTML report's header says about the scan: its target, mode and the settings
//! that shape what was found.
//!
//! Takes the resolved configuration, the active rules and the kept warning lines; gives a
//! [`ScanInfo`] (plain strings; the page escapes them).

use crate::config::{Config, Mode};
use crate::detect::rules::Rule;
use crate::report::ScanInfo;
use crate::source::git::GitMode;
use crate::vocab::human_bytes;

pub(crate) fn scan_info(cfg: &Config, rules: &[Rule], warning_lines: Vec<String>) -> ScanInfo {
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| settings.push((k.to_string(), v));
    let mode = match &cfg.mode {
        Mode::Git { mode, max_blob_size, engine, include_unreachable, limits, .. } => {
            let engine = clap::ValueEnum::to_possible_value(engine).map(|v| v.get_name().to_string());
            set("Git engine", engine.unwrap_or_default());
            set("Max blob size", human_bytes(*max_blob_size));
            set("Unreachable blobs", if *include_unreachable { "reported" } else { "not reported" }.into());
            match mode {
                GitMode::History => match limits.describe() {
                    Some(l) => format!("git: history limited to {l}"),
                    None => "git: whole history (every ref)".to_string(),
                },
                GitMode::Range(r) => format!("git: range {r}"),
                GitMode::Staged => "git: staged changes".to_string(),
                GitMode::PreReceive(_) => "git: pre-receive (what a push adds)".to_string(),
            }
        }
        Mode::Dir { no_ignore, follow, .. } => {
            set("Ignore files", if *no_ignore { "not honoured (--no-ignore)" } else { "honoured" }.into());
            set("Symbolic links", if *follow { "followed" } else { "not followed" }.into());
            "directory".to_string()
        }
        Mode::Stdin { .. } => "standard input".to_string(),
        Mode::Rules => "rules".to_string(),
    };
    let ids: Vec<&str> = rules.iter().map(|r| r.info.id.as_str()).collect();
    set("Rules", ids.join(", "));
    set(
        "Baseline",
        cfg.baseline.as_ref().map_or("none".into(), |b| match b {
            crate::config::BaselineSource::File(p) => p.display().to_string(),
            crate::config::BaselineSource::Text { name, .. } => name.clone(),
            crate::config::BaselineSource::NotInBase => "none in the base commit".into(),
        }),
    );
    set("Threads", cfg.threads.to_string());
    set("Fails on", cfg.fail_on.as_str().to_string());
    set("Secrets", "redacted (an HTML report never holds a raw secret)".into());
    let target = match &cfg.mode {
        Mode::Stdin { name } => name.clone(),
        _ => cfg.root.display().to_string(),
    };
    ScanInfo { target, mode, settings, warning_lines }
}
