//! `POST /containers/prune?filters=`: removes every container that is not running.

use tracing::{instrument, warn};

use super::inspect::dir_size;
use super::options::RemoveOptions;
use super::pause::blocking;
use crate::engine::Engine;
use crate::error::Result;
use crate::filters::Filters;
use crate::timefmt;

/// What prune removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Full IDs of the removed containers.
    pub deleted: Vec<String>,
    /// Bytes of their writable layers.
    pub space_reclaimed: u64,
}

impl Engine {
    /// Removes stopped containers created before `until` (Unix nanoseconds) and matching
    /// the `label` / `label!` filters.
    #[instrument(skip(self, filters))]
    pub async fn container_prune(
        &self,
        filters: &Filters,
        until: Option<i128>,
    ) -> Result<PruneReport> {
        filters.validate(&["until", "label", "label!"])?;
        let mut report = PruneReport::default();
        for entry in self.containers.all() {
            let (keep, upper) = {
                let inner = entry.inner.lock().await;
                let labels = &inner.record.config.labels;
                let created = timefmt::parse_rfc3339(&inner.record.created).unwrap_or(0);
                let keep = inner.state.status.is_running()
                    || !inner.state.status.can_remove()
                    || until.is_some_and(|u| created >= u)
                    || !filters.matches_labels("label", labels)
                    || (!filters.get("label!").is_empty()
                        && filters
                            .get("label!")
                            .iter()
                            .any(|f| label_matches(f, labels)));
                (keep, entry.dir.join("upper"))
            };
            if keep {
                continue;
            }
            let size = blocking(move || dir_size(&upper)).await.unwrap_or(0);
            let opts = RemoveOptions {
                force: false,
                volumes: false,
                link: false,
            };
            match self.remove_entry(&entry, opts).await {
                Ok(()) => {
                    report.deleted.push(entry.id.clone());
                    report.space_reclaimed += size;
                }
                Err(e) => warn!(container.id = %entry.id, error = %e, "prune: not removed"),
            }
        }
        let mut attrs = std::collections::BTreeMap::new();
        attrs.insert("reclaimed".to_owned(), report.space_reclaimed.to_string());
        self.events.emit("container", "prune", "", attrs);
        Ok(report)
    }
}

fn label_matches(filter: &str, labels: &std::collections::BTreeMap<String, String>) -> bool {
    match filter.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
        None => labels.contains_key(filter),
    }
}
