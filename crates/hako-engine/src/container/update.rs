//! `POST /containers/{id}/update`: new cgroup limits (written to a running container's
//! cgroup at once) and restart policy, persisted in the record.

use tracing::instrument;

use super::config::RestartPolicy;
use super::limits::MIN_MEMORY;
use super::pause::blocking;
use super::status::Status;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::state;

/// What `update` may change; `None` (or zero, as Docker sends them) leaves a setting as is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateRequest {
    /// `--memory`.
    pub memory: i64,
    /// `--memory-swap` (-1 unlimited).
    pub memory_swap: i64,
    /// `--memory-reservation`.
    pub memory_reservation: i64,
    /// `--cpus` × 1e9.
    pub nano_cpus: i64,
    /// `--cpu-shares`.
    pub cpu_shares: i64,
    /// `--cpu-period`.
    pub cpu_period: i64,
    /// `--cpu-quota`.
    pub cpu_quota: i64,
    /// `--cpuset-cpus`.
    pub cpuset_cpus: String,
    /// `--cpuset-mems`.
    pub cpuset_mems: String,
    /// `--pids-limit` (-1 or 0: unlimited).
    pub pids_limit: Option<i64>,
    /// `--blkio-weight`.
    pub blkio_weight: u16,
    /// `--restart`.
    pub restart_policy: Option<RestartPolicy>,
}

impl Engine {
    /// Changes limits and restart policy; returns warnings.
    #[instrument(skip(self, req), fields(container.id = id))]
    pub async fn container_update(&self, id: &str, req: UpdateRequest) -> Result<Vec<String>> {
        let entry = self.containers.get(id)?;
        let mut inner = entry.inner.lock().await;
        let invalid = |m: &str| EngineError::InvalidParameter(m.to_owned());
        if inner.state.status == Status::Removing || inner.state.status == Status::Dead {
            return Err(EngineError::Conflict(format!(
                "Cannot update container {}: container is marked for removal and cannot be \"update\"",
                entry.id
            )));
        }
        let mut hc = inner.record.host_config.clone();
        let r = &mut hc.resources;
        if req.memory != 0 {
            if req.memory < MIN_MEMORY {
                return Err(invalid("Minimum memory limit allowed is 6MB"));
            }
            r.memory = req.memory;
        }
        if req.memory_swap != 0 {
            r.memory_swap = req.memory_swap;
        }
        if r.memory_swap > 0 && r.memory > 0 && r.memory_swap < r.memory {
            return Err(invalid(if req.memory_swap != 0 {
                "Minimum memoryswap limit should be larger than memory limit, see usage"
            } else {
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
            }));
        }
        if req.memory_reservation != 0 {
            r.memory_reservation = req.memory_reservation;
        }
        if r.memory > 0 && r.memory_reservation > r.memory {
            return Err(invalid(
                "Minimum memory limit can not be less than memory reservation limit, see usage",
            ));
        }
        if req.nano_cpus != 0 {
            if r.cpu_quota > 0 || r.cpu_period > 0 {
                return Err(invalid(
                    "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set",
                ));
            }
            r.nano_cpus = req.nano_cpus;
        }
        if req.cpu_quota != 0 || req.cpu_period != 0 {
            if r.nano_cpus > 0 {
                return Err(invalid(
                    "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set",
                ));
            }
            if req.cpu_quota != 0 {
                r.cpu_quota = req.cpu_quota;
            }
            if req.cpu_period != 0 {
                r.cpu_period = req.cpu_period;
            }
        }
        if req.cpu_shares != 0 {
            r.cpu_shares = req.cpu_shares;
        }
        if !req.cpuset_cpus.is_empty() {
            r.cpuset_cpus = req.cpuset_cpus.clone();
        }
        if !req.cpuset_mems.is_empty() {
            r.cpuset_mems = req.cpuset_mems.clone();
        }
        if let Some(p) = req.pids_limit {
            r.pids_limit = (p > 0).then_some(p);
        }
        if req.blkio_weight != 0 {
            if !(10..=1000).contains(&req.blkio_weight) {
                return Err(invalid("Range of blkio weight is from 10 to 1000"));
            }
            r.blkio_weight = req.blkio_weight;
        }
        if let Some(policy) = &req.restart_policy {
            if hc.auto_remove && !matches!(policy.name.as_str(), "" | "no") {
                return Err(invalid(
                    "Restart policy cannot be updated because AutoRemove is enabled for the container",
                ));
            }
            hc.restart_policy = policy.clone();
        }
        if matches!(inner.state.status, Status::Running | Status::Paused) {
            let mut spec = super::spec::cgroup_spec(&hc, &self.config.cgroup_parent, &entry.id);
            // Unlimited pids must be written back as `max` when asked for.
            if req.pids_limit.is_some_and(|p| p <= 0) {
                spec.resources.pids_limit = Some(-1);
            }
            if req.memory_swap == -1 {
                spec.resources.memory_swap = Some(-1);
            }
            let cg = self.cgroup_of(&inner.record)?;
            let resources = spec.resources;
            blocking(move || cg.apply(&resources)).await?.map_err(|e| {
                EngineError::InvalidParameter(format!("Cannot update container {}: {e}", entry.id))
            })?;
        }
        inner.record.host_config = hc;
        state::write_json(&entry.record_path(), &inner.record, false)?;
        let attrs = super::create::container_attributes(&inner.record);
        drop(inner);
        self.events.emit("container", "update", &entry.id, attrs);
        Ok(Vec::new())
    }
}
