//! `docker history` and `docker image prune` over the store.

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::filters::Filters;
use crate::image::{HistoryItem, ImageDeleteItem, ImagePruneReport};
use crate::timefmt;

impl Engine {
    /// `GET /images/{name}/history`, newest step first.
    pub async fn image_history(&self, name: &str) -> Result<Vec<HistoryItem>> {
        let name = name.to_owned();
        let store = self.images.clone();
        let rows = tokio::task::spawn_blocking(move || store.history(&name))
            .await
            .map_err(|e| EngineError::Task(e.to_string()))??;
        Ok(rows
            .into_iter()
            .map(|r| HistoryItem {
                id: r
                    .id
                    .map_or_else(|| "<missing>".to_owned(), |d| d.to_string()),
                created: r
                    .created
                    .as_deref()
                    .and_then(timefmt::parse_rfc3339)
                    .map_or(0, |n| i64::try_from(n / 1_000_000_000).unwrap_or(0)),
                created_by: r.created_by,
                tags: r.tags,
                size: i64::try_from(r.size).unwrap_or(i64::MAX),
                comment: r.comment,
            })
            .collect())
    }

    /// `POST /images/prune?filters=`: `dangling` (default true: untagged images only;
    /// false: every image no container uses), `until` (Unix nanoseconds, parsed by the
    /// caller), `label`, `label!`.
    pub async fn image_prune(
        &self,
        filters: &Filters,
        until: Option<i128>,
    ) -> Result<ImagePruneReport> {
        filters.validate(&["dangling", "until", "label", "label!"])?;
        let all = match filters.get("dangling").last().map(String::as_str) {
            None | Some("true" | "1" | "True" | "TRUE") => false,
            Some("false" | "0" | "False" | "FALSE") => true,
            Some(other) => {
                return Err(EngineError::InvalidParameter(format!(
                    "invalid filter 'dangling={other}'"
                )));
            }
        };
        let usage = self.usage().await;
        let filters = filters.clone();
        let store = self.images.clone();
        let report = tokio::task::spawn_blocking(move || {
            let wanted = |image: &hako_image::Image| {
                let labels = image
                    .config
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.clone())
                    .unwrap_or_default();
                let created = image
                    .created
                    .as_deref()
                    .and_then(timefmt::parse_rfc3339)
                    .unwrap_or(0);
                until.is_none_or(|u| created < u)
                    && filters.matches_labels("label", &labels)
                    && !filters.get("label!").iter().any(|f| {
                        Filters(BTreeMap::from([("l".into(), vec![f.clone()])]))
                            .matches_labels("l", &labels)
                    })
            };
            store.prune(all, &wanted, &usage)
        })
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;
        let deleted: Vec<ImageDeleteItem> = report
            .items
            .into_iter()
            .map(|i| match i {
                hako_image::DeleteItem::Untagged(r) => ImageDeleteItem::Untagged(r),
                hako_image::DeleteItem::Deleted(d) => ImageDeleteItem::Deleted(d),
            })
            .collect();
        for item in &deleted {
            let (action, actor) = match item {
                ImageDeleteItem::Untagged(r) => ("untag", r),
                ImageDeleteItem::Deleted(d) => ("delete", d),
            };
            self.events.emit(
                "image",
                action,
                actor,
                [("name".to_string(), actor.clone())].into(),
            );
        }
        let attrs = BTreeMap::from([("reclaimed".to_string(), report.space_reclaimed.to_string())]);
        self.events.emit("image", "prune", "", attrs);
        Ok(ImagePruneReport {
            deleted,
            space_reclaimed: report.space_reclaimed,
        })
    }
}
