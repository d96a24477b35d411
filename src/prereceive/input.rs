//! What git hands a `pre-receive` hook: the ref updates on standard input, the push
//! options and the pusher's identity in the environment.
//!
//! Takes a reader and an environment lookup; gives [`RefUpdate`]s (old and new object ids,
//! ref name), whether the pusher asked to skip the scan, and who pushed. All of it comes
//! from the pusher, so all of it is bounded (lines, line length, total bytes, option
//! count and length) and a malformed line is an error naming its number, never its text.

use std::io::{BufRead, Read};

use anyhow::{Result, bail};
use git2::Oid;

/// At most this many ref updates in one push (a mirror of a large repository has tens of
/// thousands of tags; anything past this is refused, not truncated).
pub(crate) const MAX_LINES: usize = 100_000;
/// At most this many bytes in one input line (two 64-digit ids and a ref name).
pub(crate) const MAX_LINE: usize = 4096;
/// At most this many bytes of input in all.
pub(crate) const MAX_INPUT: u64 = 32 << 20;
/// Push options looked at (git passes every one the client sent).
pub(crate) const MAX_OPTIONS: usize = 100;
/// Bytes of a push option's value kept (the bypass reason).
pub(crate) const MAX_OPTION: usize = 200;

/// The push option that asks to skip the scan (`git push -o loftyscan.skip`).
pub(crate) const SKIP_OPTION: &str = "loftyscan.skip";
/// The push option that records why (`-o 'loftyscan.reason=incident 42'`).
pub(crate) const REASON_OPTION: &str = "loftyscan.reason=";

/// One `<old> <new> <ref>` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    /// `None`: the ref is created.
    pub old: Option<Oid>,
    /// `None`: the ref is deleted.
    pub new: Option<Oid>,
    /// The ref name as git sent it (git has checked it; it is still escaped on output).
    pub name: Vec<u8>,
}

impl RefUpdate {
    pub fn name_escaped(&self) -> String {
        crate::finding::escape_bytes(&self.name)
    }
}

/// Read every update line from `input`, within the caps.
pub(crate) fn read_updates(input: impl Read) -> Result<Vec<RefUpdate>> {
    let mut reader = std::io::BufReader::new(input.take(MAX_INPUT + 1));
    let (mut updates, mut line, mut total) = (Vec::new(), Vec::new(), 0u64);
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        let number = updates.len() + 1;
        if total > MAX_INPUT {
            bail!("pre-receive input is over {} MiB: refused", MAX_INPUT >> 20);
        }
        if line.len() > MAX_LINE {
            bail!("pre-receive input line {number} is over {MAX_LINE} bytes: refused");
        }
        if number > MAX_LINES {
            bail!("pre-receive input has over {MAX_LINES} ref updates: refused");
        }
        updates.push(parse_line(&line, number)?);
    }
    Ok(updates)
}

fn parse_line(line: &[u8], number: usize) -> Result<RefUpdate> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let bad = || anyhow::anyhow!("pre-receive input line {number} is not `<old-id> <new-id> <ref>`");
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (old, new, name) = (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?, parts.next());
    let name = name.filter(|n| !n.is_empty()).ok_or_else(bad)?;
    let id = |hex: &[u8]| -> Result<Option<Oid>> {
        if !(hex.len() == 40 || hex.len() == 64) || !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(bad());
        }
        if hex.iter().all(|&b| b == b'0') {
            return Ok(None);
        }
        let text = std::str::from_utf8(hex).map_err(|_| bad())?;
        Oid::from_str(text).map(Some).map_err(|_| bad())
    };
    if old.len() != new.len() {
        return Err(bad());
    }
    let (old, new) = (id(old)?, id(new)?);
    if old.is_none() && new.is_none() {
        return Err(bad());
    }
    Ok(RefUpdate { old, new, name: name.to_vec() })
}

/// The push options that concern loftyscan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushOptions {
    /// `loftyscan.skip` was sent.
    pub skip: bool,
    /// `loftyscan.reason=TEXT` (at most [`MAX_OPTION`] bytes, control characters escaped).
    pub reason: Option<String>,
}

/// Push options from `GIT_PUSH_OPTION_COUNT` and `GIT_PUSH_OPTION_<i>` (git sets them only
/// when `receive.advertisePushOptions` is on and the client sent some).
pub(crate) fn push_options(env: &dyn Fn(&str) -> Option<String>) -> PushOptions {
    let count = env("GIT_PUSH_OPTION_COUNT").and_then(|c| c.trim().parse::<usize>().ok()).unwrap_or(0);
    let mut out = PushOptions::default();
    for i in 0..count.min(MAX_OPTIONS) {
        let Some(opt) = env(&format!("GIT_PUSH_OPTION_{i}")) else { continue };
        if opt == SKIP_OPTION {
            out.skip = true;
        } else if let Some(reason) = opt.strip_prefix(REASON_OPTION) {
            let cut: String = reason.chars().take(MAX_OPTION).collect();
            out.reason = Some(crate::finding::escape_bytes(cut.as_bytes()));
        }
    }
    out
}

/// Who pushed, as the server tells the hook, and which variable said so: GitLab
/// (`GL_USERNAME`), Gitea/Forgejo (`GITEA_PUSHER_NAME`), GitHub Enterprise Server
/// (`GITHUB_USER_LOGIN`), git-http-backend (`REMOTE_USER`), else the account the hook runs
/// as (`USER`, `LOGNAME`: over ssh, the pusher's account on a plain git server), else its uid.
pub(crate) fn pusher(env: &dyn Fn(&str) -> Option<String>) -> (String, &'static str) {
    const VARS: [&str; 6] =
        ["GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "REMOTE_USER", "USER", "LOGNAME"];
    for var in VARS {
        if let Some(v) = env(var).filter(|v| !v.is_empty()) {
            let cut: String = v.chars().take(MAX_OPTION).collect();
            return (crate::finding::escape_bytes(cut.as_bytes()), var);
        }
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let uid = unsafe { libc::getuid() };
    (format!("uid {uid}"), "uid")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn reads_updates_creations_and_deletions() {
        let input = format!("{A} {B} refs/heads/main\n{Z} {B} refs/tags/v1\n{A} {Z} refs/heads/old");
        let u = read_updates(input.as_bytes()).unwrap();
        assert_eq!(u.len(), 3);
        assert_eq!(
            (u[0].old.is_some(), u[0].new.is_some(), &u[0].name[..]),
            (true, true, &b"refs/heads/main"[..])
        );
        assert_eq!((u[1].old, u[2].new), (None, None));
        assert_eq!(u[2].name, b"refs/heads/old");
        assert!(read_updates(&b""[..]).unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_name_the_line_not_the_text() {
        for bad in [
            format!("{A} {B}\n"),
            format!("{A} {B} \n"),
            format!("{A} zz refs/heads/x\n"),
            format!("{A} {B}00 refs/heads/x\n"),
            format!("{Z} {Z} refs/heads/x\n"),
            "lfk_sk_secret refs/heads/x\n".to_string(),
        ] {
            let input = format!("{A} {B} refs/heads/ok\n{bad}");
            let e = read_updates(input.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("line 2") && !e.contains("lfk_sk_") && !e.contains("zz"), "{e}");
        }
    }

    #[test]
    fn caps_refuse_long_lines_and_too_many_lines() {
        let long = format!("{A} {B} refs/heads/{}\n", "x".repeat(MAX_LINE));
        let e = read_updates(long.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("over 4096 bytes"), "{e}");
        let fits = format!("{A} {B} refs/heads/{}\n", "x".repeat(MAX_LINE - 94));
        assert_eq!(fits.len(), MAX_LINE);
        assert_eq!(read_updates(fits.as_bytes()).unwrap().len(), 1);
        let many = format!("{A} {B} refs/heads/m\n").repeat(MAX_LINES + 1);
        let e = read_updates(many.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("over 100000 ref updates"), "{e}");
    }

    #[test]
    fn push_options_and_pusher_come_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let e = env(&[
            ("GIT_PUSH_OPTION_COUNT", "2"),
            ("GIT_PUSH_OPTION_0", "loftyscan.reason=incident\n42"),
            ("GIT_PUSH_OPTION_1", "loftyscan.skip"),
            ("GL_USERNAME", "ann"),
            ("USER", "git"),
        ]);
        let o = push_options(&e);
        assert!(o.skip);
        assert_eq!(o.reason.as_deref(), Some("incident\\n42"));
        assert_eq!(pusher(&e), ("ann".to_string(), "GL_USERNAME"));
        let none = env(&[("GIT_PUSH_OPTION_COUNT", "1"), ("GIT_PUSH_OPTION_0", "loftyscan.skipx")]);
        assert_eq!(push_options(&none), PushOptions::default());
        assert!(pusher(&none).0.starts_with("uid "));
    }
}
