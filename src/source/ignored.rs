//! What `dir` leaves out because of ignore rules, counted, and the secret-prone part of it
//! scanned anyway.
//!
//! Takes what the filtered walk recorded as it went ([`Seen`]: the directories it entered,
//! a count of the entries it visited, the secret-prone ones by path); gives the children of
//! those directories the walk did not visit: left out by `.gitignore`, `.ignore` or git's
//! excludes (`.git/` itself is not counted). No path is hashed but secret-prone ones. An ignored directory counts
//! once and is not entered. An ignored regular file whose name says it holds secrets
//! (`.env`, `.env.*`, `*.env`, `*.pem`, `*.key`, `.npmrc`, `.pypirc`, `.netrc`,
//! `.git-credentials`, `credentials*`) is handed back to be scanned: a team ignores such
//! a file precisely because it holds secrets, and an audit of the directory must see it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What the filtered walk visited, recorded cheaply while it walks: the directories it
/// entered, how many entries below a root it visited, and the visited entries whose
/// names are secret-prone (the only ones the sweep must tell apart by path).
#[derive(Default, Debug)]
pub(super) struct Seen {
    pub dirs: Vec<PathBuf>,
    pub visited: u64,
    pub prone: HashSet<PathBuf>,
    /// Whether any ignore rules can apply: an `.ignore`, a `.jj` or a `.git` (a file, or
    /// the directory the walk leaves out) met inside the walk or above it. Outside a
    /// repository `.gitignore`s are not read (as by git), so without one nothing was left
    /// out and there is nothing to sweep.
    pub sources: bool,
}

impl Seen {
    /// Record one visited entry (`depth` 0 is a root, no directory's child).
    pub(super) fn record(&mut self, path: &Path, depth: usize, is_dir: bool) {
        let name = path.file_name();
        self.sources |= name.is_some_and(|n| n == ".ignore" || n == ".git" || n == ".jj");
        if depth > 0 {
            self.visited += 1;
            if name.is_some_and(secret_prone_os) {
                self.prone.insert(path.to_path_buf());
            }
        }
        if is_dir {
            self.dirs.push(path.to_path_buf());
        }
    }

    pub(super) fn merge(&mut self, other: &mut Seen) {
        self.dirs.append(&mut other.dirs);
        self.visited += std::mem::take(&mut other.visited);
        self.sources |= other.sources;
        self.prone.extend(other.prone.drain());
    }
}

/// What the sweep found: `ignored` entries left out, `scanned` of them scanned anyway.
#[derive(Default, Debug, PartialEq, Eq)]
pub(super) struct Swept {
    pub ignored: u64,
    pub scanned: u64,
}

/// Every child of an entered directory (but `.git/`) that the walk did not visit is
/// ignored: their number is all children less the visited entries; the secret-prone
/// files among them are scanned, in directory then name order.
pub(super) fn sweep(seen: &Seen, scan: &mut dyn FnMut(&Path)) -> Swept {
    let mut children = 0u64;
    let mut prone = Vec::new();
    for dir in &seen.dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue }; // the walk warned already
        for child in entries.flatten() {
            let Ok(ft) = child.file_type() else { continue };
            let name = child.file_name();
            if ft.is_dir() && name == ".git" {
                continue;
            }
            children += 1;
            if ft.is_file() && secret_prone_os(&name) {
                let path = child.path();
                if !seen.prone.contains(&path) {
                    prone.push((dir, name, path));
                }
            }
        }
    }
    // Deterministic order of the scans and any warnings: directory, then name (only the
    // few files scanned are sorted, not every directory).
    prone.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, _, path) in &prone {
        scan(path);
    }
    let scanned = prone.len() as u64;
    Swept { ignored: children.saturating_sub(seen.visited).max(scanned), scanned }
}

fn secret_prone_os(name: &std::ffi::OsStr) -> bool {
    secret_prone(&name.to_string_lossy())
}

/// Names of files that hold secrets by their nature.
pub(super) fn secret_prone(name: &str) -> bool {
    let n = name.as_bytes();
    let starts = |p: &[u8]| n.len() >= p.len() && n[..p.len()].eq_ignore_ascii_case(p);
    let ends = |p: &[u8]| n.len() >= p.len() && n[n.len() - p.len()..].eq_ignore_ascii_case(p);
    ends(b".env")
        || starts(b".env.")
        || ends(b".pem")
        || ends(b".key")
        || [b".npmrc".as_slice(), b".pypirc", b".netrc", b".git-credentials"]
            .iter()
            .any(|w| n.eq_ignore_ascii_case(w))
        || starts(b"credentials")
}

#[cfg(test)]
mod tests {
    use super::secret_prone;

    #[test]
    fn secret_prone_names() {
        for yes in [".env", ".env.local", "prod.env", "server.PEM", "tls.key", ".npmrc", "credentials.json"] {
            assert!(secret_prone(yes), "{yes}");
        }
        for no in ["env.rs", "README.md", "keyboard.c", "target", "my.credentials.txt"] {
            assert!(!secret_prone(no), "{no}");
        }
    }
}
