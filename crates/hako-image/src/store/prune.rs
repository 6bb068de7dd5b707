//! `docker image prune`: moby's `ImagesPrune` over the store's delete.

use std::collections::{HashMap, HashSet};

use tracing::{instrument, warn};

use super::ImageStore;
use crate::digest::Digest;
use crate::error::Result;
use crate::image::{DeleteItem, DeleteOptions, Image, ImageUsage};

/// What [`ImageStore::prune`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Docker's `ImagesDeleted`: `Untagged:` and `Deleted:` lines (images and layers).
    pub items: Vec<DeleteItem>,
    /// Content size of the layers removed (Docker's `SpaceReclaimed`).
    pub space_reclaimed: u64,
}

impl ImageStore {
    /// Removes dangling images (`all`: every image no container uses) for which `wanted`
    /// holds (the engine's `until` and `label` filters). Images a container uses, and
    /// untagged images other images were committed from, stay; a failure to delete one
    /// image is logged and skipped, as moby does.
    #[instrument(skip_all, fields(all))]
    pub fn prune(
        &self,
        all: bool,
        wanted: &dyn Fn(&Image) -> bool,
        usage: &dyn ImageUsage,
    ) -> Result<PruneReport> {
        let sizes: HashMap<Digest, u64> = self
            .snapshots()
            .list()?
            .into_iter()
            .map(|s| (s.chain_id, s.size))
            .collect();
        let images = self.list()?;
        let parents: HashSet<Digest> = images.iter().filter_map(|i| i.parent.clone()).collect();
        let mut report = PruneReport::default();
        for image in &images {
            if !all && !image.repo_tags.is_empty() {
                continue;
            }
            if image.is_dangling() && parents.contains(&image.id) {
                continue;
            }
            if !wanted(image) || !usage.containers_using(&image.id).is_empty() {
                continue;
            }
            let names: Vec<String> = if image.is_dangling() {
                vec![image.id.hex().to_owned()]
            } else {
                image
                    .repo_tags
                    .iter()
                    .chain(&image.repo_digests)
                    .cloned()
                    .collect()
            };
            for name in names {
                let opts = DeleteOptions {
                    force: false,
                    prune: true,
                };
                match self.delete(&name, opts, usage) {
                    Ok(items) => report.items.extend(items),
                    Err(e) => {
                        warn!(image = %name, error = %e, "not pruned");
                        break;
                    }
                }
            }
        }
        report.space_reclaimed = report
            .items
            .iter()
            .filter_map(|i| match i {
                DeleteItem::Deleted(d) => d.parse::<Digest>().ok(),
                DeleteItem::Untagged(_) => None,
            })
            .filter_map(|d| sizes.get(&d))
            .sum();
        Ok(report)
    }
}
