//! SARIF 2.1.0 report (the only user of `serde-sarif`): one run, every active rule in
//! `tool.driver.rules`, one result per finding with a content fingerprint, the secret's
//! SHA-256 and, in git mode, the commit. Built for GitHub code scanning's upload rules.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool,
    ToolComponent,
};

use super::{Report, iso8601};
use crate::detect::rules::Rule;
use crate::finding::{Finding, Level, Provenance};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn write(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<ReportingDescriptor> = r.rules.iter().map(descriptor).collect();
    let driver = ToolComponent::builder()
        .name("loftyscan")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let fps = r.fingerprints();
    let results: Vec<SarifResult> = r.findings.iter().zip(fps).map(|(f, fp)| result(r, f, fp)).collect();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .build();
    let sarif = Sarif::builder().schema(SCHEMA).version(json!("2.1.0")).runs(vec![run]).build();
    serde_json::to_writer_pretty(&mut *w, &sarif)?;
    writeln!(w)
}

fn level(l: Level) -> ResultLevel {
    match l {
        Level::Error => ResultLevel::Error,
        Level::Warning => ResultLevel::Warning,
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let info = &rule.info;
    let mut props = BTreeMap::new();
    props.insert("security-severity".to_string(), json!(format!("{:.1}", info.security_severity)));
    props.insert("precision".to_string(), json!("very-high"));
    props.insert("kind".to_string(), json!(format!("{:?}", rule.kind).to_lowercase()));
    let bag = PropertyBag::builder()
        .tags(vec!["security".to_string(), "secret".to_string()])
        .additional_properties(props)
        .build();
    let name: String = info.title.split(|c: char| !c.is_ascii_alphanumeric()).map(capitalise).collect();
    let help = MultiformatMessageString::builder()
        .text(info.help.as_str())
        .markdown(format!("**{}**\n\n{}\n\n{}", info.title, info.description, info.help))
        .build();
    ReportingDescriptor::builder()
        .id(info.id.as_str())
        .name(name)
        .short_description(text(&info.title))
        .full_description(text(&info.description))
        .help(help)
        .default_configuration(ReportingConfiguration::builder().level(json!(info.level.as_str())).build())
        .properties(bag)
        .build()
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

fn result(r: &Report, f: &Finding, fingerprint: String) -> SarifResult {
    let l = &f.location;
    let region = Region::builder()
        .start_line(l.line as i64)
        .start_column(l.column as i64)
        .end_line(l.end_line as i64)
        .end_column(l.end_column as i64)
        .build();
    let physical = PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(l.path.uri()).build())
        .region(region)
        .build();
    let location = Location::builder().physical_location(physical).build();
    let state = super::expiry(f).map(|e| format!(" ({e})")).unwrap_or_default();
    let message = format!("{} {}{state}", f.rule.title, r.shown(f));
    let mut fps = BTreeMap::new();
    fps.insert("primaryLocationLineHash".to_string(), fingerprint);
    SarifResult::builder()
        .rule_id(f.rule.id.as_str())
        .rule_index(rule_index(r, f))
        .level(level(f.level))
        .message(Message::builder().text(message).build())
        .locations(vec![location])
        .partial_fingerprints(fps)
        .properties(PropertyBag::builder().additional_properties(properties(r, f)).build())
        .build()
}

fn rule_index(r: &Report, f: &Finding) -> i64 {
    r.rules.iter().position(|x| x.info.id == f.rule.id).map_or(-1, |i| i as i64)
}

fn properties(r: &Report, f: &Finding) -> BTreeMap<String, Value> {
    let mut p = BTreeMap::new();
    p.insert("secretSha256".to_string(), json!(f.sha256_hex()));
    if let Some(expired) = f.expired {
        p.insert("expired".to_string(), json!(expired));
    }
    if f.entry.is_some() {
        p.insert("container".to_string(), json!(f.shown_path()));
    }
    if let Some(e) = f.encoding {
        p.insert("encoding".to_string(), json!(e.as_str()));
    }
    if let Some(t) = f.expires_at {
        p.insert("expiresAt".to_string(), json!(iso8601(t, 0)));
    }
    if let Provenance::Git { commit } = &f.provenance {
        p.insert("commit".to_string(), json!(commit.id));
        p.insert("author".to_string(), json!(commit.author));
        p.insert("date".to_string(), json!(iso8601(commit.time, commit.offset_minutes)));
    }
    if let Provenance::Unreachable { blob } = &f.provenance {
        p.insert("blob".to_string(), json!(blob));
    }
    if let Some(e) = &f.exposure {
        p.insert("presentAtHead".to_string(), json!(e.present_at_head));
        p.insert("refs".to_string(), json!(e.refs));
        p.insert("refsCount".to_string(), json!(e.refs_count));
        p.insert("commitsCount".to_string(), json!(e.commits_count));
    }
    if let Some(rev) = r.revocation(f) {
        p.insert("revocation".to_string(), json!(rev));
    }
    p
}
