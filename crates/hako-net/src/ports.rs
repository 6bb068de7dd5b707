//! Published ports: what a container asks for (`HostConfig.PortBindings`, `-P`) and what
//! it got.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::nft::Proto;

/// One requested host side of a container port, as Docker's `PortBinding`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostBinding {
    /// Empty: every address.
    pub host_ip: String,
    /// Empty: any free port; `8080`; or a range `8000-8010`.
    pub host_port: String,
}

/// A published port as set up: what `docker port` and `NetworkSettings.Ports` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Protocol.
    pub proto: Proto,
    /// Port inside the container.
    pub container_port: u16,
    /// Host address (`0.0.0.0` for all).
    pub host_ip: Ipv4Addr,
    /// Host port.
    pub host_port: u16,
}

/// One port to publish: the host ports to try, in order (`[0]` means any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Protocol.
    pub proto: Proto,
    /// Port inside the container.
    pub container_port: u16,
    /// Host address.
    pub host_ip: Ipv4Addr,
    /// Candidate host ports, `(first, last)` inclusive; `(0, 0)` lets the kernel pick.
    pub host_ports: (u16, u16),
}

/// A port spec that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct InvalidPort(pub String);

/// Parses `80`, `80/tcp`, `53/udp`.
pub fn parse_port_key(key: &str) -> Result<(u16, Proto), InvalidPort> {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    let proto = match proto.to_ascii_lowercase().as_str() {
        "tcp" | "" => Proto::Tcp,
        "udp" => Proto::Udp,
        other => {
            return Err(InvalidPort(format!(
                "invalid proto: {other} (only tcp and udp are supported)"
            )));
        }
    };
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| InvalidPort(format!("invalid port: {key}")))?;
    Ok((port, proto))
}

fn parse_host_ports(s: &str) -> Result<(u16, u16), InvalidPort> {
    let bad = || InvalidPort(format!("invalid hostPort: {s}"));
    if s.is_empty() {
        return Ok((0, 0));
    }
    match s.split_once('-') {
        Some((a, b)) => {
            let a: u16 = a.parse().map_err(|_| bad())?;
            let b: u16 = b.parse().map_err(|_| bad())?;
            if a > b {
                return Err(bad());
            }
            Ok((a, b))
        }
        None => {
            let p: u16 = s.parse().map_err(|_| bad())?;
            Ok((p, p))
        }
    }
}

/// The ports to publish, from `PortBindings` and, with `-P`, every exposed port without a
/// binding.
pub fn requests(
    bindings: &BTreeMap<String, Vec<HostBinding>>,
    exposed: &[String],
    publish_all: bool,
) -> Result<Vec<Request>, InvalidPort> {
    let mut out = Vec::new();
    for (key, hosts) in bindings {
        let (container_port, proto) = parse_port_key(key)?;
        for h in hosts {
            let host_ip = if h.host_ip.is_empty() {
                Ipv4Addr::UNSPECIFIED
            } else {
                h.host_ip.parse().map_err(|_| {
                    InvalidPort(format!(
                        "invalid IP address {:?} (IPv6 host addresses are not supported yet)",
                        h.host_ip
                    ))
                })?
            };
            out.push(Request {
                proto,
                container_port,
                host_ip,
                host_ports: parse_host_ports(&h.host_port)?,
            });
        }
    }
    if publish_all {
        for key in exposed {
            let (container_port, proto) = parse_port_key(key)?;
            let bound = bindings.keys().any(|k| {
                parse_port_key(k).is_ok_and(|(p, pr)| p == container_port && pr == proto)
                    && bindings.get(k).is_some_and(|v| !v.is_empty())
            });
            if !bound {
                out.push(Request {
                    proto,
                    container_port,
                    host_ip: Ipv4Addr::UNSPECIFIED,
                    host_ports: (0, 0),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(parse_port_key("80").unwrap(), (80, Proto::Tcp));
        assert_eq!(parse_port_key("53/udp").unwrap(), (53, Proto::Udp));
        assert!(parse_port_key("80/sctp").is_err());
        assert!(parse_port_key("x/tcp").is_err());
    }

    #[test]
    fn bindings_and_publish_all() {
        let mut b = BTreeMap::new();
        b.insert(
            "80/tcp".to_string(),
            vec![HostBinding {
                host_ip: "127.0.0.1".into(),
                host_port: "8080".into(),
            }],
        );
        let r = requests(&b, &["80/tcp".into(), "443/tcp".into()], true).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].host_ports, (8080, 8080));
        assert_eq!(r[0].host_ip, Ipv4Addr::LOCALHOST);
        assert_eq!((r[1].container_port, r[1].host_ports), (443, (0, 0)));
        b.insert(
            "81/tcp".to_string(),
            vec![HostBinding {
                host_ip: String::new(),
                host_port: "9000-9010".into(),
            }],
        );
        let r = requests(&b, &[], false).unwrap();
        assert_eq!(r[1].host_ports, (9000, 9010));
    }
}
