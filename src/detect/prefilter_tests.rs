//! Unit tests of the prefilter: every occurrence, in order, through triggers at offsets.

use super::*;

fn all(patterns: &[&str], hay: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    Prefilter::new(patterns).unwrap().for_each(hay.as_bytes(), 0..hay.len(), |k, p| out.push((k, p)));
    out
}

#[test]
fn finds_overlapping_and_nested_anchors() {
    assert_eq!(all(&["eyJ", "lfk_sk_"], "a eyJ lfk_sk_x eyJ"), [(0, 2), (1, 6), (0, 15)]);
    assert_eq!(all(&["aa"], "aaaa"), [(0, 0), (0, 1), (0, 2)]);
    assert_eq!(all(&["eyJ", "eyJhbG"], "eyJhbGci"), [(0, 0), (1, 0)]);
    assert_eq!(all(&["abc", "bcd"], "abcd"), [(0, 0), (1, 1)]);
    assert_eq!(all(&["eyJ"], "eyJ"), [(0, 0)]);
    assert!(all(&["eyJ"], "ey").is_empty());
}

#[test]
fn anchors_behind_a_trigger_at_an_offset_come_in_position_order() {
    // `\0e\0y\0J` (UTF-16BE) is found through the trigger `e\0y` one byte in; `eyAi`
    // through `eyA`; `lfk%5Fsk%5F` through `lfk`.
    let pats = ["eyJ", "\0e\0y\0J", "e\0y\0J\0", "eyAi", "lfk_sk_", "lfk%5Fsk%5F"];
    let hay = "x\0e\0y\0J\0 eyAi eyAx lfk%5Fsk%5F lfk_sk_";
    assert_eq!(all(&pats, hay), [(1, 1), (2, 2), (3, 9), (5, 19), (4, 31)]);
    let p = Prefilter::new(&pats).unwrap();
    assert_eq!(p.triggers().len(), 4, "eyJ, e\\0y, eyA, lfk");
    // An anchor starting before the range is not reported, though its trigger is inside.
    let mut out = Vec::new();
    p.for_each(hay.as_bytes(), 2..hay.len(), |k, s| out.push((k, s)));
    assert_eq!(out[0], (2, 2));
}

#[test]
fn the_plan_covers_every_builtin_anchor_in_one_slim_search() {
    let det = crate::detect::Detector::new(crate::detect::rules::builtin().unwrap()).unwrap();
    let t = det.anchors.triggers();
    let plan: Vec<&[u8]> = PLAN.iter().map(|p| p.as_bytes()).collect();
    for tr in t {
        assert!(
            plan.contains(&tr.as_slice()),
            "trigger {:?} is not in the plan",
            String::from_utf8_lossy(tr)
        );
    }
    assert_eq!(t.len(), PLAN.len(), "every plan trigger is used");
    assert!(t.iter().all(|tr| tr.len() >= 3), "Teddy compares 3 bytes per trigger");
    assert!(det.anchors.patterns.len() > t.len());
}
