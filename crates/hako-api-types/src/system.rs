//! `GET /info`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// moby `system.Info`. Rarely used nested objects (`RegistryConfig`, `Swarm`, `Runtimes`,
/// `Plugins`...) stay as JSON values: clients print a few of their fields and the daemon
/// fills them from literals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemInfo {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(default)]
    pub containers: i64,
    #[serde(default)]
    pub containers_running: i64,
    #[serde(default)]
    pub containers_paused: i64,
    #[serde(default)]
    pub containers_stopped: i64,
    #[serde(default)]
    pub images: i64,
    #[serde(default)]
    pub driver: String,
    /// `[["Backing Filesystem", "extfs"], ...]`.
    #[serde(default)]
    pub driver_status: Option<Vec<[String; 2]>>,
    #[serde(default)]
    pub docker_root_dir: String,
    #[serde(default)]
    pub plugins: Option<PluginsInfo>,
    #[serde(default)]
    pub memory_limit: bool,
    #[serde(default)]
    pub swap_limit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_memory: Option<bool>,
    #[serde(
        rename = "KernelMemoryTCP",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kernel_memory_tcp: Option<bool>,
    #[serde(default)]
    pub cpu_cfs_period: bool,
    #[serde(default)]
    pub cpu_cfs_quota: bool,
    #[serde(rename = "CPUShares", default)]
    pub cpu_shares: bool,
    #[serde(rename = "CPUSet", default)]
    pub cpu_set: bool,
    #[serde(default)]
    pub pids_limit: bool,
    #[serde(default)]
    pub oom_kill_disable: bool,
    #[serde(rename = "IPv4Forwarding", default)]
    pub ipv4_forwarding: bool,
    #[serde(default)]
    pub bridge_nf_iptables: bool,
    #[serde(default)]
    pub bridge_nf_ip6tables: bool,
    #[serde(default)]
    pub debug: bool,
    /// Open file descriptors of the daemon.
    #[serde(rename = "NFd", default)]
    pub n_fd: i64,
    #[serde(default)]
    pub n_goroutines: i64,
    /// RFC 3339 with nanoseconds.
    #[serde(default)]
    pub system_time: String,
    #[serde(default)]
    pub logging_driver: String,
    /// `cgroupfs`, `systemd`, `none`.
    #[serde(default)]
    pub cgroup_driver: String,
    /// `1` or `2`.
    #[serde(default)]
    pub cgroup_version: String,
    #[serde(default)]
    pub n_events_listener: i64,
    #[serde(default)]
    pub kernel_version: String,
    #[serde(default)]
    pub operating_system: String,
    #[serde(rename = "OSVersion", default)]
    pub os_version: String,
    #[serde(rename = "OSType", default)]
    pub os_type: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub index_server_address: String,
    #[serde(default)]
    pub registry_config: Option<serde_json::Value>,
    #[serde(rename = "NCPU", default)]
    pub ncpu: i64,
    #[serde(default)]
    pub mem_total: i64,
    #[serde(default)]
    pub generic_resources: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub http_proxy: String,
    #[serde(default)]
    pub https_proxy: String,
    #[serde(default)]
    pub no_proxy: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default)]
    pub experimental_build: bool,
    #[serde(default)]
    pub server_version: String,
    /// Runtime name → `{"path": ...}`.
    #[serde(default)]
    pub runtimes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub default_runtime: String,
    /// hako: the platforms containers can have on this host, native or emulated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub swarm: Option<serde_json::Value>,
    #[serde(default)]
    pub live_restore_enabled: bool,
    #[serde(default)]
    pub isolation: String,
    #[serde(default)]
    pub init_binary: String,
    #[serde(default)]
    pub containerd_commit: Option<CommitInfo>,
    #[serde(default)]
    pub runc_commit: Option<CommitInfo>,
    #[serde(default)]
    pub init_commit: Option<CommitInfo>,
    #[serde(default)]
    pub security_options: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_address_pools: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    #[serde(
        rename = "CDISpecDirs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cdi_spec_dirs: Option<Vec<String>>,
}

/// `Plugins` of `/info`: names of available plugins by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PluginsInfo {
    #[serde(default)]
    pub volume: Option<Vec<String>>,
    #[serde(default)]
    pub network: Option<Vec<String>>,
    #[serde(default)]
    pub authorization: Option<Vec<String>>,
    #[serde(default)]
    pub log: Option<Vec<String>>,
}

/// `{"ID": "...", "Expected": "..."}` of a bundled component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommitInfo {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// `GET /system/df` (moby `system.DiskUsage`). Parts not asked for with `type=` are null.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskUsage {
    #[serde(default)]
    pub layers_size: i64,
    #[serde(default)]
    pub images: Option<Vec<crate::image::ImageSummary>>,
    #[serde(default)]
    pub containers: Option<Vec<crate::container::ContainerSummary>>,
    #[serde(default)]
    pub volumes: Option<Vec<crate::volume::Volume>>,
    /// hako has no build cache yet: always empty.
    #[serde(default)]
    pub build_cache: Option<Vec<serde_json::Value>>,
}

/// `GET /system/df?type=image&type=container...` (`type` repeats; none means all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskUsageQuery {
    pub types: Vec<String>,
}

impl DiskUsageQuery {
    /// Unknown keys are ignored, as everywhere in the API.
    pub fn from_query_string(q: &str) -> Self {
        let types = form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| k == "type")
            .map(|(_, v)| v.into_owned())
            .collect();
        DiskUsageQuery { types }
    }
}
