//! What the pusher and the auditor read: the rejection message (stderr, relayed by git as
//! `remote:` lines), the bypass notice, and the audit record (one JSON line).
//!
//! Takes the push and its blocking findings; gives text in which every secret is redacted
//! and every ref name, path and pusher-supplied value is escaped.

use std::path::Path;

use serde_json::json;

use super::Push;
use crate::finding::{Finding, Provenance};

/// Findings listed in a rejection; the rest are counted.
const MAX_LISTED: usize = 20;

fn commit_of(f: &Finding) -> &str {
    match &f.provenance {
        Provenance::Git { commit } => &commit.id,
        _ => "",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The message that rejects a push.
pub(super) fn rejection(push: &Push, blocking: &[&Finding]) -> String {
    let mut out = format!(
        "loftyscan: push rejected: {} in the commits pushed\n",
        plural(blocking.len(), "secret", "secrets")
    );
    for f in blocking.iter().take(MAX_LISTED) {
        let commit = commit_of(f);
        let short = commit.get(..12).unwrap_or(commit);
        let entry = f.entry.as_deref().map(|e| format!("!{}", crate::finding::escape_bytes(e.as_bytes())));
        out += &format!(
            "loftyscan:   {} commit {short} {}{}:{}: {} {}\n",
            push.ref_of(f),
            f.location.path.escaped(),
            entry.unwrap_or_default(),
            f.location.line,
            f.rule.title,
            f.redacted
        );
    }
    if blocking.len() > MAX_LISTED {
        out += &format!("loftyscan:   ... and {} more\n", blocking.len() - MAX_LISTED);
    }
    out += "loftyscan: Remove the key from the commits, then push again:\n";
    out += "loftyscan:   in the last commit: delete it from the file, `git commit --amend`;\n";
    out += "loftyscan:   in an earlier one: `git rebase -i <commit>~1`, mark that commit `edit`, delete\n";
    out += "loftyscan:   it, `git commit --amend`, `git rebase --continue`.\n";
    out += "loftyscan: The key has left your machine: revoke it and issue a new one.\n";
    if let Some(r) = &push.server.remediation {
        out += &format!("loftyscan: {}\n", crate::finding::escape_bytes(r.as_bytes()));
    }
    if push.options.skip {
        out += "loftyscan: (-o loftyscan.skip was sent, but this server does not allow a bypass)\n";
    } else if push.server.allow_bypass {
        out += "loftyscan: In an emergency: `git push -o loftyscan.skip` accepts the push; it is logged.\n";
    }
    out
}

/// The notice that a push was accepted by bypass.
pub(super) fn bypassed(push: &Push, blocking: usize) -> String {
    let (who, from) = &push.pusher;
    format!(
        "loftyscan: bypass: push accepted with {} by `-o loftyscan.skip` from {who}{}; logged",
        plural(blocking, "secret", "secrets"),
        if from.is_empty() { String::new() } else { format!(" ({from})") }
    )
}

/// The audit record of a bypass: who, when, which refs, the (redacted) findings.
pub(super) fn audit_line(push: &Push, blocking: &[&Finding], repo: &Path, now: i64) -> String {
    let refs: Vec<_> = push
        .updates
        .iter()
        .map(|u| {
            let id = |o: Option<git2::Oid>| o.map_or(serde_json::Value::Null, |o| o.to_string().into());
            json!({"ref": String::from_utf8_lossy(&u.name), "old": id(u.old), "new": id(u.new)})
        })
        .collect();
    let findings: Vec<_> = blocking
        .iter()
        .map(|f| {
            json!({
                "rule_id": f.rule.id,
                "level": f.level.as_str(),
                "redacted": f.redacted,
                "secret_sha256": f.sha256_hex(),
                "path": f.shown_path(),
                "line": f.location.line,
                "commit": commit_of(f),
                "ref": push.ref_of(f),
            })
        })
        .collect();
    let (who, from) = &push.pusher;
    json!({
        "event": "loftyscan.bypass",
        "time": crate::vocab::iso8601(now, 0),
        "who": who,
        "who_from": from,
        "reason": push.options.reason,
        "repository": repo.to_string_lossy(),
        "refs": refs,
        "findings": findings,
    })
    .to_string()
}
