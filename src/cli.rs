//! Command line, as clap derive types only; `config.rs` resolves it into a `Config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "loftyscan",
    version,
    about = "Find Trust Leads (lfk_sk_) and Lofty API keys in files, standard input and git history",
    after_help = "Exit status: 0 no live key found, 1 a finding at the --fail-on level, 2 error."
)]
/// The parsed command line: a subcommand and the flags every subcommand takes.
pub struct Cli {
    /// What to do: scan a directory, a repository or stdin, or print something.
    #[command(subcommand)]
    pub command: Command,
    /// Flags every subcommand takes (`--format`, `-o`, `--rules`, ...).
    #[command(flatten)]
    pub common: Common,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files on disk (hidden files included, .git/ left out, .gitignore honoured)
    Dir(DirArgs),
    /// Scan a git repository: its whole history, a commit range (CI) or the staged changes (pre-commit)
    Git(GitArgs),
    /// Scan standard input
    Stdin(StdinArgs),
    /// List the active rules (built-in and --rules files)
    Rules,
    /// Print loftyscan's version
    Version,
    /// Print a shell completion script (e.g. `loftyscan completions bash > ~/.local/share/bash-completion/completions/loftyscan`)
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output (e.g. `loftyscan man | man -l -`)
    Man,
}

/// `dir`'s arguments.
#[derive(Args, Debug)]
pub struct DirArgs {
    /// Files or directories to scan
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Scan files that .gitignore, .ignore and git's excludes would leave out
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links
    #[arg(short = 'L', long)]
    pub follow: bool,
    /// Skip files larger than MB megabytes (MiB), with a counted warning (as gitleaks)
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_target_megabytes: Option<u64>,
}

/// `git`'s arguments.
#[derive(Args, Debug)]
pub struct GitArgs {
    /// The repository, bare or not (or any directory inside it); default: the one git's
    /// environment names (GIT_DIR, GIT_INDEX_FILE, ... as in a git hook), else `.`
    pub repo: Option<PathBuf>,
    /// Only secrets added by commits reachable from B and not from A (CI: "$BASE..$HEAD")
    #[arg(long, value_name = "A..B", conflicts_with = "staged")]
    pub range: Option<String>,
    /// Only secrets added by the staged changes, read from the index (pre-commit)
    #[arg(long)]
    pub staged: bool,
    /// Push protection: run as a git server's pre-receive hook (ref updates on standard
    /// input); reject (exit 1) a push whose commits add a secret
    #[arg(long, conflicts_with_all = ["range", "staged"])]
    pub pre_receive: bool,
    /// Pre-receive: a line added to every rejection message (who to contact, a policy link)
    #[arg(long, value_name = "TEXT", requires = "pre_receive")]
    pub remediation: Option<String>,
    /// Pre-receive: honour `git push -o loftyscan.skip` (accept and log); off by default
    #[arg(long, requires = "pre_receive")]
    pub allow_bypass: bool,
    /// Pre-receive: append each bypass to FILE as a JSON line (who, when, refs, redacted findings)
    #[arg(long, value_name = "FILE", requires = "pre_receive")]
    pub audit_log: Option<PathBuf>,
    /// Blobs larger than this are skipped with a counted warning (e.g. 512K, 64M, 1G)
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_blob_size: u64,
    /// Whole history: `pack` decodes every pack in pack order (fast), `odb` reads each
    /// reachable blob by id (also notices reachable objects that are missing)
    #[arg(long, value_enum, default_value = "auto")]
    pub git_engine: crate::source::git::GitEngine,
    /// Whole history: also report secrets in blobs no ref reaches (dangling after a
    /// force-push or a dropped stash), with the blob id as their provenance
    #[arg(long, conflicts_with_all = ["range", "staged"])]
    pub include_unreachable: bool,
    /// Whole history: only commits whose committer date is at or after DATE (YYYY-MM-DD,
    /// midnight UTC, or RFC 3339 such as 2024-05-01T12:00:00+02:00); as gitleaks'
    /// `--log-opts=--since=DATE`
    #[arg(long, value_name = "DATE", value_parser = crate::source::git::limits::parse_since,
          conflicts_with_all = ["range", "staged", "pre_receive", "include_unreachable"])]
    pub since: Option<(i64, String)>,
    /// Whole history: only the commits REF reaches (a branch, tag or commit), instead of
    /// every ref; repeatable; as gitleaks' `--log-opts=REF`
    #[arg(long = "branch", value_name = "REF",
          conflicts_with_all = ["range", "staged", "pre_receive", "include_unreachable"])]
    pub branches: Vec<String>,
}

/// `stdin`'s arguments.
#[derive(Args, Debug)]
pub struct StdinArgs {
    /// Name to report findings under
    #[arg(long, default_value = "stdin")]
    pub name: String,
}

/// Flags every subcommand takes (`global = true`).
#[derive(Args, Debug)]
pub struct Common {
    /// Report format (default: text, or the config file's `format`)
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output
    #[arg(short = 'o', long, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add the rules in FILE (TOML, the format of rules/*.toml); repeatable
    #[arg(long = "rules", global = true, value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Read settings from FILE (default: .loftyscan.toml in the scanned root, if present)
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any .loftyscan.toml
    #[arg(long, global = true)]
    pub no_config: bool,
    /// Suppress the findings listed in FILE (written by --baseline-out)
    #[arg(long, global = true, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding's identity to FILE (never a secret; sorted, no timestamps)
    #[arg(long, global = true, value_name = "FILE")]
    pub baseline_out: Option<PathBuf>,
    /// Print secrets in full instead of redacted
    #[arg(long, global = true)]
    pub show_secrets: bool,
    /// Worker threads (default: the number of CPUs)
    #[arg(short = 'j', long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Never show a progress bar (it is shown only when stderr is a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Lowest level that makes the exit status 1
    #[arg(long, global = true, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Run CMD (through `sh -c`, in the scanned root) once per unique live key found; it gets
    /// one JSON object on standard input and exits 0 when it revoked the key
    #[arg(long, global = true, value_name = "CMD")]
    pub revoke_hook: Option<String>,
    /// Seconds a revoke hook may run before its process group is killed
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30.0,
          value_parser = parse_seconds)]
    pub revoke_timeout: f64,
    /// Show (redacted) what a revoke hook would receive, and call nothing (no hook needed)
    #[arg(long, global = true)]
    pub revoke_dry_run: bool,
    /// Exit status when a finding at the --fail-on level is reported (0 never fails; 2 is
    /// kept for errors)
    #[arg(long, global = true, value_name = "N", default_value_t = 1, value_parser = parse_exit_code)]
    pub exit_code: u8,
    /// Accepted for gitleaks compatibility: secrets are always redacted unless --show-secrets
    #[arg(long, global = true, conflicts_with = "show_secrets")]
    pub redact: bool,
    /// No progress bar and no summary line on stderr (warnings still show)
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Phase timings and peak memory on stderr (as LOFTYSCAN_TRACE=1)
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
    /// Ask each live key's vendor whether it still works: sends every unique live Trust Leads
    /// and Lofty key found to that vendor's API (off by default: no network connection without it)
    #[arg(long, global = true)]
    pub verify: bool,
    /// Seconds --verify may spend on one key (the request, a rate-limit wait, one retry)
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10.0,
          value_parser = parse_seconds, requires = "verify")]
    pub verify_timeout: f64,
    /// Report only the findings whose key the vendor confirmed live (needs --verify)
    #[arg(long, global = true, requires = "verify")]
    pub only_verified: bool,
    /// Colour in text output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

fn parse_exit_code(s: &str) -> Result<u8, String> {
    match s.parse::<u8>() {
        Ok(2) => Err("2 is loftyscan's exit status for errors".into()),
        Ok(n) if n <= 125 => Ok(n),
        _ => Err(format!("'{s}' is not an exit status between 0 and 125")),
    }
}

// `help = None`: a variant's doc comment is for the code's reader; clap would show it in
// --help, the man page and completions, which stay as they were.
/// `--format`: the report format (also the config file's `format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable, with colours on a terminal.
    #[value(help = None::<&str>)]
    Text,
    /// loftyscan's JSON report.
    #[value(help = None::<&str>)]
    Json,
    /// SARIF 2.1.0.
    #[value(help = None::<&str>)]
    Sarif,
    /// GitLab's secret-detection report (gl-secret-detection-report.json)
    Gitlab,
    /// A self-contained HTML audit report (one file, offline, no raw secret)
    Html,
}

/// `--fail-on`: the lowest level that makes the exit status 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only error-level findings fail the run.
    #[value(help = None::<&str>)]
    Error,
    /// Warning-level findings (expired tokens included) fail it too.
    #[value(help = None::<&str>)]
    Warning,
}

/// `--color`: ANSI colours in the text report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is unset.
    #[value(help = None::<&str>)]
    Auto,
    /// Always, even into a file or pipe.
    #[value(help = None::<&str>)]
    Always,
    /// Never.
    #[value(help = None::<&str>)]
    Never,
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
