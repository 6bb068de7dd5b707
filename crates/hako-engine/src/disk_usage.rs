//! `GET /system/df`: what images, containers and volumes take on disk (moby
//! `daemon/disk_usage.go`). Sizes are those the other verbs report: layer content sizes
//! for images (`LayersSize` counts each unpacked layer once, `SharedSize` the layers an
//! image shares with others), writable-layer sizes for containers, `du` of a volume's data.

use std::collections::HashMap;

use crate::container::options::ListOptions;
use crate::container::view::ContainerView;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::image::{ImageListOptions, ImageSummary};
use crate::volume::{Volume, disk_usage};

/// Which parts `system df` computes (`type=` query values; all when none is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsageKinds {
    /// `image`.
    pub images: bool,
    /// `container`.
    pub containers: bool,
    /// `volume`.
    pub volumes: bool,
}

impl DiskUsageKinds {
    /// From `type=` values; unknown ones are refused in Docker's words.
    pub fn parse(types: &[String]) -> Result<DiskUsageKinds> {
        if types.is_empty() {
            return Ok(DiskUsageKinds {
                images: true,
                containers: true,
                volumes: true,
            });
        }
        let mut k = DiskUsageKinds {
            images: false,
            containers: false,
            volumes: false,
        };
        for t in types {
            match t.as_str() {
                "image" => k.images = true,
                "container" => k.containers = true,
                "volume" => k.volumes = true,
                "build-cache" => {}
                other => {
                    return Err(EngineError::InvalidParameter(format!(
                        "unknown object type: {other}"
                    )));
                }
            }
        }
        Ok(k)
    }
}

/// A volume with its `UsageData`.
#[derive(Debug, Clone)]
pub struct VolumeUsage {
    /// The volume.
    pub volume: Volume,
    /// Containers that mount it.
    pub ref_count: i64,
    /// Bytes under its data directory.
    pub size: i64,
}

/// The answer of [`Engine::system_df`]; `None` for parts not asked for.
#[derive(Debug, Clone, Default)]
pub struct DiskUsage {
    /// Every unpacked layer once.
    pub layers_size: Option<i64>,
    /// Images with `SharedSize` and `Containers` filled.
    pub images: Option<Vec<ImageSummary>>,
    /// All containers with `SizeRw`/`SizeRootFs`.
    pub containers: Option<Vec<ContainerView>>,
    /// All volumes with their usage.
    pub volumes: Option<Vec<VolumeUsage>>,
}

impl Engine {
    /// `GET /system/df?type=`.
    pub async fn system_df(&self, kinds: DiskUsageKinds) -> Result<DiskUsage> {
        let mut out = DiskUsage::default();
        if kinds.images {
            let mut images = self.image_list(ImageListOptions::default()).await?;
            let store = self.images.clone();
            let (layers_size, layer_users, image_layers) =
                tokio::task::spawn_blocking(move || -> hako_image::Result<_> {
                    let layers_size: u64 = store.snapshots().list()?.iter().map(|s| s.size).sum();
                    let mut users: HashMap<String, (u64, usize)> = HashMap::new();
                    let mut per_image: HashMap<String, Vec<String>> = HashMap::new();
                    for image in store.list()? {
                        for l in &image.layers {
                            let e = users.entry(l.chain_id.to_string()).or_insert((l.size, 0));
                            e.1 += 1;
                        }
                        per_image.insert(
                            image.id.to_string(),
                            image
                                .layers
                                .iter()
                                .map(|l| l.chain_id.to_string())
                                .collect(),
                        );
                    }
                    Ok((layers_size, users, per_image))
                })
                .await
                .map_err(|e| EngineError::Task(e.to_string()))??;
            for i in &mut images {
                let shared: u64 = image_layers
                    .get(&i.id)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| layer_users.get(c))
                    .filter(|(_, n)| *n > 1)
                    .map(|(size, _)| size)
                    .sum();
                i.shared_size = i64::try_from(shared).unwrap_or(i64::MAX);
            }
            out.layers_size = Some(i64::try_from(layers_size).unwrap_or(i64::MAX));
            out.images = Some(images);
        }
        if kinds.containers {
            let opts = ListOptions {
                all: true,
                size: true,
                ..ListOptions::default()
            };
            out.containers = Some(self.container_list(opts).await?);
        }
        if kinds.volumes {
            let users = self.volume_users().await;
            let mut vols = Vec::new();
            for v in self.volumes.list() {
                let path = v.mountpoint.clone();
                let size = tokio::task::spawn_blocking(move || disk_usage(&path))
                    .await
                    .map_err(|e| EngineError::Task(e.to_string()))?;
                let ref_count = users.get(&v.name).map_or(0, Vec::len);
                vols.push(VolumeUsage {
                    volume: v,
                    ref_count: i64::try_from(ref_count).unwrap_or(0),
                    size: i64::try_from(size).unwrap_or(i64::MAX),
                });
            }
            out.volumes = Some(vols);
        }
        Ok(out)
    }
}
