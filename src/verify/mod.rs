//! `--verify`: ask each key's vendor whether the key still works (the stage between
//! suppression and reporting).
//!
//! Takes the reportable findings (allowlisted and baselined ones are already gone) and the
//! settings; gives one [`Verification`] per unique live `lfk-secret-key` / `lofty-api-key`
//! secret (by SHA-256), which the reports attach to every finding of that secret, and
//! [`apply`] lowers verified-invalid findings to `warning` (and, with `--only-verified`,
//! keeps only verified-live ones). Expired keys and `jws-token` findings are never sent.
//! Without `--verify` nothing here runs and no connection is ever opened.
//! Vendors are asked in parallel with each other, one request at a time per vendor.

pub(crate) mod endpoint;
mod http;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Result, bail};
use serde::Serialize;

pub(crate) use endpoint::{Endpoint, Vendor};

use crate::finding::{Finding, Level};
use crate::progress::Progress;

pub struct VerifyConfig {
    /// Budget per key: the request, a rate-limit wait and the one 429 retry.
    pub timeout: Duration,
    pub endpoints: Vec<Endpoint>,
    pub only_verified: bool,
}

/// Proxy variables read for the vendors' hosts (by ureq, in this order, with `NO_PROXY`).
const PROXY_VARS: [&str; 6] =
    ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

impl VerifyConfig {
    /// Endpoints from `LOFTYSCAN_VERIFY_URL_*` (loopback only) and a check of the proxy
    /// variables: any bad value is an error before any request.
    pub fn from_env(timeout: Duration, only_verified: bool) -> Result<VerifyConfig> {
        let mut endpoints = Vec::new();
        for vendor in Vendor::ALL {
            let value = match std::env::var_os(vendor.env_var()) {
                None => None,
                Some(v) => match v.into_string() {
                    Ok(s) => Some(s),
                    Err(_) => bail!("{} is not valid UTF-8", vendor.env_var()),
                },
            };
            endpoints.push(Endpoint::resolve(vendor, value.as_deref())?);
        }
        for var in PROXY_VARS {
            let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) else { continue };
            // Never quoted: a proxy URL may carry a password.
            let proxy = value.to_str().and_then(|v| ureq::Proxy::new(v).ok());
            let Some(proxy) = proxy else {
                bail!(
                    "{var} is set but is not a proxy URL (e.g. http://proxy.example:3128); refusing to verify"
                );
            };
            use ureq::ProxyProtocol::{Socks4, Socks4A, Socks5, Socks5h};
            if matches!(proxy.protocol(), Socks4 | Socks4A | Socks5 | Socks5h) {
                bail!("{var} names a SOCKS proxy, which --verify does not support (use an HTTP(S) proxy)");
            }
        }
        Ok(VerifyConfig { timeout, endpoints, only_verified })
    }

    fn endpoint(&self, vendor: Vendor) -> &Endpoint {
        self.endpoints.iter().find(|e| e.vendor == vendor).expect("one endpoint per vendor")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// 2xx, or 403 (valid but lacking a scope).
    Live,
    /// 401: revoked, expired or never issued.
    Invalid,
    /// Anything else, a timeout, a network error, a rate limit past the budget.
    Unknown,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Invalid => "invalid",
            Status::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Verification {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    pub message: String,
}

/// Results by secret SHA-256.
pub(crate) type Verifications = HashMap<[u8; 32], Verification>;

/// The vendor to ask about this finding, if it is one to verify: a live key of the two
/// families (not expired, not allowlisted).
pub(crate) fn wants(f: &Finding) -> Option<Vendor> {
    if f.allowed || f.expired == Some(true) {
        return None;
    }
    Vendor::of_rule(&f.rule.id)
}

/// Verify each unique key once, in report order per vendor.
pub(crate) fn run(cfg: &VerifyConfig, findings: &[Finding], progress: &Progress) -> Verifications {
    let mut seen = HashSet::new();
    let mut queues: BTreeMap<Vendor, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(vendor) = wants(f)
            && seen.insert(f.sha256)
        {
            queues.entry(vendor).or_default().push(f);
        }
    }
    let results = Mutex::new(Verifications::new());
    if seen.is_empty() {
        return results.into_inner().unwrap_or_default();
    }
    let (total, done) = (seen.len(), std::sync::atomic::AtomicUsize::new(0));
    progress.status("verifying keys with their vendors", format!("0 of {total} keys"));
    std::thread::scope(|s| {
        for (vendor, keys) in &queues {
            let (endpoint, results, done) = (cfg.endpoint(*vendor), &results, &done);
            s.spawn(move || {
                let mut client = http::Client::new(endpoint, cfg.timeout);
                for f in keys {
                    let v = client.check(f.secret.expose(), &f.redacted);
                    if v.status == Status::Unknown {
                        progress.warn(&format!(
                            "cannot verify {} ({}): {}",
                            f.redacted,
                            vendor.name(),
                            v.message
                        ));
                    }
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress.set_message(format!("{n} of {total} keys"));
                    results.lock().unwrap_or_else(|p| p.into_inner()).insert(f.sha256, v);
                }
            });
        }
    });
    progress.finish();
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// This finding's verification: its key's result, for the findings [`wants`] picks.
pub(crate) fn of<'a>(results: &'a Verifications, f: &Finding) -> Option<&'a Verification> {
    wants(f).and(results.get(&f.sha256))
}

/// Verified-invalid keys become `warning`: a leak to clean up, no longer a live one.
pub(crate) fn lower_invalid(findings: &mut [Finding], results: &Verifications) {
    for f in findings {
        if of(results, f).is_some_and(|v| v.status == Status::Invalid) {
            f.level = Level::Warning;
        }
    }
}

/// `--only-verified`: keep the findings whose key was verified live; gives them and how
/// many were left out.
pub(crate) fn keep_live(findings: Vec<Finding>, results: &Verifications) -> (Vec<Finding>, u64) {
    let before = findings.len();
    let kept: Vec<Finding> =
        findings.into_iter().filter(|f| of(results, f).is_some_and(|v| v.status == Status::Live)).collect();
    let left_out = (before - kept.len()) as u64;
    (kept, left_out)
}

/// Unique keys by status: (live, invalid, unknown).
pub(crate) fn counts(results: &Verifications) -> (usize, usize, usize) {
    let n = |st: Status| results.values().filter(|v| v.status == st).count();
    (n(Status::Live), n(Status::Invalid), n(Status::Unknown))
}
