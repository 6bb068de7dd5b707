//! What a user asks for when creating a container, after validation: the engine's view of
//! Docker's `Config` and `HostConfig`. Only fields whose semantics hako implements (or
//! refuses explicitly) live here; the daemon converts the wire types with `TryFrom`.

use std::collections::BTreeMap;

use hako_net::mode::NetworkMode;
use serde::{Deserialize, Serialize};

/// The container's own configuration (Docker's `Config`), as stored and as inspect shows it
/// after the image defaults have been merged in.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ContainerConfig {
    /// `--hostname`; empty means the short ID.
    pub hostname: String,
    /// `--domainname`.
    pub domainname: String,
    /// `-u`: `name`, `uid`, `name:group`, `uid:gid`; empty means the image's user or root.
    pub user: String,
    /// Attach flags recorded by the client (informational; `docker run` sets them).
    pub attach_stdin: bool,
    /// See `attach_stdin`.
    pub attach_stdout: bool,
    /// See `attach_stdin`.
    pub attach_stderr: bool,
    /// `EXPOSE`d ports, `80/tcp` style.
    pub exposed_ports: Vec<String>,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub open_stdin: bool,
    /// Close stdin after the first attached client detaches (`docker run -i` sets it).
    pub stdin_once: bool,
    /// `KEY=value` list; image env first, then the user's, later keys winning.
    pub env: Vec<String>,
    /// Command; `None` means "take the image's".
    pub cmd: Option<Vec<String>>,
    /// Entrypoint; `None` means "take the image's", `Some([])` means "none".
    pub entrypoint: Option<Vec<String>>,
    /// The image as the user named it.
    pub image: String,
    /// Anonymous volume paths (`VOLUME`).
    pub volumes: Vec<String>,
    /// `-w`.
    pub working_dir: String,
    /// Labels; image labels first, the user's winning.
    pub labels: BTreeMap<String, String>,
    /// `--stop-signal`, e.g. `SIGTERM` or `15`.
    pub stop_signal: Option<String>,
    /// `--stop-timeout` in seconds.
    pub stop_timeout: Option<i64>,
    /// `Healthcheck` (`--health-*`), with the image's merged in.
    pub healthcheck: Option<HealthCheck>,
}

/// Docker's `Healthcheck`. Durations in nanoseconds; 0 means the default (or the image's).
/// `test`: `[]` inherit, `["NONE"]` disabled, `["CMD", args...]`, `["CMD-SHELL", command]`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct HealthCheck {
    /// The probe.
    pub test: Vec<String>,
    /// Time between probes.
    pub interval: i64,
    /// A probe running longer fails.
    pub timeout: i64,
    /// Failures in this time after start do not count.
    pub start_period: i64,
    /// Consecutive failures that make the container unhealthy.
    pub retries: i64,
}

/// Host-side settings (Docker's `HostConfig`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct HostConfig {
    /// `--rm`.
    pub auto_remove: bool,
    /// `--privileged`.
    pub privileged: bool,
    /// `--userns`: `host` keeps the host's user namespace under `--userns-remap`; empty
    /// follows the daemon.
    pub userns_mode: String,
    /// `--network`.
    pub network_mode: NetworkMode,
    /// `--log-driver` / `--log-opt`.
    pub log_config: LogConfig,
    /// `--restart`.
    pub restart_policy: RestartPolicy,
    /// `--cap-add`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--read-only`.
    pub readonly_rootfs: bool,
    /// `--shm-size` in bytes; 0 means the default 64 MiB.
    pub shm_size: i64,
    /// `--init`.
    pub init: Option<bool>,
    /// `--group-add`.
    pub group_add: Vec<String>,
    /// `--dns`.
    pub dns: Vec<String>,
    /// `--dns-search`.
    pub dns_search: Vec<String>,
    /// `--dns-option`.
    pub dns_options: Vec<String>,
    /// `--add-host` entries, `host:ip`.
    pub extra_hosts: Vec<String>,
    /// `-p`: `80/tcp` → host bindings.
    pub port_bindings: std::collections::BTreeMap<String, Vec<hako_net::ports::HostBinding>>,
    /// `-P`.
    pub publish_all_ports: bool,
    /// `--ip` on the container's network.
    pub ipv4_address: Option<std::net::Ipv4Addr>,
    /// `--network-alias`.
    pub network_aliases: Vec<String>,
    /// `--security-opt`.
    pub security_opt: Vec<String>,
    /// `--ulimit`.
    pub ulimits: Vec<Ulimit>,
    /// cgroup limits.
    pub resources: Resources,
    /// Initial terminal size (height, width).
    pub console_size: Option<(u16, u16)>,
    /// `-v` strings as given (`HostConfig.Binds`).
    pub binds: Vec<String>,
    /// `--mount` (`HostConfig.Mounts`).
    pub mounts: Vec<super::mounts::MountSpec>,
    /// `--tmpfs` path → options.
    pub tmpfs: BTreeMap<String, String>,
    /// `--volumes-from` `container[:ro|rw]`.
    pub volumes_from: Vec<String>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            auto_remove: false,
            privileged: false,
            userns_mode: String::new(),
            network_mode: NetworkMode::Bridge,
            log_config: LogConfig::default(),
            restart_policy: RestartPolicy::default(),
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            readonly_rootfs: false,
            shm_size: 0,
            init: None,
            group_add: Vec::new(),
            dns: Vec::new(),
            dns_search: Vec::new(),
            dns_options: Vec::new(),
            extra_hosts: Vec::new(),
            port_bindings: std::collections::BTreeMap::new(),
            publish_all_ports: false,
            ipv4_address: None,
            network_aliases: Vec::new(),
            security_opt: Vec::new(),
            ulimits: Vec::new(),
            resources: Resources::default(),
            console_size: None,
            binds: Vec::new(),
            mounts: Vec::new(),
            tmpfs: BTreeMap::new(),
            volumes_from: Vec::new(),
        }
    }
}

/// Logging driver and its options.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct LogConfig {
    /// Driver name: `json-file` (default) or `none`.
    pub driver: String,
    /// Driver options: `max-size`, `max-file`.
    pub options: BTreeMap<String, String>,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            driver: "json-file".to_string(),
            options: BTreeMap::new(),
        }
    }
}

/// `--restart`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct RestartPolicy {
    /// `no`, `always`, `unless-stopped`, `on-failure`; empty means `no`.
    pub name: String,
    /// Retries for `on-failure`.
    pub maximum_retry_count: i64,
}

/// One `--ulimit`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ulimit {
    /// `nofile`, `nproc`, ...
    pub name: String,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit.
    pub hard: i64,
}

/// cgroup limits as Docker's `HostConfig` carries them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(default)]
pub struct Resources {
    /// `--memory` in bytes.
    pub memory: i64,
    /// `--memory-swap` in bytes (-1 unlimited).
    pub memory_swap: i64,
    /// `--memory-reservation` in bytes.
    pub memory_reservation: i64,
    /// `--cpus` × 1e9.
    pub nano_cpus: i64,
    /// `--cpu-shares`.
    pub cpu_shares: i64,
    /// `--cpu-period`.
    pub cpu_period: i64,
    /// `--cpu-quota`.
    pub cpu_quota: i64,
    /// `--cpuset-cpus`.
    pub cpuset_cpus: String,
    /// `--cpuset-mems`.
    pub cpuset_mems: String,
    /// `--pids-limit` (0 or -1 unlimited).
    pub pids_limit: Option<i64>,
    /// `--blkio-weight`.
    pub blkio_weight: u16,
    /// `--oom-kill-disable`.
    pub oom_kill_disable: Option<bool>,
}

/// A create request as the engine receives it.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// `--name`, without a leading slash; `None` picks a random name.
    pub name: Option<String>,
    /// `--platform`, `os/arch[/variant]`.
    pub platform: Option<String>,
    /// The container's configuration as given.
    pub config: ContainerConfig,
    /// Host-side settings.
    pub host_config: HostConfig,
}

/// The answer to a create request.
#[derive(Debug, Clone, Default)]
pub struct CreateResponse {
    /// Full ID.
    pub id: String,
    /// Non-fatal remarks for the user.
    pub warnings: Vec<String>,
}
