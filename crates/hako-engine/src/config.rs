//! How the engine is set up: where it keeps things.

use std::path::PathBuf;

/// Paths and knobs fixed for the engine's lifetime.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Persistent state: images, containers, volumes (`/var/lib/hako`).
    pub data_root: PathBuf,
    /// Runtime state: monitor sockets and runtime dirs (`/run/hako`). Must be short: a
    /// monitor socket path is `<exec_root>/c/<64 hex>/sock` and has to fit 108 bytes.
    pub exec_root: PathBuf,
    /// The hako executable, re-run as `hako monitor <dir>` for each process.
    pub exe: PathBuf,
    /// cgroup parent for containers (`hako`).
    pub cgroup_parent: String,
    /// The default bridge's interface (`hako0`).
    pub bridge: String,
    /// The default bridge's address and prefix (`172.17.0.1/16`).
    pub bip: String,
    /// `--insecure-registry`: `host[:port]` or CIDR entries reached over plain HTTP when
    /// HTTPS fails (loopback always is).
    pub insecure_registries: Vec<String>,
    /// How far one layer may expand when unpacked (`--max-layer-size`, `--max-layer-ratio`).
    pub layer_limits: hako_image::unpack::LayerLimits,
    /// Containers keep running when the daemon stops (`--live-restore`, on by default);
    /// off, the daemon stops them first, as Docker's default does.
    pub live_restore: bool,
    /// `--userns-remap`: containers run in a user namespace with these maps unless they
    /// ask for the host's (`--userns=host`).
    pub userns_remap: Option<crate::container::userns::Remap>,
}

impl EngineConfig {
    /// The default bridge's interface.
    pub const DEFAULT_BRIDGE: &'static str = "hako0";
    /// The default bridge's address and prefix, as Docker's `docker0`.
    pub const DEFAULT_BIP: &'static str = "172.17.0.1/16";

    /// The longest exec root that keeps socket paths inside 108 bytes.
    pub const MAX_EXEC_ROOT_LEN: usize = 107 - "/c/".len() - 64 - "/sock".len();
}

impl EngineConfig {
    /// `<data_root>/containers`.
    pub fn containers_dir(&self) -> PathBuf {
        self.data_root.join("containers")
    }

    /// `<data_root>/image`.
    pub fn image_dir(&self) -> PathBuf {
        self.data_root.join("image")
    }

    /// `<exec_root>/c/<id>`: a container's runtime directory.
    pub fn container_run_dir(&self, id: &str) -> PathBuf {
        self.exec_root.join("c").join(id)
    }
}
