//! `docker load`: one pass over the archive into memory and the content store, then one
//! image per `manifest.json` entry (or per `index.json` entry for a plain OCI archive).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};

use tracing::{info, instrument, warn};

use super::{INDEX_FILE, MANIFEST_FILE, ManifestItem};
use crate::content::{Expected, Ingester, Manager, Provider};
use crate::digest::{Digest, HashingReader};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::manifest::{
    self, ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Descriptor, Index, Manifest, Parsed,
    Platform, RawConfig, media_types, select_manifest,
};
use crate::meta::lookup;
use crate::reference::Reference;
use crate::store::{ImageStore, strict_match};
use crate::unpack::{Compression, decompress, read_error};

/// Files up to this size are kept in memory (manifests, configs, legacy `json` files);
/// larger ones are layers and go to the content store as they stream by.
const SMALL_FILE: u64 = 1 << 20;
/// The most small-file bytes kept in memory; past it, small files go to the store too.
const SMALL_BUDGET: u64 = 64 << 20;
/// Symlinks followed in a row before the archive is called malformed.
const MAX_LINKS: usize = 16;

/// What a load produced, in archive order: Docker prints one line per item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// `Loaded image: busybox:latest` (familiar form). `replaced` is the image the tag
    /// named before, when it was another one (Docker prints a line about renaming it).
    Tagged {
        /// The tag, familiar form.
        reference: String,
        /// The image ID the tag pointed at before.
        replaced: Option<Digest>,
        /// The image now tagged.
        id: Digest,
    },
    /// `Loaded image ID: sha256:...` for an image without tags in the archive.
    Untagged(Digest),
}

/// A layer's progress while a load reads it (Docker's `Loading layer` lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerProgress {
    /// Short ID: the first 12 hex digits of the layer's name in the archive.
    pub id: String,
    /// Bytes read so far.
    pub current: u64,
    /// The layer's size in the archive.
    pub total: u64,
}

/// Progress is reported at most this often per layer (bytes), besides its last byte.
const PROGRESS_STEP: u64 = 512 << 10;

/// A file of the archive, by its normalised path.
enum Stored {
    Memory(Vec<u8>),
    Blob(Digest),
    /// A symlink or hard link, with its target as a normalised archive path.
    Link(String),
}

struct Archive {
    files: HashMap<String, Stored>,
    /// Files whose progress was reported as they streamed by.
    streamed: HashSet<String>,
}

impl ImageStore {
    /// Loads every image of a `docker save` archive (either format, plain or gzip/zstd
    /// compressed) and tags them as the archive says. Every layer is checked against its
    /// config's diff ID. On error no image or tag is created; blobs already streamed into
    /// the content store stay until the next garbage collection.
    ///
    /// With `platform` (API 1.48) only images for that platform are loaded: from a
    /// multi-platform OCI index in the archive its entry for the platform, from
    /// `manifest.json` the entries whose config names it. Nothing for it fails with
    /// Docker's words. `progress` hears about each layer as it is read.
    #[instrument(skip_all)]
    pub fn load_archive<R: Read + Send>(
        &self,
        reader: R,
        platform: Option<&Platform>,
        progress: &mut dyn FnMut(LayerProgress),
    ) -> Result<Vec<Loaded>> {
        let _guard = self.gc_shared();
        let archive = self.read_archive(reader, progress)?;
        let mut out = Vec::new();
        if let Some(p) = platform
            && archive.files.contains_key(INDEX_FILE)
            && archive.has_nested_index(self)?
        {
            out = self.load_oci_index(&archive, Some(p))?;
        } else if archive.files.contains_key(MANIFEST_FILE) {
            let bytes = archive.small(self, MANIFEST_FILE)?;
            let items: Vec<ManifestItem> = serde_json::from_slice(&bytes)
                .map_err(|e| Error::invalid("archive", format!("manifest.json: {e}")))?;
            let mut items = items;
            if let Some(p) = platform {
                let mut kept = Vec::new();
                for item in items {
                    let raw =
                        RawConfig::parse(archive.small(self, &item.config)?).map_err(|e| {
                            Error::invalid("archive", format!("config {}: {e}", item.config))
                        })?;
                    if strict_match(p, &raw.config.platform()) {
                        kept.push(item);
                    }
                }
                if kept.is_empty() {
                    // moby's words.
                    return Err(Error::PlatformNotProvided(format!(
                        "no images providing the requested platform {} found",
                        p.clone().normalize()
                    )));
                }
                items = kept;
            }
            for item in &items {
                for layer in &item.layers {
                    if normalise(layer).is_some_and(|p| archive.streamed.contains(&p)) {
                        continue;
                    }
                    let total = archive.size(self, layer)?;
                    progress(LayerProgress {
                        id: progress_id(layer),
                        current: total,
                        total,
                    });
                }
            }
            let tags = items
                .iter()
                .map(|i| i.repo_tags.iter().map(|t| parse_tag(t)).collect())
                .collect::<Result<Vec<Vec<Reference>>>>()?;
            // Every image is created before any tag moves; if one fails, the images this
            // load created are forgotten again, so a failed load shows nothing.
            let mut created: Vec<(Image, bool)> = Vec::new();
            for item in &items {
                let existed = |s: &Self, a: &Archive| -> Result<bool> {
                    let raw = a.small(s, &item.config)?;
                    Ok(s.read_meta().images.contains_key(&Digest::of(&raw)))
                };
                let result =
                    existed(self, &archive).and_then(|e| Ok((self.load_item(&archive, item)?, e)));
                match result {
                    Ok(c) => created.push(c),
                    Err(e) => {
                        self.forget_new(created.iter().filter(|(_, e)| !e).map(|(i, _)| &i.id));
                        return Err(e);
                    }
                }
            }
            for ((image, _), tags) in created.into_iter().zip(tags) {
                if tags.is_empty() {
                    out.push(Loaded::Untagged(image.id.clone()));
                }
                for tag in tags {
                    out.push(self.tag_loaded(&tag, &image.id)?);
                }
            }
        } else if archive.files.contains_key(INDEX_FILE) {
            out = self.load_oci_index(&archive, platform)?;
        } else {
            return Err(Error::invalid(
                "archive",
                "neither manifest.json nor index.json found: not a docker save archive",
            ));
        }
        Ok(out)
    }

    /// Streams the outer tar: small files into memory, the rest into the content store.
    fn read_archive<R: Read + Send>(
        &self,
        reader: R,
        progress: &mut dyn FnMut(LayerProgress),
    ) -> Result<Archive> {
        let (_, stream) = decompress(reader)?;
        let mut tar = tar::Archive::new(stream);
        let mut files = HashMap::new();
        let mut streamed = HashSet::new();
        let mut in_memory = 0u64;
        let entries = tar.entries().map_err(|e| read_error("archive", e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| read_error("archive entry", e))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(path) = normalise(&raw) else {
                return Err(Error::unpack(raw, "path leaves the archive"));
            };
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                // Symlinks are relative to their directory, hard links to the root.
                let joined = match (kind.is_symlink(), path.rsplit_once('/')) {
                    (true, _) if target.starts_with('/') => None,
                    (true, Some((dir, _))) => normalise(&format!("{dir}/{target}")),
                    _ => normalise(&target),
                };
                let Some(resolved) = joined else {
                    return Err(Error::unpack(
                        raw,
                        format!("link target {target:?} leaves the archive"),
                    ));
                };
                files.insert(path, Stored::Link(resolved));
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let size = entry.size();
            if size <= SMALL_FILE && in_memory + size <= SMALL_BUDGET {
                let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| read_error("archive entry", e))?;
                in_memory += size;
                files.insert(path, Stored::Memory(buf));
                continue;
            }
            // `blobs/sha256/<hex>` names its digest: a blob already stored is not
            // written again (the store's copy is by definition the same bytes).
            let named = path
                .strip_prefix("blobs/sha256/")
                .and_then(|h| Digest::from_hex(h).ok());
            if let Some(d) = &named
                && self.content().contains(d)
            {
                files.insert(path, Stored::Blob(d.clone()));
                continue;
            }
            let expected = match &named {
                Some(d) => Expected::exact(d.clone(), size),
                None => Expected::any(),
            };
            let mut w = self
                .content()
                .writer(&format!("load-{:016x}", rand::random::<u64>()), expected)?;
            let mut counted = Counted {
                inner: &mut entry,
                id: progress_id(&path),
                read: 0,
                reported: 0,
                total: size,
                progress: &mut *progress,
            };
            io::copy(&mut counted, &mut w).map_err(|e| read_error("archive entry", e))?;
            let digest = w.commit()?;
            streamed.insert(path.clone());
            files.insert(path, Stored::Blob(digest));
        }
        Ok(Archive { files, streamed })
    }

    /// Creates the image of one `manifest.json` entry.
    fn load_item(&self, archive: &Archive, item: &ManifestItem) -> Result<Image> {
        let raw = RawConfig::parse(archive.small(self, &item.config)?)
            .map_err(|e| Error::invalid("archive", format!("config {}: {e}", item.config)))?;
        let diff_ids = &raw.config.rootfs.diff_ids;
        if diff_ids.len() != item.layers.len() {
            // moby's words.
            return Err(Error::invalid(
                "manifest",
                format!(
                    "layers length mismatch: expected {}, got {}",
                    diff_ids.len(),
                    item.layers.len()
                ),
            ));
        }
        if raw.config.os != "linux" {
            return Err(Error::invalid(
                "archive",
                format!(
                    "image {}: os {:?} is not supported",
                    raw.id(),
                    raw.config.os
                ),
            ));
        }
        let mut layers = Vec::with_capacity(diff_ids.len());
        let chains = crate::snapshot::chain_ids(diff_ids);
        for ((path, diff_id), chain) in item.layers.iter().zip(diff_ids).zip(&chains) {
            let blob = archive.blob(self, path)?;
            let compression = self.blob_compression(&blob)?;
            if self.snapshots().exists(chain) {
                // The unpack below checks new layers; a layer already unpacked is still
                // checked, since its blob from the archive is what the image will keep.
                self.check_diff_id(&blob, diff_id)?;
            }
            let size = self.content().info(&blob)?.size;
            layers.push(Descriptor::new(compression.oci_media_type(), blob, size));
        }
        let id = raw.id();
        self.content().write_blob(
            &raw.bytes,
            Expected::exact(id.clone(), raw.bytes.len() as u64),
        )?;
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(media_types::OCI_MANIFEST.to_owned()),
            config: Descriptor::new(media_types::OCI_CONFIG, id, raw.bytes.len() as u64),
            layers,
            annotations: BTreeMap::new(),
        };
        let bytes =
            serde_json::to_vec(&manifest).map_err(|e| Error::json("serialise manifest", e))?;
        let digest = Digest::of(&bytes);
        self.content()
            .write_blob(&bytes, Expected::exact(digest.clone(), bytes.len() as u64))?;
        let desc = Descriptor::new(media_types::OCI_MANIFEST, digest, bytes.len() as u64);
        let image = self.create_unguarded(&desc, None)?;
        info!(image = %image.id, "image loaded");
        Ok(image)
    }

    /// A plain OCI archive: the blobs are in the store already; every `index.json` entry
    /// becomes an image, tagged from its annotations.
    fn load_oci_index(
        &self,
        archive: &Archive,
        platform: Option<&Platform>,
    ) -> Result<Vec<Loaded>> {
        let index: Index = serde_json::from_slice(&archive.small(self, INDEX_FILE)?)
            .map_err(|e| Error::invalid("archive", format!("index.json: {e}")))?;
        // Small blobs were kept in memory; the store needs them for the manifests.
        for (path, stored) in &archive.files {
            if let (Some(hex), Stored::Memory(bytes)) = (path.strip_prefix("blobs/sha256/"), stored)
            {
                let d = Digest::from_hex(hex)
                    .map_err(|_| Error::invalid("archive", format!("blob name {path}")))?;
                self.content()
                    .write_blob(bytes, Expected::exact(d, bytes.len() as u64))?;
            }
        }
        let mut out = Vec::new();
        for entry in &index.manifests {
            let image = if media_types::is_index(&entry.media_type) {
                let bytes = self.content().read_blob(&entry.digest, 4 << 20)?;
                let Parsed::Index(inner) = manifest::parse(Some(&entry.media_type), &bytes)? else {
                    return Err(Error::invalid(
                        "index",
                        format!("{} is not an index", entry.digest),
                    ));
                };
                let chosen = match platform {
                    None => select_manifest(&inner, &Platform::host())?,
                    Some(p) => {
                        let wanted = p.clone().normalize();
                        // containerd's words, as moby passes them on.
                        let chosen = inner
                            .manifests
                            .iter()
                            .find(|d| {
                                d.platform
                                    .as_ref()
                                    .is_some_and(|dp| strict_match(p, &dp.to_platform()))
                            })
                            .ok_or_else(|| {
                                Error::PlatformNotProvided(format!(
                                    "requested platform ({wanted}) not found"
                                ))
                            })?;
                        if !self.manifest_is_local(chosen)? {
                            return Err(Error::PlatformNotProvided(format!(
                                "requested platform ({wanted}) found, but some content is missing"
                            )));
                        }
                        chosen
                    }
                };
                self.create_unguarded(chosen, Some(&entry.digest))?
            } else {
                if let Some(p) = platform
                    && !self
                        .manifest_platform(entry)?
                        .is_some_and(|own| strict_match(p, &own))
                {
                    continue;
                }
                self.create_unguarded(entry, None)?
            };
            let name = entry
                .annotations
                .get(ANNOTATION_IMAGE_NAME)
                .or_else(|| entry.annotations.get(ANNOTATION_REF_NAME))
                .and_then(|n| Reference::parse_normalized(n).ok())
                .filter(|r| r.tag().is_some());
            match name {
                Some(r) => out.push(self.tag_loaded(&r, &image.id)?),
                None => out.push(Loaded::Untagged(image.id.clone())),
            }
        }
        Ok(out)
    }

    /// The platform a single manifest's config names, if manifest and config are here.
    fn manifest_platform(&self, desc: &Descriptor) -> Result<Option<Platform>> {
        if !self.content().contains(&desc.digest) {
            return Ok(None);
        }
        let bytes = self.content().read_blob(&desc.digest, 4 << 20)?;
        let Parsed::Manifest(m) = manifest::parse(Some(&desc.media_type), &bytes)? else {
            return Ok(None);
        };
        if !self.content().contains(&m.config.digest) {
            return Ok(None);
        }
        let raw = RawConfig::parse(self.content().read_blob(&m.config.digest, 8 << 20)?)?;
        Ok(Some(raw.config.platform()))
    }

    /// Drops the records of images a failed load created; their blobs and snapshots go
    /// at the next collection.
    fn forget_new<'a>(&self, ids: impl Iterator<Item = &'a Digest>) {
        let mut meta = self.write_meta();
        for id in ids {
            if let Err(e) = meta.remove_image_file(id) {
                warn!(image = %id, error = %e, "cannot remove the record of a failed load");
                continue;
            }
            meta.images.remove(id);
        }
    }

    fn tag_loaded(&self, tag: &Reference, id: &Digest) -> Result<Loaded> {
        let before = {
            let meta = self.read_meta();
            lookup(&meta, &tag.to_string())
                .ok()
                .filter(|l| matches!(l, crate::meta::Lookup::Reference { .. }))
                .map(|l| l.id().clone())
        };
        self.add_reference(tag, id)?;
        Ok(Loaded::Tagged {
            reference: tag.familiar(),
            replaced: before.filter(|b| b != id),
            id: id.clone(),
        })
    }

    fn blob_compression(&self, blob: &Digest) -> Result<Compression> {
        let (c, _) = decompress(self.content().reader(blob)?)?;
        Ok(c)
    }

    /// Decompresses and hashes a stored layer blob.
    fn check_diff_id(&self, blob: &Digest, diff_id: &Digest) -> Result<()> {
        let (_, stream) = decompress(self.content().reader(blob)?)?;
        let (actual, _) = HashingReader::new(stream)
            .finish()
            .map_err(|e| read_error("layer", e))?;
        if actual != *diff_id {
            return Err(Error::DigestMismatch {
                what: "layer diff_id".to_owned(),
                expected: diff_id.clone(),
                actual,
            });
        }
        Ok(())
    }
}

impl Archive {
    /// Whether `index.json` has an entry that is itself an index (a multi-platform image,
    /// as Docker 25+ with the containerd store and OCI tools write them).
    fn has_nested_index(&self, store: &ImageStore) -> Result<bool> {
        let index: Index = serde_json::from_slice(&self.small(store, INDEX_FILE)?)
            .map_err(|e| Error::invalid("archive", format!("index.json: {e}")))?;
        Ok(index
            .manifests
            .iter()
            .any(|d| media_types::is_index(&d.media_type)))
    }

    /// A file's size, following links.
    fn size(&self, store: &ImageStore, path: &str) -> Result<u64> {
        match self.resolve(path)? {
            Stored::Memory(b) => Ok(b.len() as u64),
            Stored::Blob(d) => Ok(store.content().info(d)?.size),
            Stored::Link(_) => Err(Error::invalid("archive", format!("{path}: too many links"))),
        }
    }

    /// Follows links to the stored file.
    fn resolve(&self, path: &str) -> Result<&Stored> {
        let mut p = normalise(path).ok_or_else(|| {
            Error::invalid("archive", format!("path {path:?} leaves the archive"))
        })?;
        for _ in 0..MAX_LINKS {
            match self.files.get(&p) {
                Some(Stored::Link(target)) => p = target.clone(),
                Some(s) => return Ok(s),
                None => {
                    return Err(Error::invalid(
                        "archive",
                        format!("{path} is named in the manifest but missing"),
                    ));
                }
            }
        }
        Err(Error::invalid("archive", format!("{path}: too many links")))
    }

    /// A small file's bytes (manifests, configs).
    fn small(&self, store: &ImageStore, path: &str) -> Result<Vec<u8>> {
        match self.resolve(path)? {
            Stored::Memory(b) => Ok(b.clone()),
            Stored::Blob(d) => store.content().read_blob(d, 8 << 20),
            Stored::Link(_) => Err(Error::invalid("archive", format!("{path}: too many links"))),
        }
    }

    /// A file as a blob in the content store (small layers were kept in memory).
    fn blob(&self, store: &ImageStore, path: &str) -> Result<Digest> {
        match self.resolve(path)? {
            Stored::Blob(d) => Ok(d.clone()),
            Stored::Memory(b) => store
                .content()
                .write_blob(b, Expected::exact(Digest::of(b), b.len() as u64)),
            Stored::Link(_) => Err(Error::invalid("archive", format!("{path}: too many links"))),
        }
    }
}

/// A reader that reports a layer's progress as the archive streams it into the store.
struct Counted<'a, R> {
    inner: R,
    id: String,
    read: u64,
    reported: u64,
    total: u64,
    progress: &'a mut dyn FnMut(LayerProgress),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let step = PROGRESS_STEP.max(self.total / 100);
        if self.read - self.reported >= step || (n == 0 && self.reported < self.read) {
            self.reported = self.read;
            (self.progress)(LayerProgress {
                id: self.id.clone(),
                current: self.read,
                total: self.total,
            });
        }
        Ok(n)
    }
}

/// The short ID Docker shows for a layer: 12 hex digits of its name in the archive
/// (`blobs/sha256/<hex>`, or the legacy `<v1 id>/layer.tar`).
fn progress_id(path: &str) -> String {
    let name = match path.rsplit_once('/') {
        Some((dir, "layer.tar")) => dir.rsplit('/').next().unwrap_or(dir),
        Some((_, file)) => file,
        None => path,
    };
    name.chars().take(12).collect()
}

/// A `RepoTags` entry: a reference with a tag (moby refuses anything else).
fn parse_tag(t: &str) -> Result<Reference> {
    let r = Reference::parse_normalized(t)?;
    if r.tag().is_none() || r.digest().is_some() {
        warn!(tag = t, "archive tag without a tag part");
        return Err(Error::invalid("tag", format!("{t:?} in manifest.json")));
    }
    Ok(r)
}

/// `./a/b`, `/a//b/` → `a/b`; `None` when `..` climbs above the root.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn paths_are_normalised_and_escapes_refused() {
        assert_eq!(normalise("./a/b").as_deref(), Some("a/b"));
        assert_eq!(normalise("/a//b/").as_deref(), Some("a/b"));
        assert_eq!(normalise("a/../b").as_deref(), Some("b"));
        assert_eq!(normalise("../etc/passwd"), None);
        assert_eq!(normalise("a/../../b"), None);
    }
}
