//! `POST /containers/{id}/kill`.

use std::sync::Arc;
use std::time::Duration;

use hako_runtime::client::MonitorClient;
use tracing::instrument;

use super::create::container_attributes;
use super::entry::Entry;
use super::pause::blocking;
use super::status::Status;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::{signal, state};

/// How long `kill` waits for a SIGKILLed container to be recorded as exited.
const KILL_WAIT: Duration = Duration::from_secs(10);

impl Engine {
    /// Sends a signal (name like `SIGHUP`/`HUP` or number; default SIGKILL) to the
    /// container's init. After SIGKILL it waits until the exit is recorded, so that an
    /// `inspect` right after `kill` shows the container stopped.
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_kill(&self, id: &str, signal: Option<&str>) -> Result<()> {
        let entry = self.containers.get(id)?;
        let sig = match signal.filter(|s| !s.is_empty()) {
            Some(s) => signal::parse(s)?,
            None => 9,
        };
        let exits = entry.lifecycle.borrow().exits;
        self.signal_entry(&entry, sig, true).await?;
        if sig == 9 {
            wait_exit_after(&entry, exits, KILL_WAIT).await;
        }
        Ok(())
    }

    /// Sends `sig` to a running container, emitting Docker's `kill` event.
    pub(crate) async fn signal_entry(
        &self,
        entry: &Arc<Entry>,
        sig: i32,
        by_user: bool,
    ) -> Result<()> {
        let mut inner = entry.inner.lock().await;
        if !inner.state.status.is_running() {
            return Err(EngineError::NotRunning(entry.id.clone()));
        }
        if by_user {
            inner.stopped_by_user = true;
            inner.state.manually_stopped = true;
        }
        if inner.state.status == Status::Restarting {
            // No process to signal: cancelling the pending restart is enough (moby's
            // restart manager does the same).
            inner.state.status = Status::Exited;
            inner.generation += 1;
            state::write_json(&entry.state_path(), &inner.state, false)?;
            entry.publish(&inner.state, true);
            return Ok(());
        }
        let paused = inner.state.status == Status::Paused;
        let mut attrs = container_attributes(&inner.record);
        let cgroup = if paused {
            Some(self.cgroup_of(&inner.record)?)
        } else {
            None
        };
        drop(inner);
        match MonitorClient::new(&entry.run_dir).signal(sig).await {
            Ok(()) => {}
            Err(hako_runtime::RuntimeError::NotRunning) => {
                return Err(EngineError::NotRunning(entry.id.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(cg) = cgroup {
            // A frozen process only acts on the signal once thawed; Docker resumes a
            // paused container it signals.
            blocking(move || cg.set_frozen(false)).await??;
            let mut inner = entry.inner.lock().await;
            if inner.state.status == Status::Paused {
                inner.state.status = Status::Running;
                state::write_json(&entry.state_path(), &inner.state, false)?;
                entry.publish(&inner.state, false);
            }
        }
        attrs.insert("signal".into(), sig.to_string());
        self.events.emit("container", "kill", &entry.id, attrs);
        Ok(())
    }
}

/// Waits until the container's exit count passes `exits_before`, at most `limit`. Returns
/// whether it did.
pub(crate) async fn wait_exit_after(entry: &Entry, exits_before: u64, limit: Duration) -> bool {
    let mut rx = entry.lifecycle.subscribe();
    tokio::time::timeout(limit, rx.wait_for(|l| l.exits > exits_before || l.removed))
        .await
        .is_ok_and(|r| r.is_ok())
}
