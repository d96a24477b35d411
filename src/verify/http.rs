//! One vendor's verifier: a blocking HTTPS client (ureq + rustls with the platform's trust
//! store) that asks whether each key works, one request at a time.
//!
//! Takes the vendor's [`Endpoint`], the per-key time budget and, per key, the secret; gives
//! a [`Verification`]. The key goes only into the vendor's auth header: never the URL, an
//! error or a log (ureq's `log` output has no logger installed, and every message built
//! here has the key replaced by its redacted form). Redirects are never followed; at most
//! [`BODY_LIMIT`] bytes of a body are read, then dropped unseen. Rate limits are honoured:
//! after `X-RateLimit-Remaining: 0` the next request waits for `X-RateLimit-Reset`, and a
//! 429 is retried once after the reset when that is within the key's budget.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use super::endpoint::Endpoint;
use super::{Status, Verification};

/// Bytes of a response body read (and thrown away) so a small answer can reuse the connection.
pub(super) const BODY_LIMIT: u64 = 4 * 1024;
/// Response headers larger than this are an error (unknown), never buffered further.
const HEADER_LIMIT: usize = 16 * 1024;
/// Wait before retrying a 429 whose reset time is missing or already past.
const MIN_RETRY_WAIT: f64 = 1.0;

/// What the vendor answered, without the body.
struct Answer {
    status: u16,
    remaining: Option<u64>,
    reset: Option<u64>,
}

pub(super) struct Client {
    agent: Agent,
    endpoint: Endpoint,
    url: String,
    timeout: Duration,
    /// After `X-RateLimit-Remaining: 0`: no request before this (seconds since the epoch).
    not_before: Option<f64>,
}

impl Client {
    pub(super) fn new(endpoint: &Endpoint, timeout: Duration) -> Client {
        // ring, built with a C compiler only; a provider already installed is kept.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(!endpoint.overridden)
            // A loopback override never goes through a proxy; the vendors' hosts honour
            // HTTPS_PROXY / ALL_PROXY / HTTP_PROXY and NO_PROXY.
            .proxy(if endpoint.overridden { None } else { ureq::Proxy::try_from_env() })
            .tls_config(tls)
            .user_agent(concat!("loftyscan/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .accept_encoding("identity")
            .max_response_header_size(HEADER_LIMIT)
            .max_idle_connections(1)
            .build();
        Client {
            agent: Agent::new_with_config(config),
            url: endpoint.url(),
            endpoint: endpoint.clone(),
            timeout,
            not_before: None,
        }
    }

    /// Ask whether `key` works, within the time budget; `redacted` stands in for the key in
    /// any message.
    pub(super) fn check(&mut self, key: &[u8], redacted: &str) -> Verification {
        let Some(key) = std::str::from_utf8(key).ok().filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        else {
            return unknown(None, "the key is not a valid HTTP header value; not sent".into());
        };
        let deadline = Instant::now() + self.timeout;
        let mut retried = false;
        loop {
            if let Some(wait) = self.not_before.map(|t| t - epoch_now()).filter(|w| *w > 0.0) {
                if !fits(wait, deadline) {
                    return unknown(None, self.rate_limited(None, wait));
                }
                std::thread::sleep(Duration::from_secs_f64(wait));
            }
            let budget = deadline.saturating_duration_since(Instant::now());
            let answer = match self.send(key, budget) {
                Ok(a) => a,
                Err(e) => return unknown(None, self.describe(&e, key, redacted)),
            };
            let reset_wait = answer.reset.map(|r| r as f64 - epoch_now());
            if answer.remaining == Some(0) {
                self.not_before = Some(epoch_now() + reset_wait.unwrap_or(MIN_RETRY_WAIT).max(0.0));
            }
            if answer.status != 429 {
                return self.classify(answer.status);
            }
            let wait = reset_wait.unwrap_or(MIN_RETRY_WAIT).max(MIN_RETRY_WAIT);
            self.not_before = Some(epoch_now() + wait);
            if retried || !fits(wait, deadline) {
                return unknown(Some(429), self.rate_limited(Some(retried), wait));
            }
            retried = true;
        }
    }

    fn send(&self, key: &str, budget: Duration) -> Result<Answer, ureq::Error> {
        let (name, value) = self.endpoint.vendor.auth_header(key);
        let resp = self
            .agent
            .get(&self.url)
            .header(name, &value)
            .config()
            .timeout_global(Some(budget))
            .build()
            .call()?;
        let header = |n: &str| {
            resp.headers().get(n).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok())
        };
        let answer = Answer {
            status: resp.status().as_u16(),
            remaining: header("x-ratelimit-remaining"),
            reset: header("x-ratelimit-reset"),
        };
        // The body may hold customer data: read a little (so a small answer frees the
        // connection), keep none of it; a larger one is dropped with its connection.
        let mut body = resp.into_body();
        let _ = std::io::copy(&mut body.as_reader().take(BODY_LIMIT), &mut std::io::sink());
        Ok(answer)
    }

    fn classify(&self, status: u16) -> Verification {
        let vendor = self.endpoint.vendor.name();
        let (st, message) = match status {
            200..=299 => (Status::Live, format!("{vendor} accepted the key (HTTP {status})")),
            403 => (Status::Live, format!("valid, lacks a scope ({vendor} answered HTTP 403)")),
            401 => (
                Status::Invalid,
                format!("{vendor} rejected the key (HTTP 401): revoked, expired or never issued"),
            ),
            300..=399 => (Status::Unknown, format!("{vendor} answered HTTP {status}: redirect not followed")),
            _ => (Status::Unknown, format!("unexpected answer from {vendor}: HTTP {status}")),
        };
        Verification { status: st, http_status: Some(status), message }
    }

    fn rate_limited(&self, retried: Option<bool>, wait: f64) -> String {
        let vendor = self.endpoint.vendor.name();
        let budget = self.timeout.as_secs_f64();
        match retried {
            Some(true) => format!("rate limited: {vendor} answered HTTP 429 again after the reset"),
            Some(false) => format!(
                "rate limited: {vendor} answered HTTP 429 and its window resets in {wait:.0} s, \
                 past --verify-timeout ({budget} s)"
            ),
            None => format!(
                "rate limited: {vendor}'s window resets in {wait:.0} s, past --verify-timeout ({budget} s); \
                 not sent"
            ),
        }
    }

    /// A network error as a message: no key (replaced by `redacted`), escaped, bounded.
    fn describe(&self, e: &ureq::Error, key: &str, redacted: &str) -> String {
        let vendor = self.endpoint.vendor.name();
        let text = match e {
            ureq::Error::Timeout(_) => {
                format!("no answer from {vendor} within --verify-timeout ({} s)", self.timeout.as_secs_f64())
            }
            ureq::Error::LargeResponseHeader(..) => format!("{vendor}'s response headers are too large"),
            other => format!("cannot reach {vendor}: {other}"),
        };
        let text = text.replace(key, redacted);
        crate::finding::escape_bytes(text.as_bytes()).chars().take(300).collect()
    }
}

fn unknown(http_status: Option<u16>, message: String) -> Verification {
    Verification { status: Status::Unknown, http_status, message }
}

/// Whether waiting `secs` still leaves time before `deadline`.
fn fits(secs: f64, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now()).as_secs_f64();
    secs < left
}

fn epoch_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
