//! Public demonstration tokens: a JWS whose HMAC signature verifies with a secret that is
//! published (jwt.io's `your-256-bit-secret`, `a-string-secret-at-least-256-bits-long`)
//! is an example anyone can mint, not a leaked key.
//!
//! Takes the token text and the rule's list of published secrets; gives whether the
//! signature over `header.payload` is HMAC-SHA256/384/512 (chosen by the signature's
//! length) with one of them. HMAC is RFC 2104 over sha2, the key pads hashed once when
//! the rules load; the detector checks only tokens a rule already accepts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Published secrets with their HMAC pads already hashed (RFC 2104's inner and outer
/// states per hash), so a check hashes only the token and one digest.
#[derive(Clone)]
pub(crate) struct Published {
    secrets: Vec<Vec<u8>>,
    keyed: Vec<(Keyed<Sha256>, Keyed<Sha384>, Keyed<Sha512>)>,
}

/// The inner and outer hash states after the key pads.
type Keyed<D> = (D, D);

impl Published {
    pub(crate) fn new(secrets: Vec<Vec<u8>>) -> Self {
        let keyed = secrets.iter().map(|k| (keyed(k, 64), keyed(k, 128), keyed(k, 128))).collect();
        Published { secrets, keyed }
    }

    /// Does `token`'s signature verify with any of the secrets?
    pub(crate) fn signed(&self, token: &[u8]) -> bool {
        if self.secrets.is_empty() {
            return false;
        }
        let Some(dot) = memchr::memrchr(b'.', token) else { return false };
        let Ok(sig) = URL_SAFE_NO_PAD.decode(&token[dot + 1..]) else { return false };
        let input = &token[..dot];
        self.keyed.iter().any(|(k256, k384, k512)| match sig.len() {
            32 => finish(k256, input) == sig,
            48 => finish(k384, input) == sig,
            64 => finish(k512, input) == sig,
            _ => false,
        })
    }
}

impl PartialEq for Published {
    fn eq(&self, other: &Self) -> bool {
        self.secrets == other.secrets
    }
}

impl std::fmt::Debug for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Published({} secrets)", self.secrets.len())
    }
}

/// Does `token`'s signature verify with any of `secrets`? (Tests; the detector keeps a
/// [`Published`] built once.)
#[cfg(test)]
fn signed_with_published_secret(token: &[u8], secrets: &[Vec<u8>]) -> bool {
    Published::new(secrets.to_vec()).signed(token)
}

fn keyed<D: Digest>(key: &[u8], block: usize) -> Keyed<D> {
    let mut k = if key.len() > block { D::digest(key).to_vec() } else { key.to_vec() };
    k.resize(block, 0);
    let pad = |x: u8| k.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    (D::new_with_prefix(pad(0x36)), D::new_with_prefix(pad(0x5c)))
}

fn finish<D: Digest + Clone>((inner, outer): &Keyed<D>, msg: &[u8]) -> Vec<u8> {
    let mut inner = inner.clone();
    inner.update(msg);
    let mut outer = outer.clone();
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

/// HMAC (RFC 2104) with hash `D` of block size `block`.
#[cfg(test)]
fn hmac<D: Digest + Clone>(key: &[u8], msg: &[u8], block: usize) -> Vec<u8> {
    finish(&keyed::<D>(key, block), msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_test_case_2() {
        let (key, msg) = (b"Jefe".as_slice(), b"what do ya want for nothing?".as_slice());
        let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(hmac::<Sha256>(key, msg, 64)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hex(hmac::<Sha512>(key, msg, 128)).starts_with("164b7a7bfcf819e2e395fbe73b56e0a387bd6422"));
        assert!(hex(hmac::<Sha384>(key, msg, 128)).starts_with("af45d2e376484031617f78d2b58a6b1b9c7ef464"));
    }

    #[test]
    fn jwt_io_demo_tokens_verify_and_others_do_not() {
        let secrets =
            vec![b"your-256-bit-secret".to_vec(), b"a-string-secret-at-least-256-bits-long".to_vec()];
        let classic = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"; // loftyscan:allow
        assert!(signed_with_published_secret(classic, &secrets));
        let mut forged = classic.to_vec();
        let n = forged.len();
        forged[n - 5] ^= 1;
        assert!(!signed_with_published_secret(&forged, &secrets));
        assert!(!signed_with_published_secret(classic, &[]));
    }
}
