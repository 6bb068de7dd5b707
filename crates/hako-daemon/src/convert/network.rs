//! Engine → wire for networking: `NetworkSettings`, `Ports` in `ps`, `HostConfig.PortBindings`,
//! and the `/networks` objects.

use std::collections::BTreeMap;

use hako_api_types::container::{EndpointSettings, NetworkSettings, Port, PortBinding, PortMap};
use hako_engine::container::config::HostConfig;
use hako_engine::container::view::ContainerView;
use hako_engine::network::Attachment;
use hako_engine::network::user::NetworkView;
use hako_net::mode::NetworkMode;
use serde_json::{Value, json};

fn network_name(mode: &NetworkMode) -> Option<String> {
    match mode {
        NetworkMode::Bridge => Some("bridge".into()),
        NetworkMode::Host => Some("host".into()),
        NetworkMode::None => Some("none".into()),
        NetworkMode::Network(n) => Some(n.clone()),
        NetworkMode::Container(_) => None,
    }
}

fn endpoint(a: Option<&Attachment>, aliases: Option<Vec<String>>) -> EndpointSettings {
    let Some(a) = a else {
        return EndpointSettings {
            aliases,
            dns_names: Some(None),
            ..EndpointSettings::default()
        };
    };
    EndpointSettings {
        aliases,
        mac_address: a.mac.clone(),
        network_id: a.network_id.clone(),
        endpoint_id: a.endpoint_id.clone(),
        gateway: a.gateway.map(|g| g.to_string()).unwrap_or_default(),
        ip_address: a.ip.to_string(),
        ip_prefix_len: i64::from(a.prefix),
        dns_names: Some((!a.aliases.is_empty()).then(|| a.aliases.clone())),
        ..EndpointSettings::default()
    }
}

/// `NetworkSettings.Networks` (and `ps`'s): the network of `NetworkMode` (unless
/// disconnected from it) and those joined with `network connect`.
pub fn endpoints(v: &ContainerView) -> BTreeMap<String, EndpointSettings> {
    let mut out = BTreeMap::new();
    if let Some(name) = network_name(&v.host_config.network_mode)
        && !v.primary_disconnected
    {
        let aliases = (!v.host_config.network_aliases.is_empty())
            .then(|| v.host_config.network_aliases.clone());
        out.insert(name, endpoint(v.network.as_ref(), aliases));
    }
    for (c, a) in &v.connected {
        let aliases = (!c.aliases.is_empty()).then(|| c.aliases.clone());
        let mut e = endpoint(a.as_ref(), aliases);
        e.network_id.clone_from(&c.network_id);
        if let Some(ip) = c.ip {
            e.ipam_config = Some(hako_api_types::container::EndpointIpamConfig {
                ipv4_address: ip.to_string(),
                ..Default::default()
            });
        }
        out.insert(c.network.clone(), e);
    }
    out
}

/// `NetworkSettings.Ports`: every exposed or published port; published ones with their
/// host side (only while running, as Docker).
pub fn ports(v: &ContainerView) -> PortMap {
    let mut map: PortMap = BTreeMap::new();
    for p in &v.config.exposed_ports {
        let key = if p.contains('/') {
            p.clone()
        } else {
            format!("{p}/tcp")
        };
        map.insert(key, None);
    }
    if let Some(a) = &v.network {
        for p in &a.ports {
            let key = format!("{}/{}", p.container_port, p.proto.as_str());
            map.entry(key)
                .or_insert(None)
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: p.host_ip.to_string(),
                    host_port: p.host_port.to_string(),
                });
        }
    }
    map
}

/// `GET /containers/{id}/json` → `NetworkSettings`.
pub fn network_settings(v: &ContainerView) -> NetworkSettings {
    let running = v.state.status.is_running();
    let a = v.network.as_ref();
    let legacy = a.filter(|a| a.network == "bridge");
    NetworkSettings {
        bridge: String::new(),
        sandbox_id: if running { v.id.clone() } else { String::new() },
        sandbox_key: if running && v.state.pid > 0 {
            format!("/proc/{}/ns/net", v.state.pid)
        } else {
            String::new()
        },
        ports: Some(if running { ports(v) } else { BTreeMap::new() }),
        endpoint_id: legacy.map(|a| a.endpoint_id.clone()).unwrap_or_default(),
        gateway: legacy
            .and_then(|a| a.gateway)
            .map(|g| g.to_string())
            .unwrap_or_default(),
        ip_address: legacy.map(|a| a.ip.to_string()).unwrap_or_default(),
        ip_prefix_len: legacy.map(|a| i64::from(a.prefix)).unwrap_or_default(),
        mac_address: legacy.map(|a| a.mac.clone()).unwrap_or_default(),
        networks: Some(endpoints(v)),
        ..NetworkSettings::default()
    }
}

/// `ps`'s `Ports`: published ports with their host side, other exposed ports bare.
pub fn summary_ports(v: &ContainerView) -> Vec<Port> {
    let mut out = Vec::new();
    for (key, bindings) in ports(v) {
        let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let private_port = port.parse().unwrap_or(0);
        match bindings {
            Some(list) => {
                for b in list {
                    out.push(Port {
                        ip: Some(b.host_ip.clone()),
                        private_port,
                        public_port: b.host_port.parse().ok(),
                        r#type: proto.to_string(),
                    });
                }
            }
            None => out.push(Port {
                ip: None,
                private_port,
                public_port: None,
                r#type: proto.to_string(),
            }),
        }
    }
    out
}

/// `HostConfig.PortBindings` as given.
pub fn port_bindings_out(h: &HostConfig) -> PortMap {
    h.port_bindings
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Some(
                    v.iter()
                        .map(|b| PortBinding {
                            host_ip: b.host_ip.clone(),
                            host_port: b.host_port.clone(),
                        })
                        .collect(),
                ),
            )
        })
        .collect()
}

/// A network as `GET /networks` and `GET /networks/{id}` show it.
pub fn network_out(n: &NetworkView) -> Value {
    let config: Vec<Value> = n
        .ipam
        .iter()
        .map(|(subnet, gw)| json!({"Subnet": subnet.to_string(), "Gateway": gw.to_string()}))
        .collect();
    let containers: BTreeMap<String, Value> = n
        .containers
        .iter()
        .map(|(id, name, a)| {
            (
                id.clone(),
                json!({
                    "Name": name,
                    "EndpointID": a.endpoint_id,
                    "MacAddress": a.mac,
                    "IPv4Address": format!("{}/{}", a.ip, a.prefix),
                    "IPv6Address": "",
                }),
            )
        })
        .collect();
    json!({
        "Name": n.name,
        "Id": n.id,
        "Created": if n.created.is_empty() { "0001-01-01T00:00:00Z".to_string() } else { n.created.clone() },
        "Scope": n.scope,
        "Driver": n.driver,
        "EnableIPv4": true,
        "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": null, "Config": config},
        "Internal": n.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": containers,
        "Options": n.options,
        "Labels": n.labels,
    })
}
