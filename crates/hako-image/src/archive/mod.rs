//! `docker save` and `docker load`: images as one tar.
//!
//! Save writes the format Docker writes since 25: `manifest.json` (`Config`, `RepoTags`,
//! `Layers`), the legacy `repositories` file, and an OCI image layout beside it
//! (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), so the same archive is read by old
//! and new Docker and by OCI tools. Layers are written uncompressed, named by their diff
//! ID, as Docker does: they are the stored layer blobs, decompressed. The stored blob is
//! the one source of the exact bytes whose sha256 the config's `diff_ids` name; a tar
//! rebuilt from the unpacked snapshot would differ (entry order, headers, whiteout form)
//! and so change the image ID on the other side.
//!
//! Load reads that format, the older one Docker 20.10 writes (`<v1 id>/layer.tar`,
//! `<id>.json`, `manifest.json`, symlinked duplicate layers) and plain OCI archives
//! (`index.json` without `manifest.json`). The archive is streamed once: small files stay
//! in memory, large ones go straight into the content store; nothing is extracted to disk
//! by name, so a hostile path in the archive can only be refused, never followed. Layers
//! are then unpacked through the store's safe unpacker and checked against the config's
//! diff IDs. What a failed load wrote is only unreferenced blobs, which the next
//! [`ImageStore::gc`](crate::ImageStore::gc) removes (the engine runs it right away).

mod load;
mod save;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use load::{LayerProgress, Loaded};
pub use save::SavePlan;

/// One entry of `manifest.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ManifestItem {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default, deserialize_with = "null_as_empty")]
    repo_tags: Vec<String>,
    #[serde(rename = "Layers", default, deserialize_with = "null_as_empty")]
    layers: Vec<String>,
    /// Foreign layers (Windows base layers); written by Docker only for those.
    #[serde(
        rename = "LayerSources",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    layer_sources: Option<BTreeMap<String, serde_json::Value>>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

const MANIFEST_FILE: &str = "manifest.json";
const REPOSITORIES_FILE: &str = "repositories";
const OCI_LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";
const OCI_LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion": "1.0.0"}"#;

#[cfg(test)]
mod tests;
