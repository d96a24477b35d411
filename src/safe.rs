//! Reading settings files (config, rule files, baselines) without ever turning them into an
//! oracle for the bytes they hold.
//!
//! Takes a path (or a git blob's bytes) and a parse error; gives the file's text read up
//! to a size cap, and error messages that name the file, line, column and key but never
//! quote a value or a line of the file. A key is named only when it is short and made of
//! plain characters; every other quoted piece of a parser's message is replaced by `…`.

use std::io::Read;
use std::path::Path;

use anyhow::{Result, anyhow, bail};

use crate::vocab::escape_bytes;

/// The largest config or rule file read (a team's real ones are a few KiB).
pub(crate) const SETTINGS_CAP: u64 = 1 << 20;
/// The largest baseline read (about 200 000 entries).
pub(crate) const BASELINE_CAP: u64 = 64 << 20;
/// Keys longer than this are not named in messages (every secret loftyscan knows is longer).
const KEY_SHOWN_MAX: usize = 24;

/// `path` for a message: escaped.
pub(crate) fn shown(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_encoded_bytes())
}

/// Read at most `cap` bytes of `path` as UTF-8; more is an error naming the cap. `what`
/// says what the file is ("config", "rule file", "baseline").
pub(crate) fn read_capped(path: &Path, what: &str, cap: u64) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| anyhow!("cannot read {what} '{}': {e}", shown(path)))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow!("cannot read {what} '{}': {e}", shown(path)))?;
    text_of(bytes, &shown(path), what, cap)
}

/// Bytes (from a file or a git blob) as the text of a settings file, within `cap`.
pub(crate) fn text_of(bytes: Vec<u8>, name: &str, what: &str, cap: u64) -> Result<String> {
    if bytes.len() as u64 > cap {
        bail!("{what} '{name}' is over the {} KiB limit for {what}s: not read", cap >> 10);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        anyhow!("{what} '{name}' is not UTF-8 text (invalid byte at offset {at})")
    })
}

/// A TOML parse or schema error for `name`, with line and column and no content.
pub(crate) fn toml_error(name: &str, text: &str, e: &toml::de::Error) -> anyhow::Error {
    let at = e.span().map(|s| line_col(text, s.start)).map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
    anyhow!("{name}{at}: {}", sanitize(e.message()))
}

/// 1-based line and column (in characters) of byte `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (line, String::from_utf8_lossy(&before[start..]).chars().count() + 1)
}

/// A parser's message with everything taken from the file removed: its first line only;
/// the key of "unknown field"/"duplicate key" kept when plain and short; the alternatives
/// after "expected" (the schema's own names) kept; every other quoted piece, `…`.
pub(crate) fn sanitize(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or_default();
    let (head, tail) = match first.find("expected") {
        Some(i) => first.split_at(i),
        None => (first, ""),
    };
    let keyed = ["unknown field `", "duplicate key `", "duplicate field `", "missing field `"]
        .iter()
        .any(|p| head.starts_with(p));
    let mut out = String::new();
    let mut first_quote = true;
    strip_quoted(head, &mut out, |inner| {
        let keep = keyed && std::mem::take(&mut first_quote) && plain_key(inner);
        keep.then(|| inner.to_string())
    });
    strip_quoted(tail, &mut out, |inner| plain_key(inner).then(|| inner.to_string()));
    escape_bytes(out.chars().take(300).collect::<String>().as_bytes())
}

/// Copy `s` to `out`, passing each `…`-, "…"- or '…'-quoted piece through `keep` (None: `…`).
fn strip_quoted(s: &str, out: &mut String, mut keep: impl FnMut(&str) -> Option<String>) {
    let mut rest = s;
    while let Some(i) = rest.find(['`', '"', '\'']) {
        let q = rest.as_bytes()[i] as char;
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find(q) else {
            out.push('…');
            return;
        };
        match keep(&after[..j]) {
            Some(k) => out.extend([q.to_string(), k, q.to_string()]),
            None => out.push('…'),
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
}

/// A key safe to name: short, letters, digits and `_-.` only (or a single punctuation
/// character, as in "expected `=`").
pub(crate) fn plain_key(k: &str) -> bool {
    let punct = k.chars().count() == 1 && k.chars().all(|c| c.is_ascii_punctuation());
    punct
        || (!k.is_empty()
            && k.len() <= KEY_SHOWN_MAX
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_keys_and_schema_names_and_drop_values() {
        assert_eq!(
            sanitize("unknown field `colour`, expected one of `rules`, `disable`"),
            "unknown field `colour`, expected one of `rules`, `disable`"
        );
        let key = "lfk_sk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0";
        let m = sanitize(&format!("invalid type: string \"{key}\", expected a sequence"));
        assert_eq!(m, "invalid type: string …, expected a sequence");
        assert!(!sanitize(&format!("unknown field `{key}`, expected `rules`")).contains("lfk_sk_a1"));
        assert_eq!(
            sanitize("unknown variant `hunter2`, expected `text`"),
            "unknown variant …, expected `text`"
        );
        assert_eq!(sanitize("invalid key\n1 | SECRET=x\n"), "invalid key");
        assert_eq!(sanitize("x `\x1b[31m`"), "x …");
    }

    #[test]
    fn toml_errors_give_line_and_column_not_the_line() {
        let text = "a = 1\nPASSWORD=hunter2\n";
        let e = toml::from_str::<toml::Table>(text).unwrap_err();
        let m = toml_error("c.toml", text, &e).to_string();
        assert!(m.starts_with("c.toml:2:") && !m.contains("hunter2") && !m.contains("PASSWORD"), "{m}");
    }
}
