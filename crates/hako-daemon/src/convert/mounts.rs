//! Mounts and volumes between the wire and the engine: `HostConfig.Mounts` in and out,
//! inspect's `Mounts`, and volume bodies. Validation with Docker's messages happens in
//! the engine (`container::mounts`), which also sees the host (bind sources).

use hako_api_types::container::{
    BindOptions, Mount as WireMount, MountPoint as WireMountPoint, TmpfsOptions,
    VolumeDriverConfig, VolumeOptions,
};
use hako_api_types::volume::{UsageData, Volume as WireVolume};
use hako_engine::container::mounts::{MountPoint, MountSpec};
use hako_engine::volume::Volume;

/// `HostConfig.Mounts` → the engine's specs.
pub fn mount_specs_in(mounts: Vec<WireMount>) -> Vec<MountSpec> {
    mounts
        .into_iter()
        .map(|m| {
            let bind = m.bind_options.clone().unwrap_or_default();
            let vol = m.volume_options.clone().unwrap_or_default();
            let tmpfs = m.tmpfs_options.clone().unwrap_or_default();
            MountSpec {
                kind: m.r#type,
                source: m.source,
                target: m.target,
                read_only: m.read_only,
                propagation: bind.propagation,
                non_recursive: bind.non_recursive,
                no_copy: vol.no_copy,
                labels: vol.labels.unwrap_or_default(),
                volume_driver: vol
                    .driver_config
                    .as_ref()
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                volume_opts: vol
                    .driver_config
                    .and_then(|d| d.options)
                    .unwrap_or_default(),
                tmpfs_size: tmpfs.size_bytes,
                tmpfs_mode: tmpfs.mode,
                has_bind_options: m.bind_options.is_some(),
                has_volume_options: m.volume_options.is_some(),
                has_tmpfs_options: m.tmpfs_options.is_some(),
            }
        })
        .collect()
}

/// The engine's specs → `HostConfig.Mounts` as inspect shows them.
pub fn mount_specs_out(specs: &[MountSpec]) -> Option<Vec<WireMount>> {
    (!specs.is_empty()).then(|| {
        specs
            .iter()
            .map(|m| WireMount {
                r#type: m.kind.clone(),
                source: m.source.clone(),
                target: m.target.clone(),
                read_only: m.read_only,
                consistency: String::new(),
                bind_options: m.has_bind_options.then(|| BindOptions {
                    propagation: m.propagation.clone(),
                    non_recursive: m.non_recursive,
                    ..BindOptions::default()
                }),
                volume_options: m.has_volume_options.then(|| VolumeOptions {
                    no_copy: m.no_copy,
                    labels: (!m.labels.is_empty()).then(|| m.labels.clone()),
                    driver_config: (!m.volume_driver.is_empty() || !m.volume_opts.is_empty()).then(
                        || VolumeDriverConfig {
                            name: m.volume_driver.clone(),
                            options: (!m.volume_opts.is_empty()).then(|| m.volume_opts.clone()),
                        },
                    ),
                    ..VolumeOptions::default()
                }),
                tmpfs_options: m.has_tmpfs_options.then_some(TmpfsOptions {
                    size_bytes: m.tmpfs_size,
                    mode: m.tmpfs_mode,
                    options: None,
                }),
            })
            .collect()
    })
}

/// Inspect's and `ps`'s `Mounts`.
pub fn mount_points_out(points: &[MountPoint]) -> Vec<WireMountPoint> {
    points
        .iter()
        .filter(|m| m.listed)
        .map(|m| WireMountPoint {
            r#type: m.kind.clone(),
            name: m.name.clone(),
            source: m.source.clone(),
            destination: m.destination.clone(),
            driver: m.driver.clone(),
            mode: m.mode.clone(),
            rw: m.rw,
            propagation: m.propagation.clone(),
        })
        .collect()
}

/// A volume as `GET /volumes` and inspect show it; `usage` is (ref count, size).
pub fn volume_out(v: Volume, usage: Option<(i64, i64)>) -> WireVolume {
    WireVolume {
        created_at: (!v.created_at.is_empty()).then_some(v.created_at),
        driver: v.driver,
        labels: v.labels,
        mountpoint: v.mountpoint.to_string_lossy().into_owned(),
        name: v.name,
        options: v.options,
        scope: "local".into(),
        status: None,
        usage_data: usage.map(|(ref_count, size)| UsageData { ref_count, size }),
    }
}
