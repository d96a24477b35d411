//! Unit tests of the JWS candidate finder, decoder and Lofty sign.

use super::*;
use crate::detect::testgen::Rng;

fn cand(s: &str) -> Option<Candidate> {
    let h = s.find("eyJ").unwrap();
    candidate(s.as_bytes(), h, 16384)
}

fn token_of(s: &str) -> Option<&str> {
    cand(s).map(|c| &s[c.start..c.end])
}

fn decode_str(tok: &str) -> Option<Jws> {
    let c = candidate(tok.as_bytes(), 0, 16384)?;
    decode(tok.as_bytes(), &c, &mut Vec::new())
}

#[test]
fn candidate_boundaries() {
    let t = Rng::new(1).lofty();
    assert_eq!(token_of(&t), Some(t.as_str()), "whole buffer, start and end of input");
    assert_eq!(token_of(&format!("k=\"{t}\"\n")), Some(t.as_str()));
    assert_eq!(token_of(&format!("{t}.")), Some(t.as_str()), "sentence end");
    assert_eq!(token_of(&format!("{t}...")), Some(t.as_str()), "ellipsis");
    assert_eq!(token_of(&format!("{t}\r\n")), Some(t.as_str()), "CRLF");
    assert_eq!(token_of(&format!("x{t}")), None, "inside a longer token");
    assert_eq!(token_of(&format!("-{t}")), None, "base64url character before");
    assert_eq!(token_of(&format!("a.{t}")), None, "inside a dotted run");
    assert_eq!(token_of(&format!("{t}.abc.def")), None, "five segments (JWE shape)");
    assert_eq!(token_of("eyJhbGciOiJIUzI1NiJ9.eyJ9"), None, "two segments");
    assert_eq!(token_of("eyJhbGciOiJIUzI1NiJ9..abc"), None, "empty payload");
    let long = format!("eyJ{}.eyJ{}.abc", "A".repeat(20000), "B".repeat(10));
    assert_eq!(candidate(long.as_bytes(), 0, 16384), None, "longer than max_len");
}

#[test]
fn decodes_every_known_alg_with_its_signature_length() {
    let mut rng = Rng::new(2);
    for (alg, len) in [
        ("HS256", 32),
        ("HS384", 48),
        ("HS512", 64),
        ("RS256", 256),
        ("RS512", 512),
        ("PS384", 384),
        ("ES256", 64),
        ("ES384", 96),
        ("ES512", 132),
        ("EdDSA", 64),
        ("EdDSA", 114),
    ] {
        let t = rng.jws(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), r#"{"sub":"1"}"#, len);
        assert!(decode_str(&t).is_some(), "{alg}/{len} rejected");
        let short = rng.jws(&format!(r#"{{"alg":"{alg}"}}"#), r#"{"sub":"1"}"#, len - 1);
        assert!(decode_str(&short).is_none(), "{alg} with {} bytes accepted", len - 1);
    }
}

#[test]
fn rejects_what_is_not_a_jws() {
    let mut rng = Rng::new(3);
    let p = r#"{"scope":"THIRD_PARTY_OPERATION"}"#;
    for (header, payload, len, why) in [
        (r#"{"alg":"none"}"#, p, 32, "alg none"),
        (r#"{"alg":"NONE"}"#, p, 32, "alg NONE"),
        (r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#, p, 256, "JWE header"),
        (r#"{"typ":"JWT"}"#, p, 32, "no alg"),
        (r#"{"alg":"HS999"}"#, p, 32, "unknown alg"),
        (r#"["HS256"]"#, p, 32, "header not an object"),
        (r#"{"alg":"HS256"}"#, r#"["a"]"#, 32, "payload not an object"),
        (r#"{"alg":"HS256"}"#, "not json", 32, "payload not JSON"),
        (r#"{"alg":"HS256"}"#, r#"{"a":1} x"#, 32, "trailing garbage"),
    ] {
        let t = rng.jws(header, payload, len);
        assert!(decode_str(&t).is_none(), "{why}");
    }
    // A constant signature is a placeholder.
    let t = format!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{}", "A".repeat(43));
    assert!(decode_str(&t).is_none());
    // Non-canonical base64 (the 2 unused bits of a 32-byte signature's last character
    // set: 'y' and 'z' both have them) is not a token.
    let good = rng.jws(r#"{"alg":"HS256"}"#, r#"{"sub":"1"}"#, 32);
    let last = good.chars().last().unwrap();
    let bumped = if last == 'z' { 'y' } else { 'z' };
    let bad = format!("{}{}", &good[..good.len() - 1], bumped);
    assert!(decode_str(&good).is_some());
    assert!(decode_str(&bad).is_none());
}

#[test]
fn deeply_nested_payload_is_rejected_without_overflow() {
    let payload = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let t = Rng::new(4).jws(r#"{"alg":"HS256"}"#, &payload, 32);
    assert!(decode_str(&t).is_none());
}

#[test]
fn reads_exp() {
    let mut rng = Rng::new(5);
    let t = rng.jws(r#"{"alg":"HS256"}"#, r#"{"exp":1700000000}"#, 32);
    assert_eq!(decode_str(&t).unwrap().exp, Some(1_700_000_000));
    let t = rng.jws(r#"{"alg":"HS256"}"#, r#"{"exp":1700000000.7}"#, 32);
    assert_eq!(decode_str(&t).unwrap().exp, Some(1_700_000_000));
    let t = rng.jws(r#"{"alg":"HS256"}"#, r#"{"exp":"tomorrow"}"#, 32);
    assert_eq!(decode_str(&t).unwrap().exp, None);
}

fn lofty_sign() -> Sign {
    let spec: SignSpec = toml::from_str(
        "payload_contains=['THIRD_PARTY_OPERATION']\n\
         claims=[{name='iss',contains='lofty'},{name='aud',contains='lofty'}]\n\
         context='''(?i)lofty|authorization[\"']?\\s*[:=]\\s*[\"']?\\s*token\\s'''\n",
    )
    .unwrap();
    Sign::compile(spec).unwrap()
}

#[test]
fn lofty_signs_in_the_token() {
    let (sign, mut rng) = (lofty_sign(), Rng::new(6));
    let h = r#"{"alg":"HS256"}"#;
    for (payload, want) in [
        (r#"{"scope":"THIRD_PARTY_OPERATION"}"#, true),
        (r#"{"scp":["read","THIRD_PARTY_OPERATION"]}"#, true),
        (r#"{"iss":"https://api.Lofty.com"}"#, true),
        (r#"{"aud":["x","lofty-api"]}"#, true),
        (r#"{"iss":"https://accounts.example.org","sub":"1"}"#, false),
        (r#"{"scope":"third_party_operation_not"}"#, false),
    ] {
        let t = rng.jws(h, payload, 32);
        assert_eq!(sign.in_token(&decode_str(&t).unwrap()), want, "{payload}");
    }
}

#[test]
fn lofty_signs_next_to_the_token() {
    let sign = lofty_sign();
    for (before, want) in [
        ("export LOFTY_CUSTOMER_KEY=\"", true),
        ("lofty-cli auth set ", true),
        ("curl https://api.lofty.com/v1.0/leads -H \"Authorization: token ", true),
        ("headers = {\"authorization\": \"token ", true),
        ("-H \"Authorization: Bearer ", false),
        ("id_token = ", false),
    ] {
        let data = format!("{before}eyJ...");
        assert_eq!(sign.in_context(data.as_bytes(), before.len(), before.len() + 3), want, "{before}");
    }
    // Only the 256 bytes before count.
    let far = format!("lofty{}eyJ", " ".repeat(300));
    assert!(!sign.in_context(far.as_bytes(), far.len() - 3, far.len()));
}

#[test]
fn lofty_signs_split_around_the_token() {
    // The built-in rule's sign: its `around` pairs are rule data.
    let rules: toml::Value = toml::from_str(include_str!("../../rules/lofty.toml")).unwrap();
    let spec = rules["rules"].as_array().unwrap().iter().find(|r| r["id"].as_str() == Some("lofty-api-key"));
    let spec: SignSpec = spec.unwrap()["sign"].clone().try_into().unwrap();
    let sign = Sign::compile(spec).unwrap();
    for (before, after, want) in [
        (r#"{"value":"token "#, r#"","key":"Authorization"}"#, true),
        (r#"{"value": "token "#, r#"", "name": "authorization"}"#, true),
        (r#"{\"value\":\"token "#, r#"\",\"key\":\"Authorization\"}"#, true),
        // another header's pair after, or no scheme before
        (r#"{"value":"token "#, r#"","key":"X-Token"},{"key":"Authorization"}"#, false),
        (r#"{"value":""#, r#"","key":"Authorization"}"#, false),
        (r#"{"value":"token "#, r#"","type":"text","key":"Authorization"}"#, true),
        (r#"{"value":"token "#, r#""},{"key":"Authorization"}"#, false),
    ] {
        let data = format!("{before}eyJ{after}");
        let (s, e) = (before.len(), before.len() + 3);
        assert_eq!(sign.in_context(data.as_bytes(), s, e), want, "{before}…{after}");
    }
}
