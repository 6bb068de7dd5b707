//! NAT and filter rules with nftables, through Debian's `nft` binary: one `ip` table per
//! daemon, rewritten whole in one atomic transaction whenever networks or published ports
//! change, and deleted in one operation.

use std::net::Ipv4Addr;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::ipam::Subnet;

/// A failure to run `nft` or a refused ruleset.
#[derive(Debug, thiserror::Error)]
pub enum NftError {
    /// `nft` could not be run.
    #[error("cannot run nft (install Debian's nftables package): {0}")]
    Spawn(#[source] std::io::Error),
    /// `nft` refused the rules.
    #[error("nft refused the rules: {0}")]
    Refused(String),
}

/// One bridge network's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRules {
    /// Bridge interface.
    pub bridge: String,
    /// Its subnet.
    pub subnet: Subnet,
    /// `--internal`: no traffic leaves the bridge.
    pub internal: bool,
}

/// Transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// `tcp` / `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One published port: `host_ip:host_port` → `container_ip:container_port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dnat {
    /// Protocol.
    pub proto: Proto,
    /// Host address it is published on; `None` for every address.
    pub host_ip: Option<Ipv4Addr>,
    /// Host port.
    pub host_port: u16,
    /// Container address.
    pub container_ip: Ipv4Addr,
    /// Container port.
    pub container_port: u16,
}

/// Everything one daemon wants in its table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// Table name (`hako_hako0`).
    pub table: String,
    /// Bridge networks.
    pub networks: Vec<NetRules>,
    /// Published ports.
    pub ports: Vec<Dnat>,
}

/// Table names allow letters, digits and `_`.
pub fn table_name(bridge: &str) -> String {
    let clean: String = bridge
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("hako_{clean}")
}

impl Ruleset {
    /// The `nft -f` script: creates the table if needed, flushes it, and fills it.
    pub fn render(&self) -> String {
        let t = &self.table;
        let mut s = format!("table ip {t} {{}}\nflush table ip {t}\ntable ip {t} {{\n");
        s.push_str(
            "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n    fib daddr type local jump ports\n  }\n",
        );
        // Loopback too: 127.0.0.1:PORT is DNATed in the kernel (with `route_localnet` on
        // the bridges and the masquerade below), which is faster than any proxy.
        s.push_str(
            "  chain output {\n    type nat hook output priority -100; policy accept;\n    fib daddr type local jump ports\n  }\n",
        );
        // `route_localnet` would otherwise let a container (CAP_NET_RAW) reach the host's
        // loopback-only services; replies are still addressed to the gateway at this hook.
        s.push_str(
            "  chain guard {\n    type filter hook prerouting priority raw; policy accept;\n",
        );
        for n in &self.networks {
            s.push_str(&format!(
                "    iifname \"{b}\" ip daddr 127.0.0.0/8 drop\n",
                b = n.bridge
            ));
        }
        s.push_str("  }\n");
        s.push_str("  chain ports {\n");
        for p in &self.ports {
            let daddr = p
                .host_ip
                .filter(|ip| !ip.is_unspecified())
                .map(|ip| format!("ip daddr {ip} "))
                .unwrap_or_default();
            s.push_str(&format!(
                "    {daddr}{proto} dport {hp} dnat to {cip}:{cp}\n",
                proto = p.proto.as_str(),
                hp = p.host_port,
                cip = p.container_ip,
                cp = p.container_port,
            ));
        }
        s.push_str("  }\n");
        s.push_str(
            "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n",
        );
        for n in &self.networks {
            // The host's own loopback connections to a published port: the container
            // must answer to an address it can route.
            s.push_str(&format!(
                "    oifname \"{b}\" ip saddr 127.0.0.0/8 masquerade\n",
                b = n.bridge
            ));
            // Hairpin: a container reaching a published port of its own bridge.
            s.push_str(&format!(
                "    oifname \"{b}\" ip saddr {sub} ct status dnat masquerade\n",
                b = n.bridge,
                sub = n.subnet
            ));
            if !n.internal {
                s.push_str(&format!(
                    "    ip saddr {sub} oifname != \"{b}\" masquerade\n",
                    b = n.bridge,
                    sub = n.subnet
                ));
            }
        }
        s.push_str("  }\n");
        s.push_str(
            "  chain forward {\n    type filter hook forward priority filter; policy accept;\n",
        );
        for n in &self.networks {
            if n.internal {
                s.push_str(&format!(
                    "    iifname \"{b}\" oifname != \"{b}\" drop\n    oifname \"{b}\" iifname != \"{b}\" drop\n",
                    b = n.bridge
                ));
            }
            for other in &self.networks {
                if other.bridge != n.bridge {
                    s.push_str(&format!(
                        "    iifname \"{a}\" oifname \"{b}\" drop\n",
                        a = n.bridge,
                        b = other.bridge
                    ));
                }
            }
        }
        for n in &self.networks {
            s.push_str(&format!(
                "    iifname \"{b}\" accept\n    oifname \"{b}\" ct state established,related accept\n    oifname \"{b}\" ct status dnat accept\n",
                b = n.bridge
            ));
        }
        s.push_str("  }\n}\n");
        s
    }

    /// Replaces the table's content with this ruleset, atomically.
    pub async fn apply(&self) -> Result<(), NftError> {
        run_nft(&self.render()).await
    }
}

/// Deletes a table and everything in it; a missing table is fine.
pub async fn delete_table(table: &str) -> Result<(), NftError> {
    // Creating it first makes the delete succeed whether or not it existed.
    run_nft(&format!("table ip {table} {{}}\ndelete table ip {table}\n")).await
}

async fn run_nft(script: &str) -> Result<(), NftError> {
    let mut child = tokio::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(NftError::Spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .await
            .map_err(NftError::Spawn)?;
    }
    let out = child.wait_with_output().await.map_err(NftError::Spawn)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(NftError::Refused(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_masquerade_isolation_and_ports() {
        let rs = Ruleset {
            table: table_name("hako0"),
            networks: vec![
                NetRules {
                    bridge: "hako0".into(),
                    subnet: "172.17.0.0/16".parse().unwrap(),
                    internal: false,
                },
                NetRules {
                    bridge: "br-x".into(),
                    subnet: "10.9.0.0/24".parse().unwrap(),
                    internal: true,
                },
            ],
            ports: vec![Dnat {
                proto: Proto::Tcp,
                host_ip: None,
                host_port: 8080,
                container_ip: Ipv4Addr::new(172, 17, 0, 2),
                container_port: 80,
            }],
        };
        let s = rs.render();
        assert!(s.starts_with("table ip hako_hako0 {}\nflush table ip hako_hako0\n"));
        assert!(s.contains("    tcp dport 8080 dnat to 172.17.0.2:80\n"));
        assert!(s.contains("ip saddr 172.17.0.0/16 oifname != \"hako0\" masquerade"));
        assert!(!s.contains("ip saddr 10.9.0.0/24 oifname != \"br-x\" masquerade"));
        assert!(s.contains("iifname \"hako0\" oifname \"br-x\" drop"));
        assert!(s.contains("iifname \"br-x\" oifname != \"br-x\" drop"));
        // Loopback publishing in the kernel, and its guard.
        assert!(s.contains("    fib daddr type local jump ports\n  }\n  chain guard"));
        assert!(s.contains("oifname \"hako0\" ip saddr 127.0.0.0/8 masquerade"));
        assert!(s.contains("iifname \"hako0\" ip daddr 127.0.0.0/8 drop"));
    }
}
