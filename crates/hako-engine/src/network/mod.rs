//! Container networking in the engine: the default bridge, each container's endpoint
//! (address, veth, published ports) and the daemon's nftables table.
//!
//! An endpoint is prepared before the monitor starts (address from IPAM, host ports bound,
//! `/etc/hosts` written), attached once the init exists and waits before `execve` (veth
//! into its namespace), and released when the process exits. The endpoint is persisted as
//! `<container dir>/network.json`, so a restarted daemon knows which addresses and ports
//! running containers hold; the set of addresses in use is rebuilt from those files.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hako_net::ipam::{self, Subnet};
use hako_net::link::{self, BridgeSpec, Endpoint};
use hako_net::mode::NetworkMode;
use hako_net::nft::{self, Dnat, NetRules, Ruleset};
use hako_net::ports::{self, Published};
use hako_net::proxy::{self, Proxy};
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::container::config::HostConfig;
use crate::container::entry::Entry;
use crate::engine::Engine;
use crate::error::{EngineError, Result};

pub mod connect;
pub mod user;

pub use connect::{Connection, Connections};
pub use user::NetworkRecord;

/// File name of a container's endpoint record.
const ENDPOINT_FILE: &str = "network.json";

/// A container's place on a bridge network, as persisted and as inspect shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    /// Network name (`bridge` for the default one).
    pub network: String,
    /// Network ID.
    pub network_id: String,
    /// Endpoint ID (64 hex).
    pub endpoint_id: String,
    /// Bridge interface.
    pub bridge: String,
    /// Host end of the veth pair.
    pub host_veth: String,
    /// The container's address.
    pub ip: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
    /// Default gateway (empty route on internal networks).
    pub gateway: Option<Ipv4Addr>,
    /// `02:42:..`.
    pub mac: String,
    /// Published ports.
    pub ports: Vec<Published>,
    /// DNS names on the network (container name, aliases, short ID).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Interface in the container (`eth0` when empty: records written before connect).
    #[serde(default)]
    pub ifname: String,
}

/// The engine's networking state.
#[derive(Debug)]
pub struct Networking {
    /// The default bridge.
    pub(crate) default: BridgeSpec,
    /// The nftables table of this daemon.
    pub(crate) table: String,
    inner: Mutex<Inner>,
    /// Serialises bridge creation and ruleset writes.
    pub(crate) apply_lock: tokio::sync::Mutex<()>,
    /// IDs of `bridge`, `host`, `none`.
    pub(crate) builtin_ids: Mutex<user::BuiltinIds>,
    /// `<data_root>/networks`.
    dir: Mutex<Option<PathBuf>>,
}

/// A task aborted when dropped.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// Bridges created (or found) in this daemon's life.
    bridges_ready: HashSet<String>,
    /// Endpoints of running containers, by container ID.
    endpoints: HashMap<String, Attachment>,
    /// Endpoints of running containers on networks joined with `network connect`.
    connected: HashMap<String, Vec<Attachment>>,
    /// Proxies of running containers, by container ID.
    proxies: HashMap<String, Vec<Proxy>>,
    /// User-defined networks, by ID.
    networks: HashMap<String, NetworkRecord>,
    /// Embedded resolvers, by container ID.
    dns: HashMap<String, AbortOnDrop>,
}

impl Inner {
    /// Addresses held on `bridge` (by `NetworkMode` and connected endpoints).
    fn used_on(&self, bridge: &str) -> HashSet<Ipv4Addr> {
        self.endpoints
            .values()
            .chain(self.connected.values().flatten())
            .filter(|a| a.bridge == bridge)
            .map(|a| a.ip)
            .collect()
    }
}

/// What `link::attach` needs; only the first endpoint with a gateway gets the default
/// route (a second one would clash).
fn link_endpoint(a: &Attachment, default_route: bool) -> Endpoint {
    Endpoint {
        host_veth: a.host_veth.clone(),
        ifname: if a.ifname.is_empty() {
            "eth0".into()
        } else {
            a.ifname.clone()
        },
        ip: a.ip,
        prefix: a.prefix,
        gateway: a.gateway.filter(|_| default_route),
        mac: ipam::mac_for(a.ip),
    }
}

impl Networking {
    /// The default bridge from the daemon's `--bridge` and `--bip`.
    pub fn new(bridge: &str, bip: &str) -> Result<Self> {
        let (subnet, gateway) = Subnet::parse_with_addr(bip)
            .map_err(|e| EngineError::InvalidParameter(format!("--bip: {e}")))?;
        if gateway == subnet.addr {
            return Err(EngineError::InvalidParameter(format!(
                "--bip {bip}: give the bridge's own address (e.g. {}/{}), not the network's",
                subnet.first_host(),
                subnet.prefix
            )));
        }
        Ok(Self {
            default: BridgeSpec {
                name: bridge.to_string(),
                subnet,
                gateway,
            },
            table: nft::table_name(bridge),
            inner: Mutex::new(Inner::default()),
            apply_lock: tokio::sync::Mutex::new(()),
            builtin_ids: Mutex::new(user::BuiltinIds::default()),
            dir: Mutex::new(None),
        })
    }

    pub(crate) fn lock_dir(&self) -> std::sync::MutexGuard<'_, Option<PathBuf>> {
        self.dir.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The endpoint of a running container.
    pub fn endpoint(&self, id: &str) -> Option<Attachment> {
        self.lock().endpoints.get(id).cloned()
    }

    /// Every endpoint (`NetworkMode`'s and connected ones), by container ID.
    pub(crate) fn endpoints(&self) -> Vec<(String, Attachment)> {
        let inner = self.lock();
        inner
            .endpoints
            .iter()
            .chain(
                inner
                    .connected
                    .iter()
                    .flat_map(|(k, list)| list.iter().map(move |a| (k, a))),
            )
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Endpoints of a running container on networks joined with `network connect`.
    pub fn connected_endpoints(&self, id: &str) -> Vec<Attachment> {
        self.lock().connected.get(id).cloned().unwrap_or_default()
    }

    /// The rules this daemon wants: every bridge it knows, every published port.
    fn ruleset(&self) -> Ruleset {
        let inner = self.lock();
        let mut networks = vec![NetRules {
            bridge: self.default.name.clone(),
            subnet: self.default.subnet,
            internal: false,
        }];
        let mut user: Vec<&NetworkRecord> = inner.networks.values().collect();
        user.sort_by(|a, b| a.bridge.cmp(&b.bridge));
        for n in user {
            networks.push(NetRules {
                bridge: n.bridge.clone(),
                subnet: n.subnet,
                internal: n.internal,
            });
        }
        let mut ports = Vec::new();
        let mut eps: Vec<&Attachment> = inner.endpoints.values().collect();
        eps.sort_by_key(|a| a.ip);
        for ep in eps {
            for p in &ep.ports {
                ports.push(Dnat {
                    proto: p.proto,
                    host_ip: Some(p.host_ip),
                    host_port: p.host_port,
                    container_ip: ep.ip,
                    container_port: p.container_port,
                });
            }
        }
        Ruleset {
            table: self.table.clone(),
            networks,
            ports,
        }
    }
}

/// What [`Engine::net_prepare`] reserved for one start.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The endpoint on `NetworkMode`'s network (none once disconnected from it).
    attachment: Option<Attachment>,
    bound: Vec<(proxy::Bound, SocketAddrV4)>,
    netns_of: NetnsSource,
    /// Endpoints on networks joined with `network connect`, already holding addresses.
    connected: Vec<Attachment>,
}

#[derive(Debug)]
enum NetnsSource {
    /// The new init's namespace: attach a veth.
    Own,
}

fn io_err(context: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EngineError {
    let path = path.to_path_buf();
    move |source| EngineError::Io {
        context,
        path,
        source,
    }
}

/// An endpoint ID: 64 hex characters.
fn endpoint_id() -> String {
    crate::ids::new_id()
}

impl Engine {
    /// Network of a container that gets a veth: (name, id, bridge spec, internal).
    fn bridge_for(&self, mode: &NetworkMode) -> Result<Option<(String, String, BridgeSpec, bool)>> {
        match mode {
            NetworkMode::Bridge => Ok(Some((
                "bridge".to_string(),
                self.net.default_network_id(),
                self.net.default.clone(),
                false,
            ))),
            NetworkMode::Network(name) => {
                let n = self.net.find_network(name)?;
                Ok(Some((
                    n.name.clone(),
                    n.id.clone(),
                    BridgeSpec {
                        name: n.bridge.clone(),
                        subnet: n.subnet,
                        gateway: n.gateway,
                    },
                    n.internal,
                )))
            }
            NetworkMode::None | NetworkMode::Host | NetworkMode::Container(_) => Ok(None),
        }
    }

    /// Creates the bridge (once per daemon life) and writes the table.
    pub(crate) async fn ensure_bridge(&self, spec: &BridgeSpec) -> Result<()> {
        if self.net.lock().bridges_ready.contains(&spec.name) {
            return Ok(());
        }
        let _guard = self.net.apply_lock.lock().await;
        if self.net.lock().bridges_ready.contains(&spec.name) {
            return Ok(());
        }
        link::ensure_bridge(spec)
            .await
            .map_err(|e| EngineError::Network(format!("bridge {}: {e}", spec.name)))?;
        self.net.lock().bridges_ready.insert(spec.name.clone());
        self.net
            .ruleset()
            .apply()
            .await
            .map_err(|e| EngineError::Network(e.to_string()))?;
        Ok(())
    }

    /// Rewrites the nftables table from the current state.
    pub(crate) async fn sync_rules(&self) -> Result<()> {
        let _guard = self.net.apply_lock.lock().await;
        self.net
            .ruleset()
            .apply()
            .await
            .map_err(|e| EngineError::Network(e.to_string()))
    }

    /// Reserves an address and the host ports of a container about to start, and writes
    /// its `/etc/hosts`. `None` for containers without a veth (`none`, `host`,
    /// `container:`). Nothing is left behind on error.
    pub(crate) async fn net_prepare(
        &self,
        entry: &Entry,
        name: &str,
        hc: &HostConfig,
        hostname: &str,
        exposed: &[String],
    ) -> Result<Option<Prepared>> {
        let Some((network, network_id, spec, internal)) = self.bridge_for(&hc.network_mode)? else {
            return Ok(None);
        };
        self.ensure_bridge(&spec).await?;
        let requests = ports::requests(&hc.port_bindings, exposed, hc.publish_all_ports)
            .map_err(|e| EngineError::InvalidParameter(e.to_string()))?;
        let ip = {
            let mut inner = self.net.lock();
            let used = inner.used_on(&spec.name);
            let wanted = self.net.requested_ip(&hc.network_mode, hc);
            let ip = match wanted {
                Some(ip) => {
                    if !spec.subnet.contains(ip) {
                        return Err(EngineError::InvalidParameter(format!(
                            "no configured subnet or ip-range contain the IP address {ip}"
                        )));
                    }
                    if used.contains(&ip) || ip == spec.gateway {
                        return Err(EngineError::Network(format!(
                            "Address already in use: {ip}"
                        )));
                    }
                    ip
                }
                None => ipam::allocate(&spec.subnet, spec.gateway, &used).ok_or_else(|| {
                    EngineError::Network(format!(
                        "no available IPv4 addresses on this network's address pools: {network}"
                    ))
                })?,
            };
            // Hold the address from now on; released by `net_release`.
            let placeholder = Attachment {
                network: network.clone(),
                network_id: network_id.clone(),
                endpoint_id: endpoint_id(),
                bridge: spec.name.clone(),
                host_veth: format!("veth{}", &entry.id[..7]),
                ip,
                prefix: spec.subnet.prefix,
                gateway: (!internal).then_some(spec.gateway),
                mac: ipam::format_mac(&ipam::mac_for(ip)),
                ports: Vec::new(),
                aliases: self.net.aliases_for(&hc.network_mode, hc, name, &entry.id),
                ifname: "eth0".into(),
            };
            inner.endpoints.insert(entry.id.clone(), placeholder);
            ip
        };
        let mut bound = Vec::new();
        let mut published = Vec::new();
        for r in &requests {
            let mut last_err = String::new();
            let mut got = None;
            let (first, last) = r.host_ports;
            for port in first..=last {
                match proxy::bind(r.proto, r.host_ip, port) {
                    Ok(b) => {
                        got = Some(b);
                        break;
                    }
                    Err(e) => last_err = e,
                }
            }
            let Some(b) = got else {
                self.net.lock().endpoints.remove(&entry.id);
                return Err(EngineError::Network(format!(
                    "driver failed programming external connectivity on endpoint {name} ({}): Error starting userland proxy: {last_err}",
                    &entry.id
                )));
            };
            published.push(Published {
                proto: r.proto,
                container_port: r.container_port,
                host_ip: r.host_ip,
                host_port: b.port(),
            });
            bound.push((b, SocketAddrV4::new(ip, r.container_port)));
        }
        let attachment = {
            let mut inner = self.net.lock();
            let a = inner
                .endpoints
                .get_mut(&entry.id)
                .ok_or_else(|| EngineError::Network("endpoint vanished".into()))?;
            a.ports = published;
            a.clone()
        };
        let written = write_hosts(entry, hc, hostname, ip).and_then(|()| {
            if matches!(hc.network_mode, NetworkMode::Network(_)) {
                let path = entry.dir.join("resolv.conf");
                std::fs::write(&path, user::user_resolv_conf(hc)).map_err(io_err("write", &path))
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            self.net.lock().endpoints.remove(&entry.id);
            return Err(e);
        }
        Ok(Some(Prepared {
            attachment: Some(attachment),
            bound,
            netns_of: NetnsSource::Own,
            connected: Vec::new(),
        }))
    }

    /// Plugs the prepared endpoint into the namespace of `pid` (the container's init,
    /// waiting before `execve`), starts its proxies and rules, and persists it.
    pub(crate) async fn net_attach(
        &self,
        entry: &Entry,
        prepared: Prepared,
        pid: i32,
    ) -> std::result::Result<(), hako_runtime::RuntimeError> {
        let NetnsSource::Own = prepared.netns_of;
        let netns = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let fail = |msg: String| hako_runtime::RuntimeError::Io {
            context: "configure the network of",
            path: netns.clone(),
            source: std::io::Error::other(msg),
        };
        let mut default_route = true;
        for a in prepared.attachment.iter().chain(&prepared.connected) {
            link::attach(&a.bridge, &netns, &link_endpoint(a, default_route))
                .await
                .map_err(|e| fail(e.to_string()))?;
            default_route &= a.gateway.is_none();
        }
        let on_user_network = prepared
            .attachment
            .iter()
            .chain(&prepared.connected)
            .any(|a| self.net.is_user_network(&a.network_id));
        if on_user_network {
            self.start_dns(entry, &netns)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        let mut proxies = Vec::new();
        for (b, target) in prepared.bound {
            proxies.push(Proxy::spawn(b, target).map_err(|e| fail(e.to_string()))?);
        }
        let has_ports = !proxies.is_empty();
        self.net.lock().proxies.insert(entry.id.clone(), proxies);
        if has_ports {
            self.sync_rules().await.map_err(|e| fail(e.to_string()))?;
        }
        if let Some(a) = &prepared.attachment {
            let path = entry.dir.join(ENDPOINT_FILE);
            if let Err(e) = crate::state::write_json(&path, a, false) {
                warn!(container.id = %entry.id, error = %e, "cannot persist the endpoint");
            }
        }
        self.persist_connected(entry);
        Ok(())
    }

    /// Gives back what a container's endpoint held: address, ports, proxies, rules. The
    /// veth goes with the container's namespace.
    pub(crate) async fn net_release(&self, entry: &Entry) {
        let (had_ports, existed) = {
            let mut inner = self.net.lock();
            inner.proxies.remove(&entry.id);
            inner.dns.remove(&entry.id);
            inner.connected.remove(&entry.id);
            match inner.endpoints.remove(&entry.id) {
                Some(a) => (!a.ports.is_empty(), true),
                None => (false, false),
            }
        };
        if existed {
            let _ = std::fs::remove_file(entry.dir.join(ENDPOINT_FILE));
        }
        let _ = std::fs::remove_file(entry.dir.join(connect::ENDPOINTS_FILE));
        if had_ports && let Err(e) = self.sync_rules().await {
            warn!(container.id = %entry.id, error = %e, "cannot remove port rules");
        }
    }

    /// At daemon start: running containers keep their endpoints (addresses, proxies),
    /// others lose them, and the table is rewritten (stale rules of a crashed daemon go).
    pub(crate) async fn restore_network(&self) {
        self.load_networks();
        let entries = self.containers.all();
        for entry in entries {
            self.restore_connected(&entry).await;
            let path = entry.dir.join(ENDPOINT_FILE);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let running = entry.inner.lock().await.state.status.is_running();
            let Ok(a) = serde_json::from_slice::<Attachment>(&bytes) else {
                let _ = std::fs::remove_file(&path);
                continue;
            };
            if !running {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let mut proxies = Vec::new();
            for p in &a.ports {
                match proxy::bind(p.proto, p.host_ip, p.host_port)
                    .map_err(std::io::Error::other)
                    .and_then(|b| Proxy::spawn(b, SocketAddrV4::new(a.ip, p.container_port)))
                {
                    Ok(px) => proxies.push(px),
                    Err(e) => {
                        warn!(container.id = %entry.id, error = %e, "cannot restore a published port")
                    }
                }
            }
            let mut inner = self.net.lock();
            inner.bridges_ready.insert(a.bridge.clone());
            inner.proxies.insert(entry.id.clone(), proxies);
            inner.endpoints.insert(entry.id.clone(), a);
        }
        let has_state = {
            let inner = self.net.lock();
            !inner.endpoints.is_empty() || !inner.connected.is_empty() || !inner.networks.is_empty()
        };
        if has_state {
            if let Err(e) = self.sync_rules().await {
                warn!(error = %e, "cannot restore the nftables table");
            }
            self.restore_dns().await;
        } else {
            // Nothing of ours is running: a table left by a crashed daemon goes.
            if let Err(e) = nft::delete_table(&self.net.table).await {
                debug!(error = %e, "no nftables table removed");
            }
        }
    }
}

/// `/etc/hosts` with the container's address and hostname, as Docker writes it. Written
/// in place: the file is bind-mounted into the container.
fn write_hosts(entry: &Entry, hc: &HostConfig, hostname: &str, ip: Ipv4Addr) -> Result<()> {
    let base = crate::container::etc_files::hosts(
        hc,
        &crate::container::etc_files::read_host_file(Path::new("/etc/hosts")),
    );
    let content = format!("{base}{ip}\t{hostname}\n");
    let path = entry.dir.join("hosts");
    std::fs::write(&path, content).map_err(io_err("write", &path))
}

impl Engine {
    /// Before a start: `container:NAME` joins that container's namespace; bridge networks
    /// get an endpoint prepared ([`Engine::net_prepare`]).
    pub(crate) async fn net_prepare_spec(
        &self,
        entry: &Entry,
        record: &crate::container::record::Record,
        spec: &mut hako_runtime::spec::ContainerSpec,
    ) -> Result<Option<Prepared>> {
        let hc = &record.host_config;
        if let NetworkMode::Container(other) = &hc.network_mode {
            let target = self.containers.get(other)?;
            if target.id == entry.id {
                return Err(EngineError::InvalidParameter(
                    "cannot join own network".into(),
                ));
            }
            let pid = {
                let inner = target.inner.lock().await;
                if !inner.state.status.is_running() {
                    return Err(EngineError::Conflict(format!(
                        "cannot join network of a non running container: {}",
                        target.id
                    )));
                }
                inner.state.pid
            };
            spec.network = hako_runtime::spec::NetNamespace::Join(PathBuf::from(format!(
                "/proc/{pid}/ns/net"
            )));
            return Ok(None);
        }
        let conns = Connections::read(entry);
        let primary = if conns.primary_disconnected {
            None
        } else {
            self.net_prepare(
                entry,
                &record.name,
                hc,
                &record.config.hostname,
                &record.config.exposed_ports,
            )
            .await?
        };
        self.prepare_connected(entry, record, &conns, primary).await
    }
}

impl Engine {
    /// At create: the network exists, `container:` names a container, `--ip` needs a user
    /// network with a subnet that holds it.
    pub(crate) async fn check_network(&self, hc: &HostConfig) -> Result<()> {
        match &hc.network_mode {
            NetworkMode::Network(name) => {
                let n = self.net.find_network(name)?;
                if let Some(ip) = hc.ipv4_address
                    && !n.subnet.contains(ip)
                {
                    return Err(EngineError::InvalidParameter(format!(
                        "no configured subnet or ip-range contain the IP address {ip}"
                    )));
                }
            }
            NetworkMode::Container(other) => {
                self.containers.get(other)?;
            }
            _ => {
                if hc.ipv4_address.is_some() {
                    return Err(EngineError::InvalidParameter(
                        "user specified IP address is supported on user defined networks only"
                            .into(),
                    ));
                }
                if !hc.network_aliases.is_empty() {
                    return Err(EngineError::InvalidParameter(
                        "network-scoped alias is supported only for containers in user defined networks"
                            .into(),
                    ));
                }
            }
        }
        if matches!(
            hc.network_mode,
            NetworkMode::Host | NetworkMode::None | NetworkMode::Container(_)
        ) && (!hc.port_bindings.values().all(|v| v.is_empty()) || hc.publish_all_ports)
            && !matches!(hc.network_mode, NetworkMode::None)
        {
            // Docker ignores published ports with the host's network (a warning), and
            // refuses them with `container:`.
            if let NetworkMode::Container(_) = hc.network_mode {
                return Err(EngineError::InvalidParameter(
                    "conflicting options: port publishing and the container type network mode"
                        .into(),
                ));
            }
        }
        Ok(())
    }
}
