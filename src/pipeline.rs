//! The pipeline, the only module that knows every stage: source → detect → suppress →
//! verify (`--verify` only) → revoke → report.
//!
//! Takes a resolved `Config`; gives the [`Outcome`] that `main` maps to an exit status.
//! The output file is opened (and so checked) before any scanning; findings are sorted
//! so output does not depend on the thread schedule.

use std::io::{self, Write};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::baseline::{self, Baseline};
use crate::config::{BaselineSource, Config, Mode};
use crate::detect::Detector;
use crate::finding::Finding;
use crate::output::Output;
use crate::progress::Progress;
use crate::report::{self, Report, Summary};
use crate::revoke;
use crate::source;
use crate::source::git::GitMode;
use crate::verify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at the --fail-on level.
    Clean,
    /// At least one reported finding at or above the --fail-on level.
    Found,
}

pub fn run(mut cfg: Config) -> Result<Outcome> {
    let start = Instant::now();
    let det = Detector::new(std::mem::take(&mut cfg.rules))?;
    det.check_examples(true)?;
    // Everything that can fail before scanning does: outputs opened, baseline read.
    crate::output::check_distinct(cfg.output.as_deref(), cfg.baseline_out.as_deref())?;
    let mut out = Output::open(cfg.output.as_deref())?;
    let mut baseline_out = cfg.baseline_out.as_deref().map(|p| Output::open(Some(p))).transpose()?;
    let mut baseline = load_baseline(cfg.baseline.as_ref())?;
    let active = &det.rules[..cfg.active_rules];
    if let Mode::Rules = cfg.mode {
        ignore_broken_pipe(report::rules_list(active, cfg.format, &mut out))?;
        out.commit()?;
        return Ok(Outcome::Clean);
    }
    let progress = Progress::new(cfg.progress);
    let (mut found, stats) = scan_source(&cfg, &det, &progress)?;
    progress.finish();
    crate::source::names::redact_paths(&det, &mut found);
    found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let (disabled, found): (Vec<Finding>, Vec<Finding>) =
        found.into_iter().partition(|f| cfg.disabled.contains(&f.rule.id));
    let (marked, found): (Vec<Finding>, Vec<Finding>) = found.into_iter().partition(|f| f.allowed);
    let change_based = matches!(cfg.mode, Mode::Git { mode: GitMode::Range(_) | GitMode::Staged, .. });
    if let (Mode::Git { mode: GitMode::History, .. }, Some(from)) = (&cfg.mode, &cfg.settings_from) {
        progress.note(&format!(
            "a bare repository has no work tree: settings (.loftyscan.toml and the rule files it \
             names) were read from the {from} (--config FILE or --no-config overrides)"
        ));
    }
    crate::trust_notes::print(&cfg, if change_based { &marked } else { &[] }, &progress);
    let (by_path, current): (Vec<Finding>, Vec<Finding>) =
        found.into_iter().partition(|f| cfg.allow_paths.matches(&f.location.path.lossy()));
    if let Some(w) = &mut baseline_out {
        w.write_all(baseline::render(&current).as_bytes())?;
        w.commit()?;
    }
    let (mut findings, baselined) = match &mut baseline {
        Some(b) => b.apply(current),
        None => (current, Vec::new()),
    };
    let stale: Vec<baseline::Entry> = baseline
        .as_ref()
        .map(|b| b.stale().into_iter().filter(|e| covers(&cfg.mode, &e.path)).cloned().collect())
        .unwrap_or_default();
    for e in &stale {
        progress.note(&format!("baseline entry matched nothing: {}", e.shown()));
    }
    // The verify stage (only with --verify): ask the vendors about each unique live key.
    let verifications = cfg.verify.as_ref().map(|vc| verify::run(vc, &findings, &progress));
    if let Some(v) = &verifications {
        verify::lower_invalid(&mut findings, v);
    }
    let revocations = cfg
        .revoke
        .as_ref()
        .map(|rc| revoke::run(rc, &findings, verifications.as_ref(), &cfg.root, &progress));
    let (findings, verify_left_out) = match (&cfg.verify, &verifications) {
        (Some(vc), Some(v)) if vc.only_verified => verify::keep_live(findings, v),
        _ => (findings, 0),
    };
    let listed: Vec<Finding> = if change_based { marked.clone() } else { Vec::new() };
    let summary = Summary {
        stats,
        warnings: progress.warnings(),
        allowlisted: marked.len() as u64,
        path_allowlisted: by_path.len() as u64,
        baselined: baselined.len() as u64,
        baseline_stale: stale,
        disabled: disabled.len() as u64,
        disabled_rules: cfg.disabled.clone(),
        settings_from: cfg.settings_from.clone(),
        settings_changes: cfg.settings_changes.clone(),
        verify_left_out,
        started_at: cfg.now,
        elapsed: start.elapsed(),
        scan: report::html::scan_info(&cfg, &det.rules, progress.kept_warnings()),
        history_limits: match &cfg.mode {
            Mode::Git { limits, .. } if limits.is_limited() => Some(limits.clone()),
            _ => None,
        },
        suppressed: report::suppressed(marked, by_path, baselined),
    };
    let rep = Report {
        findings: &findings,
        summary: &summary,
        rules: active,
        suppressed: &listed,
        show_secrets: cfg.show_secrets,
        revocations: revocations.as_ref(),
        verifications: verifications.as_ref(),
    };
    // A pre-receive hook writes a report only where -o says; the pusher reads its verdict.
    let push = match &cfg.mode {
        Mode::Git { mode: GitMode::PreReceive(push), .. } => Some(push),
        _ => None,
    };
    if push.is_none() || cfg.output.is_some() {
        ignore_broken_pipe(report::write(cfg.format, &rep, &mut out, cfg.color))
            .context("cannot write the report")?;
    }
    out.commit()?;
    if cfg.output.is_some() && push.is_none() && !cfg.quiet {
        crate::guard::eprint_line(&report::text::summary_line(&rep));
    }
    crate::progress::trace("done");
    if let Some(push) = push {
        return crate::prereceive::verdict(push, &findings, cfg.fail_on, &cfg.root, cfg.now);
    }
    let fails = findings.iter().any(|f| f.level >= cfg.fail_on);
    Ok(if fails { Outcome::Found } else { Outcome::Clean })
}

/// The `--baseline` to apply, from where the config stage decided.
fn load_baseline(src: Option<&BaselineSource>) -> Result<Option<Baseline>> {
    Ok(match src {
        None => None,
        Some(BaselineSource::File(p)) => Some(Baseline::load(p)?),
        Some(BaselineSource::Text { name, text }) => Some(Baseline::parse(name, text)?),
        Some(BaselineSource::NotInBase) => Some(Baseline::empty()),
    })
}

/// Whether a scan in `mode` could have found a baseline entry at `path`, so that finding
/// nothing means the entry is stale (a fixed or moved key). `--range` and `--staged` only
/// see what a change adds: an untouched key is not reported, and so is not stale.
fn covers(mode: &Mode, path: &str) -> bool {
    match mode {
        Mode::Git { mode: GitMode::Range(_) | GitMode::Staged, .. } => false,
        Mode::Stdin { name } => name == path,
        _ => true,
    }
}

/// The source stage: whichever the command names.
fn scan_source(cfg: &Config, det: &Detector, progress: &Progress) -> Result<(Vec<Finding>, source::Stats)> {
    Ok(match &cfg.mode {
        Mode::Dir { paths, no_ignore, follow, max_size } => {
            progress.spinner("scanning");
            let opts = source::fs::FsOptions {
                paths: paths.clone(),
                no_ignore: *no_ignore,
                follow: *follow,
                max_size: *max_size,
                threads: cfg.threads,
            };
            source::fs::scan(det, &opts, cfg.now, progress)?
        }
        Mode::Git { repo, mode, max_blob_size, engine, include_unreachable, limits } => {
            let opts = source::git::GitOptions {
                repo: repo.clone(),
                mode: mode.clone(),
                engine: *engine,
                max_blob_size: *max_blob_size,
                threads: cfg.threads,
                include_unreachable: *include_unreachable,
                limits: limits.clone(),
            };
            let (mut found, stats) = source::git::scan(det, &opts, cfg.now, progress)?;
            if let source::git::GitMode::History = mode {
                let repo = source::git::open::open(repo.as_deref())?.0;
                let named = limits.names(&repo);
                let keep =
                    |name: &[u8]| limits.branches.is_empty() || named.iter().any(|n| n.as_bytes() == name);
                found.extend(source::names::refs(&repo, det, cfg.now, &keep));
            }
            (found, stats)
        }
        Mode::Stdin { name } => source::stdin::scan(det, name, cfg.now, progress),
        Mode::Rules => unreachable!("listed before any scan"),
    })
}

/// A closed pipe (`loftyscan dir . | head`) is not an error.
pub fn ignore_broken_pipe(r: io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
