//! Read-only snapshots of a container for `ps` and `inspect`.

use std::path::PathBuf;

use super::config::{ContainerConfig, HostConfig};
use super::status::State;

/// Everything the API shows about a container, copied out under the lock.
#[derive(Debug, Clone)]
pub struct ContainerView {
    /// Full ID.
    pub id: String,
    /// Name without the leading slash.
    pub name: String,
    /// RFC 3339 creation time.
    pub created: String,
    /// Program and arguments actually run (entrypoint + cmd after merging).
    pub path: String,
    /// See `path`.
    pub args: Vec<String>,
    /// Image ID (`sha256:...`).
    pub image_id: String,
    /// Image as the user named it.
    pub image_name: String,
    /// Platform the container runs as, `linux/amd64`.
    pub platform: String,
    /// Merged configuration.
    pub config: ContainerConfig,
    /// Host configuration.
    pub host_config: HostConfig,
    /// Volumes, binds and tmpfs mounts (inspect's `Mounts`).
    pub mount_points: Vec<super::mounts::MountPoint>,
    /// Current state.
    pub state: State,
    /// IDs of exec instances.
    pub exec_ids: Vec<String>,
    /// `/etc/resolv.conf` given to the container.
    pub resolv_conf_path: PathBuf,
    /// `/etc/hostname` given to the container.
    pub hostname_path: PathBuf,
    /// `/etc/hosts` given to the container.
    pub hosts_path: PathBuf,
    /// The json-file log.
    pub log_path: PathBuf,
    /// Overlay directories for `GraphDriver.Data`.
    pub graph: GraphDriver,
    /// Size of the writable layer in bytes, when asked for.
    pub size_rw: Option<i64>,
    /// Size of the whole root filesystem in bytes, when asked for.
    pub size_root_fs: Option<i64>,
    /// The network endpoint of a running container on a bridge network.
    pub network: Option<crate::network::Attachment>,
    /// Networks joined with `network connect`, with their endpoints while running.
    pub connected: Vec<(
        crate::network::Connection,
        Option<crate::network::Attachment>,
    )>,
    /// Left the network of `NetworkMode` with `network disconnect`.
    pub primary_disconnected: bool,
}

/// Overlay directories, as Docker's `GraphDriver` shows them.
#[derive(Debug, Clone, Default)]
pub struct GraphDriver {
    /// Read-only layers, topmost first.
    pub lower: Vec<PathBuf>,
    /// Writable layer.
    pub upper: PathBuf,
    /// Overlay work dir.
    pub work: PathBuf,
    /// Where the root is mounted while running.
    pub merged: PathBuf,
}

impl ContainerView {
    /// Creation time as Unix nanoseconds (0 if unparsable), for ordering.
    pub fn created_nanos(&self) -> i128 {
        crate::timefmt::parse_rfc3339(&self.created).unwrap_or(0)
    }
}
