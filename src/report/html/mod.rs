//! `--format html`: one self-contained audit report a security lead can hand on.
//!
//! Takes the report (reported and hidden findings, summary, scan settings); gives one HTML
//! file with no network reference of any kind: its style, script and SVG charts are
//! inline, and a `<meta>` Content-Security-Policy allows nothing else (`default-src
//! 'none'`, the script and the style by SHA-256 hash). At the top the answer (counts by
//! rule and status, still at HEAD), what was scanned, the warnings; then the charts; then
//! the findings table, whose data is one JSON block rendered by `report.js`. Every string
//! from the repository is HTML-escaped here or set as text by the script; no raw secret.

pub(crate) mod data;
mod info;
mod svg;

use std::io::{self, Write};

use base64::Engine;
use sha2::{Digest, Sha256};

use self::data::{Row, Status, esc, script_json};
pub(crate) use self::info::scan_info;
use super::Report;
use crate::vocab::human_bytes;

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// `'sha256-…'` of an inline script or style, as CSP wants it.
fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// The page's Content-Security-Policy: nothing but this script and this style.
pub(crate) fn csp() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'none'; font-src 'none'; \
         connect-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(JS),
        csp_hash(CSS)
    )
}

pub(crate) fn write(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let rows = data::rows(r);
    let rule_ids: Vec<&str> = r.rules.iter().map(|x| x.info.id.as_str()).collect();
    let title = format!("loftyscan audit: {}", r.summary.scan.target);
    write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        csp(),
        esc(&title)
    )?;
    writeln!(w, "<header><h1>{}</h1>", esc(&title))?;
    answer(r, &rows, w)?;
    writeln!(w, "</header>")?;
    counts(&rows, &rule_ids, w)?;
    scanned(r, w)?;
    warnings(r, w)?;
    writeln!(w, "<section id=\"charts\"><h2>Leaks over time</h2>")?;
    legend(&rule_ids, w)?;
    writeln!(w, "{}", svg::timeline(&rows, &rule_ids))?;
    writeln!(w, "<h2>Top directories</h2>\n{}</section>", svg::directories(&rows))?;
    table(r, &rows, &rule_ids, w)?;
    writeln!(
        w,
        "<script type=\"application/json\" id=\"data\">{}</script>\n<script>{JS}</script>\n</body>\n</html>",
        script_json(&data::table(r, &rows))
    )
}

/// The one-sentence answer: live keys, expired ones, still at HEAD.
fn answer(r: &Report, rows: &[Row], w: &mut dyn Write) -> io::Result<()> {
    let n = |s: Status| rows.iter().filter(|x| x.status == s).count();
    let at_head =
        r.findings.iter().filter(|f| f.exposure.as_ref().is_some_and(|e| e.present_at_head)).count();
    let keys: std::collections::HashSet<[u8; 32]> = r.findings.iter().map(|f| f.sha256).collect();
    writeln!(
        w,
        "<p class=\"answer\"><strong id=\"answer-reported\">{}</strong> reported findings \
         (<span id=\"answer-keys\">{}</span> distinct keys): <strong id=\"answer-live\">{}</strong> live, \
         <span id=\"answer-expired\">{}</span> expired, <span id=\"answer-head\">{at_head}</span> still at HEAD; \
         <span id=\"answer-allowlisted\">{}</span> allowlisted and <span id=\"answer-baselined\">{}</span> \
         baselined (not reported).</p>",
        r.findings.len(),
        keys.len(),
        n(Status::Live),
        n(Status::Expired),
        n(Status::Allowlisted),
        n(Status::Baselined)
    )
}

/// Findings by rule (rows) and status (columns), with totals.
fn counts(rows: &[Row], rule_ids: &[&str], w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "<section id=\"counts\"><h2>Findings by rule and status</h2>\n<table class=\"counts\"><thead><tr><th>Rule</th>"
    )?;
    for s in Status::ALL {
        write!(w, "<th>{}</th>", s.label())?;
    }
    writeln!(w, "<th>Total</th></tr></thead><tbody>")?;
    let mut ids: Vec<&str> = rule_ids.to_vec();
    for row in rows {
        if !ids.contains(&row.f.rule.id.as_str()) {
            ids.push(&row.f.rule.id);
        }
    }
    for id in ids.iter().copied().map(Some).chain([None]) {
        let mine = |row: &&Row| id.is_none_or(|id| row.f.rule.id == id);
        let name = id.map_or("Total".to_string(), esc);
        write!(w, "<tr><th>{name}</th>")?;
        for s in Status::ALL {
            let n = rows.iter().filter(mine).filter(|x| x.status == s).count();
            write!(
                w,
                "<td data-rule=\"{}\" data-status=\"{}\">{n}</td>",
                id.map_or("*".into(), esc),
                s.id()
            )?;
        }
        writeln!(
            w,
            "<td data-rule=\"{}\" data-status=\"*\">{}</td></tr>",
            id.map_or("*".into(), esc),
            rows.iter().filter(mine).count()
        )?;
    }
    writeln!(w, "</tbody></table></section>")
}

/// What was scanned: target, mode, counts, time, settings.
fn scanned(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let s = r.summary;
    let mut items: Vec<(String, String)> =
        vec![("Target".into(), s.scan.target.clone()), ("Mode".into(), s.scan.mode.clone())];
    if let Some(c) = s.stats.commits {
        items.push(("Commits".into(), c.to_string()));
        items.push(("Blobs".into(), s.stats.files.to_string()));
    } else {
        items.push(("Files".into(), s.stats.files.to_string()));
    }
    items.push(("Bytes".into(), format!("{} ({})", s.stats.bytes, human_bytes(s.stats.bytes))));
    items.push(("Time".into(), format!("{:.2} s", s.elapsed.as_secs_f64())));
    items.push(("Started".into(), super::iso8601(s.started_at, 0)));
    items.push(("Tool".into(), format!("loftyscan {}", env!("CARGO_PKG_VERSION"))));
    items.extend(s.scan.settings.iter().cloned());
    writeln!(w, "<section id=\"scanned\"><h2>What was scanned</h2>\n<dl>")?;
    for (k, v) in items {
        writeln!(w, "<dt>{}</dt><dd>{}</dd>", esc(&k), esc(&v))?;
    }
    writeln!(w, "</dl></section>")
}

fn warnings(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let s = r.summary;
    writeln!(
        w,
        "<section id=\"warnings\"><h2>Warnings: <span id=\"warning-count\">{}</span></h2>",
        s.warnings
    )?;
    if !s.stats.skipped.is_empty() {
        let parts: Vec<String> = s.stats.skipped.iter().map(|(k, n)| format!("{n} {}", k.as_str())).collect();
        writeln!(w, "<p>Skipped: {}</p>", esc(&parts.join(", ")))?;
    }
    if !s.baseline_stale.is_empty() {
        writeln!(w, "<p>{} baseline entries matched nothing.</p>", s.baseline_stale.len())?;
    }
    if !s.scan.warning_lines.is_empty() {
        writeln!(w, "<ul class=\"warnings\">")?;
        for line in &s.scan.warning_lines {
            writeln!(w, "<li>{}</li>", esc(line))?;
        }
        let more = s.warnings.saturating_sub(s.scan.warning_lines.len() as u64);
        if more > 0 {
            writeln!(w, "<li>… and {more} more (see the scan's standard error)</li>")?;
        }
        writeln!(w, "</ul>")?;
    } else if s.warnings == 0 {
        writeln!(w, "<p>None.</p>")?;
    }
    writeln!(w, "</section>")
}

fn legend(rule_ids: &[&str], w: &mut dyn Write) -> io::Result<()> {
    write!(w, "<p class=\"legend\">")?;
    for (i, id) in rule_ids.iter().enumerate() {
        write!(
            w,
            "<span><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"{}\"/></svg> {}</span> ",
            svg::colour(i),
            esc(id)
        )?;
    }
    writeln!(w, "</p>")
}

/// The filter form and the empty table the script fills.
fn table(r: &Report, rows: &[Row], rule_ids: &[&str], w: &mut dyn Write) -> io::Result<()> {
    let opt = |v: &str, label: &str| format!("<option value=\"{}\">{}</option>", esc(v), esc(label));
    let rules: String = rule_ids.iter().map(|id| opt(id, id)).collect();
    let statuses: String = Status::ALL.iter().map(|s| opt(s.id(), s.label())).collect();
    writeln!(
        w,
        "<section id=\"findings\"><h2>Findings</h2>\n<form id=\"filters\" autocomplete=\"off\">\
         <label>Rule <select id=\"f-rule\"><option value=\"\">any</option>{rules}</select></label> \
         <label>Level <select id=\"f-level\"><option value=\"\">any</option><option value=\"error\">error</option>\
         <option value=\"warning\">warning</option></select></label> \
         <label>Status <select id=\"f-status\"><option value=\"\">any</option>{statuses}</select></label> \
         <label>Still at HEAD <select id=\"f-head\"><option value=\"\">any</option><option value=\"yes\">yes</option>\
         <option value=\"no\">no</option></select></label> \
         <label>Path <input id=\"f-path\" type=\"search\" placeholder=\"text in the path\"></label> \
         <span id=\"f-key-box\" hidden>Key <code id=\"f-key\"></code> <button type=\"button\" id=\"f-key-clear\">show all keys</button></span> \
         <button type=\"button\" id=\"f-reset\">Reset</button></form>\n\
         <p class=\"shown\"><span id=\"shown\">{n}</span> of <span id=\"total\">{n}</span> findings shown{git}.</p>\n\
         <noscript><p>The table needs JavaScript; the counts above are complete.</p></noscript>\n\
         <table id=\"table\"><thead><tr>\
         <th data-sort=\"rule\">Rule</th><th data-sort=\"level\">Level</th><th data-sort=\"status\">Status</th>\
         <th data-sort=\"key\">Key (redacted)</th><th data-sort=\"path\">Location</th>\
         <th data-sort=\"date\">First commit</th><th data-sort=\"head\">Still at HEAD</th>\
         <th data-sort=\"refs\">Refs / commits</th><th>Other locations of the key</th>\
         </tr></thead><tbody id=\"rows\"></tbody></table>\n\
         <p><button type=\"button\" id=\"more\" hidden>Show more</button></p></section>",
        n = rows.len(),
        git = if r.summary.stats.commits.is_some() {
            " (git: the oldest commit with the key at that path)"
        } else {
            ""
        },
    )
}
