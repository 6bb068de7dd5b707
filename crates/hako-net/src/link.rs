//! Links, addresses and routes over rtnetlink: the bridge on the host, and a veth pair
//! whose inner end becomes a container's `eth0`.
//!
//! Work inside a container's namespace needs a netlink socket opened there: a fresh OS
//! thread (never a pooled one) enters the namespace, opens the socket and runs the requests
//! on a small current-thread runtime, then ends.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use rtnetlink::packet_route::link::LinkAttribute;
use rtnetlink::{
    Handle, LinkBridge, LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder,
};

use crate::ipam::Subnet;

/// A netlink or namespace failure.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A netlink request failed.
    #[error("{what}: {source}")]
    Netlink {
        /// What was being done.
        what: String,
        /// rtnetlink's error.
        #[source]
        source: rtnetlink::Error,
    },
    /// A socket, thread, namespace or sysctl failure.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The kernel's answer.
        #[source]
        source: std::io::Error,
    },
}

impl LinkError {
    fn netlink(what: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> LinkError {
        let what = what.into();
        move |source| LinkError::Netlink { what, source }
    }

    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LinkError {
        let what = what.into();
        move |source| LinkError::Io { what, source }
    }

    /// The netlink errno, if the kernel refused.
    pub fn errno(&self) -> Option<i32> {
        match self {
            LinkError::Netlink {
                source: rtnetlink::Error::NetlinkError(m),
                ..
            } => Some(-m.raw_code()),
            _ => None,
        }
    }
}

type Result<T> = std::result::Result<T, LinkError>;

/// A bridge and the address the host holds on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSpec {
    /// Interface name (`hako0`, `br-0123456789ab`).
    pub name: String,
    /// The bridge's subnet.
    pub subnet: Subnet,
    /// The host's address on the bridge, the containers' default gateway.
    pub gateway: Ipv4Addr,
}

/// A container's end of a bridge.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host end of the veth pair.
    pub host_veth: String,
    /// Name inside the container (`eth0`).
    pub ifname: String,
    /// The container's address.
    pub ip: Ipv4Addr,
    /// Its subnet's prefix length.
    pub prefix: u8,
    /// Default route; `None` for internal networks.
    pub gateway: Option<Ipv4Addr>,
    /// MAC of the container's interface.
    pub mac: [u8; 6],
}

/// Runs `f` with a netlink handle on the current thread's namespace, on a small runtime.
fn with_handle<T, F, Fut>(f: F) -> Result<T>
where
    F: FnOnce(Handle) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(LinkError::io("netlink runtime"))?;
    rt.block_on(async {
        let (conn, handle, _) =
            rtnetlink::new_connection().map_err(LinkError::io("open netlink socket"))?;
        let task = tokio::spawn(conn);
        let out = f(handle).await;
        task.abort();
        out
    })
}

/// Runs `f` on a fresh OS thread (so that namespace changes die with it) and waits.
async fn on_thread<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("hako-netlink".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(LinkError::io("spawn netlink thread"))?;
    rx.await.unwrap_or_else(|_| {
        Err(LinkError::Io {
            what: "netlink thread".into(),
            source: std::io::Error::other("panicked"),
        })
    })
}

async fn index_of(handle: &Handle, name: &str) -> Result<Option<u32>> {
    let mut links = handle.link().get().match_name(name.to_string()).execute();
    match links.try_next().await {
        Ok(Some(msg)) => Ok(Some(msg.header.index)),
        Ok(None) => Ok(None),
        Err(rtnetlink::Error::NetlinkError(m)) if -m.raw_code() == libc_enodev() => Ok(None),
        Err(e) => Err(LinkError::netlink(format!("look up link {name}"))(e)),
    }
}

const fn libc_enodev() -> i32 {
    19
}

const EEXIST: i32 = 17;

/// Creates the bridge with its address if missing, and brings it up. Idempotent: an
/// existing bridge is reused (its address added if absent). Also turns on IPv4
/// forwarding, and `route_localnet` on the bridge so that connections to a published port
/// on 127.0.0.1 can be DNATed to a container (as Docker does without its userland proxy);
/// the ruleset drops anything addressed to 127.0.0.0/8 that arrives from the bridge.
pub async fn ensure_bridge(spec: &BridgeSpec) -> Result<()> {
    let localnet = format!("/proc/sys/net/ipv4/conf/{}/route_localnet", spec.name);
    let spec = spec.clone();
    on_thread(move || {
        with_handle(|h| async move {
            let index = match index_of(&h, &spec.name).await? {
                Some(i) => i,
                None => {
                    let msg = LinkBridge::new(&spec.name).up().build();
                    match h.link().add(msg).execute().await {
                        Ok(()) => {}
                        Err(rtnetlink::Error::NetlinkError(m)) if -m.raw_code() == EEXIST => {}
                        Err(e) => {
                            return Err(
                                LinkError::netlink(format!("create bridge {}", spec.name))(e),
                            );
                        }
                    }
                    index_of(&h, &spec.name)
                        .await?
                        .ok_or_else(|| LinkError::Io {
                            what: format!("bridge {}", spec.name),
                            source: std::io::Error::other("vanished after creation"),
                        })?
                }
            };
            match h
                .address()
                .add(index, IpAddr::V4(spec.gateway), spec.subnet.prefix)
                .execute()
                .await
            {
                Ok(()) => {}
                Err(rtnetlink::Error::NetlinkError(m)) if -m.raw_code() == EEXIST => {}
                Err(e) => {
                    return Err(LinkError::netlink(format!(
                        "add {}/{} to {}",
                        spec.gateway, spec.subnet.prefix, spec.name
                    ))(e));
                }
            }
            h.link()
                .set(LinkUnspec::new_with_index(index).up().build())
                .execute()
                .await
                .map_err(LinkError::netlink(format!("set {} up", spec.name)))
        })
    })
    .await?;
    enable_forwarding()?;
    std::fs::write(&localnet, "1").map_err(LinkError::io("enable route_localnet"))
}

fn enable_forwarding() -> Result<()> {
    let path = "/proc/sys/net/ipv4/ip_forward";
    if std::fs::read_to_string(path).is_ok_and(|v| v.trim() == "1") {
        return Ok(());
    }
    std::fs::write(path, "1").map_err(LinkError::io("enable ip_forward"))
}

/// Deletes a link by name; a missing link is fine.
pub async fn delete_link(name: &str) -> Result<()> {
    let name = name.to_string();
    on_thread(move || {
        with_handle(|h| async move {
            if let Some(index) = index_of(&h, &name).await? {
                match h.link().del(index).execute().await {
                    Ok(()) => {}
                    Err(rtnetlink::Error::NetlinkError(m)) if -m.raw_code() == libc_enodev() => {}
                    Err(e) => return Err(LinkError::netlink(format!("delete link {name}"))(e)),
                }
            }
            Ok(())
        })
    })
    .await
}

/// Creates a veth pair with one end on `bridge` and the other, named `ep.ifname`, inside
/// the network namespace at `netns` (e.g. `/proc/PID/ns/net`), with its address, MAC,
/// and default route. A stale host end of the same name (a namespace still being torn
/// down) is replaced.
pub async fn attach(bridge: &str, netns: &Path, ep: &Endpoint) -> Result<()> {
    let bridge = bridge.to_string();
    let netns: PathBuf = netns.to_path_buf();
    let ep = ep.clone();
    on_thread(move || attach_blocking(&bridge, &netns, &ep)).await
}

fn attach_blocking(bridge: &str, netns: &Path, ep: &Endpoint) -> Result<()> {
    let ns = File::open(netns).map_err(LinkError::io(format!("open {}", netns.display())))?;
    let host = ep.host_veth.clone();
    let ifname = ep.ifname.clone();
    let mac = ep.mac.to_vec();
    let fd = ns.as_raw_fd();
    with_handle(|h| async move {
        let master = index_of(&h, bridge).await?.ok_or_else(|| LinkError::Io {
            what: format!("bridge {bridge}"),
            source: std::io::Error::from_raw_os_error(libc_enodev()),
        })?;
        let build = || {
            let peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name(ifname.clone())
                .address(mac.clone())
                .setns_by_fd(fd)
                .build();
            let mut msg = LinkVeth::new(&host, &ifname).build();
            // Replace the peer built by `LinkVeth::new` with one that carries the target
            // namespace and MAC.
            for attr in msg.attributes.iter_mut() {
                if let LinkAttribute::LinkInfo(infos) = attr {
                    for info in infos.iter_mut() {
                        if let rtnetlink::packet_route::link::LinkInfo::Data(
                            rtnetlink::packet_route::link::InfoData::Veth(v),
                        ) = info
                        {
                            *v = rtnetlink::packet_route::link::InfoVeth::Peer(peer.clone());
                        }
                    }
                }
            }
            msg
        };
        match h.link().add(build()).execute().await {
            Ok(()) => {}
            Err(rtnetlink::Error::NetlinkError(m)) if -m.raw_code() == EEXIST => {
                if let Some(old) = index_of(&h, &host).await? {
                    let _ = h.link().del(old).execute().await;
                }
                h.link()
                    .add(build())
                    .execute()
                    .await
                    .map_err(LinkError::netlink(format!("create veth {host}")))?;
            }
            Err(e) => return Err(LinkError::netlink(format!("create veth {host}"))(e)),
        }
        let index = index_of(&h, &host).await?.ok_or_else(|| LinkError::Io {
            what: format!("veth {host}"),
            source: std::io::Error::from_raw_os_error(libc_enodev()),
        })?;
        h.link()
            .set(
                LinkUnspec::new_with_index(index)
                    .controller(master)
                    .up()
                    .build(),
            )
            .execute()
            .await
            .map_err(LinkError::netlink(format!("attach {host} to {bridge}")))
    })?;
    rustix::thread::move_into_link_name_space(
        rustix::fd::AsFd::as_fd(&ns),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(|e| LinkError::Io {
        what: format!("enter {}", netns.display()),
        source: e.into(),
    })?;
    let ep = ep.clone();
    with_handle(|h| async move {
        let index = index_of(&h, &ep.ifname)
            .await?
            .ok_or_else(|| LinkError::Io {
                what: format!("{} in the container", ep.ifname),
                source: std::io::Error::from_raw_os_error(libc_enodev()),
            })?;
        h.address()
            .add(index, IpAddr::V4(ep.ip), ep.prefix)
            .execute()
            .await
            .map_err(LinkError::netlink(format!("add {}/{}", ep.ip, ep.prefix)))?;
        h.link()
            .set(LinkUnspec::new_with_index(index).up().build())
            .execute()
            .await
            .map_err(LinkError::netlink(format!("set {} up", ep.ifname)))?;
        if let Some(gw) = ep.gateway {
            let route = RouteMessageBuilder::<Ipv4Addr>::new()
                .gateway(gw)
                .output_interface(index)
                .build();
            h.route()
                .add(route)
                .execute()
                .await
                .map_err(LinkError::netlink(format!("default route via {gw}")))?;
        }
        Ok(())
    })
}

/// Names of the links whose controller is `bridge` (the veths still plugged in).
pub async fn ports_of(bridge: &str) -> Result<Vec<String>> {
    let bridge = bridge.to_string();
    on_thread(move || {
        with_handle(|h| async move {
            let Some(master) = index_of(&h, &bridge).await? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            let mut links = h.link().get().execute();
            while let Some(msg) = links
                .try_next()
                .await
                .map_err(LinkError::netlink("list links"))?
            {
                let mut name = None;
                let mut plugged = false;
                for a in &msg.attributes {
                    match a {
                        LinkAttribute::IfName(n) => name = Some(n.clone()),
                        LinkAttribute::Controller(m) if *m == master => plugged = true,
                        _ => {}
                    }
                }
                if plugged && let Some(n) = name {
                    out.push(n);
                }
            }
            Ok(out)
        })
    })
    .await
}
