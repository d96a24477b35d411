//! Where each vendor is asked: the two fixed HTTPS endpoints, or a loopback override.
//!
//! Takes the vendor and the value of its `LOFTYSCAN_VERIFY_URL_*` variable (if set); gives
//! the [`Endpoint`] to call, or an error (exit 2) for any override that is not
//! `http(s)://HOST[:PORT]` with a loopback host (`127.0.0.0/8`, `::1`, `localhost`).
//! An override replaces scheme, host and port only: the path stays the vendor's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use anyhow::{Result, bail};

/// The vendors whose keys can be verified: a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Vendor {
    TrustLeads,
    Lofty,
}

impl Vendor {
    pub const ALL: [Vendor; 2] = [Vendor::TrustLeads, Vendor::Lofty];

    /// The vendor whose key a rule finds, for the two key families only.
    pub fn of_rule(rule_id: &str) -> Option<Vendor> {
        match rule_id {
            "lfk-secret-key" => Some(Vendor::TrustLeads),
            "lofty-api-key" => Some(Vendor::Lofty),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Vendor::TrustLeads => "Trust Leads",
            Vendor::Lofty => "Lofty",
        }
    }

    pub fn env_var(self) -> &'static str {
        match self {
            Vendor::TrustLeads => "LOFTYSCAN_VERIFY_URL_TRUSTLEADS",
            Vendor::Lofty => "LOFTYSCAN_VERIFY_URL_LOFTY",
        }
    }

    fn default_base(self) -> &'static str {
        match self {
            Vendor::TrustLeads => "https://api.trustleads.ai",
            Vendor::Lofty => "https://api.lofty.com",
        }
    }

    /// Path and query of the read-only call that tells whether a key works.
    pub fn path(self) -> &'static str {
        match self {
            Vendor::TrustLeads => "/v1/usage",
            Vendor::Lofty => "/v1.0/leads?limit=1",
        }
    }

    /// The one header that carries the key: (name, value).
    pub fn auth_header(self, key: &str) -> (&'static str, String) {
        match self {
            Vendor::TrustLeads => ("X-API-Key", key.to_string()),
            Vendor::Lofty => ("Authorization", format!("token {key}")),
        }
    }
}

/// A vendor's endpoint: the fixed HTTPS host, or a loopback override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub vendor: Vendor,
    /// `scheme://host[:port]`, no trailing slash.
    pub base: String,
    /// True for a `LOFTYSCAN_VERIFY_URL_*` override (loopback: no proxy, http allowed).
    pub overridden: bool,
}

impl Endpoint {
    /// The vendor's endpoint given its override variable's value (`None` or empty: the
    /// fixed host).
    pub fn resolve(vendor: Vendor, value: Option<&str>) -> Result<Endpoint> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Ok(Endpoint { vendor, base: vendor.default_base().to_string(), overridden: false });
        };
        let shown: String = crate::finding::escape_bytes(value.as_bytes()).chars().take(100).collect();
        let var = vendor.env_var();
        let Some(base) = parse_loopback(value) else {
            bail!(
                "{var}='{shown}' is refused: it must be http://HOST[:PORT] or https://HOST[:PORT] with a \
                 loopback HOST (127.0.0.0/8, [::1] or localhost), no path, user or query; \
                 keys are only ever sent to {} otherwise",
                vendor.default_base()
            );
        };
        Ok(Endpoint { vendor, base, overridden: true })
    }

    pub fn url(&self) -> String {
        format!("{}{}", self.base, self.vendor.path())
    }
}

/// `http(s)://HOST[:PORT][/]` with a loopback HOST, normalised to `scheme://host[:port]`.
fn parse_loopback(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', '\\']) || !authority.is_ascii() {
        return None;
    }
    let (host, port) = split_host_port(authority)?;
    if !is_loopback_host(host) {
        return None;
    }
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{scheme}://{}{port}", host.to_ascii_lowercase()))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the port, if any, a number 1-65535.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let after = &authority[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&authority[..=end], port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok().filter(|&n| n > 0)?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// `127.0.0.0/8`, `[::1]`, or `localhost` when every address it resolves to is loopback.
fn is_loopback_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a == Ipv6Addr::LOCALHOST);
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    if !host.eq_ignore_ascii_case("localhost") {
        return false;
    }
    // A hosts file could point `localhost` elsewhere: every address must be loopback.
    match ("localhost", 1).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
            !addrs.is_empty() && addrs.iter().all(IpAddr::is_loopback)
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(v: &str) -> Option<String> {
        Endpoint::resolve(Vendor::Lofty, Some(v)).ok().map(|e| e.base)
    }

    #[test]
    fn fixed_hosts_by_default() {
        let e = Endpoint::resolve(Vendor::TrustLeads, None).unwrap();
        assert_eq!(e.url(), "https://api.trustleads.ai/v1/usage");
        assert!(!e.overridden);
        let e = Endpoint::resolve(Vendor::Lofty, Some("")).unwrap();
        assert_eq!(e.url(), "https://api.lofty.com/v1.0/leads?limit=1");
    }

    #[test]
    fn loopback_overrides_are_accepted() {
        assert_eq!(base("http://127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(base("HTTP://127.9.8.7:1/").as_deref(), Some("http://127.9.8.7:1"));
        assert_eq!(base("https://[::1]:8443").as_deref(), Some("https://[::1]:8443"));
        assert_eq!(base("http://[::1]").as_deref(), Some("http://[::1]"));
        assert_eq!(base("http://LocalHost:7").as_deref(), Some("http://localhost:7"));
        let e = Endpoint::resolve(Vendor::Lofty, Some("http://127.0.0.1:9")).unwrap();
        assert_eq!(e.url(), "http://127.0.0.1:9/v1.0/leads?limit=1");
        assert!(e.overridden);
    }

    #[test]
    fn anything_else_is_refused() {
        for v in [
            "https://api.lofty.com",
            "http://10.0.0.1:80",
            "http://128.0.0.1",
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io",
            "http://user@127.0.0.1",
            "http://evil.example@127.0.0.1",
            "http://127.0.0.1@evil.example",
            "http://127.0.0.1:80/path",
            "http://127.0.0.1?x",
            "http://127.0.0.1:0",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:",
            "http://[::2]",
            "http://[::ffff:127.0.0.1]",
            "ftp://127.0.0.1",
            "127.0.0.1:80",
            "http://",
            "http://127.0.0.1\\@evil",
        ] {
            assert_eq!(base(v), None, "{v} accepted");
        }
    }

    #[test]
    fn refusal_names_the_variable_and_escapes_the_value() {
        let e = Endpoint::resolve(Vendor::TrustLeads, Some("http://evil.example/\x1b[2J")).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("LOFTYSCAN_VERIFY_URL_TRUSTLEADS"), "{msg}");
        assert!(!msg.contains('\x1b'), "{msg}");
    }
}
