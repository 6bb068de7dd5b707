//! The engine's volume verbs: `POST /volumes/create`, `GET /volumes`, `GET /volumes/{name}`,
//! `DELETE /volumes/{name}`, `POST /volumes/prune`, with Docker's events and messages.

use std::collections::BTreeMap;

use tracing::instrument;

use super::{ANONYMOUS_LABEL, Volume, disk_usage, is_valid_name};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::filters::Filters;

/// `docker volume create` as the engine receives it.
#[derive(Debug, Clone, Default)]
pub struct VolumeCreateRequest {
    /// Empty picks a random (anonymous-looking) 64-hex name, as Docker does.
    pub name: String,
    /// Empty or `local`.
    pub driver: String,
    /// `-o` options.
    pub driver_opts: BTreeMap<String, String>,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
}

/// What prune removed.
#[derive(Debug, Clone, Default)]
pub struct VolumePruneReport {
    /// Names of the removed volumes.
    pub deleted: Vec<String>,
    /// Bytes freed.
    pub space_reclaimed: u64,
}

fn parse_bool_filter(name: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "true" | "True" | "TRUE" => Ok(true),
        "0" | "false" | "False" | "FALSE" => Ok(false),
        _ => Err(EngineError::InvalidParameter(format!(
            "invalid filter '{name}={v}'"
        ))),
    }
}

impl Engine {
    /// Creates a volume, or returns the existing one of that name.
    #[instrument(skip_all, fields(volume = %req.name))]
    pub async fn volume_create(&self, req: VolumeCreateRequest) -> Result<Volume> {
        if !matches!(req.driver.as_str(), "" | "local") {
            return Err(EngineError::NoSuchVolumeDriver(req.driver.clone()));
        }
        super::local_mount::MountOpts::parse(&req.driver_opts)?;
        let name = if req.name.is_empty() {
            crate::ids::new_id()
        } else {
            req.name.clone()
        };
        self.ensure_volume(&name, req.labels, req.driver_opts).await
    }

    /// Creates `name` if missing (emitting `volume create`), as `-v name:/x` does.
    pub(crate) async fn ensure_volume(
        &self,
        name: &str,
        labels: BTreeMap<String, String>,
        options: BTreeMap<String, String>,
    ) -> Result<Volume> {
        if !is_valid_name(name) {
            return Err(EngineError::InvalidParameter(format!(
                "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
            )));
        }
        let (vol, created) = self.volumes.create(name, labels, options)?;
        if created {
            let attrs = BTreeMap::from([("driver".to_string(), vol.driver.clone())]);
            self.events.emit("volume", "create", name, attrs);
        }
        Ok(vol)
    }

    /// An anonymous volume for an image `VOLUME` or `-v /path`.
    pub(crate) async fn anonymous_volume(&self) -> Result<Volume> {
        self.anonymous_volume_with(BTreeMap::new()).await
    }

    /// An anonymous volume with the local driver's mount options (`--mount
    /// type=volume,dst=/x,volume-opt=type=tmpfs,...`).
    pub(crate) async fn anonymous_volume_with(
        &self,
        options: BTreeMap<String, String>,
    ) -> Result<Volume> {
        let labels = BTreeMap::from([(ANONYMOUS_LABEL.to_string(), String::new())]);
        self.ensure_volume(&crate::ids::new_id(), labels, options)
            .await
    }

    /// `GET /volumes/{name}`.
    pub async fn volume_inspect(&self, name: &str) -> Result<Volume> {
        self.volumes
            .get(name)
            .ok_or_else(|| EngineError::NoSuchVolume(name.to_string()))
    }

    /// `GET /volumes?filters=` (`dangling`, `driver`, `label`, `name`).
    pub async fn volume_list(&self, filters: &Filters) -> Result<Vec<Volume>> {
        filters.validate(&["dangling", "driver", "label", "name"])?;
        let dangling = match filters.get("dangling").last() {
            Some(v) => Some(parse_bool_filter("dangling", v)?),
            None => None,
        };
        let users = self.volume_users().await;
        Ok(self
            .volumes
            .list()
            .into_iter()
            .filter(|v| dangling.is_none_or(|d| d != users.contains_key(&v.name)))
            .filter(|v| filters.matches_any("driver", |d| d == v.driver))
            .filter(|v| filters.matches_any("name", |n| v.name.contains(n)))
            .filter(|v| filters.matches_labels("label", &v.labels))
            .collect())
    }

    /// `DELETE /volumes/{name}?force=`: refused while a container uses it.
    #[instrument(skip(self))]
    pub async fn volume_remove(&self, name: &str, force: bool) -> Result<()> {
        if self.volumes.get(name).is_none() {
            if force {
                return Ok(());
            }
            return Err(EngineError::NoSuchVolume(name.to_string()));
        }
        if let Some(ids) = self.volume_users().await.remove(name) {
            return Err(EngineError::VolumeInUse {
                name: name.to_string(),
                ids,
            });
        }
        self.drop_volume(name)
    }

    fn drop_volume(&self, name: &str) -> Result<()> {
        if let Some(vol) = self.volumes.remove(name)? {
            let attrs = BTreeMap::from([("driver".to_string(), vol.driver)]);
            self.events.emit("volume", "destroy", name, attrs);
        }
        Ok(())
    }

    /// Removes the anonymous volumes among `names` that no container uses any more
    /// (`docker rm -v`, `--rm`). Failures are logged: the container is gone already.
    pub(crate) async fn remove_anonymous_volumes(&self, names: &[String]) {
        let users = self.volume_users().await;
        for name in names {
            let anonymous = self.volumes.get(name).is_some_and(|v| v.is_anonymous());
            if anonymous
                && !users.contains_key(name)
                && let Err(e) = self.drop_volume(name)
            {
                tracing::warn!(volume = %name, error = %e, "removing anonymous volume failed");
            }
        }
    }

    /// `POST /volumes/prune?filters=` (`label`, `label!`, `all`): unused volumes; only
    /// anonymous ones unless `all=true`, as Docker since API 1.42.
    pub async fn volume_prune(&self, filters: &Filters) -> Result<VolumePruneReport> {
        filters.validate(&["label", "label!", "all"])?;
        let all = match filters.get("all").last() {
            Some(v) => parse_bool_filter("all", v)?,
            None => false,
        };
        let users = self.volume_users().await;
        let mut report = VolumePruneReport::default();
        for v in self.volumes.list() {
            if users.contains_key(&v.name)
                || (!all && !v.is_anonymous())
                || !filters.matches_labels("label", &v.labels)
                || filters.get("label!").iter().any(|f| {
                    Filters(BTreeMap::from([("l".into(), vec![f.clone()])]))
                        .matches_labels("l", &v.labels)
                })
            {
                continue;
            }
            let size = {
                let p = v.mountpoint.clone();
                tokio::task::spawn_blocking(move || disk_usage(&p))
                    .await
                    .unwrap_or(0)
            };
            match self.drop_volume(&v.name) {
                Ok(()) => {
                    report.deleted.push(v.name.clone());
                    report.space_reclaimed += size;
                }
                Err(e) => tracing::warn!(volume = %v.name, error = %e, "prune failed"),
            }
        }
        if !report.deleted.is_empty() {
            let attrs =
                BTreeMap::from([("reclaimed".to_string(), report.space_reclaimed.to_string())]);
            self.events.emit("volume", "prune", "", attrs);
        }
        Ok(report)
    }

    /// The volumes `record` mounts (for mounting and unmounting those with options).
    pub(crate) fn volume_names(record: &crate::container::record::Record) -> Vec<String> {
        record
            .mount_points
            .iter()
            .filter(|m| m.kind == "volume" && !m.name.is_empty())
            .map(|m| m.name.clone())
            .collect()
    }

    /// Mounts the volumes with options among `names` for a starting container; on a
    /// failure those already taken are given back.
    pub(crate) fn acquire_volume_mounts(&self, names: &[String]) -> Result<()> {
        for (i, name) in names.iter().enumerate() {
            if let Err(e) = self.volumes.acquire_mount(name) {
                self.release_volume_mounts(&names[..i]);
                return Err(e);
            }
        }
        Ok(())
    }

    /// The container that acquired `names` has stopped.
    pub(crate) fn release_volume_mounts(&self, names: &[String]) {
        for name in names {
            self.volumes.release_mount(name);
        }
    }

    /// At daemon start, after the containers are loaded: mounted volumes are counted
    /// against the running containers that use them; the rest are unmounted.
    pub(crate) async fn settle_volume_mounts(&self) {
        let mut users: BTreeMap<String, usize> = BTreeMap::new();
        for entry in self.containers.all() {
            let inner = entry.inner.lock().await;
            // A restarting container gave its mounts back at exit and takes them again
            // when it starts.
            if matches!(
                inner.state.status,
                crate::container::status::Status::Running
                    | crate::container::status::Status::Paused
            ) {
                for name in Self::volume_names(&inner.record) {
                    *users.entry(name).or_default() += 1;
                }
            }
        }
        self.volumes.settle_mounts(&users);
    }

    /// Volume name → IDs of the containers (any state) that mount it.
    pub(crate) async fn volume_users(&self) -> BTreeMap<String, Vec<String>> {
        let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entry in self.containers.all() {
            let inner = entry.inner.lock().await;
            for m in &inner.record.mount_points {
                if !m.name.is_empty() {
                    users
                        .entry(m.name.clone())
                        .or_default()
                        .push(entry.id.clone());
                }
            }
        }
        users
    }
}
