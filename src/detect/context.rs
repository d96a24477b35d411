//! The text before a token as a reader sees it: escapes decoded, so a sign written inside
//! escaped JSON, an HTML attribute or a percent-encoded URL reads like a plain one.
//!
//! Takes the context bytes before a candidate (at most a rule's `context_bytes`, so work
//! is bounded); gives them with `\"`, `\\`, `\/`, `\n`/`\t`/`\r`, `\uXXXX` and `\xXX` (ASCII),
//! `%XX` and `%25XX`, and the HTML entities `&quot;` `&apos;` `&amp;` `&lt;` `&gt;`
//! `&nbsp;` `&#NN;` `&#xHH;` replaced by the characters they stand for. Anything that is
//! not a complete escape is kept as it is.

/// `window` with its escapes decoded into `out` (cleared first).
pub(crate) fn unescape(window: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < window.len() {
        let (b, n) = one(&window[i..]);
        out.push(b);
        i += n;
    }
}

/// The first (possibly escaped) character of `s`, and how many bytes it took.
fn one(s: &[u8]) -> (u8, usize) {
    let hex = |t: &[u8]| std::str::from_utf8(t).ok().and_then(|t| u32::from_str_radix(t, 16).ok());
    let ascii = |v: Option<u32>, n: usize| v.filter(|&v| v < 0x80).map(|v| (v as u8, n));
    let decoded = match s {
        [b'\\', b'u', rest @ ..] if rest.len() >= 4 => ascii(hex(&rest[..4]), 6),
        [b'\\', b'x', rest @ ..] if rest.len() >= 2 => ascii(hex(&rest[..2]), 4),
        [b'\\', c, ..] => match c {
            b'n' => Some((b'\n', 2)),
            b't' => Some((b'\t', 2)),
            b'r' => Some((b'\r', 2)),
            b'"' | b'\'' | b'\\' | b'/' | b'`' => Some((*c, 2)),
            _ => None,
        },
        [b'%', b'2', b'5', a, b, ..] => ascii(hex(&[*a, *b]), 5),
        [b'%', a, b, ..] => ascii(hex(&[*a, *b]), 3),
        [b'&', ..] => entity(s),
        _ => None,
    };
    decoded.unwrap_or((s[0], 1))
}

fn entity(s: &[u8]) -> Option<(u8, usize)> {
    let end = s.iter().take(10).position(|&b| b == b';')?;
    let name = &s[1..end];
    let c = match name {
        b"quot" => b'"',
        b"apos" => b'\'',
        b"amp" => b'&',
        b"lt" => b'<',
        b"gt" => b'>',
        b"nbsp" => b' ',
        [b'#', b'x' | b'X', h @ ..] => {
            u8::try_from(u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?)
                .ok()
                .filter(u8::is_ascii)?
        }
        [b'#', d @ ..] => {
            u8::try_from(std::str::from_utf8(d).ok()?.parse::<u32>().ok()?).ok().filter(u8::is_ascii)?
        }
        _ => return None,
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> String {
        let mut out = Vec::new();
        unescape(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn decodes_the_common_escapes() {
        assert_eq!(u(r#"{\"Authorization\": \"token "#), r#"{"Authorization": "token "#);
        assert_eq!(u("&#34;Authorization&#34;: &quot;token "), r#""Authorization": "token "#);
        assert_eq!(u("&#x22;a&#x22;&amp;&lt;&gt;&apos;&nbsp;"), "\"a\"&<>' ");
        assert_eq!(u(r"\u0022Authorization\u0022:\u0020\u0022token\u0020"), r#""Authorization": "token "#);
        assert_eq!(u("Authorization%3A%20token%20"), "Authorization: token ");
        assert_eq!(u("Authorization%253A%2520token%2520"), "Authorization: token ");
        assert_eq!(u(r"a\nb\tc\x41"), "a\nb\tcA");
    }

    #[test]
    fn incomplete_escapes_stay() {
        assert_eq!(u(r"\u00"), r"\u00");
        assert_eq!(u("%4"), "%4");
        assert_eq!(u("&bogus; &#xZZ; &"), "&bogus; &#xZZ; &");
        assert_eq!(u(r"\u2603 \q"), r"\u2603 \q");
    }
}
