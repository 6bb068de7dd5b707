//! The image as the engine sees it, and the small types of the store's API.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::manifest::{Descriptor, ImageConfig, Platform};

/// A local image: everything `docker inspect`, `docker images` and `docker run` need.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// The image ID: sha256 of the config bytes.
    pub id: Digest,
    /// The parsed config (entrypoint, cmd, env, workdir, user, labels...).
    pub config: ImageConfig,
    /// The platform the config declares, normalised.
    pub platform: Platform,
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
    /// Lower directories for overlayfs, topmost first (`Rootfs::lower` of the runtime).
    /// Empty for an image without layers.
    pub lower_dirs: Vec<PathBuf>,
    /// Tags in familiar form (`busybox:latest`), sorted. Empty for a dangling image.
    pub repo_tags: Vec<String>,
    /// Digest references in familiar form (`busybox@sha256:...`), sorted.
    pub repo_digests: Vec<String>,
    /// The config's `created`, RFC 3339.
    pub created: Option<String>,
    /// Total uncompressed content size of the layers, bytes (Docker's `Size`).
    pub size: u64,
    /// The manifest the image was created from, if the store has one.
    pub manifest: Option<Descriptor>,
    /// When a tag last moved onto this image, RFC 3339 (`Metadata.LastTagTime`).
    pub last_tag_time: Option<String>,
    /// The image it was committed from, if any (Docker's `Parent`).
    pub parent: Option<Digest>,
}

impl Image {
    /// Docker's 12-character short ID.
    pub fn short_id(&self) -> &str {
        self.id.short()
    }

    /// The chain ID of the top layer: the one snapshot a container's root depends on
    /// (its parents follow). `None` for an image without layers.
    pub fn top_chain_id(&self) -> Option<&Digest> {
        self.layers.last().map(|l| &l.chain_id)
    }

    /// `repo_tags`, or Docker's `["<none>:<none>"]` for a dangling image (API < 1.43 and the
    /// CLI's table show that; newer API versions send an empty list).
    pub fn repo_tags_or_none(&self) -> Vec<String> {
        if self.repo_tags.is_empty() && self.repo_digests.is_empty() {
            vec!["<none>:<none>".to_owned()]
        } else {
            self.repo_tags.clone()
        }
    }

    /// `repo_digests`, or `["<none>@<none>"]` for a dangling image (as above).
    pub fn repo_digests_or_none(&self) -> Vec<String> {
        if self.repo_tags.is_empty() && self.repo_digests.is_empty() {
            vec!["<none>@<none>".to_owned()]
        } else {
            self.repo_digests.clone()
        }
    }

    /// Whether no tag or digest reference names the image.
    pub fn is_dangling(&self) -> bool {
        self.repo_tags.is_empty() && self.repo_digests.is_empty()
    }
}

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
    /// The chain ID (this layer and everything below): its snapshot's name.
    pub chain_id: Digest,
    /// Bytes of file content in the layer.
    pub size: u64,
    /// The stored blob it was unpacked from (compressed or not), if kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<Descriptor>,
}

/// One line of Docker's image-delete response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteItem {
    /// A reference was removed: `busybox:latest`.
    Untagged(String),
    /// An image (`sha256:<id>`) or a layer (`sha256:<chain id>`) was removed.
    Deleted(String),
}

/// A container that uses an image, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUse {
    /// The container's full ID (messages show its first 12 characters).
    pub id: String,
    /// Whether it is running (a hard conflict even with force).
    pub running: bool,
}

/// What the engine tells the store about containers, so that deletions and garbage
/// collection never pull an image or a layer from under one.
pub trait ImageUsage {
    /// Containers created from `image`, in any state.
    fn containers_using(&self, image: &Digest) -> Vec<ContainerUse>;

    /// Top chain IDs ([`Image::top_chain_id`]) of every container's root. Their snapshots
    /// and parents are kept even when the image was force-deleted while a stopped
    /// container still used it.
    fn snapshots_in_use(&self) -> Vec<Digest> {
        Vec::new()
    }
}

/// No containers at all (tests, tools).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContainers;

impl ImageUsage for NoContainers {
    fn containers_using(&self, _image: &Digest) -> Vec<ContainerUse> {
        Vec::new()
    }
}

/// Options of [`crate::ImageStore::delete`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `docker rmi -f`.
    pub force: bool,
    /// Delete untagged parents too. Kept for the API (`noprune=false` is Docker's default);
    /// the store has no parent images, so it changes nothing yet.
    pub prune: bool,
}
