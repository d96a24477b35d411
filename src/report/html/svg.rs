//! The HTML report's pictures, drawn here as inline SVG (no charting library, no script):
//! leaks over time (first-seen month, stacked by rule) and the top directories.
//!
//! Takes the report's rows (only reported findings, live or expired, are counted: hidden
//! ones are not leaks to act on); gives SVG markup with presentation attributes only (no
//! `style`), every label escaped, each bar with a `<title>` tooltip.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::data::{Row, esc};
use crate::finding::Provenance;

/// Bar colours by rule position (colour-blind-safe-ish, distinct on white).
pub(super) const PALETTE: [&str; 8] =
    ["#c0392b", "#2471a3", "#d68910", "#148f77", "#7d3c98", "#566573", "#a04000", "#1e8449"];

/// More months than this are drawn by year.
const MAX_MONTHS: i64 = 120;
const TOP_DIRS: usize = 10;

pub(super) fn colour(rule: usize) -> &'static str {
    PALETTE[rule % PALETTE.len()]
}

/// First-seen date of each reported finding (git history), by month or by year, stacked by rule.
pub(super) fn timeline(rows: &[Row], rules: &[&str]) -> String {
    let Some((by_year, buckets)) = buckets(rows, rules) else {
        return "<p class=\"empty\">No first-seen dates: no reported finding comes from git history.</p>"
            .into();
    };
    let label = |b: i64| {
        if by_year { b.to_string() } else { format!("{}-{:02}", b.div_euclid(12), b.rem_euclid(12) + 1) }
    };
    let max = buckets.values().map(|r| r.values().sum::<u64>()).max().unwrap_or(1).max(1);
    let (w, h, left, bottom) = (760.0f64, 240.0f64, 40.0f64, 40.0f64);
    let slot = (w - left - 10.0) / buckets.len() as f64;
    let scale = (h - bottom - 10.0) / max as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg id=\"chart-time\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"Findings by first-seen {}\">",
        if by_year { "year" } else { "month" }
    );
    axis(&mut s, left, h - bottom, w, max);
    let every = (buckets.len() / 12).max(1);
    for (i, (b, per_rule)) in buckets.iter().enumerate() {
        let x = left + i as f64 * slot + slot * 0.1;
        let mut y = h - bottom;
        for (rule, n) in per_rule {
            let bh = *n as f64 * scale;
            y -= bh;
            let name = rules.get(*rule).copied().unwrap_or("other");
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\" data-bucket=\"{}\" \
                 data-rule=\"{}\" data-count=\"{n}\"><title>{}: {n} {}</title></rect>",
                slot * 0.8,
                colour(*rule),
                label(*b),
                esc(name),
                label(*b),
                esc(name)
            );
        }
        if i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
                x + slot * 0.4,
                h - bottom + 14.0,
                label(*b)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Findings by time bucket (month or year) and rule index.
type Counts = BTreeMap<i64, BTreeMap<usize, u64>>;

/// Reported git findings counted by first-seen month (by year, over `MAX_MONTHS` months)
/// and rule index, every bucket between the first and the last present; `None` if none.
fn buckets(rows: &[Row], rules: &[&str]) -> Option<(bool, Counts)> {
    let mut months: Counts = BTreeMap::new();
    for row in rows.iter().filter(|r| r.status.reported()) {
        let Provenance::Git { commit } = &row.f.provenance else { continue };
        let date = crate::vocab::iso8601(commit.time, commit.offset_minutes);
        let (y, m) = (date[..4].parse::<i64>().unwrap_or(1970), date[5..7].parse::<i64>().unwrap_or(1));
        let rule = rules.iter().position(|r| *r == row.f.rule.id).unwrap_or(rules.len());
        *months.entry(y * 12 + m - 1).or_default().entry(rule).or_default() += 1;
    }
    let (&lo, &hi) = (months.keys().next()?, months.keys().next_back()?);
    let by_year = hi - lo + 1 > MAX_MONTHS;
    let bucket = |m: i64| if by_year { m.div_euclid(12) } else { m };
    let mut buckets: Counts = (bucket(lo)..=bucket(hi)).map(|b| (b, BTreeMap::new())).collect();
    for (m, per_rule) in months {
        let b = buckets.entry(bucket(m)).or_default();
        for (rule, n) in per_rule {
            *b.entry(rule).or_default() += n;
        }
    }
    Some((by_year, buckets))
}

fn axis(s: &mut String, left: f64, base: f64, w: f64, max: u64) {
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{w}\" y2=\"{base}\" stroke=\"#888\"/>\
         <text x=\"{:.1}\" y=\"14\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">{max}</text>\
         <text x=\"{:.1}\" y=\"{base}\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">0</text>",
        left - 4.0,
        left - 4.0
    );
}

/// The directories holding the most reported findings (a file's parent directory).
pub(super) fn directories(rows: &[Row]) -> String {
    let mut dirs: BTreeMap<String, u64> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.status.reported()) {
        if matches!(row.f.provenance, Provenance::Unreachable { .. }) {
            *dirs.entry("(unreachable blobs)".into()).or_default() += 1;
            continue;
        }
        let path = row.f.location.path.lossy();
        let dir = path.rsplit_once('/').map_or("(root)".to_string(), |(d, _)| format!("{d}/"));
        *dirs.entry(dir).or_default() += 1;
    }
    if dirs.is_empty() {
        return "<p class=\"empty\">No reported findings.</p>".into();
    }
    let mut top: Vec<(String, u64)> = dirs.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(TOP_DIRS);
    let max = top[0].1.max(1) as f64;
    let (w, row_h, label_w) = (760.0f64, 22.0f64, 300.0f64);
    let h = row_h * top.len() as f64 + 6.0;
    let mut s = format!(
        "<svg id=\"chart-dirs\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"Top directories\">"
    );
    for (i, (dir, n)) in top.iter().enumerate() {
        let y = i as f64 * row_h + 3.0;
        let bw = (w - label_w - 60.0) * *n as f64 / max;
        let shown: String = if dir.chars().count() > 48 {
            let tail: Vec<char> = dir.chars().rev().take(47).collect();
            format!("…{}", tail.into_iter().rev().collect::<String>())
        } else {
            dir.clone()
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#222\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#2471a3\" data-dir=\"{}\" \
             data-count=\"{n}\"><title>{}: {n}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#222\">{n}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&shown),
            row_h - 6.0,
            esc(dir),
            esc(dir),
            label_w + bw + 4.0,
            y + 14.0
        );
    }
    s.push_str("</svg>");
    s
}
