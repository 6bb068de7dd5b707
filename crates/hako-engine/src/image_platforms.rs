//! The manifests of a local image for `manifests=1` on image list and inspect (API
//! 1.47/1.48): each platform of the index the image came from, whether it is here, its
//! sizes and the containers using it.

use hako_image::Digest;
use hako_image::store::ImagePlatforms;

use crate::engine::Engine;
use crate::error::Result;
use crate::image::ManifestSummary;
use crate::image_ops::Usage;

impl Engine {
    /// The image's top descriptor and manifests; `None` for an image without a stored
    /// manifest.
    pub(crate) async fn image_platforms(&self, id: &Digest) -> Result<Option<ImagePlatforms>> {
        let id = id.clone();
        self.blocking(move |s| s.platforms(&id)).await
    }
}

/// Each entry with the containers of the image made from it.
pub(crate) fn summaries(found: &ImagePlatforms, usage: &Usage) -> Vec<ManifestSummary> {
    found
        .manifests
        .iter()
        .map(|entry| ManifestSummary {
            containers: entry
                .image
                .as_ref()
                .map(|id| {
                    use hako_image::ImageUsage;
                    usage
                        .containers_using(id)
                        .into_iter()
                        .map(|c| c.id)
                        .collect()
                })
                .unwrap_or_default(),
            entry: entry.clone(),
        })
        .collect()
}
