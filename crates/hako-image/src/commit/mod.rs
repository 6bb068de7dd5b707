//! `docker commit`: a container's upper directory becomes the top layer of a new image.
//!
//! The layer is written once, as a gzip blob in the content store (hashing the
//! uncompressed tar for its diff ID on the way), then the config (the base image's, with
//! the container's configuration, the overrides and `--change` instructions, a history
//! entry) and an OCI manifest listing the base's layer blobs plus the new one. The image is
//! then created from that manifest like a pulled one, so it can be pushed, saved and
//! pulled back with the same ID. A container that changed nothing adds no layer, only a
//! history entry marked `empty_layer`, as Docker does.

mod layer;
mod owners;

pub use owners::{IdRange, OwnerMap};

use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use tracing::{info, instrument};

use crate::content::{Expected, Ingester};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::import::{apply_changes, tag_reference};
use crate::manifest::{ContainerConfig, Descriptor, History, ImageConfig, RootFs, media_types};
use crate::store::ImageStore;

/// Options of [`ImageStore::commit`] (`POST /commit`).
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// `repo[:tag]` to tag the result with.
    pub reference: Option<String>,
    /// `comment` (`-m`).
    pub comment: Option<String>,
    /// `author` (`-a`).
    pub author: Option<String>,
    /// `changes` (`-c`): Dockerfile instructions.
    pub changes: Vec<String>,
    /// The request body: configuration that overrides the container's.
    pub overrides: Option<ContainerConfig>,
    /// The container's own (merged) configuration: what the image keeps where neither the
    /// overrides nor the changes say otherwise.
    pub container_config: ContainerConfig,
    /// The history entry's `created_by`: the container's command (Docker joins its Cmd).
    pub created_by: String,
    /// Absolute paths left out of the layer: mount targets the engine created.
    pub exclude: Vec<String>,
    /// A container under `--userns-remap`: its host IDs as it sees them.
    pub owners: Option<OwnerMap>,
}

impl ImageStore {
    /// Creates an image from `base` plus the changes in `upper` (the container's overlayfs
    /// upper directory, which must not change meanwhile: the engine pauses the container).
    #[instrument(skip(self, opts), fields(base = %base))]
    pub fn commit(&self, base: &Digest, upper: &Path, opts: &CommitOptions) -> Result<Image> {
        let reference = opts.reference.as_deref().map(tag_reference).transpose()?;
        let mut container_config = opts.overrides.clone().unwrap_or_default();
        apply_changes(&mut container_config, &opts.changes)?;
        merge_config(&mut container_config, &opts.container_config);

        let base_image = self.get(base)?;
        let mut layers = Vec::with_capacity(base_image.layers.len() + 1);
        for l in &base_image.layers {
            let blob = l.blob.clone().ok_or_else(|| {
                Error::invalid(
                    "commit",
                    format!(
                        "layer {} of image {} has no stored blob to build on",
                        l.diff_id, base
                    ),
                )
            })?;
            layers.push(oci_layer(blob));
        }

        let _guard = self.gc_shared();
        let writer = self.content().writer(
            &format!("commit-{:016x}", rand::random::<u64>()),
            Expected::any(),
        )?;
        let gz = GzEncoder::new(writer, Compression::default());
        let (stats, gz) = layer::write_diff(upper, &opts.exclude, opts.owners.as_ref(), gz)
            .map_err(|e| Error::Read {
                what: format!("container changes in {}", upper.display()),
                source: e,
            })?;
        let writer = gz.finish().map_err(|e| Error::Read {
            what: "compressed layer".to_owned(),
            source: e,
        })?;
        let empty_layer = stats.entries == 0;
        let mut diff_ids = base_image.config.rootfs.diff_ids.clone();
        if !empty_layer {
            let size = writer.written();
            let digest = writer.commit()?;
            layers.push(Descriptor::new(media_types::OCI_LAYER_GZIP, digest, size));
            diff_ids.push(stats.diff_id.clone());
        }

        let created = crate::now_rfc3339();
        let comment = opts.comment.clone().filter(|c| !c.is_empty());
        let author = opts.author.clone().filter(|a| !a.is_empty());
        let mut history = base_image.config.history.clone();
        history.push(History {
            created: Some(created.clone()),
            created_by: Some(opts.created_by.clone()),
            author: author.clone(),
            comment: comment.clone(),
            empty_layer,
        });
        let config = ImageConfig {
            created: Some(created),
            author,
            architecture: base_image.config.architecture.clone(),
            variant: base_image.config.variant.clone(),
            os: base_image.config.os.clone(),
            os_version: base_image.config.os_version.clone(),
            os_features: base_image.config.os_features.clone(),
            config: Some(container_config),
            rootfs: RootFs {
                diff_ids,
                ..RootFs::default()
            },
            history,
            comment,
            extra: Default::default(),
        };
        let manifest = self.store_image_objects(config, layers)?;
        let image = self.create_unguarded(&manifest, None)?;
        self.set_parent(&image.id, base)?;
        if let Some(r) = &reference {
            self.add_reference(r, &image.id)?;
        }
        info!(image = %image.id, empty_layer, "container committed");
        self.get(&image.id)
    }
}

/// The base's layers go into an OCI manifest: Docker's layer media types become their OCI
/// equivalents (same bytes, same digests).
fn oci_layer(mut d: Descriptor) -> Descriptor {
    d.media_type = match d.media_type.as_str() {
        media_types::DOCKER_LAYER_GZIP => media_types::OCI_LAYER_GZIP.to_owned(),
        media_types::DOCKER_LAYER => media_types::OCI_LAYER.to_owned(),
        other => other.to_owned(),
    };
    d
}

/// moby's `merge(userConf, imageConf)`: what the request left unset comes from the
/// container; lists and maps are combined with the request's entries winning.
fn merge_config(user: &mut ContainerConfig, container: &ContainerConfig) {
    if user.user.as_deref().is_none_or(str::is_empty) {
        user.user = container.user.clone();
    }
    if let Some(ports) = &container.exposed_ports {
        let mine = user.exposed_ports.get_or_insert_with(Default::default);
        for (k, v) in ports {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(env) = &container.env {
        let mine = user.env.get_or_insert_with(Vec::new);
        for var in env {
            let key = var.split_once('=').map_or(var.as_str(), |(k, _)| k);
            if !mine
                .iter()
                .any(|m| m.split_once('=').map_or(m.as_str(), |(k, _)| k) == key)
            {
                mine.push(var.clone());
            }
        }
    }
    if let Some(labels) = &container.labels {
        let mine = user.labels.get_or_insert_with(Default::default);
        for (k, v) in labels {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if user.cmd.as_ref().is_none_or(Vec::is_empty) {
            user.cmd = container.cmd.clone();
        }
        if user.entrypoint.is_none() {
            user.entrypoint = container.entrypoint.clone();
        }
    }
    if user.healthcheck.is_none() {
        user.healthcheck = container.healthcheck.clone();
    }
    if user.working_dir.as_deref().is_none_or(str::is_empty) {
        user.working_dir = container.working_dir.clone();
    }
    if let Some(vols) = &container.volumes {
        let mine = user.volumes.get_or_insert_with(Default::default);
        for (k, v) in vols {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.on_build.as_ref().is_none_or(Vec::is_empty) {
        user.on_build = container.on_build.clone();
    }
    if user.stop_signal.as_deref().is_none_or(str::is_empty) {
        user.stop_signal = container.stop_signal.clone();
    }
    if user.shell.is_none() {
        user.shell = container.shell.clone();
    }
    for (k, v) in &container.extra {
        user.extra.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_wins_and_the_container_fills_the_rest() {
        let container = ContainerConfig {
            env: Some(vec!["PATH=/bin".into(), "A=1".into()]),
            cmd: Some(vec!["sh".into()]),
            working_dir: Some("/srv".into()),
            labels: Some([("x".to_owned(), "1".to_owned())].into()),
            ..Default::default()
        };
        let mut user = ContainerConfig::default();
        apply_changes(
            &mut user,
            &["ENV A=2".to_owned(), "CMD [\"echo\",\"hi\"]".to_owned()],
        )
        .unwrap();
        merge_config(&mut user, &container);
        assert_eq!(
            user.env.as_deref(),
            Some(&["A=2".to_owned(), "PATH=/bin".to_owned()][..])
        );
        assert_eq!(
            user.cmd.as_deref(),
            Some(&["echo".to_owned(), "hi".to_owned()][..])
        );
        assert_eq!(user.working_dir.as_deref(), Some("/srv"));
        assert_eq!(user.labels.unwrap()["x"], "1");
    }

    #[test]
    fn docker_layer_types_become_oci() {
        let d = Descriptor::new(media_types::DOCKER_LAYER_GZIP, Digest::of(b"x"), 1);
        assert_eq!(oci_layer(d).media_type, media_types::OCI_LAYER_GZIP);
    }
}
