//! `.loftyscan.toml`: a team's settings, kept in the repository.
//!
//! Takes the file's text and its directory; gives extra rule files (paths relative to the
//! config file), disabled rule ids, a default format, and a path allowlist in gitignore
//! syntax (`fixtures/**`, `*.min.js`, `!keep/this`), matched against report paths (relative
//! to the scanned root). Unknown keys are errors that name the key.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;

use crate::cli::Format;

/// The config file's name, looked for in the scanned root.
pub const FILE_NAME: &str = ".loftyscan.toml";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    rules: Vec<PathBuf>,
    #[serde(default)]
    disable: Vec<String>,
    format: Option<Format>,
    #[serde(default)]
    allowlist: RawAllowlist,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAllowlist {
    #[serde(default)]
    paths: Vec<String>,
}

/// A parsed config file.
pub struct ConfigFile {
    /// The file it was read from (rule paths and patterns are relative to its directory).
    pub source: PathBuf,
    /// `rules`: extra rule files, joined to the config file's directory.
    pub rules: Vec<PathBuf>,
    /// `disable`: ids of the rules to turn off.
    pub disable: Vec<String>,
    /// `format`: the report format when `--format` is not given.
    pub format: Option<Format>,
    /// `allowlist.paths`, compiled.
    pub allow_paths: PathAllowlist,
}

/// Gitignore-style path patterns; a finding whose path matches is allowlisted.
pub struct PathAllowlist(Option<Gitignore>);

impl PathAllowlist {
    /// An allowlist that matches no path.
    pub fn none() -> Self {
        PathAllowlist(None)
    }

    /// Is `path` (relative to the root, `/`-separated) or one of its parent directories
    /// matched? Paths outside the root (absolute, or `../`) never are.
    pub fn matches(&self, path: &str) -> bool {
        let outside = path.starts_with('/') || path == ".." || path.starts_with("../");
        !outside && self.0.as_ref().is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
    }
}

/// Read and parse the config file at `path` (at most [`crate::safe::SETTINGS_CAP`] bytes).
pub fn load(path: &Path) -> Result<ConfigFile> {
    let text = crate::safe::read_capped(path, "config", crate::safe::SETTINGS_CAP)?;
    parse(path, &text)
}

/// Parse a config file's text; `path` names it in errors and its directory is where its
/// rule files and allowlist patterns are relative to. Errors never quote the text.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
    let name = crate::safe::shown(path);
    let raw: Raw = toml::from_str(text)
        .map_err(|e| crate::safe::toml_error(&name, text, &e))
        .context("not a valid loftyscan config")?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = GitignoreBuilder::new(dir);
    for (i, pattern) in raw.allowlist.paths.iter().enumerate() {
        builder
            .add_line(None, pattern)
            .map_err(|_| anyhow::anyhow!("{name}: allowlist.paths[{i}] is not a valid pattern"))?;
    }
    let gi = builder.build().map_err(|_| anyhow::anyhow!("{name}: allowlist.paths is not valid"))?;
    Ok(ConfigFile {
        source: path.to_path_buf(),
        rules: raw.rules.into_iter().map(|r| dir.join(r)).collect(),
        disable: raw.disable,
        format: raw.format,
        allow_paths: PathAllowlist((!raw.allowlist.paths.is_empty()).then_some(gi)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    #[test]
    fn reads_every_key_and_matches_paths_like_gitignore() {
        let c = parse("rules = ['r/acme.toml']\ndisable = ['jws-token']\nformat = 'sarif'\n[allowlist]\npaths = ['fixtures/', '*.min.js', '!fixtures/real.env']\n").unwrap();
        assert!(
            c.rules[0].ends_with("r/acme.toml")
                && c.disable == ["jws-token"]
                && c.format == Some(Format::Sarif)
        );
        for (p, want) in [
            ("fixtures/keys/x", true),
            ("a/b/app.min.js", true),
            ("src/app.js", false),
            ("fixtures/real.env", false),
        ] {
            assert_eq!(c.allow_paths.matches(p), want, "{p}");
        }
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        let err = format!("{:#}", parse("formats = 'json'\n").err().unwrap());
        assert!(err.contains("formats") && err.contains(FILE_NAME), "{err}");
        let err = format!("{:#}", parse("[allowlist]\npath = ['x']\n").err().unwrap());
        assert!(err.contains("unknown field `path`"), "{err}");
    }
}
