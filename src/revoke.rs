//! The revoke hook runner: hands each unique live secret to the team's command.
//!
//! Takes the reportable findings and the hook settings; gives one [`Revocation`] per
//! secret (by SHA-256), which the reports attach to every finding of that secret. It never
//! changes a finding. With `--verify`, a key its vendor called invalid is never handed on,
//! and the hook's input carries the verification result. The command runs through `sh -c` in the scanned root, one at a time,
//! with one JSON object on standard input (the only place the raw secret goes: never the
//! arguments or the environment). A hook that outlives `--revoke-timeout` is killed with
//! its whole process group. Its output is read up to a bound; the first line of its
//! standard output is the message, with the secret redacted should the hook echo it.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::finding::{Finding, Provenance};
use crate::progress::Progress;
use crate::verify::{self, Verification, Verifications};

/// Output kept from a hook, per stream.
const OUTPUT_LIMIT: usize = 64 * 1024;
/// How long output is still read once the hook has exited (a daemon it started may hold
/// its pipes open for ever).
const EXIT_GRACE: Duration = Duration::from_millis(200);

pub struct RevokeConfig {
    pub cmd: String,
    pub timeout: Duration,
    pub dry_run: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Revoked,
    Failed,
    Skipped,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Revoked => "revoked",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Revocation {
    pub status: Status,
    pub message: String,
}

/// Would the hook get this finding? Live keys of the revocable families only.
pub(crate) fn wants(f: &Finding) -> bool {
    f.rule.revocable && f.expired != Some(true) && !f.allowed
}

/// Run the hook once per unique live secret, in report order, never for a key `--verify`
/// found invalid. Keyed by secret SHA-256.
pub(crate) fn run(
    cfg: &RevokeConfig,
    findings: &[Finding],
    verified: Option<&Verifications>,
    cwd: &Path,
    progress: &Progress,
) -> HashMap<[u8; 32], Revocation> {
    let verification = |f: &Finding| verified.and_then(|v| verify::of(v, f));
    let invalid = |f: &Finding| verification(f).is_some_and(|v| v.status == verify::Status::Invalid);
    let mut by_secret: BTreeMap<&[u8], Vec<&Finding>> = BTreeMap::new();
    let mut order = Vec::new();
    for f in findings.iter().filter(|f| wants(f) && !invalid(f)) {
        let slot = by_secret.entry(f.secret.expose()).or_default();
        if slot.is_empty() {
            order.push(f.secret.expose());
        }
        slot.push(f);
    }
    let mut out = HashMap::new();
    for secret in order {
        let group = &by_secret[secret];
        let first = group[0];
        let result = if cfg.dry_run {
            let shown = payload(group, &first.redacted, None, verification(first));
            progress.note(&format!("revoke hook (dry run) would receive: {}", shown.trim_end()));
            Revocation { status: Status::Skipped, message: "dry run: hook not called".into() }
        } else {
            let input =
                payload(group, &first.secret.expose_str(), Some(first.secret.expose()), verification(first));
            let r = call(cfg, cwd, &input, first);
            if r.status == Status::Failed {
                progress.warn(&format!("revoke hook failed for {}: {}", first.redacted, r.message));
            }
            r
        };
        out.insert(first.sha256, result);
    }
    out
}

/// The hook's standard input: one JSON object, on one line ending in a newline (so a
/// shell's `read -r line` succeeds). `secret` is the key as text (invalid UTF-8 replaced);
/// `secret_base64` carries its exact bytes, whose SHA-256 is `secret_sha256`.
#[derive(Serialize)]
struct HookInput<'a> {
    rule_id: &'a str,
    secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_base64: Option<String>,
    secret_sha256: String,
    redacted: &'a str,
    locations: Vec<HookLocation<'a>>,
    /// Present when `--verify` ran: what the vendor said about the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
}

#[derive(Serialize)]
struct HookLocation<'a> {
    path: String,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

fn payload(
    group: &[&Finding],
    secret: &str,
    raw: Option<&[u8]>,
    verification: Option<&Verification>,
) -> String {
    use base64::Engine;
    let first = group[0];
    let locations = group
        .iter()
        .map(|f| HookLocation {
            path: f.shown_path(),
            line: f.location.line,
            commit: match &f.provenance {
                Provenance::Git { commit } => Some(commit.id.as_str()),
                _ => None,
            },
        })
        .collect();
    let input = HookInput {
        rule_id: &first.rule.id,
        secret,
        secret_base64: raw.map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
        secret_sha256: first.sha256_hex(),
        redacted: &first.redacted,
        locations,
        verification,
    };
    serde_json::to_string(&input).expect("plain data serializes") + "\n"
}

fn call(cfg: &RevokeConfig, cwd: &Path, input: &str, f: &Finding) -> Revocation {
    let spawned = Command::new("sh")
        .arg("-c")
        .arg(&cfg.cmd)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start `sh -c`: {e}")),
    };
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.as_bytes().to_vec();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input); // a hook may exit without reading: not an error
    });
    let (tx, rx) = mpsc::channel();
    let kept = [Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new()))];
    for (stream, buf) in
        [child.stdout.take().map(box_read), child.stderr.take().map(box_read)].into_iter().zip(&kept)
    {
        let (tx, buf, mut stream) = (tx.clone(), buf.clone(), stream.expect("piped"));
        std::thread::spawn(move || {
            read_bounded(&mut stream, &buf);
            let _ = tx.send(());
        });
    }
    let outcome = wait(&mut child, cfg.timeout);
    // Output is read as it comes; once the hook has exited, a daemon it left holding the
    // pipes costs at most this grace, not the rest of its life.
    let grace = Instant::now() + EXIT_GRACE;
    for _ in 0..2 {
        if rx.recv_timeout(grace.saturating_duration_since(Instant::now())).is_err() {
            break;
        }
    }
    let output = kept.map(|b| b.lock().unwrap_or_else(|p| p.into_inner()).clone());
    let first_line = |b: &[u8]| redacted_line(b, f);
    match outcome {
        Waited::Exited(0) => Revocation { status: Status::Revoked, message: first_line(&output[0]) },
        Waited::Exited(code) => {
            let why = Some(first_line(&output[0]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| first_line(&output[1]));
            failed(format!(
                "exit status {code}{}",
                if why.is_empty() { String::new() } else { format!(": {why}") }
            ))
        }
        Waited::Signalled => failed("killed by a signal".into()),
        Waited::TimedOut => {
            failed(format!("timed out after {} s; its process group was killed", cfg.timeout.as_secs_f64()))
        }
        Waited::Error(e) => failed(format!("cannot wait for the hook: {e}")),
    }
}

fn box_read<R: Read + Send + 'static>(r: R) -> Box<dyn Read + Send> {
    Box::new(r)
}

fn failed(message: String) -> Revocation {
    Revocation { status: Status::Failed, message }
}

enum Waited {
    Exited(i32),
    Signalled,
    TimedOut,
    Error(std::io::Error),
}

/// Wait up to `timeout`; past it, SIGKILL the hook's whole process group.
fn wait(child: &mut Child, timeout: Duration) -> Waited {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                kill_group(child); // leftovers it started in the background
                return status.code().map_or(Waited::Signalled, Waited::Exited);
            }
            Ok(None) if Instant::now() >= deadline => {
                kill_group(child);
                let _ = child.wait();
                return Waited::TimedOut;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Waited::Error(e),
        }
    }
}

#[cfg(unix)]
#[allow(unsafe_code)] // the one unsafe block below; its SAFETY note says why it is sound
fn kill_group(child: &mut Child) {
    // SAFETY: killpg has no memory effects; the group id is the child's pid (process_group(0)).
    unsafe {
        libc::killpg(child.id() as libc::pid_t, libc::SIGKILL);
    }
}

/// Elsewhere (Windows) there are no process groups: the hook's own process is killed; a
/// grandchild that holds its pipes is waited for only up to the grace period in [`call`].
#[cfg(not(unix))]
fn kill_group(child: &mut Child) {
    let _ = child.kill(); // an error here means it has already exited
}

/// Without process groups, `process_group` is a no-op (see [`kill_group`]).
#[cfg(not(unix))]
trait CommandExt {
    fn process_group(&mut self, pgroup: i32) -> &mut Self;
}

#[cfg(not(unix))]
impl CommandExt for Command {
    fn process_group(&mut self, _pgroup: i32) -> &mut Self {
        self
    }
}

/// Read everything (so the writer never blocks), keeping the first [`OUTPUT_LIMIT`] bytes
/// in `kept` as they arrive.
fn read_bounded(r: &mut dyn Read, kept: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
        let room = OUTPUT_LIMIT.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
}

/// The first line, trimmed to 300 characters, control characters escaped, and the secret
/// replaced by its redacted form.
fn redacted_line(bytes: &[u8], f: &Finding) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line).replace(&f.secret.expose_str(), &f.redacted);
    let escaped = crate::finding::escape_bytes(text.trim_end_matches('\r').as_bytes());
    escaped.chars().take(300).collect()
}
