//! What the daemon is started with.

use std::path::PathBuf;

/// Settings of one daemon process, fixed for its lifetime.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The main API socket (`/run/hako/hako.sock`).
    pub socket: PathBuf,
    /// More sockets serving the same API, e.g. `/var/run/docker.sock` so that tools
    /// which only know Docker's default path find us.
    pub extra_sockets: Vec<PathBuf>,
    /// Persistent state (`/var/lib/hako`); `<data_root>/hako.lock` is held while running.
    pub data_root: PathBuf,
    /// Runtime state (`/run/hako`). Keep it short: monitor socket paths under it must fit
    /// the 108 bytes of a Unix socket address.
    pub exec_root: PathBuf,
    /// cgroup parent for containers.
    pub cgroup_parent: String,
    /// The hako executable, re-run as each container's monitor.
    pub exe: PathBuf,
    /// The default bridge's interface (`--bridge`, `hako0`).
    pub bridge: String,
    /// The default bridge's address and prefix (`--bip`, `172.17.0.1/16`).
    pub bip: String,
    /// Group owning the Unix sockets (`--group`, Docker's `-G`); created when absent. Empty
    /// leaves them root's.
    pub socket_group: String,
    /// TCP addresses to serve too (`-H tcp://HOST:PORT`).
    pub tcp: Vec<String>,
    /// TLS for the TCP listeners; `None` is plain TCP (loopback only unless forced).
    pub tls: Option<crate::tls::TlsFiles>,
    /// Serve plain TCP on a non-loopback address (`--insecure-tcp`).
    pub insecure_tcp: bool,
    /// Architectures to register qemu-user handlers for at start (`--emulation`).
    pub emulation: Vec<String>,
    /// `--insecure-registry` entries (`host[:port]` or CIDR).
    pub insecure_registries: Vec<String>,
    /// Decompression bound of every layer (`--max-layer-size`, `--max-layer-ratio`).
    pub layer_limits: hako_engine::image_pull::LayerLimits,
    /// Containers keep running when the daemon stops (`--live-restore`, default on).
    pub live_restore: bool,
    /// `--userns-remap`: `default`, `USER[:GROUP]` or `UID[:GID]`; `None` keeps containers
    /// in the host's user namespace.
    pub userns_remap: Option<String>,
}

impl DaemonOptions {
    /// The default API socket.
    pub const DEFAULT_SOCKET: &'static str = "/run/hako/hako.sock";
    /// The default data root.
    pub const DEFAULT_DATA_ROOT: &'static str = "/var/lib/hako";
    /// The default runtime root.
    pub const DEFAULT_EXEC_ROOT: &'static str = "/run/hako";
    /// The default group of the API sockets.
    pub const DEFAULT_GROUP: &'static str = crate::socket::DEFAULT_GROUP;
    /// The default cgroup parent.
    pub const DEFAULT_CGROUP_PARENT: &'static str = "hako";

    /// Every socket this daemon serves, the main one first.
    pub fn sockets(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.socket).chain(self.extra_sockets.iter())
    }
}

impl Default for DaemonOptions {
    fn default() -> Self {
        Self {
            socket: PathBuf::from(Self::DEFAULT_SOCKET),
            extra_sockets: Vec::new(),
            data_root: PathBuf::from(Self::DEFAULT_DATA_ROOT),
            exec_root: PathBuf::from(Self::DEFAULT_EXEC_ROOT),
            cgroup_parent: Self::DEFAULT_CGROUP_PARENT.to_string(),
            // The running executable is the right monitor for the `hako` binary; main.rs
            // may override it (tests do).
            exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe")),
            bridge: hako_engine::EngineConfig::DEFAULT_BRIDGE.to_string(),
            bip: hako_engine::EngineConfig::DEFAULT_BIP.to_string(),
            socket_group: crate::socket::DEFAULT_GROUP.to_string(),
            tcp: Vec::new(),
            tls: None,
            insecure_tcp: false,
            emulation: Vec::new(),
            insecure_registries: Vec::new(),
            layer_limits: hako_engine::image_pull::LayerLimits::default(),
            live_restore: true,
            userns_remap: None,
        }
    }
}
