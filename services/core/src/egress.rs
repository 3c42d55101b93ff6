//! Outbound HTTP policy as values: the hosts a project may reach ([`AllowList`] of [`HostPattern`]s,
//! from `berth.toml`'s `[network] allow` and the project's settings), which addresses the operator's
//! policy refuses whatever a project allows ([`refused_address`]), and what one outbound request did
//! ([`EgressEvent`], reported through [`crate::CallHooks::egress`]). No I/O: the sandbox host resolves
//! names and connects; the builder and the control plane only parse.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Entries one project may allow (berth.toml and settings together). A project that wraps a few APIs
/// names a handful; a list in the thousands is a mistake, and every request checks it.
pub const MAX_ALLOW_ENTRIES: usize = 256;

/// Longest entry: a DNS name is at most 253 bytes, plus `*.` and `:65535`.
pub const MAX_ENTRY_BYTES: usize = 263;

/// How to write an entry, for messages.
pub const ENTRY_FORMS: &str = "a host name (`api.github.com`), `*.` and a domain for its subdomains (`*.example.com`), or an IP address (`127.0.0.1`, `[::1]`), each optionally with `:port` (without a port, 80 and 443)";

/// One allowed host: a name or address, or every subdomain of a name (`*.example.com`, not the name
/// itself), on one port or, without one, on 80 and 443.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPattern {
    host: Host,
    wildcard: bool,
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    Name(String),
    Ip(IpAddr),
}

impl HostPattern {
    /// Parses one entry; an error says what is wrong and what to write instead.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let fail = |why: &str| Err(format!("`{}` {why}", shown(entry)));
        if entry.is_empty() {
            return Err(format!("an entry is empty; write {ENTRY_FORMS}"));
        }
        if entry.len() > MAX_ENTRY_BYTES {
            return Err(format!(
                "an entry is {} bytes long, more than a host name can be ({MAX_ENTRY_BYTES})",
                entry.len()
            ));
        }
        if let Some(at) = entry.find("://") {
            let rest = &entry[at + 3..];
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            return fail(&format!("is a URL; write the host only, `{}`", shown(host)));
        }
        if entry.contains(['/', '?', '#', '@']) {
            return fail(&format!(
                "is not a host: write {ENTRY_FORMS} (no path, no user)"
            ));
        }
        if entry.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("contains spaces or control characters; write the host alone");
        }
        let (host, port) = match split_port(entry) {
            Ok(split) => split,
            Err(e) => return fail(&e),
        };
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
                _ => return fail("has a port that is not a number from 1 to 65535"),
            },
        };
        if let Some(ip) = parse_ip(host) {
            return Ok(Self {
                host: Host::Ip(ip),
                wildcard: false,
                port,
            });
        }
        let (wildcard, name) = match host.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, host),
        };
        if name.contains('*') {
            return fail(
                "has a `*` that is not a leading `*.`; write `*.example.com` for the subdomains of example.com",
            );
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Err(why) = check_name(&name) {
            return fail(&why);
        }
        if wildcard && !name.contains('.') {
            return fail(&format!(
                "would allow every host under `.{name}`; name a domain, such as `*.example.{name}`"
            ));
        }
        if wildcard && parse_ip(&name).is_some() {
            return fail("puts a wildcard on an IP address; name the address alone");
        }
        Ok(Self {
            host: Host::Name(name),
            wildcard,
            port,
        })
    }

    /// Whether a request to `host` (as in its URL, any case, without brackets) on `port` may go.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let port_ok = match self.port {
            Some(p) => p == port,
            None => port == 80 || port == 443,
        };
        if !port_ok {
            return false;
        }
        match (&self.host, parse_ip(host)) {
            (Host::Ip(ip), Some(asked)) => *ip == asked,
            (Host::Ip(_), None) | (Host::Name(_), Some(_)) => false,
            (Host::Name(name), None) => {
                let asked = host.trim_end_matches('.').to_ascii_lowercase();
                if self.wildcard {
                    asked.len() > name.len() + 1
                        && asked.ends_with(name.as_str())
                        && asked.as_bytes()[asked.len() - name.len() - 1] == b'.'
                } else {
                    asked == *name
                }
            }
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        match &self.host {
            Host::Name(n) => f.write_str(n)?,
            Host::Ip(IpAddr::V6(ip)) if self.port.is_some() => write!(f, "[{ip}]")?,
            Host::Ip(ip) => write!(f, "{ip}")?,
        }
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

/// The hosts a project may reach. Empty: none (the default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList(Vec<HostPattern>);

impl AllowList {
    /// Parses entries; an error names the first bad one and what to write.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        if entries.len() > MAX_ALLOW_ENTRIES {
            return Err(format!(
                "{} hosts are allowed, more than the {MAX_ALLOW_ENTRIES} a project may name; allow a domain's subdomains with `*.domain` instead",
                entries.len()
            ));
        }
        let mut out: Vec<HostPattern> = Vec::with_capacity(entries.len());
        for e in entries {
            let p = HostPattern::parse(e.as_ref())?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Ok(Self(out))
    }

    /// This list followed by the entries of `more` it lacks.
    pub fn merged(&self, more: &AllowList) -> AllowList {
        let mut out = self.0.clone();
        for p in &more.0 {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        AllowList(out)
    }

    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.0.iter().any(|p| p.allows(host, port))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries as a person typed them (a project's settings): each trimmed, blank ones and repeats
    /// dropped, then all checked as [`AllowList::parse`] does. Returned as typed, for storing.
    pub fn typed_entries<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for entry in entries.into_iter().map(str::trim) {
            if !entry.is_empty() && !out.iter().any(|e| e == entry) {
                out.push(entry.to_string());
            }
        }
        AllowList::parse(&out)?;
        Ok(out)
    }

    /// The entries in their written form (lowercased, normalized).
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address or a host.
fn split_port(entry: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = entry.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return Err("opens a `[` it does not close".into());
        };
        return match after {
            "" => Ok((ip, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((ip, Some(port))),
                None => Err("has something after `]` that is not `:port`".into()),
            },
        };
    }
    if entry.parse::<Ipv6Addr>().is_ok() {
        return Ok((entry, None));
    }
    match entry.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((entry, None)),
    }
}

fn parse_ip(host: &str) -> Option<IpAddr> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err(format!("is not a host name; write {ENTRY_FORMS}"));
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(format!(
                "is not a host name (each dot-separated part is 1 to 63 letters, digits, `-` or `_`); write {ENTRY_FORMS}"
            ));
        }
    }
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("looks like an IP address but is not one".into());
    }
    Ok(())
}

/// An entry as it may be shown in a message: cut short, control characters escaped.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(80).collect();
    let mut out = cut.escape_debug().to_string();
    if s.chars().count() > 80 {
        out.push_str("...");
    }
    out
}

/// Why the operator's policy refuses to connect to `ip` (unless the operator allowed private egress),
/// or `None` for a public address. Covers loopback, private, link-local, CGNAT, unique-local, multicast,
/// unspecified, reserved and documentation ranges, cloud metadata endpoints, and IPv4 inside IPv6
/// (mapped, compatible, NAT64).
pub fn refused_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, d] = ip.octets();
    Some(match (a, b) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "cloud metadata",
        _ if ip == Ipv4Addr::new(168, 63, 129, 16) => "cloud metadata (Azure)",
        _ if ip == Ipv4Addr::new(100, 100, 100, 200) => "cloud metadata (Alibaba)",
        (0, _) => "unspecified (\"this network\")",
        (10, _) | (172, 16..=31) | (192, 168) => "private",
        (100, 64..=127) => "shared (CGNAT)",
        (127, _) => "loopback",
        (169, 254) => "link-local",
        (192, 0) if c == 0 => "IETF protocol assignment",
        (192, 0) if c == 2 => "documentation",
        (198, 18..=19) => "benchmarking",
        (198, 51) if c == 100 => "documentation",
        (203, 0) if c == 113 => "documentation",
        (224..=239, _) => "multicast",
        (240..=255, _) if (a, b, c, d) == (255, 255, 255, 255) => "broadcast",
        (240..=255, _) => "reserved",
        _ => return None,
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // IPv4 carried in IPv6: judged as the IPv4 address (a mapped loopback is still loopback).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4);
    }
    if s[0..6] == [0, 0, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return Some(refused_v4(v4).unwrap_or("IPv4-compatible (deprecated)"));
    }
    if s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return refused_v4(v4);
    }
    Some(match s[0] {
        0xfd00 if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => "cloud metadata",
        0xfc00..=0xfdff => "unique-local (private)",
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "site-local (deprecated)",
        0xff00..=0xffff => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x0100 if s[1..4] == [0, 0, 0] => "discard-only",
        _ => return None,
    })
}

/// What became of one outbound request, reported once it is over (its response body read or
/// dropped), refused or failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EgressOutcome {
    /// The server answered with this status.
    Answered(u16),
    /// Berth refused it (allowlist, address policy, a per-call cap); the message says why.
    Refused(String),
    /// It failed on the way (DNS, connect, TLS, a timeout, the server); the message says how.
    Failed(String),
}

/// One outbound request of a guest, for metrics and the runtime log: never headers or bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressEvent {
    pub method: String,
    /// The host as the URL named it (lowercase).
    pub host: String,
    pub port: u16,
    pub outcome: EgressOutcome,
    /// Request body bytes sent and response body bytes received.
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub duration: Duration,
}

#[cfg(test)]
mod tests;
