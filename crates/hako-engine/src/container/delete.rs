//! `DELETE /containers/{id}`.

use std::sync::Arc;
use std::time::Duration;

use tracing::{instrument, warn};

use super::create::container_attributes;
use super::entry::Entry;
use super::kill::wait_exit_after;
use super::status::Status;
use crate::container::options::RemoveOptions;
use crate::engine::Engine;
use crate::error::{EngineError, Result};

impl Engine {
    /// Removes a container: its writable layer, logs, runtime dir and record.
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_remove(&self, id: &str, opts: RemoveOptions) -> Result<()> {
        if opts.link {
            return Err(EngineError::NotImplemented("legacy links".into()));
        }
        let entry = self.containers.get(id)?;
        self.remove_entry(&entry, opts).await
    }

    pub(crate) async fn remove_entry(&self, entry: &Arc<Entry>, opts: RemoveOptions) -> Result<()> {
        let status = entry.inner.lock().await.state.status;
        if status == Status::Removing {
            return Err(EngineError::RemovalInProgress(entry.id.clone()));
        }
        if status.is_running() {
            if !opts.force {
                let name = entry.inner.lock().await.record.name.clone();
                return Err(EngineError::RemoveRunning { name });
            }
            let exits = entry.lifecycle.borrow().exits;
            match self.signal_entry(entry, 9, true).await {
                Ok(()) | Err(EngineError::NotRunning(_)) => {}
                Err(e) => return Err(e),
            }
            if !wait_exit_after(entry, exits, Duration::from_secs(30)).await {
                return Err(EngineError::Task(format!(
                    "container {} did not exit after SIGKILL",
                    entry.id
                )));
            }
        }
        let mut inner = entry.inner.lock().await;
        if inner.state.status.is_running() {
            // Restarted between our kill and this lock: let the caller retry.
            return Err(EngineError::RemoveRunning {
                name: inner.record.name.clone(),
            });
        }
        if inner.state.status == Status::Removing {
            return Err(EngineError::RemovalInProgress(entry.id.clone()));
        }
        inner.state.status = Status::Removing;
        let name = inner.record.name.clone();
        let attrs = container_attributes(&inner.record);
        let exec_ids = std::mem::take(&mut inner.exec_ids);
        let volumes: Vec<String> = inner
            .record
            .mount_points
            .iter()
            .filter(|m| m.kind == "volume")
            .map(|m| m.name.clone())
            .collect();
        inner.pending_attaches.clear();
        drop(inner);

        let removed = self.discard_dirs(&entry.dir, &entry.run_dir);
        if let Err(e) = removed {
            warn!(container.id = %entry.id, error = %e, "removal failed; container is dead");
            let mut inner = entry.inner.lock().await;
            inner.state.status = Status::Dead;
            entry.publish(&inner.state, false);
            return Err(e);
        }
        self.forget_execs(&exec_ids);
        self.containers.remove(&entry.id, &name);
        self.events.emit("container", "destroy", &entry.id, attrs);
        if opts.volumes {
            self.remove_anonymous_volumes(&volumes).await;
        }
        entry.lifecycle.send_modify(|l| l.removed = true);
        Ok(())
    }
}
