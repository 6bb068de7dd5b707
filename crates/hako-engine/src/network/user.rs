//! User-defined bridge networks (`network create|ls|inspect|rm|prune`) and their embedded
//! DNS, plus the three built-in networks `bridge`, `host` and `none` as `ls` and `inspect`
//! show them. Records live in `<data_root>/networks/<id>.json`.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use hako_net::dns;
use hako_net::ipam::Subnet;
use hako_net::link;
use hako_net::mode::NetworkMode;
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{Attachment, Networking};
use crate::container::config::HostConfig;
use crate::container::entry::Entry;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::{ids, state, timefmt};

/// A user-defined network as persisted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NetworkRecord {
    /// 64 hex.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// RFC 3339 creation time.
    pub created: String,
    /// Bridge interface (`br-<12 hex>`).
    pub bridge: String,
    /// Subnet.
    pub subnet: Subnet,
    /// The bridge's address.
    pub gateway: Ipv4Addr,
    /// `--internal`.
    pub internal: bool,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--opt`.
    pub options: BTreeMap<String, String>,
}

/// `network create`.
#[derive(Debug, Clone, Default)]
pub struct NetworkCreate {
    /// Name.
    pub name: String,
    /// `--driver` (only `bridge`).
    pub driver: String,
    /// `--subnet`.
    pub subnet: Option<String>,
    /// `--gateway`.
    pub gateway: Option<String>,
    /// `--internal`.
    pub internal: bool,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--opt`.
    pub options: BTreeMap<String, String>,
}

/// A network as `ls` and `inspect` show it.
#[derive(Debug, Clone)]
pub struct NetworkView {
    /// ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `bridge`, `host`, `null`.
    pub driver: String,
    /// RFC 3339.
    pub created: String,
    /// `local`.
    pub scope: String,
    /// Subnet and gateway, if any.
    pub ipam: Option<(Subnet, Ipv4Addr)>,
    /// `--internal`.
    pub internal: bool,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Options (the default bridge's `com.docker.network.bridge.name`, ...).
    pub options: BTreeMap<String, String>,
    /// Running containers on it: (container ID, name, endpoint).
    pub containers: Vec<(String, String, Attachment)>,
    /// Built-in networks cannot be removed.
    pub builtin: bool,
}

/// The built-in networks' IDs, made once per data root.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct BuiltinIds {
    pub(crate) bridge: String,
    pub(crate) host: String,
    pub(crate) none: String,
}

impl Networking {
    /// `<data_root>/networks`, set by [`Engine::load_networks`].
    fn dir(&self) -> Option<PathBuf> {
        self.lock_dir().clone()
    }

    pub(crate) fn default_network_id(&self) -> String {
        self.builtin().bridge
    }

    pub(crate) fn builtin(&self) -> BuiltinIds {
        self.builtin_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A user network by exact name, ID or ID prefix.
    pub(crate) fn find_network(&self, key: &str) -> Result<NetworkRecord> {
        let inner = self.lock();
        if let Some(n) = inner.networks.values().find(|n| n.name == key) {
            return Ok(n.clone());
        }
        if let Some(n) = inner.networks.get(key) {
            return Ok(n.clone());
        }
        let matches: Vec<&NetworkRecord> = inner
            .networks
            .values()
            .filter(|n| !key.is_empty() && n.id.starts_with(key))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(EngineError::NoSuchNetwork(key.to_string())),
        }
    }

    pub(crate) fn is_user_network(&self, id: &str) -> bool {
        self.lock().networks.contains_key(id)
    }

    /// `--ip` for the container's network.
    pub(crate) fn requested_ip(&self, _mode: &NetworkMode, hc: &HostConfig) -> Option<Ipv4Addr> {
        hc.ipv4_address
    }

    /// Names a container answers to on its network: its name, `--network-alias`es and its
    /// short ID (user networks only; the default bridge has no DNS).
    pub(crate) fn aliases_for(
        &self,
        mode: &NetworkMode,
        hc: &HostConfig,
        name: &str,
        id: &str,
    ) -> Vec<String> {
        if !matches!(mode, NetworkMode::Network(_)) {
            return Vec::new();
        }
        let mut out = vec![name.to_string(), ids::short(id).to_string()];
        out.extend(hc.network_aliases.iter().cloned());
        out
    }

    /// Addresses answering `name` for container `cid`: on every user network it is on.
    pub(crate) fn resolve_for(&self, cid: &str, name: &str) -> Vec<Ipv4Addr> {
        let inner = self.lock();
        let mine: Vec<&String> = inner
            .endpoints
            .get(cid)
            .into_iter()
            .chain(inner.connected.get(cid).into_iter().flatten())
            .map(|a| &a.network_id)
            .filter(|id| inner.networks.contains_key(*id))
            .collect();
        let mut out = Vec::new();
        for network_id in mine {
            let net_name = inner
                .networks
                .get(network_id)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            let bare = name
                .strip_suffix(&format!(".{net_name}"))
                .unwrap_or(name)
                .to_string();
            out.extend(
                inner
                    .endpoints
                    .values()
                    .chain(inner.connected.values().flatten())
                    .filter(|a| a.network_id == *network_id)
                    .filter(|a| a.aliases.iter().any(|x| x.eq_ignore_ascii_case(&bare)))
                    .map(|a| a.ip),
            );
        }
        out.sort();
        out.dedup();
        out
    }
}

fn bad(msg: impl Into<String>) -> EngineError {
    EngineError::InvalidParameter(msg.into())
}

impl Engine {
    /// Reads the network records (at engine open).
    pub(crate) fn load_networks(&self) {
        let dir = self.config.data_root.join("networks");
        if let Err(e) = std::fs::create_dir_all(&dir) {
            warn!(error = %e, "cannot create the networks directory");
        }
        *self.net.lock_dir() = Some(dir.clone());
        let ids_path = dir.join("builtin.json");
        let ids = match state::read_json::<BuiltinIds>(&ids_path) {
            Ok(Some(ids)) => ids,
            _ => {
                let ids = BuiltinIds {
                    bridge: ids::new_id(),
                    host: ids::new_id(),
                    none: ids::new_id(),
                };
                let _ = state::write_json(&ids_path, &ids, true);
                ids
            }
        };
        *self
            .net
            .builtin_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = ids;
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut inner = self.net.lock();
        for e in rd.flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == "builtin.json") {
                continue;
            }
            if let Ok(Some(rec)) = state::read_json::<NetworkRecord>(&p) {
                inner.networks.insert(rec.id.clone(), rec);
            }
        }
    }

    /// `POST /networks/create`.
    pub async fn network_create(&self, req: NetworkCreate) -> Result<String> {
        if req.name.is_empty() || !crate::names::is_valid(&req.name) {
            return Err(bad(format!("invalid network name: {:?}", req.name)));
        }
        if !matches!(req.driver.as_str(), "" | "bridge") {
            return Err(EngineError::NotImplemented(format!(
                "network driver {:?}",
                req.driver
            )));
        }
        if matches!(req.name.as_str(), "bridge" | "host" | "none" | "default") {
            return Err(EngineError::Forbidden(format!(
                "{} is a pre-defined network and cannot be created",
                req.name
            )));
        }
        if self
            .net
            .find_network(&req.name)
            .is_ok_and(|n| n.name == req.name)
        {
            return Err(EngineError::Conflict(format!(
                "network with name {} already exists",
                req.name
            )));
        }
        let (subnet, gateway) = match (&req.subnet, &req.gateway) {
            (Some(s), gw) => {
                let subnet: Subnet = s.parse().map_err(|e| bad(format!("{e}")))?;
                let gateway = match gw {
                    Some(g) => g
                        .parse::<Ipv4Addr>()
                        .map_err(|_| bad(format!("invalid gateway address {g}")))?,
                    None => subnet.first_host(),
                };
                if !subnet.contains(gateway) {
                    return Err(bad(format!("no matching subnet for gateway {gateway}")));
                }
                (subnet, gateway)
            }
            (None, Some(_)) => {
                return Err(bad("gateway requires a subnet (--subnet)"));
            }
            (None, None) => self.pick_subnet()?,
        };
        {
            let inner = self.net.lock();
            let clash = std::iter::once(self.net.default.subnet)
                .chain(inner.networks.values().map(|n| n.subnet))
                .any(|s| s.overlaps(&subnet));
            if clash {
                return Err(EngineError::Forbidden(format!(
                    "Pool overlaps with other one on this address space: {subnet}"
                )));
            }
        }
        let id = ids::new_id();
        let rec = NetworkRecord {
            id: id.clone(),
            name: req.name.clone(),
            created: timefmt::rfc3339_nano(timefmt::now_nanos()),
            bridge: format!("br-{}", &id[..12]),
            subnet,
            gateway,
            internal: req.internal,
            labels: req.labels,
            options: req.options,
        };
        let dir = self
            .net
            .dir()
            .ok_or_else(|| EngineError::Network("networks not loaded".into()))?;
        state::write_json(&dir.join(format!("{id}.json")), &rec, true)?;
        self.net.lock().networks.insert(id.clone(), rec.clone());
        let spec = link::BridgeSpec {
            name: rec.bridge.clone(),
            subnet,
            gateway,
        };
        if let Err(e) = self.ensure_bridge(&spec).await {
            self.net.lock().networks.remove(&id);
            let _ = std::fs::remove_file(dir.join(format!("{id}.json")));
            let _ = link::delete_link(&rec.bridge).await;
            return Err(e);
        }
        let mut attrs = BTreeMap::new();
        attrs.insert("name".to_string(), rec.name.clone());
        attrs.insert("type".to_string(), "bridge".to_string());
        self.events.emit("network", "create", &id, attrs);
        Ok(id)
    }

    /// A free `/16` from Docker's default pools (172.18-31, then 192.168.x.0/20).
    fn pick_subnet(&self) -> Result<(Subnet, Ipv4Addr)> {
        let inner = self.net.lock();
        let taken: Vec<Subnet> = std::iter::once(self.net.default.subnet)
            .chain(inner.networks.values().map(|n| n.subnet))
            .collect();
        let candidates = (18..=31u8)
            .map(|b| Subnet {
                addr: Ipv4Addr::new(172, b, 0, 0),
                prefix: 16,
            })
            .chain((0..16u8).map(|i| Subnet {
                addr: Ipv4Addr::new(192, 168, i * 16, 0),
                prefix: 20,
            }));
        for c in candidates {
            if !taken.iter().any(|t| t.overlaps(&c)) && !host_route_overlaps(&c) {
                return Ok((c, c.first_host()));
            }
        }
        Err(bad(
            "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
        ))
    }

    /// Every network, built-in first.
    pub async fn network_list(&self) -> Vec<NetworkView> {
        let ids = self.net.builtin();
        let endpoints = self.net.endpoints();
        let mut names = HashMap::new();
        for entry in self.containers.all() {
            names.insert(
                entry.id.clone(),
                entry.inner.lock().await.record.name.clone(),
            );
        }
        let on = |net_id: &str| -> Vec<(String, String, Attachment)> {
            endpoints
                .iter()
                .filter(|(_, a)| a.network_id == net_id)
                .map(|(cid, a)| {
                    (
                        cid.clone(),
                        names.get(cid).cloned().unwrap_or_default(),
                        a.clone(),
                    )
                })
                .collect()
        };
        let mut bridge_opts = BTreeMap::new();
        bridge_opts.insert(
            "com.docker.network.bridge.name".to_string(),
            self.net.default.name.clone(),
        );
        bridge_opts.insert(
            "com.docker.network.bridge.default_bridge".to_string(),
            "true".to_string(),
        );
        let mut out = vec![
            NetworkView {
                id: ids.bridge.clone(),
                name: "bridge".into(),
                driver: "bridge".into(),
                created: String::new(),
                scope: "local".into(),
                ipam: Some((self.net.default.subnet, self.net.default.gateway)),
                internal: false,
                labels: BTreeMap::new(),
                options: bridge_opts,
                containers: on(&ids.bridge),
                builtin: true,
            },
            NetworkView {
                id: ids.host.clone(),
                name: "host".into(),
                driver: "host".into(),
                created: String::new(),
                scope: "local".into(),
                ipam: None,
                internal: false,
                labels: BTreeMap::new(),
                options: BTreeMap::new(),
                containers: Vec::new(),
                builtin: true,
            },
            NetworkView {
                id: ids.none.clone(),
                name: "none".into(),
                driver: "null".into(),
                created: String::new(),
                scope: "local".into(),
                ipam: None,
                internal: false,
                labels: BTreeMap::new(),
                options: BTreeMap::new(),
                containers: Vec::new(),
                builtin: true,
            },
        ];
        let mut user: Vec<NetworkRecord> = self.net.lock().networks.values().cloned().collect();
        user.sort_by(|a, b| a.created.cmp(&b.created));
        for n in user {
            out.push(NetworkView {
                containers: on(&n.id),
                id: n.id,
                name: n.name,
                driver: "bridge".into(),
                created: n.created,
                scope: "local".into(),
                ipam: Some((n.subnet, n.gateway)),
                internal: n.internal,
                labels: n.labels,
                options: n.options,
                builtin: false,
            });
        }
        out
    }

    /// One network by name, ID or ID prefix.
    pub async fn network_inspect(&self, key: &str) -> Result<NetworkView> {
        let all = self.network_list().await;
        if let Some(n) = all.iter().find(|n| n.name == key || n.id == key) {
            return Ok(n.clone());
        }
        let matches: Vec<&NetworkView> = all
            .iter()
            .filter(|n| !key.is_empty() && n.id.starts_with(key))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(EngineError::NoSuchNetwork(key.to_string())),
        }
    }

    /// `DELETE /networks/{id}`.
    pub async fn network_remove(&self, key: &str) -> Result<()> {
        let view = self.network_inspect(key).await?;
        if view.builtin {
            return Err(EngineError::Forbidden(format!(
                "{} is a pre-defined network and cannot be removed",
                view.name
            )));
        }
        let in_use = {
            let mut users = Vec::new();
            for entry in self.containers.all() {
                let inner = entry.inner.lock().await;
                if self.container_uses_network(&entry, &inner.record, &view.id, &view.name) {
                    users.push(inner.record.name.clone());
                }
            }
            users
        };
        if !view.containers.is_empty() || !in_use.is_empty() {
            return Err(EngineError::Conflict(format!(
                "error while removing network: network {} id {} has active endpoints",
                view.name, view.id
            )));
        }
        let rec = self.net.lock().networks.remove(&view.id);
        let Some(rec) = rec else {
            return Err(EngineError::NoSuchNetwork(key.to_string()));
        };
        if let Some(dir) = self.net.dir() {
            let _ = std::fs::remove_file(dir.join(format!("{}.json", rec.id)));
        }
        self.net.lock().bridges_ready.remove(&rec.bridge);
        if let Err(e) = link::delete_link(&rec.bridge).await {
            warn!(network = %rec.name, error = %e, "cannot delete the bridge");
        }
        self.sync_rules().await?;
        let mut attrs = BTreeMap::new();
        attrs.insert("name".to_string(), rec.name.clone());
        attrs.insert("type".to_string(), "bridge".to_string());
        self.events.emit("network", "destroy", &rec.id, attrs);
        Ok(())
    }

    /// `POST /networks/prune`: removes user networks no container uses, created before
    /// `until` (Unix nanoseconds) and matching the `label` / `label!` filters.
    pub async fn network_prune(
        &self,
        filters: &crate::filters::Filters,
        until: Option<i128>,
    ) -> Result<Vec<String>> {
        filters.validate(&["until", "label", "label!"])?;
        let mut removed = Vec::new();
        for n in self.network_list().await {
            let created = timefmt::parse_rfc3339(&n.created).unwrap_or(0);
            let excluded = filters
                .get("label!")
                .iter()
                .any(|f| match f.split_once('=') {
                    Some((k, v)) => n.labels.get(k).is_some_and(|have| have == v),
                    None => n.labels.contains_key(f.as_str()),
                });
            if n.builtin
                || until.is_some_and(|u| created >= u)
                || !filters.matches_labels("label", &n.labels)
                || excluded
            {
                continue;
            }
            if self.network_remove(&n.id).await.is_ok() {
                removed.push(n.name);
            }
        }
        Ok(removed)
    }

    /// Opens the resolver inside a container's namespace; it answers for the user
    /// networks the container is on at the time of each query.
    pub(crate) async fn start_dns(&self, entry: &Entry, netns: &Path) -> std::io::Result<()> {
        let socket = dns::open_in(netns).await?;
        self.serve_dns(&entry.id, socket)
    }

    fn serve_dns(&self, container_id: &str, socket: std::net::UdpSocket) -> std::io::Result<()> {
        let me = self.me.clone();
        let cid = container_id.to_string();
        let lookup: dns::Lookup = std::sync::Arc::new(move |name: &str| {
            me.upgrade()
                .map(|e| e.net.resolve_for(&cid, name))
                .unwrap_or_default()
        });
        let task = dns::serve(socket, lookup, upstream())?;
        self.net
            .lock()
            .dns
            .insert(container_id.to_string(), super::AbortOnDrop(task));
        Ok(())
    }

    /// At daemon start: resolvers of running containers on user networks.
    pub(crate) async fn restore_dns(&self) {
        let mut done = std::collections::HashSet::new();
        for (cid, a) in self.net.endpoints() {
            if !self.net.is_user_network(&a.network_id) || !done.insert(cid.clone()) {
                continue;
            }
            let Ok(entry) = self.containers.get(&cid) else {
                continue;
            };
            let pid = entry.inner.lock().await.state.pid;
            if pid <= 0 {
                continue;
            }
            let netns = PathBuf::from(format!("/proc/{pid}/ns/net"));
            // The old daemon's socket died with it; the address is free again.
            match dns::open_in(&netns).await {
                Ok(s) => {
                    if let Err(e) = self.serve_dns(&cid, s) {
                        warn!(container.id = %cid, error = %e, "cannot restore the resolver");
                    }
                }
                Err(e) => warn!(container.id = %cid, error = %e, "cannot restore the resolver"),
            }
        }
    }
}

/// The host's resolvers, which the embedded resolver forwards to.
fn upstream() -> Vec<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    dns::upstream_servers(&text)
}

/// `resolv.conf` of a container on a user network: the embedded resolver, the host's
/// search domains and options.
pub(crate) fn user_resolv_conf(hc: &HostConfig) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let mut out = String::new();
    let search: Vec<String> = if hc.dns_search.is_empty() {
        host.lines()
            .filter_map(|l| l.strip_prefix("search "))
            .flat_map(|s| s.split_whitespace().map(str::to_string))
            .collect()
    } else {
        hc.dns_search.clone()
    };
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    out.push_str("nameserver 127.0.0.11\n");
    let mut options = vec!["ndots:0".to_string()];
    options.extend(hc.dns_options.iter().cloned());
    out.push_str(&format!("options {}\n", options.join(" ")));
    out
}

/// The host has a route into `subnet` already (a LAN, a VPN, another engine's bridge).
fn host_route_overlaps(subnet: &Subnet) -> bool {
    let Ok(text) = std::fs::read_to_string("/proc/net/route") else {
        return false;
    };
    text.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 8 {
            return false;
        }
        let (Ok(dest), Ok(mask)) = (u32::from_str_radix(f[1], 16), u32::from_str_radix(f[7], 16))
        else {
            return false;
        };
        if mask == 0 {
            return false;
        }
        let dest = Ipv4Addr::from(u32::from_be(dest));
        let prefix = u8::try_from(u32::from_be(mask).leading_ones()).unwrap_or(32);
        Subnet { addr: dest, prefix }.overlaps(subnet)
    })
}
