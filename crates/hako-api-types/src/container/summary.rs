//! `GET /containers/json` entries.

use super::mount::MountPoint;
use super::network::EndpointSettings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// moby `container.Summary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerSummary {
    #[serde(default)]
    pub id: String,
    /// With leading slashes: `["/web"]`.
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub image: String,
    #[serde(rename = "ImageID", default)]
    pub image_id: String,
    #[serde(default)]
    pub command: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_root_fs: Option<i64>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub state: String,
    /// Human text: "Up 5 seconds", "Exited (0) 2 minutes ago".
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub host_config: SummaryHostConfig,
    #[serde(default)]
    pub network_settings: Option<SummaryNetworkSettings>,
    #[serde(default)]
    pub mounts: Vec<MountPoint>,
    /// API 1.46+: the image manifest the container runs; docker 28's `ps` shows its
    /// platform in the `Platform` column.
    #[serde(
        rename = "ImageManifestDescriptor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub image_manifest_descriptor: Option<ManifestDescriptor>,
}

/// An OCI descriptor as moby sends it (`mediaType`, `digest`, `size`, `platform`); hako
/// fills what it knows, the platform always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDescriptor {
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<OciPlatform>,
}

/// An OCI platform (`{"architecture", "os", "variant"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OciPlatform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

impl OciPlatform {
    /// From `os/arch[/variant]`; `None` for an empty or malformed string.
    pub fn parse(s: &str) -> Option<OciPlatform> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?;
        let architecture = parts.next().filter(|p| !p.is_empty())?;
        let variant = parts.next().unwrap_or("");
        parts.next().is_none().then(|| OciPlatform {
            architecture: architecture.to_string(),
            os: os.to_string(),
            variant: variant.to_string(),
        })
    }
}

impl std::fmt::Display for OciPlatform {
    /// containerd's `platforms.Format`: `linux/arm64/v8`, `linux/amd64`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryHostConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryNetworkSettings {
    #[serde(default)]
    pub networks: Option<BTreeMap<String, EndpointSettings>>,
}

/// A port of a listed container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    #[serde(rename = "IP", default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(rename = "PrivatePort", default)]
    pub private_port: u16,
    #[serde(
        rename = "PublicPort",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub public_port: Option<u16>,
    /// `tcp`, `udp`, `sctp`.
    #[serde(rename = "Type", default)]
    pub r#type: String,
}
