//! The embedded DNS resolver of user-defined networks, as Docker's 127.0.0.11.
//!
//! The daemon opens a UDP socket bound to `127.0.0.11:53` *inside* a container's network
//! namespace (a socket keeps the namespace it was created in) and answers on it from its
//! own runtime: `A` queries for names on the container's network come from the engine,
//! everything else is relayed to the host's resolvers. No rules are needed.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// Docker's resolver address inside containers.
pub const RESOLVER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);

/// Answers a name (lower case, without the trailing dot) with the addresses of the
/// network's containers; empty when the name is not on the network.
pub type Lookup = Arc<dyn Fn(&str) -> Vec<Ipv4Addr> + Send + Sync>;

/// Opens the resolver's socket inside the namespace at `netns`.
pub async fn open_in(netns: &Path) -> std::io::Result<std::net::UdpSocket> {
    let netns = netns.to_path_buf();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("hako-dns-open".into())
        .spawn(move || {
            let r = (|| {
                let ns = std::fs::File::open(&netns)?;
                rustix::thread::move_into_link_name_space(
                    ns.as_fd(),
                    Some(rustix::thread::LinkNameSpaceType::Network),
                )?;
                let s = std::net::UdpSocket::bind((RESOLVER_IP, 53))?;
                s.set_nonblocking(true)?;
                Ok(s)
            })();
            let _ = tx.send(r);
        })?;
    rx.await
        .unwrap_or_else(|_| Err(std::io::Error::other("dns thread panicked")))
}

/// Serves queries on `socket` until the task is aborted (or the namespace goes away).
pub fn serve(
    socket: std::net::UdpSocket,
    lookup: Lookup,
    upstream: Vec<SocketAddr>,
) -> std::io::Result<JoinHandle<()>> {
    let socket = Arc::new(UdpSocket::from_std(socket)?);
    Ok(tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let query = buf[..n].to_vec();
            let socket = socket.clone();
            let lookup = lookup.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let reply = match parse_question(&query) {
                    Some(q) if q.qclass == 1 => {
                        let ips = lookup(&q.name);
                        if ips.is_empty() {
                            forward(&query, &upstream).await
                        } else {
                            Some(answer(&query, &q, if q.qtype == 1 { &ips } else { &[] }))
                        }
                    }
                    _ => forward(&query, &upstream).await,
                };
                let reply = reply.unwrap_or_else(|| servfail(&query));
                if !reply.is_empty() {
                    let _ = socket.send_to(&reply, peer).await;
                }
            });
        }
    }))
}

/// The question of a query.
#[derive(Debug, PartialEq, Eq)]
pub struct Question {
    /// Lower case, no trailing dot.
    pub name: String,
    /// 1 = A, 28 = AAAA, ...
    pub qtype: u16,
    /// 1 = IN.
    pub qclass: u16,
    /// Offset just past the question.
    pub end: usize,
}

/// Parses the first question of a standard query.
pub fn parse_question(msg: &[u8]) -> Option<Question> {
    if msg.len() < 12 || msg[2] & 0x80 != 0 || u16::from_be_bytes([msg[4], msg[5]]) < 1 {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*msg.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        let label = msg.get(i..i + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*msg.get(i)?, *msg.get(i + 1)?]);
    let qclass = u16::from_be_bytes([*msg.get(i + 2)?, *msg.get(i + 3)?]);
    Some(Question {
        name: labels.join("."),
        qtype,
        qclass,
        end: i + 4,
    })
}

/// A reply with `ips` as A records (none: NOERROR without answers).
pub fn answer(query: &[u8], q: &Question, ips: &[Ipv4Addr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(q.end + ips.len() * 16);
    out.extend_from_slice(&query[..2]);
    // QR, opcode 0, AA, RD copied; RA; RCODE 0.
    out.push(0x80 | 0x04 | (query[2] & 0x01));
    out.push(0x80);
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&u16::try_from(ips.len()).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&query[12..q.end]);
    for ip in ips {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        out.extend_from_slice(&600u32.to_be_bytes());
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&ip.octets());
    }
    out
}

fn servfail(query: &[u8]) -> Vec<u8> {
    if query.len() < 12 {
        return Vec::new();
    }
    let mut out = query.to_vec();
    out[2] = 0x80 | (query[2] & 0x79);
    out[3] = 0x80 | 2;
    out
}

async fn forward(query: &[u8], upstream: &[SocketAddr]) -> Option<Vec<u8>> {
    for server in upstream {
        let bind: SocketAddr = if server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let Ok(sock) = UdpSocket::bind(bind).await else {
            continue;
        };
        if sock.send_to(query, server).await.is_err() {
            continue;
        }
        let mut buf = vec![0u8; 4096];
        if let Ok(Ok((n, _))) =
            tokio::time::timeout(Duration::from_secs(2), sock.recv_from(&mut buf)).await
        {
            buf.truncate(n);
            return Some(buf);
        }
    }
    None
}

/// The resolvers of a `resolv.conf` text, port 53.
pub fn upstream_servers(resolv_conf: &str) -> Vec<SocketAddr> {
    resolv_conf
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver"))
                .then(|| w.next())
                .flatten()
                .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name.split('.') {
            q.push(l.len() as u8);
            q.extend_from_slice(l.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        q
    }

    #[test]
    fn parses_and_answers() {
        let q = query("Web.local", 1);
        let parsed = parse_question(&q).unwrap();
        assert_eq!(parsed.name, "web.local");
        assert_eq!(parsed.qtype, 1);
        let a = answer(&q, &parsed, &[Ipv4Addr::new(10, 0, 0, 2)]);
        assert_eq!(&a[..2], &[0x12, 0x34]);
        assert_eq!(a[2] & 0x80, 0x80);
        assert_eq!(u16::from_be_bytes([a[6], a[7]]), 1);
        assert_eq!(&a[a.len() - 4..], &[10, 0, 0, 2]);
        assert!(parse_question(&[0; 5]).is_none());
    }

    #[test]
    fn upstreams() {
        let s = upstream_servers("nameserver 10.0.0.2\n# x\nnameserver ::1\nsearch a\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].to_string(), "10.0.0.2:53");
    }
}
