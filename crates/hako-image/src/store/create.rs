//! Creating images from content already in the store, and building [`Image`] views.

use std::path::PathBuf;

use tracing::{debug, info, instrument};

use super::ImageStore;
use crate::content::{Manager, Provider};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{Image, Layer};
use crate::manifest::{self, Descriptor, Manifest, Parsed, Platform, RawConfig, media_types};
use crate::meta::{ImageRecord, Lookup, MetaStore};
use crate::reference::Reference;
use crate::snapshot::{SnapshotInfo, chain_ids};
use crate::unpack::unpack_layer_verified;

/// Manifests and indexes are small; anything bigger is refused rather than loaded.
pub(crate) const MAX_MANIFEST_SIZE: u64 = 4 << 20;
/// Configs can carry long histories, still far below this.
pub(crate) const MAX_CONFIG_SIZE: u64 = 8 << 20;

impl ImageStore {
    /// Creates (or finds) the image described by a manifest whose blobs (manifest, config,
    /// layers) are all in the content store: verifies the config against the manifest,
    /// unpacks missing layers into snapshots (checking each diff ID), and writes the record.
    /// `index` is the multi-platform index the manifest was chosen from, if any. No tag is
    /// set; see [`ImageStore::add_reference`]. This is the last step of a pull or a load.
    #[instrument(skip(self), fields(manifest = %manifest.digest))]
    pub fn create_from_manifest(
        &self,
        manifest: &Descriptor,
        index: Option<&Digest>,
    ) -> Result<Image> {
        let _guard = self.gc_shared();
        self.create_unguarded(manifest, index)
    }

    /// [`ImageStore::create_from_manifest`] for callers that already hold the shared GC
    /// guard (it is not re-entrant: a waiting collector would deadlock a second read).
    pub(crate) fn create_unguarded(
        &self,
        manifest: &Descriptor,
        index: Option<&Digest>,
    ) -> Result<Image> {
        let record = self.build_record(manifest, index)?;
        let id = record.id.clone();
        {
            let mut meta = self.write_meta();
            if !meta.images.contains_key(&id) {
                meta.save_image(&record)?;
                meta.images.insert(id.clone(), record);
                info!(image = %id, "image created");
            }
        }
        self.get(&id)
    }

    /// Points a tag or digest reference at an image (a pull's `name:tag` and
    /// `name@digest`). Tags take `latest` when none is given.
    pub fn add_reference(&self, reference: &Reference, id: &Digest) -> Result<()> {
        let mut meta = self.write_meta();
        if !meta.images.contains_key(id) {
            return Err(Error::ImageNotFound {
                reference: id.to_string(),
            });
        }
        let reference = match reference.digest() {
            Some(d) => reference.with_digest(d.clone()),
            None => reference.clone().with_default_tag(),
        };
        self.set_reference(&mut meta, &reference, id)
    }

    /// Records the image `id` was committed from (kept only while that image exists).
    pub(crate) fn set_parent(&self, id: &Digest, parent: &Digest) -> Result<()> {
        let mut meta = self.write_meta();
        let Some(mut record) = meta.images.get(id).cloned() else {
            return Ok(());
        };
        if record.parent.as_ref() == Some(parent) || id == parent {
            return Ok(());
        }
        record.parent = Some(parent.clone());
        meta.save_image(&record)?;
        meta.images.insert(id.clone(), record);
        Ok(())
    }

    fn build_record(&self, desc: &Descriptor, index: Option<&Digest>) -> Result<ImageRecord> {
        let bytes = self.content.read_blob(&desc.digest, MAX_MANIFEST_SIZE)?;
        let Parsed::Manifest(m) = manifest::parse(Some(&desc.media_type), &bytes)? else {
            return Err(Error::invalid(
                "manifest",
                format!("{} is an index, not a manifest", desc.digest),
            ));
        };
        let raw = RawConfig::parse(self.content.read_blob(&m.config.digest, MAX_CONFIG_SIZE)?)?;
        let diff_ids = &raw.config.rootfs.diff_ids;
        let usable: Vec<&Descriptor> = m
            .layers
            .iter()
            .filter(|l| media_types::is_layer(&l.media_type))
            .collect();
        if usable.len() != m.layers.len() {
            let odd = m
                .layers
                .iter()
                .find(|l| !media_types::is_layer(&l.media_type));
            return Err(Error::UnsupportedMediaType {
                media_type: odd.map(|l| l.media_type.clone()).unwrap_or_default(),
            });
        }
        if diff_ids.len() != m.layers.len() {
            return Err(Error::invalid(
                "image config",
                format!(
                    "{} layers in the manifest but {} diff_ids in the config",
                    m.layers.len(),
                    diff_ids.len()
                ),
            ));
        }
        let mut layers: Vec<Layer> = chain_ids(diff_ids)
            .into_iter()
            .zip(diff_ids)
            .zip(&m.layers)
            .map(|((chain_id, diff_id), blob)| Layer {
                diff_id: diff_id.clone(),
                chain_id,
                size: 0,
                blob: Some(blob.clone()),
            })
            .collect();
        self.unpack_layers(&layers, diff_ids)?;
        for l in &mut layers {
            l.size = self.snapshots.info(&l.chain_id)?.size;
        }
        Ok(ImageRecord {
            id: raw.id(),
            platform: raw.config.platform(),
            layers,
            manifest: Some(desc.clone()),
            index: index.cloned(),
            added: crate::now_rfc3339(),
            last_tag_time: None,
            parent: None,
        })
    }

    /// Unpacks every layer whose snapshot is missing, bottom up, from its stored blob.
    pub(super) fn unpack_layers(&self, layers: &[Layer], diff_ids: &[Digest]) -> Result<()> {
        let mut parent: Option<&Digest> = None;
        for (layer, diff_id) in layers.iter().zip(diff_ids) {
            if !self.snapshots.exists(&layer.chain_id) {
                let blob = layer.blob.as_ref().ok_or_else(|| Error::SnapshotNotFound {
                    chain_id: layer.chain_id.clone(),
                })?;
                let reader = self.content.reader(&blob.digest)?;
                let pending = self.snapshots.prepare()?;
                let stats = unpack_layer_verified(reader, &pending.fs(), diff_id, &self.unpack)?;
                let info = SnapshotInfo {
                    chain_id: layer.chain_id.clone(),
                    parent: parent.cloned(),
                    diff_id: diff_id.clone(),
                    size: stats.content_size,
                };
                self.snapshots.commit(pending, &info)?;
            } else {
                debug!(chain_id = %layer.chain_id, "layer already unpacked");
            }
            parent = Some(&layer.chain_id);
        }
        Ok(())
    }

    /// The engine's view of a record.
    pub(super) fn image_view(&self, meta: &MetaStore, id: &Digest) -> Result<Image> {
        let record = meta.images.get(id).ok_or_else(|| Error::ImageNotFound {
            reference: id.to_string(),
        })?;
        let raw = RawConfig::parse(self.content.read_blob(id, MAX_CONFIG_SIZE)?)?;
        let (repo_tags, repo_digests) = meta.familiar_refs(id);
        let lower_dirs: Vec<PathBuf> = record
            .layers
            .iter()
            .rev()
            .map(|l| self.snapshots.fs_path(&l.chain_id))
            .collect();
        Ok(Image {
            id: id.clone(),
            created: raw.config.created.clone(),
            platform: record.platform.clone(),
            layers: record.layers.clone(),
            lower_dirs,
            repo_tags,
            repo_digests,
            size: record.size(),
            manifest: record.manifest.clone(),
            last_tag_time: record.last_tag_time.clone(),
            parent: record.parent.clone(),
            config: raw.config,
        })
    }

    /// The image for `wanted` from the index `found` came from, if all of it is local.
    pub(super) fn other_platform(
        &self,
        found: &Lookup,
        wanted: &Platform,
    ) -> Result<Option<Image>> {
        let index_digest = {
            let meta = self.read_meta();
            match meta.images.get(found.id()).and_then(|r| r.index.clone()) {
                Some(d) => d,
                None => return Ok(None),
            }
        };
        if !self.content.contains(&index_digest) {
            return Ok(None);
        }
        let bytes = self.content.read_blob(&index_digest, MAX_MANIFEST_SIZE)?;
        let Parsed::Index(index) = manifest::parse(None, &bytes)? else {
            return Ok(None);
        };
        let Ok(desc) = manifest::select_manifest(&index, wanted) else {
            return Ok(None);
        };
        if !self.manifest_is_local(desc)? {
            return Ok(None);
        }
        let image = self.create_from_manifest(desc, Some(&index_digest))?;
        if image.id == *found.id() {
            // The config misstates its platform but the index vouches for it (Docker
            // trusts the index too).
            return Ok(Some(image));
        }
        if let Lookup::Reference { reference, .. } = found {
            // Docker moves both the tag and the repository's digest reference (the index
            // digest, which now resolves to this platform) when a pull switches platform.
            self.add_reference(reference, &image.id)?;
            self.add_reference(&reference.with_digest(index_digest), &image.id)?;
            return self.get(&image.id).map(Some);
        }
        Ok(Some(image))
    }

    pub(crate) fn manifest_is_local(&self, desc: &Descriptor) -> Result<bool> {
        if !self.content.contains(&desc.digest) {
            return Ok(false);
        }
        let bytes = self.content.read_blob(&desc.digest, MAX_MANIFEST_SIZE)?;
        let m: Manifest = match manifest::parse(Some(&desc.media_type), &bytes)? {
            Parsed::Manifest(m) => m,
            Parsed::Index(_) => return Ok(false),
        };
        Ok(self.content.contains(&m.config.digest)
            && m.layers.iter().all(|l| self.content.contains(&l.digest)))
    }
}
