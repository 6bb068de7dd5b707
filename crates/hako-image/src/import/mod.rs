//! `docker import`: a root filesystem tar becomes a one-layer image.
//!
//! The input (plain, gzip or zstd) is read once: it is stored as the layer blob exactly as
//! received while being decompressed, hashed and unpacked into a snapshot. The config gets
//! the platform (given or host), `created` now, the `--change` instructions, and Docker's
//! comment (`Imported from -` unless a message is given). An OCI manifest is written too, so
//! an imported image can later be pushed or saved like any other.

mod changes;
mod words;

use std::io::Read;

use tracing::{info, instrument};

pub use changes::apply_changes;

use crate::content::{Expected, Ingester};
use crate::digest::{Digest, TeeReader};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::manifest::{
    ContainerConfig, Descriptor, History, ImageConfig, Manifest, Platform, RawConfig, RootFs,
    media_types,
};
use crate::reference::Reference;
use crate::snapshot::SnapshotInfo;
use crate::store::ImageStore;
use crate::unpack::unpack_layer;

/// Options of [`ImageStore::import`] (the query of `POST /images/create?fromSrc=`).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `repo[:tag]` to tag the result with (`repo` and `tag` of the API, joined).
    pub reference: Option<String>,
    /// `message`: the commit message.
    pub message: Option<String>,
    /// `changes`: Dockerfile instructions.
    pub changes: Vec<String>,
    /// `platform`: the image's platform; the host's when absent.
    pub platform: Option<Platform>,
    /// `fromSrc`: `-` for an upload, else a URL (only used in the default comment).
    pub source: Option<String>,
}

/// A `repo[:tag]` the user wants an image tagged with (`latest` implied; digests refused).
pub(crate) fn tag_reference(r: &str) -> Result<Reference> {
    let r = Reference::parse_normalized(r)?;
    if r.digest().is_some() {
        return Err(Error::InvalidTag(
            "refusing to create a tag with a digest reference".to_owned(),
        ));
    }
    Ok(r.with_default_tag())
}

impl ImageStore {
    /// Imports a root filesystem tar as a new image and returns it (its ID is `image.id`).
    #[instrument(skip(self, reader, opts), fields(reference = ?opts.reference))]
    pub fn import<R: Read + Send>(&self, reader: R, opts: &ImportOptions) -> Result<Image> {
        // Everything the user typed is checked before the (possibly large) upload is read.
        let reference = opts.reference.as_deref().map(tag_reference).transpose()?;
        let mut container_config = ContainerConfig::default();
        apply_changes(&mut container_config, &opts.changes)?;
        let platform = opts
            .platform
            .clone()
            .map_or_else(Platform::host, Platform::normalize);

        let _guard = self.gc_shared();
        let writer = self.content().writer(
            &format!("import-{:016x}", rand::random::<u64>()),
            Expected::any(),
        )?;
        let pending = self.snapshots().prepare()?;
        let mut tee = TeeReader::new(reader, writer);
        let stats = unpack_layer(&mut tee, &pending.fs(), &self.unpack)?;
        let writer = tee
            .finish()
            .map_err(|e| crate::unpack::read_error("import stream", e))?;
        let blob_size = writer.written();
        let blob_digest = writer.commit()?;
        let info = SnapshotInfo {
            chain_id: stats.diff_id.clone(),
            parent: None,
            diff_id: stats.diff_id.clone(),
            size: stats.content_size,
        };
        self.snapshots().commit(pending, &info)?;

        let created = crate::now_rfc3339();
        let comment = match opts.message.as_deref() {
            Some(m) if !m.is_empty() => m.to_owned(),
            _ => format!("Imported from {}", opts.source.as_deref().unwrap_or("-")),
        };
        let config = ImageConfig {
            created: Some(created.clone()),
            architecture: platform.architecture.clone(),
            variant: (!platform.variant.is_empty()).then(|| platform.variant.clone()),
            os: platform.os.clone(),
            config: Some(container_config),
            rootfs: RootFs {
                diff_ids: vec![stats.diff_id.clone()],
                ..RootFs::default()
            },
            history: vec![History {
                created: Some(created),
                comment: Some(comment.clone()),
                ..History::default()
            }],
            comment: Some(comment),
            ..ImageConfig::default()
        };
        let layer = Descriptor::new(stats.compression.oci_media_type(), blob_digest, blob_size);
        let manifest = self.store_image_objects(config, vec![layer])?;
        let image = self.create_unguarded(&manifest, None)?;
        if let Some(r) = &reference {
            self.add_reference(r, &image.id)?;
        }
        info!(image = %image.id, diff_id = %stats.diff_id, bytes = stats.tar_size, "image imported");
        self.get(&image.id)
    }

    /// Writes a config and an OCI manifest for `layers` into the content store and returns
    /// the manifest's descriptor (import, embedded image, and later commit and build).
    pub fn store_image_objects(
        &self,
        config: ImageConfig,
        layers: Vec<Descriptor>,
    ) -> Result<Descriptor> {
        let raw = RawConfig::from_config(config)?;
        let config_desc =
            Descriptor::new(media_types::OCI_CONFIG, raw.id(), raw.bytes.len() as u64);
        self.content().write_blob(
            &raw.bytes,
            Expected::exact(raw.id(), raw.bytes.len() as u64),
        )?;
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(media_types::OCI_MANIFEST.to_owned()),
            config: config_desc,
            layers,
            annotations: Default::default(),
        };
        let bytes =
            serde_json::to_vec(&manifest).map_err(|e| Error::json("serialise manifest", e))?;
        let digest = Digest::of(&bytes);
        self.content()
            .write_blob(&bytes, Expected::exact(digest.clone(), bytes.len() as u64))?;
        Ok(Descriptor::new(
            media_types::OCI_MANIFEST,
            digest,
            bytes.len() as u64,
        ))
    }
}
