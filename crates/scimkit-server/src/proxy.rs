//! The client's address for log lines: the socket's peer, or — only when that peer is a
//! configured trusted proxy — the nearest untrusted address in `X-Forwarded-For`. Nothing else
//! is taken from forwarded headers: links use the configured base URL, never `Host` or
//! `X-Forwarded-Host`.

use http::HeaderMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// A proxy (or network of proxies) whose `X-Forwarded-For` is believed: `10.0.0.0/8`,
/// `192.0.2.7`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// `ADDRESS` or `ADDRESS/PREFIX`; `None` when malformed.
    pub fn parse(v: &str) -> Option<Self> {
        let (addr, prefix) = match v.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (v.trim(), None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(TrustedProxy { network, prefix })
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let (net, ip, bits) = match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (u32::from(n) as u128, u32::from(i) as u128, 32),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix);
        shift >= bits || (net >> shift) == (ip >> shift)
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The connection's peer address, put in each request's extensions by the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);

/// The most `X-Forwarded-For` entries looked at (a client can prepend any number).
const MAX_HOPS: usize = 16;

/// The client's address: `peer`, unless `peer` is trusted; then walk `X-Forwarded-For` from
/// the right past trusted proxies to the first address that is not one.
pub(crate) fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[TrustedProxy],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev().take(MAX_HOPS) {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break; // unparseable: stop at the last address we could read
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = [
            TrustedProxy::parse("10.0.0.0/8").unwrap(),
            TrustedProxy::parse("::1").unwrap(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let spoof = xff("203.0.113.9");
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_address(ip("198.51.100.1"), &spoof, &trusted),
            ip("198.51.100.1")
        );
        // A trusted peer: the rightmost untrusted hop, not what the client prepended.
        let chain = xff("1.1.1.1, 203.0.113.9, 10.1.2.3");
        assert_eq!(
            client_address(ip("10.0.0.1"), &chain, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("::1"), &spoof, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &xff("junk"), &trusted),
            ip("10.0.0.1")
        );
        // Nothing trusted: the peer, always.
        assert_eq!(client_address(ip("10.0.0.1"), &spoof, &[]), ip("10.0.0.1"));
        // IPv4-mapped IPv6 peers match IPv4 networks; prefixes are checked.
        assert!(trusted[0].contains(ip("::ffff:10.9.9.9")));
        assert!(!trusted[0].contains(ip("11.0.0.1")));
        assert!(TrustedProxy::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/", "::/129"] {
            assert!(TrustedProxy::parse(bad).is_none(), "{bad}");
        }
    }
}
