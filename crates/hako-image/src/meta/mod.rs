//! Image records and references, persisted under `<root>/meta/`.
//!
//! - `meta/images/<id-hex>.json`: one [`ImageRecord`] per image (its config lives in the
//!   content store under the same digest).
//! - `meta/references.json`: every tag and digest reference (full form,
//!   `docker.io/library/busybox:latest`) and the image ID it names.
//!
//! Each file is written with temp + fsync + rename. Records are written before the
//! references that point at them and removed after, so a crash leaves at worst an image
//! without tags, never a tag without an image; [`MetaStore::load`] drops references to
//! missing images anyway.

mod delete;
mod resolve;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracing::warn;

pub use delete::DeleteConflict;
pub(crate) use delete::plan_delete;
pub(crate) use resolve::{Lookup, lookup};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::image::Layer;
use crate::manifest::{Descriptor, Platform};
use crate::reference::Reference;

/// What the store remembers about an image besides its config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The config digest.
    pub id: Digest,
    /// Normalised platform of the config.
    pub platform: Platform,
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
    /// The manifest this image came from, when the store has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Descriptor>,
    /// The index the manifest was chosen from (multi-platform images), so another
    /// platform can be materialised later from local content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<Digest>,
    /// When the record was created, RFC 3339.
    pub added: String,
    /// When a tag last moved onto it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
    /// The image a commit started from (Docker's `Parent`; local only, never pushed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Digest>,
}

impl ImageRecord {
    /// Sum of layer content sizes.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ReferencesFile {
    references: BTreeMap<String, Digest>,
}

/// In-memory image records and references, and their files.
#[derive(Debug)]
pub(crate) struct MetaStore {
    dir: PathBuf,
    pub(crate) images: BTreeMap<Digest, ImageRecord>,
    /// Full reference string → image ID.
    pub(crate) refs: BTreeMap<String, Digest>,
}

impl MetaStore {
    /// Loads everything from `dir` (creating it if needed).
    pub(crate) fn load(dir: &Path) -> Result<MetaStore> {
        let images_dir = dir.join("images");
        fsutil::create_dir_all(&images_dir)?;
        let mut images = BTreeMap::new();
        let entries = fs::read_dir(&images_dir)
            .map_err(|e| Error::io("list image records", &images_dir, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue; // temp files of an interrupted write
            }
            let bytes = fs::read(&path).map_err(|e| Error::io("read image record", &path, e))?;
            match serde_json::from_slice::<ImageRecord>(&bytes) {
                Ok(r) => {
                    images.insert(r.id.clone(), r);
                }
                Err(e) => {
                    warn!(path = %path.display(), error = %e, "skipping unreadable image record")
                }
            }
        }
        let refs_path = dir.join("references.json");
        let mut refs = match fs::read(&refs_path) {
            Ok(bytes) => {
                serde_json::from_slice::<ReferencesFile>(&bytes)
                    .map_err(|e| Error::json(format!("parse {}", refs_path.display()), e))?
                    .references
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::io("read references", &refs_path, e)),
        };
        refs.retain(|r, id| {
            let keep = images.contains_key(id);
            if !keep {
                warn!(reference = %r, image = %id, "dropping reference to a missing image");
            }
            keep
        });
        Ok(MetaStore {
            dir: dir.to_owned(),
            images,
            refs,
        })
    }

    /// Writes one image record.
    pub(crate) fn save_image(&self, record: &ImageRecord) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| Error::json("serialise image record", e))?;
        fsutil::atomic_write(&self.record_path(&record.id), &bytes)
    }

    /// Removes one image record file.
    pub(crate) fn remove_image_file(&self, id: &Digest) -> Result<()> {
        let path = self.record_path(id);
        match fs::remove_file(&path) {
            Ok(()) => fsutil::sync_dir(&self.dir.join("images")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("remove image record", path, e)),
        }
    }

    /// Writes the references file.
    pub(crate) fn save_refs(&self) -> Result<()> {
        let file = ReferencesFile {
            references: self.refs.clone(),
        };
        let bytes =
            serde_json::to_vec_pretty(&file).map_err(|e| Error::json("serialise references", e))?;
        fsutil::atomic_write(&self.dir.join("references.json"), &bytes)
    }

    fn record_path(&self, id: &Digest) -> PathBuf {
        self.dir.join("images").join(format!("{}.json", id.hex()))
    }

    /// References naming `id`, parsed, in stable order.
    pub(crate) fn references_to(&self, id: &Digest) -> Vec<Reference> {
        self.refs
            .iter()
            .filter(|(_, target)| *target == id)
            .filter_map(|(r, _)| Reference::parse_full(r).ok())
            .collect()
    }

    /// Familiar tags and digests of `id`, each sorted.
    pub(crate) fn familiar_refs(&self, id: &Digest) -> (Vec<String>, Vec<String>) {
        let mut tags = Vec::new();
        let mut digests = Vec::new();
        for r in self.references_to(id) {
            if r.digest().is_some() {
                digests.push(r.familiar());
            } else {
                tags.push(r.familiar());
            }
        }
        tags.sort();
        digests.sort();
        (tags, digests)
    }
}
