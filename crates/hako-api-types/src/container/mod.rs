//! Container bodies: create (config + host config + networking), list, inspect, wait.
//!
//! Presence mirrors Go's encoding/json on moby's structs, so our JSON is byte-compatible:
//! a Go value field is a plain Rust field that is always written (zero when unset); a Go
//! slice, map or pointer without `omitempty` is an `Option` written as `null`; a field with
//! `omitempty` is an `Option` skipped when `None`.

mod config;
mod host_config;
mod inspect;
mod mount;
mod network;
mod stats;
mod summary;

pub use config::{ContainerConfig, HealthConfig};
pub use host_config::{
    DeviceMapping, DeviceRequest, HostConfig, LogConfig, Resources, RestartPolicy, ThrottleDevice,
    Ulimit, WeightDevice,
};
pub use inspect::{ContainerInspect, ContainerState, GraphDriverData, Health, HealthcheckResult};
pub use mount::{BindOptions, Mount, MountPoint, TmpfsOptions, VolumeDriverConfig, VolumeOptions};
pub use network::{
    EndpointIpamConfig, EndpointSettings, NetworkSettings, NetworkingConfig, PortBinding, PortMap,
};
pub use stats::{
    BlkioStatEntry, BlkioStats, ContainerPruneResponse, CpuStats, CpuUsage, MemoryStats,
    NetworkStats, PidsStats, PruneQuery, RenameQuery, StatsQuery, StatsResponse, ThrottlingData,
    TopQuery, TopResponse, UpdateBody, UpdateResponse,
};
pub use summary::{
    ContainerSummary, ManifestDescriptor, OciPlatform, Port, SummaryHostConfig,
    SummaryNetworkSettings,
};

use serde::{Deserialize, Serialize};

/// Go's `struct{}` in maps such as `ExposedPorts` and `Volumes`: always `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyObject {}

/// `POST /containers/create` body: the container config inline, plus `HostConfig` and
/// `NetworkingConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerCreateBody {
    #[serde(flatten)]
    pub config: ContainerConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_config: Option<HostConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networking_config: Option<NetworkingConfig>,
}

/// `201` body of `POST /containers/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerCreateResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub warnings: Vec<String>,
}

/// `200` body of `POST /containers/{id}/wait`. moby writes `{"Error":null,"StatusCode":0}`:
/// `Error` first and always present (`null` when waiting went fine).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerWaitResponse {
    #[serde(default)]
    pub error: Option<WaitExitError>,
    #[serde(default)]
    pub status_code: i64,
}

/// `Error` of a wait response: why waiting failed (not why the process failed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitExitError {
    #[serde(default)]
    pub message: String,
}

/// `Vec` fields that Go writes as `null` when empty.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Go's `strslice.StrSlice` (`Cmd`, `Entrypoint`, `Shell`, `CapAdd`...): a JSON array, or a
/// single string meaning a one-element list (old clients), or `null`.
pub mod str_slice {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        Ok(match Option::<OneOrMany>::deserialize(d)? {
            None => None,
            Some(OneOrMany::One(s)) => Some(vec![s]),
            Some(OneOrMany::Many(v)) => Some(v),
        })
    }
}

#[cfg(test)]
mod tests;
