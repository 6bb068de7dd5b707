//! `POST /containers/{id}/restart` and the restart policies (`no`, `on-failure[:N]`,
//! `always`, `unless-stopped`) with moby's back-off: 100 ms, doubled at every restart up
//! to a minute, back to 100 ms after a run of 10 seconds or more.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, instrument, warn};

use super::config::RestartPolicy;
use super::create::container_attributes;
use super::entry::Entry;
use super::options::StopOptions;
use super::status::Status;
use crate::engine::Engine;
use crate::error::{EngineError, Result};

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(60);
const RESET_AFTER: Duration = Duration::from_secs(10);

/// moby's `restartmanager.ShouldRestart`: whether `policy` restarts a container that exited
/// with `exit_code` after `restart_count` restarts.
pub(crate) fn should_restart(
    policy: &RestartPolicy,
    manually_stopped: bool,
    exit_code: i32,
    restart_count: i64,
) -> bool {
    if manually_stopped {
        return false;
    }
    match policy.name.as_str() {
        "always" | "unless-stopped" => true,
        "on-failure" => {
            exit_code != 0
                && (policy.maximum_retry_count <= 0 || restart_count < policy.maximum_retry_count)
        }
        _ => false,
    }
}

/// The next back-off after a run of `ran_for`, updating `current`.
pub(crate) fn next_delay(current: &mut Duration, ran_for: Duration) -> Duration {
    if ran_for >= RESET_AFTER {
        *current = Duration::ZERO;
    }
    *current = if current.is_zero() {
        FIRST_DELAY
    } else {
        (*current * 2).min(MAX_DELAY)
    };
    *current
}

impl Engine {
    /// Stops (if running) and starts a container; Docker's `restart` event.
    #[instrument(skip(self, opts), fields(container.id = id))]
    pub async fn container_restart(&self, id: &str, opts: StopOptions) -> Result<()> {
        let entry = self.containers.get(id)?;
        match self.container_stop(&entry.id, opts).await {
            Ok(()) | Err(EngineError::NotModified(_)) => {}
            Err(e) => return Err(e),
        }
        self.start_entry(&entry).await?;
        let attrs = container_attributes(&entry.inner.lock().await.record);
        self.events.emit("container", "restart", &entry.id, attrs);
        Ok(())
    }

    /// After an exit recorded as `restarting`: waits for the back-off, then starts again
    /// unless someone stopped, removed or started the container meanwhile.
    pub(crate) fn schedule_restart(&self, entry: &Arc<Entry>, generation: u64, delay: Duration) {
        let Some(engine) = self.handle() else { return };
        let entry = entry.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            {
                let mut inner = entry.inner.lock().await;
                if inner.generation != generation || inner.state.status != Status::Restarting {
                    return;
                }
                inner.state.restart_count += 1;
            }
            info!(container.id = %entry.id, ?delay, "restart policy: starting again");
            if let Err(e) = engine.start_entry_as(&entry, true).await {
                warn!(container.id = %entry.id, error = %e, "restart policy: start failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, max: i64) -> RestartPolicy {
        RestartPolicy {
            name: name.into(),
            maximum_retry_count: max,
        }
    }

    #[test]
    fn policies_decide_as_moby() {
        assert!(!should_restart(&policy("no", 0), false, 1, 0));
        assert!(!should_restart(&policy("", 0), false, 1, 0));
        assert!(should_restart(&policy("always", 0), false, 0, 50));
        assert!(!should_restart(&policy("always", 0), true, 0, 0));
        assert!(should_restart(&policy("unless-stopped", 0), false, 0, 0));
        assert!(!should_restart(&policy("on-failure", 0), false, 0, 0));
        assert!(should_restart(&policy("on-failure", 0), false, 3, 99));
        assert!(should_restart(&policy("on-failure", 2), false, 3, 1));
        assert!(!should_restart(&policy("on-failure", 2), false, 3, 2));
    }

    #[test]
    fn backoff_doubles_and_resets() {
        let mut d = Duration::ZERO;
        let quick = Duration::from_millis(5);
        assert_eq!(next_delay(&mut d, quick), Duration::from_millis(100));
        assert_eq!(next_delay(&mut d, quick), Duration::from_millis(200));
        assert_eq!(next_delay(&mut d, quick), Duration::from_millis(400));
        assert_eq!(
            next_delay(&mut d, Duration::from_secs(11)),
            Duration::from_millis(100)
        );
        for _ in 0..20 {
            next_delay(&mut d, quick);
        }
        assert_eq!(d, MAX_DELAY);
    }
}
