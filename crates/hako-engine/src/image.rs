//! The engine's view of images: what `images`, `image inspect`, `rmi` and `import` show.

use std::collections::BTreeMap;

use crate::filters::Filters;

pub use hako_image::Platform;
pub use hako_image::archive::LayerProgress;
pub use hako_image::manifest::Descriptor;
pub use hako_image::store::{ManifestEntry, ManifestKind};

/// `GET /images/json`.
#[derive(Debug, Clone, Default)]
pub struct ImageListOptions {
    /// Include intermediate images.
    pub all: bool,
    /// `dangling`, `reference`, `label`, `before`, `since`.
    pub filters: Filters,
    /// Fill `repo_digests`.
    pub digests: bool,
    /// Fill `manifests` (API 1.47).
    pub manifests: bool,
}

/// One row of `docker images`.
#[derive(Debug, Clone, Default)]
pub struct ImageSummary {
    /// `sha256:...`.
    pub id: String,
    /// Parent image ID or empty.
    pub parent_id: String,
    /// `name:tag` in familiar form; empty for dangling images.
    pub repo_tags: Vec<String>,
    /// `name@sha256:...`.
    pub repo_digests: Vec<String>,
    /// Unix seconds.
    pub created: i64,
    /// Bytes of all layers.
    pub size: i64,
    /// Image labels.
    pub labels: BTreeMap<String, String>,
    /// Containers using it (-1 when not computed).
    pub containers: i64,
    /// Bytes of layers other images share (-1 when not computed; `system df` computes it).
    pub shared_size: i64,
    /// With `manifests`: every manifest of the image's index (or its own manifest).
    pub manifests: Option<Vec<ManifestSummary>>,
}

/// One manifest of an image (moby's `ManifestSummary`): the store's entry and the
/// containers using the image made from it.
#[derive(Debug, Clone)]
pub struct ManifestSummary {
    /// What the store knows about the manifest.
    pub entry: ManifestEntry,
    /// IDs of the containers using its image.
    pub containers: Vec<String>,
}

/// `GET /images/{name}/json`.
#[derive(Debug, Clone, Default)]
pub struct ImageDetails {
    /// `sha256:...`.
    pub id: String,
    /// Familiar `name:tag` list.
    pub repo_tags: Vec<String>,
    /// Familiar `name@sha256:...` list.
    pub repo_digests: Vec<String>,
    /// Parent image ID or empty.
    pub parent: String,
    /// Comment (import message, commit message).
    pub comment: String,
    /// RFC 3339 creation time.
    pub created: String,
    /// Image author.
    pub author: String,
    /// CPU architecture (`amd64`).
    pub architecture: String,
    /// CPU variant (`v8`) or empty.
    pub variant: String,
    /// Operating system (`linux`).
    pub os: String,
    /// Bytes of all layers.
    pub size: i64,
    /// The image config's `config` object exactly as stored (Docker's container-config
    /// shape: `Env`, `Cmd`, `Entrypoint`, `WorkingDir`, `Labels`, ...).
    pub config: serde_json::Value,
    /// Layer diff IDs, bottom first.
    pub layers: Vec<String>,
    /// Overlay lower dirs, topmost first (for `GraphDriver`).
    pub layer_dirs: Vec<std::path::PathBuf>,
    /// The index or manifest the image was pulled or loaded as.
    pub descriptor: Option<Descriptor>,
    /// With `manifests`: every manifest under `descriptor`.
    pub manifests: Option<Vec<ManifestSummary>>,
}

/// One line of the `DELETE /images/{name}` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageDeleteItem {
    /// A reference that was removed.
    Untagged(String),
    /// An image or layer that was deleted.
    Deleted(String),
}

/// `POST /images/create?fromSrc=-`.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `repo` (may carry a tag).
    pub repo: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
    /// `--change` Dockerfile instructions.
    pub changes: Vec<String>,
    /// `-m` commit message.
    pub message: Option<String>,
    /// `--platform`.
    pub platform: Option<String>,
}

/// `POST /commit`.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// `repo` (may carry a tag).
    pub repo: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
    /// `comment` (`-m`).
    pub comment: Option<String>,
    /// `author` (`-a`).
    pub author: Option<String>,
    /// Freeze a running container while committing (Docker's default).
    pub pause: bool,
    /// `changes` (`-c`): Dockerfile instructions.
    pub changes: Vec<String>,
    /// The request body: Docker's container `Config`, overriding the container's.
    pub config: Option<serde_json::Value>,
}

impl Default for CommitOptions {
    fn default() -> Self {
        CommitOptions {
            repo: None,
            tag: None,
            comment: None,
            author: None,
            pause: true,
            changes: Vec::new(),
            config: None,
        }
    }
}

/// One row of `GET /images/{name}/history`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryItem {
    /// `sha256:...`, or `<missing>` for steps whose image is not known locally.
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    /// The step.
    pub created_by: String,
    /// Tags of `id`.
    pub tags: Vec<String>,
    /// Bytes the step added.
    pub size: i64,
    /// The step's comment.
    pub comment: String,
}

/// What `POST /images/prune` removed.
#[derive(Debug, Clone, Default)]
pub struct ImagePruneReport {
    /// `Untagged:`/`Deleted:` lines.
    pub deleted: Vec<ImageDeleteItem>,
    /// Bytes of the layers removed.
    pub space_reclaimed: u64,
}
