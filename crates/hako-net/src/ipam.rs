//! IPv4 subnets and address allocation.
//!
//! The allocator is pure: the engine keeps the set of addresses in use (rebuilt from the
//! running containers' records at daemon start) and asks for the next free one.

use std::collections::HashSet;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IPv4 subnet, normalised to its network address (`172.17.0.0/16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subnet {
    /// Network address (host bits zero).
    pub addr: Ipv4Addr,
    /// Prefix length, 0..=32.
    pub prefix: u8,
}

/// A subnet or address string that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid CIDR address: {0}")]
pub struct InvalidCidr(pub String);

impl Subnet {
    /// The netmask as a number.
    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    /// `ip` lies inside.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.addr)
    }

    /// The two subnets share an address.
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }

    /// The broadcast address.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }

    /// The first usable host address (`.1`), Docker's default gateway.
    pub fn first_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) + 1)
    }

    /// Parses `ADDR/PREFIX` and also returns the address as written (for `--bip
    /// 172.17.0.1/16`, the gateway).
    pub fn parse_with_addr(s: &str) -> Result<(Subnet, Ipv4Addr), InvalidCidr> {
        let bad = || InvalidCidr(s.to_string());
        let (ip, prefix) = s.split_once('/').ok_or_else(bad)?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        let mut subnet = Subnet { addr: ip, prefix };
        subnet.addr = Ipv4Addr::from(u32::from(ip) & subnet.mask());
        Ok((subnet, ip))
    }
}

impl FromStr for Subnet {
    type Err = InvalidCidr;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Subnet::parse_with_addr(s).map(|(subnet, _)| subnet)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The lowest free host address of `subnet` that is not the gateway, not in `used`, and
/// neither the network nor the broadcast address. `None` when the subnet is full.
pub fn allocate(subnet: &Subnet, gateway: Ipv4Addr, used: &HashSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    let first = u32::from(subnet.addr) + 1;
    let last = u32::from(subnet.broadcast()).checked_sub(1)?;
    (first..=last)
        .map(Ipv4Addr::from)
        .find(|ip| *ip != gateway && !used.contains(ip))
}

/// Docker's MAC address for a container address: `02:42` and the four address bytes.
pub fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x42, o[0], o[1], o[2], o[3]]
}

/// `02:42:ac:11:00:02`.
pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let (s, gw) = Subnet::parse_with_addr("172.17.0.1/16").unwrap();
        assert_eq!(s.to_string(), "172.17.0.0/16");
        assert_eq!(gw, Ipv4Addr::new(172, 17, 0, 1));
        assert!(s.contains(Ipv4Addr::new(172, 17, 255, 3)));
        assert!(!s.contains(Ipv4Addr::new(172, 18, 0, 1)));
        assert_eq!(s.broadcast(), Ipv4Addr::new(172, 17, 255, 255));
        assert!("10.0.0.0/33".parse::<Subnet>().is_err());
        assert!("10.0.0.0".parse::<Subnet>().is_err());
        let a: Subnet = "10.1.0.0/16".parse().unwrap();
        assert!(a.overlaps(&"10.1.2.0/24".parse().unwrap()));
        assert!(!a.overlaps(&"10.2.0.0/24".parse().unwrap()));
    }

    #[test]
    fn allocates_lowest_free() {
        let s: Subnet = "10.0.0.0/30".parse().unwrap();
        let gw = s.first_host();
        let mut used = HashSet::new();
        let a = allocate(&s, gw, &used).unwrap();
        assert_eq!(a, Ipv4Addr::new(10, 0, 0, 2));
        used.insert(a);
        assert_eq!(allocate(&s, gw, &used), None);
    }

    #[test]
    fn docker_mac() {
        let mac = mac_for(Ipv4Addr::new(172, 17, 0, 2));
        assert_eq!(format_mac(&mac), "02:42:ac:11:00:02");
    }
}
