//! Token boundaries that know escape sequences: where a key may start although the byte
//! before it is a letter or digit, because that byte ends an escape.
//!
//! Takes the buffer and a candidate's start; gives whether the bytes before it end a
//! recognised escape that stands for a character that cannot be part of a token: `\n`,
//! `\t`, `\r` (and `\b \f \v \0`), `\uXXXX`, `\xXX`, `%XX`, `%25XX` (double
//! percent-encoding), quoted-printable `=XX` (upper-case hex). HTML entities end in `;`,
//! which is a boundary already. An escape that stands for a token character (`%41`,
//! `\u005f`) is no boundary: the key is then still part of a longer token (`xlfk_sk_…`
//! is never a key). Looks at most 6 bytes back.

/// Does `data[..start]` end with an escape of a non-token character?
/// `is_token` tells which characters continue the candidate's token.
pub(crate) fn after_escape(data: &[u8], start: usize, is_token: fn(u8) -> bool) -> bool {
    let before = &data[..start];
    let ok = |c: Option<u8>| c.is_some_and(|c| !is_token(c));
    if let [.., b'\\', c] = before
        && odd_backslashes(&before[..before.len() - 1])
    {
        return matches!(c, b'n' | b't' | b'r' | b'b' | b'f' | b'v' | b'0');
    }
    if let [.., b'\\', b'u', a, b, c, d] = before
        && odd_backslashes(&before[..before.len() - 5])
    {
        let v = hex2(*a, *b).zip(hex2(*c, *d)).map(|(hi, lo)| u16::from(hi) << 8 | u16::from(lo));
        return ok(v.and_then(|v| u8::try_from(v).ok()));
    }
    match before {
        [.., b'\\', b'x', a, b] if odd_backslashes(&before[..before.len() - 3]) => ok(hex2(*a, *b)),
        [.., b'%', b'2', b'5', a, b] => ok(hex2(*a, *b)),
        [.., b'%', a, b] => ok(hex2(*a, *b)),
        [.., b'=', a, b] if is_upper_hex(*a) && is_upper_hex(*b) => ok(hex2(*a, *b)),
        _ => false,
    }
}

/// `s` ends with an odd number of backslashes (the last one starts an escape).
fn odd_backslashes(s: &[u8]) -> bool {
    s.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

fn is_upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

fn hex2(a: u8, b: u8) -> Option<u8> {
    let d = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    Some(d(a)? << 4 | d(b)?)
}

/// Word characters (`[A-Za-z0-9_]`): what `(?-u:\b)` in a rule pattern separates.
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(s: &str) -> bool {
        after_escape(s.as_bytes(), s.len(), is_word)
    }

    #[test]
    fn escapes_of_separators_are_boundaries() {
        for s in [
            r#"{"log":"key:\n"#,
            "a\\t",
            "x\\r",
            r"\u003e",
            r"\u0022",
            r"\x20",
            "redirect?k%3D",
            "%20",
            "%253D",
            "q=3D",
            "=20",
            r"\\\n",
        ] {
            assert!(at_end(s), "{s}");
        }
    }

    #[test]
    fn token_characters_and_non_escapes_are_not() {
        for s in [
            "x", "my", r"\\n", r"\u005f", r"\u0041", "%41", "%5F", "=41", "=3d", "key=ab", "0x1F", r"\q",
            "%2", r"\u12", r"\u2603", "n", "",
        ] {
            assert!(!at_end(s), "{s}");
        }
    }
}
