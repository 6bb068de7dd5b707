//! `POST /containers/{id}/pause` and `/unpause`: the cgroup freezer (v1 `freezer.state`,
//! v2 `cgroup.freeze`).

use hako_runtime::cgroup::CgroupManager;
use tracing::instrument;

use super::create::container_attributes;
use super::record::Record;
use super::status::Status;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::state;

impl Engine {
    /// Freezes every process of a running container.
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_pause(&self, id: &str) -> Result<()> {
        self.set_paused(id, true).await
    }

    /// Thaws a paused container.
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_unpause(&self, id: &str) -> Result<()> {
        self.set_paused(id, false).await
    }

    async fn set_paused(&self, id: &str, pause: bool) -> Result<()> {
        let entry = self.containers.get(id)?;
        let mut inner = entry.inner.lock().await;
        match (inner.state.status, pause) {
            (Status::Running, true) | (Status::Paused, false) => {}
            (Status::Paused, true) => {
                return Err(EngineError::Conflict(format!(
                    "Container {} is already paused",
                    entry.id
                )));
            }
            (Status::Restarting, _) => {
                return Err(EngineError::Conflict(format!(
                    "Container {} is restarting, wait until the container is running",
                    entry.id
                )));
            }
            (Status::Running, false) => {
                return Err(EngineError::Conflict(format!(
                    "Container {} is not paused",
                    entry.id
                )));
            }
            _ => return Err(EngineError::NotRunning(entry.id.clone())),
        }
        let cg = self.cgroup_of(&inner.record)?;
        blocking(move || cg.set_frozen(pause)).await??;
        inner.state.status = if pause {
            Status::Paused
        } else {
            Status::Running
        };
        state::write_json(&entry.state_path(), &inner.state, false)?;
        entry.publish(&inner.state, false);
        let attrs = container_attributes(&inner.record);
        drop(inner);
        let action = if pause { "pause" } else { "unpause" };
        self.events.emit("container", action, &entry.id, attrs);
        Ok(())
    }

    /// The container's cgroup on this host (v1 or v2).
    pub(crate) fn cgroup_of(&self, record: &Record) -> Result<Box<dyn CgroupManager>> {
        let spec =
            super::spec::cgroup_spec(&record.host_config, &self.config.cgroup_parent, &record.id);
        Ok(hako_runtime::cgroup::open(&spec)?)
    }
}

/// Runs blocking cgroupfs or process work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| EngineError::Task(e.to_string()))
}
