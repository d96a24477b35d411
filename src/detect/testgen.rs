//! Test-only generators: random Trust Leads keys and signed-looking JWS tokens
//! (random signature bytes of the right length), from a small deterministic PRNG: the
//! crate's one xorshift64, shared by every unit test that needs random input.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    /// The generator started at exactly `state` (not zero): the sequence a test recorded.
    pub(crate) fn from_state(state: u64) -> Self {
        assert_ne!(state, 0, "xorshift never leaves 0");
        Rng(state)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
    pub(crate) fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| A[(self.next_u64() % 62) as usize] as char).collect()
    }
    pub(crate) fn lfk(&mut self) -> String {
        format!("lfk_sk_{}", self.alnum(40))
    }
    /// A JWS with these header and payload JSON texts and `sig_len` random signature bytes.
    pub(crate) fn jws(&mut self, header: &str, payload: &str, sig_len: usize) -> String {
        let b = |x: &[u8]| URL_SAFE_NO_PAD.encode(x);
        format!("{}.{}.{}", b(header.as_bytes()), b(payload.as_bytes()), b(&self.bytes(sig_len)))
    }
    /// A live Lofty API key (scope in the payload, `exp` in 2100).
    pub(crate) fn lofty(&mut self) -> String {
        let payload = format!(
            r#"{{"sub":"{}","scope":"THIRD_PARTY_OPERATION","exp":4102444800}}"#,
            self.next_u64() % 1_000_000
        );
        self.jws(r#"{"alg":"HS256"}"#, &payload, 32)
    }
}

/// A Helm release Secret's value: base64 of base64 of gzip of `json`.
pub(crate) fn helm_blob(json: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json.as_bytes()).expect("in memory");
    STANDARD.encode(STANDARD.encode(gz.finish().expect("in memory")))
}
