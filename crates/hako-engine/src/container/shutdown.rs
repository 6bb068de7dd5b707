//! Stopping every container when the daemon stops without live restore.

use std::sync::atomic::Ordering;

use tracing::{info, warn};

use crate::container::options::StopOptions;
use crate::engine::Engine;

impl Engine {
    /// Stops every running container, all at once, each with its own stop signal and
    /// grace period, as dockerd does at shutdown without `--live-restore`. Their exits no
    /// longer trigger restart policies, and the stops are not manual: at the next daemon
    /// start `always` and `unless-stopped` containers start again.
    pub async fn stop_all_containers(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let mut running = Vec::new();
        for entry in self.containers.all() {
            if entry.inner.lock().await.state.status.is_running() {
                running.push(entry);
            }
        }
        if running.is_empty() {
            return;
        }
        info!(
            count = running.len(),
            "live restore is off: stopping containers"
        );
        let stops = running.iter().map(|entry| async move {
            let opts = StopOptions {
                signal: None,
                timeout: None,
            };
            if let Err(e) = self.stop_entry(entry, opts, false).await {
                warn!(container.id = %entry.id, error = %e, "stop at shutdown failed");
            }
        });
        futures_util::future::join_all(stops).await;
    }
}
