//! The pipeline, the only module that knows every stage: source → detect → finding →
//! suppress → verify (`--verify` only) → revoke (`--revoke-hook` only) → report.
//!
//! Takes a resolved `Config`; gives the [`Outcome`] that `main` maps to an exit status.
//! The output file is opened (and so checked) before any scanning; findings are sorted
//! so output does not depend on the thread schedule.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::baseline::{self, Baseline};
use crate::config::{BaselineSource, Config, Mode};
use crate::detect::Detector;
use crate::finding::{self, Finding, Found};
use crate::output::Output;
use crate::progress::Progress;
use crate::report::{self, Report, Summary};
use crate::revoke;
use crate::source;
use crate::source::git::GitMode;
use crate::suppress::{self, Sorted, Suppressed, Suppression};
use crate::verify;

pub use crate::vocab::Outcome;

/// The whole run: source → detect → finding → suppress → verify → revoke → report. Gives
/// [`Outcome::Found`] when a reported finding is at or above `--fail-on`, else
/// [`Outcome::Clean`] (a `--pre-receive` hook gives its verdict); an error is exit status 2.
pub fn run(mut cfg: Config) -> Result<Outcome> {
    let start = Instant::now();
    let det = Detector::new(std::mem::take(&mut cfg.rules))?;
    det.check_examples(true)?;
    // Everything that can fail before scanning does: outputs opened, baseline read.
    crate::output::check_distinct(cfg.output.as_deref(), cfg.baseline_out.as_deref())?;
    let mut out = Output::open(cfg.output.as_deref())?;
    let mut baseline_out = cfg.baseline_out.as_deref().map(|p| Output::open(Some(p))).transpose()?;
    let mut baseline = load_baseline(cfg.baseline.as_ref())?;
    if let Mode::Rules = cfg.mode {
        crate::output::ignore_broken_pipe(report::rules_list(
            &det.rules[..cfg.active_rules],
            cfg.format,
            &mut out,
        ))?;
        out.commit()?;
        return Ok(Outcome::Clean);
    }
    let progress = Progress::new(cfg.progress);
    // source → detect: each source hands its content to the detector, gives hits + origin.
    let (found, stats) = scan_source(&cfg, &det, &progress)?;
    progress.finish();
    // finding: rule record, level (from `exp`), redaction, hash; names redacted; sorted.
    let mut findings = finding::build(&det, found, cfg.now);
    crate::source::names::redact_paths(&det, &mut findings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // suppress: disabled rule, marker, path allowlist, baseline.
    let settings =
        suppress::Settings { disabled: &cfg.disabled, paths: &cfg.allow_paths, baseline: baseline.as_mut() };
    let sorted = suppress::suppress(findings, settings);
    let listed = review_notes(&cfg, &sorted, &progress);
    if let Some(w) = &mut baseline_out {
        w.write_all(baseline::render(sorted.baseline_candidates()).as_bytes())?;
        w.commit()?;
    }
    let stale = stale_entries(&cfg, baseline.as_ref(), &progress);
    let Sorted { reported: findings, suppressed } = sorted;
    let Checked { findings, verifications, revocations, verify_left_out } =
        verify_and_revoke(&cfg, findings, &progress);
    let summary =
        Summary { verify_left_out, elapsed: start.elapsed(), ..summary(&cfg, &det, &progress, stats) };
    let summary = Summary { baseline_stale: stale, ..with_counts(summary, suppressed) };
    let rep = Report {
        findings: &findings,
        summary: &summary,
        rules: &det.rules[..cfg.active_rules],
        suppressed: &listed,
        show_secrets: cfg.show_secrets,
        revocations: revocations.as_ref(),
        verifications: verifications.as_ref(),
    };
    write_report(&cfg, &rep, out)?;
    if let Mode::Git { mode: GitMode::PreReceive(push), .. } = &cfg.mode {
        return crate::prereceive::verdict(push, &findings, cfg.fail_on, &cfg.root, cfg.now);
    }
    let fails = findings.iter().any(|f| f.level >= cfg.fail_on);
    Ok(if fails { Outcome::Found } else { Outcome::Clean })
}

/// The findings once verified and revoked, and what those stages found.
struct Checked {
    findings: Vec<Finding>,
    verifications: Option<verify::Verifications>,
    revocations: Option<std::collections::HashMap<[u8; 32], revoke::Revocation>>,
    /// Findings `--only-verified` left out.
    verify_left_out: u64,
}

/// verify (only with --verify): ask the vendors about each unique live key; revoke (only
/// with --revoke-hook); then keep what --only-verified keeps.
fn verify_and_revoke(cfg: &Config, mut findings: Vec<Finding>, progress: &Progress) -> Checked {
    let verifications = cfg.verify.as_ref().map(|vc| verify::run(vc, &findings, progress));
    if let Some(v) = &verifications {
        verify::lower_invalid(&mut findings, v);
    }
    let revocations =
        cfg.revoke.as_ref().map(|rc| revoke::run(rc, &findings, verifications.as_ref(), &cfg.root, progress));
    let (findings, verify_left_out) = match (&cfg.verify, &verifications) {
        (Some(vc), Some(v)) if vc.only_verified => verify::keep_live(findings, v),
        _ => (findings, 0),
    };
    Checked { findings, verifications, revocations, verify_left_out }
}

/// `--range`/`--staged`: a reviewer sees on stderr what the change's markers suppressed and
/// the settings files it touches; those findings are listed in the report too (returned).
fn review_notes(cfg: &Config, sorted: &Sorted, progress: &Progress) -> Vec<Finding> {
    let change_based = matches!(cfg.mode, Mode::Git { mode: GitMode::Range(_) | GitMode::Staged, .. });
    if let (Mode::Git { mode: GitMode::History, .. }, Some(from)) = (&cfg.mode, &cfg.settings_from) {
        progress.note(&format!(
            "a bare repository has no work tree: settings (.loftyscan.toml and the rule files it \
             names) were read from the {from} (--config FILE or --no-config overrides)"
        ));
    }
    let listed: Vec<Finding> =
        if change_based { sorted.by(Suppression::Marker).cloned().collect() } else { Vec::new() };
    crate::trust_notes::print(cfg, &listed, progress);
    listed
}

/// Baseline entries no finding matched (and this mode could have), each noted on stderr.
fn stale_entries(cfg: &Config, baseline: Option<&Baseline>, progress: &Progress) -> Vec<baseline::Entry> {
    let stale: Vec<baseline::Entry> = baseline
        .map(|b| b.stale().into_iter().filter(|e| covers(&cfg.mode, &e.path)).cloned().collect())
        .unwrap_or_default();
    for e in &stale {
        progress.note(&format!("baseline entry matched nothing: {}", e.shown()));
    }
    stale
}

/// The summary's facts about the run (the counts come from [`with_counts`]).
fn summary(cfg: &Config, det: &Detector, progress: &Progress, stats: source::Stats) -> Summary {
    Summary {
        stats,
        warnings: progress.warnings(),
        disabled_rules: cfg.disabled.clone(),
        settings_from: cfg.settings_from.clone(),
        settings_changes: cfg.settings_changes.clone(),
        started_at: cfg.now,
        scan: report::html::scan_info(cfg, &det.rules, progress.kept_warnings()),
        history_limits: match &cfg.mode {
            Mode::Git { limits, .. } if limits.is_limited() => Some(limits.clone()),
            _ => None,
        },
        ..Summary::default()
    }
}

/// The suppressed findings counted by reason; those the settings hide (not the disabled
/// rules') kept for the HTML report's list.
fn with_counts(summary: Summary, mut suppressed: Vec<Suppressed>) -> Summary {
    let count = |why| suppressed.iter().filter(|s| s.why == why).count() as u64;
    let (allowlisted, path_allowlisted) = (count(Suppression::Marker), count(Suppression::Path));
    let (baselined, disabled) = (count(Suppression::Baseline), count(Suppression::DisabledRule));
    suppressed.retain(|s| s.why != Suppression::DisabledRule);
    Summary { allowlisted, path_allowlisted, baselined, disabled, suppressed, ..summary }
}

/// The report stage: written where `-o` says (a pre-receive hook writes one only there:
/// the pusher reads its verdict), and a summary line on stderr when it went to a file.
fn write_report(cfg: &Config, rep: &Report, mut out: Output) -> Result<()> {
    let push = matches!(cfg.mode, Mode::Git { mode: GitMode::PreReceive(_), .. });
    if !push || cfg.output.is_some() {
        crate::output::ignore_broken_pipe(report::write(cfg.format, rep, &mut out, cfg.color))
            .context("cannot write the report")?;
    }
    out.commit()?;
    if cfg.output.is_some() && !push && !cfg.quiet {
        crate::guard::eprint_line(&report::text::summary_line(rep));
    }
    crate::progress::trace("done");
    Ok(())
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
fn scan_source(cfg: &Config, det: &Detector, progress: &Progress) -> Result<(Vec<Found>, source::Stats)> {
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
            source::fs::scan(det, &opts, progress)?
        }
        Mode::Git { mode, max_blob_size, engine, include_unreachable, limits, .. } => {
            let opened = cfg.repo.as_ref().context("the repository was opened with the config")?;
            let opts = source::git::GitOptions {
                mode: mode.clone(),
                engine: *engine,
                max_blob_size: *max_blob_size,
                threads: cfg.threads,
                include_unreachable: *include_unreachable,
                limits: limits.clone(),
            };
            source::git::scan(det, opened, &opts, progress)?
        }
        Mode::Stdin { name } => source::stdin::scan(det, name, progress),
        Mode::Rules => unreachable!("listed before any scan"),
    })
}
