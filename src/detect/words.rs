//! Word content of a key body: how much of it is dictionary words written the way a
//! person writes them (`PasteYourKeyHere`, `insertyourkeyhere`, `THIS_IS_NOT_A_KEY`).
//!
//! Takes a body; gives the share of its bytes covered by non-overlapping words of the
//! embedded list (`rules/words.txt`), each word all lower-case, all upper-case or
//! Capitalized (random text rarely keeps a word's case; three letters in one case
//! occur at a random position with probability about 3/62³). The best cover is found by
//! dynamic programming in O(len × longest word). A random 40-character body reaches a
//! share of 0.5 with probability far below 1e-6 (measured: see `BENCHMARKS.md`).

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../../rules/words.txt");
/// Longest word considered.
const MAX_WORD: usize = 16;

struct Dict {
    /// Lower-cased words of 3 letters or more.
    long: HashSet<Vec<u8>>,
    /// Two-letter words, counted only Capitalized (`Is`, `To`).
    short: HashSet<Vec<u8>>,
    /// Which lower-case three-letter starts some long word has (26³ flags): most windows
    /// of a random body stop here, before any hashing.
    starts: Vec<bool>,
}

fn start_index(w: &[u8]) -> usize {
    let l = |c: u8| usize::from(c.to_ascii_lowercase().wrapping_sub(b'a')).min(25);
    (l(w[0]) * 26 + l(w[1])) * 26 + l(w[2])
}

fn dict() -> &'static Dict {
    static D: OnceLock<Dict> = OnceLock::new();
    D.get_or_init(|| {
        let mut d = Dict { long: HashSet::new(), short: HashSet::new(), starts: vec![false; 26 * 26 * 26] };
        for line in LIST.lines() {
            let line = line.split('#').next().unwrap_or("");
            for w in line.split_whitespace().filter(|w| w.len() <= MAX_WORD) {
                let lower = w.to_ascii_lowercase().into_bytes();
                match w.len() {
                    0 | 1 => {}
                    2 => drop(d.short.insert(lower)),
                    _ if lower.iter().all(u8::is_ascii_lowercase) => {
                        d.starts[start_index(&lower)] = true;
                        d.long.insert(lower);
                    }
                    _ => {}
                }
            }
        }
        d
    })
}

/// Written as a person writes a word: all lower, all upper, or Capitalized.
pub(crate) fn person_case(w: &[u8]) -> bool {
    let rest = &w[1..];
    w.iter().all(u8::is_ascii_lowercase)
        || w.iter().all(u8::is_ascii_uppercase)
        || (w[0].is_ascii_uppercase() && rest.iter().all(u8::is_ascii_lowercase))
}

/// Share (0 to 1) of `body`'s bytes covered by dictionary words in a person's case.
pub(crate) fn word_share(body: &[u8]) -> f64 {
    if body.is_empty() {
        return 0.0;
    }
    let d = dict();
    let mut best = vec![0usize; body.len() + 1];
    let mut lower = [0u8; MAX_WORD];
    for end in 1..=body.len() {
        best[end] = best[end - 1];
        let (mut all_lower, mut all_upper) = (true, true);
        for len in 1..=MAX_WORD.min(end) {
            let w = &body[end - len..end];
            let c = w[0];
            if !c.is_ascii_alphabetic() {
                break; // every longer window holds it too
            }
            let capitalized = c.is_ascii_uppercase() && all_lower && len > 1;
            (all_lower, all_upper) =
                (all_lower && c.is_ascii_lowercase(), all_upper && c.is_ascii_uppercase());
            if !(all_lower || all_upper || capitalized) {
                break; // mixed case inside: no longer window is in a person's case either
            }
            let known = match len {
                1 => false,
                2 => {
                    c.is_ascii_uppercase() && {
                        let l = &mut lower[..2];
                        l.copy_from_slice(w);
                        l.make_ascii_lowercase();
                        d.short.contains(&*l)
                    }
                }
                _ => {
                    d.starts[start_index(w)] && {
                        let l = &mut lower[..len];
                        l.copy_from_slice(w);
                        l.make_ascii_lowercase();
                        d.long.contains(&*l)
                    }
                }
            };
            if known {
                best[end] = best[end].max(best[end - len] + len);
            }
            if capitalized {
                break; // a capital starts the word: nothing longer is in a person's case
            }
        }
    }
    best[body.len()] as f64 / body.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testgen::Rng;

    #[test]
    fn placeholders_made_of_words_score_high() {
        for body in [
            "PasteYourTrustLeadsApiKeyHereBeforeUsing",
            "InsertYourOwnSecretKeyHereAndKeepItSafe1",
            "ThisIsNotARealKeyItIsOnlyForTheDocsPage1",
            "YOURAPIKEYGOESHEREREPLACEWITHREALVALUE12",
            "replacethiswithyourrealtrustleadsapikey0",
        ] {
            assert!(word_share(body.as_bytes()) >= 0.6, "{body}: {}", word_share(body.as_bytes()));
        }
    }

    #[test]
    fn random_bodies_score_low() {
        let mut rng = Rng::new(7);
        let worst = (0..20_000).map(|_| word_share(rng.alnum(40).as_bytes())).fold(0.0, f64::max);
        assert!(worst < 0.35, "{worst}");
    }

    /// The plain O(len × longest word) cover, without the shortcuts.
    fn reference(body: &[u8]) -> f64 {
        let d = dict();
        let mut best = vec![0usize; body.len() + 1];
        for end in 1..=body.len() {
            best[end] = best[end - 1];
            for len in 2..=MAX_WORD.min(end) {
                let w = &body[end - len..end];
                if !w.iter().all(u8::is_ascii_alphabetic) || !person_case(w) {
                    continue;
                }
                let l = w.to_ascii_lowercase();
                let known = if len == 2 {
                    w[0].is_ascii_uppercase() && d.short.contains(&l)
                } else {
                    d.long.contains(&l)
                };
                if known {
                    best[end] = best[end].max(best[end - len] + len);
                }
            }
        }
        best[body.len()] as f64 / body.len().max(1) as f64
    }

    #[test]
    fn shortcuts_give_the_plain_cover() {
        let mut rng = Rng::new(11);
        let words = ["Paste", "YOUR", "key", "Here", "Is", "IS", "to", "Api", "example", "THIS", "notAReal"];
        for i in 0..20_000 {
            let mut body = rng.alnum(8 + i % 40);
            for k in 0..(i % 4) {
                let w = words[(i * 7 + k * 3) % words.len()];
                let at = (i * 13 + k * 5) % (body.len() + 1);
                body.insert_str(at, w);
            }
            assert_eq!(word_share(body.as_bytes()), reference(body.as_bytes()), "{body}");
        }
    }
}
