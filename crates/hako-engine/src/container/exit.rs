//! What happens when a container's process exits: record it, tell waiters and event
//! subscribers, and remove `--rm` containers.

use std::sync::Arc;

use hako_runtime::RuntimeError;
use hako_runtime::spec::ExitStatus;
use tracing::{info, warn};

use super::create::container_attributes;
use super::entry::Entry;
use super::options::RemoveOptions;
use super::status::Status;
use crate::engine::Engine;
use crate::{state, timefmt};

impl Engine {
    /// Records the exit of run `generation` of `entry`.
    pub(crate) async fn on_exit(
        &self,
        entry: &Arc<Entry>,
        generation: u64,
        status: Result<ExitStatus, RuntimeError>,
    ) {
        let status = status.unwrap_or_else(|e| {
            // The monitor vanished without a word (killed by hand?): the container is gone
            // with it, because its init was the monitor's child in a pid namespace.
            warn!(container.id = %entry.id, error = %e, "monitor lost; recording the container as exited");
            ExitStatus {
                code: 255,
                signal: None,
                oom_killed: false,
                finished_at: timefmt::rfc3339_nano(timefmt::now_nanos()),
            }
        });
        let mut inner = entry.inner.lock().await;
        if inner.generation != generation || !inner.state.status.is_running() {
            return;
        }
        self.net_release(entry).await;
        self.release_volume_mounts(&Self::volume_names(&inner.record));
        let restart = !inner.record.host_config.auto_remove
            && !self.shutting_down.load(std::sync::atomic::Ordering::SeqCst)
            && super::restart::should_restart(
                &inner.record.host_config.restart_policy,
                inner.stopped_by_user,
                status.code,
                inner.state.restart_count,
            );
        let ran_for = timefmt::parse_rfc3339(&inner.state.started_at)
            .map(|s| {
                let ns = (timefmt::now_nanos() - s).max(0);
                std::time::Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
            })
            .unwrap_or_default();
        let restart_delay =
            restart.then(|| super::restart::next_delay(&mut inner.restart_delay, ran_for));
        let st = &mut inner.state;
        st.status = if restart {
            Status::Restarting
        } else {
            Status::Exited
        };
        st.pid = 0;
        st.exit_code = status.code;
        st.oom_killed = status.oom_killed;
        st.finished_at = if status.finished_at.is_empty() {
            timefmt::rfc3339_nano(timefmt::now_nanos())
        } else {
            status.finished_at.clone()
        };
        if let Err(e) = state::write_json(&entry.state_path(), &inner.state, false) {
            warn!(container.id = %entry.id, error = %e, "cannot persist exit");
        }
        let mut attrs = container_attributes(&inner.record);
        let auto_remove = inner.record.host_config.auto_remove;
        let exec_ids = inner.exec_ids.clone();
        drop(inner);
        self.mark_execs_exited(&exec_ids);
        info!(container.id = %entry.id, code = status.code, "container exited");
        if status.oom_killed {
            self.events
                .emit("container", "oom", &entry.id, attrs.clone());
        }
        attrs.insert("exitCode".into(), status.code.to_string());
        self.events.emit("container", "die", &entry.id, attrs);
        {
            let inner = entry.inner.lock().await;
            entry.publish(&inner.state, true);
            if let Some(delay) = restart_delay
                && inner.state.status == Status::Restarting
            {
                self.schedule_restart(entry, inner.generation, delay);
            }
        }
        if auto_remove {
            let opts = RemoveOptions {
                force: false,
                volumes: true,
                link: false,
            };
            if let Err(e) = self.remove_entry(entry, opts).await {
                warn!(container.id = %entry.id, error = %e, "auto-remove failed");
            }
        }
    }
}
