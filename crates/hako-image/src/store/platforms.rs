//! The platforms of a local image: the index it was pulled or loaded from (kept in its
//! record) and, for each entry, whether it is here. This is what Docker 28 answers with
//! `manifests=1` on image list and inspect, and what `hako image inspect --platforms`
//! prints.

use crate::content::{Manager, Provider};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::manifest::{self, Descriptor, Manifest, Parsed, Platform, RawConfig, media_types};
use crate::meta::MetaStore;

use super::ImageStore;
use super::create::{MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE};

/// Annotation buildkit puts on attestation manifests in an index (`attestation-manifest`).
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
/// Annotation naming the image manifest an attestation is about.
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

/// What a manifest entry holds (Docker's `ManifestKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// A runnable image for a platform.
    Image,
    /// A build attestation (provenance, SBOM) for another entry.
    Attestation,
    /// Anything else (`unknown/unknown` entries, manifests without image layers).
    Unknown,
}

impl ManifestKind {
    /// Docker's word: `image`, `attestation`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestKind::Image => "image",
            ManifestKind::Attestation => "attestation",
            ManifestKind::Unknown => "unknown",
        }
    }
}

/// One manifest of an image, local or not.
#[derive(Debug, Clone)]
pub struct ManifestEntry {
    /// The manifest's descriptor as the index lists it (with its platform), or the
    /// image's own manifest for a single-platform image.
    pub descriptor: Descriptor,
    /// Manifest, config and every layer blob are in the content store.
    pub available: bool,
    /// Bytes of this manifest's blobs (itself, config, layers) that are present.
    pub content_size: u64,
    /// What the entry is.
    pub kind: ManifestKind,
    /// For images: the descriptor's platform, else the config's.
    pub platform: Option<Platform>,
    /// For attestations: the manifest they are about.
    pub attestation_for: Option<Digest>,
    /// The local image made from this manifest, if there is one.
    pub image: Option<Digest>,
    /// Bytes of that image's unpacked layers (0 without an image).
    pub unpacked_size: u64,
}

/// An image's top descriptor (its index, or its manifest) and every manifest under it.
#[derive(Debug, Clone)]
pub struct ImagePlatforms {
    /// The index or list the image came from, or its manifest.
    pub descriptor: Descriptor,
    /// Entries in index order; one for a single-platform image.
    pub manifests: Vec<ManifestEntry>,
}

impl ImageStore {
    /// The platforms of the image `id` (see the module doc). `Ok(None)` for an image
    /// without a stored manifest.
    pub fn platforms(&self, id: &Digest) -> Result<Option<ImagePlatforms>> {
        let meta = self.read_meta();
        let record = meta.images.get(id).ok_or_else(|| Error::ImageNotFound {
            reference: id.to_string(),
        })?;
        let Some(own) = record.manifest.clone() else {
            return Ok(None);
        };
        if let Some(index_digest) = &record.index
            && let Some(found) = self.index_platforms(&meta, index_digest)?
        {
            return Ok(Some(found));
        }
        let entry = self.manifest_entry(&meta, &own)?;
        Ok(Some(ImagePlatforms {
            descriptor: own,
            manifests: vec![entry],
        }))
    }

    /// The entries of a stored index; `None` when the index blob is gone.
    fn index_platforms(&self, meta: &MetaStore, digest: &Digest) -> Result<Option<ImagePlatforms>> {
        if !self.content.contains(digest) {
            return Ok(None);
        }
        let bytes = self.content.read_blob(digest, MAX_MANIFEST_SIZE)?;
        let Parsed::Index(index) = manifest::parse(None, &bytes)? else {
            return Ok(None);
        };
        let media_type = index
            .media_type
            .clone()
            .unwrap_or_else(|| media_types::OCI_INDEX.to_owned());
        let descriptor = Descriptor::new(&media_type, digest.clone(), bytes.len() as u64);
        let manifests = index
            .manifests
            .iter()
            .filter(|d| media_types::is_manifest(&d.media_type))
            .map(|d| self.manifest_entry(meta, d))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ImagePlatforms {
            descriptor,
            manifests,
        }))
    }

    /// One entry, classified as moby's containerd image service does: attestations by
    /// their annotation, `unknown/unknown` and layer-less pseudo images as unknown, the
    /// rest as images (also when the manifest itself is not here).
    fn manifest_entry(&self, meta: &MetaStore, desc: &Descriptor) -> Result<ManifestEntry> {
        let manifest = self.local_manifest(desc)?;
        let mut content_size = 0;
        let mut available = manifest.is_some();
        if let Some(m) = &manifest {
            content_size += desc.size;
            for blob in std::iter::once(&m.config).chain(&m.layers) {
                match self.content.info(&blob.digest) {
                    Ok(info) => content_size += info.size,
                    Err(_) => available = false,
                }
            }
        }
        let desc_platform = desc.platform.as_ref().map(|p| p.to_platform());
        let mut entry = ManifestEntry {
            descriptor: desc.clone(),
            available,
            content_size,
            kind: ManifestKind::Unknown,
            platform: None,
            attestation_for: None,
            image: None,
            unpacked_size: 0,
        };
        if desc.annotations.contains_key(REFERENCE_TYPE) {
            if let Some(d) = desc.annotations.get(REFERENCE_DIGEST)
                && let Ok(d) = d.parse::<Digest>()
            {
                entry.kind = ManifestKind::Attestation;
                entry.attestation_for = Some(d);
            }
            return Ok(entry);
        }
        if desc_platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
        {
            return Ok(entry);
        }
        if let Some(m) = &manifest
            && !m.layers.is_empty()
            && !m
                .layers
                .iter()
                .any(|l| media_types::is_layer(&l.media_type))
        {
            return Ok(entry);
        }
        entry.kind = ManifestKind::Image;
        entry.platform = desc_platform;
        if let Some(m) = &manifest
            && self.content.contains(&m.config.digest)
        {
            let raw = RawConfig::parse(self.content.read_blob(&m.config.digest, MAX_CONFIG_SIZE)?)?;
            if entry.platform.is_none() && !raw.config.os.is_empty() {
                entry.platform = Some(raw.config.platform());
            }
        }
        // Loads and commits write their own manifests, so the config alone does not say
        // which record came from this entry.
        if let Some(record) = meta
            .images
            .values()
            .find(|r| r.manifest.as_ref().is_some_and(|r| r.digest == desc.digest))
        {
            entry.image = Some(record.id.clone());
            entry.unpacked_size = record.size();
        }
        Ok(entry)
    }

    fn local_manifest(&self, desc: &Descriptor) -> Result<Option<Manifest>> {
        if !self.content.contains(&desc.digest) {
            return Ok(None);
        }
        let bytes = self.content.read_blob(&desc.digest, MAX_MANIFEST_SIZE)?;
        match manifest::parse(Some(&desc.media_type), &bytes)? {
            Parsed::Manifest(m) => Ok(Some(m)),
            Parsed::Index(_) => Ok(None),
        }
    }
}

/// containerd's `OnlyStrict` matcher: the same OS, architecture and variant once both
/// are normalised (`arm64` is `arm64/v8`); no fallback to compatible platforms. This is
/// what save and load with a platform use.
pub fn strict_match(wanted: &Platform, candidate: &Platform) -> bool {
    let w = wanted.clone().normalize();
    let c = candidate.clone().normalize();
    w.os == c.os && w.architecture == c.architecture && w.variant == c.variant
}
