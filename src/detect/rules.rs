//! Rules as data: the TOML format of `rules/*.toml` and `--rules FILE`, and its compiled form.
//!
//! Takes TOML text (the built-in files are embedded at build time); gives validated
//! [`Rule`]s or an error naming the file, the rule and the problem. Unknown keys are errors.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use regex::bytes::Regex;
use serde::Deserialize;

use super::jws::Sign;
use super::placeholder::Placeholder;
use super::stream::MAX_TOKEN;
use crate::vocab::{Level, RuleInfo};

/// The built-in rule files, embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("rules/lfk.toml", include_str!("../../rules/lfk.toml")),
    ("rules/lofty.toml", include_str!("../../rules/lofty.toml")),
];

/// How a candidate at an anchor is confirmed: a closed set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `pattern` (a byte regex) matched around the anchor; optional placeholder checks.
    #[default]
    Regex,
    /// A compact JWS decoded and checked (header, payload, signature length).
    Jws,
}

impl Kind {
    /// The name rule files use (`kind = "jws"`) and reports show.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Regex => "regex",
            Kind::Jws => "jws",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    description: String,
    help: String,
    #[serde(default = "default_level")]
    level: Level,
    security_severity: f32,
    #[serde(default)]
    kind: Kind,
    #[serde(default)]
    anchors: Vec<String>,
    /// Longer literal starts of the secret (a JWS header's first bytes), used to find it
    /// inside base64 where the anchor itself is too short to have a useful base64 form.
    #[serde(default)]
    long_anchors: Vec<String>,
    pattern: Option<String>,
    #[serde(default = "default_max_len")]
    max_len: usize,
    #[serde(default)]
    priority: i32,
    /// The secret starts at a word boundary (`(?-u:\b)`), where the tail of a recognised
    /// escape sequence (`\n`, `%3D`, `\u0022`, ...) also counts as one.
    #[serde(default)]
    word_start: bool,
    #[serde(default = "default_redact_prefix")]
    redact_prefix: usize,
    /// Also find the secret split across adjacent string literals (`"…" + "…"`).
    #[serde(default)]
    join_literals: bool,
    #[serde(default)]
    revocable: Option<bool>,
    placeholder: Option<super::placeholder::PlaceholderSpec>,
    sign: Option<super::jws::SignSpec>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negatives: Vec<String>,
}

fn default_level() -> Level {
    Level::Warning
}
fn default_max_len() -> usize {
    256
}
fn default_redact_prefix() -> usize {
    4
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// What every finding of this rule shares (id, title, level, ...).
    pub info: Arc<RuleInfo>,
    /// How a candidate is confirmed: a regex or a decoded JWS.
    pub kind: Kind,
    /// Literal strings the prefilter looks for; every match starts at one.
    pub anchors: Vec<String>,
    /// Longer literal starts (a JWS header's first bytes), to find the secret inside base64.
    pub long_anchors: Vec<String>,
    /// The byte regex a [`Kind::Regex`] match must satisfy at an anchor.
    pub pattern: Option<Regex>,
    /// Longest match, in bytes (default 256).
    pub max_len: usize,
    /// Where two rules match the same bytes, the higher priority is kept (default 0).
    pub priority: i32,
    /// The secret must start at a word boundary (an escape sequence's tail counts as one).
    pub word_start: bool,
    /// Characters shown before the ellipsis in the redacted form (default 4).
    pub redact_prefix: usize,
    /// Also find the secret split across adjacent string literals (detect/joined.rs).
    pub join_literals: bool,
    /// Checks that reject documentation placeholders (`xxxx`, `your-key-here`).
    pub placeholder: Option<Placeholder>,
    /// For [`Kind::Jws`]: what makes a JWS this vendor's key.
    pub sign: Option<Sign>,
    /// Strings the rule must report (`--rules` files checked at start-up, built-ins by tests).
    pub examples: Vec<String>,
    /// Strings the rule must not report (checked as `examples` are).
    pub negatives: Vec<String>,
    /// Where the rule came from (`rules/lfk.toml`, or the user's file).
    pub source: String,
    /// Embedded in the binary (`rules/*.toml`), not read from a user's file.
    pub builtin: bool,
}

/// Parse one rule file. `source` names it in errors; `builtin` marks the embedded files.
pub fn parse(source: &str, text: &str, builtin: bool) -> Result<Vec<Rule>> {
    let name = crate::vocab::escape_bytes(source.as_bytes());
    let file: RuleFile = toml::from_str(text)
        .map_err(|e| crate::safe::toml_error(&name, text, &e))
        .context("not a valid rule file")?;
    let mut out = Vec::with_capacity(file.rules.len());
    for (n, spec) in file.rules.into_iter().enumerate() {
        // Named by its id only once the id is known to be plain: errors quote no content.
        let id = match validate_id(&spec.id) {
            Ok(()) => format!("`{}`", spec.id),
            Err(_) => format!("#{}", n + 1),
        };
        let rule = compile(spec, source, builtin).with_context(|| format!("{name}: rule {id}"))?;
        out.push(rule);
    }
    Ok(out)
}

fn compile(spec: RuleSpec, source: &str, builtin: bool) -> Result<Rule> {
    validate_id(&spec.id)?;
    if !(spec.security_severity > 0.0 && spec.security_severity <= 10.0) {
        bail!("security_severity must be in (0, 10]");
    }
    if spec.max_len == 0 || spec.max_len > MAX_TOKEN {
        bail!("max_len must be between 1 and {MAX_TOKEN}");
    }
    if spec.anchors.iter().any(|a| a.len() < 2) {
        bail!("every anchor needs at least 2 bytes");
    }
    let pattern = match (spec.kind, &spec.pattern) {
        (Kind::Regex, Some(p)) => Some(compile_pattern(p)?),
        (Kind::Regex, None) => bail!("kind = \"regex\" needs a `pattern`"),
        (Kind::Jws, Some(_)) => bail!("kind = \"jws\" takes no `pattern`"),
        (Kind::Jws, None) => None,
    };
    if spec.kind == Kind::Jws && spec.anchors.is_empty() {
        bail!("kind = \"jws\" needs anchors (e.g. [\"eyJ\"])");
    }
    if spec.sign.is_some() && spec.kind != Kind::Jws {
        bail!("`sign` applies to kind = \"jws\" only");
    }
    let placeholder = spec.placeholder.map(Placeholder::compile).transpose()?;
    if let (Some(p), Some(re)) = (&placeholder, &pattern) {
        p.check_group(re)?;
    }
    let sign = spec.sign.map(Sign::compile).transpose()?;
    let info = RuleInfo {
        revocable: spec.revocable.unwrap_or(spec.level == Level::Error),
        id: spec.id,
        title: spec.title,
        description: spec.description,
        help: spec.help,
        level: spec.level,
        security_severity: spec.security_severity,
    };
    Ok(Rule {
        info: Arc::new(info),
        kind: spec.kind,
        anchors: spec.anchors,
        long_anchors: spec.long_anchors,
        pattern,
        max_len: spec.max_len,
        priority: spec.priority,
        word_start: spec.word_start,
        redact_prefix: spec.redact_prefix,
        join_literals: spec.join_literals,
        placeholder,
        sign,
        examples: spec.examples,
        negatives: spec.negatives,
        source: source.to_string(),
        builtin,
    })
}

fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if !ok {
        bail!("rule id must be 1-64 characters of a-z, 0-9, '-', '_', '.'");
    }
    Ok(())
}

fn compile_pattern(p: &str) -> Result<Regex> {
    let re = regex::bytes::RegexBuilder::new(p).size_limit(8 << 20).build().map_err(|e| match e {
        regex::Error::CompiledTooBig(_) => anyhow::anyhow!("invalid `pattern`: compiled, it is over 8 MiB"),
        _ => anyhow::anyhow!("invalid `pattern`: not a valid regular expression"),
    })?;
    if re.capture_names().flatten().any(|n| n != "secret" && n != "body") {
        bail!("`pattern` may name only the groups `secret` and `body`");
    }
    Ok(re)
}

/// Parse the built-in rule files; they are tested, so an error here is a build defect.
pub fn builtin() -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.extend(parse(name, text, true)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_rule_file_names() {
        #[derive(Deserialize)]
        struct K {
            kind: Kind,
        }
        for k in [Kind::Regex, Kind::Jws] {
            let parsed: K = toml::from_str(&format!("kind = '{}'", k.as_str())).unwrap();
            assert_eq!(parsed.kind, k);
        }
    }

    #[test]
    fn builtin_rules_parse() {
        let rules = builtin().unwrap();
        let ids: Vec<_> = rules.iter().map(|r| r.info.id.as_str()).collect();
        assert_eq!(ids, ["lfk-secret-key", "lofty-api-key", "jws-token"]);
        assert!(rules.iter().all(|r| !r.examples.is_empty() && !r.negatives.is_empty()));
        assert!(rules[0].info.revocable && rules[1].info.revocable && !rules[2].info.revocable);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_that_name_the_rule() {
        let bad = "[[rules]]\nid='x'\ntitle='t'\ndescription='d'\nhelp='h'\nsecurity_severity=5.0\npattern='a'\ncolour='red'\n";
        let err = format!("{:#}", parse("user.toml", bad, false).unwrap_err());
        assert!(err.contains("user.toml") && err.contains("colour"), "{err}");
        let bad =
            "[[rules]]\nid='x'\ntitle='t'\ndescription='d'\nhelp='h'\nsecurity_severity=5.0\npattern='(a'\n";
        let err = format!("{:#}", parse("user.toml", bad, false).unwrap_err());
        assert!(
            err.contains("rule `x`") && err.contains("invalid `pattern`") && !err.contains("(a"),
            "{err}"
        );
        let bad =
            "[[rules]]\nid='X Y'\ntitle='t'\ndescription='d'\nhelp='h'\nsecurity_severity=5.0\npattern='a'\n";
        assert!(parse("u.toml", bad, false).is_err());
        let bad =
            "[[rules]]\nid='x'\ntitle='t'\ndescription='d'\nhelp='h'\nsecurity_severity=5.0\nkind='jws'\n";
        assert!(parse("u.toml", bad, false).is_err());
    }
}
