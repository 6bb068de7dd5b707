//! Port publishing: the host side of `-p`. Binding the host port first is what detects a
//! port already in use (and reserves it). The nftables DNAT rules carry the traffic,
//! loopback included (`route_localnet`); a small userland proxy on the TCP socket forwards
//! whatever still reaches it (connections made before the rules were in place). UDP relies
//! on the DNAT rules alone; its socket is kept bound as the reservation.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use crate::nft::Proto;

/// A host port we hold.
#[derive(Debug)]
pub enum Bound {
    /// A listening TCP socket.
    Tcp(std::net::TcpListener),
    /// A bound UDP socket.
    Udp(std::net::UdpSocket),
}

impl Bound {
    /// The port actually bound (the kernel picks one for port 0).
    pub fn port(&self) -> u16 {
        match self {
            Bound::Tcp(l) => l.local_addr().map(|a| a.port()).unwrap_or(0),
            Bound::Udp(s) => s.local_addr().map(|a| a.port()).unwrap_or(0),
        }
    }
}

/// Binds `ip:port` (`port` 0: any free port). The error is Docker's userland-proxy
/// message (`listen tcp4 0.0.0.0:8080: bind: address already in use`).
pub fn bind(proto: Proto, ip: Ipv4Addr, port: u16) -> Result<Bound, String> {
    let addr = SocketAddr::V4(SocketAddrV4::new(ip, port));
    let fail = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => "address already in use".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        match proto {
            Proto::Tcp => format!("listen tcp4 {addr}: bind: {why}"),
            Proto::Udp => format!("listen udp4 {addr}: bind: {why}"),
        }
    };
    match proto {
        Proto::Tcp => {
            let l = std::net::TcpListener::bind(addr).map_err(fail)?;
            l.set_nonblocking(true).map_err(fail)?;
            Ok(Bound::Tcp(l))
        }
        Proto::Udp => {
            let s = std::net::UdpSocket::bind(addr).map_err(fail)?;
            s.set_nonblocking(true).map_err(fail)?;
            Ok(Bound::Udp(s))
        }
    }
}

/// Forwards what arrives on `bound` to `target` until dropped.
#[derive(Debug)]
pub struct Proxy {
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts forwarding (inside a tokio runtime).
    pub fn spawn(bound: Bound, target: SocketAddrV4) -> std::io::Result<Proxy> {
        let task = match bound {
            Bound::Tcp(l) => {
                let listener = TcpListener::from_std(l)?;
                tokio::spawn(async move {
                    loop {
                        let Ok((mut inbound, _)) = listener.accept().await else {
                            continue;
                        };
                        tokio::spawn(async move {
                            let _ = inbound.set_nodelay(true);
                            if let Ok(mut outbound) = TcpStream::connect(target).await {
                                let _ = outbound.set_nodelay(true);
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                                    .await;
                            }
                        });
                    }
                })
            }
            Bound::Udp(s) => {
                // Held as the reservation; DNAT rules carry the datagrams.
                let socket = UdpSocket::from_std(s)?;
                tokio::spawn(async move {
                    let _socket = socket;
                    std::future::pending::<()>().await;
                })
            }
        };
        Ok(Proxy { task })
    }
}
