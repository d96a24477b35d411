//! Resolves the parsed command line (and `.loftyscan.toml`) into a [`Config`]: the scanned
//! root found, rule files loaded and validated, disabled rules dropped, format, thread
//! count, colour and progress decided, the clock read once.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, ColorChoice, Command, Common, FailOn, Format};
use crate::detect::rules::{self, Rule};
use crate::finding::Level;
use crate::revoke::RevokeConfig;
use crate::safe;
use crate::source::git::open::Opened;
use crate::source::git::{GitEngine, GitMode};
use crate::verify::VerifyConfig;

pub mod file;
pub mod trust;
use file::PathAllowlist;

/// What the command scans, resolved from its subcommand and flags.
pub enum Mode {
    /// `dir`: files and directories on disk.
    Dir {
        /// Files or directories to scan (default `.`).
        paths: Vec<PathBuf>,
        /// `--no-ignore`: also scan what `.gitignore`, `.ignore` and git's excludes leave out.
        no_ignore: bool,
        /// `-L`/`--follow`: follow symbolic links.
        follow: bool,
        /// `--max-target-megabytes` in bytes (MiB × 2^20): larger files are skipped, counted.
        max_size: Option<u64>,
    },
    /// `git`: a repository's history, a commit range, the staged changes or a push.
    Git {
        /// The repository (`--repo`); `None`: found from the current directory.
        repo: Option<PathBuf>,
        /// Whole history, `--range`, `--staged` or `--pre-receive`.
        mode: GitMode,
        /// `--max-blob-size` in bytes: larger blobs are skipped with a counted warning.
        max_blob_size: u64,
        /// `--git-engine`: how a whole-history scan reads blobs.
        engine: GitEngine,
        /// `--include-unreachable`: also scan blobs no ref reaches.
        include_unreachable: bool,
        /// `--since`/`--branch` (whole history only).
        limits: crate::source::git::limits::Limits,
    },
    /// `stdin`: standard input, read to its end.
    Stdin {
        /// The path findings are reported under (`--name`, default `stdin`).
        name: String,
    },
    /// `rules`: list the active rules; nothing is scanned.
    Rules,
}

/// Everything a run needs, resolved once from the command line, the config file and the
/// environment.
pub struct Config {
    /// What to scan.
    pub mode: Mode,
    /// Report format: `--format`, else the config file's `format`, else text.
    pub format: Format,
    /// `-o FILE`: where the report goes; `None`: standard output.
    pub output: Option<PathBuf>,
    /// The built-in rules, then those of the config file and `--rules` (the first
    /// [`Config::active_rules`] are active).
    pub rules: Vec<Rule>,
    /// `--show-secrets`: reports print raw secrets instead of redacted ones.
    pub show_secrets: bool,
    /// Worker threads: `-j N`, else the CPUs, at most [`max_threads`].
    pub threads: usize,
    /// Progress on stderr (off under `--no-progress` or `-q`).
    pub progress: bool,
    /// `-q`: no summary line on stderr.
    pub quiet: bool,
    /// The lowest level that makes the exit status 1 (`--fail-on`).
    pub fail_on: Level,
    /// ANSI colours in the text report (`--color`; `auto`: standard output is a terminal and
    /// `NO_COLOR` is unset).
    pub color: bool,
    /// Seconds since the epoch, read once: a token's `exp` at or before it is expired.
    pub now: i64,
    /// `--revoke-hook`/`--revoke-dry-run`: the command live keys are handed to; `None`: no hook.
    pub revoke: Option<RevokeConfig>,
    /// `--verify`: where and how long to ask the vendors; `None`: no network, ever.
    pub verify: Option<VerifyConfig>,
    /// The scanned root: where paths are relative to, `.loftyscan.toml` is looked for and
    /// the revoke hook runs.
    pub root: PathBuf,
    /// The config file's `allowlist.paths`: findings at matching paths are suppressed.
    pub allow_paths: PathAllowlist,
    /// `--baseline`: known findings to suppress, and where they are read from.
    pub baseline: Option<BaselineSource>,
    /// `--baseline-out FILE`: where to write a baseline of this run's findings.
    pub baseline_out: Option<PathBuf>,
    /// `rules[..active_rules]` are active; the rest are disabled by the config file (they
    /// still run, so what they would have reported is counted as suppressed).
    pub active_rules: usize,
    /// Ids of the rules the config file disables.
    pub disabled: Vec<String>,
    /// In `--range`/`--staged`: where the settings were read ("base commit …", "HEAD").
    pub settings_from: Option<String>,
    /// Settings files the range (or the index) changes: reported in every format.
    pub settings_changes: Vec<trust::SettingsChange>,
    /// `git`: the repository, opened once (settings, the root and the scan read it).
    pub repo: Option<Opened>,
}

/// Where `--baseline` is read from.
pub enum BaselineSource {
    /// The file as given (not tracked in the repository, or not a change-based scan).
    File(PathBuf),
    /// A tracked baseline as it is in the trusted base.
    Text {
        /// The baseline's repository-relative path, naming it in messages.
        name: String,
        /// Its content in the base.
        text: String,
    },
    /// A tracked baseline the base does not have: it suppresses nothing.
    NotInBase,
}

/// Resolve the parsed command line into a [`Config`]: reads the config file (for
/// `--range`/`--staged`, the trusted base's settings), parses the rule files, and opens a
/// `git` scan's repository once.
pub fn resolve(cli: Cli) -> Result<Config> {
    let c = cli.common;
    let mode = mode_of(cli.command)?;
    // The one place a repository is opened: settings, the root and the scan all read it.
    let opened = match &mode {
        Mode::Git { repo, .. } => Some(crate::source::git::open::open(repo.as_deref())?),
        _ => None,
    };
    let root = root_of(&mode, opened.as_ref());
    let mut base = match (&mode, &opened) {
        (Mode::Git { mode: gm, .. }, Some(o)) => {
            let read_config = c.config.is_none() && !c.no_config;
            trust::from_base(&o.repo, gm, read_config, c.baseline.as_deref())?
        }
        _ => None,
    };
    let file = match (&c.config, c.no_config, base.as_mut()) {
        (Some(path), _, _) => Some(file::load(path)?),
        (None, true, _) => None,
        (None, false, Some(b)) => b.file.take(),
        (None, false, None) => disk_config(&root)?,
    };
    let texts = rule_texts(&c, base.as_mut(), file.as_ref(), &root)?;
    let (rules, disabled) = rules_of(&texts, file.as_ref())?;
    let active_rules = rules.len() - disabled.len();
    let baseline = baseline_source(c.baseline.clone(), base.as_mut());
    let (settings_from, settings_changes) = base.map_or((None, Vec::new()), |b| (Some(b.from), b.changes));
    let format = c.format.or(file.as_ref().and_then(|f| f.format)).unwrap_or(Format::Text);
    let threads = threads(c.threads);
    let color = color_of(c.color, c.output.is_some());
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let (revoke, verify) = actions(&c)?;
    Ok(Config {
        revoke,
        verify,
        mode,
        format,
        output: c.output,
        rules,
        show_secrets: c.show_secrets,
        threads,
        progress: !c.no_progress && !c.quiet,
        quiet: c.quiet,
        fail_on: match c.fail_on {
            FailOn::Error => Level::Error,
            FailOn::Warning => Level::Warning,
        },
        color: color && format == Format::Text,
        now,
        root,
        allow_paths: file.map_or_else(PathAllowlist::none, |f| f.allow_paths),
        baseline,
        baseline_out: c.baseline_out,
        active_rules,
        disabled,
        settings_from,
        settings_changes,
        repo: opened,
    })
}

/// The rule files' texts, as (shown name, text): the trusted base's in CI (unless
/// `--config`), else the config file's (confined to the repository), then `--rules`.
fn rule_texts(
    c: &Common,
    base: Option<&mut trust::BaseSettings>,
    file: Option<&file::ConfigFile>,
    root: &Path,
) -> Result<Vec<(String, String)>> {
    let mut texts: Vec<(String, String)> = Vec::new();
    match (base, file) {
        (Some(b), _) if c.config.is_none() => texts.append(&mut b.rules),
        (_, Some(f)) => {
            for path in &f.rules {
                texts.push((safe::shown(path), confined_rule_file(path, f, root)?));
            }
        }
        _ => {}
    }
    for path in &c.rules {
        texts.push((safe::shown(path), safe::read_capped(path, "rule file", safe::SETTINGS_CAP)?));
    }
    Ok(texts)
}

/// The built-in rules, then those of `texts`; the config file's `disable` list applied
/// (the disabled rule ids are returned, their rules moved to the end).
fn rules_of(texts: &[(String, String)], file: Option<&file::ConfigFile>) -> Result<(Vec<Rule>, Vec<String>)> {
    let mut rules = rules::builtin()?;
    for (name, text) in texts {
        rules.extend(rules::parse(name, text, false)?);
    }
    let disabled = match file {
        Some(f) => disable(&mut rules, &f.disable, f)?,
        None => Vec::new(),
    };
    Ok((rules, disabled))
}

/// What runs after the scan: `--revoke-hook` (or its dry run) and `--verify`.
fn actions(c: &Common) -> Result<(Option<RevokeConfig>, Option<VerifyConfig>)> {
    // `--revoke-dry-run` alone previews what any hook would get; it never runs a command.
    let revoke = (c.revoke_hook.is_some() || c.revoke_dry_run).then(|| RevokeConfig {
        cmd: c.revoke_hook.clone().unwrap_or_default(),
        timeout: std::time::Duration::from_secs_f64(c.revoke_timeout),
        dry_run: c.revoke_dry_run,
    });
    let verify = c
        .verify
        .then(|| {
            VerifyConfig::from_env(std::time::Duration::from_secs_f64(c.verify_timeout), c.only_verified)
        })
        .transpose()?;
    Ok((revoke, verify))
}

/// Where `--baseline` is read from: the trusted base's copy in CI, else the file named.
fn baseline_source(asked: Option<PathBuf>, base: Option<&mut trust::BaseSettings>) -> Option<BaselineSource> {
    match (asked, base.and_then(|b| b.baseline.take())) {
        (None, _) => None,
        (Some(_), Some(Some((name, text)))) => Some(BaselineSource::Text { name, text }),
        (Some(_), Some(None)) => Some(BaselineSource::NotInBase),
        (Some(path), None) => Some(BaselineSource::File(path)),
    }
}

/// Colour on: `--color always`, or `auto` on a terminal standard output without `NO_COLOR`.
fn color_of(choice: ColorChoice, to_file: bool) -> bool {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !to_file && !no_color_env && std::io::stdout().is_terminal(),
    }
}

fn mode_of(command: Command) -> Result<Mode> {
    Ok(match command {
        Command::Dir(d) => Mode::Dir {
            paths: d.paths,
            no_ignore: d.no_ignore,
            follow: d.follow,
            max_size: d.max_target_megabytes.map(|mb| mb.saturating_mul(1 << 20)),
        },
        Command::Git(g) => Mode::Git {
            repo: g.repo,
            mode: match (g.range, g.staged, g.pre_receive) {
                (_, _, true) => GitMode::PreReceive(std::sync::Arc::new(crate::prereceive::Push::read(
                    crate::prereceive::Server {
                        remediation: g.remediation,
                        allow_bypass: g.allow_bypass,
                        audit_log: g.audit_log,
                    },
                )?)),
                (Some(r), _, _) => GitMode::Range(r),
                (None, true, _) => GitMode::Staged,
                (None, false, _) => GitMode::History,
            },
            max_blob_size: g.max_blob_size,
            engine: g.git_engine,
            include_unreachable: g.include_unreachable,
            limits: crate::source::git::limits::Limits { since: g.since, branches: g.branches },
        },
        Command::Stdin(s) => Mode::Stdin { name: s.name },
        // `version`, `completions` and `man` are answered in main (crate::docs).
        Command::Rules | Command::Version | Command::Completions { .. } | Command::Man => Mode::Rules,
    })
}

/// The scanned root: the one directory scanned, the repository's work tree (its git
/// directory when bare), else the current directory.
fn root_of(mode: &Mode, opened: Option<&Opened>) -> PathBuf {
    match (mode, opened) {
        (Mode::Dir { paths, .. }, _) if paths.len() == 1 && paths[0].is_dir() => paths[0].clone(),
        (Mode::Git { mode, .. }, Some(Opened { repo: r, .. })) => {
            match mode {
                // Server side: the git directory, never a work tree pushed content reaches.
                GitMode::PreReceive(_) => r.path().to_path_buf(),
                _ => r.workdir().unwrap_or_else(|| r.path()).to_path_buf(),
            }
        }
        _ => PathBuf::from("."),
    }
}

/// Move the rules the config file disables to the end and give their ids; an id no rule
/// has is an error (named only when it is a plain id).
fn disable(rules: &mut [Rule], ids: &[String], f: &file::ConfigFile) -> Result<Vec<String>> {
    for id in ids {
        if !rules.iter().any(|r| &r.info.id == id) {
            let shown = if safe::plain_key(id) { format!("`{id}`") } else { "given".to_string() };
            bail!("{}: disable: no rule has the id {shown} (see `loftyscan rules`)", safe::shown(&f.source));
        }
    }
    rules.sort_by_key(|r| ids.contains(&r.info.id));
    Ok(rules.iter().filter(|r| ids.contains(&r.info.id)).map(|r| r.info.id.clone()).collect())
}

/// `.loftyscan.toml` in the root, if it is there: a regular file inside the root once
/// links are resolved (a link out of the tree is an error, not a quiet read).
fn disk_config(root: &Path) -> Result<Option<file::ConfigFile>> {
    let path = root.join(file::FILE_NAME);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    inside(&path, &[root], "config")?;
    Ok(Some(file::load(&path)?))
}

/// A rule file a config file names: a regular file inside the scanned root or the config
/// file's own directory (after resolving links), read up to the size cap.
fn confined_rule_file(path: &Path, f: &file::ConfigFile, root: &Path) -> Result<String> {
    let named_in = safe::shown(&f.source);
    let cfg_dir = f.source.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    inside(path, &[root, cfg_dir], "rule file").with_context(|| format!("named in {named_in}"))?;
    safe::read_capped(path, "rule file", safe::SETTINGS_CAP).with_context(|| format!("named in {named_in}"))
}

/// `path`, links resolved, is a regular file under one of `dirs` (also resolved).
fn inside(path: &Path, dirs: &[&Path], what: &str) -> Result<()> {
    let shown = safe::shown(path);
    let real =
        std::fs::canonicalize(path).map_err(|e| anyhow::anyhow!("cannot read {what} '{shown}': {e}"))?;
    let ok = dirs.iter().filter_map(|d| std::fs::canonicalize(d).ok()).any(|d| real.starts_with(d));
    if !ok {
        bail!("{what} '{shown}' is outside the scanned root (after resolving links): not read");
    }
    if !std::fs::metadata(&real).is_ok_and(|m| m.is_file()) {
        bail!("{what} '{shown}' is not a regular file: not read");
    }
    Ok(())
}

/// Most worker threads `-j` gets: 4× the CPUs, at most 256 (more only costs memory and
/// thread start-up, and thousands of threads fail to spawn).
pub fn max_threads(cpus: usize) -> usize {
    (cpus.saturating_mul(4)).clamp(1, 256)
}

/// `-j N` (default: the CPUs), clamped to [`max_threads`] with a note on stderr.
fn threads(asked: Option<u16>) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Some(n) = asked.map(usize::from) else { return cpus.min(max_threads(cpus)) };
    let max = max_threads(cpus);
    if n > max {
        crate::guard::eprint_line(&format!(
            "loftyscan: note: -j {n} is over the ceiling of {max} (4 x {cpus} CPUs, at most 256): using {max}"
        ));
        return max;
    }
    n
}
