//! `docker save`: names are resolved and every blob is opened first ([`SavePlan`]), then
//! the archive is written ([`SavePlan::write_to`]).
//!
//! Opening the blobs up front has two uses: a bad name is an ordinary error before any
//! byte is sent, and the open files stay readable even if the image is deleted and its
//! blobs collected while a slow client is still reading, without holding the store's
//! collection lock for the length of a download.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;

use tracing::{debug, instrument};

use super::{
    INDEX_FILE, MANIFEST_FILE, ManifestItem, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, REPOSITORIES_FILE,
};
use crate::content::Provider;
use crate::digest::{Digest, HashingReader};
use crate::error::{Error, Result};
use crate::manifest::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Descriptor, DescriptorPlatform, Index, Manifest,
    Platform, media_types,
};
use crate::meta::{Lookup, lookup};
use crate::reference::{AnyReference, Reference, parse_any};
use crate::store::{ImageStore, ManifestKind, strict_match};
use crate::unpack::{Compression, decompress};

/// Configs carry histories; far below this.
const MAX_CONFIG_SIZE: u64 = 8 << 20;

/// What a save will write: the images, their tags, and their open blobs.
#[derive(Debug)]
pub struct SavePlan {
    images: Vec<SaveImage>,
}

#[derive(Debug)]
struct SaveImage {
    id: Digest,
    config: Vec<u8>,
    platform: Platform,
    /// Seconds since the epoch of the config's `created` (Docker dates the blobs with it).
    mtime: u64,
    tags: Vec<Reference>,
    layers: Vec<SaveLayer>,
}

#[derive(Debug)]
struct SaveLayer {
    diff_id: Digest,
    blob: Digest,
    file: File,
}

impl ImageStore {
    /// Resolves `names` as `docker save` does and opens what the archive needs. A name
    /// with a tag saves that tag; a repository name alone saves every tag of it; an ID,
    /// an ID prefix or a digest reference saves the image without tags. Several names of
    /// one image give one image with all their tags.
    ///
    /// With `platform` (API 1.48), each image is replaced by its manifest for that
    /// platform (the image itself, or another entry of the index it came from whose
    /// content is all here); an image that has none fails the save with Docker's words.
    #[instrument(skip(self))]
    pub fn prepare_save(&self, names: &[String], platform: Option<&Platform>) -> Result<SavePlan> {
        if names.is_empty() {
            return Err(Error::invalid("save request", "no image names given"));
        }
        let _guard = self.gc_shared();
        let (order, tags) = self.save_targets(names)?;
        let (order, tags) = match platform {
            Some(p) => self.save_platform(order, tags, p)?,
            None => (order, tags),
        };
        self.build_plan(order, tags)
    }

    /// Each image's counterpart for `wanted`, tags carried over (two images of one index
    /// may become one).
    fn save_platform(
        &self,
        order: Vec<Digest>,
        mut tags: HashMap<Digest, Vec<Reference>>,
        wanted: &Platform,
    ) -> Result<SaveTargets> {
        let mut out_order: Vec<Digest> = Vec::new();
        let mut out_tags: HashMap<Digest, Vec<Reference>> = HashMap::new();
        for id in order {
            let own = tags.remove(&id).unwrap_or_default();
            let name = own
                .first()
                .map(Reference::familiar)
                .unwrap_or_else(|| id.to_string());
            let target = self.platform_counterpart(&id, wanted)?.ok_or_else(|| {
                Error::PlatformNotProvided(format!(
                    "no suitable export target found: image with reference {name} was found but does not provide the specified platform ({})",
                    wanted.clone().normalize()
                ))
            })?;
            let entry = out_tags.entry(target.clone()).or_insert_with(|| {
                out_order.push(target.clone());
                Vec::new()
            });
            for t in own {
                if !entry.contains(&t) {
                    entry.push(t);
                }
            }
        }
        Ok((out_order, out_tags))
    }

    /// The image for `wanted` among `id` and the other entries of its index, creating
    /// the record of an entry whose content is all here but was never made an image.
    /// The caller holds the shared collection guard.
    fn platform_counterpart(&self, id: &Digest, wanted: &Platform) -> Result<Option<Digest>> {
        let (own_platform, index) = {
            let meta = self.read_meta();
            let record = meta.images.get(id).ok_or_else(|| Error::ImageNotFound {
                reference: id.to_string(),
            })?;
            (record.platform.clone(), record.index.clone())
        };
        if strict_match(wanted, &own_platform) {
            return Ok(Some(id.clone()));
        }
        let Some(found) = self.platforms(id)? else {
            return Ok(None);
        };
        let entry = found.manifests.into_iter().find(|e| {
            e.kind == ManifestKind::Image
                && e.available
                && e.platform.as_ref().is_some_and(|p| strict_match(wanted, p))
        });
        let Some(entry) = entry else {
            return Ok(None);
        };
        if let Some(image) = entry.image {
            return Ok(Some(image));
        }
        let image = self.create_unguarded(&entry.descriptor, index.as_ref())?;
        Ok(Some(image.id))
    }

    /// The images `names` resolve to, in order, with the tags each name contributes.
    fn save_targets(&self, names: &[String]) -> Result<SaveTargets> {
        let meta = self.read_meta();
        let mut order: Vec<Digest> = Vec::new();
        let mut tags: HashMap<Digest, Vec<Reference>> = HashMap::new();
        let mut add = |id: &Digest, tag: Option<Reference>| {
            let entry = tags.entry(id.clone()).or_insert_with(|| {
                order.push(id.clone());
                Vec::new()
            });
            if let Some(t) = tag
                && !entry.contains(&t)
            {
                entry.push(t);
            }
        };
        for name in names {
            match parse_any(name)? {
                AnyReference::Id(_) => add(lookup(&meta, name)?.id(), None),
                AnyReference::Named(r) if r.tag().is_none() && r.digest().is_none() => {
                    let repo = r.repository();
                    let mut found = false;
                    for (key, id) in &meta.refs {
                        let Ok(k) = Reference::parse_full(key) else {
                            continue;
                        };
                        if k.tag().is_some() && k.repository() == repo {
                            add(id, Some(k));
                            found = true;
                        }
                    }
                    if !found {
                        add(lookup(&meta, name)?.id(), None);
                    }
                }
                AnyReference::Named(_) => match lookup(&meta, name)? {
                    Lookup::Reference { id, reference } if reference.digest().is_none() => {
                        add(&id, Some(reference));
                    }
                    found => add(found.id(), None),
                },
            }
        }
        Ok((order, tags))
    }
}

/// Images in archive order and the tags each one gets.
type SaveTargets = (Vec<Digest>, HashMap<Digest, Vec<Reference>>);

impl ImageStore {
    fn build_plan(
        &self,
        order: Vec<Digest>,
        mut tags: HashMap<Digest, Vec<Reference>>,
    ) -> Result<SavePlan> {
        let meta = self.read_meta();
        let mut images = Vec::with_capacity(order.len());
        for id in order {
            let record = meta.images.get(&id).ok_or_else(|| Error::ImageNotFound {
                reference: id.to_string(),
            })?;
            if record.layers.is_empty() {
                return Err(Error::invalid(
                    "save request",
                    format!("image {id} has no layers: empty export - not implemented"),
                ));
            }
            let config = self.content().read_blob(&id, MAX_CONFIG_SIZE)?;
            let raw = crate::manifest::RawConfig::parse(config)?;
            let mut layers = Vec::with_capacity(record.layers.len());
            for l in &record.layers {
                let blob = l.blob.as_ref().ok_or_else(|| Error::BlobNotFound {
                    digest: l.diff_id.clone(),
                })?;
                let path = self.content().blob_path(&blob.digest);
                let file = File::open(&path).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Error::BlobNotFound {
                        digest: blob.digest.clone(),
                    },
                    _ => Error::io("open layer blob", &path, e),
                })?;
                layers.push(SaveLayer {
                    diff_id: l.diff_id.clone(),
                    blob: blob.digest.clone(),
                    file,
                });
            }
            let mtime = raw
                .config
                .created
                .as_deref()
                .and_then(|c| {
                    time::OffsetDateTime::parse(c, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map_or(0, |t| u64::try_from(t.unix_timestamp()).unwrap_or(0));
            images.push(SaveImage {
                tags: tags.remove(&id).unwrap_or_default(),
                platform: record.platform.clone(),
                config: raw.bytes,
                id,
                mtime,
                layers,
            });
        }
        Ok(SavePlan { images })
    }
}

impl SavePlan {
    /// The IDs of the images the archive holds (for events).
    pub fn image_ids(&self) -> Vec<Digest> {
        self.images.iter().map(|i| i.id.clone()).collect()
    }

    /// Writes the archive. Layers stored compressed are decompressed twice (once to learn
    /// the size the tar header needs and check the diff ID, once to write); layers stored
    /// as plain tars are copied once.
    #[instrument(skip_all)]
    pub fn write_to<W: Write>(self, out: W) -> Result<()> {
        let mut b = tar::Builder::new(out);
        append_dir(&mut b, "blobs/")?;
        append_dir(&mut b, "blobs/sha256/")?;
        let mut written: HashSet<Digest> = HashSet::new();
        let mut sizes: HashMap<Digest, u64> = HashMap::new();
        let mut items = Vec::new();
        let mut index = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for image in &self.images {
            let mut descriptors = Vec::with_capacity(image.layers.len());
            for layer in &image.layers {
                let size = match sizes.get(&layer.diff_id) {
                    Some(s) => *s,
                    None => {
                        let s = write_layer(&mut b, layer, image.mtime)?;
                        sizes.insert(layer.diff_id.clone(), s);
                        written.insert(layer.diff_id.clone());
                        s
                    }
                };
                descriptors.push(Descriptor::new(
                    media_types::OCI_LAYER,
                    layer.diff_id.clone(),
                    size,
                ));
            }
            if written.insert(image.id.clone()) {
                append_file(&mut b, &blob_path(&image.id), &image.config, image.mtime)?;
            }
            let platform = DescriptorPlatform::from_platform(&image.platform);
            let mut config = Descriptor::new(
                media_types::OCI_CONFIG,
                image.id.clone(),
                len(&image.config),
            );
            config.platform = Some(platform.clone());
            let manifest = Manifest {
                schema_version: 2,
                media_type: Some(media_types::OCI_MANIFEST.to_owned()),
                config,
                layers: descriptors,
                annotations: BTreeMap::new(),
            };
            let bytes =
                serde_json::to_vec(&manifest).map_err(|e| Error::json("serialise manifest", e))?;
            let digest = Digest::of(&bytes);
            if written.insert(digest.clone()) {
                append_file(&mut b, &blob_path(&digest), &bytes, 0)?;
            }
            let top = image.layers.last().map(|l| l.diff_id.hex().to_owned());
            let mut repo_tags = Vec::new();
            let mut entry = Descriptor::new(media_types::OCI_MANIFEST, digest, len(&bytes));
            entry.platform = Some(platform);
            for tag in &image.tags {
                let Some(t) = tag.tag() else { continue };
                let mut e = entry.clone();
                e.annotations
                    .insert(ANNOTATION_IMAGE_NAME.to_owned(), tag.to_string());
                e.annotations
                    .insert(ANNOTATION_REF_NAME.to_owned(), t.to_owned());
                index.push(e);
                repo_tags.push(tag.familiar());
                if let Some(top) = &top {
                    repositories
                        .entry(tag.familiar_name())
                        .or_default()
                        .insert(t.to_owned(), top.clone());
                }
            }
            if repo_tags.is_empty() {
                // Docker lists untagged images only in manifest.json; an entry without
                // annotations keeps the OCI layout complete for OCI tools.
                index.push(entry);
            }
            items.push(ManifestItem {
                config: blob_path(&image.id),
                repo_tags,
                layers: image.layers.iter().map(|l| blob_path(&l.diff_id)).collect(),
                layer_sources: None,
            });
        }
        let index = Index {
            schema_version: 2,
            media_type: Some(media_types::OCI_INDEX.to_owned()),
            manifests: index,
            annotations: BTreeMap::new(),
        };
        append_file(&mut b, INDEX_FILE, &json("index.json", &index)?, 0)?;
        let mut manifest = json("manifest.json", &items)?;
        manifest.push(b'\n');
        append_file(&mut b, MANIFEST_FILE, &manifest, 0)?;
        append_file(&mut b, OCI_LAYOUT_FILE, OCI_LAYOUT_CONTENT, 0)?;
        if !repositories.is_empty() {
            let mut repos = json("repositories", &repositories)?;
            repos.push(b'\n');
            append_file(&mut b, REPOSITORIES_FILE, &repos, 0)?;
        }
        let mut out = b.into_inner().map_err(write_err)?;
        out.flush().map_err(write_err)?;
        debug!(images = self.images.len(), "archive written");
        Ok(())
    }
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::json(format!("serialise {what}"), e))
}

fn blob_path(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

fn len(b: &[u8]) -> u64 {
    b.len() as u64
}

fn write_err(source: io::Error) -> Error {
    Error::Read {
        what: "write the archive".to_owned(),
        source,
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn append_dir<W: Write>(b: &mut tar::Builder<W>, path: &str) -> Result<()> {
    let mut h = header(tar::EntryType::Directory, 0o755, 0, 0);
    b.append_data(&mut h, path, io::empty()).map_err(write_err)
}

fn append_file<W: Write>(
    b: &mut tar::Builder<W>,
    path: &str,
    data: &[u8],
    mtime: u64,
) -> Result<()> {
    let mut h = header(tar::EntryType::Regular, 0o644, len(data), mtime);
    b.append_data(&mut h, path, data).map_err(write_err)
}

/// Reads a file from an offset without moving a shared cursor, so one open blob serves
/// both passes over a compressed layer.
struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

fn blob_read_err(l: &SaveLayer) -> impl Fn(io::Error) -> Error + '_ {
    move |source| Error::Read {
        what: format!("layer blob {}", l.blob),
        source,
    }
}

/// Writes one layer as an uncompressed tar named by its diff ID; returns its size.
fn write_layer<W: Write>(b: &mut tar::Builder<W>, l: &SaveLayer, mtime: u64) -> Result<u64> {
    let at = || At {
        file: &l.file,
        pos: 0,
    };
    let (compression, stream) = decompress(at())?;
    let size = if compression == Compression::None {
        drop(stream);
        l.file.metadata().map_err(blob_read_err(l))?.len()
    } else {
        let (digest, size) = HashingReader::new(stream)
            .finish()
            .map_err(blob_read_err(l))?;
        check(l, &digest)?;
        size
    };
    let (_, stream) = decompress(at())?;
    let mut hashed = HashingReader::new(stream.take(size));
    let mut h = header(tar::EntryType::Regular, 0o644, size, mtime);
    b.append_data(&mut h, blob_path(&l.diff_id), &mut hashed)
        .map_err(write_err)?;
    let (digest, n) = hashed.finish().map_err(blob_read_err(l))?;
    if n != size {
        return Err(Error::SizeMismatch {
            what: format!("layer {}", l.diff_id),
            expected: size,
            actual: n,
        });
    }
    check(l, &digest)?;
    Ok(size)
}

fn check(l: &SaveLayer, actual: &Digest) -> Result<()> {
    if *actual != l.diff_id {
        return Err(Error::DigestMismatch {
            what: format!("layer blob {}", l.blob),
            expected: l.diff_id.clone(),
            actual: actual.clone(),
        });
    }
    Ok(())
}
