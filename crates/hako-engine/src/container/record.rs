//! The persistent record of a container (`config.json`): what never changes after create.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::config::{ContainerConfig, HostConfig};

/// Written once at create (and on rename); the mutable part is [`super::status::State`].
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Record {
    /// Full ID.
    pub id: String,
    /// Name without the leading slash.
    pub name: String,
    /// RFC 3339 (nanoseconds) creation time.
    pub created: String,
    /// Program actually run.
    pub path: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Image ID (`sha256:...`).
    pub image_id: String,
    /// Platform of the image, `os/arch[/variant]`.
    pub platform: String,
    /// Merged configuration.
    pub config: ContainerConfig,
    /// Host configuration.
    pub host_config: HostConfig,
    /// Image layer directories, topmost first, resolved at create so that the root stays
    /// the same even if the image is untagged later.
    pub lower_dirs: Vec<PathBuf>,
    /// Volumes, binds and tmpfs mounts, resolved at create (parents first).
    pub mount_points: Vec<super::mounts::MountPoint>,
}
