//! `GET /containers/json`.

use std::sync::Arc;

use super::entry::Entry;
use super::inspect::{fill_sizes, view_of};
use crate::container::options::ListOptions;
use crate::container::view::ContainerView;
use crate::engine::Engine;
use crate::error::{EngineError, Result};

/// Filters Docker accepts for `ps`.
const ACCEPTED: &[&str] = &[
    "ancestor",
    "before",
    "exited",
    "health",
    "id",
    "is-task",
    "label",
    "name",
    "network",
    "since",
    "status",
    "expose",
    "publish",
    "volume",
    "isolation",
];

/// Valid values of the `status` filter.
const STATUSES: &[&str] = &[
    "created",
    "restarting",
    "running",
    "removing",
    "paused",
    "exited",
    "dead",
];

impl Engine {
    /// Lists containers, newest first, filtered as Docker filters them.
    pub async fn container_list(&self, opts: ListOptions) -> Result<Vec<ContainerView>> {
        let f = &opts.filters;
        f.validate(ACCEPTED)?;
        for unsupported in ["expose", "publish", "volume", "isolation"] {
            if !f.get(unsupported).is_empty() {
                return Err(EngineError::NotImplemented(format!(
                    "the {unsupported:?} filter"
                )));
            }
        }
        for s in f.get("status") {
            if !STATUSES.contains(&s.as_str()) {
                return Err(EngineError::InvalidParameter(format!(
                    "invalid filter 'status={s}'"
                )));
            }
        }
        let exited: Vec<i32> = f
            .get("exited")
            .iter()
            .map(|v| {
                v.parse().map_err(|_| {
                    EngineError::InvalidParameter(format!("invalid filter 'exited={v}'"))
                })
            })
            .collect::<Result<_>>()?;
        // A status filter lists stopped containers too, as Docker does.
        let all = opts.all || !f.get("status").is_empty();

        let mut views = Vec::new();
        for entry in self.containers.all() {
            let inner = entry.inner.lock().await;
            let mut view = view_of(&entry, &inner);
            view.network = self.net.endpoint(&entry.id);
            (view.connected, view.primary_disconnected) = self.connected_view(&entry);
            views.push(view);
        }
        views.sort_by_key(|v| std::cmp::Reverse(v.created_nanos()));
        let before = self.boundary(f.get("before")).await?;
        let since = self.boundary(f.get("since")).await?;

        let mut out = Vec::new();
        for v in views {
            if before.is_some_and(|b| v.created_nanos() >= b)
                || since.is_some_and(|s| v.created_nanos() <= s)
            {
                continue;
            }
            let running = v.state.status.is_running();
            if !all && opts.limit.is_none() && !running {
                continue;
            }
            if !exited.is_empty()
                && (v.state.status != super::status::Status::Exited
                    || !exited.contains(&v.state.exit_code))
            {
                continue;
            }
            let name_ok = f.matches_any("name", |n| v.name.contains(n.trim_start_matches('/')));
            let id_ok = f.matches_any("id", |i| v.id.starts_with(i));
            let status_ok = f.matches_any("status", |s| s == v.state.status.as_str());
            let ancestor_ok = f.matches_any("ancestor", |a| {
                a == v.image_name
                    || v.image_id
                        .trim_start_matches("sha256:")
                        .starts_with(a.trim_start_matches("sha256:"))
            });
            let network_ok =
                f.matches_any("network", |n| n == v.host_config.network_mode.to_string());
            let health = v
                .state
                .health
                .as_ref()
                .map_or("none", |h| h.status.as_str());
            let health_ok = f.matches_any("health", |h| h == health);
            let task_ok = f.matches_any("is-task", |t| t == "false");
            if name_ok
                && id_ok
                && status_ok
                && ancestor_ok
                && network_ok
                && health_ok
                && task_ok
                && f.matches_labels("label", &v.config.labels)
            {
                out.push(v);
            }
            if opts.limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        if opts.size {
            for v in &mut out {
                fill_sizes(v).await?;
            }
        }
        Ok(out)
    }

    /// Creation time of the container named by a `before`/`since` filter.
    async fn boundary(&self, values: &[String]) -> Result<Option<i128>> {
        match values.first() {
            None => Ok(None),
            Some(key) => {
                let entry: Arc<Entry> = self.containers.get(key)?;
                let created = entry.inner.lock().await.record.created.clone();
                Ok(crate::timefmt::parse_rfc3339(&created))
            }
        }
    }
}
