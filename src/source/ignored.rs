//! What `dir` leaves out because of ignore rules, counted, and the secret-prone part of it
//! scanned anyway.
//!
//! Takes every path the filtered walk visited and the directories it entered; gives, for
//! each directory, the children the walk did not visit: left out by `.gitignore`,
//! `.ignore` or git's excludes (`.git/` itself is not counted). An ignored directory counts
//! once and is not entered. An ignored regular file whose name says it holds secrets
//! (`.env`, `.env.*`, `*.env`, `*.pem`, `*.key`, `.npmrc`, `.pypirc`, `.netrc`,
//! `.git-credentials`, `credentials*`) is handed back to be scanned: a team ignores such
//! a file precisely because it holds secrets, and an audit of the directory must see it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What the sweep found: `ignored` entries left out, `scanned` of them scanned anyway.
#[derive(Default, Debug, PartialEq, Eq)]
pub(super) struct Swept {
    pub ignored: u64,
    pub scanned: u64,
}

pub(super) fn sweep(seen: &HashSet<PathBuf>, dirs: &[PathBuf], scan: &mut dyn FnMut(&Path)) -> Swept {
    let mut out = Swept::default();
    let mut dirs = dirs.to_vec();
    dirs.sort(); // deterministic order of the scans and any warnings
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue }; // the walk warned already
        let mut children: Vec<_> = entries.flatten().collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let path = child.path();
            if seen.contains(&path) {
                continue;
            }
            let Ok(ft) = child.file_type() else { continue };
            if ft.is_dir() && child.file_name() == ".git" {
                continue;
            }
            out.ignored += 1;
            if ft.is_file() && secret_prone(&child.file_name().to_string_lossy()) {
                out.scanned += 1;
                scan(&path);
            }
        }
    }
    out
}

/// Names of files that hold secrets by their nature.
pub(super) fn secret_prone(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == ".env"
        || n.starts_with(".env.")
        || n.ends_with(".env")
        || n.ends_with(".pem")
        || n.ends_with(".key")
        || matches!(n.as_str(), ".npmrc" | ".pypirc" | ".netrc" | ".git-credentials")
        || n.starts_with("credentials")
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
