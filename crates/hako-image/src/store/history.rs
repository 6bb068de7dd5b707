//! `docker history`: one row per history entry of the config, newest first.

use super::ImageStore;
use crate::digest::Digest;
use crate::error::{Error, Result};

/// One row of `GET /images/{name}/history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The image this step produced, when it is known locally (the image itself and the
    /// images it was committed from); `None` is Docker's `<missing>`.
    pub id: Option<Digest>,
    /// The step's `created`, RFC 3339.
    pub created: Option<String>,
    /// The step (`/bin/sh -c #(nop) CMD ["sh"]`).
    pub created_by: String,
    /// Tags of `id`, familiar form.
    pub tags: Vec<String>,
    /// Content size of the layer the step added (0 for empty layers).
    pub size: u64,
    /// The step's comment.
    pub comment: String,
}

impl ImageStore {
    /// moby's `ImageHistory`: entries matched to layers in order (empty-layer entries have
    /// none), newest first; the newest carries the image's ID and tags, each older one its
    /// parent's while the parent chain is known, the rest are `<missing>`.
    pub fn history(&self, name: &str) -> Result<Vec<HistoryEntry>> {
        let image = self.resolve(name)?;
        let mut layers = image.layers.iter();
        let mut rows = Vec::with_capacity(image.config.history.len());
        for h in &image.config.history {
            let size = if h.empty_layer {
                0
            } else {
                layers
                    .next()
                    .ok_or_else(|| {
                        Error::invalid(
                            "image config",
                            "too many non-empty layers in History section",
                        )
                    })?
                    .size
            };
            rows.push(HistoryEntry {
                id: None,
                created: h.created.clone(),
                created_by: h.created_by.clone().unwrap_or_default(),
                tags: Vec::new(),
                size,
                comment: h.comment.clone().unwrap_or_default(),
            });
        }
        rows.reverse();
        let mut current = Some(image);
        for row in &mut rows {
            let Some(img) = current.take() else { break };
            row.id = Some(img.id.clone());
            row.tags = img.repo_tags.clone();
            current = img.parent.as_ref().and_then(|p| self.get(p).ok());
        }
        Ok(rows)
    }
}
