//! `loftyscan git --pre-receive`: push protection as a git server's `pre-receive` hook.
//!
//! Takes git's hook input (ref updates on standard input, push options and the pusher in
//! the environment) and the server's settings (command-line flags in the hook script, never
//! anything from the pushed content); after the scan (`source::git::prereceive`), gives the
//! verdict: a short redacted message on stderr (git relays it to the pusher as `remote:`
//! lines) and [`Outcome::Found`] (exit 1: git rejects the push) or [`Outcome::Clean`]. A
//! bypass (`git push -o loftyscan.skip`) is honoured only where the server allows it, and
//! is written to stderr and the audit log first: if the log cannot be written, the bypass
//! is refused.

pub(crate) mod input;
mod message;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};

use crate::finding::{Finding, Level};
use crate::vocab::Outcome;
use input::{PushOptions, RefUpdate};

/// The server's settings (flags in the hook script).
#[derive(Clone, Debug, Default)]
pub struct Server {
    /// A line added to every rejection (where to report a leak, who to ask).
    pub remediation: Option<String>,
    /// Whether `-o loftyscan.skip` is honoured (off unless the server turns it on).
    pub allow_bypass: bool,
    /// Append each bypass to this file as a JSON line.
    pub audit_log: Option<PathBuf>,
}

/// One push, as git described it to the hook.
#[derive(Debug)]
pub struct Push {
    pub updates: Vec<RefUpdate>,
    pub options: PushOptions,
    /// Who pushed, and the environment variable that said so.
    pub pusher: (String, &'static str),
    pub server: Server,
    /// Filled by the scan: the index of the update that first brought each commit (by id).
    pub introduced: OnceLock<HashMap<String, usize>>,
}

impl Push {
    /// Read the hook's standard input and environment.
    pub fn read(server: Server) -> Result<Push> {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            anyhow::bail!(
                "--pre-receive reads git's `<old> <new> <ref>` lines on standard input (run it as a pre-receive hook)"
            );
        }
        let updates =
            input::read_updates(std::io::stdin().lock()).context("cannot read the pre-receive input")?;
        let env = |k: &str| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned());
        Ok(Push {
            updates,
            options: input::push_options(&env),
            pusher: input::pusher(&env),
            server,
            introduced: OnceLock::new(),
        })
    }

    /// The ref whose update brought `commit`, escaped for printing.
    fn ref_of(&self, f: &Finding) -> String {
        let id = match &f.provenance {
            crate::finding::Provenance::Git { commit } => commit.id.as_str(),
            _ => "",
        };
        let i = self.introduced.get().and_then(|m| m.get(id));
        i.and_then(|&i| self.updates.get(i)).map_or_else(String::new, RefUpdate::name_escaped)
    }
}

/// The verdict on a scanned push: `findings` are those left after every suppression;
/// those at `fail_on` or above block it.
pub(crate) fn verdict(
    push: &Push,
    findings: &[Finding],
    fail_on: Level,
    repo: &Path,
    now: i64,
) -> Result<Outcome> {
    let blocking: Vec<&Finding> = findings.iter().filter(|f| f.level >= fail_on).collect();
    let mut err = std::io::stderr().lock();
    if push.options.skip && push.server.allow_bypass {
        let line = message::audit_line(push, &blocking, repo, now);
        if let Some(path) = &push.server.audit_log {
            append(path, &line).with_context(|| {
                format!(
                    "cannot write the audit log '{}': bypass refused",
                    crate::finding::escape_bytes(path.as_os_str().as_encoded_bytes())
                )
            })?;
        }
        let _ = writeln!(err, "{}", message::bypassed(push, blocking.len()));
        let _ = writeln!(err, "loftyscan: audit: {line}");
        return Ok(Outcome::Clean);
    }
    if blocking.is_empty() {
        return Ok(Outcome::Clean);
    }
    let _ = err.write_all(message::rejection(push, &blocking).as_bytes());
    Ok(Outcome::Found)
}

/// Append `line` and a newline with one write (`O_APPEND`: lines from concurrent pushes
/// do not interleave).
fn append(path: &Path, line: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(format!("{line}\n").as_bytes())?;
    f.sync_data()
}
