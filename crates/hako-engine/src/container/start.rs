//! `POST /containers/{id}/start`.

use std::path::Path;
use std::sync::Arc;

use hako_runtime::client::{self, MonitorClient};
use tracing::{info, instrument};

use super::attach::connect;
use super::create::container_attributes;
use super::entry::Entry;
use super::spec::container_spec;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::{state, timefmt};

impl Engine {
    /// Starts a created or exited container. [`EngineError::NotModified`] when it is already
    /// running.
    #[instrument(skip(self), fields(container.id = id))]
    pub async fn container_start(&self, id: &str) -> Result<()> {
        let entry = self.containers.get(id)?;
        self.start_entry(&entry).await
    }

    pub(crate) async fn start_entry(&self, entry: &Arc<Entry>) -> Result<()> {
        self.start_entry_as(entry, false).await
    }

    /// Starts `entry`; `by_policy` for the restart policy's restarts (from `restarting`,
    /// keeping the restart count and back-off, which a user's start resets as moby does).
    pub(crate) async fn start_entry_as(&self, entry: &Arc<Entry>, by_policy: bool) -> Result<()> {
        let mut inner = entry.inner.lock().await;
        match inner.state.status {
            super::status::Status::Restarting if by_policy => {}
            s if s.is_running() => return Err(EngineError::NotModified(entry.id.clone())),
            s if !s.can_start() => {
                return Err(EngineError::InvalidParameter(format!(
                    "cannot start container {}: it is {}",
                    entry.id,
                    s.as_str()
                )));
            }
            _ => {}
        }
        // Emulation may have been uninstalled since create: say so rather than let the
        // kernel answer `exec format error`.
        self.emulation.check_runnable(&inner.record.platform)?;
        let mut spec = container_spec(entry, &inner.record, &self.config.cgroup_parent)?;
        let volume_names = Self::volume_names(&inner.record);
        self.acquire_volume_mounts(&volume_names)?;
        if let Some(remap) = super::userns::for_container(
            self.config.userns_remap.as_ref(),
            &inner.record.host_config,
        ) {
            spec.userns = Some(remap.maps.clone());
            // Volumes are the container's root's to write, as Docker chowns them; binds of
            // host paths are left as they are.
            for m in inner
                .record
                .mount_points
                .iter()
                .filter(|m| m.kind == "volume")
            {
                if let Err(e) = super::userns::give_to_root(Path::new(&m.source), remap.root()) {
                    self.release_volume_mounts(&volume_names);
                    return Err(EngineError::Io {
                        context: "chown",
                        path: m.source.clone().into(),
                        source: e,
                    });
                }
            }
        }
        let net = match self.net_prepare_spec(entry, &inner.record, &mut spec).await {
            Ok(net) => net,
            Err(e) => {
                self.release_volume_mounts(&volume_names);
                return Err(e);
            }
        };
        // A stale runtime dir (an earlier run whose monitor is gone) would hold an old
        // socket and exit file.
        let _ = std::fs::remove_dir_all(&entry.run_dir);
        let started = async {
            let created = client::create_container(&self.config.exe, &entry.run_dir, &spec).await?;
            if let Some(net) = net
                && let Err(e) = self.net_attach(entry, net, created.pid).await
            {
                let _ = created.abort().await;
                return Err(e);
            }
            let monitor = MonitorClient::new(&entry.run_dir);
            for pending in inner.pending_attaches.drain(..) {
                connect(monitor.clone(), pending).await;
            }
            created.start().await
        }
        .await;
        let running = match started {
            Ok(r) => r,
            Err(e) => {
                self.net_release(entry).await;
                self.release_volume_mounts(&volume_names);
                // Pending attachments end with the failed start; the client gets the error
                // from `start`.
                inner.pending_attaches.clear();
                inner.state.error = e.to_string();
                if by_policy {
                    inner.state.status = super::status::Status::Exited;
                    entry.publish(&inner.state, false);
                }
                inner.state.exit_code = match &e {
                    hako_runtime::RuntimeError::Start { failure, .. } => match failure {
                        hako_runtime::ExecFailure::NotFound => 127,
                        hako_runtime::ExecFailure::PermissionDenied => 126,
                        hako_runtime::ExecFailure::Other => 128,
                    },
                    _ => 128,
                };
                let _ = state::write_json(&entry.state_path(), &inner.state, false);
                let _ = std::fs::remove_dir_all(&entry.run_dir);
                let auto_remove = inner.record.host_config.auto_remove;
                drop(inner);
                if auto_remove {
                    // Docker removes an auto-remove container whose start failed, which
                    // also releases a client waiting for `condition=removed`.
                    let opts = super::options::RemoveOptions {
                        force: true,
                        ..Default::default()
                    };
                    let _ = self.remove_entry(entry, opts).await;
                }
                return Err(e.into());
            }
        };
        inner.generation += 1;
        inner.stopped_by_user = false;
        if !by_policy {
            inner.restart_delay = std::time::Duration::ZERO;
            inner.state.restart_count = 0;
        }
        let st = &mut inner.state;
        st.manually_stopped = false;
        st.status = super::status::Status::Running;
        st.pid = running.pid;
        st.error.clear();
        st.exit_code = 0;
        st.oom_killed = false;
        st.started_at = timefmt::rfc3339_nano(timefmt::now_nanos());
        let health_check = inner
            .record
            .config
            .healthcheck
            .clone()
            .filter(|h| super::health::probe_cmd(h).is_some());
        inner.state.health = health_check.as_ref().map(|_| super::status::Health {
            status: "starting".into(),
            ..Default::default()
        });
        state::write_json(&entry.state_path(), &inner.state, false)?;
        entry.publish(&inner.state, false);
        let generation = inner.generation;
        let attrs = container_attributes(&inner.record);
        drop(inner);
        info!(pid = running.pid, "container started");
        self.events.emit("container", "start", &entry.id, attrs);
        if let Some(engine) = self.handle() {
            let entry = entry.clone();
            tokio::spawn(async move {
                let status = running.wait().await;
                engine.on_exit(&entry, generation, status).await;
            });
        }
        if let Some(check) = health_check {
            self.spawn_health_monitor(entry, generation, check);
        }
        Ok(())
    }
}
