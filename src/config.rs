//! Resolves the parsed command line (and `.loftyscan.toml`) into a [`Config`]: the scanned
//! root found, rule files loaded and validated, disabled rules dropped, format, thread
//! count, colour and progress decided, the clock read once.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, ColorChoice, Command, FailOn, Format};
use crate::detect::rules::{self, Rule};
use crate::finding::Level;
use crate::revoke::RevokeConfig;
use crate::source::git::{GitEngine, GitMode};

pub mod file;
use file::PathAllowlist;

pub enum Mode {
    Dir { paths: Vec<PathBuf>, no_ignore: bool, follow: bool },
    Git { repo: PathBuf, mode: GitMode, max_blob_size: u64, engine: GitEngine, include_unreachable: bool },
    Stdin { name: String },
    Rules,
}

pub struct Config {
    pub mode: Mode,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub rules: Vec<Rule>,
    pub show_secrets: bool,
    pub threads: usize,
    pub progress: bool,
    pub fail_on: Level,
    pub color: bool,
    /// Seconds since the epoch, read once: a token's `exp` at or before it is expired.
    pub now: i64,
    pub revoke: Option<RevokeConfig>,
    /// The scanned root: where paths are relative to, `.loftyscan.toml` is looked for and
    /// the revoke hook runs.
    pub root: PathBuf,
    pub allow_paths: PathAllowlist,
    pub baseline: Option<PathBuf>,
    pub baseline_out: Option<PathBuf>,
}

pub fn resolve(cli: Cli) -> Result<Config> {
    let c = cli.common;
    let mode = mode_of(cli.command);
    let root = root_of(&mode)?;
    let file = match (&c.config, c.no_config) {
        (Some(path), _) => Some(file::load(path)?),
        (None, false) if root.join(file::FILE_NAME).is_file() => {
            Some(file::load(&root.join(file::FILE_NAME))?)
        }
        _ => None,
    };
    let mut rules = rules::builtin()?;
    let from_file = file.iter().flat_map(|f| f.rules.iter().map(move |r| (r, Some(&f.source))));
    for (path, named_in) in from_file.chain(c.rules.iter().map(|r| (r, None))) {
        let text = std::fs::read_to_string(path).with_context(|| match named_in {
            Some(cfg) => format!("cannot read rule file '{}' (named in {})", path.display(), cfg.display()),
            None => format!("cannot read rule file '{}'", path.display()),
        })?;
        rules.extend(rules::parse(&path.display().to_string(), &text, false)?);
    }
    if let Some(f) = &file {
        disable(&mut rules, &f.disable, f)?;
    }
    let format = c.format.or(file.as_ref().and_then(|f| f.format)).unwrap_or(Format::Text);
    let threads =
        c.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match c.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => c.output.is_none() && !no_color_env && std::io::stdout().is_terminal(),
    };
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let revoke = c.revoke_hook.map(|cmd| RevokeConfig {
        cmd,
        timeout: std::time::Duration::from_secs_f64(c.revoke_timeout),
        dry_run: c.revoke_dry_run,
    });
    Ok(Config {
        revoke,
        mode,
        format,
        output: c.output,
        rules,
        show_secrets: c.show_secrets,
        threads,
        progress: !c.no_progress,
        fail_on: match c.fail_on {
            FailOn::Error => Level::Error,
            FailOn::Warning => Level::Warning,
        },
        color: color && format == Format::Text,
        now,
        root,
        allow_paths: file.map_or_else(PathAllowlist::none, |f| f.allow_paths),
        baseline: c.baseline,
        baseline_out: c.baseline_out,
    })
}

fn mode_of(command: Command) -> Mode {
    match command {
        Command::Dir(d) => Mode::Dir { paths: d.paths, no_ignore: d.no_ignore, follow: d.follow },
        Command::Git(g) => Mode::Git {
            repo: g.repo,
            mode: match (g.range, g.staged) {
                (Some(r), _) => GitMode::Range(r),
                (None, true) => GitMode::Staged,
                (None, false) => GitMode::History,
            },
            max_blob_size: g.max_blob_size,
            engine: g.git_engine,
            include_unreachable: g.include_unreachable,
        },
        Command::Stdin(s) => Mode::Stdin { name: s.name },
        Command::Rules => Mode::Rules,
    }
}

/// The scanned root: the one directory scanned, the repository's work tree (its git
/// directory when bare), else the current directory.
fn root_of(mode: &Mode) -> Result<PathBuf> {
    Ok(match mode {
        Mode::Dir { paths, .. } if paths.len() == 1 && paths[0].is_dir() => paths[0].clone(),
        Mode::Git { repo, .. } => {
            let r = crate::source::git::open(repo)?;
            r.workdir().unwrap_or_else(|| r.path()).to_path_buf()
        }
        _ => PathBuf::from("."),
    })
}

/// Drop the rules the config file disables; an id no rule has is an error.
fn disable(rules: &mut Vec<Rule>, ids: &[String], f: &file::ConfigFile) -> Result<()> {
    for id in ids {
        if !rules.iter().any(|r| &r.info.id == id) {
            bail!("{}: disable: no rule has the id `{id}` (see `loftyscan rules`)", f.source.display());
        }
    }
    rules.retain(|r| !ids.contains(&r.info.id));
    Ok(())
}

/// A size with an optional K/M/G suffix (powers of 1024): `512K`, `64M`, `1G`, `1000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("'{s}' is not a size (e.g. 512K, 64M, 1G)"))
}

/// Seconds, more than 0 and at most a day (fractions allowed: `0.5`).
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds between 0 and 86400")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("64M"), Ok(64 << 20));
        assert_eq!(super::parse_size("1g"), Ok(1 << 30));
        assert_eq!(super::parse_size("1000"), Ok(1000));
        assert!(super::parse_size("lots").is_err());
        assert!(super::parse_size("M").is_err());
    }
}
