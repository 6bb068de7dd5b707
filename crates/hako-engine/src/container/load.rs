//! Loading containers at daemon start: records from disk, and for those that were
//! running, either re-adopting their monitor or recording the exit that happened while no
//! daemon was there.

use std::sync::Arc;

use hako_runtime::client::{self, MonitorClient};
use tracing::{info, warn};

use super::entry::Entry;
use super::record::Record;
use super::status::{State, Status};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::state;

impl Engine {
    /// Loads every container under `<data_root>/containers`.
    pub(crate) async fn load_containers(&self) -> Result<()> {
        let root = self.config.containers_dir();
        let rd = std::fs::read_dir(&root).map_err(|source| EngineError::Io {
            context: "read",
            path: root.clone(),
            source,
        })?;
        for dirent in rd.flatten() {
            let dir = dirent.path();
            let record: Option<Record> = match state::read_json(&dir.join("config.json")) {
                Ok(r) => r,
                Err(e) => {
                    warn!(path = %dir.display(), error = %e, "skipping unreadable container");
                    continue;
                }
            };
            let Some(record) = record else {
                // A create that died before writing its record: nothing refers to it.
                info!(path = %dir.display(), "removing half-created container");
                let _ = std::fs::remove_dir_all(&dir);
                continue;
            };
            let state: State =
                state::read_json(&dir.join("state.json"))?.unwrap_or_else(State::new);
            let id = record.id.clone();
            if self.containers.reserve_name(&record.name, &id).is_err() {
                warn!(container.id = %id, name = %record.name, "duplicate name on disk; skipping");
                continue;
            }
            let entry = Arc::new(Entry::new(
                dir,
                self.config.container_run_dir(&id),
                record,
                state,
            ));
            self.containers.insert(entry.clone());
            self.readopt(&entry).await;
        }
        Ok(())
    }

    /// For a container recorded as running: watch its monitor again, or record its exit.
    async fn readopt(&self, entry: &Arc<Entry>) {
        let mut inner = entry.inner.lock().await;
        if !inner.state.status.is_running() {
            undo_unrecorded_start(entry).await;
            if inner.state.status == Status::Removing {
                inner.state.status = Status::Dead;
            }
            // moby's restore: restart policies apply again at daemon start (`always` even
            // after a manual stop, `unless-stopped` only if it was not stopped by a user).
            let policy = &inner.record.host_config.restart_policy;
            let manual = inner.state.manually_stopped && policy.name != "always";
            if inner.state.status == Status::Exited
                && !inner.record.host_config.auto_remove
                && super::restart::should_restart(
                    policy,
                    manual,
                    inner.state.exit_code,
                    inner.state.restart_count,
                )
                && let Some(engine) = self.handle()
            {
                drop(inner);
                let entry = entry.clone();
                tokio::spawn(async move {
                    info!(container.id = %entry.id, "restart policy: starting at daemon start");
                    if let Err(e) = engine.start_entry_as(&entry, true).await {
                        warn!(container.id = %entry.id, error = %e, "restart at daemon start failed");
                    }
                });
            }
            return;
        }
        inner.generation = 1;
        let monitor = MonitorClient::new(&entry.run_dir);
        let alive = tokio::time::timeout(std::time::Duration::from_secs(2), monitor.signal(0))
            .await
            .is_ok_and(|r| r.is_ok());
        drop(inner);
        let Some(engine) = self.handle() else { return };
        let entry = entry.clone();
        if alive {
            info!(container.id = %entry.id, "re-adopted running container");
            let check = entry.inner.lock().await.record.config.healthcheck.clone();
            if let Some(check) = check.filter(|h| super::health::probe_cmd(h).is_some()) {
                engine.spawn_health_monitor(&entry, 1, check);
            }
            tokio::spawn(async move {
                let status = monitor.wait().await;
                engine.on_exit(&entry, 1, status).await;
            });
        } else {
            let status = client::read_exit_status(&entry.run_dir)
                .and_then(|s| s.ok_or(hako_runtime::RuntimeError::NotRunning));
            engine.on_exit(&entry, 1, status).await;
        }
    }
}

/// A container recorded as not running may still have a live monitor: the daemon died
/// after the monitor reported `started` but before the new state reached disk. No client
/// was told that start succeeded, so it is undone: the process is killed and its monitor
/// removes the cgroup and exits. Left alone, a later start would replace the runtime
/// directory under it and the old process, cgroup and monitor would live on unowned.
async fn undo_unrecorded_start(entry: &Entry) {
    if !entry.run_dir.join(client::SOCKET_FILE).exists() {
        return;
    }
    let monitor = MonitorClient::new(&entry.run_dir);
    let limit = std::time::Duration::from_secs(10);
    // No answer means no monitor behind the socket: a stale file, removed with the
    // runtime directory at the next start.
    if let Ok(Ok(())) = tokio::time::timeout(limit, monitor.signal(9)).await {
        warn!(container.id = %entry.id, "killing a process whose start was never recorded");
        if tokio::time::timeout(limit, monitor.wait()).await.is_err() {
            warn!(container.id = %entry.id, "monitor did not exit after SIGKILL");
        }
    }
}
