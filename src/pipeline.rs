//! The pipeline, the only module that knows every stage: source → detect → report.
//!
//! Takes a resolved `Config`; gives the [`Outcome`] that `main` maps to an exit status.
//! The output file is opened (and so checked) before any scanning; findings are sorted
//! so output does not depend on the thread schedule.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::baseline::{self, Baseline};
use crate::config::{Config, Mode};
use crate::detect::Detector;
use crate::finding::Finding;
use crate::progress::Progress;
use crate::report::{self, Report, Summary};
use crate::revoke;
use crate::source;

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
    let mut out = Output::open(cfg.output.as_deref())?;
    let mut baseline_out = cfg.baseline_out.as_deref().map(|p| Output::open(Some(p))).transpose()?;
    let mut baseline = cfg.baseline.as_deref().map(Baseline::load).transpose()?;
    if let Mode::Rules = cfg.mode {
        ignore_broken_pipe(report::rules_list(&det.rules, cfg.format, &mut out))?;
        out.commit()?;
        return Ok(Outcome::Clean);
    }
    let progress = Progress::new(cfg.progress);
    let (mut found, stats) = scan_source(&cfg, &det, &progress)?;
    progress.finish();
    found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let (marked, found): (Vec<Finding>, Vec<Finding>) = found.into_iter().partition(|f| f.allowed);
    let (by_path, current): (Vec<Finding>, Vec<Finding>) =
        found.into_iter().partition(|f| cfg.allow_paths.matches(&f.location.path.lossy()));
    if let Some(w) = &mut baseline_out {
        w.write_all(baseline::render(&current).as_bytes())?;
        w.commit()?;
    }
    let (findings, baselined) = match &mut baseline {
        Some(b) => b.apply(current),
        None => (current, Vec::new()),
    };
    let stale: Vec<baseline::Entry> =
        baseline.as_ref().map(|b| b.stale().into_iter().cloned().collect()).unwrap_or_default();
    for e in &stale {
        progress.note(&format!("baseline entry matched nothing: {} {} {}", e.rule_id, e.path, e.redacted));
    }
    let revocations = cfg.revoke.as_ref().map(|rc| revoke::run(rc, &findings, &cfg.root, &progress));
    let summary = Summary {
        stats,
        warnings: progress.warnings(),
        allowlisted: marked.len() as u64,
        path_allowlisted: by_path.len() as u64,
        baselined: baselined.len() as u64,
        baseline_stale: stale,
        started_at: cfg.now,
        elapsed: start.elapsed(),
        scan: report::html::scan_info(&cfg, &det.rules, progress.kept_warnings()),
        suppressed: report::suppressed(marked, by_path, baselined),
    };
    let rep = Report {
        findings: &findings,
        summary: &summary,
        rules: &det.rules,
        show_secrets: cfg.show_secrets,
        revocations: revocations.as_ref(),
    };
    ignore_broken_pipe(report::write(cfg.format, &rep, &mut out, cfg.color))
        .context("cannot write the report")?;
    out.commit()?;
    if cfg.output.is_some() {
        eprintln!("{}", report::text::summary_line(&rep));
    }
    let fails = findings.iter().any(|f| f.level >= cfg.fail_on);
    crate::progress::trace("done");
    Ok(if fails { Outcome::Found } else { Outcome::Clean })
}

/// The source stage: whichever the command names.
fn scan_source(cfg: &Config, det: &Detector, progress: &Progress) -> Result<(Vec<Finding>, source::Stats)> {
    Ok(match &cfg.mode {
        Mode::Dir { paths, no_ignore, follow } => {
            progress.spinner("scanning");
            let opts = source::fs::FsOptions {
                paths: paths.clone(),
                no_ignore: *no_ignore,
                follow: *follow,
                threads: cfg.threads,
            };
            source::fs::scan(det, &opts, cfg.now, progress)?
        }
        Mode::Git { repo, mode, max_blob_size, engine, include_unreachable } => {
            let opts = source::git::GitOptions {
                repo: repo.clone(),
                mode: mode.clone(),
                engine: *engine,
                max_blob_size: *max_blob_size,
                threads: cfg.threads,
                include_unreachable: *include_unreachable,
            };
            source::git::scan(det, &opts, cfg.now, progress)?
        }
        Mode::Stdin { name } => source::stdin::scan(det, name, cfg.now, progress),
        Mode::Rules => unreachable!("listed before any scan"),
    })
}

/// Standard output, or a file written whole: a temporary file beside the target,
/// renamed into place at the end, so a failed scan leaves no partial report.
enum Output {
    Stdout(io::StdoutLock<'static>),
    File { w: BufWriter<File>, tmp: PathBuf, dest: PathBuf },
}

impl Output {
    fn open(path: Option<&Path>) -> Result<Self> {
        let Some(dest) = path else {
            return Ok(Output::Stdout(io::stdout().lock()));
        };
        let name = dest.file_name().context("output path has no file name")?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".loftyscan-{}.tmp", std::process::id()));
        let tmp = dest.with_file_name(tmp_name);
        let file =
            File::create(&tmp).with_context(|| format!("cannot write report to '{}'", dest.display()))?;
        Ok(Output::File { w: BufWriter::new(file), tmp, dest: dest.to_path_buf() })
    }

    fn commit(&mut self) -> Result<()> {
        match self {
            Output::Stdout(s) => ignore_broken_pipe(s.flush()),
            Output::File { w, tmp, dest } => {
                w.flush().with_context(|| format!("cannot write report to '{}'", dest.display()))?;
                std::fs::rename(&*tmp, &*dest)
                    .with_context(|| format!("cannot write report to '{}'", dest.display()))
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(s) => s.write(buf),
            Output::File { w, .. } => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(s) => s.flush(),
            Output::File { w, .. } => w.flush(),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::File { tmp, .. } = self {
            let _ = std::fs::remove_file(tmp); // gone already after a successful rename
        }
    }
}

/// A closed pipe (`loftyscan dir . | head`) is not an error.
fn ignore_broken_pipe(r: io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
