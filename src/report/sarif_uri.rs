//! SARIF artifact URIs that every consumer can place: relative references, never `..` or
//! an absolute path.
//!
//! Takes the findings' paths (relative to the scanned root, or, for `dir /abs/file` and
//! `dir ../x`, as given on the command line) and the current directory; gives each
//! finding's `uri` and, where needed, the root they are relative to. Paths that are
//! already plain relative paths are kept as they are (relative to the scanned root, which
//! is the repository root in CI). When some path is absolute or climbs out with `..`,
//! every path is made absolute, and the URIs are relative to the deepest directory holding
//! them all, stated as `run.originalUriBaseIds["SCANROOT"]` (a `file://` URI) and named by
//! each location's `uriBaseId`.

use std::path::Path;

use crate::finding::Finding;

/// The name of the stated root in `originalUriBaseIds`.
pub(super) const BASE_ID: &str = "SCANROOT";

pub(super) struct Uris {
    /// One per finding, in order.
    pub uris: Vec<String>,
    /// The root's `file://` URI (ending in `/`), when the URIs are relative to it.
    pub base: Option<String>,
}

pub(super) fn uris(findings: &[Finding], cwd: &Path) -> Uris {
    let paths: Vec<&[u8]> = findings.iter().map(|f| f.location.path.as_bytes()).collect();
    let plain = |p: &[u8]| !p.starts_with(b"/") && !p.split(|&b| b == b'/').any(|s| s == b"..");
    if paths.iter().all(|p| plain(p)) {
        return Uris { uris: findings.iter().map(|f| f.location.path.uri()).collect(), base: None };
    }
    let cwd = cwd.as_os_str().as_encoded_bytes();
    let absolute: Vec<Vec<Vec<u8>>> = paths.iter().map(|p| normalise(p, cwd)).collect();
    let mut common: Vec<Vec<u8>> = absolute[0][..absolute[0].len().saturating_sub(1)].to_vec();
    for p in &absolute[1..] {
        let dir = &p[..p.len().saturating_sub(1)];
        let n = common.iter().zip(dir).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    let uris = absolute.iter().map(|p| encode(&p[common.len()..].join(&b'/'))).collect();
    let mut base = String::from("file:///");
    for seg in &common {
        base.push_str(&encode(seg));
        base.push('/');
    }
    Uris { uris, base: Some(base) }
}

/// `originalUriBaseIds` for the run, when the URIs need a stated root.
pub(super) fn base_ids(base: &str) -> serde_json::Value {
    serde_json::json!({ BASE_ID: { "uri": base } })
}

/// The segments of `path` made absolute against `cwd`, with `.` and `..` resolved.
fn normalise(path: &[u8], cwd: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let start: &[u8] = if path.starts_with(b"/") { b"" } else { cwd };
    for seg in start.split(|&b| b == b'/').chain(path.split(|&b| b == b'/')) {
        match seg {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            s => out.push(s.to_vec()),
        }
    }
    out
}

/// Percent-encode every byte outside unreserved characters and `/`.
fn encode(bytes: &[u8]) -> String {
    crate::finding::RelPath::new(bytes.to_vec()).uri()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn paths_are_resolved_against_the_current_directory() {
        let n = |p: &str, cwd: &str| {
            normalise(p.as_bytes(), cwd.as_bytes())
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(n("../x/a.env", "/w/repo"), ["w", "x", "a.env"]);
        assert_eq!(n("/abs/./f", "/w"), ["abs", "f"]);
        assert_eq!(n("../../../../f", "/w"), ["f"]);
    }
}
