//! `network connect` and `network disconnect`: a container's networks besides the one of
//! its `NetworkMode`.
//!
//! What a container joined (or left) is recorded in `<container dir>/connections.json`
//! whatever its state, and applied at each start after the `NetworkMode` endpoint
//! (`eth1`, `eth2`, ...). A running container gets a new veth end moved into its
//! namespace at once (the init's `/proc/<pid>/ns/net`); its connected endpoints are
//! persisted in `network-connected.json` for a restarted daemon. Disconnecting deletes
//! the host end of the veth (the pair goes with it) and the endpoint, which is all the
//! resolver and the rules know of it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use hako_net::ipam;
use hako_net::link::{self, BridgeSpec};
use hako_net::mode::NetworkMode;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{Attachment, Prepared, endpoint_id, link_endpoint};
use crate::container::entry::Entry;
use crate::container::record::Record;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::{ids, state};

/// Networks joined and left, as recorded.
const CONNECTIONS_FILE: &str = "connections.json";
/// Connected endpoints of a running container.
pub(crate) const ENDPOINTS_FILE: &str = "network-connected.json";

const CONFLICT_HOST: &str =
    "container cannot be disconnected from host network or connected to host network";
const CONFLICT_SHARED: &str = "container sharing network namespace with another container or host cannot be connected to any other network";
const CONFLICT_NONE: &str = "container cannot be connected to multiple networks with one of the networks in private (none) mode";

/// One network joined with `network connect`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Connection {
    /// Network name.
    pub network: String,
    /// Network ID.
    pub network_id: String,
    /// `--ip`.
    pub ip: Option<Ipv4Addr>,
    /// `--alias`.
    pub aliases: Vec<String>,
}

/// A container's `connections.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Connections {
    /// Joined networks, in order.
    pub connected: Vec<Connection>,
    /// Disconnected from the network of its `NetworkMode`.
    pub primary_disconnected: bool,
}

impl Connections {
    /// The record of `entry`; empty when it has none (or it cannot be read).
    pub(crate) fn read(entry: &Entry) -> Self {
        state::read_json(&entry.dir.join(CONNECTIONS_FILE))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn write(&self, entry: &Entry) -> Result<()> {
        let path = entry.dir.join(CONNECTIONS_FILE);
        if *self == Self::default() {
            let _ = std::fs::remove_file(&path);
            return Ok(());
        }
        state::write_json(&path, self, false)
    }
}

/// `network connect` options.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `EndpointConfig.IPAMConfig.IPv4Address`.
    pub ipv4: Option<Ipv4Addr>,
    /// `EndpointConfig.Aliases`.
    pub aliases: Vec<String>,
}

/// A bridge network a container can join.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    id: String,
    spec: BridgeSpec,
    internal: bool,
    /// User-defined (has DNS, takes `--ip` and aliases).
    user: bool,
}

impl Engine {
    /// The bridge network `key` names; Docker's errors for `host` and `none`.
    fn connect_target(&self, key: &str) -> Result<Target> {
        let builtin = self.net.builtin();
        // Names and full IDs first, then user networks, then ID prefixes of the built-in
        // ones (a user network's name wins over a prefix).
        let user = self.net.find_network(key);
        let is = |name: &str, id: &str| {
            key == name || key == id || (user.is_err() && !key.is_empty() && id.starts_with(key))
        };
        if is("host", &builtin.host) {
            return Err(EngineError::InvalidParameter(CONFLICT_HOST.into()));
        }
        if is("none", &builtin.none) {
            return Err(EngineError::InvalidParameter(CONFLICT_NONE.into()));
        }
        if is("bridge", &builtin.bridge) {
            return Ok(Target {
                name: "bridge".into(),
                id: builtin.bridge,
                spec: self.net.default.clone(),
                internal: false,
                user: false,
            });
        }
        let n = user?;
        Ok(Target {
            name: n.name,
            id: n.id,
            spec: BridgeSpec {
                name: n.bridge,
                subnet: n.subnet,
                gateway: n.gateway,
            },
            internal: n.internal,
            user: true,
        })
    }

    /// ID of the network of a container's `NetworkMode`, if it is a bridge network.
    fn primary_network_id(&self, mode: &NetworkMode) -> Option<String> {
        match mode {
            NetworkMode::Bridge => Some(self.net.default_network_id()),
            NetworkMode::Network(n) => self.net.find_network(n).ok().map(|n| n.id),
            _ => None,
        }
    }

    /// Whether the container (its record and connections) uses network `id`.
    pub(crate) fn container_uses_network(
        &self,
        entry: &Entry,
        record: &Record,
        id: &str,
        name: &str,
    ) -> bool {
        let conns = Connections::read(entry);
        let primary = match &record.host_config.network_mode {
            NetworkMode::Network(n) => n == name || n == id,
            _ => false,
        };
        (primary && !conns.primary_disconnected)
            || conns.connected.iter().any(|c| c.network_id == id)
    }

    /// `POST /networks/{id}/connect`.
    pub async fn network_connect(
        &self,
        network: &str,
        container: &str,
        opts: ConnectOptions,
    ) -> Result<()> {
        let entry = self.containers.get(container)?;
        let inner = entry.inner.lock().await;
        let record = &inner.record;
        let mode = &record.host_config.network_mode;
        let t = self.connect_target(network)?;
        match mode {
            NetworkMode::Host | NetworkMode::Container(_) => {
                return Err(EngineError::InvalidParameter(CONFLICT_SHARED.into()));
            }
            NetworkMode::None => return Err(EngineError::InvalidParameter(CONFLICT_NONE.into())),
            NetworkMode::Bridge | NetworkMode::Network(_) => {}
        }
        let mut conns = Connections::read(&entry);
        let on_primary = !conns.primary_disconnected
            && self.primary_network_id(mode).as_deref() == Some(t.id.as_str());
        if on_primary || conns.connected.iter().any(|c| c.network_id == t.id) {
            return Err(EngineError::Forbidden(format!(
                "endpoint with name {} already exists in network {}",
                record.name, t.name
            )));
        }
        if !t.user {
            if opts.ipv4.is_some() {
                return Err(EngineError::InvalidParameter(
                    "user specified IP address is supported on user defined networks only".into(),
                ));
            }
            if !opts.aliases.is_empty() {
                return Err(EngineError::InvalidParameter(
                    "network-scoped alias is supported only for containers in user defined networks"
                        .into(),
                ));
            }
        }
        if let Some(ip) = opts.ipv4
            && !t.spec.subnet.contains(ip)
        {
            return Err(EngineError::InvalidParameter(format!(
                "no configured subnet or ip-range contain the IP address {ip}"
            )));
        }
        let conn = Connection {
            network: t.name.clone(),
            network_id: t.id.clone(),
            ip: opts.ipv4,
            aliases: opts.aliases,
        };
        let running = inner.state.status.is_running() && inner.state.pid > 0;
        if running {
            self.connect_running(&entry, record, inner.state.pid, &t, &conn)
                .await?;
        }
        conns.connected.push(conn);
        if let Err(e) = conns.write(&entry) {
            if running {
                self.drop_connected(&entry, &t.id).await;
            }
            return Err(e);
        }
        self.emit_network_event("connect", &t, &entry.id);
        Ok(())
    }

    /// Plugs a running container into `t` now.
    async fn connect_running(
        &self,
        entry: &Entry,
        record: &Record,
        pid: i32,
        t: &Target,
        conn: &Connection,
    ) -> Result<()> {
        self.ensure_bridge(&t.spec).await?;
        let a = self.allocate_connected(entry, record, t, conn, None)?;
        let netns = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let has_route = self
            .net
            .endpoint(&entry.id)
            .into_iter()
            .chain(self.net.connected_endpoints(&entry.id))
            .any(|x| x.endpoint_id != a.endpoint_id && x.gateway.is_some());
        let plugged = async {
            link::attach(&a.bridge, &netns, &link_endpoint(&a, !has_route))
                .await
                .map_err(|e| EngineError::Network(format!("connect to {}: {e}", t.name)))?;
            if t.user && !self.net.lock().dns.contains_key(&entry.id) {
                self.start_dns(entry, &netns).await.map_err(|e| {
                    EngineError::Network(format!("resolver for {}: {e}", record.name))
                })?;
                // Names are now answered by the embedded resolver, as on a user network.
                let path = entry.dir.join("resolv.conf");
                std::fs::write(&path, super::user::user_resolv_conf(&record.host_config))
                    .map_err(super::io_err("write", &path))?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = plugged {
            self.drop_connected(entry, &t.id).await;
            return Err(e);
        }
        self.persist_connected(entry);
        Ok(())
    }

    /// Takes an address on `t` for `conn` and records the endpoint as the container's.
    /// `ifname`: the interface in the container, else the first free `ethN`.
    fn allocate_connected(
        &self,
        entry: &Entry,
        record: &Record,
        t: &Target,
        conn: &Connection,
        ifname: Option<String>,
    ) -> Result<Attachment> {
        let mut inner = self.net.lock();
        let used = inner.used_on(&t.spec.name);
        let ip = match conn.ip {
            Some(ip) => {
                if used.contains(&ip) || ip == t.spec.gateway {
                    return Err(EngineError::Network(format!(
                        "Address already in use: {ip}"
                    )));
                }
                ip
            }
            None => ipam::allocate(&t.spec.subnet, t.spec.gateway, &used).ok_or_else(|| {
                EngineError::Network(format!(
                    "no available IPv4 addresses on this network's address pools: {}",
                    t.name
                ))
            })?,
        };
        let ifname = ifname.unwrap_or_else(|| {
            let taken: Vec<String> = inner
                .endpoints
                .get(&entry.id)
                .into_iter()
                .chain(inner.connected.get(&entry.id).into_iter().flatten())
                .map(|a| {
                    if a.ifname.is_empty() {
                        "eth0".to_string()
                    } else {
                        a.ifname.clone()
                    }
                })
                .collect();
            (0..)
                .map(|n| format!("eth{n}"))
                .find(|n| !taken.contains(n))
                .unwrap_or_else(|| "eth9".into())
        });
        let endpoint_id = endpoint_id();
        let mut aliases = Vec::new();
        if t.user {
            aliases.push(record.name.clone());
            aliases.extend(conn.aliases.iter().cloned());
            aliases.push(ids::short(&entry.id).to_string());
        }
        let a = Attachment {
            network: t.name.clone(),
            network_id: t.id.clone(),
            host_veth: format!("veth{}", &endpoint_id[..7]),
            endpoint_id,
            bridge: t.spec.name.clone(),
            ip,
            prefix: t.spec.subnet.prefix,
            gateway: (!t.internal).then_some(t.spec.gateway),
            mac: ipam::format_mac(&ipam::mac_for(ip)),
            ports: Vec::new(),
            aliases,
            ifname,
        };
        inner
            .connected
            .entry(entry.id.clone())
            .or_default()
            .push(a.clone());
        Ok(a)
    }

    /// Forgets a running container's endpoint on network `id` and deletes its veth.
    async fn drop_connected(&self, entry: &Entry, id: &str) {
        let gone = {
            let mut inner = self.net.lock();
            let list = inner.connected.entry(entry.id.clone()).or_default();
            let gone: Vec<Attachment> = list
                .iter()
                .filter(|a| a.network_id == id)
                .cloned()
                .collect();
            list.retain(|a| a.network_id != id);
            if list.is_empty() {
                inner.connected.remove(&entry.id);
            }
            gone
        };
        for a in gone {
            delete_veth(&a.host_veth).await;
        }
        self.persist_connected(entry);
    }

    /// Writes (or removes) `network-connected.json`.
    pub(crate) fn persist_connected(&self, entry: &Entry) {
        let list = self.net.connected_endpoints(&entry.id);
        let path = entry.dir.join(ENDPOINTS_FILE);
        if list.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else if let Err(e) = state::write_json(&path, &list, false) {
            warn!(container.id = %entry.id, error = %e, "cannot persist connected endpoints");
        }
    }

    /// At daemon start: a running container's connected endpoints.
    pub(crate) async fn restore_connected(&self, entry: &Entry) {
        let path = entry.dir.join(ENDPOINTS_FILE);
        let Ok(Some(list)) = state::read_json::<Vec<Attachment>>(&path) else {
            return;
        };
        if !entry.inner.lock().await.state.status.is_running() {
            let _ = std::fs::remove_file(&path);
            return;
        }
        let mut inner = self.net.lock();
        for a in &list {
            inner.bridges_ready.insert(a.bridge.clone());
        }
        inner.connected.insert(entry.id.clone(), list);
    }

    /// At start: addresses for the networks joined with `network connect`, after the
    /// `NetworkMode` endpoint. Nothing is held on error.
    pub(crate) async fn prepare_connected(
        &self,
        entry: &Entry,
        record: &Record,
        conns: &Connections,
        primary: Option<Prepared>,
    ) -> Result<Option<Prepared>> {
        if conns.connected.is_empty() {
            return Ok(primary);
        }
        let first = usize::from(primary.is_some());
        let mut connected = Vec::new();
        for (n, conn) in conns.connected.iter().enumerate() {
            let got = match self.connect_target(&conn.network_id) {
                Ok(t) => match self.ensure_bridge(&t.spec).await {
                    Ok(()) => self.allocate_connected(
                        entry,
                        record,
                        &t,
                        conn,
                        Some(format!("eth{}", first + n)),
                    ),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match got {
                Ok(a) => connected.push(a),
                Err(e) => {
                    let mut inner = self.net.lock();
                    inner.connected.remove(&entry.id);
                    inner.endpoints.remove(&entry.id);
                    return Err(e);
                }
            }
        }
        let user = connected
            .iter()
            .any(|a| self.net.is_user_network(&a.network_id));
        if user && !matches!(record.host_config.network_mode, NetworkMode::Network(_)) {
            // The embedded resolver answers for the joined user networks.
            let path = entry.dir.join("resolv.conf");
            if let Err(e) =
                std::fs::write(&path, super::user::user_resolv_conf(&record.host_config))
            {
                let mut inner = self.net.lock();
                inner.connected.remove(&entry.id);
                inner.endpoints.remove(&entry.id);
                return Err(super::io_err("write", &path)(e));
            }
        }
        Ok(Some(match primary {
            Some(mut p) => {
                p.connected = connected;
                p
            }
            None => Prepared {
                attachment: None,
                bound: Vec::new(),
                netns_of: super::NetnsSource::Own,
                connected,
            },
        }))
    }

    /// `POST /networks/{id}/disconnect`.
    pub async fn network_disconnect(
        &self,
        network: &str,
        container: &str,
        force: bool,
    ) -> Result<()> {
        let entry = self.containers.get(container)?;
        let inner = entry.inner.lock().await;
        let record = &inner.record;
        let mode = &record.host_config.network_mode;
        let mut conns = Connections::read(&entry);
        let not_connected = |name: &str| {
            EngineError::InvalidParameter(format!(
                "container {} is not connected to network {name}",
                entry.id
            ))
        };
        let t = match self.connect_target(network) {
            Ok(t) => t,
            Err(EngineError::InvalidParameter(m)) if m == CONFLICT_HOST => {
                if matches!(mode, NetworkMode::Host) {
                    return Err(EngineError::InvalidParameter(CONFLICT_HOST.into()));
                }
                return Err(not_connected("host"));
            }
            Err(EngineError::InvalidParameter(m)) if m == CONFLICT_NONE => {
                if matches!(mode, NetworkMode::None) {
                    return Err(EngineError::NotImplemented(
                        "disconnecting a container from the none network".into(),
                    ));
                }
                return Err(not_connected("none"));
            }
            Err(e) => {
                // A network removed behind a stopped container's back: `--force` drops
                // the record of it.
                let before = conns.connected.len();
                conns.connected.retain(|c| c.network != network);
                if force && conns.connected.len() != before {
                    return conns.write(&entry);
                }
                return Err(e);
            }
        };
        let running = inner.state.status.is_running();
        let on_primary = !conns.primary_disconnected
            && self.primary_network_id(mode).as_deref() == Some(t.id.as_str());
        if on_primary {
            conns.primary_disconnected = true;
            conns.write(&entry)?;
            if running {
                self.drop_primary(&entry).await;
            }
        } else if conns.connected.iter().any(|c| c.network_id == t.id) {
            conns.connected.retain(|c| c.network_id != t.id);
            conns.write(&entry)?;
            if running {
                self.drop_connected(&entry, &t.id).await;
            }
        } else {
            return Err(not_connected(&t.name));
        }
        self.emit_network_event("disconnect", &t, &entry.id);
        Ok(())
    }

    /// A running container leaves the network of its `NetworkMode`: veth, address,
    /// published ports and their rules go.
    async fn drop_primary(&self, entry: &Entry) {
        let (gone, had_ports) = {
            let mut inner = self.net.lock();
            inner.proxies.remove(&entry.id);
            let gone = inner.endpoints.remove(&entry.id);
            let had_ports = gone.as_ref().is_some_and(|a| !a.ports.is_empty());
            (gone, had_ports)
        };
        let _ = std::fs::remove_file(entry.dir.join(super::ENDPOINT_FILE));
        if let Some(a) = gone {
            delete_veth(&a.host_veth).await;
        }
        if had_ports && let Err(e) = self.sync_rules().await {
            warn!(container.id = %entry.id, error = %e, "cannot remove port rules");
        }
    }

    fn emit_network_event(&self, action: &str, t: &Target, container_id: &str) {
        let mut attrs = BTreeMap::new();
        attrs.insert("container".to_string(), container_id.to_string());
        attrs.insert("name".to_string(), t.name.clone());
        attrs.insert("type".to_string(), "bridge".to_string());
        self.events.emit("network", action, &t.id, attrs);
    }

    /// The networks a container joined, with their endpoints while it runs, for inspect.
    pub(crate) fn connected_view(
        &self,
        entry: &Entry,
    ) -> (Vec<(Connection, Option<Attachment>)>, bool) {
        let conns = Connections::read(entry);
        let live = self.net.connected_endpoints(&entry.id);
        let list = conns
            .connected
            .into_iter()
            .map(|c| {
                let a = live.iter().find(|a| a.network_id == c.network_id).cloned();
                (c, a)
            })
            .collect();
        (list, conns.primary_disconnected)
    }
}

/// Deletes the host end of a veth (the pair goes with it); gone already is fine.
async fn delete_veth(name: &str) {
    if let Err(e) = link::delete_link(name).await {
        tracing::debug!(veth = name, error = %e, "veth not deleted");
    }
}
