//! `POST /containers/{id}/stop`: the stop signal, a grace period, then SIGKILL.

use std::sync::Arc;
use std::time::Duration;

use tracing::instrument;

use super::create::container_attributes;
use super::entry::Entry;
use super::kill::wait_exit_after;
use crate::container::options::StopOptions;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::signal;

/// Docker's default grace period.
const DEFAULT_TIMEOUT: i64 = 10;

impl Engine {
    /// Stops a running container. [`EngineError::NotModified`] when it is not running.
    #[instrument(skip(self, opts), fields(container.id = id))]
    pub async fn container_stop(&self, id: &str, opts: StopOptions) -> Result<()> {
        let entry = self.containers.get(id)?;
        self.stop_entry(&entry, opts, true).await
    }

    /// Stops `entry`; `by_user` marks it stopped by hand (moby's `HasBeenManuallyStopped`),
    /// which a stop at daemon shutdown is not, so that `unless-stopped` brings it back.
    pub(crate) async fn stop_entry(
        &self,
        entry: &Arc<Entry>,
        opts: StopOptions,
        by_user: bool,
    ) -> Result<()> {
        let (sig, timeout, attrs) = {
            let inner = entry.inner.lock().await;
            if !inner.state.status.is_running() {
                return Err(EngineError::NotModified(entry.id.clone()));
            }
            let cfg = &inner.record.config;
            let sig = opts
                .signal
                .as_deref()
                .or(cfg.stop_signal.as_deref())
                .filter(|s| !s.is_empty())
                .map(signal::parse)
                .transpose()?
                .unwrap_or(15);
            let timeout = opts.timeout.or(cfg.stop_timeout).unwrap_or(DEFAULT_TIMEOUT);
            (sig, timeout, container_attributes(&inner.record))
        };
        let exits = entry.lifecycle.borrow().exits;
        match self.signal_entry(entry, sig, by_user).await {
            Ok(()) | Err(EngineError::NotRunning(_)) => {}
            Err(e) => return Err(e),
        }
        let grace = if timeout < 0 {
            Duration::MAX
        } else {
            Duration::from_secs(timeout.unsigned_abs())
        };
        if !wait_exit_after(entry, exits, grace).await {
            match self.signal_entry(entry, 9, by_user).await {
                Ok(()) | Err(EngineError::NotRunning(_)) => {}
                Err(e) => return Err(e),
            }
            wait_exit_after(entry, exits, Duration::from_secs(30)).await;
        }
        self.events.emit("container", "stop", &entry.id, attrs);
        Ok(())
    }
}
