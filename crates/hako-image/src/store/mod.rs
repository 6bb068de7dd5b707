//! [`ImageStore`]: the one object the engine holds.
//!
//! It owns the content store (`<root>/content`), the snapshots (`<root>/snapshots`) and the
//! metadata (`<root>/meta`). All methods block (std I/O); the engine calls them from
//! `spawn_blocking`. The store is `Send + Sync`: metadata sits behind an `RwLock`, and a
//! second `RwLock` keeps garbage collection out while an image is being created (its
//! blobs and snapshots exist before the record that makes them reachable).
//!
//! Submodules: [`create`] turns a manifest in the content store into an image (unpacking
//! its layers), [`gc`] removes what no image or container needs, [`history`] answers
//! `docker history`, [`prune`] `docker image prune` and [`platforms`] the manifests of a
//! multi-platform image (`manifests=1`).

mod create;
mod gc;
mod history;
mod platforms;
mod prune;

pub(crate) use create::MAX_MANIFEST_SIZE;
pub use history::HistoryEntry;
pub use platforms::{ImagePlatforms, ManifestEntry, ManifestKind, strict_match};
pub use prune::PruneReport;

use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use tracing::{info, instrument};

use crate::content::LocalStore;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{DeleteItem, DeleteOptions, Image, ImageUsage};
use crate::manifest::Platform;
use crate::meta::{self, Lookup, MetaStore};
use crate::reference::Reference;
use crate::snapshot::Snapshotter;
use crate::unpack::UnpackOptions;

/// The image store on a root directory (`/var/lib/hako/image`).
#[derive(Debug)]
pub struct ImageStore {
    root: PathBuf,
    content: LocalStore,
    snapshots: Snapshotter,
    meta: RwLock<MetaStore>,
    /// Held shared while creating an image, exclusively while collecting garbage.
    gc_guard: RwLock<()>,
    pub(crate) unpack: UnpackOptions,
}

impl ImageStore {
    /// Opens (creating if needed) the store at `root`, reloads records and references, and
    /// removes leftovers of interrupted writes (ingests, unfinished snapshots).
    pub fn open(root: impl Into<PathBuf>) -> Result<ImageStore> {
        let root = root.into();
        let content = LocalStore::open(root.join("content"))?;
        let snapshots = Snapshotter::open(root.join("snapshots"))?;
        let meta = MetaStore::load(&root.join("meta"))?;
        info!(root = %root.display(), images = meta.images.len(), "image store opened");
        Ok(ImageStore {
            root,
            content,
            snapshots,
            meta: RwLock::new(meta),
            gc_guard: RwLock::new(()),
            unpack: UnpackOptions::default(),
        })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The content store (blobs), for the registry client and `docker save`.
    pub fn content(&self) -> &LocalStore {
        &self.content
    }

    /// The snapshots (unpacked layers).
    pub fn snapshots(&self) -> &Snapshotter {
        &self.snapshots
    }

    /// Resolves a user-given name: `busybox`, `busybox:1.36`, `name@sha256:...`, a full ID
    /// (`sha256:<hex>` or `<hex>`) or an ID prefix. Errors: `No such image: busybox:latest`
    /// (not found), an ambiguous prefix, or an invalid reference (Docker's messages).
    pub fn resolve(&self, name: &str) -> Result<Image> {
        let meta = self.read_meta();
        let found = meta::lookup(&meta, name)?;
        self.image_view(&meta, found.id())
    }

    /// As [`ImageStore::resolve`], then checks the platform (Docker's `GetImage` with a
    /// platform). If the image is for another platform but came from a multi-platform
    /// index whose matching manifest is fully present locally (the built-in image, or a
    /// pull that kept the index), that image is created and, when `name` was a tag, the
    /// tag moves to it, as a pull with `--platform` does in Docker. Otherwise:
    /// `image with reference x was found but its platform (...) does not match ...`.
    pub fn resolve_platform(&self, name: &str, platform: Option<&Platform>) -> Result<Image> {
        let Some(wanted) = platform else {
            return self.resolve(name);
        };
        let (found, image) = {
            let meta = self.read_meta();
            let found = meta::lookup(&meta, name)?;
            let image = self.image_view(&meta, found.id())?;
            (found, image)
        };
        if wanted.matches(&image.platform) {
            return Ok(image);
        }
        if let Some(other) = self.other_platform(&found, wanted)? {
            return Ok(other);
        }
        Err(Error::PlatformMismatch {
            reference: match &found {
                Lookup::Reference { reference, .. } => reference.familiar(),
                Lookup::Id(_) => name.to_owned(),
            },
            actual: image.platform.to_string(),
            wanted: wanted.clone().normalize().to_string(),
        })
    }

    /// What `docker run`/`create` should call: [`ImageStore::resolve_platform`], and when
    /// the name is not found but is the built-in `hello-world` image, creates it from the
    /// binary (no registry needed) and resolves again.
    ///
    /// The returned image's `lower_dirs` all exist: snapshots lost on disk are unpacked
    /// again from their blobs first.
    pub fn resolve_for_run(&self, name: &str, platform: Option<&Platform>) -> Result<Image> {
        let image = match self.resolve_platform(name, platform) {
            Err(Error::ImageNotFound { .. }) if crate::embedded::provides(name) => {
                self.ensure_embedded()?;
                self.resolve_platform(name, platform)?
            }
            other => other?,
        };
        self.lower_dirs(&image.id)?;
        Ok(image)
    }

    /// The image with this exact ID.
    pub fn get(&self, id: &Digest) -> Result<Image> {
        let meta = self.read_meta();
        self.image_view(&meta, id)
    }

    /// Every image (Docker's `docker images -a`; the store has no intermediate images),
    /// newest first.
    pub fn list(&self) -> Result<Vec<Image>> {
        let meta = self.read_meta();
        let mut out = meta
            .images
            .keys()
            .map(|id| self.image_view(&meta, id))
            .collect::<Result<Vec<_>>>()?;
        // Parsed, not compared as text: `...:00.5Z` sorts before `...:00Z` as a string.
        let when = |i: &Image| {
            i.created.as_deref().and_then(|c| {
                time::OffsetDateTime::parse(c, &time::format_description::well_known::Rfc3339).ok()
            })
        };
        out.sort_by(|a, b| when(b).cmp(&when(a)).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The overlay lower directories of an image, topmost first. Snapshots missing on disk
    /// (removed by hand, lost in a crash) are unpacked again from the stored blobs.
    pub fn lower_dirs(&self, id: &Digest) -> Result<Vec<PathBuf>> {
        let image = self.get(id)?;
        let missing = image
            .layers
            .iter()
            .any(|l| !self.snapshots.exists(&l.chain_id));
        if missing {
            let _guard = self.gc_shared();
            self.unpack_layers(&image.layers, &image.config.rootfs.diff_ids)?;
        }
        Ok(image.lower_dirs)
    }

    /// `docker tag SOURCE TARGET`: `target` (tag `latest` implied) now names the image
    /// `source` resolves to. Returns the normalised target.
    #[instrument(skip(self))]
    pub fn tag(&self, source: &str, target: &str) -> Result<Reference> {
        let mut meta = self.write_meta();
        let id = meta::lookup(&meta, source)?.id().clone();
        let target = Reference::parse_normalized(target)?;
        if target.digest().is_some() {
            return Err(Error::InvalidTag(
                "refusing to create a tag with a digest reference".to_owned(),
            ));
        }
        let target = target.with_default_tag();
        if target.path() == "sha256" || target.path().ends_with("/sha256") {
            return Err(Error::InvalidTag(
                "refusing to create an ambiguous tag using digest algorithm as name".to_owned(),
            ));
        }
        self.set_reference(&mut meta, &target, &id)?;
        Ok(target)
    }

    /// `docker rmi`: Docker's semantics (see [`crate::meta::DeleteConflict`] for the
    /// conflicts), then removes the layers and blobs nobody needs any more. Returns Docker's
    /// `Untagged:`/`Deleted:` list; removed layers appear as `Deleted: <chain id>`.
    #[instrument(skip(self, usage))]
    pub fn delete(
        &self,
        name: &str,
        opts: DeleteOptions,
        usage: &dyn ImageUsage,
    ) -> Result<Vec<DeleteItem>> {
        let mut items = {
            let mut meta = self.write_meta();
            let found = meta::lookup(&meta, name)?;
            let before = meta.refs.clone();
            let plan = match meta::plan_delete(&mut meta, name, &found, opts.force, usage) {
                Ok(p) => p,
                Err(e) => {
                    meta.refs = before;
                    return Err(e);
                }
            };
            if meta.refs != before {
                meta.save_refs()?;
            }
            if let Some(id) = &plan.delete_image {
                meta.remove_image_file(id)?;
                meta.images.remove(id);
                info!(image = %id, "image deleted");
            }
            plan.items
        };
        if items.iter().any(|i| matches!(i, DeleteItem::Deleted(_))) {
            let removed = self.gc(usage)?;
            items.extend(
                removed
                    .into_iter()
                    .map(|c| DeleteItem::Deleted(c.to_string())),
            );
        }
        Ok(items)
    }

    pub(crate) fn read_meta(&self) -> RwLockReadGuard<'_, MetaStore> {
        // A panic while holding the lock leaves the in-memory maps as consistent as the
        // files (every change is written before it is applied), so poisoning is ignored.
        self.meta.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn write_meta(&self) -> RwLockWriteGuard<'_, MetaStore> {
        self.meta.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn gc_shared(&self) -> RwLockReadGuard<'_, ()> {
        self.gc_guard.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Points `reference` at `id` and persists it.
    fn set_reference(
        &self,
        meta: &mut MetaStore,
        reference: &Reference,
        id: &Digest,
    ) -> Result<()> {
        let key = reference.to_string();
        let previous = meta.refs.insert(key.clone(), id.clone());
        if previous.as_ref() == Some(id) {
            return Ok(());
        }
        if let Err(e) = meta.save_refs() {
            match previous {
                Some(p) => meta.refs.insert(key, p),
                None => meta.refs.remove(&key),
            };
            return Err(e);
        }
        if reference.digest().is_none()
            && let Some(mut record) = meta.images.get(id).cloned()
        {
            record.last_tag_time = Some(crate::now_rfc3339());
            meta.save_image(&record)?;
            meta.images.insert(id.clone(), record);
        }
        info!(reference = %reference.familiar(), image = %id, "reference set");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn store_is_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::ImageStore>();
    }
}
